// lahza_ledger_bench — durable transfers per second through the ledger's group
// commit, in-process, with many submitting threads; prints throughput, the
// committer's mean batch size, and p50/p99/p99.9 latency from Submit to the
// durable acknowledgement (which includes the commit's fsync).
//
//   lahza_ledger_bench                         # SQLite in a temp folder
//   lahza_ledger_bench --pg postgresql://...   # also PostgreSQL (or env LAHZA_BENCH_PG_URL)
//   lahza_ledger_bench --seconds 10 --threads 16 --window 512 --accounts 100000
//
// Every transfer is a real, individually checked transfer between customer
// accounts that may not go negative (debits must not exceed credits), with
// a hold + post pair in every tenth slot so two-phase transfers are in the mix.
#include <CLI/CLI.hpp>
#include <sys/resource.h>

#include <fstream>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <semaphore>
#include <string>
#include <thread>
#include <vector>

#include "ledger/ledger.h"

using namespace lahza;
using namespace lahza::ledger;
using Clock = std::chrono::steady_clock;

namespace {

struct Config {
  double seconds = 5;
  int threads = 8;
  int window = 2048;  // transfers in flight per thread (8 x 2048: full 8k batches)
  int accounts = 1'000;
  size_t max_batch = 8192;
};

struct Outcome {
  int64_t acknowledged = 0;
  int64_t ok = 0;
  int64_t failed = 0;
  int64_t errors = 0;
  double seconds = 0;
  std::vector<int64_t> latencies_us;
  Ledger::Stats stats;
};

// Process CPU seconds (all threads), to tell a CPU-bound run from a machine
// that is busy with something else.
double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// Bytes this process caused to be written to storage (/proc/self/io).
int64_t WrittenBytes() {
  std::ifstream io("/proc/self/io");
  std::string key;
  int64_t value = 0;
  while (io >> key >> value) {
    if (key == "write_bytes:") return value;
  }
  return 0;
}

// "<run>-<16-digit sequence>": sortable, unique across threads.
std::string NextId(const std::string& run_id) {
  static std::atomic<int64_t> sequence{0};
  char digits[24];
  std::snprintf(digits, sizeof digits, "%016lld", static_cast<long long>(sequence.fetch_add(1)));
  return run_id + "-" + digits;
}

int64_t Percentile(std::vector<int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t index = std::min(sorted.size() - 1, static_cast<size_t>(p * static_cast<double>(sorted.size())));
  return sorted[index];
}

bool Setup(Ledger& ledger, const Config& config) {
  std::vector<Account> accounts;
  Account bank;
  bank.id = 1;
  bank.owner = "CBE";
  accounts.push_back(bank);
  for (int i = 0; i < config.accounts; ++i) {
    Account a;
    a.id = 1000 + i;
    a.owner = "NBE";
    a.flags = account_flags::kDebitsMustNotExceedCredits;
    accounts.push_back(a);
  }
  for (size_t start = 0; start < accounts.size(); start += 8192) {
    size_t n = std::min<size_t>(8192, accounts.size() - start);
    auto created = ledger.CreateAccounts(std::span<const Account>(accounts.data() + start, n));
    if (!created.ok()) {
      std::fprintf(stderr, "create accounts: %s %s\n", created.error().code.c_str(), created.error().detail.c_str());
      return false;
    }
  }
  std::vector<Transfer> funding;
  for (int i = 0; i < config.accounts; ++i) {
    Transfer t;
    t.id = "fund-" + std::to_string(i);
    t.debit_account_id = 1;
    t.credit_account_id = 1000 + i;
    t.amount = 1'000'000'000;  // 10 million EGP each: transfers rarely fail for lack of funds
    funding.push_back(std::move(t));
  }
  auto funded = ledger.CreateTransfers(funding);
  return funded.ok();
}

Outcome Run(Ledger& ledger, const Config& config, const std::string& run_id) {
  Outcome outcome;
  std::atomic<int64_t> ok{0}, failed{0}, errors{0};
  // Latencies are written by the committer thread only (callbacks run there).
  std::vector<int64_t> latencies;
  latencies.reserve(4'000'000);
  std::atomic<bool> stop{false};
  const auto started = Clock::now();
  std::vector<std::thread> threads;
  std::vector<std::unique_ptr<std::counting_semaphore<>>> windows;
  for (int th = 0; th < config.threads; ++th) windows.push_back(std::make_unique<std::counting_semaphore<>>(config.window));
  for (int th = 0; th < config.threads; ++th) {
    threads.emplace_back([&, th] {
      std::mt19937_64 random(th * 7919 + 1);
      auto& window = *windows[th];
      std::string previous_id;
      for (int64_t n = 0; !stop.load(std::memory_order_relaxed); ++n) {
        window.acquire();
        Transfer t;
        // Time-ordered ids (as TigerBeetle recommends ULIDs): new rows land at
        // the end of the id index instead of on a random page each.
        t.id = NextId(run_id);
        t.code = 1;
        t.user_data = "IR-BENCH";
        if (n % 10 == 1) {  // post the hold made in the previous slot
          t.flags = transfer_flags::kPostPending;
          t.pending_id = previous_id;
        } else {
          t.debit_account_id = 1000 + static_cast<int64_t>(random() % config.accounts);
          t.credit_account_id =
              1000 + static_cast<int64_t>((t.debit_account_id - 1000 + 1 + random() % (config.accounts - 1)) %
                                          config.accounts);
          t.amount = 1 + static_cast<int64_t>(random() % 100'000);
          if (n % 10 == 0) {
            t.flags = transfer_flags::kPending;
            t.timeout_seconds = 600;
          }
        }
        previous_id = t.id;
        const auto submitted = Clock::now();
        ledger.SubmitAsync(std::move(t), [&, submitted](Result<TransferResult> r) {
          latencies.push_back(
              std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - submitted).count());
          if (!r.ok()) {
            errors.fetch_add(1, std::memory_order_relaxed);
          } else if (r->ok()) {
            ok.fetch_add(1, std::memory_order_relaxed);
          } else {
            failed.fetch_add(1, std::memory_order_relaxed);
          }
          window.release();
        });
      }
      // Wait for this thread's in-flight transfers.
      for (int i = 0; i < config.window; ++i) window.acquire();
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(config.seconds));
  stop = true;
  for (auto& t : threads) t.join();
  outcome.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  outcome.ok = ok;
  outcome.failed = failed;
  outcome.errors = errors;
  outcome.acknowledged = outcome.ok + outcome.failed;
  outcome.latencies_us = std::move(latencies);
  outcome.stats = ledger.stats();
  return outcome;
}

int Bench(const std::string& label, const std::string& url, const Config& config) {
  auto store = store::Open(url);
  if (!store.ok()) {
    std::fprintf(stderr, "%s: %s %s\n", label.c_str(), store.error().code.c_str(), store.error().detail.c_str());
    return 1;
  }
  Options options;
  options.max_batch = config.max_batch;
  // Written by the committer thread, read after the run.
  std::vector<BatchReport> reports;
  reports.reserve(100'000);
  bool recording = false;
  options.on_batch = [&](const BatchReport& report) {
    if (recording) reports.push_back(report);
  };
  auto ledger = Ledger::Open(**store, options);
  if (!ledger.ok()) {
    std::fprintf(stderr, "%s: %s %s\n", label.c_str(), ledger.error().code.c_str(), ledger.error().detail.c_str());
    return 1;
  }
  if (!Setup(**ledger, config)) {
    std::fprintf(stderr, "%s: setup failed\n", label.c_str());
    return 1;
  }
  recording = true;
  const auto before = (*ledger)->stats();
  const double cpu_before = CpuSeconds();
  const int64_t written_before = WrittenBytes();
  const std::string run_id = "r" + std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
  Outcome outcome = Run(**ledger, config, run_id);
  const double cpu = CpuSeconds() - cpu_before;
  recording = false;
  const int64_t written = WrittenBytes() - written_before;
  std::sort(outcome.latencies_us.begin(), outcome.latencies_us.end());
  const int64_t batches = outcome.stats.batches - before.batches;
  const int64_t transfers = outcome.stats.transfers - before.transfers;
  std::printf("%-10s %9.0f durable transfers/s  (%lld in %.2f s: %lld ok, %lld refused, %lld errors)\n",
              label.c_str(), static_cast<double>(outcome.acknowledged) / outcome.seconds,
              static_cast<long long>(outcome.acknowledged), outcome.seconds, static_cast<long long>(outcome.ok),
              static_cast<long long>(outcome.failed), static_cast<long long>(outcome.errors));
  std::printf("%-10s latency submit->durable ack: p50 %.2f ms  p99 %.2f ms  p99.9 %.2f ms;  %lld commits, mean batch %.0f\n",
              label.c_str(), Percentile(outcome.latencies_us, 0.50) / 1000.0,
              Percentile(outcome.latencies_us, 0.99) / 1000.0, Percentile(outcome.latencies_us, 0.999) / 1000.0,
              static_cast<long long>(batches), batches ? static_cast<double>(transfers) / batches : 0.0);
  std::printf("%-10s process CPU %.1f us per transfer (%.0f%% of one core, all threads);  %.0f bytes written per transfer\n",
              label.c_str(), outcome.acknowledged ? cpu * 1e6 / static_cast<double>(outcome.acknowledged) : 0.0,
              100.0 * cpu / outcome.seconds,
              outcome.acknowledged ? static_cast<double>(written) / static_cast<double>(outcome.acknowledged) : 0.0);
  if (!reports.empty()) {
    std::vector<int64_t> commit_latency;  // one store transaction: begin .. durable
    int64_t committer_cpu = 0, fsync = 0, batched = 0;
    for (const BatchReport& r : reports) {
      commit_latency.push_back(r.apply_us + r.commit_us);
      committer_cpu += r.committer_cpu_us;
      fsync += r.commit_us;
      batched += r.transfers;
    }
    std::sort(commit_latency.begin(), commit_latency.end());
    std::printf("%-10s commit latency (one batch, begin..fsync done): p50 %.2f ms  p99 %.2f ms;  COMMIT alone %.2f ms avg\n",
                label.c_str(), Percentile(commit_latency, 0.50) / 1000.0, Percentile(commit_latency, 0.99) / 1000.0,
                static_cast<double>(fsync) / static_cast<double>(reports.size()) / 1000.0);
    // The committer is the serial part: with a core of its own and the same
    // fsync times, it could sustain this many transfers per second.
    // (For PostgreSQL the database works in its own processes, so this is
    // only the client side's share and no estimate is printed.)
    const bool in_process = label == "sqlite";
    std::printf("%-10s committer CPU %.2f us per transfer", label.c_str(),
                static_cast<double>(committer_cpu) / static_cast<double>(batched));
    if (in_process) {
      std::printf(" -> %.0f transfers/s if it had a core to itself",
                  static_cast<double>(batched) * 1e6 / static_cast<double>(committer_cpu + fsync));
    }
    std::printf("\n");
  }
  std::fflush(stdout);
  auto invariants = (*ledger)->CheckInvariants();
  if (!invariants.ok()) {
    std::fprintf(stderr, "%s: INVARIANT VIOLATED: %s\n", label.c_str(), invariants.error().detail.c_str());
    return 1;
  }
  std::printf("%-10s invariants hold (debits == credits, limits, balances == sum of transfers)\n", label.c_str());
  return outcome.errors == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Config config;
  std::string pg_url;
  std::string sqlite_path;
  bool skip_sqlite = false;
  CLI::App app{"Lahza ledger benchmark: durable transfers/s and commit latency"};
  app.add_option("--seconds", config.seconds, "measured duration per backend");
  app.add_option("--threads", config.threads, "submitting threads");
  app.add_option("--window", config.window, "transfers in flight per thread");
  app.add_option("--accounts", config.accounts, "customer accounts");
  app.add_option("--max-batch", config.max_batch, "most transfers per commit");
  app.add_option("--pg", pg_url, "PostgreSQL URL (default: env LAHZA_BENCH_PG_URL)");
  app.add_option("--sqlite", sqlite_path, "SQLite file (default: a new temp file)");
  app.add_flag("--no-sqlite", skip_sqlite, "only PostgreSQL");
  CLI11_PARSE(app, argc, argv);
  if (config.accounts < 2 || config.threads < 1 || config.window < 1) {
    std::fprintf(stderr, "need at least 2 accounts, 1 thread, window 1\n");
    return 2;
  }
  if (pg_url.empty()) {
    if (const char* env = std::getenv("LAHZA_BENCH_PG_URL")) pg_url = env;
  }
  std::printf("ledger bench: %d threads x %d in flight, %d accounts, max batch %zu, %.0f s, %u cores\n",
              config.threads, config.window, config.accounts, config.max_batch, config.seconds,
              std::thread::hardware_concurrency());
  int status = 0;
  if (!skip_sqlite) {
    std::filesystem::path dir;
    if (sqlite_path.empty()) {
      dir = std::filesystem::temp_directory_path() /
            ("lahza-ledger-bench-" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
      std::filesystem::create_directories(dir);
      sqlite_path = (dir / "ledger.db").string();
    }
    status |= Bench("sqlite", "sqlite:" + sqlite_path, config);
    if (!dir.empty()) std::filesystem::remove_all(dir);
  }
  if (!pg_url.empty()) status |= Bench("postgres", pg_url, config);
  return status;
}
