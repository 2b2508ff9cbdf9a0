// The traffic counts the switch keeps with every state change
// (Switch::Traffic, src/ipn/traffic.cc) against a count of the transactions
// themselves: the switch's tests check it after every kind of flow, the
// reliability tests after crashes and after two processes wrote at once.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>
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

}  // namespace lahza::ipn
