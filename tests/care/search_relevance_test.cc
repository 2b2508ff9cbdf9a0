// Relevance of the help-centre search on a labelled query set written by us
// (tests/care/data/search_queries.tsv): Modern Standard Arabic, Egyptian
// colloquial, English and Franco-Arabic questions, each with the article a
// person asking it needs. Prints precision@1 and MRR overall and per dialect,
// and fails below floors set just under what the search achieves today, so a
// change that makes search worse is caught.
#include <gtest/gtest.h>

#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "care/help_centre.h"

namespace {

struct LabelledQuery {
  std::string query, expected, dialect;
};

std::vector<LabelledQuery> LoadQueries() {
  std::ifstream in(LAHZA_SEARCH_QUERIES);
  std::vector<LabelledQuery> queries;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::stringstream fields(line);
    LabelledQuery q;
    std::getline(fields, q.query, '\t');
    std::getline(fields, q.expected, '\t');
    std::getline(fields, q.dialect, '\t');
    queries.push_back(q);
  }
  return queries;
}

struct Score {
  int count = 0;
  int top1 = 0;
  double reciprocal = 0;
  double P1() const { return count ? static_cast<double>(top1) / count : 0; }
  double Mrr() const { return count ? reciprocal / count : 0; }
};

}  // namespace

TEST(SearchRelevance, LabelledQueriesMeetTheFloor) {
  const auto& centre = lahza::care::HelpCentre::Instance();
  std::vector<LabelledQuery> queries = LoadQueries();
  ASSERT_GE(queries.size(), 80u) << "the labelled set must stay at least 80 queries";
  Score total;
  std::map<std::string, Score> by_dialect;
  for (const LabelledQuery& q : queries) {
    ASSERT_TRUE(centre.Article(q.expected).ok()) << "unknown expected id " << q.expected;
    auto results = centre.Search(q.query, std::nullopt, 10);
    ASSERT_TRUE(results.ok()) << q.query << ": " << results.error().code;
    size_t rank = 0;
    for (size_t i = 0; i < results->hits.size(); ++i) {
      if (results->hits[i].article_id == q.expected) {
        rank = i + 1;
        break;
      }
    }
    for (Score* score : {&total, &by_dialect[q.dialect]}) {
      ++score->count;
      score->top1 += rank == 1;
      score->reciprocal += rank ? 1.0 / static_cast<double>(rank) : 0;
    }
    if (rank != 1) {
      std::cout << "  miss (rank " << (rank ? std::to_string(rank) : "-") << ") [" << q.dialect << "] " << q.query
                << " → want " << q.expected << ", got "
                << (results->hits.empty() ? "nothing" : results->hits[0].article_id) << "\n";
    }
  }
  std::cout << std::fixed << std::setprecision(3) << "search relevance: " << total.count
            << " queries  P@1 = " << total.P1() << "  MRR = " << total.Mrr() << "\n";
  for (const auto& [dialect, score] : by_dialect) {
    std::cout << "  " << dialect << ": " << score.count << " queries  P@1 = " << score.P1()
              << "  MRR = " << score.Mrr() << "\n";
  }
  // Measured at the time of writing: P@1 0.840, MRR 0.901 over 169 queries
  // (MSA 0.92, Egyptian 0.79, English 0.87, Franco 0.88 P@1); the last 20
  // queries were written after tuning and score lower (P@1 0.65, MRR 0.77),
  // which is the honest estimate for unseen questions. The floors sit just
  // under the measured values so a real regression fails.
  EXPECT_GE(total.P1(), 0.81);
  EXPECT_GE(total.Mrr(), 0.87);
  for (const auto& [dialect, score] : by_dialect) {
    EXPECT_GE(score.P1(), 0.75) << dialect;
  }
}
