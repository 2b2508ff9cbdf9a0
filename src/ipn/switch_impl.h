// Switch::Impl, shared by switch.cc and settlement.cc. Internal.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/ir_reference.h"
#include "store/batch_writer.h"
#include "ipn/internal.h"
#include "ipn/switch.h"
#include "store/store.h"

namespace lahza::ipn {

class Switch::Impl {
 public:
  Impl(store::Store& store, ledger::Ledger& ledger, SwitchOptions options);
  ~Impl();
  Status Init();

  struct Route {
    std::string participant;
    AccountKey key;
    std::string identifier;  // normalised payee identifier

    // The payee's account number when the route already knows it (the payer
    // gave it, or an IPA or mobile alias led to it), else empty: a wallet
    // mobile, IBAN or card is the payee's institution's to resolve, and its
    // account is known only once the institution answered.
    std::string KnownAccountNumber() const { return key.kind == AccountKeyKind::kAccountNumber ? key.value : ""; }
  };

  // A step already taken but not yet written (recorded with the next change,
  // so the happy path costs one commit, not one per step).
  struct Step {
    int64_t at_ms = 0;
    TransferState state = TransferState::kInitiated;
    std::string event;
    std::string actor;
  };

  // A state change and everything that goes with it, applied atomically.
  struct Change {
    TransferState to;
    std::string event;
    std::string actor;
    std::string detail;
    std::optional<std::string> error_code;  // nullopt: keep
    std::string payee_account;               // empty: keep
    std::string payee_name_ar;
    std::string payee_name_en;
    bool release_usage = false;              // give the amount back to the limits
    std::string settlement_kind;             // "transfer" or "reversal": a settlement entry
    std::vector<std::pair<std::string, bool>> notify;  // (kind, payee side?)
    std::vector<Step> steps;                 // written to the timeline before this change
  };

  // A send whose payer's and payee's institutions are both in process and
  // without an injected fault: the whole of it (record, limits, holds,
  // credit, posts, timeline, settlement entry, outbox) is written in ONE
  // commit of the switch's writer, many sends per commit (direct_send.cc).
  // The step-by-step path (Process) stays for everything else: faults,
  // closed or unknown accounts, name checks.
  //
  // A SendRecord is what Send writes first, on either path.
  struct SendRecord {
    const SendRequest* request = nullptr;
    const Route* route = nullptr;
    std::shared_ptr<const Policy> policy;  // the one snapshot this send is checked against
    int64_t fee = 0;
    std::string day, month;  // Cairo: the limit periods
    int64_t created_ms = 0;
    int64_t hold_expires_ms = 0;
    std::string ir;          // set per attempt
    // The direct path (PrepareDirect found both accounts open and no fault).
    bool direct = false;
    AccountInfo payer, payee;
    // The payee's names as the record and the answer show them, masked once
    // here rather than by each of their writers.
    std::string payee_masked_name_ar, payee_masked_name_en;
    // Its outcome, set by FinishDirectSends.
    int64_t decided_ms = 0;
    std::string error_code;  // empty: completed
    std::vector<Notification> notifications;
    TransactionView view;  // the outcome as Send answers it
  };

  enum class Outcome { kNothing, kCompleted, kReversed, kFailed, kUnresolved };
  enum class CallKind { kLookup, kDebit, kCredit, kInquiry };

  LocalInstitution* FindInstitution(std::string_view code);
  Status SetFault(std::string_view participant, Fault fault);
  Fault GetFault(std::string_view participant) const;

  // Every call to an institution goes through here, where the injected fault
  // of that participant plays the network: down (nothing arrives), slow,
  // reject (refused at the door), or a credit whose answer is lost.
  template <class R, class F>
  R Call(const std::string& code, CallKind kind, F&& f) {
    LocalInstitution* institution = FindInstitution(code);
    if (!institution) return R(Error("ipn.participant_unknown", code));
    Fault fault = GetFault(code);
    switch (fault.kind) {
      case Fault::Kind::kNone:
        break;
      case Fault::Kind::kDown:
        return R(Error("ipn.participant_down", code));
      case Fault::Kind::kSlow:
        std::this_thread::sleep_for(std::chrono::milliseconds(fault.slow_ms));
        break;
      case Fault::Kind::kReject:
        if (kind != CallKind::kInquiry) return R(Error(fault.reject_code, code));
        break;
      case Fault::Kind::kTimeoutAfterDebit:
        if (kind == CallKind::kCredit) {
          if (fault.credit_lands) (void)f(*institution);
          return R(Error("ipn.participant_timeout", code));
        }
        break;
    }
    return f(*institution);
  }

  // Routing and the idempotency lookup read the switch's own tables: in
  // `reads` when given (Send shares one read transaction between them),
  // else each in a read of its own.
  Result<Route> RoutePayee(const PayeeId& payee, store::Transaction* reads = nullptr);
  Result<PayeeLookup> Lookup(const PayeeId& payee);
  Result<AccountInfo> VerifyLink(std::string_view participant, std::string_view account_number,
                                 std::string_view mobile);
  Status RegisterIpa(std::string_view ipa, std::string_view participant, std::string_view account_number,
                     std::string_view mobile);
  Status SetDefaultAccount(std::string_view mobile, std::string_view participant, std::string_view account_number);

  Result<TransactionView> ReadView(const std::string& ir);
  Result<TransactionView> GetTransaction(std::string_view ir);
  Result<std::optional<TransactionView>> FindRequest(const SendRequest& request, store::Transaction* reads = nullptr);
  Result<TransactionView> Send(const SendRequest& request);
  bool SendAsync(std::shared_ptr<const SendRequest> request, std::function<void(Result<TransactionView>)> done,
                 store::Transaction* reads);
  // Send in two parts: what happens before anything is written (checks,
  // the idempotency lookup, routing, limits, the fee, whether the direct
  // path applies; an earlier answer to the same request ends it), then the
  // writing. A PreparedSend does not move: its record points into it.
  struct PreparedSend {
    std::optional<TransactionView> replay;
    Route route;
    SendRecord record;
  };
  // When an earlier answer to the same request is looked for. kFirst: before
  // anything else. kOnConflict: only if a check fails (a replay answers as
  // its request did, whatever the checks say now); otherwise the send's
  // insert finds the twin (ipn.duplicate_request), and then the lookup runs.
  // A lookup per send saved, for the price of the rare retry.
  enum class ReplayCheck { kFirst, kOnConflict };
  // `reads`: the caller's read transaction on this store, or null for one
  // of PrepareSend's own.
  Result<std::unique_ptr<PreparedSend>> PrepareSend(const SendRequest& request, ReplayCheck replay_check,
                                                    store::Transaction* reads);
  // The checks and reads after the idempotency lookup.
  Status PrepareFresh(const SendRequest& request, store::Transaction& reads, PreparedSend& prepared);
  Result<TransactionView> FinishSend(const SendRequest& request, PreparedSend& prepared);
  void RecordDirect(std::shared_ptr<const SendRequest> request, std::shared_ptr<PreparedSend> prepared,
                    std::function<void(Result<TransactionView>)> done, int attempt);
  // Tries at writing a send's record: a new IR after a clash.
  static constexpr int kRecordAttempts = 3;
  void Process(const std::string& ir, const SendRequest& request, const Route& route, int64_t fee);
  // direct_send.cc
  static std::string Canonical(const SendRequest& request);  // the idempotency fingerprint
  bool PrepareDirect(const SendRequest& request, const Route& route, SendRecord& record, store::Transaction& reads);
  // Inserts the transaction and reserves its limits (a writer job); direct
  // sends join direct_batch_ for FinishDirectSends.
  Status RecordSend(store::Transaction& tx, SendRecord& record);
  // The writer's finish hook: the batch's direct sends, then its traffic counts.
  Status FinishBatch(store::Transaction& tx);
  Status FinishDirectSends(store::Transaction& tx);
  TransactionView DirectView(const SendRecord& record) const;
  // What a direct send decided at `decided_ms` (its row's direct_ms) shows
  // without storing it: its first timeline steps and first notifications.
  // From the view of its row; a failed direct send stays failed, and one that
  // completed never fails later, so the state tells which it was.
  static std::vector<TimelineEntry> DirectSteps(const TransactionView& view, int64_t decided_ms);
  static std::vector<Notification> DirectNotifications(const TransactionView& view, int64_t decided_ms);
  void Finish(const std::string& ir, const std::string& actor);
  Result<Outcome> Resolve(const std::string& ir, const std::string& actor);
  Result<bool> Transition(const std::string& ir, std::initializer_list<TransferState> from, const Change& change);
  Status AppendTimeline(store::Transaction& tx, const std::string& ir, int64_t at_ms, TransferState state,
                        const std::string& event, const std::string& actor, const std::string& detail);
  Status RecordEvent(const std::string& ir, const std::string& event, const std::string& actor,
                     const std::string& detail);
  std::shared_ptr<const Policy> CurrentPolicy() const;
  Status SetPolicy(Policy policy);
  Status LoadStoredPolicy();  // callers hold policy_write_mutex_ (or are Init)
  Status ReloadPolicy();
  static std::vector<std::string> UsageScopes(const std::string& user, const std::string& channel);
  // Gives `amount` back to every counter RecordSend reserved it against
  // (each scope, that day and that month): failed transfers do not count
  // against the limits. The caller marks the row usage_released.
  static Status ReleaseUsage(store::Transaction& tx, const std::string& user, const std::string& channel,
                             const std::string& day, const std::string& month, int64_t amount);
  Result<Usage> GetUsage(std::string_view user, std::string_view channel);

  Result<ReconcileReport> Reconcile();
  void StartReconciler(std::chrono::milliseconds interval);
  void StopReconciler();
  Result<TransactionView> Dispute(std::string_view ir, std::string_view name, std::string_view reason);
  Result<TransactionView> ResolveDispute(std::string_view ir, std::string_view name, std::string_view reason);
  Result<TransactionView> Reverse(std::string_view ir, std::string_view name, std::string_view reason);

  // settlement.cc
  Result<SettlementReport> CloseSettlementWindow();
  Result<SettlementReport> GetSettlementReport(int64_t window_id);
  Result<int64_t> OpenWindowId();
  Result<std::vector<ledger::TransferRecord>> InstitutionStatement(std::string_view participant,
                                                                   std::string_view account,
                                                                   const ledger::HistoryQuery& query);
  Status PostWindow(int64_t window_id);

  void Notify(const std::vector<Notification>& notifications);
  void SetNotifier(std::function<void(const Notification&)> notifier);
  void SetOutboxWriter(std::function<Status(store::Transaction&, const Notification&)> writer);
  // Calls the outbox writer (if any) for `n` inside `tx`.
  Status WriteOutbox(store::Transaction& tx, const Notification& n);
  Result<std::vector<Notification>> NotificationsFor(std::string_view ir);

  store::Store& store_;
  ledger::Ledger& ledger_;
  SwitchOptions options_;
  SystemClock system_clock_;
  const Clock* clock_;
  std::unique_ptr<IrReferenceGenerator> generator_;  // made in Init, resuming after the last stored IR
  std::map<std::string, int64_t, std::less<>> numbers_;
  std::map<std::string, std::unique_ptr<LocalInstitution>, std::less<>> institutions_;

  // Send and GetUsage copy the pointer once under policy_mutex_ and work
  // from that snapshot; SetPolicy replaces it. policy_write_mutex_ orders
  // concurrent SetPolicy calls so the stored and the live policy agree.
  mutable std::mutex policy_mutex_;
  std::shared_ptr<const Policy> policy_;
  std::mutex policy_write_mutex_;
  std::string policy_body_;  // the stored body policy_ came from; under policy_write_mutex_

  mutable std::shared_mutex faults_mutex_;
  std::map<std::string, Fault, std::less<>> faults_;

  // Held shared while the notifier runs, exclusively to replace it: clearing
  // the notifier waits for callbacks in flight, so its owner may be destroyed
  // right after. A callback must never call SetNotifier (it would deadlock).
  std::shared_mutex notifier_mutex_;
  std::function<void(const Notification&)> notifier_;
  std::shared_mutex outbox_writer_mutex_;  // the same discipline for the outbox writer
  std::function<Status(store::Transaction&, const Notification&)> outbox_writer_;

  std::mutex reconcile_mutex_;
  std::mutex loop_mutex_;
  std::condition_variable loop_cv_;
  bool stop_ = false;
  std::thread loop_;
  std::mutex settlement_mutex_;
  // Direct sends recorded in the writer's current transaction; touched only
  // by the writer's thread (its jobs and hooks).
  std::vector<SendRecord*> direct_batch_;
  // The traffic counts' changes of the writer's current transaction, written
  // by its finish hook (FinishBatch) after everything else: every writer
  // takes those rows last, in key order, so on PostgreSQL they never join a
  // lock cycle. A job adds to it only once it can no longer fail.
  internal::TrafficCount batch_traffic_;
  std::unique_ptr<store::BatchWriter> writer_;  // last member: stops first
};

}  // namespace lahza::ipn
