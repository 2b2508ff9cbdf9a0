// Triage latency: one Classify() call per customer text (features, model,
// entities, party/urgency) and one Advise() call, over the labelled texts in
// data/care (training corpus + held-out set) cycled for --iterations.
// Prints p50/p90/p99/p99.9/max per query. Target: p99 under 5 ms.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "care/channels.h"
#include "care/triage.h"

namespace {

std::vector<std::string> LoadTexts(const std::string& path) {
  std::vector<std::string> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t tab = line.find('\t');
    if (tab != std::string::npos) out.push_back(line.substr(tab + 1));
  }
  return out;
}

void Report(const char* what, std::vector<double>& micros) {
  std::sort(micros.begin(), micros.end());
  auto at = [&](double q) { return micros[std::min(micros.size() - 1, static_cast<size_t>(q * micros.size()))]; };
  double sum = 0;
  for (double m : micros) sum += m;
  std::printf("%-10s n=%zu  mean %.1f us  p50 %.1f us  p90 %.1f us  p99 %.1f us  p99.9 %.1f us  max %.1f us  (%.0f queries/s on one thread)\n",
              what, micros.size(), sum / micros.size(), at(0.50), at(0.90), at(0.99), at(0.999), micros.back(),
              1e6 * micros.size() / sum);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Triage and channel advice per-query latency"};
  int iterations = 20000;
  app.add_option("--iterations", iterations, "queries to time");
  CLI11_PARSE(app, argc, argv);

  std::vector<std::string> texts = LoadTexts(std::string(LAHZA_SOURCE_DIR) + "/data/care/triage_corpus.tsv");
  for (auto& t : LoadTexts(std::string(LAHZA_SOURCE_DIR) + "/data/care/triage_test.tsv")) texts.push_back(t);
  if (texts.empty()) {
    std::fprintf(stderr, "no texts found under %s/data/care\n", LAHZA_SOURCE_DIR);
    return 1;
  }
  lahza::SystemClock clock;
  using Clock = std::chrono::steady_clock;

  // First call parses the embedded model and directory: reported apart.
  auto t0 = Clock::now();
  auto first = lahza::care::Classify(texts[0], {}, clock.Now());
  (void)lahza::care::Advise(lahza::care::Category::kOther, lahza::care::Party::kAppSupport, std::nullopt, clock.Now());
  auto t1 = Clock::now();
  std::printf("cold start (model + directory load, first query): %.1f ms\n",
              std::chrono::duration<double, std::milli>(t1 - t0).count());
  if (!first.ok()) return 1;

  std::vector<double> classify, advise;
  classify.reserve(iterations);
  advise.reserve(iterations);
  size_t checksum = 0;
  for (int i = 0; i < iterations; ++i) {
    const std::string& text = texts[static_cast<size_t>(i) % texts.size()];
    const lahza::Instant now = clock.Now();
    auto a = Clock::now();
    auto result = lahza::care::Classify(text, {}, now);
    auto b = Clock::now();
    if (!result.ok()) continue;
    auto advice = lahza::care::Advise(result->category, result->party, result->institution, now);
    auto c = Clock::now();
    checksum += static_cast<size_t>(result->category) + advice.options.size();
    classify.push_back(std::chrono::duration<double, std::micro>(b - a).count());
    advise.push_back(std::chrono::duration<double, std::micro>(c - b).count());
  }
  std::printf("texts %zu (avg %.0f bytes), checksum %zu\n", texts.size(),
              [&] { double s = 0; for (auto& t : texts) s += t.size(); return s / texts.size(); }(), checksum);
  Report("classify", classify);
  Report("advise", advise);
  std::vector<double> total(classify.size());
  for (size_t i = 0; i < total.size(); ++i) total[i] = classify[i] + advise[i];
  Report("both", total);
  return 0;
}
