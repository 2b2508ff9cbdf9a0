// The switch: routing, the transfer state machine, limits and fees,
// reconciliation, operator actions and the notification outbox. Settlement
// lives in settlement.cc.
#include "ipn/switch.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cassert>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <thread>
#include <tuple>

#include "core/card.h"
#include "core/digits.h"
#include "core/iban.h"
#include "core/ipa.h"
#include "core/ir_reference.h"
#include "core/messages.h"
#include "core/mobile.h"
#include "core/thread_name.h"
#include "ipn/internal.h"
#include "ipn/switch_impl.h"
#include "ledger/ledger.h"

namespace lahza::ipn {

using internal::V;

// ---------------------------------------------------------------------------
// Names

namespace {
constexpr std::pair<TransferState, std::string_view> kStateNames[] = {
    {TransferState::kInitiated, "initiated"},
    {TransferState::kDebited, "debited"},
    {TransferState::kCredited, "credited"},
    {TransferState::kCompleted, "completed"},
    {TransferState::kRejected, "rejected"},
    {TransferState::kFailed, "failed"},
    {TransferState::kTimedOutAfterDebit, "timed_out_after_debit"},
    {TransferState::kReversed, "reversed"},
    {TransferState::kDisputed, "disputed"},
};
constexpr std::pair<PayeeKind, std::string_view> kPayeeKindNames[] = {
    {PayeeKind::kIpa, "ipa"},         {PayeeKind::kMobile, "mobile"}, {PayeeKind::kAccountNumber, "account"},
    {PayeeKind::kIban, "iban"},       {PayeeKind::kWallet, "wallet"}, {PayeeKind::kCard, "card"},
};
}  // namespace

std::string_view StateName(TransferState state) {
  for (auto [s, name] : kStateNames) {
    if (s == state) return name;
  }
  return "initiated";
}

std::optional<TransferState> ParseState(std::string_view name) {
  for (auto [s, n] : kStateNames) {
    if (n == name) return s;
  }
  return std::nullopt;
}

bool IsFinal(TransferState state) {
  return state == TransferState::kCompleted || state == TransferState::kRejected || state == TransferState::kFailed ||
         state == TransferState::kReversed;
}

std::string_view PayeeKindName(PayeeKind kind) {
  for (auto [k, name] : kPayeeKindNames) {
    if (k == kind) return name;
  }
  return "ipa";
}

std::optional<PayeeKind> ParsePayeeKind(std::string_view name) {
  for (auto [k, n] : kPayeeKindNames) {
    if (n == name) return k;
  }
  return std::nullopt;
}

std::string_view FaultName(Fault::Kind kind) {
  switch (kind) {
    case Fault::Kind::kNone: return "none";
    case Fault::Kind::kDown: return "down";
    case Fault::Kind::kSlow: return "slow";
    case Fault::Kind::kTimeoutAfterDebit: return "timeout_after_debit";
    case Fault::Kind::kReject: return "reject";
  }
  return "none";
}

// ---------------------------------------------------------------------------
// Impl: set-up, faults, links

Switch::Impl::Impl(store::Store& store, ledger::Ledger& ledger, SwitchOptions options)
    : store_(store),
      ledger_(ledger),
      options_(std::move(options)),
      clock_(options_.clock ? options_.clock : &system_clock_) {}

Switch::Impl::~Impl() { StopReconciler(); }

Status Switch::Impl::Init() {
  LAHZA_TRY(options_.policy.Validate());
  if (options_.hold_timeout_seconds <= 0) return Error("ipn.policy_invalid", "hold timeout must be positive");
  if (options_.node < 0 || options_.node > IrReference::kMaxNode) return Error("ipn.policy_invalid", "node 0..999");
  LAHZA_TRY(internal::MigrateIpn(store_));
  LAHZA_TRY(LoadStoredPolicy());
  writer_ = std::make_unique<store::BatchWriter>(
      store_, 256,
      store::BatchWriter::Hooks{[this] {
                                  direct_batch_.clear();
                                  batch_traffic_ = {};
                                },
                                [this](store::Transaction& tx) { return FinishBatch(tx); }});
  {
    // Resume after this node's last reference, so a restart with a clock that
    // went back can never reissue one.
    auto node = IrReference::FromParts(options_.node, 0).str().substr(0, 5);  // "IR" + 3-digit node
    auto last = store_.Execute("SELECT MAX(ir) FROM ipn_transactions WHERE ir LIKE $1",
                               std::vector<store::Value>{V(node + "%")}, store::Mode::kRead);
    if (!last.ok()) return last.error();
    uint64_t resume_after = 0;
    if (!last->rows.empty() && !store::IsNull(last->rows[0][0])) {
      auto parsed = IrReference::Parse(store::AsText(last->rows[0][0]));
      if (parsed.ok()) resume_after = parsed->counter();
    }
    generator_ = std::make_unique<IrReferenceGenerator>(options_.node, IrReferenceGenerator::SystemClockMs,
                                                        resume_after);
  }
  std::vector<ledger::Account> accounts;
  for (const Participant& p : options_.directory.participants()) {
    auto number = internal::WithWrite(store_, [&](store::Transaction& tx) -> Result<int64_t> {
      std::vector<store::Value> code{V(p.code)};
      auto found = tx.Execute("SELECT number FROM ipn_participants WHERE code = $1", code);
      if (!found.ok()) return found.error();
      if (!found->rows.empty()) return store::AsInt(found->rows[0][0]);
      // Numbers are never reused: they name ledger accounts.
      auto next = tx.Execute("SELECT COALESCE(MAX(number), 0) + 1 FROM ipn_participants");
      if (!next.ok()) return next.error();
      int64_t n = store::AsInt(next->rows.at(0).at(0));
      std::vector<store::Value> row{V(p.code), V(n), V(KindName(p.kind)), V(p.name_ar), V(p.name_en)};
      auto ins = tx.Execute(
          "INSERT INTO ipn_participants (code, number, kind, name_ar, name_en) VALUES ($1, $2, $3, $4, $5)", row);
      if (!ins.ok()) return ins.error();
      return n;
    });
    if (!number.ok()) return number.error();
    numbers_[p.code] = *number;
    institutions_[p.code] = MakeLocalInstitution(p, *number, store_, ledger_);
    ParticipantAccounts ids = AccountsOf(*number);
    for (auto [code, what] : {std::pair{internal::kCodeSettlement, "settlement"}, {internal::kCodeClearing, "clearing"},
                              {internal::kCodeFees, "fees"}, {internal::kCodeFunding, "funding"}}) {
      ledger::Account a;
      a.id = ids.Named(what);
      assert(a.id != 0);
      a.code = code;
      a.owner = p.code;
      // An institution's own accounts keep their history (their statements
      // are what settlement and an operator reconcile); a batch's sends
      // share their few index pages. Customers' accounts do not (institution.cc).
      a.flags = ledger::account_flags::kHistory;
      a.user_data = std::string(what) + ":" + (code == internal::kCodeSettlement ? p.settlement_account : p.code);
      accounts.push_back(a);
    }
  }
  for (auto [id, what] : {std::pair{internal::kSettlementPool, "pool:settlement"},
                          std::pair{internal::kClearingPool, "pool:clearing"}}) {
    ledger::Account a;
    a.id = id;
    a.code = internal::kCodePool;
    a.owner = "CBE";
    a.flags = ledger::account_flags::kHistory;
    a.user_data = what;
    accounts.push_back(a);
  }
  auto created = ledger_.CreateAccounts(accounts);
  if (!created.ok()) return created.error();
  for (const auto& r : *created) {
    if (!r.ok()) return ledger::ToError(r.code);
  }
  auto window = store_.Execute(
      "INSERT INTO ipn_windows (id, status, opened_ms, closed_ms, entries) VALUES (1, 'open', $1, 0, 0) "
      "ON CONFLICT (id) DO NOTHING",
      std::vector<store::Value>{V(internal::NowMs())});
  if (!window.ok()) return window.error();
  // A crash between fixing a window's positions and posting them leaves it
  // "closed": post it now (the postings are idempotent).
  auto closed = store_.Execute("SELECT id FROM ipn_windows WHERE status = 'closed' ORDER BY id", {},
                               store::Mode::kRead);
  if (!closed.ok()) return closed.error();
  for (const auto& row : closed->rows) LAHZA_TRY(PostWindow(store::AsInt(row[0])));
  return {};
}

LocalInstitution* Switch::Impl::FindInstitution(std::string_view code) {
  auto it = institutions_.find(std::string(code));
  return it == institutions_.end() ? nullptr : it->second.get();
}

Status Switch::Impl::SetFault(std::string_view participant, Fault fault) {
  if (!FindInstitution(participant)) return Error("ipn.participant_unknown", std::string(participant));
  if (fault.slow_ms < 0 || fault.slow_ms > 600'000) return Error("ipn.fault_invalid", "slow_ms must be 0..600000");
  if (fault.kind == Fault::Kind::kReject &&
      (fault.reject_code.rfind("ipn.", 0) != 0 || !FindMessage(fault.reject_code))) {
    return Error("ipn.fault_invalid", "reject_code must be an ipn code in the catalogue");
  }
  std::unique_lock lock(faults_mutex_);
  if (fault.kind == Fault::Kind::kNone) faults_.erase(std::string(participant));
  else faults_[std::string(participant)] = std::move(fault);
  return {};
}

Fault Switch::Impl::GetFault(std::string_view participant) const {
  std::shared_lock lock(faults_mutex_);
  auto it = faults_.find(std::string(participant));
  return it == faults_.end() ? Fault{} : it->second;
}

// ---------------------------------------------------------------------------
// Routing

Result<Switch::Impl::Route> Switch::Impl::RoutePayee(const PayeeId& payee, store::Transaction* reads) {
  Route route;
  auto alias = [&](const std::string& key) -> Status {
    const std::string sql = "SELECT participant, account_number FROM ipn_aliases WHERE alias = $1";
    const std::vector<store::Value> params{V(key)};
    auto rows = reads ? reads->Execute(sql, params) : store_.Execute(sql, params, store::Mode::kRead);
    if (!rows.ok()) return rows.error();
    if (rows->rows.empty()) return Error("ipn.payee_not_found", key);
    route.participant = store::AsText(rows->rows[0][0]);
    route.key = {AccountKeyKind::kAccountNumber, store::AsText(rows->rows[0][1])};
    return {};
  };
  switch (payee.kind) {
    case PayeeKind::kIpa: {
      auto ipa = Ipa::Parse(payee.value);
      if (!ipa.ok()) return ipa.error();
      route.identifier = ipa->address();
      LAHZA_TRY(alias("ipa:" + route.identifier));
      break;
    }
    case PayeeKind::kMobile: {
      auto mobile = MobileNumber::Parse(payee.value);
      if (!mobile.ok()) return mobile.error();
      route.identifier = mobile->e164();
      LAHZA_TRY(alias("mobile:" + route.identifier));
      break;
    }
    case PayeeKind::kWallet: {
      auto mobile = MobileNumber::Parse(payee.value);
      if (!mobile.ok()) return mobile.error();
      route.identifier = mobile->e164();
      const Participant* p = options_.directory.ByWalletMobile(route.identifier);
      if (!p) return Error("ipn.payee_not_found", "no wallet provider for " + route.identifier);
      route.participant = p->code;
      route.key = {AccountKeyKind::kMobile, route.identifier};
      break;
    }
    case PayeeKind::kAccountNumber: {
      if (payee.value.empty() || payee.value.size() > 34) return Error("ipn.account_number_invalid");
      if (!options_.directory.Find(payee.participant)) return Error("ipn.participant_unknown", payee.participant);
      route.identifier = payee.value;
      route.participant = payee.participant;
      route.key = {AccountKeyKind::kAccountNumber, payee.value};
      break;
    }
    case PayeeKind::kIban: {
      auto iban = Iban::Parse(payee.value);
      if (!iban.ok()) return iban.error();
      route.identifier = iban->electronic();
      auto parts = iban->egypt();
      if (!parts) return Error("ipn.payee_not_found", "only Egyptian IBANs are reachable");
      const Participant* p = options_.directory.ByBankCode(parts->bank_code);
      if (!p) return Error("ipn.payee_not_found", "no participant with bank code " + parts->bank_code);
      route.participant = p->code;
      route.key = {AccountKeyKind::kIban, route.identifier};
      break;
    }
    case PayeeKind::kCard: {
      auto card = CardNumber::Parse(payee.value);
      if (!card.ok()) return card.error();
      route.identifier = card->digits();
      const Participant* p = options_.directory.ByCardNumber(route.identifier);
      if (!p) return Error("ipn.payee_not_found", "no participant issues " + card->masked());
      route.participant = p->code;
      route.key = {AccountKeyKind::kCardNumber, route.identifier};
      break;
    }
  }
  return route;
}

Result<PayeeLookup> Switch::Impl::Lookup(const PayeeId& payee) {
  auto route = RoutePayee(payee);
  if (!route.ok()) return route.error();
  auto account = Call<Result<AccountInfo>>(route->participant, CallKind::kLookup,
                                           [&](Institution& i) { return i.Lookup(route->key); });
  if (!account.ok()) {
    if (account.error().code == "ipn.account_not_found") return Error("ipn.payee_not_found", route->identifier);
    return account.error();
  }
  if (account->status != AccountStatus::kOpen) return Error("ipn.account_closed", route->identifier);
  const Participant* p = options_.directory.Find(route->participant);
  return PayeeLookup{p->code, p->name_ar, p->name_en, internal::MaskName(account->name_ar),
                     internal::MaskName(account->name_en), account->account_number};
}

Result<AccountInfo> Switch::Impl::VerifyLink(std::string_view participant, std::string_view account_number,
                                             std::string_view mobile) {
  if (!FindInstitution(participant)) return Error("ipn.participant_unknown", std::string(participant));
  auto parsed = MobileNumber::Parse(mobile);
  if (!parsed.ok()) return parsed.error();
  AccountKey key{AccountKeyKind::kAccountNumber, std::string(account_number)};
  auto account = Call<Result<AccountInfo>>(std::string(participant), CallKind::kLookup,
                                           [&](Institution& i) { return i.Lookup(key); });
  if (!account.ok()) return account.error();
  if (account->status != AccountStatus::kOpen) return Error("ipn.account_closed", std::string(account_number));
  // The scheme's rule: only an account registered at the bank with the same
  // mobile number as the app user may be linked.
  if (account->mobile != parsed->e164()) return Error("ipn.link_mobile_mismatch", std::string(account_number));
  return account;
}

Status Switch::Impl::RegisterIpa(std::string_view ipa_text, std::string_view participant,
                                 std::string_view account_number, std::string_view mobile) {
  auto ipa = Ipa::Parse(ipa_text);
  if (!ipa.ok()) return ipa.error();
  auto account = VerifyLink(participant, account_number, mobile);
  if (!account.ok()) return account.error();
  std::string alias = "ipa:" + ipa->address();
  return internal::WithWrite(store_, [&](store::Transaction& tx) -> Status {
    auto existing = tx.Execute("SELECT participant, account_number FROM ipn_aliases WHERE alias = $1",
                               std::vector<store::Value>{V(alias)});
    if (!existing.ok()) return existing.error();
    if (!existing->rows.empty()) {
      // Registering the same IPA for the same account again is a retry.
      if (store::AsText(existing->rows[0][0]) == participant && store::AsText(existing->rows[0][1]) == account_number) {
        return {};
      }
      return Error("ipn.ipa_taken", ipa->address());
    }
    auto ins = tx.Execute(
        "INSERT INTO ipn_aliases (alias, kind, participant, account_number, created_ms) VALUES ($1, 'ipa', $2, $3, $4)",
        std::vector<store::Value>{V(alias), V(participant), V(account_number), V(internal::NowMs())});
    if (!ins.ok()) {
      if (ins.error().code == "store.conflict") return Error("ipn.account_has_ipa", std::string(account_number));
      return ins.error();
    }
    return {};
  });
}

Status Switch::Impl::SetDefaultAccount(std::string_view mobile, std::string_view participant,
                                       std::string_view account_number) {
  auto account = VerifyLink(participant, account_number, mobile);
  if (!account.ok()) return account.error();
  std::string alias = "mobile:" + account->mobile;
  return internal::WithWrite(store_, [&](store::Transaction& tx) -> Status {
    auto del = tx.Execute("DELETE FROM ipn_aliases WHERE alias = $1", std::vector<store::Value>{V(alias)});
    if (!del.ok()) return del.error();
    auto ins = tx.Execute(
        "INSERT INTO ipn_aliases (alias, kind, participant, account_number, created_ms) "
        "VALUES ($1, 'mobile', $2, $3, $4)",
        std::vector<store::Value>{V(alias), V(participant), V(account_number), V(internal::NowMs())});
    if (!ins.ok()) return ins.error();
    return {};
  });
}

// ---------------------------------------------------------------------------
// Reading transactions

namespace {
constexpr std::string_view kTxColumns =
    "ir, user_id, client_request_id, state, error_code, amount, fee, channel, payer_participant, payer_account, "
    "payee_kind, payee_identifier, payee_participant, payee_account, payee_name_ar, payee_name_en, note, "
    "created_ms, updated_ms, hold_expires_ms, request_hash";

TransactionView ToView(const store::Row& r) {
  TransactionView v;
  v.ir = store::AsText(r[0]);
  v.user_id = store::AsText(r[1]);
  v.client_request_id = store::AsText(r[2]);
  v.state = ParseState(store::AsText(r[3])).value_or(TransferState::kInitiated);
  v.error_code = store::AsText(r[4]);
  v.amount = store::AsInt(r[5]);
  v.fee = store::AsInt(r[6]);
  v.channel = store::AsText(r[7]);
  v.payer_participant = store::AsText(r[8]);
  v.payer_account = store::AsText(r[9]);
  v.payee_kind = ParsePayeeKind(store::AsText(r[10])).value_or(PayeeKind::kIpa);
  v.payee_identifier = store::AsText(r[11]);
  v.payee_participant = store::AsText(r[12]);
  v.payee_account = store::AsText(r[13]);
  v.payee_masked_name_ar = store::AsText(r[14]);
  v.payee_masked_name_en = store::AsText(r[15]);
  v.note = store::AsText(r[16]);
  v.created_ms = store::AsInt(r[17]);
  v.updated_ms = store::AsInt(r[18]);
  v.hold_expires_ms = store::AsInt(r[19]);
  return v;
}

// A send's row as a view, and its direct_ms: when not 0, its first timeline
// steps and notifications are derived (DirectSteps, DirectNotifications),
// not stored. nullopt: no such send.
struct SendRow {
  TransactionView view;
  int64_t direct_ms = 0;
};
Result<std::optional<SendRow>> LoadSendRow(store::Transaction& tx, const std::string& ir) {
  auto rows = tx.Execute("SELECT " + std::string(kTxColumns) + ", direct_ms FROM ipn_transactions WHERE ir = $1",
                         std::vector<store::Value>{V(ir)});
  if (!rows.ok()) return rows.error();
  if (rows->rows.empty()) return std::optional<SendRow>();
  const store::Row& row = rows->rows[0];
  return std::optional<SendRow>(SendRow{ToView(row), store::AsInt(row.back())});
}
}  // namespace

Result<TransactionView> Switch::Impl::ReadView(const std::string& ir) {
  auto tx = store_.Begin(store::Mode::kRead);
  if (!tx.ok()) return tx.error();
  std::vector<store::Value> key{V(ir)};
  auto send = LoadSendRow(**tx, ir);
  if (!send.ok()) return send.error();
  if (!*send) return Error("ipn.transaction_not_found", ir);
  TransactionView view = std::move((*send)->view);
  if ((*send)->direct_ms != 0) {
    view.timeline = DirectSteps(view, (*send)->direct_ms);  // then the stored steps, numbered after these
  }
  auto steps = (*tx)->Execute(
      "SELECT seq, at_ms, state, event, actor, detail FROM ipn_timeline WHERE ir = $1 ORDER BY seq", key);
  if (!steps.ok()) return steps.error();
  for (const auto& s : steps->rows) {
    view.timeline.push_back(TimelineEntry{store::AsInt(s[0]), store::AsInt(s[1]),
                                          ParseState(store::AsText(s[2])).value_or(TransferState::kInitiated),
                                          store::AsText(s[3]), store::AsText(s[4]), store::AsText(s[5])});
  }
  return view;
}

Result<TransactionView> Switch::Impl::GetTransaction(std::string_view ir_text) {
  auto ir = IrReference::Parse(ir_text);
  if (!ir.ok()) return ir.error();
  return ReadView(ir->str());
}

// ---------------------------------------------------------------------------
// Transitions: one store transaction moves the state (compare-and-set), adds
// the timeline entry, releases limit usage, records the settlement entry and
// writes the outbox. Either all of it happened or none.

Result<bool> Switch::Impl::Transition(const std::string& ir, std::initializer_list<TransferState> from,
                                      const Change& change) {
  std::vector<Notification> sent;
  auto body = [&](store::Transaction& tx) -> Result<bool> {
    sent.clear();
    std::vector<store::Value> key{V(ir)};
    auto rows = tx.Execute("SELECT " + std::string(kTxColumns) +
                               ", day_key, month_key, usage_released FROM ipn_transactions WHERE ir = $1",
                           key);
    if (!rows.ok()) return rows.error();
    if (rows->rows.empty()) return Error("ipn.transaction_not_found", ir);
    const store::Row& row = rows->rows[0];
    TransactionView v = ToView(row);
    if (std::find(from.begin(), from.end(), v.state) == from.end()) return false;
    int64_t now = internal::NowMs();
    std::string payee_account = change.payee_account.empty() ? v.payee_account : change.payee_account;
    std::string name_ar = change.payee_name_ar.empty() ? v.payee_masked_name_ar : change.payee_name_ar;
    std::string name_en = change.payee_name_en.empty() ? v.payee_masked_name_en : change.payee_name_en;
    std::string error_code = change.error_code.value_or(v.error_code);
    auto up = tx.Execute(
        "UPDATE ipn_transactions SET state = $1, updated_ms = $2, error_code = $3, payee_account = $4, "
        "payee_name_ar = $5, payee_name_en = $6 WHERE ir = $7 AND state = $8",
        std::vector<store::Value>{V(StateName(change.to)), V(now), V(error_code), V(payee_account), V(name_ar),
                                  V(name_en), V(ir), V(StateName(v.state))});
    if (!up.ok()) return up.error();
    if (up->affected == 0) return false;  // another actor moved it first
    for (const Step& step : change.steps) {
      LAHZA_TRY(AppendTimeline(tx, ir, step.at_ms, step.state, step.event, step.actor, ""));
    }
    LAHZA_TRY(AppendTimeline(tx, ir, now, change.to, change.event, change.actor, change.detail));

    if (change.release_usage && store::AsInt(row[23]) == 0) {
      LAHZA_TRY(ReleaseUsage(tx, v.user_id, v.channel, store::AsText(row[21]), store::AsText(row[22]), v.amount));
      auto flag = tx.Execute("UPDATE ipn_transactions SET usage_released = 1 WHERE ir = $1", key);
      if (!flag.ok()) return flag.error();
    }

    if (!change.settlement_kind.empty()) {
      bool reversal = change.settlement_kind == "reversal";
      bool record = true;
      if (reversal) {
        // Only a transfer that was settled as completed has a position to undo.
        auto had = tx.Execute("SELECT 1 FROM ipn_settlement_entries WHERE ir = $1 AND kind = 'transfer'", key);
        if (!had.ok()) return had.error();
        record = !had->rows.empty();
      }
      if (record) {
        // Touching the open window's row serialises us with a window close:
        // the entry lands in the window that is open when we commit.
        auto touch = tx.Execute("UPDATE ipn_windows SET entries = entries + 1 WHERE status = 'open'");
        if (!touch.ok()) return touch.error();
        if (touch->affected != 1) return Error("store.busy", "settlement window changing");
        auto window = tx.Execute("SELECT id FROM ipn_windows WHERE status = 'open'");
        if (!window.ok()) return window.error();
        if (window->rows.size() != 1) return Error("store.busy", "settlement window changing");
        std::string from_p = reversal ? v.payee_participant : v.payer_participant;
        std::string to_p = reversal ? v.payer_participant : v.payee_participant;
        auto ins = tx.Execute(
            "INSERT INTO ipn_settlement_entries (ir, kind, window_id, from_participant, to_participant, amount) "
            "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (ir, kind) DO NOTHING",
            std::vector<store::Value>{V(ir), V(change.settlement_kind), window->rows[0][0], V(from_p), V(to_p),
                                      V(v.amount)});
        if (!ins.ok()) return ins.error();
        if (ins->affected == 1) {
          internal::SettlementFlows flow;
          flow.Add(store::AsInt(window->rows[0][0]), from_p, to_p, v.amount);
          LAHZA_TRY(flow.Apply(tx));
        }
      }
    }

    for (const auto& [kind, payee_side] : change.notify) {
      Notification n;
      n.ir = ir;
      n.kind = kind;
      n.participant = payee_side ? v.payee_participant : v.payer_participant;
      n.account = payee_side ? payee_account : v.payer_account;
      n.user_id = payee_side ? "" : v.user_id;
      n.amount = v.amount;
      n.created_ms = now;
      n.id = ir + "/" + kind + "/" + (payee_side ? "payee" : "payer");
      auto ins = tx.Execute(
          "INSERT INTO ipn_outbox (id, ir, kind, participant, account, user_id, amount, created_ms) "
          "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING",
          std::vector<store::Value>{V(n.id), V(ir), V(n.kind), V(n.participant), V(n.account), V(n.user_id),
                                    V(n.amount), V(n.created_ms)});
      if (!ins.ok()) return ins.error();
      if (ins->affected > 0) {
        LAHZA_TRY(WriteOutbox(tx, n));
        sent.push_back(std::move(n));
      }
    }
    // Last: nothing after this can undo the job.
    batch_traffic_.Moved(v.state, change.to, v.payee_participant, now);
    return true;
  };
  bool moved = false;
  Status done = writer_->Run([&](store::Transaction& tx) -> Status {
    moved = false;
    auto r = body(tx);
    if (!r.ok()) return r.error();
    moved = *r;
    return {};
  });
  if (!done.ok()) return done.error();
  if (moved) Notify(sent);
  return moved;
}

Status Switch::Impl::AppendTimeline(store::Transaction& tx, const std::string& ir, int64_t at_ms,
                                    TransferState state, const std::string& event, const std::string& actor,
                                    const std::string& detail) {
  // After the last stored step, and after a direct send's derived ones.
  auto send = LoadSendRow(tx, ir);
  if (!send.ok()) return send.error();
  if (!*send) return Error("ipn.transaction_not_found", ir);
  auto last =
      tx.Execute("SELECT COALESCE(MAX(seq), 0) FROM ipn_timeline WHERE ir = $1", std::vector<store::Value>{V(ir)});
  if (!last.ok()) return last.error();
  int64_t seq = store::AsInt(last->rows.at(0).at(0));
  if ((*send)->direct_ms != 0) {
    seq = std::max<int64_t>(seq, static_cast<int64_t>(DirectSteps((*send)->view, (*send)->direct_ms).size()));
  }
  auto ins = tx.Execute(
      "INSERT INTO ipn_timeline (ir, seq, at_ms, state, event, actor, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)",
      std::vector<store::Value>{V(ir), V(seq + 1), V(at_ms), V(StateName(state)), V(event), V(actor), V(detail)});
  if (!ins.ok()) return ins.error();
  return {};
}

std::vector<std::string> Switch::Impl::UsageScopes(const std::string& user, const std::string& channel) {
  return {"user:" + user, "user:" + user + "|channel:" + channel};
}

Status Switch::Impl::ReleaseUsage(store::Transaction& tx, const std::string& user, const std::string& channel,
                                  const std::string& day, const std::string& month, int64_t amount) {
  // A window that has moved on since (a new day or month) keeps its usage.
  for (const std::string& scope : UsageScopes(user, channel)) {
    auto rel = tx.Execute(
        "UPDATE ipn_usage_windows SET day_used = CASE WHEN day = $2 THEN day_used - $1 ELSE day_used END, "
        "month_used = CASE WHEN month = $3 THEN month_used - $1 ELSE month_used END WHERE scope = $4",
        std::vector<store::Value>{V(amount), V(day), V(month), V(scope)});
    if (!rel.ok()) return rel.error();
  }
  return {};
}

void Switch::Impl::Notify(const std::vector<Notification>& notifications) {
  // Called under the lock (shared: callbacks run in parallel), not on a copy,
  // so SetNotifier({}) returning means no callback still runs into whoever
  // installed it (the App captures its own raw pointer).
  std::shared_lock lock(notifier_mutex_);
  if (!notifier_) return;
  for (const auto& n : notifications) notifier_(n);
}

void Switch::Impl::SetNotifier(std::function<void(const Notification&)> notifier) {
  std::unique_lock lock(notifier_mutex_);
  notifier_ = std::move(notifier);
}

void Switch::Impl::SetOutboxWriter(std::function<Status(store::Transaction&, const Notification&)> writer) {
  std::unique_lock lock(outbox_writer_mutex_);
  outbox_writer_ = std::move(writer);
}

Status Switch::Impl::WriteOutbox(store::Transaction& tx, const Notification& n) {
  std::shared_lock lock(outbox_writer_mutex_);
  if (!outbox_writer_) return {};
  return outbox_writer_(tx, n);
}

Result<std::vector<Notification>> Switch::Impl::NotificationsFor(std::string_view ir) {
  auto tx = store_.Begin(store::Mode::kRead);
  if (!tx.ok()) return tx.error();
  std::vector<store::Value> key{V(std::string(ir))};
  std::vector<Notification> out;
  auto send = LoadSendRow(**tx, std::string(ir));
  if (!send.ok()) return send.error();
  if (*send && (*send)->direct_ms != 0) out = DirectNotifications((*send)->view, (*send)->direct_ms);
  auto rows = (*tx)->Execute(
      "SELECT id, ir, kind, participant, account, user_id, amount, created_ms FROM ipn_outbox WHERE ir = $1", key);
  if (!rows.ok()) return rows.error();
  for (const auto& r : rows->rows) {
    out.push_back(Notification{store::AsText(r[0]), store::AsText(r[1]), store::AsText(r[2]), store::AsText(r[3]),
                               store::AsText(r[4]), store::AsText(r[5]), store::AsInt(r[6]), store::AsInt(r[7])});
  }
  std::sort(out.begin(), out.end(), [](const Notification& a, const Notification& b) {
    return std::tie(a.created_ms, a.id) < std::tie(b.created_ms, b.id);
  });
  return out;
}

// ---------------------------------------------------------------------------
// Send

std::string Switch::Impl::Canonical(const SendRequest& r) {
  const char sep = '\x1f';
  return r.payer_participant + sep + r.payer_account + sep + std::string(PayeeKindName(r.payee.kind)) + sep +
         r.payee.value + sep + r.payee.participant + sep + std::to_string(r.amount) + sep + r.channel + sep +
         r.expected_payee_name + sep + r.note;
}

namespace {

Status CheckText(const std::string& value, size_t max, const char* field, bool required) {
  if (required && value.empty()) return Error("ipn.field_required", field);
  if (value.size() > max) return Error("ipn.field_too_long", field);
  return {};
}

// The Cairo day and month a send counts against ("2026-11-27", "2026-11").
struct UsagePeriod {
  std::string day, month;
};
UsagePeriod UsagePeriodAt(Instant now) {
  const CairoTime cairo = ToCairo(now);
  std::string month = std::to_string(cairo.year) + "-" + ZeroPadded(cairo.month, 2);
  std::string day = month + "-" + ZeroPadded(cairo.day, 2);
  return {std::move(day), std::move(month)};
}

// Errors from a credit call after which nothing can have been credited: the
// request never reached the institution, or it refused before claiming.
bool DefinitelyNotCredited(const std::string& code) {
  return code == "ipn.participant_down" || code == "ipn.participant_rejected" || code == "ipn.account_not_found" ||
         code == "ipn.account_closed" || code == "ipn.name_mismatch" || code == "ipn.credit_fenced" ||
         code == "ipn.participant_unknown";
}
}  // namespace

const std::string& internal::RequestLookupSql() {
  static const std::string sql =
      "SELECT ir, request_hash FROM ipn_transactions WHERE user_id = $1 AND client_request_id = $2";
  return sql;
}

Result<std::optional<TransactionView>> Switch::Impl::FindRequest(const SendRequest& request, store::Transaction* reads) {
  const std::string& sql = internal::RequestLookupSql();
  const std::vector<store::Value> params{V(request.user_id), V(request.client_request_id)};
  auto rows = reads ? reads->Execute(sql, params) : store_.Execute(sql, params, store::Mode::kRead);
  if (!rows.ok()) return rows.error();
  if (rows->rows.empty()) return std::optional<TransactionView>();
  if (store::AsText(rows->rows[0][1]) != Canonical(request)) {
    return Error("ipn.idempotency_mismatch", request.client_request_id);
  }
  auto view = ReadView(store::AsText(rows->rows[0][0]));
  if (!view.ok()) return view.error();
  return std::optional<TransactionView>(std::move(*view));
}

Result<std::unique_ptr<Switch::Impl::PreparedSend>> Switch::Impl::PrepareSend(const SendRequest& request,
                                                                             ReplayCheck replay_check,
                                                                             store::Transaction* reads) {
  LAHZA_TRY(CheckText(request.user_id, 64, "user_id", true));
  LAHZA_TRY(CheckText(request.client_request_id, 64, "client_request_id", true));
  LAHZA_TRY(CheckText(request.channel, 32, "channel", true));
  LAHZA_TRY(CheckText(request.payer_account, 34, "payer_account", true));
  LAHZA_TRY(CheckText(request.expected_payee_name, 140, "expected_payee_name", false));
  LAHZA_TRY(CheckText(request.note, 140, "note", false));
  LAHZA_TRY(CheckText(request.payee.value, 64, "payee", true));
  if (request.amount <= 0) return Error("ipn.amount_invalid", "amount must be positive");

  // The idempotency lookup, the payee's routing and, for the direct path,
  // both sides' accounts in one snapshot (the caller's, when it has one): a
  // read transaction of their own each would re-read its pages after every
  // commit.
  std::unique_ptr<store::Transaction> own_reads;
  if (reads == nullptr) {
    auto begun = store_.Begin(store::Mode::kRead);
    if (!begun.ok()) return begun.error();
    own_reads = std::move(*begun);
    reads = own_reads.get();
  }
  auto prepared = std::make_unique<PreparedSend>();
  auto replay = [&]() -> Result<bool> {
    auto existing = FindRequest(request, reads);
    if (!existing.ok()) return existing.error();
    if (!existing->has_value()) return false;
    prepared->replay = std::move(**existing);
    return true;
  };
  if (replay_check == ReplayCheck::kFirst) {
    auto replayed = replay();
    if (!replayed.ok()) return replayed.error();
    if (*replayed) return prepared;
  }
  Status fresh = PrepareFresh(request, *reads, *prepared);
  if (!fresh.ok() && replay_check == ReplayCheck::kOnConflict) {
    auto replayed = replay();
    if (!replayed.ok()) return replayed.error();
    if (*replayed) return prepared;
  }
  if (!fresh.ok()) return fresh.error();
  return prepared;  // `own_reads` ends here: the writer must not wait on this snapshot
}

Status Switch::Impl::PrepareFresh(const SendRequest& request, store::Transaction& reads, PreparedSend& prepared) {
  if (!FindInstitution(request.payer_participant)) return Error("ipn.participant_unknown", request.payer_participant);
  auto route = RoutePayee(request.payee, &reads);
  if (!route.ok()) return route.error();
  if (route->participant == request.payer_participant && route->key.kind == AccountKeyKind::kAccountNumber &&
      route->key.value == request.payer_account) {
    return Error("ipn.same_account");
  }
  // One snapshot for every check and the fee of this transfer, kept alive
  // until the record below has run (it holds references into it).
  const std::shared_ptr<const Policy> policy = CurrentPolicy();
  const Limits& user = policy->user_limits;
  const Limits& channel = policy->LimitsFor(request.channel);
  if (request.amount > std::min(user.per_transaction, channel.per_transaction)) {
    return Error("ipn.limit_per_transaction", std::to_string(request.amount));
  }
  auto fee = policy->FeeFor(request.channel).FeeFor(request.amount);
  if (!fee.ok()) return fee.error();

  UsagePeriod period = UsagePeriodAt(clock_->Now());
  int64_t now = internal::NowMs();
  int64_t hold_expires = now + options_.hold_timeout_seconds * 1000;

  prepared.route = std::move(*route);
  SendRecord& record = prepared.record;
  record.request = &request;
  record.route = &prepared.route;
  record.policy = policy;
  record.fee = *fee;
  record.day = std::move(period.day);
  record.month = std::move(period.month);
  record.created_ms = now;
  record.hold_expires_ms = hold_expires;
  record.direct = PrepareDirect(request, prepared.route, record, reads);
  return {};
}

Result<TransactionView> Switch::Impl::Send(const SendRequest& request) {
  auto prepared = PrepareSend(request, ReplayCheck::kFirst, nullptr);
  if (!prepared.ok()) return prepared.error();
  if ((*prepared)->replay) return std::move(*(*prepared)->replay);
  return FinishSend(request, **prepared);
}

// Writes the send's record (and, on the direct path, all of it) and waits
// for the outcome; on the step-by-step path, then runs the steps.
Result<TransactionView> Switch::Impl::FinishSend(const SendRequest& request, PreparedSend& prepared) {
  SendRecord& record = prepared.record;
  std::string ir;
  const store::BatchWriter::Job record_job = [&](store::Transaction& tx) {
    record.ir = ir;
    return RecordSend(tx, record);
  };
  Status recorded = Error("ipn.internal", "not recorded");
  for (int attempt = 0; attempt < kRecordAttempts; ++attempt) {
    ir = generator_->Next().str();
    recorded = writer_->Run(record_job);
    if (recorded.ok() || recorded.error().code != "ipn.duplicate_request") break;
    // A concurrent retry with the same client request id won the insert...
    auto again = FindRequest(request);
    if (!again.ok()) return again.error();
    if (again->has_value()) return std::move(**again);
    // ...or, rarely, another process on the same node issued this IR: take a new one.
  }
  if (!recorded.ok()) return recorded.error();
  if (record.direct) {
    Notify(record.notifications);
    return std::move(record.view);
  }
  Process(ir, request, prepared.route, record.fee);
  return ReadView(ir);
}

bool Switch::Impl::SendAsync(std::shared_ptr<const SendRequest> request,
                             std::function<void(Result<TransactionView>)> done, store::Transaction* reads) {
  // The writer's insert catches a retry (RecordDirect): no lookup first.
  auto prepared = PrepareSend(*request, ReplayCheck::kOnConflict, reads);
  if (!prepared.ok()) {
    done(prepared.error());
    return true;
  }
  if ((*prepared)->replay) {
    done(std::move(*(*prepared)->replay));
    return true;
  }
  // The step-by-step path calls institutions and commits several times.
  if (!(*prepared)->record.direct) return false;
  RecordDirect(std::move(request), std::shared_ptr<PreparedSend>(std::move(*prepared)), std::move(done), 0);
  return true;
}

// One attempt at writing a direct send through the writer without waiting
// for it. Its continuation runs on the writer's thread: it only reads (a
// retry's idempotency lookup, rare) and hands the outcome on.
void Switch::Impl::RecordDirect(std::shared_ptr<const SendRequest> request, std::shared_ptr<PreparedSend> prepared,
                                std::function<void(Result<TransactionView>)> done, int attempt) {
  std::string ir = generator_->Next().str();
  store::BatchWriter::Job job = [this, prepared, ir](store::Transaction& tx) {
    prepared->record.ir = ir;
    return RecordSend(tx, prepared->record);
  };
  writer_->Submit(std::move(job), [this, request = std::move(request), prepared, done = std::move(done),
                                   attempt](Status recorded) mutable {
    if (recorded.ok()) {
      Notify(prepared->record.notifications);
      return done(std::move(prepared->record.view));
    }
    if (recorded.error().code != "ipn.duplicate_request" || attempt + 1 >= kRecordAttempts) {
      return done(recorded.error());
    }
    // As in Send: a concurrent retry won the insert, or the IR was taken.
    auto again = FindRequest(*request);
    if (!again.ok()) return done(again.error());
    if (again->has_value()) return done(std::move(**again));
    RecordDirect(std::move(request), std::move(prepared), std::move(done), attempt + 1);
  });
}

// The happy path writes the transaction twice: "initiated" before any money
// moves (Send) and the outcome at the end, with the steps in between in the
// same commit. Correctness does not rest on the intermediate states being
// durable: after a crash, reconciliation asks the payee first (fencing the
// credit) and then posts or cancels the payer's hold, whatever state the
// transaction was left in.
void Switch::Impl::Process(const std::string& ir, const SendRequest& request, const Route& route, int64_t fee) {
  const std::string& payer = request.payer_participant;
  DebitOrder debit{ir, request.payer_account, request.amount, fee, options_.hold_timeout_seconds};
  Status debited = Call<Status>(payer, CallKind::kDebit, [&](Institution& i) { return i.DebitHold(debit); });
  if (!debited.ok()) {
    const std::string& code = debited.error().code;
    // A refusal before anything was held is final. Anything else (a store
    // error inside the institution) may have left a hold: cancel it first.
    bool certain = code == "ipn.participant_down" || code == "ipn.participant_rejected" ||
                   code == "ipn.insufficient_funds" || code == "ipn.payer_account_closed" ||
                   code == "ipn.account_not_found" || code == "ipn.debit_fenced";
    if (!certain) {
      auto freed = Call<Result<bool>>(payer, CallKind::kInquiry, [&](Institution& i) { return i.CancelDebit(ir); });
      if (!freed.ok() || !*freed) return;  // left "initiated": Reconcile finishes it
    }
    (void)Transition(ir, {TransferState::kInitiated},
                     Change{TransferState::kFailed, "debit_failed", payer, code, code, {}, {}, {}, true, {},
                            {{"failed", false}}, {}});
    return;
  }
  std::vector<Step> steps{{internal::NowMs(), TransferState::kDebited, "debited", payer}};

  CreditOrder credit{ir, route.key, request.amount, request.expected_payee_name};
  auto credited =
      Call<Result<AccountInfo>>(route.participant, CallKind::kCredit, [&](Institution& i) { return i.Credit(credit); });
  if (credited.ok()) {
    steps.push_back({internal::NowMs(), TransferState::kCredited, "credited", route.participant});
    std::string account = credited->account_number;
    std::string name_ar = internal::MaskName(credited->name_ar);
    std::string name_en = internal::MaskName(credited->name_en);
    Status posted = Call<Status>(payer, CallKind::kInquiry, [&](Institution& i) { return i.PostHold(ir); });
    if (posted.ok()) {
      (void)Transition(ir, {TransferState::kInitiated},
                       Change{TransferState::kCompleted, "completed", "switch", "", std::nullopt, account, name_ar,
                              name_en, false, "transfer", {{"sent", false}, {"received", true}}, steps});
      return;
    }
    const std::string& code = posted.error().code;
    if (code == "ipn.hold_expired" || code == "ipn.hold_voided") {
      (void)Transition(ir, {TransferState::kInitiated},
                       Change{TransferState::kDisputed, "post_failed", "switch", code, code, account, name_ar, name_en,
                              false, {}, {{"disputed", false}}, steps});
      return;
    }
    // The payer's bank did not answer the post: credited, Reconcile posts it.
    Step last = steps.back();
    steps.pop_back();
    (void)Transition(ir, {TransferState::kInitiated},
                     Change{TransferState::kCredited, last.event, last.actor, "", std::nullopt, account, name_ar,
                            name_en, false, {}, {}, steps});
    return;
  }
  const std::string& code = credited.error().code;
  if (!DefinitelyNotCredited(code)) {
    // Timeout (or an error that leaves the outcome unknown): the payer stays
    // debited until reconciliation learns what the payee did.
    (void)Transition(ir, {TransferState::kInitiated},
                     Change{TransferState::kTimedOutAfterDebit, "payee_timeout", route.participant, code, code, {}, {},
                            {}, false, {}, {{"pending", false}}, steps});
    return;
  }
  Status voided = Call<Status>(payer, CallKind::kInquiry, [&](Institution& i) { return i.VoidHold(ir); });
  if (!voided.ok()) {
    // The payee refused but the payer's bank cannot release the hold right
    // now: stay "debited"; Reconcile releases it once the bank answers.
    (void)Transition(ir, {TransferState::kInitiated},
                     Change{TransferState::kDebited, "release_pending", payer, code + "; " + voided.error().code, code,
                            {}, {}, {}, false, {}, {}, steps});
    return;
  }
  TransferState to = code == "ipn.participant_down" ? TransferState::kFailed : TransferState::kRejected;
  (void)Transition(ir, {TransferState::kInitiated},
                   Change{to, to == TransferState::kFailed ? "payee_unavailable" : "payee_rejected",
                          route.participant, code, code, {}, {}, {}, true, {},
                          {{to == TransferState::kFailed ? "failed" : "rejected", false}}, steps});
}

Status Switch::Impl::RecordEvent(const std::string& ir, const std::string& event, const std::string& actor,
                                 const std::string& detail) {
  return internal::WithWrite(store_, [&](store::Transaction& tx) -> Status {
    auto rows = tx.Execute("SELECT state FROM ipn_transactions WHERE ir = $1", std::vector<store::Value>{V(ir)});
    if (!rows.ok()) return rows.error();
    if (rows->rows.empty()) return Error("ipn.transaction_not_found", ir);
    auto state = ParseState(store::AsText(rows->rows[0][0])).value_or(TransferState::kInitiated);
    return AppendTimeline(tx, ir, internal::NowMs(), state, event, actor, detail);
  });
}

// credited -> completed: the payer's hold is posted. A hold that expired or
// was voided while the payee was being credited cannot be posted: an operator
// must recover the credit (disputed).
void Switch::Impl::Finish(const std::string& ir, const std::string& actor) {
  auto view = ReadView(ir);
  if (!view.ok() || view->state != TransferState::kCredited) return;
  Status posted =
      Call<Status>(view->payer_participant, CallKind::kInquiry, [&](Institution& i) { return i.PostHold(ir); });
  if (posted.ok()) {
    (void)Transition(ir, {TransferState::kCredited},
                     Change{TransferState::kCompleted, "completed", actor, "", std::nullopt, {}, {}, {}, false,
                            "transfer", {{"sent", false}, {"received", true}}, {}});
    return;
  }
  const std::string& code = posted.error().code;
  if (code == "ipn.hold_expired" || code == "ipn.hold_voided") {
    (void)Transition(ir, {TransferState::kCredited},
                     Change{TransferState::kDisputed, "post_failed", actor, code, code, {}, {}, {}, false, {},
                            {{"disputed", false}}, {}});
  }
  // Otherwise (payer's bank unreachable) stay credited; Reconcile retries.
}

// ---------------------------------------------------------------------------
// Reconciliation

// Decides an unfinished transfer, whatever state it was left in: ask the
// payee first (the answer is final: "not credited" fences the credit), then
// post or cancel the payer's hold accordingly.
Result<Switch::Impl::Outcome> Switch::Impl::Resolve(const std::string& ir, const std::string& actor) {
  auto view = ReadView(ir);
  if (!view.ok()) return view.error();
  const TransferState state = view->state;
  if (state != TransferState::kInitiated && state != TransferState::kDebited &&
      state != TransferState::kTimedOutAfterDebit && state != TransferState::kCredited) {
    return Outcome::kNothing;
  }
  const std::string payer = view->payer_participant;
  const std::string payee = view->payee_participant;
  auto status =
      Call<Result<CreditStatus>>(payee, CallKind::kInquiry, [&](Institution& i) { return i.QueryCredit(ir); });
  if (!status.ok()) return Outcome::kUnresolved;
  if (*status == CreditStatus::kCredited) {
    if (state != TransferState::kCredited) {
      auto m = Transition(ir, {state},
                          Change{TransferState::kCredited, "reconciled_credited", actor, "", std::string(), {}, {}, {},
                                 false, {}, {}, {}});
      if (!m.ok()) return m.error();
      if (!*m) return Outcome::kUnresolved;  // someone else moved it; next pass looks again
    }
    Finish(ir, actor);
    auto after = ReadView(ir);
    if (after.ok() && after->state == TransferState::kCompleted) return Outcome::kCompleted;
    return Outcome::kUnresolved;
  }
  // Fenced: the payee will never credit it now, so the hold can go back.
  auto freed = Call<Result<bool>>(payer, CallKind::kInquiry, [&](Institution& i) { return i.CancelDebit(ir); });
  if (!freed.ok()) return Outcome::kUnresolved;
  if (!*freed) {
    // Posted without a credit: never done by this switch; operators must look.
    auto m = Transition(ir, {state},
                        Change{TransferState::kDisputed, "post_failed", actor, "hold posted without credit",
                               "ipn.internal", {}, {}, {}, false, {}, {{"disputed", false}}, {}});
    if (!m.ok()) return m.error();
    return Outcome::kUnresolved;
  }
  bool never_debited = state == TransferState::kInitiated;
  auto m = Transition(ir, {state},
                      never_debited
                          ? Change{TransferState::kFailed, "recovered_debit_cancelled", actor, "", "ipn.interrupted",
                                   {}, {}, {}, true, {}, {{"failed", false}}, {}}
                          : Change{TransferState::kReversed, "reconciled_reversed", actor, "payee did not credit",
                                   std::nullopt, {}, {}, {}, true, {}, {{"reversed", false}}, {}});
  if (!m.ok()) return m.error();
  if (!*m) return Outcome::kUnresolved;
  return never_debited ? Outcome::kFailed : Outcome::kReversed;
}

Result<ReconcileReport> Switch::Impl::Reconcile() {
  std::lock_guard lock(reconcile_mutex_);  // one pass at a time
  ReconcileReport report;
  auto expired = ledger_.ExpireHolds();
  if (expired.ok()) report.holds_expired = *expired;
  int64_t stuck_before = internal::NowMs() - options_.stuck_after_ms;
  // "state <> 'completed'" is the condition of the index on unfinished
  // transactions (ipn migration 5): repeated so that SQLite can use it.
  auto rows = store_.Execute(
      "SELECT ir FROM ipn_transactions WHERE state <> 'completed' AND (state = 'timed_out_after_debit' OR "
      "(state IN ('initiated', 'debited', 'credited') AND updated_ms <= $1)) ORDER BY created_ms LIMIT 10000",
      std::vector<store::Value>{V(stuck_before)}, store::Mode::kRead);
  if (!rows.ok()) return rows.error();
  for (const auto& row : rows->rows) {
    ++report.examined;
    auto outcome = Resolve(store::AsText(row[0]), "reconciler");
    if (!outcome.ok()) {
      spdlog::warn("ipn reconcile {}: {} {}", store::AsText(row[0]), outcome.error().code, outcome.error().detail);
      ++report.unresolved;
      continue;
    }
    switch (*outcome) {
      case Outcome::kCompleted: ++report.completed; break;
      case Outcome::kReversed: ++report.reversed; break;
      case Outcome::kFailed: ++report.failed; break;
      case Outcome::kUnresolved: ++report.unresolved; break;
      case Outcome::kNothing: break;
    }
  }
  return report;
}

void Switch::Impl::StartReconciler(std::chrono::milliseconds interval) {
  StopReconciler();
  std::lock_guard lock(loop_mutex_);
  stop_ = false;
  loop_ = std::thread([this, interval] {
    NameThisThread("ipn-reconcile");
    std::unique_lock l(loop_mutex_);
    while (!stop_) {
      l.unlock();
      // Limits and fees another process stored since the last round.
      if (Status reloaded = ReloadPolicy(); !reloaded.ok()) {
        spdlog::warn("ipn reconciler: policy not reloaded: {}", reloaded.error().code);
      }
      auto report = Reconcile();
      if (!report.ok()) spdlog::warn("ipn reconciler: {}", report.error().code);
      l.lock();
      loop_cv_.wait_for(l, interval, [this] { return stop_; });
    }
  });
}

void Switch::Impl::StopReconciler() {
  std::thread loop;
  {
    std::lock_guard lock(loop_mutex_);
    stop_ = true;
    loop = std::move(loop_);
  }
  loop_cv_.notify_all();
  if (loop.joinable()) loop.join();
}

// ---------------------------------------------------------------------------
// Operators

namespace {
Status CheckOperator(std::string_view name, std::string_view reason) {
  if (name.empty() || name.size() > 64) return Error("ipn.operator_required");
  if (reason.empty() || reason.size() > 500) return Error("ipn.reason_required");
  return {};
}
}  // namespace

Result<TransactionView> Switch::Impl::Dispute(std::string_view ir_text, std::string_view name,
                                              std::string_view reason) {
  LAHZA_TRY(CheckOperator(name, reason));
  auto view = GetTransaction(ir_text);
  if (!view.ok()) return view.error();
  auto m = Transition(view->ir, {TransferState::kCompleted},
                      Change{TransferState::kDisputed, "dispute_opened", "operator:" + std::string(name),
                             std::string(reason), std::nullopt, {}, {}, {}, false, {}, {{"disputed", false}}, {}});
  if (!m.ok()) return m.error();
  if (!*m) return Error("ipn.invalid_state", std::string(StateName(view->state)));
  return ReadView(view->ir);
}

Result<TransactionView> Switch::Impl::ResolveDispute(std::string_view ir_text, std::string_view name,
                                                     std::string_view reason) {
  LAHZA_TRY(CheckOperator(name, reason));
  auto view = GetTransaction(ir_text);
  if (!view.ok()) return view.error();
  // Only a dispute over a completed transfer can go back to completed; a
  // transfer that is disputed because its hold could not be posted never
  // completed and can only be reversed.
  bool opened_on_completed = std::any_of(view->timeline.begin(), view->timeline.end(),
                                         [](const TimelineEntry& e) { return e.event == "dispute_opened"; });
  if (view->state != TransferState::kDisputed || !opened_on_completed) {
    return Error("ipn.invalid_state", std::string(StateName(view->state)));
  }
  auto m = Transition(view->ir, {TransferState::kDisputed},
                      Change{TransferState::kCompleted, "dispute_closed", "operator:" + std::string(name),
                             std::string(reason), std::nullopt, {}, {}, {}, false, {}, {}, {}});
  if (!m.ok()) return m.error();
  if (!*m) return Error("ipn.invalid_state", "changed meanwhile");
  return ReadView(view->ir);
}

Result<TransactionView> Switch::Impl::Reverse(std::string_view ir_text, std::string_view name,
                                              std::string_view reason) {
  LAHZA_TRY(CheckOperator(name, reason));
  auto view = GetTransaction(ir_text);
  if (!view.ok()) return view.error();
  const std::string ir = view->ir;
  const std::string actor = "operator:" + std::string(name);
  switch (view->state) {
    case TransferState::kInitiated:
    case TransferState::kDebited:
    case TransferState::kTimedOutAfterDebit:
    case TransferState::kCredited: {
      // Not settled yet: the same decisive inquiry as reconciliation.
      auto outcome = Resolve(ir, actor);
      if (!outcome.ok()) return outcome.error();
      if (*outcome == Outcome::kUnresolved) return Error("ipn.participant_down", "cannot reach an institution now");
      if (*outcome != Outcome::kCompleted) return ReadView(ir);
      break;  // it had in fact completed: reverse it as a completed transfer
    }
    case TransferState::kCompleted:
    case TransferState::kDisputed:
      break;
    default:
      return Error("ipn.invalid_state", std::string(StateName(view->state)));
  }
  auto current = ReadView(ir);
  if (!current.ok()) return current.error();
  Status returned =
      Call<Status>(current->payee_participant, CallKind::kInquiry, [&](Institution& i) { return i.ReturnCredit(ir); });
  if (!returned.ok()) {
    (void)RecordEvent(ir, "reversal_failed", actor, returned.error().code);
    return returned.error();
  }
  Status refunded =
      Call<Status>(current->payer_participant, CallKind::kInquiry, [&](Institution& i) { return i.Refund(ir); });
  if (!refunded.ok()) {
    // The payee side is already returned (idempotent): a retry finishes it.
    (void)RecordEvent(ir, "reversal_failed", actor, refunded.error().code);
    return refunded.error();
  }
  auto m = Transition(ir, {TransferState::kCompleted, TransferState::kDisputed},
                      Change{TransferState::kReversed, "reversed_by_operator", actor, std::string(reason),
                             std::nullopt, {}, {}, {}, true, "reversal", {{"reversed", false}, {"reversed", true}}, {}});
  if (!m.ok()) return m.error();
  return ReadView(ir);
}

// ---------------------------------------------------------------------------
// Usage

Result<Usage> Switch::Impl::GetUsage(std::string_view user_id, std::string_view channel_name) {
  std::string user(user_id), channel(channel_name);
  const auto [day, month] = UsagePeriodAt(clock_->Now());
  const std::shared_ptr<const Policy> policy = CurrentPolicy();
  const Limits& user_limits = policy->user_limits;
  const Limits& channel_limits = policy->LimitsFor(channel);
  Usage usage;
  usage.limits = Limits{std::min(user_limits.per_transaction, channel_limits.per_transaction),
                        std::min(user_limits.daily, channel_limits.daily),
                        std::min(user_limits.monthly, channel_limits.monthly)};
  usage.left_today = usage.limits.daily;
  usage.left_this_month = usage.limits.monthly;
  auto scopes = UsageScopes(user, channel);
  const Limits* limits[] = {&user_limits, &channel_limits};
  for (size_t s = 0; s < scopes.size(); ++s) {
    auto rows = store_.Execute("SELECT day, day_used, month, month_used FROM ipn_usage_windows WHERE scope = $1",
                               std::vector<store::Value>{V(scopes[s])}, store::Mode::kRead);
    if (!rows.ok()) return rows.error();
    // As ReserveUsage counts: a window stamped today or later is today's.
    int64_t today = 0, this_month = 0;
    if (!rows->rows.empty()) {
      const store::Row& row = rows->rows[0];
      if (store::AsText(row[0]) >= day) today = store::AsInt(row[1]);
      if (store::AsText(row[2]) >= month) this_month = store::AsInt(row[3]);
    }
    if (s == 0) {
      usage.used_today = today;
      usage.used_this_month = this_month;
    }
    usage.left_today = std::min(usage.left_today, std::max<int64_t>(0, limits[s]->daily - today));
    usage.left_this_month = std::min(usage.left_this_month, std::max<int64_t>(0, limits[s]->monthly - this_month));
  }
  return usage;
}

// ---------------------------------------------------------------------------
// Policy

std::shared_ptr<const Policy> Switch::Impl::CurrentPolicy() const {
  std::lock_guard lock(policy_mutex_);
  return policy_;
}

// A stored policy (set by an administrator) wins over the options' default; a
// stored row that cannot be read or breaks the rules stops Open rather than
// let the switch run with limits nobody chose.
Status Switch::Impl::LoadStoredPolicy() {
  auto rows = store_.Execute("SELECT body FROM ipn_policy WHERE id = 1", {}, store::Mode::kRead);
  if (!rows.ok()) return rows.error();
  std::string body = rows->rows.empty() ? std::string() : store::AsText(rows->rows[0][0]);
  if (policy_ && body == policy_body_) return {};  // unchanged: keep the snapshot
  Policy policy = options_.policy;
  if (!body.empty()) {
    auto stored = internal::DecodePolicy(body);
    if (!stored.ok()) return stored.error();
    policy = std::move(*stored);
  }
  auto next = std::make_shared<const Policy>(std::move(policy));
  policy_body_ = std::move(body);
  std::lock_guard lock(policy_mutex_);
  policy_ = std::move(next);
  return {};
}

Status Switch::Impl::ReloadPolicy() {
  std::lock_guard write(policy_write_mutex_);
  return LoadStoredPolicy();
}

Status Switch::Impl::SetPolicy(Policy policy) {
  LAHZA_TRY(policy.Validate());
  std::lock_guard write(policy_write_mutex_);
  // Durable before it is live: a crash in between leaves the new policy to
  // the next Open, never a live policy that a restart would forget.
  std::string body = internal::EncodePolicy(policy);
  Status stored = internal::WithWrite(store_, [&](store::Transaction& tx) -> Status {
    auto up = tx.Execute(
        "INSERT INTO ipn_policy (id, body, updated_ms) VALUES (1, $1, $2) "
        "ON CONFLICT (id) DO UPDATE SET body = excluded.body, updated_ms = excluded.updated_ms",
        std::vector<store::Value>{V(body), V(internal::NowMs())});
    if (!up.ok()) return up.error();
    return {};
  });
  LAHZA_TRY(stored);
  auto next = std::make_shared<const Policy>(std::move(policy));
  policy_body_ = std::move(body);
  std::lock_guard lock(policy_mutex_);
  policy_ = std::move(next);
  return {};
}

// ---------------------------------------------------------------------------
// Switch: the public face forwards to Impl.

Switch::Switch(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Switch::~Switch() = default;

Result<std::unique_ptr<Switch>> Switch::Open(store::Store& store, ledger::Ledger& ledger, SwitchOptions options) {
  auto impl = std::make_unique<Impl>(store, ledger, std::move(options));
  LAHZA_TRY(impl->Init());
  return std::unique_ptr<Switch>(new Switch(std::move(impl)));
}

const Directory& Switch::directory() const { return impl_->options_.directory; }
std::shared_ptr<const Policy> Switch::policy() const { return impl_->CurrentPolicy(); }
Status Switch::SetPolicy(Policy policy) { return impl_->SetPolicy(std::move(policy)); }
LocalInstitution* Switch::institution(std::string_view participant) { return impl_->FindInstitution(participant); }
Result<AccountInfo> Switch::VerifyLink(std::string_view p, std::string_view a, std::string_view m) {
  return impl_->VerifyLink(p, a, m);
}
Status Switch::RegisterIpa(std::string_view ipa, std::string_view p, std::string_view a, std::string_view m) {
  return impl_->RegisterIpa(ipa, p, a, m);
}
Status Switch::SetDefaultAccount(std::string_view m, std::string_view p, std::string_view a) {
  return impl_->SetDefaultAccount(m, p, a);
}
Result<PayeeLookup> Switch::Lookup(const PayeeId& payee) { return impl_->Lookup(payee); }
Result<TransactionView> Switch::Send(const SendRequest& request) { return impl_->Send(request); }
bool Switch::SendAsync(std::shared_ptr<const SendRequest> request, std::function<void(Result<TransactionView>)> done,
                       store::Transaction* reads) {
  return impl_->SendAsync(std::move(request), std::move(done), reads);
}
Result<TransactionView> Switch::GetTransaction(std::string_view ir) { return impl_->GetTransaction(ir); }
Result<Usage> Switch::GetUsage(std::string_view user, std::string_view channel) {
  return impl_->GetUsage(user, channel);
}
Result<ReconcileReport> Switch::Reconcile() { return impl_->Reconcile(); }
void Switch::StartReconciler(std::chrono::milliseconds interval) { impl_->StartReconciler(interval); }
void Switch::StopReconciler() { impl_->StopReconciler(); }
Result<TransactionView> Switch::Dispute(std::string_view ir, std::string_view o, std::string_view r) {
  return impl_->Dispute(ir, o, r);
}
Result<TransactionView> Switch::ResolveDispute(std::string_view ir, std::string_view o, std::string_view r) {
  return impl_->ResolveDispute(ir, o, r);
}
Result<TransactionView> Switch::Reverse(std::string_view ir, std::string_view o, std::string_view r) {
  return impl_->Reverse(ir, o, r);
}
Status Switch::SetFault(std::string_view participant, Fault fault) {
  return impl_->SetFault(participant, std::move(fault));
}
Fault Switch::GetFault(std::string_view participant) const { return impl_->GetFault(participant); }
Result<SettlementReport> Switch::CloseSettlementWindow() { return impl_->CloseSettlementWindow(); }
Result<SettlementReport> Switch::GetSettlementReport(int64_t window_id) {
  return impl_->GetSettlementReport(window_id);
}
Result<int64_t> Switch::OpenWindowId() { return impl_->OpenWindowId(); }
Result<std::vector<ledger::TransferRecord>> Switch::InstitutionStatement(std::string_view participant,
                                                                         std::string_view account,
                                                                         const ledger::HistoryQuery& query) {
  return impl_->InstitutionStatement(participant, account, query);
}
void Switch::SetNotifier(std::function<void(const Notification&)> notifier) {
  impl_->SetNotifier(std::move(notifier));
}

Status Switch::ReloadPolicy() { return impl_->ReloadPolicy(); }
store::BatchWriter::Stats Switch::writer_stats() const { return impl_->writer_->stats(); }

void Switch::SetOutboxWriter(std::function<Status(store::Transaction&, const Notification&)> writer) {
  impl_->SetOutboxWriter(std::move(writer));
}
Result<std::vector<Notification>> Switch::NotificationsFor(std::string_view ir) {
  return impl_->NotificationsFor(ir);
}

}  // namespace lahza::ipn
