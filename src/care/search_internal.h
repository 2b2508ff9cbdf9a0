// Internals of the help-centre search, shared by help_centre.cc and the
// search_*.cc files. Not a public header: only src/care includes it.
#pragma once

#include <xapian.h>

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace lahza::care::search {

// One word of text in its matching form plus the index term it maps to.
struct Token {
  std::string word;  // normalised surface form, e.g. "الفلوس", "ta7weel"
  std::string term;  // "A"+Arabic stem or "E"+English stem (digits go with English)
};

// Turns text into index terms. Arabic-script words use Xapian's Arabic
// (Snowball) stemmer after a light prefix/suffix pass; everything else uses
// the English stemmer. The prefixes keep the two vocabularies apart, so an
// English stem can never collide with an Arabic one.
class Analyzer {
 public:
  Analyzer();
  // Normalised words of `text`; thousands separators inside numbers are
  // dropped first so "70,000" and "70000" are one word.
  std::vector<std::string> Words(std::string_view text) const;
  std::string Term(const std::string& word) const;
  std::vector<Token> Tokens(std::string_view text) const;
  // Extra readings of an Egyptian colloquial word, as terms: the negation
  // circumfix م…ش / ما…ش ("موصلتش" → "وصلت"), the passive prefix ات
  // ("اتخصم" → "خصم"), the future/progressive ه/ب before a verb prefix
  // ("هيرجع" → "يرجع"), the imperfect prefixes أ/ي/ت/ن ("اربط" → "ربط").
  // Empty for other words.
  std::vector<std::string> ColloquialVariants(const std::string& word) const;
};

// The synonym / Franco-Arabic table (data/care/synonyms.json).
class SynonymTable {
 public:
  static Result<SynonymTable> Parse(std::string_view json, const Analyzer& analyzer);

  // Longest entry (in words, at most MaxWords()) that matches `tokens` from
  // `start`, by term sequence so inflected forms match too. Returns the
  // number of words matched (0: none) and fills `groups`.
  size_t Match(const std::vector<Token>& tokens, size_t start, std::vector<size_t>& groups) const;
  // Groups whose single-word entries have this term.
  const std::vector<size_t>* GroupsOfTerm(const std::string& term) const;
  // Each entry of a group as the terms of its non-stopword words; a
  // multi-word entry is matched as "all of these terms".
  const std::vector<std::vector<std::string>>& Entries(size_t group) const { return groups_[group]; }
  bool IsStopword(const std::string& word) const { return stopwords_.count(word) > 0; }
  // True for a word that only Franco-Arabic uses (not also an English entry).
  bool IsFranco(const std::string& word) const { return franco_.count(word) > 0; }
  // Every normalised word of every entry (for the spelling dictionary).
  const std::set<std::string>& Vocabulary() const { return vocabulary_; }

 private:
  std::vector<std::vector<std::vector<std::string>>> groups_;
  std::map<std::string, std::vector<size_t>, std::less<>> keys_;  // terms joined by ' ' → groups
  std::set<std::string, std::less<>> stopwords_;
  std::set<std::string, std::less<>> franco_;
  std::set<std::string> vocabulary_;
  size_t max_words_ = 1;
};

// Spelling suggestions by edit distance over our own vocabulary (Xapian's
// in-memory backend has no spelling support, and the vocabulary is small).
// Distance is optimal-string-alignment (a swap of two neighbours costs 1) over
// code points, so one Arabic letter counts as one edit.
class Speller {
 public:
  void Add(const std::string& word);
  // The closest known word within `max_distance` edits, preferring the more
  // frequent word on a tie; empty when none (or `word` is itself known).
  std::string Suggest(const std::string& word, size_t max_distance) const;
  bool Knows(const std::string& word) const { return counts_.count(word) > 0; }

 private:
  std::map<std::string, size_t, std::less<>> counts_;
  std::map<size_t, std::vector<std::pair<std::u32string, const std::string*>>> by_length_;
};

// A snippet of `text` of about `max_words` words around the words whose terms
// are in `terms`, with byte ranges of those words inside the snippet.
struct Snippet {
  std::string text;
  std::vector<std::pair<size_t, size_t>> highlights;
};
// A whitespace-separated piece of an article body and the terms of its
// words, computed once when the index is built so a search only looks terms up.
struct WordSpan {
  size_t begin, end;
  std::vector<std::string> terms;
};
std::vector<WordSpan> SplitForSnippets(std::string_view text, const Analyzer& analyzer);
Snippet MakeSnippet(std::string_view text, const std::vector<WordSpan>& words, const std::set<std::string>& terms,
                    size_t max_words = 30);

}  // namespace lahza::care::search
