#include <nlohmann/json.hpp>

#include "care/arabic.h"
#include "care/search_internal.h"
#include "core/ascii.h"
#include "core/utf8.h"

namespace lahza::care::search {

namespace {

// The text here is already normalised, hence valid UTF-8; these helpers only
// count and slice by code points.
std::string ToUtf8(const std::u32string& text) {
  std::string out;
  for (char32_t cp : text) AppendUtf8(out, cp);
  return out;
}

bool StartsWith(const std::u32string& word, std::u32string_view prefix) {
  return word.size() >= prefix.size() && word.compare(0, prefix.size(), prefix) == 0;
}
bool EndsWith(const std::u32string& word, std::u32string_view suffix) {
  return word.size() >= suffix.size() && word.compare(word.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Snowball's Arabic stemmer leaves "و" + "ال…" and the sound feminine plural
// "…ات" half-done ("والتحويلات" → "والتحويلا"); finishing them here makes
// "التحويلات", "تحويلات" and "تحويل" one term.
std::u32string LightStem(std::u32string word) {
  if (word.size() > 4 && (StartsWith(word, U"وال") || StartsWith(word, U"فال") || StartsWith(word, U"وبال") ||
                          StartsWith(word, U"ولل"))) {
    word.erase(0, 1);
  }
  if (word.size() >= 5 && EndsWith(word, U"ات")) word.resize(word.size() - 2);
  return word;
}

bool IsArabicWord(const std::string& word) { return HasArabic(word); }

// Xapian::Stem keeps its Snowball work buffers inside the object, so one
// stemmer shared by threads corrupts the heap (seen as "realloc(): invalid old
// size" under concurrent searches). Each thread gets its own pair instead.
Xapian::Stem& ArabicStemmer() {
  thread_local Xapian::Stem stemmer("arabic");
  return stemmer;
}

Xapian::Stem& EnglishStemmer() {
  thread_local Xapian::Stem stemmer("english");
  return stemmer;
}

}  // namespace

Analyzer::Analyzer() = default;

std::vector<std::string> Analyzer::Words(std::string_view text) const {
  std::string normal = NormaliseText(text);
  // "70,000" → "70000": a comma or dot between digit groups of three is a
  // thousands separator, not a word break.
  std::string joined;
  joined.reserve(normal.size());
  for (size_t i = 0; i < normal.size(); ++i) {
    char c = normal[i];
    if ((c == ',' || c == '.') && i > 0 && IsAsciiDigit(normal[i - 1]) && i + 3 < normal.size() + 0 &&
        IsAsciiDigit(normal[i + 1]) && IsAsciiDigit(normal[i + 2]) && IsAsciiDigit(normal[i + 3]) &&
        (i + 4 >= normal.size() || !IsAsciiDigit(normal[i + 4]))) {
      continue;
    }
    joined.push_back(c);
  }
  return care::Words(joined);
}

std::string Analyzer::Term(const std::string& word) const {
  if (IsArabicWord(word)) return "A" + ArabicStemmer()(ToUtf8(LightStem(DecodeUtf8(word))));
  return "E" + EnglishStemmer()(word);
}

std::vector<Token> Analyzer::Tokens(std::string_view text) const {
  std::vector<Token> tokens;
  for (std::string& word : Words(text)) {
    std::string term = Term(word);
    tokens.push_back(Token{std::move(word), std::move(term)});
  }
  return tokens;
}

std::vector<std::string> Analyzer::ColloquialVariants(const std::string& word) const {
  std::vector<std::string> variants;
  if (!IsArabicWord(word)) return variants;
  std::u32string w = DecodeUtf8(word);
  auto add = [&](std::u32string variant) {
    if (variant.size() < 2) return;
    std::string term = Term(ToUtf8(variant));
    if (term != Term(word)) variants.push_back(std::move(term));
    // A variant can itself be colloquial: "ماتخصمتش" → "اتخصمت" → "خصمت".
    if (variant.size() >= 5 && StartsWith(variant, U"ات")) {
      std::string inner = Term(ToUtf8(variant.substr(2)));
      if (inner != term) variants.push_back(std::move(inner));
    }
  };
  if (w.size() >= 4 && EndsWith(w, U"ش") && StartsWith(w, U"م")) {
    size_t head = StartsWith(w, U"ما") && w.size() >= 5 ? 2 : 1;
    add(w.substr(head, w.size() - head - 1));
    // "موصلتليش": the dative "لي"/"لو"/"له" sits before the ش.
    std::u32string inner = w.substr(head, w.size() - head - 1);
    if (inner.size() >= 5 && (EndsWith(inner, U"لي") || EndsWith(inner, U"لو") || EndsWith(inner, U"له"))) {
      add(inner.substr(0, inner.size() - 2));
    }
  }
  if (w.size() >= 5 && StartsWith(w, U"ات")) add(w.substr(2));
  // Imperfect-verb prefixes (أ ي ت ن): "اربط" → "ربط", "نحول" → "حول".
  if (w.size() >= 4 && (w[0] == U'ا' || w[0] == U'ي' || w[0] == U'ت' || w[0] == U'ن')) add(w.substr(1));
  if (w.size() >= 5 && (w[0] == U'ه' || w[0] == U'ب') && (w[1] == U'ي' || w[1] == U'ت' || w[1] == U'ن')) {
    add(w.substr(1));
  }
  return variants;
}

Result<SynonymTable> SynonymTable::Parse(std::string_view json_text, const Analyzer& analyzer) {
  SynonymTable table;
  try {
    auto json = nlohmann::json::parse(json_text);
    for (const auto& [kind, words] : json.at("stopwords").items()) {
      for (const auto& word : words) {
        std::string normal = NormaliseText(word.get<std::string>());
        if (normal.empty()) return Error("help.data_invalid", "synonyms.json: empty stopword in " + kind);
        table.stopwords_.insert(normal);
      }
    }
    std::set<std::string, std::less<>> english;
    for (const auto& group : json.at("groups")) {
      size_t index = table.groups_.size();
      std::vector<std::vector<std::string>> entries;
      for (const char* kind : {"ar", "eg", "en", "franco"}) {
        for (const auto& entry : group.at(kind)) {
          std::vector<Token> tokens = analyzer.Tokens(entry.get<std::string>());
          if (tokens.empty()) return Error("help.data_invalid", "synonyms.json: empty entry in group " + std::to_string(index));
          std::string key;
          std::vector<std::string> terms;
          for (const Token& token : tokens) {
            key += (key.empty() ? "" : " ") + token.term;
            table.vocabulary_.insert(token.word);
            if (!table.IsStopword(token.word)) terms.push_back(token.term);
            if (std::string_view(kind) == "franco") table.franco_.insert(token.word);
            if (std::string_view(kind) == "en") english.insert(token.word);
          }
          auto& groups = table.keys_[key];
          if (groups.empty() || groups.back() != index) groups.push_back(index);
          table.max_words_ = std::max(table.max_words_, tokens.size());
          if (!terms.empty()) entries.push_back(std::move(terms));
        }
      }
      table.groups_.push_back(std::move(entries));
    }
    for (const auto& word : json.at("stopwords").at("franco")) table.franco_.insert(NormaliseText(word.get<std::string>()));
    // Words English also uses ("bank", "account", "mobile") say nothing about
    // the writer being an Arabic speaker.
    for (const std::string& word : english) table.franco_.erase(word);
    for (const std::string& word : table.stopwords_) {
      if (english.count(word)) table.franco_.erase(word);
    }
    for (const auto& word : json.at("stopwords").at("en")) table.franco_.erase(NormaliseText(word.get<std::string>()));
  } catch (const nlohmann::json::exception& error) {
    return Error("help.data_invalid", std::string("synonyms.json: ") + error.what());
  }
  return table;
}

size_t SynonymTable::Match(const std::vector<Token>& tokens, size_t start, std::vector<size_t>& groups) const {
  groups.clear();
  size_t longest = std::min(max_words_, tokens.size() - start);
  for (size_t length = longest; length >= 1; --length) {
    std::string key;
    for (size_t i = start; i < start + length; ++i) key += (key.empty() ? "" : " ") + tokens[i].term;
    auto it = keys_.find(key);
    if (it != keys_.end()) {
      groups = it->second;
      return length;
    }
  }
  return 0;
}

const std::vector<size_t>* SynonymTable::GroupsOfTerm(const std::string& term) const {
  auto it = keys_.find(term);
  return it == keys_.end() ? nullptr : &it->second;
}

}  // namespace lahza::care::search
