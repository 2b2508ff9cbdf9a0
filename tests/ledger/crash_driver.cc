// ledger_crash_driver URL ACK_FILE SEED — applies transfers under load until
// it is killed (SIGKILL, by crash_test.cc). After each transfer's future is
// ready (its batch is durable) it appends "ID CODE\n" to ACK_FILE with one
// write(2), so the file lists only acknowledged transfers: the parent checks
// every one of them survived. Exits by itself after 30 s as a safety net.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "ledger/ledger.h"

using namespace lahza;
using namespace lahza::ledger;

namespace {

constexpr int64_t kBank = 1;
constexpr int kCustomers = 10;
constexpr int kThreads = 4;
constexpr int kWindow = 64;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "crash driver: %s\n", what.c_str());
  std::_Exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) Die("usage: ledger_crash_driver URL ACK_FILE SEED");
  const std::string url = argv[1];
  const int ack_fd = ::open(argv[2], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (ack_fd < 0) Die("cannot open ack file");
  const std::string seed = argv[3];

  auto store = store::Open(url);
  if (!store.ok()) Die(store.error().code + " " + store.error().detail);
  auto opened = Ledger::Open(**store);
  if (!opened.ok()) Die(opened.error().code + " " + opened.error().detail);
  Ledger& ledger = **opened;

  std::vector<Account> accounts;
  Account bank;
  bank.id = kBank;
  bank.owner = "CBE";
  accounts.push_back(bank);
  for (int i = 0; i < kCustomers; ++i) {
    Account a;
    a.id = 100 + i;
    a.owner = "NBE";
    a.flags = account_flags::kDebitsMustNotExceedCredits;
    accounts.push_back(a);
  }
  auto created = ledger.CreateAccounts(accounts);
  if (!created.ok()) Die(created.error().code);
  // Funding is idempotent: every run submits the same ids; only the first applies.
  std::vector<Transfer> funding;
  for (int i = 0; i < kCustomers; ++i) {
    Transfer t;
    t.id = "fund-" + std::to_string(100 + i);
    t.debit_account_id = kBank;
    t.credit_account_id = 100 + i;
    t.amount = 1'000'000;
    funding.push_back(t);
  }
  if (!ledger.CreateTransfers(funding).ok()) Die("funding failed");

  std::mutex ack_mutex;
  auto ack = [&](const std::string& id, TransferCode code) {
    std::string line = id + " " + std::to_string(static_cast<int>(code)) + "\n";
    std::lock_guard lock(ack_mutex);
    if (::write(ack_fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) Die("ack write failed");
  };

  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int th = 0; th < kThreads; ++th) {
    threads.emplace_back([&, th] {
      std::mt19937_64 random(std::hash<std::string>{}(seed) + th);
      std::string prefix = "s" + seed + "-" + std::to_string(th) + "-";
      struct InFlight {
        Transfer transfer;
        bool retry = false;
        TransferCode first = TransferCode::kOk;
        std::future<Result<TransferResult>> result;
      };
      std::vector<InFlight> window;
      std::vector<std::pair<Transfer, TransferCode>> acked;  // recent, for retries
      for (int64_t n = 0; !stop; ++n) {
        if (n % 7 == 6 && !acked.empty()) {
          // A retry of an acknowledged transfer: it must replay the first result.
          auto& [earlier, code] = acked[random() % acked.size()];
          window.push_back(InFlight{earlier, true, code, ledger.Submit(earlier)});
        } else {
          Transfer t;
          t.id = prefix + std::to_string(n);
          t.user_data = "IR-crash";
          if (n % 7 == 1) {  // post or void the previous hold (it may have expired)
            t.flags = random() % 2 ? transfer_flags::kPostPending : transfer_flags::kVoidPending;
            t.pending_id = prefix + std::to_string(n - 1);
          } else {
            t.debit_account_id = 100 + static_cast<int64_t>(random() % kCustomers);
            t.credit_account_id =
                100 + static_cast<int64_t>((t.debit_account_id - 100 + 1 + random() % (kCustomers - 1)) % kCustomers);
            t.amount = 1 + static_cast<int64_t>(random() % 300'000);
            if (n % 7 == 0) {  // a hold that may expire by itself
              t.flags = transfer_flags::kPending;
              t.timeout_seconds = 1 + static_cast<int64_t>(random() % 2);
            }
          }
          window.push_back(InFlight{t, false, TransferCode::kOk, ledger.Submit(t)});
        }
        if (window.size() < kWindow) continue;
        for (InFlight& f : window) {
          auto r = f.result.get();
          if (!r.ok()) continue;  // not applied (store error): not acknowledged
          if (f.retry) {
            if (!r->replayed || r->code != f.first) Die("retry of " + f.transfer.id + " was not a replay");
            continue;
          }
          ack(f.transfer.id, r->code);
          if (acked.size() < 256) {
            acked.emplace_back(f.transfer, r->code);
          } else {
            acked[random() % acked.size()] = {f.transfer, r->code};
          }
        }
        window.clear();
      }
    });
  }
  std::thread expirer([&] {
    while (!stop) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      (void)ledger.ExpireHolds();
    }
  });
  std::this_thread::sleep_for(std::chrono::seconds(30));
  stop = true;
  for (auto& t : threads) t.join();
  expirer.join();
  return 0;
}
