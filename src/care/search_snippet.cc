#include "care/search_internal.h"

namespace lahza::care::search {

namespace {

struct Span {
  size_t begin, end;  // byte range of a whitespace-separated piece of text
  bool match;
};

bool IsAsciiPunct(unsigned char c) {
  return c == ',' || c == '.' || c == ';' || c == ':' || c == '!' || c == '?' || c == '"' || c == '\'' ||
         c == '(' || c == ')' || c == '[' || c == ']' || c == '-';
}

// Arabic comma, semicolon and question mark (2 bytes each in UTF-8) and the
// guillemets, which the highlight should not swallow.
size_t TrailingPunct(std::string_view text, size_t begin, size_t end) {
  if (end - begin >= 2) {
    std::string_view tail = text.substr(end - 2, 2);
    if (tail == "\xD8\x8C" || tail == "\xD8\x9B" || tail == "\xD8\x9F" || tail == "\xC2\xBB" || tail == "\xC2\xAB") {
      return 2;
    }
  }
  if (end > begin && IsAsciiPunct(static_cast<unsigned char>(text[end - 1]))) return 1;
  return 0;
}
size_t LeadingPunct(std::string_view text, size_t begin, size_t end) {
  if (end - begin >= 2) {
    std::string_view head = text.substr(begin, 2);
    if (head == "\xC2\xAB" || head == "\xC2\xBB") return 2;
  }
  if (end > begin && IsAsciiPunct(static_cast<unsigned char>(text[begin]))) return 1;
  return 0;
}

}  // namespace

std::vector<WordSpan> SplitForSnippets(std::string_view text, const Analyzer& analyzer) {
  std::vector<WordSpan> words;
  for (size_t at = 0; at < text.size();) {
    while (at < text.size() && (text[at] == ' ' || text[at] == '\n' || text[at] == '\t')) ++at;
    size_t begin = at;
    while (at < text.size() && text[at] != ' ' && text[at] != '\n' && text[at] != '\t') ++at;
    if (at == begin) break;
    WordSpan word{begin, at, {}};
    for (const Token& token : analyzer.Tokens(text.substr(begin, at - begin))) word.terms.push_back(token.term);
    words.push_back(std::move(word));
  }
  return words;
}

Snippet MakeSnippet(std::string_view text, const std::vector<WordSpan>& words, const std::set<std::string>& terms,
                    size_t max_words) {
  std::vector<Span> spans;
  spans.reserve(words.size());
  for (const WordSpan& word : words) {
    bool match = false;
    for (const std::string& term : word.terms) match = match || terms.count(term) > 0;
    spans.push_back(Span{word.begin, word.end, match});
  }
  Snippet snippet;
  if (spans.empty()) return snippet;

  // The window with the most matches wins; on a tie the earliest, since
  // articles put the direct answer first.
  size_t window = std::min(max_words, spans.size());
  size_t best = 0, best_count = 0, count = 0;
  for (size_t i = 0; i < spans.size(); ++i) {
    count += spans[i].match;
    if (i >= window) count -= spans[i - window].match;
    if (i + 1 >= window && count > best_count) {
      best_count = count;
      best = i + 1 - window;
    }
  }
  // Start a little before the first match so it has some context.
  if (best_count > 0) {
    size_t first = best;
    while (first < best + window && !spans[first].match) ++first;
    size_t lead = std::min<size_t>(3, first);
    best = std::min(first - lead, spans.size() - window);
  }
  size_t last = best + window - 1;
  if (best > 0) snippet.text = "… ";
  const size_t prefix = snippet.text.size();
  snippet.text.append(text.substr(spans[best].begin, spans[last].end - spans[best].begin));
  for (size_t i = best; i <= last; ++i) {
    if (!spans[i].match) continue;
    size_t begin = spans[i].begin, end = spans[i].end;
    // Punctuation can stack ("IBAN",) so trim until none is left.
    for (size_t cut; (cut = TrailingPunct(text, begin, end)) > 0;) end -= cut;
    for (size_t cut; (cut = LeadingPunct(text, begin, end)) > 0;) begin += cut;
    if (end > begin) snippet.highlights.emplace_back(begin - spans[best].begin + prefix, end - begin);
  }
  if (last + 1 < spans.size()) snippet.text += " …";
  return snippet;
}

}  // namespace lahza::care::search
