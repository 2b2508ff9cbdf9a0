// The instant-payment switch. A Send moves money from a payer's account at one
// participant to a payee's account at another:
//   initiated -> debited (payer's institution holds the amount and fee)
//             -> credited (payee's institution credited the payee)
//             -> completed (the hold is posted; both sides notified).
// Failure states, each readable later by customer care through GetTransaction:
//   failed     nothing left the payer's account for good (payer or payee down,
//              insufficient funds, ...); any hold was released;
//   rejected   the payee's institution refused (account closed, name
//              mismatch, ...); the hold was released;
//   timed_out_after_debit  the payer is debited (held) and the payee did not
//              answer: Reconcile() asks the payee and completes or reverses;
//   reversed   the money went back to the payer (automatically or by an operator);
//   disputed   an operator is looking at a completed transfer.
// Every step is a timestamped timeline entry under the IR reference. See
// docs/switch.md for the transitions and who is responsible for what.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/cairo_time.h"
#include "core/result.h"
#include "ipn/institution.h"
#include "ipn/participants.h"
#include "ipn/policy.h"
#include "store/batch_writer.h"

namespace lahza::store { class Store; class Transaction; }
namespace lahza::ledger { class Ledger; }

namespace lahza::ipn {

enum class TransferState {
  kInitiated,
  kDebited,
  kCredited,
  kCompleted,
  kRejected,
  kFailed,
  kTimedOutAfterDebit,
  kReversed,
  kDisputed,
};
std::string_view StateName(TransferState state);  // "initiated", "timed_out_after_debit", ...
std::optional<TransferState> ParseState(std::string_view name);
// Completed, rejected, failed and reversed are final (disputed is not: an
// operator resolves it).
bool IsFinal(TransferState state);
// What operations count as a failure: failed, rejected, timed out after the
// debit, reversed or disputed — every state in which the money did not, or
// not yet, reach the payee as sent.
bool IsFailure(TransferState state);

// How the payer names the payee.
enum class PayeeKind { kIpa, kMobile, kAccountNumber, kIban, kWallet, kCard };
std::string_view PayeeKindName(PayeeKind kind);  // "ipa", "mobile", "account", "iban", "wallet", "card"
std::optional<PayeeKind> ParsePayeeKind(std::string_view name);

struct PayeeId {
  PayeeKind kind = PayeeKind::kIpa;
  std::string value;        // as typed; normalised by the core validators
  std::string participant;  // kAccountNumber only: the payee's institution (people pick the bank)
};

struct TransactionView;
struct Notification;

struct SendRequest {
  std::string user_id;            // the paying customer (limits are per user)
  std::string client_request_id;  // idempotency key, unique per user: a retry returns the first result
  std::string payer_participant;
  std::string payer_account;      // account number at the payer's institution
  PayeeId payee;
  int64_t amount = 0;             // piastres
  std::string channel = "app";
  std::string expected_payee_name;  // optional name check at the payee's institution
  std::string note;
  // Optional, for a caller keeping its own rows about the send in the same
  // database (the app's history row): when the switch decides the send in
  // one step — the direct path, both institutions in process and healthy —
  // this runs inside that one transaction with the outcome, so the caller's
  // rows commit with the money; its error undoes the whole send. It runs
  // before the outbox writer sees the send's notifications, and it is handed
  // the one addressed to the payer (the send's user_id): the caller files
  // that notice with its own row, and the outbox writer does not get it. On
  // the step-by-step path it is not called and the caller writes its rows
  // after Send returns. Not part of the request's identity (idempotency).
  std::function<Status(store::Transaction&, const TransactionView&, const Notification& payer_notice)>
      record_with_outcome;
};

struct TimelineEntry {
  int64_t seq = 0;
  int64_t at_ms = 0;      // Unix milliseconds
  TransferState state = TransferState::kInitiated;  // the state after this step
  std::string event;      // stable code: "debited", "payee_timeout", "reconciled_reversed", ...
  std::string actor;      // "switch", "reconciler", a participant code, or "operator:<name>"
  std::string detail;     // error code or operator's reason
};

struct TransactionView {
  std::string ir;
  TransferState state = TransferState::kInitiated;
  std::string error_code;  // why it failed/was rejected; empty otherwise
  int64_t amount = 0;
  int64_t fee = 0;
  std::string user_id;
  std::string client_request_id;
  std::string channel;
  std::string payer_participant;
  std::string payer_account;
  PayeeKind payee_kind = PayeeKind::kIpa;
  std::string payee_identifier;  // normalised
  std::string payee_participant;
  std::string payee_account;
  std::string payee_masked_name_ar;
  std::string payee_masked_name_en;
  std::string note;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  int64_t hold_expires_ms = 0;   // when a still-held debit returns by itself at the latest
  std::vector<TimelineEntry> timeline;
};

struct PayeeLookup {
  std::string participant;
  std::string participant_name_ar;
  std::string participant_name_en;
  std::string masked_name_ar;
  std::string masked_name_en;
  std::string account_number;  // where the money would go (not shown to payers in the app)
};

// Fault injection per participant, switchable at run time. A fault models the
// network between the switch and the institution, never the institution's
// books: a "down" institution receives nothing.
struct Fault {
  enum class Kind { kNone, kDown, kSlow, kTimeoutAfterDebit, kReject };
  Kind kind = Kind::kNone;
  int64_t slow_ms = 0;        // kSlow: every call waits this long first
  // kTimeoutAfterDebit (as payee): whether the credit reached the institution
  // before the answer was lost (true) or the request itself was lost (false).
  bool credit_lands = false;
  std::string reject_code = "ipn.participant_rejected";  // kReject
};
std::string_view FaultName(Fault::Kind kind);  // "none", "down", "slow", "timeout_after_debit", "reject"

struct Notification {
  std::string id;           // "<ir>/<kind>/<side>"
  std::string ir;
  std::string kind;         // "sent", "received", "failed", "rejected", "pending", "reversed", "disputed"
  std::string participant;  // the recipient's institution
  std::string account;      // the recipient's account there
  std::string user_id;      // payer side only
  int64_t amount = 0;
  int64_t created_ms = 0;
};

struct ReconcileReport {
  int64_t examined = 0;
  int64_t completed = 0;
  int64_t reversed = 0;
  int64_t failed = 0;       // stuck before any hold: released
  int64_t unresolved = 0;   // payee still unreachable; tried again next time
  int64_t holds_expired = 0;
};

struct Usage {
  Limits limits;        // the limits that apply
  int64_t used_today = 0;
  int64_t used_this_month = 0;
  int64_t left_today = 0;
  int64_t left_this_month = 0;
};

struct SettlementPosition {
  std::string participant;
  int64_t sent_count = 0;
  int64_t sent_amount = 0;
  int64_t received_count = 0;
  int64_t received_amount = 0;
  int64_t net = 0;  // received - sent: > 0 the participant is owed
};

// What one participant owes another in a window (gross, one direction).
struct BilateralObligation {
  std::string from;  // payer's participant
  std::string to;    // payee's participant
  int64_t count = 0;
  int64_t amount = 0;
};

struct SettlementReport {
  int64_t window_id = 0;
  int64_t opened_ms = 0;
  int64_t closed_ms = 0;  // 0 while open
  std::string status;     // "open", "closed" (positions fixed), "settled" (posted in the ledger)
  std::vector<SettlementPosition> positions;
  std::vector<BilateralObligation> bilateral;
  int64_t net_sum = 0;    // always 0; reported so the invariant is visible
};

// The network's traffic as the operations page shows it, read from counts
// the switch keeps with every state change (never by reading every
// transaction): how many transfers are in each state, per receiving
// participant how many completed and how many failed (IsFailure), and the
// last minute's new transfers and failures.
struct TrafficStats {
  struct Payee {
    std::string participant;
    int64_t completed = 0;
    int64_t failed = 0;
  };
  int64_t at_ms = 0;
  std::vector<std::pair<TransferState, int64_t>> by_state;  // states that hold a transfer, in enum order
  int64_t total = 0;
  std::vector<Payee> by_payee;  // by participant code; transfers that never reached a payee are left out
  // The last 60 seconds, at_ms's own (so far) the last of them: transfers
  // recorded in them, and transfers that became a failure in them (whenever
  // they began; once, however many failure states they pass through).
  int64_t last_minute_transfers = 0;
  int64_t last_minute_failures = 0;
};

struct SwitchOptions {
  Directory directory = Directory::Demo();
  Policy policy;  // used until an administrator stores one (Switch::SetPolicy)
  const Clock* clock = nullptr;  // Cairo day/month of limits; nullptr = the system clock
  int64_t hold_timeout_seconds = 3 * 24 * 3600;  // backstop: an undecided hold voids itself
  int64_t stuck_after_ms = 30'000;  // an unfinished transfer this old is picked up by Reconcile
  int node = 1;                     // IR reference node, unique per running switch
};

class Switch {
 public:
  // Applies the ipn migrations, registers the directory's participants and
  // their ledger accounts. `store` and `ledger` must outlive the switch.
  static Result<std::unique_ptr<Switch>> Open(store::Store& store, ledger::Ledger& ledger, SwitchOptions options = {});
  ~Switch();
  Switch(const Switch&) = delete;
  Switch& operator=(const Switch&) = delete;

  const Directory& directory() const;
  // The policy in force: an immutable snapshot, still valid after a SetPolicy.
  std::shared_ptr<const Policy> policy() const;
  // Replaces the limits and fees. Validated (ipn.policy_invalid, the old
  // policy stays), stored durably first (the next Open on this store uses it
  // instead of SwitchOptions::policy), then swapped in: a Send already under
  // way finishes under the policy it started with. Another process on the
  // same store takes it up at its next ReloadPolicy.
  Status SetPolicy(Policy policy);
  // Reads the stored policy again and swaps it in if it changed (another
  // process stored it). The reconciler does this every round, so with it
  // running a change reaches every process within one reconcile interval.
  Status ReloadPolicy();
  // The switch's group-commit writer (every send's record, every state
  // change): batches, jobs and busy time since Open, for benchmarks and
  // operations. Sends queue on this one thread.
  store::BatchWriter::Stats writer_stats() const;
  // The in-process institution of `participant` (nullptr when unknown).
  LocalInstitution* institution(std::string_view participant);

  // --- directory of aliases (IPAs and the mobile number's default account)
  // Verifies with the institution that the account exists, is open and is
  // registered with `mobile` (only such accounts may be linked). Errors:
  // ipn.participant_unknown, ipn.account_not_found, ipn.account_closed,
  // ipn.link_mobile_mismatch, ipn.participant_down.
  Result<AccountInfo> VerifyLink(std::string_view participant, std::string_view account_number, std::string_view mobile);
  // One IPA per account, never changed once created. Errors: ipa.*,
  // ipn.ipa_taken, ipn.account_has_ipa, and VerifyLink's.
  Status RegisterIpa(std::string_view ipa, std::string_view participant, std::string_view account_number,
                     std::string_view mobile);
  // The account a payment "to this mobile number" goes to.
  Status SetDefaultAccount(std::string_view mobile, std::string_view participant, std::string_view account_number);

  // --- payments
  // Errors: ipn.payee_not_found and the validators' codes for the identifier,
  // ipn.account_closed, ipn.participant_down.
  Result<PayeeLookup> Lookup(const PayeeId& payee);
  // Errors before a transaction exists: input (ipn.amount_invalid, ...),
  // routing, limits (ipn.limit_per_transaction, ipn.limit_daily,
  // ipn.limit_monthly), ipn.idempotency_mismatch. Once a transaction exists
  // the result is its view, whatever its state.
  Result<TransactionView> Send(const SendRequest& request);
  // Send without blocking the caller, for a thread that must not wait (an
  // event loop): `done` gets what Send would have returned. A send decided
  // in one step (the direct path) is written by the switch's writer, and
  // `done` runs on the writer's thread once it is durable: it must not
  // block, nor start another send or write (hand the work to another
  // thread). Checks that fail and replays of an earlier request are answered
  // at once, on the caller's thread. A send that needs the step-by-step path
  // (institutions called one by one, several commits) is not started:
  // false, nothing written and `done` not called — call Send on a thread
  // that may block. The request is kept alive until `done`. `reads`: the
  // caller's own read transaction on the switch's store, if it has one open
  // (the app reads the payer in it), so that both read in one snapshot; it
  // is only read in before SendAsync returns. A retry of an earlier request
  // may be answered on the writer's thread too: the writer's insert is what
  // finds it, not a lookup before every send.
  bool SendAsync(std::shared_ptr<const SendRequest> request, std::function<void(Result<TransactionView>)> done,
                 store::Transaction* reads = nullptr);
  // ipn.transaction_not_found; ir.* for a malformed reference.
  Result<TransactionView> GetTransaction(std::string_view ir);
  Result<Usage> GetUsage(std::string_view user_id, std::string_view channel);

  // --- recovery and operations
  // Resolves every timed-out or stuck transfer by asking the institutions.
  Result<ReconcileReport> Reconcile();
  // The traffic counts at `now_ms` (Unix milliseconds; the last minute ends
  // in its second). Reads a few rows, however many transfers there are.
  Result<TrafficStats> Traffic(int64_t now_ms);
  // Runs Reconcile every `interval` on a background thread until stopped.
  void StartReconciler(std::chrono::milliseconds interval);
  void StopReconciler();
  // Operator actions; errors ipn.invalid_state, ipn.operator_required,
  // ipn.reason_required, ipn.reversal_insufficient_funds.
  Result<TransactionView> Dispute(std::string_view ir, std::string_view operator_name, std::string_view reason);
  Result<TransactionView> ResolveDispute(std::string_view ir, std::string_view operator_name, std::string_view reason);
  Result<TransactionView> Reverse(std::string_view ir, std::string_view operator_name, std::string_view reason);

  // Thread-safe; takes effect for the next call to that participant.
  Status SetFault(std::string_view participant, Fault fault);
  Fault GetFault(std::string_view participant) const;

  // --- settlement
  // Fixes the open window's net positions, opens the next one, and posts the
  // positions between settlement accounts in the ledger.
  Result<SettlementReport> CloseSettlementWindow();
  Result<SettlementReport> GetSettlementReport(int64_t window_id);
  Result<int64_t> OpenWindowId();
  // One of a participant's own ledger accounts, "settlement", "clearing",
  // "fees" or "funding", listed by the ledger oldest first: what an operator
  // reconciles a window or a bank's books against. Errors:
  // "ipn.participant_unknown", "ipn.institution_account_invalid", and the
  // ledger's ("ledger.history_limit_invalid", store codes).
  Result<std::vector<ledger::TransferRecord>> InstitutionStatement(std::string_view participant,
                                                                   std::string_view account,
                                                                   const ledger::HistoryQuery& query);

  // --- notifications: an outbox table written with each state change; the
  // hook (if any) runs after the commit, on the thread that made the change.
  // Replacing or clearing it waits for calls of the old hook in flight; a
  // hook must not call SetNotifier itself.
  void SetNotifier(std::function<void(const Notification&)> notifier);
  // Runs inside the very transaction that puts each notification in the
  // outbox, on the switch's writer thread: a consumer on the same database
  // (the app's notifications and history) stores what it derives from it
  // atomically with the change — nothing is lost to a crash between two
  // commits. Its error undoes the change (a send then fails whole; a
  // reconciliation step is tried again). Replacing or clearing it waits for
  // calls in flight; it must not call back into the switch.
  void SetOutboxWriter(std::function<Status(store::Transaction&, const Notification&)> writer);
  Result<std::vector<Notification>> NotificationsFor(std::string_view ir);

 private:
  class Impl;
  explicit Switch(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lahza::ipn
