// What the switch keeps counted as it goes, against a count of the rows
// counted: the traffic counts (Switch::Traffic, src/ipn/traffic.cc) against
// the transactions, and each settlement window's flows (ipn_window_flows)
// against its entries. The switch's tests check them after every kind of
// flow, the reliability tests after crashes and after two processes wrote at
// once.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>
#include <tuple>
#include <utility>

#include "ipn/switch.h"
#include "store/store.h"

namespace lahza::ipn {

inline void ExpectTrafficCountsEveryTransfer(store::Store& store, Switch& network) {
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch()).count();
  auto traffic = network.Traffic(now_ms);
  ASSERT_TRUE(traffic.ok()) << traffic.error().code << " " << traffic.error().detail;
  auto rows = store.Execute(
      "SELECT state, payee_participant, COUNT(*) FROM ipn_transactions GROUP BY state, payee_participant", {},
      store::Mode::kRead);
  ASSERT_TRUE(rows.ok()) << rows.error().detail;
  std::map<TransferState, int64_t> by_state;
  std::map<std::string, std::pair<int64_t, int64_t>> by_payee;  // completed, failed
  int64_t total = 0;
  for (const store::Row& row : rows->rows) {
    auto state = ParseState(store::AsText(row[0]));
    ASSERT_TRUE(state.has_value()) << store::AsText(row[0]);
    const int64_t n = store::AsInt(row[2]);
    by_state[*state] += n;
    total += n;
    if (store::AsText(row[1]).empty()) continue;
    auto& payee = by_payee[store::AsText(row[1])];
    if (*state == TransferState::kCompleted) payee.first += n;
    if (IsFailure(*state)) payee.second += n;
  }
  EXPECT_EQ(traffic->total, total);
  std::map<TransferState, int64_t> counted(traffic->by_state.begin(), traffic->by_state.end());
  EXPECT_EQ(counted, by_state);
  std::map<std::string, std::pair<int64_t, int64_t>> counted_payees;
  for (const TrafficStats::Payee& p : traffic->by_payee) counted_payees[p.participant] = {p.completed, p.failed};
  EXPECT_EQ(counted_payees, by_payee);
}

inline void ExpectSettlementFlowsMatchEntries(store::Store& store) {
  auto aggregate = [&](const char* sql) {
    std::map<std::tuple<int64_t, std::string, std::string>, std::pair<int64_t, int64_t>> out;
    auto rows = store.Execute(sql, {}, store::Mode::kRead);
    EXPECT_TRUE(rows.ok()) << rows.error().detail;
    if (!rows.ok()) return out;
    for (const store::Row& r : rows->rows) {
      out[{store::AsInt(r[0]), store::AsText(r[1]), store::AsText(r[2])}] = {store::AsInt(r[3]), store::AsInt(r[4])};
    }
    return out;
  };
  EXPECT_EQ(aggregate("SELECT window_id, from_participant, to_participant, entries, amount FROM ipn_window_flows "
                      "WHERE entries <> 0"),
            aggregate("SELECT window_id, from_participant, to_participant, COUNT(*), SUM(amount) "
                      "FROM ipn_settlement_entries GROUP BY window_id, from_participant, to_participant"));
}

inline void ExpectMaintainedCountsMatch(store::Store& store, Switch& network) {
  ExpectTrafficCountsEveryTransfer(store, network);
  ExpectSettlementFlowsMatchEntries(store);
}

}  // namespace lahza::ipn
