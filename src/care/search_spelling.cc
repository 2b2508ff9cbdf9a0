#include <algorithm>

#include "care/search_internal.h"
#include "core/utf8.h"

namespace lahza::care::search {

namespace {


// Optimal string alignment distance, abandoning early once every cell of a
// row exceeds `limit` (most vocabulary words are far away).
size_t Distance(const std::u32string& a, const std::u32string& b, size_t limit) {
  const size_t n = a.size(), m = b.size();
  std::vector<size_t> two_back(m + 1), previous(m + 1), current(m + 1);
  for (size_t j = 0; j <= m; ++j) previous[j] = j;
  for (size_t i = 1; i <= n; ++i) {
    current[0] = i;
    size_t row_min = current[0];
    for (size_t j = 1; j <= m; ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        current[j] = std::min(current[j], two_back[j - 2] + 1);
      }
      row_min = std::min(row_min, current[j]);
    }
    if (row_min > limit) return limit + 1;
    two_back.swap(previous);
    previous.swap(current);
  }
  return previous[m];
}

}  // namespace

void Speller::Add(const std::string& word) {
  auto [it, inserted] = counts_.try_emplace(word, 0);
  ++it->second;
  if (inserted) {
    std::u32string decoded = DecodeUtf8(word);
    by_length_[decoded.size()].emplace_back(std::move(decoded), &it->first);
  }
}

std::string Speller::Suggest(const std::string& word, size_t max_distance) const {
  if (Knows(word)) return {};
  std::u32string target = DecodeUtf8(word);
  std::string best;
  size_t best_distance = max_distance + 1;
  size_t best_count = 0;
  size_t low = target.size() > max_distance ? target.size() - max_distance : 0;
  for (auto it = by_length_.lower_bound(low); it != by_length_.end() && it->first <= target.size() + max_distance;
       ++it) {
    for (const auto& [candidate, spelling] : it->second) {
      size_t distance = Distance(target, candidate, std::min(best_distance, max_distance));
      if (distance > max_distance) continue;
      size_t count = counts_.find(*spelling)->second;
      if (distance < best_distance || (distance == best_distance && count > best_count)) {
        best = *spelling;
        best_distance = distance;
        best_count = count;
      }
    }
  }
  return best;
}

}  // namespace lahza::care::search
