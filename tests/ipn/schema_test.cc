// The switch's schema changes on data an older version left (src/ipn/schema.cc),
// on both backends.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "ipn/internal.h"
#include "store/test_stores.h"

namespace lahza::ipn {
namespace {

using store::Value;

class IpnSchemaTest : public store::FreshStoreTest {};

// Migration 4: one usage row per scope and period becomes one row per scope,
// with the scope's latest day and latest month; a scope with no day row gets
// an empty day that any real one passes.
TEST_P(IpnSchemaTest, UsageBecomesOneRowPerScopeWithItsLatestDayAndMonth) {
  ASSERT_TRUE(internal::MigrateIpn(*store_, 3).ok());
  for (auto [scope, period, used] : {std::tuple{"user:a", "d:2026-11-29", 100}, {"user:a", "d:2026-11-30", 200},
                                     {"user:a", "m:2026-10", 1'000}, {"user:a", "m:2026-11", 2'000},
                                     {"user:b", "m:2026-11", 50}}) {
    ASSERT_TRUE(store_->Execute("INSERT INTO ipn_usage (scope, period, used) VALUES ($1, $2, $3)",
                                std::vector<Value>{Value(std::string(scope)), Value(std::string(period)),
                                                   Value(int64_t{used})})
                    .ok());
  }
  ASSERT_TRUE(internal::MigrateIpn(*store_).ok());
  auto rows = store_->Execute("SELECT scope, day, day_used, month, month_used FROM ipn_usage_windows ORDER BY scope",
                              {}, store::Mode::kRead);
  ASSERT_TRUE(rows.ok()) << rows.error().detail;
  ASSERT_EQ(rows->rows.size(), 2u);
  EXPECT_EQ(rows->rows[0], (store::Row{Value(std::string("user:a")), Value(std::string("2026-11-30")),
                                       Value(int64_t{200}), Value(std::string("2026-11")), Value(int64_t{2'000})}));
  EXPECT_EQ(rows->rows[1], (store::Row{Value(std::string("user:b")), Value(std::string("")), Value(int64_t{0}),
                                       Value(std::string("2026-11")), Value(int64_t{50})}));
  EXPECT_FALSE(store_->Execute("SELECT COUNT(*) FROM ipn_usage", {}, store::Mode::kRead).ok());
}

// Migration 5: the state index leaves completed transactions out, and the
// rows and their keys are as they were.
TEST_P(IpnSchemaTest, TheStateIndexLeavesCompletedSendsOut) {
  ASSERT_TRUE(internal::MigrateIpn(*store_, 4).ok());
  auto insert_transaction = [&](const std::string& ir, const std::string& request, const std::string& state) {
    return store_->Execute(
        "INSERT INTO ipn_transactions (ir, user_id, client_request_id, request_hash, state, error_code, amount, fee, "
        "channel, payer_participant, payer_account, payee_kind, payee_identifier, payee_participant, payee_account, "
        "payee_name_ar, payee_name_en, expected_name, note, day_key, month_key, usage_released, hold_expires_ms, "
        "created_ms, updated_ms, direct_ms) VALUES ($1, 'user-a', $2, 'h', $3, '', 1250, 50, 'app', 'NBE', '1001', "
        "'mobile', '+201000000000', 'CIB', '2001', 'م***', 'M***', '', 'rent', '2026-11-26', '2026-11', 0, 0, 1, 2, 0)",
        std::vector<Value>{Value(ir), Value(request), Value(state)});
  };
  ASSERT_TRUE(insert_transaction("IR1", "r1", "completed").ok());
  ASSERT_TRUE(insert_transaction("IR2", "r2", "debited").ok());
  ASSERT_TRUE(store_->Execute("INSERT INTO ipn_settlement_entries (ir, kind, window_id, from_participant, "
                              "to_participant, amount) VALUES ('IR1', 'transfer', 7, 'NBE', 'CIB', 1250)")
                  .ok());
  ASSERT_TRUE(internal::MigrateIpn(*store_).ok());

  auto rows = store_->Execute(
      "SELECT ir, client_request_id, state, amount, fee, payee_name_ar, note, day_key, updated_ms, direct_ms "
      "FROM ipn_transactions ORDER BY ir",
      {}, store::Mode::kRead);
  ASSERT_TRUE(rows.ok()) << rows.error().detail;
  ASSERT_EQ(rows->rows.size(), 2u);
  EXPECT_EQ(rows->rows[0], (store::Row{Value(std::string("IR1")), Value(std::string("r1")),
                                       Value(std::string("completed")), Value(int64_t{1250}), Value(int64_t{50}),
                                       Value(std::string("م***")), Value(std::string("rent")),
                                       Value(std::string("2026-11-26")), Value(int64_t{2}), Value(int64_t{0})}));
  EXPECT_EQ(store::AsText(rows->rows[1][2]), "debited");
  EXPECT_EQ(insert_transaction("IR1", "r9", "completed").error().code, "store.conflict");  // the IR
  EXPECT_EQ(insert_transaction("IR9", "r1", "completed").error().code, "store.conflict");  // user + request id
  auto entries = store_->Execute("SELECT ir, kind, window_id, amount FROM ipn_settlement_entries WHERE window_id = 7",
                                 {}, store::Mode::kRead);
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->rows.size(), 1u);
  EXPECT_EQ(entries->rows[0], (store::Row{Value(std::string("IR1")), Value(std::string("transfer")), Value(int64_t{7}),
                                          Value(int64_t{1250})}));
  EXPECT_FALSE(store_->Execute("INSERT INTO ipn_settlement_entries (ir, kind, window_id, from_participant, "
                               "to_participant, amount) VALUES ('IR1', 'transfer', 8, 'NBE', 'CIB', 1)")
                   .ok());
  // Only the open send is in the index the reconciler's query uses.
  const char* count_open = GetParam() == "sqlite"
                               ? "SELECT COUNT(*) FROM ipn_transactions INDEXED BY ipn_transactions_unfinished "
                                 "WHERE state <> 'completed'"
                               : "SELECT COUNT(*) FROM ipn_transactions WHERE state <> 'completed'";
  auto open = store_->Execute(count_open, {}, store::Mode::kRead);
  ASSERT_TRUE(open.ok()) << open.error().detail;
  EXPECT_EQ(store::AsInt(open->rows[0][0]), 1);
}

// Migration 6: the open settlement window is found through an index on the
// status, not by reading every window ever closed.
TEST_P(IpnSchemaTest, TheOpenWindowIsFoundByItsStatus) {
  ASSERT_TRUE(internal::MigrateIpn(*store_, 5).ok());
  for (auto [id, status] : {std::pair{1, "settled"}, {2, "closed"}, {3, "open"}}) {
    ASSERT_TRUE(store_->Execute("INSERT INTO ipn_windows (id, status, opened_ms, closed_ms, entries) "
                                "VALUES ($1, $2, 0, 0, 0)",
                                std::vector<Value>{Value(int64_t{id}), Value(std::string(status))})
                    .ok());
  }
  ASSERT_TRUE(internal::MigrateIpn(*store_).ok());
  // SQLite refuses INDEXED BY an index that does not exist or cannot serve
  // the query; PostgreSQL lists its indexes.
  if (GetParam() == "sqlite") {
    auto open = store_->Execute("SELECT id FROM ipn_windows INDEXED BY ipn_windows_status WHERE status = 'open'", {},
                                store::Mode::kRead);
    ASSERT_TRUE(open.ok()) << open.error().detail;
    ASSERT_EQ(open->rows.size(), 1u);
    EXPECT_EQ(store::AsInt(open->rows[0][0]), 3);
  } else {
    auto index = store_->Execute("SELECT COUNT(*) FROM pg_indexes WHERE indexname = 'ipn_windows_status' "
                                 "AND schemaname = current_schema()", {},
                                 store::Mode::kRead);
    ASSERT_TRUE(index.ok()) << index.error().detail;
    EXPECT_EQ(store::AsInt(index->rows[0][0]), 1);
  }
}

// Migration 7: a wallet payee's account is found by its mobile number through
// the index, which also gives the order the lookup asks for. Before, SQLite
// walked every account of the provider in account-number order instead.
TEST_P(IpnSchemaTest, AnAccountIsFoundByMobileThroughTheIndexInAccountNumberOrder) {
  ASSERT_TRUE(internal::MigrateIpn(*store_, 6).ok());
  int64_t next_ledger_id = 1;  // unique per account
  auto insert_account = [&](const std::string& participant, const std::string& number, const std::string& mobile) {
    return store_->Execute(
        "INSERT INTO ipn_accounts (participant, account_number, iban, card_number, name_ar, name_en, mobile, status, "
        "ledger_id, created_ms) VALUES ($1, $2, NULL, NULL, 'م', 'M', $3, 'open', $4, 0)",
        std::vector<Value>{Value(participant), Value(number), Value(mobile), Value(next_ledger_id++)});
  };
  // Two wallets on one mobile number: the lookup takes the lower account number.
  ASSERT_TRUE(insert_account("VODAFONE", "900", "+201000000001").ok());
  ASSERT_TRUE(insert_account("VODAFONE", "100", "+201000000002").ok());
  ASSERT_TRUE(insert_account("VODAFONE", "300", "+201000000001").ok());
  ASSERT_TRUE(insert_account("ETISALAT", "050", "+201000000001").ok());
  ASSERT_TRUE(internal::MigrateIpn(*store_).ok());

  const std::string& lookup = internal::AccountLookupSql(AccountKeyKind::kMobile);
  std::vector<Value> key{Value(std::string("VODAFONE")), Value(std::string("+201000000001"))};
  auto found = store_->Execute(lookup, key, store::Mode::kRead);
  ASSERT_TRUE(found.ok()) << found.error().detail;
  ASSERT_EQ(found->rows.size(), 1u);
  EXPECT_EQ(store::AsText(found->rows[0][1]), "300");
  if (GetParam() == "sqlite") {
    auto plan = store_->Execute("EXPLAIN QUERY PLAN " + lookup, key, store::Mode::kRead);
    ASSERT_TRUE(plan.ok()) << plan.error().detail;
    std::string steps;
    for (const store::Row& row : plan->rows) steps += store::AsText(row.back()) + "\n";
    EXPECT_NE(steps.find("USING INDEX ipn_accounts_mobile (participant=? AND mobile=?)"), std::string::npos) << steps;
    EXPECT_EQ(steps.find("TEMP B-TREE"), std::string::npos) << steps;  // no sort: the index gives the order
  } else {
    auto index = store_->Execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'ipn_accounts_mobile' "
                                 "AND schemaname = current_schema()", {},
                                 store::Mode::kRead);
    ASSERT_TRUE(index.ok()) << index.error().detail;
    ASSERT_EQ(index->rows.size(), 1u);
    EXPECT_NE(store::AsText(index->rows[0][0]).find("(participant, mobile, account_number)"), std::string::npos);
  }
}

// Migration 8: the traffic counts start from the transactions already there
// (by state and receiving participant), and the last minute's ring empty.
TEST_P(IpnSchemaTest, TrafficCountsStartFromTheTransactionsThere) {
  ASSERT_TRUE(internal::MigrateIpn(*store_, 7).ok());
  int n = 0;
  for (auto [state, payee] : {std::pair{"completed", "CIB"}, {"completed", "CIB"}, {"completed", "BM"},
                              {"reversed", "CIB"}, {"failed", ""}, {"initiated", "BM"}}) {
    const std::string id = std::to_string(++n);
    ASSERT_TRUE(store_->Execute(
                        "INSERT INTO ipn_transactions (ir, user_id, client_request_id, request_hash, state, "
                        "error_code, amount, fee, channel, payer_participant, payer_account, payee_kind, "
                        "payee_identifier, payee_participant, payee_account, payee_name_ar, payee_name_en, "
                        "expected_name, note, day_key, month_key, usage_released, hold_expires_ms, created_ms, "
                        "updated_ms, direct_ms) VALUES ($1, 'user-a', $2, 'h', $3, '', 1250, 50, 'app', 'NBE', "
                        "'1001', 'account', '2001', $4, '2001', '', '', '', '', '2026-11-26', '2026-11', 0, 0, "
                        "1, 2, 0)",
                        std::vector<Value>{Value("IR" + id), Value("r" + id), Value(std::string(state)),
                                           Value(std::string(payee))})
                    .ok());
  }
  ASSERT_TRUE(internal::MigrateIpn(*store_).ok());
  auto tx = store_->Begin(store::Mode::kRead);
  ASSERT_TRUE(tx.ok());
  auto traffic = internal::ReadTraffic(**tx, 1'000'000);
  ASSERT_TRUE(traffic.ok()) << traffic.error().code << " " << traffic.error().detail;
  EXPECT_EQ(traffic->total, 6);
  EXPECT_EQ(traffic->by_state, (std::vector<std::pair<TransferState, int64_t>>{{TransferState::kInitiated, 1},
                                                                              {TransferState::kCompleted, 3},
                                                                              {TransferState::kFailed, 1},
                                                                              {TransferState::kReversed, 1}}));
  ASSERT_EQ(traffic->by_payee.size(), 2u);  // the failed one never reached a payee
  EXPECT_EQ(traffic->by_payee[0].participant, "BM");
  EXPECT_EQ(traffic->by_payee[0].completed, 1);
  EXPECT_EQ(traffic->by_payee[0].failed, 0);
  EXPECT_EQ(traffic->by_payee[1].participant, "CIB");
  EXPECT_EQ(traffic->by_payee[1].completed, 2);
  EXPECT_EQ(traffic->by_payee[1].failed, 1);
  EXPECT_EQ(traffic->last_minute_transfers, 0);
}

// The last minute's ring: a second's row is taken over by the second 120 s
// later, an older second arriving late (another process's clock behind)
// counts in the newer one, and seconds that share a row within one batch
// become one row.
TEST_P(IpnSchemaTest, TheLastMinuteRingReusesItsRowsAndNeverGoesBack) {
  ASSERT_TRUE(internal::MigrateIpn(*store_).ok());
  constexpr int64_t t = 1'790'000'000'000;  // ms; its second is a multiple of 120 plus 80
  auto apply = [&](const std::vector<std::pair<TransferState, int64_t>>& moves) {
    internal::TrafficCount count;
    for (auto [state, at_ms] : moves) count.Moved(std::nullopt, state, "CIB", at_ms);
    auto tx = store_->Begin(store::Mode::kWrite);
    ASSERT_TRUE(tx.ok());
    Status applied = count.Apply(**tx);
    ASSERT_TRUE(applied.ok()) << applied.error().detail;
    ASSERT_TRUE((*tx)->Commit().ok());
  };
  auto minute = [&](int64_t at_ms) {
    auto tx = store_->Begin(store::Mode::kRead);
    EXPECT_TRUE(tx.ok());
    auto traffic = internal::ReadTraffic(**tx, at_ms);
    EXPECT_TRUE(traffic.ok());
    return std::pair{traffic->last_minute_transfers, traffic->last_minute_failures};
  };
  apply({{TransferState::kCompleted, t}, {TransferState::kCompleted, t + 999}, {TransferState::kFailed, t + 30'000}});
  EXPECT_EQ(minute(t + 30'000), (std::pair<int64_t, int64_t>{3, 1}));
  EXPECT_EQ(minute(t + 59'999), (std::pair<int64_t, int64_t>{3, 1}));
  EXPECT_EQ(minute(t + 60'000), (std::pair<int64_t, int64_t>{1, 1}));  // t's second has left the minute
  EXPECT_EQ(minute(t - 1), (std::pair<int64_t, int64_t>{0, 0}));       // nothing before t

  apply({{TransferState::kCompleted, t + 120'000}});  // t's row, taken over
  EXPECT_EQ(minute(t + 120'000), (std::pair<int64_t, int64_t>{1, 0}));
  EXPECT_EQ(minute(t), (std::pair<int64_t, int64_t>{0, 0}));
  apply({{TransferState::kFailed, t + 500}});  // late, from an older second: counts in the newer one
  EXPECT_EQ(minute(t + 120'000), (std::pair<int64_t, int64_t>{2, 1}));
  apply({{TransferState::kCompleted, t + 240'000}, {TransferState::kCompleted, t + 360'000}});  // one row
  EXPECT_EQ(minute(t + 360'000), (std::pair<int64_t, int64_t>{2, 0}));
  auto rows = store_->Execute("SELECT COUNT(*) FROM ipn_traffic_seconds", {}, store::Mode::kRead);
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(store::AsInt(rows->rows[0][0]), 2);  // the ring's rows: t's slot and t + 30 s's

  auto tx = store_->Begin(store::Mode::kRead);
  ASSERT_TRUE(tx.ok());
  auto traffic = internal::ReadTraffic(**tx, t + 360'000);
  ASSERT_TRUE(traffic.ok());
  EXPECT_EQ(traffic->total, 7);  // the levels count every transfer, whenever
}

// Migration 9: each window's flows start from the entries already there, a
// row per pair of participants with the entries counted and summed.
TEST_P(IpnSchemaTest, SettlementFlowsStartFromTheEntriesThere) {
  ASSERT_TRUE(internal::MigrateIpn(*store_, 8).ok());
  int n = 0;
  for (auto [window, from, to, amount] : {std::tuple{int64_t{1}, "NBE", "CIB", int64_t{1'000}}, {1, "NBE", "CIB", 250}, {1, "CIB", "NBE", 70},
                                          {2, "NBE", "CIB", 5}, {2, "BM", "QNB", 3'000'000'000'000}}) {
    ASSERT_TRUE(store_->Execute("INSERT INTO ipn_settlement_entries (ir, kind, window_id, from_participant, "
                                "to_participant, amount) VALUES ($1, 'transfer', $2, $3, $4, $5)",
                                std::vector<Value>{Value("IR" + std::to_string(++n)), Value(int64_t{window}),
                                                   Value(std::string(from)), Value(std::string(to)),
                                                   Value(int64_t{amount})})
                    .ok());
  }
  ASSERT_TRUE(internal::MigrateIpn(*store_).ok());
  auto rows = store_->Execute("SELECT window_id, from_participant, to_participant, entries, amount "
                              "FROM ipn_window_flows ORDER BY window_id, from_participant, to_participant",
                              {}, store::Mode::kRead);
  ASSERT_TRUE(rows.ok()) << rows.error().detail;
  auto row = [](int64_t window, const char* from, const char* to, int64_t entries, int64_t amount) {
    return store::Row{Value(window), Value(std::string(from)), Value(std::string(to)), Value(entries), Value(amount)};
  };
  EXPECT_EQ(rows->rows, (std::vector<store::Row>{row(1, "CIB", "NBE", 1, 70), row(1, "NBE", "CIB", 2, 1'250),
                                                 row(2, "BM", "QNB", 1, 3'000'000'000'000),
                                                 row(2, "NBE", "CIB", 1, 5)}));
}

// Migration 10: the idempotency key is unique through an index on
// (client_request_id, user_id), so that time-ordered request ids share the
// index's last page. The rows and every column stay; a user still cannot use
// one request id twice, two users still can; the table's old UNIQUE (user_id,
// client_request_id) is gone (on SQLite the table was copied without it); the
// reconciler's index is back, and the retry lookup goes through the new index.
TEST_P(IpnSchemaTest, TheIdempotencyKeyIsIndexedByRequestIdFirst) {
  ASSERT_TRUE(internal::MigrateIpn(*store_, 9).ok());
  auto insert_transaction = [&](const std::string& ir, const std::string& user, const std::string& request,
                                const std::string& state) {
    return store_->Execute(
        "INSERT INTO ipn_transactions (ir, user_id, client_request_id, request_hash, state, error_code, amount, fee, "
        "channel, payer_participant, payer_account, payee_kind, payee_identifier, payee_participant, payee_account, "
        "payee_name_ar, payee_name_en, expected_name, note, day_key, month_key, usage_released, hold_expires_ms, "
        "created_ms, updated_ms, direct_ms) VALUES ($1, $2, $3, 'h', $4, 'e', 1250, 50, 'app', 'NBE', '1001', "
        "'mobile', '+201000000000', 'CIB', '2001', 'م***', 'M***', 'x', 'rent', '2026-11-26', '2026-11', 1, 9, 1, 2, "
        "3)",
        std::vector<Value>{Value(ir), Value(user), Value(request), Value(state)});
  };
  ASSERT_TRUE(insert_transaction("IR2", "user-a", "r_00000000000000000002", "completed").ok());
  ASSERT_TRUE(insert_transaction("IR1", "user-b", "r_00000000000000000001", "debited").ok());
  ASSERT_TRUE(internal::MigrateIpn(*store_).ok());

  auto rows = store_->Execute(
      "SELECT ir, user_id, client_request_id, request_hash, state, error_code, amount, fee, channel, "
      "payer_participant, payer_account, payee_kind, payee_identifier, payee_participant, payee_account, "
      "payee_name_ar, payee_name_en, expected_name, note, day_key, month_key, usage_released, hold_expires_ms, "
      "created_ms, updated_ms, direct_ms FROM ipn_transactions ORDER BY ir",
      {}, store::Mode::kRead);
  ASSERT_TRUE(rows.ok()) << rows.error().detail;
  ASSERT_EQ(rows->rows.size(), 2u);
  auto text = [](const char* s) { return Value(std::string(s)); };
  EXPECT_EQ(rows->rows[1],
            (store::Row{text("IR2"), text("user-a"), text("r_00000000000000000002"), text("h"), text("completed"),
                        text("e"), Value(int64_t{1250}), Value(int64_t{50}), text("app"), text("NBE"), text("1001"),
                        text("mobile"), text("+201000000000"), text("CIB"), text("2001"), text("م***"), text("M***"),
                        text("x"), text("rent"), text("2026-11-26"), text("2026-11"), Value(int64_t{1}),
                        Value(int64_t{9}), Value(int64_t{1}), Value(int64_t{2}), Value(int64_t{3})}));
  EXPECT_EQ(store::AsText(rows->rows[0][1]), "user-b");

  EXPECT_EQ(insert_transaction("IR3", "user-a", "r_00000000000000000002", "completed").error().code,
            "store.conflict");  // one user, one request id
  EXPECT_EQ(insert_transaction("IR2", "user-c", "r_00000000000000000009", "completed").error().code,
            "store.conflict");  // the IR
  EXPECT_TRUE(insert_transaction("IR4", "user-b", "r_00000000000000000002", "completed").ok());  // another user

  auto found = store_->Execute(internal::RequestLookupSql(),
                               std::vector<Value>{text("user-a"), text("r_00000000000000000002")}, store::Mode::kRead);
  ASSERT_TRUE(found.ok()) << found.error().detail;
  ASSERT_EQ(found->rows.size(), 1u);
  EXPECT_EQ(store::AsText(found->rows[0][0]), "IR2");

  if (GetParam() == "sqlite") {
    auto table = store_->Execute("SELECT sql FROM sqlite_schema WHERE name = 'ipn_transactions'", {},
                                 store::Mode::kRead);
    ASSERT_TRUE(table.ok());
    ASSERT_EQ(table->rows.size(), 1u);
    EXPECT_EQ(store::AsText(table->rows[0][0]).find("UNIQUE"), std::string::npos) << store::AsText(table->rows[0][0]);
    auto plan = store_->Execute("EXPLAIN QUERY PLAN " + internal::RequestLookupSql(),
                                std::vector<Value>{text("user-a"), text("r_1")}, store::Mode::kRead);
    ASSERT_TRUE(plan.ok()) << plan.error().detail;
    std::string steps;
    for (const store::Row& row : plan->rows) steps += store::AsText(row.back()) + "\n";
    EXPECT_NE(steps.find("USING INDEX ipn_transactions_request (client_request_id=? AND user_id=?)"),
              std::string::npos)
        << steps;
    auto open = store_->Execute("SELECT COUNT(*) FROM ipn_transactions INDEXED BY ipn_transactions_unfinished "
                                "WHERE state <> 'completed'",
                                {}, store::Mode::kRead);
    ASSERT_TRUE(open.ok()) << open.error().detail;
    EXPECT_EQ(store::AsInt(open->rows[0][0]), 1);
  } else {
    auto indexes = store_->Execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'ipn_transactions' "
                                   "AND schemaname = current_schema() ORDER BY indexname",
                                   {}, store::Mode::kRead);
    ASSERT_TRUE(indexes.ok()) << indexes.error().detail;
    std::string names;
    for (const store::Row& row : indexes->rows) names += store::AsText(row[0]) + " ";
    EXPECT_EQ(names, "ipn_transactions_pkey ipn_transactions_request ipn_transactions_unfinished ");
    EXPECT_NE(store::AsText(indexes->rows[1][1]).find("UNIQUE INDEX ipn_transactions_request ON"), std::string::npos);
    EXPECT_NE(store::AsText(indexes->rows[1][1]).find("(client_request_id, user_id)"), std::string::npos);
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, IpnSchemaTest, ::testing::ValuesIn(store::TestBackends()),
                         store::BackendTestName);

}  // namespace
}  // namespace lahza::ipn
