// lahza_ipn_bench — end-to-end transfers per second through the switch
// (limits, hold at the payer's bank, credit at the payee's, post, timeline,
// outbox; every step durable), with many client threads and optional faults;
// prints throughput, p50/p99/p99.9 latency of Send, the states reached, and
// then reconciles and closes a settlement window (its net must be zero).
//
//   lahza_ipn_bench                               # SQLite in a temp folder
//   lahza_ipn_bench --db postgresql://...         # an EMPTY PostgreSQL database/schema
//   lahza_ipn_bench --seconds 10 --threads 16 --faults
#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "ipn/switch.h"
#include "writer_stats.h"
#include "ledger/ledger.h"
#include "store/store.h"

using namespace lahza;
using Steady = std::chrono::steady_clock;

int main(int argc, char** argv) {
  CLI::App app{"Lahza switch benchmark"};
  double seconds = 5;
  int threads = 8;
  int accounts_per_bank = 50;
  bool faults = false;
  std::string url;
  app.add_option("--seconds", seconds, "how long to send");
  app.add_option("--threads", threads, "client threads");
  app.add_option("--accounts", accounts_per_bank, "customer accounts per bank");
  app.add_flag("--faults", faults, "QNB times out after debit, HSBC is slow (20 ms), BDC goes down now and then");
  app.add_option("--db", url, "store URL (default: SQLite in a temp folder)");
  CLI11_PARSE(app, argc, argv);

  std::filesystem::path dir;
  if (url.empty()) {
    dir = std::filesystem::temp_directory_path() / ("lahza-ipn-bench-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    url = "sqlite:" + (dir / "bench.db").string();
  }
  auto store = store::Open(url);
  if (!store.ok()) return std::fprintf(stderr, "open: %s %s\n", store.error().code.c_str(), store.error().detail.c_str()), 1;
  auto ledger = ledger::Ledger::Open(**store);
  if (!ledger.ok()) return std::fprintf(stderr, "ledger: %s\n", ledger.error().code.c_str()), 1;
  ipn::SwitchOptions options;
  options.policy.user_limits = ipn::Limits{1'000'000'000, 1'000'000'000'000, 1'000'000'000'000};
  auto opened = ipn::Switch::Open(**store, **ledger, options);
  if (!opened.ok()) return std::fprintf(stderr, "switch: %s\n", opened.error().code.c_str()), 1;
  ipn::Switch& sw = **opened;

  const std::vector<std::string> banks = {"NBE", "BM", "CIB", "QNB", "HSBC", "BDC"};
  std::vector<std::pair<std::string, std::string>> accounts;
  int mobile = 0;
  for (const auto& bank : banks) {
    for (int i = 0; i < accounts_per_bank; ++i) {
      std::string number = std::to_string(100000 + i);
      char phone[16];
      std::snprintf(phone, sizeof phone, "010%08d", mobile++);
      auto a = sw.institution(bank)->OpenAccount({number, "", "عميل", "Customer " + number, phone, 100'000'000});
      if (!a.ok()) return std::fprintf(stderr, "account: %s\n", a.error().code.c_str()), 1;
      accounts.emplace_back(bank, number);
    }
  }
  if (faults) {
    (void)sw.SetFault("QNB", ipn::Fault{ipn::Fault::Kind::kTimeoutAfterDebit, 0, true});
    (void)sw.SetFault("HSBC", ipn::Fault{ipn::Fault::Kind::kSlow, 20});
  }

  std::atomic<bool> stop{false};
  std::mutex merge;
  std::vector<int64_t> latencies;
  std::map<std::string, int64_t> states;
  int64_t errors = 0;
  std::vector<std::thread> workers;
  const auto writer_before = sw.writer_stats();
  auto start = Steady::now();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      std::mt19937_64 rng(t + 1);
      std::vector<int64_t> mine;
      std::map<std::string, int64_t> my_states;
      int64_t my_errors = 0;
      for (int64_t n = 0; !stop.load(std::memory_order_relaxed); ++n) {
        const auto& from = accounts[rng() % accounts.size()];
        const auto& to = accounts[rng() % accounts.size()];
        if (from == to) continue;
        ipn::SendRequest r;
        r.user_id = from.first + from.second;
        r.client_request_id = std::to_string(t) + "-" + std::to_string(n);
        r.payer_participant = from.first;
        r.payer_account = from.second;
        r.payee = ipn::PayeeId{ipn::PayeeKind::kAccountNumber, to.second, to.first};
        r.amount = 100 + static_cast<int64_t>(rng() % 100'000);
        auto begin = Steady::now();
        auto sent = sw.Send(r);
        mine.push_back(std::chrono::duration_cast<std::chrono::microseconds>(Steady::now() - begin).count());
        if (sent.ok()) ++my_states[std::string(ipn::StateName(sent->state))];
        else ++my_errors;
      }
      std::lock_guard lock(merge);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
      for (auto& [s, c] : my_states) states[s] += c;
      errors += my_errors;
    });
  }
  // Faults switched at run time while the load runs.
  while (Steady::now() - start < std::chrono::duration<double>(seconds)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    if (faults) {
      static bool down = false;
      down = !down;
      (void)sw.SetFault("BDC", down ? ipn::Fault{ipn::Fault::Kind::kDown} : ipn::Fault{});
    }
  }
  stop = true;
  for (auto& w : workers) w.join();
  const auto writer_after = sw.writer_stats();
  double elapsed = std::chrono::duration<double>(Steady::now() - start).count();
  (void)sw.SetFault("QNB", {});
  (void)sw.SetFault("BDC", {});
  (void)sw.SetFault("HSBC", {});

  std::sort(latencies.begin(), latencies.end());
  auto pct = [&](double p) {
    if (latencies.empty()) return 0.0;
    size_t i = std::min(latencies.size() - 1, static_cast<size_t>(p * latencies.size()));
    return latencies[i] / 1000.0;
  };
  std::printf("backend: %s, threads %d, %s\n", url.rfind("sqlite:", 0) == 0 ? "sqlite" : "postgres", threads,
              faults ? "faults on" : "no faults");
  std::printf("sends: %zu in %.2f s = %.0f transfers/s\n", latencies.size(), elapsed, latencies.size() / elapsed);
  std::printf("latency ms: p50 %.2f  p99 %.2f  p99.9 %.2f  max %.2f\n", pct(0.50), pct(0.99), pct(0.999), pct(1.0));
  lahza::bench::PrintWriterStats(writer_before, writer_after, elapsed);
  for (const auto& [s, c] : states) std::printf("  %-22s %lld\n", s.c_str(), static_cast<long long>(c));
  std::printf("  %-22s %lld\n", "errors", static_cast<long long>(errors));

  auto rec_start = Steady::now();
  auto report = sw.Reconcile();
  if (report.ok()) {
    std::printf("reconcile: %lld examined, %lld completed, %lld reversed in %.2f s\n",
                static_cast<long long>(report->examined), static_cast<long long>(report->completed),
                static_cast<long long>(report->reversed),
                std::chrono::duration<double>(Steady::now() - rec_start).count());
  }
  auto close_start = Steady::now();
  auto window = sw.CloseSettlementWindow();
  if (window.ok()) {
    std::printf("settlement window %lld closed in %.2f s, net sum %lld\n", static_cast<long long>(window->window_id),
                std::chrono::duration<double>(Steady::now() - close_start).count(),
                static_cast<long long>(window->net_sum));
  }
  auto check = (*ledger)->CheckInvariants();
  std::printf("ledger invariants: %s\n", check.ok() ? "ok" : check.error().detail.c_str());
  opened->reset();
  ledger->reset();
  store->reset();
  if (!dir.empty()) std::filesystem::remove_all(dir);
  return check.ok() ? 0 : 1;
}
