// Recording a send, and the direct path: a whole in-process send in one commit.
//
// The step-by-step path (Process in switch.cc) calls the payer's institution,
// then the payee's, then the payer's again, each a durable ledger commit of
// its own, and writes the switch's record around them: about six commits and
// a dozen thread hand-offs per transfer. When both institutions are in this
// process, healthy (no injected fault) and the accounts are open, there is no
// network between the steps to fail: the switch asks each institution for
// the ledger transfers it records for such a send (LocalInstitution::
// DirectDebitTransfer, FeeIncomeTransfer, CreditTransfer) and applies them
// itself, inside the writer transaction that records the send. Many sends
// share that transaction: their jobs (RecordSend) insert the rows and reserve
// limits, and the writer's finish hook (FinishDirectSends) applies every
// debit of the batch in one ledger call, then every fee and credit in a
// second, then writes the settlement entries in bulk. One fsync for the lot;
// no intermediate state is ever visible, so a crash leaves either the whole
// send or nothing.
//
// The payer is debited amount + fee at once (`<IR>/debit`), not held: a hold
// covers the time between debit and credit, and here there is none. The
// credit is the same `<IR>/credit` the step-by-step path writes; Refund (an
// operator's reversal) knows both shapes. The switch's records read the same
// on both paths, but a direct send stores fewer of them: its row carries the
// decision time (direct_ms), from which its first timeline steps and its
// notifications follow (DirectSteps, DirectNotifications), so they are not
// written as ipn_timeline and ipn_outbox rows; later steps (a reversal) are,
// numbered after the derived ones.
#include <algorithm>
#include <cassert>

#include "ipn/internal.h"
#include "ipn/switch_impl.h"
#include "ledger/ledger.h"

namespace lahza::ipn {

using internal::V;

namespace {

const std::vector<std::string>& SettlementColumns() {
  static const std::vector<std::string> columns{"ir", "kind", "window_id", "from_participant", "to_participant",
                                                "amount"};
  return columns;
}

// Why a debit failed, in the step-by-step path's DebitHold words. (A fenced
// debit, DebitHold's other case, cannot happen here: these ids are new, see
// Ledger::Ids::kNew below.)
std::string DebitFailureCode(ledger::TransferCode code) {
  if (code == ledger::TransferCode::kExceedsCredits) return "ipn.insufficient_funds";
  return ledger::ToError(code).code;
}

// Reserves `amount` in one limit scope's current day and month, if both stay
// within their limits: one conditional upsert (ipn_usage_windows). A window
// only moves forward: a send stamped with an earlier day than the row's
// (another process's clock around midnight) counts against the newer day
// rather than start the window over.
Status ReserveUsage(store::Transaction& tx, const std::string& scope, const Limits& limits, const std::string& day,
                    const std::string& month, int64_t amount) {
  auto daily_full = [&] { return Error("ipn.limit_daily", scope + " d:" + day); };
  auto monthly_full = [&] { return Error("ipn.limit_monthly", scope + " m:" + month); };
  if (amount > limits.daily) return daily_full();
  if (amount > limits.monthly) return monthly_full();
  auto up = tx.Execute(
      "INSERT INTO ipn_usage_windows (scope, day, day_used, month, month_used) VALUES ($1, $2, $3, $4, $3) "
      "ON CONFLICT (scope) DO UPDATE SET "
      "day_used = (CASE WHEN excluded.day > ipn_usage_windows.day THEN 0 ELSE ipn_usage_windows.day_used END) "
      "+ excluded.day_used, "
      "month_used = (CASE WHEN excluded.month > ipn_usage_windows.month THEN 0 ELSE ipn_usage_windows.month_used "
      "END) + excluded.month_used, "
      "day = (CASE WHEN excluded.day > ipn_usage_windows.day THEN excluded.day ELSE ipn_usage_windows.day END), "
      "month = (CASE WHEN excluded.month > ipn_usage_windows.month THEN excluded.month "
      "ELSE ipn_usage_windows.month END) "
      "WHERE (CASE WHEN excluded.day > ipn_usage_windows.day THEN 0 ELSE ipn_usage_windows.day_used END) "
      "+ excluded.day_used <= $5 "
      "AND (CASE WHEN excluded.month > ipn_usage_windows.month THEN 0 ELSE ipn_usage_windows.month_used END) "
      "+ excluded.month_used <= $6",
      std::vector<store::Value>{V(scope), V(day), V(amount), V(month), V(limits.daily), V(limits.monthly)});
  if (!up.ok()) return up.error();
  if (up->affected == 1) return {};
  // Refused, the row untouched: which window is full?
  auto row = tx.Execute("SELECT day, day_used FROM ipn_usage_windows WHERE scope = $1",
                        std::vector<store::Value>{V(scope)});
  if (!row.ok()) return row.error();
  const bool day_counts = !row->rows.empty() && store::AsText(row->rows[0][0]) >= day;
  if (day_counts && store::AsInt(row->rows[0][1]) + amount > limits.daily) return daily_full();
  return monthly_full();
}

}  // namespace

bool Switch::Impl::PrepareDirect(const SendRequest& request, const Route& route, SendRecord& record,
                                 store::Transaction& reads) {
  LocalInstitution* payer = FindInstitution(request.payer_participant);
  LocalInstitution* payee = FindInstitution(route.participant);
  if (!payer || !payee) return false;
  // A payee name to check, or any fault on either side, takes the step-by-step
  // path: its every failure is modelled there.
  if (!request.expected_payee_name.empty()) return false;
  if (GetFault(request.payer_participant).kind != Fault::Kind::kNone) return false;
  if (GetFault(route.participant).kind != Fault::Kind::kNone) return false;
  auto payer_account = payer->Lookup({AccountKeyKind::kAccountNumber, request.payer_account}, reads);
  if (!payer_account.ok() || payer_account->status != AccountStatus::kOpen) return false;
  auto payee_account = payee->Lookup(route.key, reads);
  if (!payee_account.ok() || payee_account->status != AccountStatus::kOpen) return false;
  // Paying oneself: refused by the step-by-step path's routing rules already
  // for account numbers; by alias it is the same ledger account twice, which
  // the ledger refuses. Leave that to the step-by-step path as well.
  if (payer_account->ledger_account == payee_account->ledger_account) return false;
  record.payer = std::move(*payer_account);
  record.payee = std::move(*payee_account);
  record.payee_masked_name_ar = internal::MaskName(record.payee.name_ar);
  record.payee_masked_name_en = internal::MaskName(record.payee.name_en);
  return true;
}

Status Switch::Impl::RecordSend(store::Transaction& tx, SendRecord& record) {
  const SendRequest& request = *record.request;
  const Route& route = *record.route;
  // A direct send is decided in this transaction: its steps are stamped now.
  record.decided_ms = record.direct ? std::max(record.created_ms, internal::NowMs()) : 0;  // never before it began
  record.error_code.clear();
  record.notifications.clear();
  // A direct send is recorded completed: if any of it fails, FinishDirectSends
  // rewrites the row in the same transaction, before anyone can read it.
  const bool direct = record.direct;
  // A step-by-step send learns the payee's account and names from the credit
  // (Process); until then its row holds what routing knew, and no names.
  std::string payee_account = direct ? record.payee.account_number : route.KnownAccountNumber();
  auto ins = tx.Execute(
      "INSERT INTO ipn_transactions (ir, user_id, client_request_id, request_hash, state, error_code, amount, fee, "
      "channel, payer_participant, payer_account, payee_kind, payee_identifier, payee_participant, payee_account, "
      "payee_name_ar, payee_name_en, expected_name, note, day_key, month_key, usage_released, hold_expires_ms, "
      "created_ms, updated_ms, direct_ms) VALUES ($1, $2, $3, $4, $5, '', $6, $7, $8, $9, $10, $11, $12, $13, $14, "
      "$15, $16, $17, $18, $19, $20, 0, $21, $22, $23, $24) ON CONFLICT DO NOTHING",
      std::vector<store::Value>{
          V(record.ir), V(request.user_id), V(request.client_request_id), V(Canonical(request)),
          V(direct ? "completed" : "initiated"), V(request.amount), V(record.fee), V(request.channel),
          V(request.payer_participant), V(request.payer_account), V(PayeeKindName(request.payee.kind)),
          V(route.identifier), V(route.participant), V(payee_account), V(record.payee_masked_name_ar),
          V(record.payee_masked_name_en), V(request.expected_payee_name), V(request.note), V(record.day),
          V(record.month), V(record.hold_expires_ms), V(record.created_ms),
          V(direct ? record.decided_ms : record.created_ms), V(direct ? record.decided_ms : int64_t{0})});
  if (!ins.ok()) return ins.error();
  // Taken: by a concurrent retry of this request (or, rarely, the IR by
  // another process on the same node). A refusal, not an SQL error, so a
  // batch of other transfers is not disturbed.
  if (ins->affected == 0) return Error("ipn.duplicate_request");
  // Reserve the amount against every limit in this same transaction: the
  // conditional upsert is the check, so two concurrent sends can never both
  // pass a limit that only one of them fits under. A refusal undoes the job
  // (BatchWriter): the row above and any reservation made go too.
  const Limits& user = record.policy->user_limits;
  const Limits& channel = record.policy->LimitsFor(request.channel);
  const std::vector<std::string> scopes = UsageScopes(request.user_id, request.channel);
  const Limits* limits[] = {&user, &channel};
  for (size_t s = 0; s < scopes.size(); ++s) {
    LAHZA_TRY(ReserveUsage(tx, scopes[s], *limits[s], record.day, record.month, request.amount));
  }
  if (direct) {
    direct_batch_.push_back(&record);
    return {};
  }
  LAHZA_TRY(AppendTimeline(tx, record.ir, record.created_ms, TransferState::kInitiated, "initiated", "switch", ""));
  batch_traffic_.Moved(std::nullopt, TransferState::kInitiated, route.participant, record.created_ms);  // last
  return {};
}

Status Switch::Impl::FinishBatch(store::Transaction& tx) {
  LAHZA_TRY(FinishDirectSends(tx));
  return batch_traffic_.Apply(tx);
}

Status Switch::Impl::FinishDirectSends(store::Transaction& tx) {
  if (direct_batch_.empty()) return {};

  // 0. The open settlement window's row, locked first: touching it
  // serialises us with a window close (the entries land in the window open
  // when we commit), and taking it before the ledger's writer row keeps one
  // lock order with Transition, which takes it without the ledger's — two
  // processes on PostgreSQL would otherwise deadlock. A close that wins the
  // race leaves a new open window, which the next statement sees.
  store::Value window_id;
  for (int attempt = 0;; ++attempt) {
    auto window = tx.Execute("UPDATE ipn_windows SET entries = entries WHERE status = 'open' RETURNING id");
    if (!window.ok()) return window.error();
    if (window->rows.size() == 1) {
      window_id = window->rows[0][0];
      break;
    }
    if (attempt == 2) return Error("store.busy", "settlement window changing");
  }

  // 1. Every debit of the batch (amount + fee at once), in one ledger call.
  std::vector<ledger::Transfer> debits;
  debits.reserve(direct_batch_.size());
  for (SendRecord* r : direct_batch_) {
    DebitOrder order{r->ir, r->request->payer_account, r->request->amount, r->fee, 0};
    debits.push_back(FindInstitution(r->request->payer_participant)->DirectDebitTransfer(order, r->payer.ledger_account));
  }
  // Their ids are "<IR>/debit", "<IR>/fee-income", "<IR>/credit" of IRs whose
  // rows this transaction inserted (RecordSend): none can be in the ledger
  // yet (the step-by-step path's ids for an IR need its committed row).
  auto debited = ledger_.ApplyInTransaction(tx, debits, ledger::Ledger::Ids::kNew);
  if (!debited.ok()) return debited.error();

  // 2. For the sends whose debit stood: the fee income and the credit. A
  // refused debit moved nothing, so there is nothing to release.
  std::vector<ledger::Transfer> moves;
  for (size_t i = 0; i < direct_batch_.size(); ++i) {
    SendRecord& r = *direct_batch_[i];
    if (!(*debited)[i].ok()) {
      r.error_code = DebitFailureCode((*debited)[i].code);
      continue;
    }
    DebitOrder order{r.ir, r.request->payer_account, r.request->amount, r.fee, 0};
    if (auto fee = FindInstitution(r.request->payer_participant)->FeeIncomeTransfer(order)) {
      moves.push_back(std::move(*fee));
    }
    CreditOrder credit{r.ir, r.route->key, r.request->amount, ""};
    moves.push_back(FindInstitution(r.route->participant)->CreditTransfer(credit, r.payee.ledger_account));
  }
  auto moved = ledger_.ApplyInTransaction(tx, moves, ledger::Ledger::Ids::kNew);
  if (!moved.ok()) return moved.error();
  // These move money out of institutions' own accounts (no limit flags) into
  // accounts that exist: they cannot fail but by a bug. If one does, nothing
  // of the batch is kept (the writer re-runs each send alone, and a send that
  // still fails reports it).
  for (size_t m = 0; m < moves.size(); ++m) {
    if (!(*moved)[m].ok()) {
      return Error("ipn.internal",
                   "direct send " + moves[m].id + ": " + std::string(ledger::CodeName((*moved)[m].code)));
    }
  }

  // 3. The switch's records. The timeline and the notifications follow from
  // the row (DirectSteps, DirectNotifications): nothing to write for them.
  std::vector<store::Row> settlement;
  internal::SettlementFlows flows;
  for (SendRecord* rp : direct_batch_) {
    SendRecord& r = *rp;
    if (!r.error_code.empty()) {
      // Failed transfers do not count against the limits.
      LAHZA_TRY(ReleaseUsage(tx, r.request->user_id, r.request->channel, r.day, r.month, r.request->amount));
      // Nothing reached the payee: the row keeps only what routing knew, as
      // a failed step-by-step send's does.
      auto up = tx.Execute(
          "UPDATE ipn_transactions SET state = 'failed', error_code = $1, usage_released = 1, payee_account = $2, "
          "payee_name_ar = '', payee_name_en = '', updated_ms = $3 WHERE ir = $4",
          std::vector<store::Value>{V(r.error_code), V(r.route->KnownAccountNumber()), V(r.decided_ms), V(r.ir)});
      if (!up.ok()) return up.error();
      continue;
    }
    settlement.push_back(store::Row{V(r.ir), V("transfer"), window_id, V(r.request->payer_participant),
                                    V(r.route->participant), V(r.request->amount)});
    flows.Add(store::AsInt(window_id), r.request->payer_participant, r.route->participant, r.request->amount);
  }
  if (!settlement.empty()) {
    auto count = tx.Execute("UPDATE ipn_windows SET entries = entries + $1 WHERE id = $2",
                            std::vector<store::Value>{V(static_cast<int64_t>(settlement.size())), window_id});
    if (!count.ok()) return count.error();
    auto ins = tx.InsertMany("ipn_settlement_entries", SettlementColumns(), settlement);
    if (!ins.ok()) return ins.error();
    LAHZA_TRY(flows.Apply(tx));
  }
  // 4. Whoever keeps rows of their own about these sends, in this same commit:
  // the caller's rows first, with the payer's notice (the app files it on
  // the payer's history row as it inserts it), then the outbox writer with
  // the others (the payee's, which the app files on the payee's new row).
  for (SendRecord* r : direct_batch_) {
    r->view = DirectView(*r);  // also what Send answers
    r->notifications = DirectNotifications(r->view, r->decided_ms);
    const bool recorded = static_cast<bool>(r->request->record_with_outcome);
    if (recorded) {
      const Notification& payer_notice = r->notifications.front();
      assert(payer_notice.user_id == r->request->user_id);
      LAHZA_TRY(r->request->record_with_outcome(tx, r->view, payer_notice));
    }
    for (size_t i = recorded ? 1 : 0; i < r->notifications.size(); ++i) LAHZA_TRY(WriteOutbox(tx, r->notifications[i]));
    // Counted in its final state: its row never showed another.
    batch_traffic_.Moved(std::nullopt, r->view.state, r->view.payee_participant, r->decided_ms);
  }
  return {};
}

TransactionView Switch::Impl::DirectView(const SendRecord& r) const {
  assert(r.direct && r.decided_ms != 0);
  const SendRequest& request = *r.request;
  TransactionView v;
  v.ir = r.ir;
  v.state = r.error_code.empty() ? TransferState::kCompleted : TransferState::kFailed;
  v.error_code = r.error_code;
  v.amount = request.amount;
  v.fee = r.fee;
  v.user_id = request.user_id;
  v.client_request_id = request.client_request_id;
  v.channel = request.channel;
  v.payer_participant = request.payer_participant;
  v.payer_account = request.payer_account;
  v.payee_kind = request.payee.kind;
  v.payee_identifier = r.route->identifier;
  v.payee_participant = r.route->participant;
  v.note = request.note;
  v.created_ms = r.created_ms;
  v.updated_ms = r.decided_ms;
  v.hold_expires_ms = r.hold_expires_ms;
  if (!r.error_code.empty()) {
    v.payee_account = r.route->KnownAccountNumber();
  } else {
    v.payee_account = r.payee.account_number;
    v.payee_masked_name_ar = r.payee_masked_name_ar;
    v.payee_masked_name_en = r.payee_masked_name_en;
  }
  v.timeline = DirectSteps(v, r.decided_ms);
  return v;
}

std::vector<TimelineEntry> Switch::Impl::DirectSteps(const TransactionView& v, int64_t decided_ms) {
  assert(decided_ms != 0);
  std::vector<TimelineEntry> steps{{1, v.created_ms, TransferState::kInitiated, "initiated", "switch", ""}};
  if (v.state == TransferState::kFailed) {
    steps.push_back({2, decided_ms, TransferState::kFailed, "debit_failed", v.payer_participant, v.error_code});
    return steps;
  }
  steps.push_back({2, decided_ms, TransferState::kDebited, "debited", v.payer_participant, ""});
  steps.push_back({3, decided_ms, TransferState::kCredited, "credited", v.payee_participant, ""});
  steps.push_back({4, decided_ms, TransferState::kCompleted, "completed", "switch", ""});
  return steps;
}

std::vector<Notification> Switch::Impl::DirectNotifications(const TransactionView& v, int64_t decided_ms) {
  assert(decided_ms != 0);
  auto notice = [&](const char* kind, bool payee_side) {
    Notification n;
    n.ir = v.ir;
    n.kind = kind;
    n.participant = payee_side ? v.payee_participant : v.payer_participant;
    n.account = payee_side ? v.payee_account : v.payer_account;
    n.user_id = payee_side ? "" : v.user_id;
    n.amount = v.amount;
    n.created_ms = decided_ms;
    n.id = v.ir + "/" + kind + "/" + (payee_side ? "payee" : "payer");
    return n;
  };
  // The payer's first: FinishDirectSends hands it to record_with_outcome.
  if (v.state == TransferState::kFailed) return {notice("failed", false)};
  return {notice("sent", false), notice("received", true)};
}

}  // namespace lahza::ipn
