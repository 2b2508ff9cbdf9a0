// The bank test (in the spirit of Jepsen's): concurrent clients send money
// between customers through the HTTP API of a real `lahza serve` process
// while participants fail (down, reject, time out after the debit with or
// without the credit landing) and the server is SIGKILLed and restarted.
// Every request carries a client_request_id and is retried with the same id
// until it gets an answer, so each attempt has exactly one outcome.
//
// At the end, on a clean restart with the reconciler running:
//  - every acknowledged transfer is completed or reversed (nothing stuck);
//  - retrying a request id never produced a second transfer (one IR per id);
//  - each customer's balance is exactly opening - sent(completed, with fee)
//    + received(completed): no piastre created or lost;
//  - the ledger's invariants hold and no hold is pending;
//  - the settlement window closes with net positions summing to zero.
// Durations come from the environment so bench/bank_test.sh can run it long:
// LAHZA_BANK_SECONDS (default 15), LAHZA_BANK_CLIENTS (6),
// LAHZA_BANK_KILL_MS (3000). LAHZA_BANK_DB picks the database (default: a
// fresh SQLite file; a postgresql:// URL works too).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <set>

#include "books.h"
#include "cluster.h"
#include "ipn/switch.h"
#include "ledger/ledger.h"
#include "store/store.h"

namespace lahza::reliability {
namespace {

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : fallback;
}

struct Customer {
  std::string mobile;  // national form, 01xxxxxxxxx
  std::string bank;
  std::string account;
  std::string token;
  int64_t opening = 0;
};

struct Attempt {
  std::string request_id;
  int from = 0, to = 0;
  int64_t amount = 0;
  std::string ir;  // empty: no transfer was created
  bool acknowledged = false;
  std::string state_at_ack;
  bool pending = false;
};

TEST(BankTest, AcknowledgedTransfersCompleteOrReverseAndMoneyIsConserved) {
  const int seconds = EnvInt("LAHZA_BANK_SECONDS", 15);
  const int clients = EnvInt("LAHZA_BANK_CLIENTS", 6);
  const int kill_ms = EnvInt("LAHZA_BANK_KILL_MS", 3000);
  std::string db;
  std::filesystem::path dir;
  if (const char* url = std::getenv("LAHZA_BANK_DB"); url && *url) {
    db = url;
  } else {
    char pattern[] = "/tmp/lahza-bank-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir = pattern;
    db = "sqlite:" + (dir / "bank.db").string();
  }

  ServeProcess server;
  ASSERT_TRUE(server.Start(db)) << "lahza serve did not start on " << db;
  std::atomic<uint16_t> port{server.port()};

  // Customers at four banks, each with EGP 5,000.
  const std::vector<std::string> banks = {"NBE", "CIB", "BM", "QNB"};
  std::vector<Customer> customers;
  {
    // Registration is rate-limited per IP (OTP sends); a restart clears the
    // in-memory budget, so onboard in groups of four.
    for (int i = 0; i < 8; ++i) {
      if (i > 0 && i % 4 == 0) {
        ASSERT_TRUE(server.Stop()) << "lahza serve did not exit cleanly on SIGTERM:\n" << server.Log();
        ASSERT_TRUE(server.Start(db));
        port = server.port();
      }
      Client admin(port);
      Customer c;
      char mobile[16];
      std::snprintf(mobile, sizeof mobile, "0101%07d", 2000 + i);
      c.mobile = mobile;
      c.bank = banks[i % banks.size()];
      c.account = "88" + std::to_string(100000 + i);
      c.opening = 500'000;
      std::string why;
      c.token = admin.Onboard(c.mobile, NationalId(i), c.bank, c.account, "Customer " + std::to_string(i),
                              c.opening, "246810", &why);
      ASSERT_FALSE(c.token.empty()) << why;
      customers.push_back(c);
    }
  }

  std::atomic<bool> stop{false};
  std::atomic<int> kills{0};
  std::mutex mutex;
  std::vector<Attempt> attempts;
  std::atomic<int64_t> tried{0};

  // The client loop. Requests are retried with the same id until the server
  // gives a definite answer; status 0 means it died mid-request.
  auto client_loop = [&](int index) {
    std::mt19937_64 rng(1000 + index);
    Client client(port);
    for (int n = 0; !stop; ++n) {
      Attempt a;
      a.request_id = "bank-" + std::to_string(index) + "-" + std::to_string(n);
      a.from = static_cast<int>(rng() % customers.size());
      a.to = static_cast<int>((a.from + 1 + rng() % (customers.size() - 1)) % customers.size());
      a.amount = 100 + static_cast<int64_t>(rng() % 30'000);  // EGP 1 .. 301
      ++tried;
      json body = {{"kind", "mobile"}, {"value", customers[a.to].mobile}, {"amount", a.amount},
                   {"pin", "246810"}, {"client_request_id", a.request_id}};
      Reply reply;
      for (int retry = 0; retry < 600; ++retry) {
        client.Retarget(port);
        reply = client.Call("POST", "/api/v1/payments/send", body, customers[a.from].token);
        // 0: server gone; 429: our own request rate; 503: busy (store.busy) — all retried.
        if (reply.status != 0 && reply.status != 429 && reply.status != 503) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(reply.status == 429 ? 500 : 50));
      }
      // A 201 carries the transfer as the switch left it; one already
      // rejected or failed (a participant refused, down) is a declined
      // attempt with an IR, anything else was accepted: acknowledged.
      if (reply.status == 201) {
        a.ir = reply.body.value("ir", "");
        const std::string s = reply.body.value("state", "");
        // "initiated" is the answer to a retry whose first attempt the
        // SIGKILL interrupted before any debit: pending, not yet accepted;
        // reconciliation finishes it (normally cancelled, nothing taken).
        a.acknowledged = s != "rejected" && s != "failed" && s != "initiated";
        a.pending = s == "initiated";
        a.state_at_ack = s;
      }
      std::lock_guard lock(mutex);
      attempts.push_back(a);
    }
  };

  // Participants fail and recover.
  auto fault_loop = [&] {
    std::mt19937_64 rng(7);
    Client admin(port);
    const std::vector<json> faults = {
        {{"kind", "none"}},
        {{"kind", "none"}},
        {{"kind", "timeout_after_debit"}, {"credit_lands", true}},
        {{"kind", "timeout_after_debit"}, {"credit_lands", false}},
        {{"kind", "down"}},
        {{"kind", "reject"}},
        {{"kind", "slow"}, {"slow_ms", 300}},
    };
    while (!stop) {
      admin.Retarget(port);
      admin.Admin("PUT", "/api/v1/admin/participants/" + banks[rng() % banks.size()] + "/fault",
                  faults[rng() % faults.size()]);
      std::this_thread::sleep_for(std::chrono::milliseconds(400));
    }
  };

  std::vector<std::thread> threads;
  for (int i = 0; i < clients; ++i) threads.emplace_back(client_loop, i);
  threads.emplace_back(fault_loop);

  // The killer runs here: SIGKILL, restart on the same database.
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(kill_ms));
    if (std::chrono::steady_clock::now() >= end) break;
    server.Kill();
    ++kills;
    ASSERT_TRUE(server.Start(db)) << "restart after SIGKILL failed";
    port = server.port();
  }
  stop = true;
  threads.back().join();  // the fault loop first: no fault may reach the server started below
  threads.pop_back();

  // One more crash with everything in flight, then a clean restart (faults
  // live in memory, so every participant is healthy again). The clients
  // finish their last attempts against it: its per-minute request budget is
  // new too, where the old one, spent by then, made them wait for the next
  // minute (the test took 16-72 s, most of it that wait).
  server.Kill();
  ++kills;
  const bool restarted = server.Start(db);
  port = server.port();
  for (auto& t : threads) t.join();  // before any ASSERT: a joinable thread must not outlive this scope
  ASSERT_TRUE(restarted) << "the last restart failed";
  Client admin(port);

  // Exactly once: one IR per request id, no IR shared by two ids.
  std::set<std::string> irs;
  int64_t acknowledged = 0;
  std::set<std::string> all_irs;
  for (const Attempt& a : attempts) {
    if (a.ir.empty()) continue;
    EXPECT_TRUE(all_irs.insert(a.ir).second) << "IR " << a.ir << " returned for two request ids";
    if (!a.acknowledged) continue;
    ++acknowledged;
    irs.insert(a.ir);
  }

  // Wait for reconciliation to settle every acknowledged transfer.
  std::map<std::string, std::string> state;
  std::map<std::string, int64_t> fee;
  const auto settle_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (const std::string& ir : irs) {
    for (;;) {
      Reply r = admin.Admin("GET", "/api/v1/admin/transactions/" + ir);
      std::string s = r.status == 200 ? r.body.value("state", "") : "";
      if (s == "completed" || s == "reversed" || s == "failed" || s == "rejected" ||
          std::chrono::steady_clock::now() > settle_deadline) {
        state[ir] = s;
        fee[ir] = r.status == 200 && r.body.contains("fee") ? Piastres(r.body["fee"]) : 0;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
  int64_t completed = 0, reversed = 0, other = 0;
  // Declined with an IR: must stay declined (never completes later).
  // Pending answers ("initiated") must reach a final state too; if one
  // completed, it counts in the balances below.
  int64_t pending_cancelled = 0;
  for (Attempt& a : attempts) {
    if (a.ir.empty() || a.acknowledged) continue;
    std::string s;
    for (;;) {
      Reply r = admin.Admin("GET", "/api/v1/admin/transactions/" + a.ir);
      ASSERT_EQ(r.status, 200) << a.ir;
      s = r.body.value("state", "");
      if (!a.pending || s == "completed" || s == "reversed" || s == "failed" || s == "rejected" ||
          std::chrono::steady_clock::now() > settle_deadline) {
        fee[a.ir] = Piastres(r.body["fee"]);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    if (a.pending) {
      EXPECT_TRUE(s == "completed" || s == "reversed" || s == "failed") << a.ir << " left " << s;
      state[a.ir] = s;
      if (s == "failed") ++pending_cancelled;
    } else {
      EXPECT_TRUE(s == "rejected" || s == "failed") << a.ir << " was declined but is now " << s;
    }
  }
  for (const auto& [ir, s] : state) {
    if (!irs.count(ir)) continue;
    if (s == "completed") ++completed;
    else if (s == "reversed") ++reversed;
    else {
      ++other;
      std::string at_ack;
      for (const Attempt& a : attempts) if (a.ir == ir) at_ack = a.state_at_ack;
      Reply r = admin.Admin("GET", "/api/v1/admin/transactions/" + ir);
      ADD_FAILURE() << "acknowledged transfer " << ir << " (state '" << at_ack << "' when acknowledged) ended as '"
                    << s << "': " << r.body.dump();
    }
  }

  // No piastre created or lost: each balance from the acknowledged outcomes.
  std::vector<int64_t> expected;
  for (const Customer& c : customers) expected.push_back(c.opening);
  for (const Attempt& a : attempts) {
    if (a.ir.empty() || state[a.ir] != "completed") continue;
    expected[a.from] -= a.amount + fee[a.ir];
    expected[a.to] += a.amount;
  }
  for (size_t i = 0; i < customers.size(); ++i) {
    Reply r = admin.Call("GET", "/api/v1/accounts", nullptr, customers[i].token);
    ASSERT_EQ(r.status, 200) << r.body.dump();
    ASSERT_FALSE(r.body["accounts"].empty());
    EXPECT_EQ(Piastres(r.body["accounts"][0]["available"]), expected[i]) << "customer " << i;
  }

  std::printf("bank test: tried %lld, acknowledged %lld, completed %lld, reversed %lld, other %lld, "
              "pending then cancelled %lld, declined %lld, kills survived %d\n",
              static_cast<long long>(tried.load()), static_cast<long long>(acknowledged),
              static_cast<long long>(completed), static_cast<long long>(reversed), static_cast<long long>(other),
              static_cast<long long>(pending_cancelled),
              static_cast<long long>(static_cast<int64_t>(attempts.size()) - acknowledged), kills.load());
  EXPECT_TRUE(server.Stop()) << "lahza serve did not exit cleanly on SIGTERM:\n" << server.Log();

  // The books, read directly: invariants, no pending hold, settlement nets to zero.
  auto store = store::Open(db);
  ASSERT_TRUE(store.ok());
  auto ledger = ledger::Ledger::Open(**store);
  ASSERT_TRUE(ledger.ok());
  ExpectBooksBalance(**ledger);
  auto network = ipn::Switch::Open(**store, **ledger);
  ASSERT_TRUE(network.ok());
  // The traffic counts and the settlement flows changed in the transactions
  // the kills left whole.
  ipn::ExpectMaintainedCountsMatch(**store, **network);
  auto report = (*network)->CloseSettlementWindow();
  ASSERT_TRUE(report.ok()) << report.error().code;
  int64_t net = 0;
  for (const auto& p : report->positions) net += p.net;
  EXPECT_EQ(net, 0);
  EXPECT_EQ(report->net_sum, 0);
  EXPECT_GT(acknowledged, 0);
  EXPECT_GT(completed, 0);
  network->reset();
  if (!dir.empty()) std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace lahza::reliability
