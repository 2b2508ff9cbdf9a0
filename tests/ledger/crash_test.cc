// Crash test: a child process (ledger_crash_driver) applies transfers under
// load on SQLite and logs each acknowledged one; we SIGKILL it at random
// points, several times, restarting it on the same database. Afterwards every
// acknowledged transfer must be there with the acknowledged result, and the
// balances must reconcile with the transfers (CheckInvariants).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "ledger/ledger.h"
#include "store/test_stores.h"

namespace lahza::ledger {
namespace {

struct Ack {
  std::string id;
  int code = 0;
};

// Complete lines only: a kill can never split a write(2) this small, but a
// truncated last line would be no acknowledgement anyway.
std::vector<Ack> ReadAcks(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<Ack> acks;
  size_t start = 0;
  for (size_t end = all.find('\n'); end != std::string::npos; start = end + 1, end = all.find('\n', start)) {
    std::istringstream line(all.substr(start, end - start));
    Ack ack;
    line >> ack.id >> ack.code;
    acks.push_back(ack);
  }
  return acks;
}

// Bytes in the ack file (0 before the driver created it). The driver appends
// one whole line per write(2), so growth means a new acknowledgement.
uintmax_t AckFileSize(const std::string& path) {
  std::error_code error;
  const uintmax_t size = std::filesystem::file_size(path, error);
  return error ? 0 : size;
}

pid_t Spawn(const std::string& url, const std::string& ack_path, int seed) {
  pid_t pid = fork();
  if (pid == 0) {
    std::string seed_text = std::to_string(seed);
    execl(LAHZA_CRASH_DRIVER, LAHZA_CRASH_DRIVER, url.c_str(), ack_path.c_str(), seed_text.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

TEST(LedgerCrash, AcknowledgedTransfersSurviveSigkill) {
  const std::string url = store::FreshUrl("sqlite");
  ASSERT_FALSE(url.empty());
  const std::string ack_path = url.substr(std::string("sqlite:").size()) + ".acks";
  std::mt19937 random(std::random_device{}());
  constexpr int kKills = 6;
  size_t previous = 0;
  int rounds_with_progress = 0;
  for (int round = 0; round < kKills; ++round) {
    const uintmax_t round_start_bytes = AckFileSize(ack_path);
    pid_t pid = Spawn(url, ack_path, round);
    ASSERT_GT(pid, 0);
    // Round 0 dies early (during start-up, migration, funding). The others die
    // at a random point under load: a fixed delay from the spawn could end
    // before the first acknowledgement on a loaded machine (ASan, busy disk),
    // so wait for the driver to acknowledge something first.
    if (round == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(150));
    } else {
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
      while (AckFileSize(ack_path) <= round_start_bytes && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(random() % 1500));
    }
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    // Killed by us, not dead of its own accord (a failed replay check exits 2).
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "driver exited early with status " << (WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    size_t now = ReadAcks(ack_path).size();
    if (now > previous) ++rounds_with_progress;
    previous = now;
  }
  EXPECT_GE(rounds_with_progress, kKills - 2) << "the driver hardly ever got to acknowledge anything";

  auto store = store::Open(url);
  ASSERT_TRUE(store.ok());
  auto ledger = Ledger::Open(**store);
  ASSERT_TRUE(ledger.ok());
  std::vector<Ack> acks = ReadAcks(ack_path);
  ASSERT_GT(acks.size(), 1000u) << "too little load to mean anything";
  size_t ok = 0;
  for (const Ack& ack : acks) {
    auto record = (*ledger)->LookupTransfer(ack.id);
    ASSERT_TRUE(record.ok());
    ASSERT_TRUE(record->has_value()) << "acknowledged transfer " << ack.id << " was lost";
    ASSERT_EQ(static_cast<int>((*record)->result.code), ack.code) << ack.id;
    if (ack.code == 0) ++ok;
  }
  Status invariants = (*ledger)->CheckInvariants();
  EXPECT_TRUE(invariants.ok()) << invariants.error().detail;
  auto totals = (*ledger)->GetTotals();
  ASSERT_TRUE(totals.ok());
  EXPECT_EQ(totals->debits_posted, totals->credits_posted);
  EXPECT_EQ(totals->debits_pending, totals->credits_pending);
  // The bank funded ten customers with 10,000 EGP each, exactly once.
  auto bank = (*ledger)->LookupAccount(1);
  ASSERT_TRUE(bank.ok() && bank->has_value());
  EXPECT_EQ((*bank)->debits_posted, 10 * 1'000'000);
  std::printf("crash test: %d kills, %zu acknowledged transfers (%zu ok) all present, balances reconcile\n", kKills,
              acks.size(), ok);
}

}  // namespace
}  // namespace lahza::ledger
