// Issue 4: several `lahza serve` processes against one PostgreSQL database
// must not double-spend. Two server processes receive conflicting transfers
// from the same account at the same time (together asking for more than the
// balance); the account never goes below zero, exactly the accepted
// transfers moved money, and the totals are conserved. Needs
// LAHZA_TEST_PG_URL (skipped without it).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <mutex>

#include "books.h"
#include "cluster.h"
#include "ipn/switch.h"
#include "ledger/ledger.h"
#include "store/store.h"
#include "store/test_stores.h"

namespace lahza::reliability {
namespace {

TEST(DoubleSpend, TwoServerProcessesOnOnePostgresNeverOverdraw) {
  const char* pg = std::getenv("LAHZA_TEST_PG_URL");
  if (pg == nullptr || *pg == '\0') GTEST_SKIP() << "LAHZA_TEST_PG_URL not set";
  const std::string db = store::FreshUrl("postgres");
  ASSERT_FALSE(db.empty());

  ServeProcess a, b;
  ASSERT_TRUE(a.Start(db));
  ASSERT_TRUE(b.Start(db));  // second process: migrations already applied

  Client admin(a.port());
  const int64_t opening = 100'000;  // EGP 1,000
  std::string why;
  const std::string payer = admin.Onboard("01012003001", NationalId(40), "NBE", "77000001", "Payer", opening,
                                          "246810", &why);
  ASSERT_FALSE(payer.empty()) << why;
  const std::string payee = admin.Onboard("01112003002", NationalId(41), "CIB", "77000002", "Payee", 0, "246810",
                                          &why);
  ASSERT_FALSE(payee.empty()) << why;

  // 2 servers x 4 clients x 10 sends of EGP 20 = EGP 1,600 asked for.
  const int64_t amount = 2'000;
  std::mutex mutex;
  std::vector<std::string> accepted_irs;
  std::atomic<int> declined{0}, errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      Client client(t % 2 == 0 ? a.port() : b.port());
      for (int n = 0; n < 10; ++n) {
        Reply r = client.Call("POST", "/api/v1/payments/send",
                              {{"kind", "mobile"}, {"value", "01112003002"}, {"amount", amount}, {"pin", "246810"},
                               {"client_request_id", "ds-" + std::to_string(t) + "-" + std::to_string(n)}},
                              payer);
        // A 201 carries the switch's verdict: "completed", or "failed" /
        // "rejected" with the reason (insufficient funds here).
        const std::string state = r.status == 201 ? r.body.value("state", "") : "";
        if (state == "completed") {
          std::lock_guard lock(mutex);
          accepted_irs.push_back(r.body.value("ir", ""));
        } else if (state == "failed" || state == "rejected" || r.status == 422 || r.status == 409 ||
                   r.status == 402) {
          ++declined;
        } else {
          ++errors;
          ADD_FAILURE() << r.status << " " << r.body.dump();
        }
      }
    });
  }
  for (auto& t : threads) t.join();

  // Whatever each process answered, both see the same final state.
  int64_t fees = 0, completed = 0;
  for (const std::string& ir : accepted_irs) {
    Reply r = Client(b.port()).Admin("GET", "/api/v1/admin/transactions/" + ir);
    ASSERT_EQ(r.status, 200) << ir;
    EXPECT_EQ(r.body.value("state", ""), "completed") << ir;
    fees += Piastres(r.body["fee"]);
    ++completed;
  }
  auto balance = [&](uint16_t port, const std::string& token) {
    Reply r = Client(port).Call("GET", "/api/v1/accounts", nullptr, token);
    EXPECT_EQ(r.status, 200);
    return Piastres(r.body["accounts"][0]["available"]);
  };
  const int64_t payer_left = balance(b.port(), payer);
  const int64_t payee_has = balance(a.port(), payee);
  std::printf("double spend: %lld accepted, %d declined, payer left %lld, payee has %lld (piastres)\n",
              static_cast<long long>(completed), declined.load(), static_cast<long long>(payer_left),
              static_cast<long long>(payee_has));
  EXPECT_GE(payer_left, 0);
  EXPECT_GT(declined.load(), 0) << "demand exceeded the balance, some sends must have been refused";
  EXPECT_GT(completed, 0);
  EXPECT_EQ(payer_left, opening - completed * amount - fees);
  EXPECT_EQ(payee_has, completed * amount);
  EXPECT_LT(payer_left, amount + (completed ? fees / completed : 0) + 1) << "refused while money was left";
  EXPECT_EQ(errors.load(), 0);
  EXPECT_TRUE(a.Stop()) << "lahza serve did not exit cleanly on SIGTERM:\n" << a.Log();
  EXPECT_TRUE(b.Stop()) << "lahza serve did not exit cleanly on SIGTERM:\n" << b.Log();

  auto store = store::Open(db);
  ASSERT_TRUE(store.ok());
  auto ledger = ledger::Ledger::Open(**store);
  ASSERT_TRUE(ledger.ok());
  ExpectBooksBalance(**ledger);
  // Both processes' writers kept the traffic counts and the settlement flows,
  // without a lost update.
  auto network = ipn::Switch::Open(**store, **ledger);
  ASSERT_TRUE(network.ok());
  ipn::ExpectMaintainedCountsMatch(**store, **network);
}

}  // namespace
}  // namespace lahza::reliability
