// The help centre: a bilingual knowledge base (data/care/articles/*.json,
// compiled in) searched with Xapian. Queries may be Modern Standard Arabic,
// Egyptian colloquial, English or Franco-Arabic ("el flos mawsaltsh"); results
// come back in the language asked for, or the query's own language.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/embedded.h"
#include "core/messages.h"
#include "core/result.h"

namespace lahza::care {

struct HelpArticle {
  std::string id;        // stable slug, e.g. "otp-not-arriving"
  std::string category;  // e.g. "security", "transfer-problems"
  std::string title_ar, title_en;
  std::string body_ar, body_en;
  std::vector<std::string> keywords;  // extra search words in any script

  const std::string& Title(Language language) const { return language == Language::kArabic ? title_ar : title_en; }
  const std::string& Body(Language language) const { return language == Language::kArabic ? body_ar : body_en; }
};

struct SearchHit {
  std::string article_id;
  std::string category;
  std::string title;    // in the result language
  std::string snippet;  // plain text from the body around the best matches
  // Byte ranges [first, first + second) of matched words inside `snippet`.
  std::vector<std::pair<size_t, size_t>> highlights;
  double score = 0;  // Xapian BM25 weight; only meaningful within one search
  int percent = 0;   // Xapian's 0..100 relevance
};

struct SearchResults {
  Language language = Language::kArabic;  // the language of titles and snippets
  std::vector<SearchHit> hits;            // best first
  // A corrected query when some words looked misspelled ("trnasfer" →
  // "transfer"); the hits already take the correction into account.
  std::optional<std::string> suggestion;
};

// `snippet` with every highlight wrapped in <mark>…</mark> and the rest
// HTML-escaped, ready for the web front end.
std::string SnippetHtml(const SearchHit& hit);

class HelpCentre {
 public:
  // The help centre over the compiled-in articles and synonym table, built
  // once. Our data files are checked by tests, so a malformed file is a build
  // defect and aborts at first use.
  static const HelpCentre& Instance();

  // Builds from explicit files: "…/articles/*.json" and "…/synonyms.json".
  // Errors: help.data_invalid (detail names the file and the problem).
  static Result<std::unique_ptr<HelpCentre>> Build(const std::vector<EmbeddedFile>& files);

  ~HelpCentre();
  HelpCentre(const HelpCentre&) = delete;
  HelpCentre& operator=(const HelpCentre&) = delete;

  // Ranked articles for `query`. `language` picks the language of titles and
  // snippets; when absent it follows the query (Arabic script or Franco-Arabic
  // → Arabic, otherwise English). Thread-safe.
  // Errors: help.query_empty, help.query_too_long, help.search_failed.
  Result<SearchResults> Search(std::string_view query, std::optional<Language> language = std::nullopt,
                               size_t limit = 10) const;

  // Errors: help.article_not_found.
  Result<HelpArticle> Article(std::string_view id) const;

  // All articles in a category (every article when `category` is empty), in
  // knowledge-base order. Errors: help.category_unknown.
  Result<std::vector<HelpArticle>> Articles(std::string_view category = {}) const;

  // Category ids in knowledge-base order.
  std::vector<std::string> Categories() const;

  // The language a query is written in, as Search() decides it.
  Language DetectLanguage(std::string_view query) const;

 private:
  struct Impl;
  explicit HelpCentre(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lahza::care
