// Settlement: deferred net settlement per window. Each completed transfer
// adds an entry (payer's participant owes the payee's) to the window open
// when it completed; an operator reversal adds the opposite entry. Closing a
// window fixes every participant's net position (received - sent), which
// must sum to zero, and posts them in the ledger: debtors' settlement
// accounts at the central bank pay into a pool that pays the creditors, and
// the same for the participants' clearing accounts, so both pools return to
// zero — the invariant is visible in the ledger too. A window's report and
// its close read its flows (ipn_window_flows: per pair of participants, the
// entries and their sum, kept with the entries), never every entry.
#include <map>
#include <tuple>

#include "ipn/internal.h"
#include "ipn/switch_impl.h"
#include "ledger/ledger.h"

namespace lahza::ipn {

using internal::V;

namespace {

// A window's flows as ReadFlows gives them: (from, to, entries, amount).
std::vector<SettlementPosition> Positions(const std::vector<store::Row>& flows, const Directory& directory) {
  std::map<std::string, SettlementPosition> by_code;
  for (const Participant& p : directory.participants()) by_code[p.code].participant = p.code;
  for (const auto& f : flows) {
    const std::string& from = store::AsText(f[0]);
    const std::string& to = store::AsText(f[1]);
    const int64_t entries = store::AsInt(f[2]);
    const int64_t amount = store::AsInt(f[3]);
    auto& payer = by_code[from];
    payer.participant = from;
    payer.sent_count += entries;
    payer.sent_amount += amount;
    payer.net -= amount;
    auto& payee = by_code[to];
    payee.participant = to;
    payee.received_count += entries;
    payee.received_amount += amount;
    payee.net += amount;
  }
  std::vector<SettlementPosition> out;
  for (auto& [code, position] : by_code) out.push_back(position);
  return out;
}

std::vector<BilateralObligation> Bilateral(const std::vector<store::Row>& flows) {
  std::vector<BilateralObligation> out;
  for (const auto& f : flows) {
    out.push_back({store::AsText(f[0]), store::AsText(f[1]), store::AsInt(f[2]), store::AsInt(f[3])});
  }
  return out;
}

// A window's flows, by (from, to): a row per pair of participants that moved
// money in it, however many entries.
Result<std::vector<store::Row>> ReadFlows(store::Transaction& tx, int64_t window_id) {
  auto rows = tx.Execute(
      "SELECT from_participant, to_participant, entries, amount FROM ipn_window_flows WHERE window_id = $1 "
      "ORDER BY from_participant, to_participant",
      std::vector<store::Value>{V(window_id)});
  if (!rows.ok()) return rows.error();
  return std::move(rows->rows);
}

const std::vector<std::string>& FlowColumns() {
  static const std::vector<std::string> columns{"window_id", "from_participant", "to_participant", "entries",
                                                "amount"};
  return columns;
}

int64_t NetSum(const std::vector<SettlementPosition>& positions) {
  int64_t sum = 0;
  for (const auto& p : positions) sum += p.net;
  return sum;
}

}  // namespace

namespace internal {

void SettlementFlows::Add(int64_t window_id, const std::string& from, const std::string& to, int64_t amount) {
  Flow& flow = flows_[{window_id, from, to}];
  flow.entries += 1;
  flow.amount += amount;
}

Status SettlementFlows::Apply(store::Transaction& tx) const {
  if (flows_.empty()) return {};
  std::vector<store::Row> rows;
  rows.reserve(flows_.size());
  for (const auto& [key, flow] : flows_) {
    rows.push_back({V(std::get<0>(key)), V(std::get<1>(key)), V(std::get<2>(key)), V(flow.entries), V(flow.amount)});
  }
  auto up = tx.InsertMany("ipn_window_flows", FlowColumns(), rows,
                          "ON CONFLICT (window_id, from_participant, to_participant) DO UPDATE SET "
                          "entries = ipn_window_flows.entries + excluded.entries, "
                          "amount = ipn_window_flows.amount + excluded.amount");
  if (!up.ok()) return up.error();
  return {};
}

}  // namespace internal

Result<int64_t> Switch::Impl::OpenWindowId() {
  auto rows = store_.Execute("SELECT id FROM ipn_windows WHERE status = 'open'", {}, store::Mode::kRead);
  if (!rows.ok()) return rows.error();
  if (rows->rows.size() != 1) return Error("ipn.internal", "expected exactly one open settlement window");
  return store::AsInt(rows->rows[0][0]);
}

Result<std::vector<ledger::TransferRecord>> Switch::Impl::InstitutionStatement(std::string_view participant,
                                                                               std::string_view account,
                                                                               const ledger::HistoryQuery& query) {
  // numbers_ is filled once, by Init, before any caller can reach us.
  auto number = numbers_.find(participant);
  if (number == numbers_.end()) return Error("ipn.participant_unknown", std::string(participant));
  const int64_t id = AccountsOf(number->second).Named(account);
  if (id == 0) return Error("ipn.institution_account_invalid", std::string(account));
  return ledger_.TransfersForAccount(id, query);
}

Result<SettlementReport> Switch::Impl::CloseSettlementWindow() {
  std::lock_guard lock(settlement_mutex_);
  auto closed = internal::WithWrite(store_, [&](store::Transaction& tx) -> Result<int64_t> {
    auto open = tx.Execute("SELECT id FROM ipn_windows WHERE status = 'open'");
    if (!open.ok()) return open.error();
    if (open->rows.size() != 1) return Error("ipn.internal", "expected exactly one open settlement window");
    int64_t id = store::AsInt(open->rows[0][0]);
    int64_t now = internal::NowMs();
    // Taking the window row's lock first: completions that touched it have
    // committed their entries; later ones find the next window.
    auto close = tx.Execute("UPDATE ipn_windows SET status = 'closed', closed_ms = $1 WHERE id = $2 AND status = 'open'",
                            std::vector<store::Value>{V(now), V(id)});
    if (!close.ok()) return close.error();
    if (close->affected != 1) return Error("store.busy", "window closed concurrently");
    auto next = tx.Execute(
        "INSERT INTO ipn_windows (id, status, opened_ms, closed_ms, entries) VALUES ($1, 'open', $2, 0, 0)",
        std::vector<store::Value>{V(id + 1), V(now)});
    if (!next.ok()) return next.error();
    auto flows = ReadFlows(tx, id);
    if (!flows.ok()) return flows.error();
    auto positions = Positions(*flows, options_.directory);
    if (NetSum(positions) != 0) return Error("ipn.internal", "net positions do not sum to zero");
    std::vector<store::Row> rows;
    for (const auto& p : positions) {
      rows.push_back({V(id), V(p.participant), V(p.sent_count), V(p.sent_amount), V(p.received_count),
                      V(p.received_amount), V(p.net)});
    }
    if (!rows.empty()) {
      std::vector<std::string> columns{"window_id", "participant", "sent_count", "sent_amount",
                                       "received_count", "received_amount", "net"};
      auto ins = tx.InsertMany("ipn_settlement_positions", columns, rows);
      if (!ins.ok()) return ins.error();
    }
    return id;
  });
  if (!closed.ok()) return closed.error();
  LAHZA_TRY(PostWindow(*closed));
  return GetSettlementReport(*closed);
}

Status Switch::Impl::PostWindow(int64_t window_id) {
  auto rows = store_.Execute("SELECT participant, net FROM ipn_settlement_positions WHERE window_id = $1",
                             std::vector<store::Value>{V(window_id)}, store::Mode::kRead);
  if (!rows.ok()) return rows.error();
  std::vector<ledger::Transfer> transfers;
  std::string prefix = "ipn/settle/" + std::to_string(window_id) + "/";
  for (const auto& r : rows->rows) {
    const std::string& code = store::AsText(r[0]);
    int64_t net = store::AsInt(r[1]);
    auto number = numbers_.find(code);
    if (net == 0 || number == numbers_.end()) continue;
    ParticipantAccounts ids = AccountsOf(number->second);
    int64_t amount = net > 0 ? net : -net;
    for (auto [suffix, own, pool] : {std::tuple{"cbe", ids.settlement, internal::kSettlementPool},
                                     std::tuple{"clr", ids.clearing, internal::kClearingPool}}) {
      ledger::Transfer t;
      t.id = prefix + code + "/" + suffix;
      // A debtor (net < 0) pays into the pool; a creditor is paid from it.
      t.debit_account_id = net < 0 ? own : pool;
      t.credit_account_id = net < 0 ? pool : own;
      t.amount = amount;
      t.code = internal::kTransferSettlement;
      t.user_data = "settlement window " + std::to_string(window_id);
      transfers.push_back(t);
    }
  }
  if (!transfers.empty()) {
    auto results = ledger_.CreateTransfers(transfers);
    if (!results.ok()) return results.error();
    for (const auto& r : *results) {
      if (!r.ok()) return ledger::ToError(r.code);
    }
  }
  auto settled = store_.Execute("UPDATE ipn_windows SET status = 'settled' WHERE id = $1 AND status = 'closed'",
                                std::vector<store::Value>{V(window_id)});
  if (!settled.ok()) return settled.error();
  return {};
}

Result<SettlementReport> Switch::Impl::GetSettlementReport(int64_t window_id) {
  auto tx = store_.Begin(store::Mode::kRead);
  if (!tx.ok()) return tx.error();
  std::vector<store::Value> key{V(window_id)};
  auto window = (*tx)->Execute("SELECT status, opened_ms, closed_ms FROM ipn_windows WHERE id = $1", key);
  if (!window.ok()) return window.error();
  if (window->rows.empty()) return Error("ipn.window_not_found", std::to_string(window_id));
  SettlementReport report;
  report.window_id = window_id;
  report.status = store::AsText(window->rows[0][0]);
  report.opened_ms = store::AsInt(window->rows[0][1]);
  report.closed_ms = store::AsInt(window->rows[0][2]);
  auto flows = ReadFlows(**tx, window_id);
  if (!flows.ok()) return flows.error();
  report.bilateral = Bilateral(*flows);
  if (report.status == "open") {
    report.positions = Positions(*flows, options_.directory);  // live, so far
  } else {
    auto rows = (*tx)->Execute(
        "SELECT participant, sent_count, sent_amount, received_count, received_amount, net "
        "FROM ipn_settlement_positions WHERE window_id = $1 ORDER BY participant",
        key);
    if (!rows.ok()) return rows.error();
    for (const auto& r : rows->rows) {
      report.positions.push_back(SettlementPosition{store::AsText(r[0]), store::AsInt(r[1]), store::AsInt(r[2]),
                                                    store::AsInt(r[3]), store::AsInt(r[4]), store::AsInt(r[5])});
    }
  }
  report.net_sum = NetSum(report.positions);
  return report;
}

}  // namespace lahza::ipn
