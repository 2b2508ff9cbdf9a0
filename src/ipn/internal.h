// Internals shared by the switch's .cc files. Not part of the public API.
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>

#include "core/result.h"
#include "ipn/institution.h"
#include "ipn/policy.h"
#include "ipn/switch.h"
#include "store/store.h"

namespace lahza::ipn::internal {

// Ledger account ids owned by the switch live in [kAccountBase, ...): other
// modules choose ids below 5e18. Participant accounts are
// kAccountBase + number * 100 + kind; customer accounts kCustomerBase + n.
inline constexpr int64_t kAccountBase = 5'000'000'000'000'000'000;
inline constexpr int64_t kCustomerBase = 6'000'000'000'000'000'000;
inline constexpr int64_t kSettlementPool = kAccountBase + 1;  // central bank: nets pass through it
inline constexpr int64_t kClearingPool = kAccountBase + 2;    // interbank debts pass through it

// Ledger account codes (the kind of account).
inline constexpr int64_t kCodeSettlement = 1;
inline constexpr int64_t kCodeClearing = 2;
inline constexpr int64_t kCodeFees = 3;
inline constexpr int64_t kCodeFunding = 4;
inline constexpr int64_t kCodeCustomer = 5;
inline constexpr int64_t kCodePool = 6;

// Ledger transfer codes (the kind of transfer).
inline constexpr int64_t kTransferHold = 31;
inline constexpr int64_t kTransferFeeHold = 32;
inline constexpr int64_t kTransferPost = 33;
inline constexpr int64_t kTransferVoid = 34;
inline constexpr int64_t kTransferCredit = 35;
inline constexpr int64_t kTransferReturn = 36;
inline constexpr int64_t kTransferRefund = 37;
inline constexpr int64_t kTransferOpening = 38;
inline constexpr int64_t kTransferSettlement = 39;
inline constexpr int64_t kTransferFence = 40;
inline constexpr int64_t kTransferDirectDebit = 41;  // direct path: amount + fee at once
inline constexpr int64_t kTransferFeeIncome = 42;    // direct path: the fee from clearing to income

inline int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Applies the switch's migrations up to `up_to` (all by default; tests stop
// early to write what an older version left behind).
Status MigrateIpn(store::Store& store, int up_to = std::numeric_limits<int>::max());

// The statement an institution finds one of its accounts with, by the kind
// of key ($1 the participant, $2 the key; the lowest account number when a
// mobile number has several). Here so that the schema's test can check the
// indexes serve it (tests/ipn/schema_test.cc).
const std::string& AccountLookupSql(AccountKeyKind kind);

// The statement a retry is found with: a user's transaction by its client
// request id ($1 the user, $2 the id). Here for the same reason.
const std::string& RequestLookupSql();

// The traffic counts (ipn_transfer_counts, ipn_traffic_seconds; traffic.cc)
// changed with each transfer's state in the transaction that changes it. One
// instance gathers a batch's changes so that they cost two statements, not
// two per transfer.
class TrafficCount {
 public:
  // A transfer entered `to`: new when `from` is nullopt, else from `from`
  // (which differs). `at_ms`: when (the last-minute counts' second).
  void Moved(std::optional<TransferState> from, TransferState to, const std::string& payee_participant,
             int64_t at_ms);
  // Adds what was gathered to the tables. Rows are written in key order, so
  // that two writers on PostgreSQL lock them in one order.
  Status Apply(store::Transaction& tx) const;

 private:
  std::map<std::pair<std::string, std::string>, int64_t> transfers_;  // (state, payee) -> change
  struct Second {
    int64_t recorded = 0;
    int64_t failures = 0;
  };
  std::map<int64_t, Second> seconds_;  // Unix second -> events in it
};
Result<TrafficStats> ReadTraffic(store::Transaction& tx, int64_t now_ms);

// What each participant owes another in a settlement window, kept with the
// entries (ipn_window_flows; settlement.cc) in the transaction that adds
// them, so that a window's report and its close read a row per pair of
// participants, not every entry. Gathered per batch, written in key order:
// every writer holds the open window's row first, so they never wait on
// each other here.
class SettlementFlows {
 public:
  void Add(int64_t window_id, const std::string& from, const std::string& to, int64_t amount);
  Status Apply(store::Transaction& tx) const;

 private:
  struct Flow {
    int64_t entries = 0;
    int64_t amount = 0;
  };
  std::map<std::tuple<int64_t, std::string, std::string>, Flow> flows_;
};

// The policy as stored in ipn_policy.body (policy.cc). Decoding validates:
// ipn.policy_invalid for a row that is unreadable or breaks the rules.
std::string EncodePolicy(const Policy& policy);
Result<Policy> DecodePolicy(std::string_view text);

// Lower-case ASCII, Arabic letter variants folded (alef forms, ta marbuta,
// alef maqsura), diacritics and tatweel dropped, runs of spaces collapsed.
// Good enough to compare a typed payee name with the holder's name.
std::string NormaliseName(std::string_view name);
// "Mona Ali Hassan" -> "Mo** A** H*****"; UTF-8 aware (Arabic names too).
std::string MaskName(std::string_view name);

// Runs `body` in a write transaction, retrying on store.busy; commits when
// `body` returns ok.
template <class F>
auto WithWrite(store::Store& store, F&& body) -> decltype(body(std::declval<store::Transaction&>()));

// Store value helpers.
inline store::Value V(std::string s) { return store::Value(std::move(s)); }
inline store::Value V(std::string_view s) { return store::Value(std::string(s)); }
inline store::Value V(const char* s) { return store::Value(std::string(s)); }
inline store::Value V(int64_t n) { return store::Value(n); }

}  // namespace lahza::ipn::internal

#include <thread>

namespace lahza::ipn::internal {

template <class F>
auto WithWrite(store::Store& store, F&& body) -> decltype(body(std::declval<store::Transaction&>())) {
  using R = decltype(body(std::declval<store::Transaction&>()));
  Error last("store.busy");
  for (int attempt = 0; attempt < 200; ++attempt) {
    auto tx = store.Begin(store::Mode::kWrite);
    if (!tx.ok()) {
      if (tx.error().code != "store.busy") return R(tx.error());
      last = tx.error();
    } else {
      R result = body(**tx);
      if (!result.ok()) {
        if (result.error().code != "store.busy") return result;  // rolled back by destruction
        last = result.error();
      } else {
        Status committed = (*tx)->Commit();
        if (committed.ok()) return result;
        if (committed.error().code != "store.busy") return R(committed.error());
        last = committed.error();
      }
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200 * (attempt + 1) < 20000 ? 200 * (attempt + 1) : 20000));
  }
  return R(last);
}

}  // namespace lahza::ipn::internal
