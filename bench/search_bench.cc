// Help-centre search latency: one HelpCentre::Search() per labelled query
// (tests/care/data/search_queries.tsv: MSA, Egyptian, English, Franco-Arabic),
// cycled for --rounds after one warm-up round. Also times building the index
// at start-up. Prints p50/p90/p99/max per query. Target: p99 under 5 ms.
#include <CLI/CLI.hpp>

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "care/help_centre.h"

namespace {

std::vector<std::string> LoadQueries(const std::string& path) {
  std::vector<std::string> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    out.push_back(line.substr(0, line.find('\t')));
  }
  return out;
}

double Micros(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::micro>(d).count();
}

// CPU time of this thread: on a shared, overloaded machine the wall-clock
// tail is mostly time spent descheduled, which says nothing about search.
double ThreadCpuMicros() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

void Report(const char* what, std::vector<double>& micros) {
  std::sort(micros.begin(), micros.end());
  auto at = [&](double q) { return micros[std::min(micros.size() - 1, static_cast<size_t>(q * micros.size()))]; };
  double sum = 0;
  for (double m : micros) sum += m;
  std::printf("%-10s n=%zu  mean %.1f us  p50 %.1f us  p90 %.1f us  p99 %.1f us  max %.1f us  (%.0f queries/s on one thread)\n",
              what, micros.size(), sum / micros.size(), at(0.50), at(0.90), at(0.99), micros.back(),
              1e6 * micros.size() / sum);
  std::printf("%-10s target p99 < 5000 us: %s\n", what, at(0.99) < 5000 ? "met" : "NOT met");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Help-centre search latency"};
  int rounds = 20;
  size_t limit = 10;
  std::string queries_path = LAHZA_SEARCH_QUERIES;
  app.add_option("--rounds", rounds, "passes over the labelled queries")->check(CLI::PositiveNumber);
  app.add_option("--limit", limit, "results per query");
  app.add_option("--queries", queries_path, "TSV of queries (first column)");
  CLI11_PARSE(app, argc, argv);

  std::vector<std::string> queries = LoadQueries(queries_path);
  if (queries.empty()) {
    std::fprintf(stderr, "no queries in %s\n", queries_path.c_str());
    return 1;
  }
  auto start = std::chrono::steady_clock::now();
  const auto& centre = lahza::care::HelpCentre::Instance();
  std::printf("index build (parse %zu articles, index, spelling): %.1f ms\n", centre.Articles()->size(),
              Micros(std::chrono::steady_clock::now() - start) / 1000);

  size_t hits = 0;
  for (const std::string& q : queries) hits += centre.Search(q, std::nullopt, limit).ok();  // warm-up
  std::vector<double> wall, cpu;
  wall.reserve(queries.size() * static_cast<size_t>(rounds));
  cpu.reserve(wall.capacity());
  for (int round = 0; round < rounds; ++round) {
    for (const std::string& q : queries) {
      double c0 = ThreadCpuMicros();
      auto t0 = std::chrono::steady_clock::now();
      auto results = centre.Search(q, std::nullopt, limit);
      wall.push_back(Micros(std::chrono::steady_clock::now() - t0));
      cpu.push_back(ThreadCpuMicros() - c0);
      hits += results.ok() ? results->hits.size() : 0;
    }
  }
  std::printf("%zu queries x %d rounds, limit %zu\n", queries.size(), rounds, limit);
  Report("wall", wall);
  Report("thread-cpu", cpu);
  return hits > 0 ? 0 : 1;
}
