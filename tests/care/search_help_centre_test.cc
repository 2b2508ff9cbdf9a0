// Behaviours of the help centre beyond raw relevance: the knowledge base's
// shape, each search feature (normalisation, stemming, colloquial and Franco
// synonyms, spelling, snippets, language), and errors as values.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <thread>

#include "care/arabic.h"
#include "care/help_centre.h"
#include "core/messages.h"

using lahza::Language;
using lahza::care::HelpCentre;
using lahza::care::SearchHit;
using lahza::care::SearchResults;

namespace {

const HelpCentre& Centre() { return HelpCentre::Instance(); }

SearchResults MustSearch(std::string_view query, std::optional<Language> language = std::nullopt) {
  auto results = Centre().Search(query, language, 5);
  EXPECT_TRUE(results.ok()) << query;
  return results.ok() ? results.value() : SearchResults{};
}

std::string Top(std::string_view query) {
  SearchResults results = MustSearch(query);
  return results.hits.empty() ? "" : results.hits[0].article_id;
}

}  // namespace

TEST(HelpCentreData, AtLeastSixtyBilingualArticles) {
  auto articles = Centre().Articles();
  ASSERT_TRUE(articles.ok());
  EXPECT_GE(articles->size(), 60u);
  std::set<std::string> ids;
  for (const auto& article : *articles) {
    EXPECT_TRUE(ids.insert(article.id).second) << "duplicate " << article.id;
    EXPECT_TRUE(lahza::care::HasArabic(article.title_ar)) << article.id;
    EXPECT_TRUE(lahza::care::HasArabic(article.body_ar)) << article.id;
    EXPECT_FALSE(lahza::care::HasArabic(article.title_en)) << article.id;
    EXPECT_FALSE(lahza::care::HasArabic(article.body_en)) << article.id;
    EXPECT_GT(article.body_ar.size(), 150u) << article.id;
    EXPECT_GT(article.body_en.size(), 150u) << article.id;
  }
}

TEST(HelpCentreData, SchemeFactsAreStatedInBothLanguages) {
  auto limits = Centre().Article("limits");
  ASSERT_TRUE(limits.ok());
  for (const char* amount : {"70,000", "120,000", "400,000"}) {
    EXPECT_NE(limits->body_ar.find(amount), std::string::npos) << amount;
    EXPECT_NE(limits->body_en.find(amount), std::string::npos) << amount;
  }
  auto support = Centre().Article("contact-app-support");
  ASSERT_TRUE(support.ok());
  EXPECT_NE(support->body_ar.find("15989"), std::string::npos);
  EXPECT_NE(support->body_en.find("09:00"), std::string::npos);
  EXPECT_NE(support->body_en.find("21:00"), std::string::npos);
  auto ipa = Centre().Article("change-ipa");
  ASSERT_TRUE(ipa.ok());
  EXPECT_NE(ipa->body_en.find("cannot be changed"), std::string::npos);
}

TEST(HelpCentreData, CategoriesAndLookup) {
  std::vector<std::string> categories = Centre().Categories();
  EXPECT_NE(std::find(categories.begin(), categories.end(), "security"), categories.end());
  for (const std::string& category : categories) {
    auto articles = Centre().Articles(category);
    ASSERT_TRUE(articles.ok()) << category;
    for (const auto& article : *articles) EXPECT_EQ(article.category, category);
  }
  auto missing = Centre().Articles("no-such-section");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "help.category_unknown");
  auto article = Centre().Article("nope");
  ASSERT_FALSE(article.ok());
  EXPECT_EQ(article.error().code, "help.article_not_found");
}

TEST(HelpCentreErrors, EveryCodeHasAMessage) {
  for (const char* code : {"help.data_invalid", "help.query_empty", "help.query_too_long", "help.search_failed",
                           "help.article_not_found", "help.category_unknown"}) {
    auto message = lahza::FindMessage(code);
    ASSERT_TRUE(message.has_value()) << code;
    EXPECT_FALSE(message->ar.empty());
    EXPECT_FALSE(message->en.empty());
  }
}

TEST(HelpCentreErrors, BadQueriesAreValuesNotCrashes) {
  auto empty = Centre().Search("   ؟؟ ...");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code, "help.query_empty");
  auto long_query = Centre().Search(std::string(5000, 'a'));
  ASSERT_FALSE(long_query.ok());
  EXPECT_EQ(long_query.error().code, "help.query_too_long");
  // Invalid UTF-8 around a real word: the word is still found.
  auto broken = Centre().Search("\xFF\xFE" "iban\xC3");
  ASSERT_TRUE(broken.ok());
  ASSERT_FALSE(broken->hits.empty());
  EXPECT_EQ(broken->hits[0].article_id, "send-by-iban");
  // Only stopwords: a valid, empty answer.
  auto vague = Centre().Search("how do I");
  ASSERT_TRUE(vague.ok());
  EXPECT_TRUE(vague->hits.empty());
}

TEST(HelpCentreErrors, BuildRejectsMalformedData) {
  using lahza::EmbeddedFile;
  const char* synonyms = R"({"groups": [], "stopwords": {"ar": [], "eg": [], "en": [], "franco": []}})";
  auto no_articles = HelpCentre::Build({EmbeddedFile{"data/care/synonyms.json", synonyms}});
  ASSERT_FALSE(no_articles.ok());
  EXPECT_EQ(no_articles.error().code, "help.data_invalid");
  auto bad_json = HelpCentre::Build(
      {EmbeddedFile{"data/care/synonyms.json", synonyms}, EmbeddedFile{"data/care/articles/01-x.json", "{not json"}});
  ASSERT_FALSE(bad_json.ok());
  EXPECT_NE(bad_json.error().detail.find("01-x.json"), std::string::npos);
  const char* english_in_arabic =
      R"({"id": "x", "category": "c", "title_ar": "Title", "title_en": "Title", "body_ar": "Body", "body_en": "Body", "keywords": []})";
  auto not_arabic = HelpCentre::Build({EmbeddedFile{"data/care/synonyms.json", synonyms},
                                       EmbeddedFile{"data/care/articles/01-x.json", english_in_arabic}});
  ASSERT_FALSE(not_arabic.ok());
  EXPECT_EQ(not_arabic.error().code, "help.data_invalid");
}

TEST(HelpCentreSearch, NormalisationMakesSpellingVariantsEqual) {
  // Hamza forms, ta marbuta, tashkeel, tatweel and Arabic-Indic digits.
  EXPECT_EQ(Top("نسيت الرقم السري"), Top("نَسِيتُ الرَّقْمَ السِّرِّيَّ"));
  EXPECT_EQ(Top("حوالة معلقة"), Top("حواله معلقه"));
  EXPECT_EQ(Top("الإيصال"), Top("الايصال"));
  EXPECT_EQ(Top("التحويـــل فشل"), Top("التحويل فشل"));
  EXPECT_EQ(Top("١٥٩٨٩"), "contact-app-support");
}

TEST(HelpCentreSearch, ArabicStemmerMatchesInflections) {
  // Neither "بالفلوس" nor "التحويلات" appears in this form in any article.
  EXPECT_EQ(Top("رسوم التحويلات"), "fees");
  EXPECT_EQ(Top("الحسابات البنكية والربط"), Top("ربط حساب بنكي"));
}

TEST(HelpCentreSearch, EnglishStemmerMatchesInflections) {
  EXPECT_EQ(Top("donating"), "donations");
  EXPECT_EQ(Top("refunds"), "reversal-time");
}

TEST(HelpCentreSearch, EgyptianColloquialReachesTheMsaArticle) {
  // "اتخصمت" / "مبعتتش" are not in the MSA articles; the synonym table and
  // the colloquial negation rule carry them to "خصم" / "لم يرسل".
  EXPECT_EQ(Top("الفلوس اتخصمت ومبعتتش"), "debited-not-received");
  EXPECT_EQ(Top("الحساب اتقفل"), "account-locked");
}

TEST(HelpCentreSearch, FrancoArabicIsUnderstoodAndAnsweredInArabic) {
  SearchResults results = MustSearch("el flos et5asamet w mawsaltsh");
  ASSERT_FALSE(results.hits.empty());
  EXPECT_EQ(results.hits[0].article_id, "debited-not-received");
  EXPECT_EQ(results.language, Language::kArabic);
  EXPECT_TRUE(lahza::care::HasArabic(results.hits[0].title));
  EXPECT_EQ(Top("nseet el pin"), "forgot-pin");
  EXPECT_EQ(Top("el otp mesh wasel"), "otp-not-arriving");
}

TEST(HelpCentreSearch, ResultsFollowTheQueryLanguageOrTheOneAsked) {
  SearchResults english = MustSearch("forgot my pin");
  EXPECT_EQ(english.language, Language::kEnglish);
  ASSERT_FALSE(english.hits.empty());
  EXPECT_EQ(english.hits[0].title, Centre().Article("forgot-pin")->title_en);
  SearchResults arabic = MustSearch("نسيت الرقم السري");
  EXPECT_EQ(arabic.language, Language::kArabic);
  EXPECT_EQ(arabic.hits[0].title, Centre().Article("forgot-pin")->title_ar);
  SearchResults forced = MustSearch("نسيت الرقم السري", Language::kEnglish);
  EXPECT_EQ(forced.hits[0].title, Centre().Article("forgot-pin")->title_en);
}

TEST(HelpCentreSearch, SpellingSuggestionCorrectsTypos) {
  SearchResults results = MustSearch("trnasfer limt");
  ASSERT_TRUE(results.suggestion.has_value());
  EXPECT_EQ(*results.suggestion, "transfer limit");
  ASSERT_FALSE(results.hits.empty());
  EXPECT_EQ(results.hits[0].article_id, "limits");
  SearchResults arabic = MustSearch("الرقم السرى نسييت");
  ASSERT_TRUE(arabic.suggestion.has_value());
  EXPECT_NE(arabic.suggestion->find("نسيت"), std::string::npos);
  // Correct queries get no suggestion.
  EXPECT_FALSE(MustSearch("transfer limit").suggestion.has_value());
}

TEST(HelpCentreSearch, SnippetsHighlightMatchesInContext) {
  SearchResults results = MustSearch("IBAN");
  ASSERT_FALSE(results.hits.empty());
  const SearchHit& hit = results.hits[0];
  ASSERT_FALSE(hit.highlights.empty());
  for (const auto& [begin, length] : hit.highlights) {
    ASSERT_LE(begin + length, hit.snippet.size());
    EXPECT_EQ(lahza::care::NormaliseText(hit.snippet.substr(begin, length)), "iban");
  }
  std::string html = lahza::care::SnippetHtml(hit);
  EXPECT_NE(html.find("<mark>IBAN</mark>"), std::string::npos);

  SearchResults arabic = MustSearch("الرقم المرجعي");
  ASSERT_FALSE(arabic.hits.empty());
  ASSERT_FALSE(arabic.hits[0].highlights.empty());
  EXPECT_TRUE(lahza::care::HasArabic(arabic.hits[0].snippet));
}

TEST(HelpCentreSearch, SnippetHtmlEscapesText) {
  SearchHit hit;
  hit.snippet = "a <b> & c";
  hit.highlights = {{3, 1}, {100, 2}};  // the second range is out of bounds and ignored
  EXPECT_EQ(lahza::care::SnippetHtml(hit), "a &lt;<mark>b</mark>&gt; &amp; c");
}

TEST(HelpCentreSearch, LimitAndRankingOrder) {
  auto results = Centre().Search("transfer", std::nullopt, 3);
  ASSERT_TRUE(results.ok());
  EXPECT_LE(results->hits.size(), 3u);
  for (size_t i = 1; i < results->hits.size(); ++i) EXPECT_GE(results->hits[i - 1].score, results->hits[i].score);
}

TEST(HelpCentreSearch, ConcurrentSearchesAreSafe) {
  std::vector<std::thread> threads;
  std::vector<std::string> tops(4);
  const char* queries[] = {"nseet el pin", "الفلوس اتخصمت", "limit exceeded", "رقم خدمة العملاء"};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        auto results = Centre().Search(queries[t]);
        if (results.ok() && !results->hits.empty()) tops[t] = results->hits[0].article_id;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(tops[t], Top(queries[t])) << queries[t];
}

// Whatever bytes arrive from the web box, search answers with a value.
TEST(HelpCentreSearch, RandomBytesNeverCrash) {
  std::mt19937 rng(7);
  const std::string alphabet[] = {"ا", "ل", "ف", "و", "س", "ة", "ى", "أ", "\xD9\x8E", "ـ", "٣", "a", "7", "3", " ",
                                  "@", "?", "\xFF", "\xD8", "\xE2\x80\x8F", "el", "flos", "pin", "،"};
  for (int round = 0; round < 500; ++round) {
    std::string query;
    size_t pieces = rng() % 40;
    for (size_t i = 0; i < pieces; ++i) {
      query += (rng() % 4 == 0) ? std::string(1, static_cast<char>(rng() % 256)) : alphabet[rng() % std::size(alphabet)];
    }
    auto results = Centre().Search(query, std::nullopt, 1 + rng() % 20);
    if (!results.ok()) {
      EXPECT_TRUE(results.error().code == "help.query_empty" || results.error().code == "help.query_too_long")
          << results.error().code;
      continue;
    }
    for (const SearchHit& hit : results->hits) {
      EXPECT_EQ(lahza::care::SanitiseUtf8(hit.snippet), hit.snippet);
      for (const auto& [begin, length] : hit.highlights) EXPECT_LE(begin + length, hit.snippet.size());
    }
    if (results->suggestion) {
      EXPECT_EQ(lahza::care::SanitiseUtf8(*results->suggestion), *results->suggestion);
    }
  }
}
