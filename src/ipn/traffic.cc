// The traffic counts the operations page reads (Switch::Traffic).
//
// Counting the transactions table on every sample read every transfer ever
// made: 450 ms at 334,000 transfers, every 2 s while the page was open, and
// growing with the network's age. Instead every change of a transfer's
// state changes two small tables in the same transaction:
//
// - ipn_transfer_counts: how many transfers are in each (state, payee
//   participant). A level: the sum over its rows is the number of rows of
//   ipn_transactions, and each row equals that table's COUNT(*) for its
//   state and participant (the switch's tests check both after every kind of
//   change).
// - ipn_traffic_seconds: per Unix second, the transfers recorded in it and
//   those that became a failure in it: events, for the last minute's rate.
//   A ring of kSlots rows (slot = second % kSlots): a second's row replaces
//   the one kSlots seconds older, so the table never grows and the minute's
//   read is 60 rows.
//
// The switch's writer gathers a batch's changes and writes both tables once,
// in its finish hook (Switch::Impl::FinishBatch), so the hot path pays two
// statements a batch, not two per transfer.
#include <algorithm>
#include <cassert>

#include "ipn/internal.h"
#include "ipn/switch_impl.h"

namespace lahza::ipn {

using internal::V;

namespace {

constexpr int64_t kSlots = 120;           // twice the minute: the minute before never shares a row with now
constexpr int64_t kMinuteSeconds = 60;

const std::vector<std::string>& CountColumns() {
  static const std::vector<std::string> columns{"state", "payee_participant", "transfers"};
  return columns;
}

const std::vector<std::string>& SecondColumns() {
  static const std::vector<std::string> columns{"slot", "second", "recorded", "failures"};
  return columns;
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

bool IsFailure(TransferState state) {
  return state == TransferState::kFailed || state == TransferState::kRejected ||
         state == TransferState::kTimedOutAfterDebit || state == TransferState::kReversed ||
         state == TransferState::kDisputed;
}

namespace internal {

void TrafficCount::Moved(std::optional<TransferState> from, TransferState to, const std::string& payee_participant,
                         int64_t at_ms) {
  assert(!from || *from != to);
  if (from) --transfers_[{std::string(StateName(*from)), payee_participant}];
  ++transfers_[{std::string(StateName(to)), payee_participant}];
  const int64_t second = FloorDiv(at_ms, 1000);
  if (!from) ++seconds_[second].recorded;
  // An event, counted once: entering the failures, not moving among them
  // (timed out after the debit, then reversed, is one failure).
  if (IsFailure(to) && !(from && IsFailure(*from))) ++seconds_[second].failures;
}

Status TrafficCount::Apply(store::Transaction& tx) const {
  std::vector<store::Row> counts;
  for (const auto& [key, change] : transfers_) {
    if (change != 0) counts.push_back(store::Row{V(key.first), V(key.second), V(change)});
  }
  if (!counts.empty()) {
    auto up = tx.InsertMany("ipn_transfer_counts", CountColumns(), counts,
                            "ON CONFLICT (state, payee_participant) DO UPDATE SET "
                            "transfers = ipn_transfer_counts.transfers + excluded.transfers");
    if (!up.ok()) return up.error();
  }
  // One row per slot (PostgreSQL updates a row once per statement): seconds
  // kSlots apart in one batch (a clock stepped back) count in the newer one.
  std::map<int64_t, std::pair<int64_t, Second>> slots;
  for (const auto& [second, events] : seconds_) {
    auto& [slot_second, slot_events] = slots[((second % kSlots) + kSlots) % kSlots];
    slot_second = std::max(slot_second, second);
    slot_events.recorded += events.recorded;
    slot_events.failures += events.failures;
  }
  std::vector<store::Row> rows;
  for (const auto& [slot, entry] : slots) {
    if (entry.second.recorded == 0 && entry.second.failures == 0) continue;
    rows.push_back(store::Row{V(slot), V(entry.first), V(entry.second.recorded), V(entry.second.failures)});
  }
  if (rows.empty()) return {};
  // The row holds an older second: start it over. A newer one (another
  // process's clock ahead of ours): add to it rather than go back.
  auto up = tx.InsertMany(
      "ipn_traffic_seconds", SecondColumns(), rows,
      "ON CONFLICT (slot) DO UPDATE SET "
      "recorded = (CASE WHEN excluded.second > ipn_traffic_seconds.second THEN 0 "
      "ELSE ipn_traffic_seconds.recorded END) + excluded.recorded, "
      "failures = (CASE WHEN excluded.second > ipn_traffic_seconds.second THEN 0 "
      "ELSE ipn_traffic_seconds.failures END) + excluded.failures, "
      "second = (CASE WHEN excluded.second > ipn_traffic_seconds.second THEN excluded.second "
      "ELSE ipn_traffic_seconds.second END)");
  if (!up.ok()) return up.error();
  return {};
}

Result<TrafficStats> ReadTraffic(store::Transaction& tx, int64_t now_ms) {
  TrafficStats stats;
  stats.at_ms = now_ms;
  auto counts = tx.Execute("SELECT state, payee_participant, transfers FROM ipn_transfer_counts");
  if (!counts.ok()) return counts.error();
  std::map<TransferState, int64_t> by_state;
  std::map<std::string, TrafficStats::Payee> by_payee;
  for (const store::Row& row : counts->rows) {
    const int64_t n = store::AsInt(row[2]);
    assert(n >= 0);  // a level: never more transfers left a state than entered it
    if (n == 0) continue;
    auto state = ParseState(store::AsText(row[0]));
    if (!state) return Error("ipn.internal", "traffic count of unknown state " + store::AsText(row[0]));
    by_state[*state] += n;
    stats.total += n;
    const std::string& payee = store::AsText(row[1]);
    if (payee.empty()) continue;  // never reached a payee (routing failed)
    TrafficStats::Payee& p = by_payee[payee];
    p.participant = payee;
    if (*state == TransferState::kCompleted) p.completed += n;
    if (IsFailure(*state)) p.failed += n;
  }
  for (const auto& [state, n] : by_state) stats.by_state.emplace_back(state, n);
  for (auto& [code, payee] : by_payee) stats.by_payee.push_back(std::move(payee));

  const int64_t now_second = FloorDiv(now_ms, 1000);
  auto minute = tx.Execute(
      "SELECT COALESCE(SUM(recorded), 0), COALESCE(SUM(failures), 0) FROM ipn_traffic_seconds "
      "WHERE second > $1 AND second <= $2",
      std::vector<store::Value>{V(now_second - kMinuteSeconds), V(now_second)});
  if (!minute.ok()) return minute.error();
  stats.last_minute_transfers = store::AsInt(minute->rows[0][0]);
  stats.last_minute_failures = store::AsInt(minute->rows[0][1]);
  return stats;
}

}  // namespace internal

Result<TrafficStats> Switch::Traffic(int64_t now_ms) {
  auto tx = impl_->store_.Begin(store::Mode::kRead);
  if (!tx.ok()) return tx.error();
  return internal::ReadTraffic(**tx, now_ms);
}

}  // namespace lahza::ipn
