#include "care/triage_features.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "care/arabic.h"

namespace lahza::care::triage_internal {

namespace {

uint32_t Fnv1a(char kind, std::string_view text) {
  uint32_t h = 2166136261u;
  h = (h ^ static_cast<unsigned char>(kind)) * 16777619u;
  for (unsigned char c : text) h = (h ^ c) * 16777619u;
  return h;
}

// Byte offsets of UTF-8 code point starts in `s`, plus s.size() at the end.
std::vector<size_t> CodePointStarts(const std::string& s) {
  std::vector<size_t> starts;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) starts.push_back(i);
  }
  starts.push_back(s.size());
  return starts;
}

// Numbers say little about the kind of problem but a lot about the specific
// case; one token keeps "70000" and "100000" alike. Franco-Arabic words mix
// digits and letters ("7esab") and stay as they are.
std::string FoldWord(const std::string& word) {
  if (word.size() >= 2 && std::all_of(word.begin(), word.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return "#";
  }
  // Stretched letters ("awyyyy", "ليييه") -> at most two in a row.
  std::string out;
  for (size_t i = 0; i < word.size();) {
    size_t len = 1;
    const auto lead = static_cast<unsigned char>(word[i]);
    if (lead >= 0xF0) len = 4; else if (lead >= 0xE0) len = 3; else if (lead >= 0xC0) len = 2;
    len = std::min(len, word.size() - i);
    std::string_view cp(word.data() + i, len);
    const size_t n = out.size();
    if (n >= 2 * len && std::string_view(out).substr(n - len) == cp &&
        std::string_view(out).substr(n - 2 * len, len) == cp) {
      i += len;
      continue;
    }
    out.append(cp);
    i += len;
  }
  return out;
}

}  // namespace

std::vector<std::pair<uint32_t, float>> Features(std::string_view text) {
  std::vector<std::string> words = Words(text);
  for (std::string& w : words) w = FoldWord(w);

  std::vector<uint32_t> ids;
  ids.push_back(Fnv1a('B', ""));  // bias
  std::string joined = " ";
  for (size_t i = 0; i < words.size(); ++i) {
    ids.push_back(Fnv1a('W', words[i]));
    if (i + 1 < words.size()) ids.push_back(Fnv1a('P', words[i] + " " + words[i + 1]));
    joined += words[i];
    joined += ' ';
  }
  const std::vector<size_t> cps = CodePointStarts(joined);
  const size_t count = cps.size() - 1;
  for (size_t i = 0; i < count; ++i) {
    for (size_t n = 1; n <= 4 && i + n <= count; ++n) {
      std::string_view gram(joined.data() + cps[i], cps[i + n] - cps[i]);
      if (gram == " ") continue;
      ids.push_back(Fnv1a(static_cast<char>('0' + n), gram));
    }
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  const float value = 1.0f / std::sqrt(static_cast<float>(ids.size()));
  std::vector<std::pair<uint32_t, float>> features;
  features.reserve(ids.size());
  for (uint32_t id : ids) features.emplace_back(id, value);
  return features;
}

}  // namespace lahza::care::triage_internal
