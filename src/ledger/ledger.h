// The ledger: double-entry accounts and transfers, two-phase holds, group
// commit. Modelled on TigerBeetle; see docs/ledger.md for the invariants.
//
// The shape in one paragraph: an Account holds four int64 balances in piastres
// (debits/credits × pending/posted). A Transfer moves `amount` from a debit
// account to a credit account, either at once (posted), or as a Hold (pending)
// that a later transfer posts or voids, or that voids itself at its timeout.
// Transfer ids are chosen by the client; an id is decided at most once and its
// first result is kept forever, so a retry is always safe. Many threads submit
// transfers; one committer thread applies them in batches, each batch in one
// durable store transaction, and only then answers. Nothing is acknowledged
// before it is on stable storage.
//
// Thread-safety: every public method of Ledger may be called from any thread.
// Several processes may share one database: each batch reads balances fresh
// inside its write transaction, so they never double-spend.
#pragma once

#include <cstdint>
#include <functional>
#include <future>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "store/store.h"

namespace lahza::ledger {

// ISO 4217 numeric code of the Egyptian pound. An account's `ledger` is its
// currency; transfers only move money between accounts of the same ledger.
inline constexpr int64_t kLedgerEgp = 818;

// Limits on client-supplied text, so a row never grows without bound.
inline constexpr size_t kMaxTransferIdBytes = 64;   // printable ASCII (0x21..0x7e)
inline constexpr size_t kMaxUserDataBytes = 256;    // any UTF-8
inline constexpr size_t kMaxOwnerBytes = 32;        // institution code

// ---------------------------------------------------------------------------
// Accounts

namespace account_flags {
// debits_pending + debits_posted may never exceed credits_posted: an asset the
// holder owns (a customer's or a bank's money) cannot go negative.
inline constexpr uint32_t kDebitsMustNotExceedCredits = 1u << 0;
// credits_pending + credits_posted may never exceed debits_posted.
inline constexpr uint32_t kCreditsMustNotExceedDebits = 1u << 1;
// The ledger keeps this account's history: TransfersForAccount lists its
// transfers. Every transfer then files an entry for this side in a per-account
// index, and a commit writes that account's index page. An account whose
// transfers are found another way (by id, as the switch finds a send's by its
// IR) goes without: for a customer's account that page is one of the few that
// a send writes and that no other send in its batch shares (docs/ledger.md).
inline constexpr uint32_t kHistory = 1u << 2;
}  // namespace account_flags

struct Account {
  // Chosen by the caller, > 0, unique across the database. (int64 rather than
  // text: ids are created by Lahza's own modules, and BIGINT keys keep the hot
  // path fast on both backends.)
  int64_t id = 0;
  int64_t ledger = kLedgerEgp;  // currency, > 0
  int64_t code = 0;             // the kind of account, defined by the caller (settlement, customer, fees…)
  std::string owner;            // institution code that owns it (e.g. "NBE"); may be empty
  uint32_t flags = 0;           // account_flags::*
  std::string user_data;        // free text for the caller (e.g. a display name)

  // Balances, maintained by the ledger; ignored by CreateAccounts.
  int64_t debits_pending = 0;
  int64_t debits_posted = 0;
  int64_t credits_pending = 0;
  int64_t credits_posted = 0;
  int64_t timestamp = 0;  // microseconds since the Unix epoch when it was created; set by the ledger

  // credits_posted - debits_posted: what an asset-style account (debits must
  // not exceed credits) holds now.
  int64_t credit_balance() const { return credits_posted - debits_posted; }
  // What can still be debited from it now, pending holds included.
  int64_t available() const { return credits_posted - debits_posted - debits_pending; }
};

enum class AccountCode : uint8_t {
  kOk = 0,
  kIdInvalid,                  // id <= 0
  kLedgerInvalid,              // ledger <= 0
  kFlagsInvalid,               // unknown bits, or both limit flags at once
  kOwnerTooLong,               // owner longer than kMaxOwnerBytes
  kUserDataTooLong,            // user_data longer than kMaxUserDataBytes
  kExistsWithDifferentFields,  // an account with this id exists and differs
};

struct AccountResult {
  AccountCode code = AccountCode::kOk;
  bool replayed = false;  // ok because an identical account already existed
  bool ok() const { return code == AccountCode::kOk; }
};

// Stable dotted code for the message catalogue, e.g. "ledger.account_id_invalid".
std::string_view CodeName(AccountCode code);

// ---------------------------------------------------------------------------
// Transfers

namespace transfer_flags {
// A Hold: moves the amount into debits_pending / credits_pending. It stays
// pending until posted, voided, or it expires at its timeout.
inline constexpr uint32_t kPending = 1u << 0;
// Posts the hold named by pending_id: pending -> posted, for `amount` (0 means
// the whole held amount; less posts part and releases the rest).
inline constexpr uint32_t kPostPending = 1u << 1;
// Voids the hold named by pending_id: its pending amounts are released.
inline constexpr uint32_t kVoidPending = 1u << 2;
}  // namespace transfer_flags

struct Transfer {
  // Client-chosen, 1..kMaxTransferIdBytes printable ASCII, unique forever
  // (e.g. "IR7F3K9Q2ZC/hold"). Text rather than a 128-bit number so callers can
  // derive ids from IR references without a mapping table.
  std::string id;
  // For post/void these may be 0 (taken from the hold) or must equal the hold's.
  int64_t debit_account_id = 0;
  int64_t credit_account_id = 0;
  // Piastres, > 0 for plain transfers and holds. For post: 0 = all of the hold,
  // else <= the held amount. For void: 0 or exactly the held amount.
  int64_t amount = 0;
  uint32_t flags = 0;       // transfer_flags::*, at most one
  std::string pending_id;   // the hold to post or void; empty otherwise
  // Holds only: seconds after which the hold voids itself; 0 = never.
  int64_t timeout_seconds = 0;
  int64_t code = 0;         // the kind of transfer, defined by the caller
  std::string user_data;    // free text, e.g. the IR reference
  int64_t user_data_64 = 0; // a number for the caller, e.g. a participant or channel id
};

enum class TransferCode : uint8_t {
  kOk = 0,
  // Checked without looking at the database; the result is stored all the same.
  kIdInvalid,                   // empty, too long or not printable ASCII (not stored: there is no id)
  kFlagsInvalid,                // unknown bits or more than one of pending/post/void
  kPendingIdMustBeEmpty,        // pending_id on a transfer that is not post/void
  kPendingIdRequired,           // post/void without pending_id
  kPendingIdSameAsId,
  kTimeoutInvalid,              // negative, or set on a transfer that is not a hold
  kAmountInvalid,               // negative
  kAmountZero,                  // plain transfers and holds must move something
  kAccountIdInvalid,            // <= 0 (or < 0 for post/void)
  kAccountsMustBeDifferent,
  kUserDataTooLong,
  // Checked against the database.
  kExistsWithDifferentFields,   // this id was decided before, with other fields
  kDebitAccountNotFound,
  kCreditAccountNotFound,
  kLedgerMismatch,              // debit and credit accounts have different currencies
  kExceedsCredits,              // debit account has kDebitsMustNotExceedCredits
  kExceedsDebits,               // credit account has kCreditsMustNotExceedDebits
  kOverflow,                    // a balance would overflow int64
  kPendingTransferNotFound,     // pending_id names no successful transfer
  kPendingTransferNotPending,   // pending_id names a transfer that is not a hold
  kPendingTransferAlreadyPosted,
  kPendingTransferAlreadyVoided,
  kPendingTransferExpired,
  kPendingDebitAccountMismatch,
  kPendingCreditAccountMismatch,
  kExceedsPendingAmount,        // post amount > held amount
  kPendingAmountMismatch,       // void amount neither 0 nor the held amount
};

// Stable dotted code for the message catalogue, e.g. "ledger.exceeds_credits".
std::string_view CodeName(TransferCode code);
// The code as an Error (for callers that report a failed transfer as a value).
Error ToError(TransferCode code);
Error ToError(AccountCode code);

struct TransferResult {
  TransferCode code = TransferCode::kOk;
  // When the ledger decided this transfer (microseconds since the Unix epoch);
  // unique and strictly increasing across all transfers of the database, so it
  // also orders history. 0 when nothing was recorded: kIdInvalid and
  // kExistsWithDifferentFields (the id belongs to the other transfer).
  int64_t timestamp = 0;
  // True when the id had been decided before and this is that first result
  // (an identical retry). TigerBeetle calls an ok replay "exists".
  bool replayed = false;
  bool ok() const { return code == TransferCode::kOk; }
};

// The state of a hold (a transfer with kPending) over its life.
enum class HoldState : uint8_t { kNone = 0, kPending, kPosted, kVoided, kExpired };

// A decided transfer as stored: the fields (for post/void: accounts and amount
// resolved from the hold), its result, and for a hold its current state.
struct TransferRecord {
  Transfer transfer;
  TransferResult result;           // replayed is always false here
  HoldState hold_state = HoldState::kNone;
  int64_t expires_at = 0;          // holds with a timeout: microseconds since epoch; else 0
  int64_t resolved_at = 0;         // timestamp of the post/void/expiry, else 0
};

// Sums over every account; a healthy ledger has debits == credits for both
// pending and posted (double entry: every transfer adds to both sides).
struct Totals {
  int64_t accounts = 0;
  int64_t debits_pending = 0;
  int64_t debits_posted = 0;
  int64_t credits_pending = 0;
  int64_t credits_posted = 0;
};

struct HistoryQuery {
  int64_t after_timestamp = 0;  // cursor: only transfers decided after this
  int64_t limit = 100;          // at most this many, oldest first (1..10000)
  bool include_failed = false;  // also list decided-but-failed attempts
};

// What one committed batch cost (for benchmarks and operations dashboards).
struct BatchReport {
  int64_t transfers = 0;
  int64_t apply_us = 0;         // begin .. all statements done (wall)
  int64_t commit_us = 0;        // COMMIT, i.e. the fsync (wall)
  int64_t committer_cpu_us = 0; // CPU the committer thread spent on the batch
};

struct Options {
  // Most transfers one store transaction carries. Bigger batches amortise the
  // fsync; a batch never waits to fill up (it takes what is queued).
  size_t max_batch = 8192;
  // A batch whose write transaction fails with store.busy is retried this many
  // times before every transfer in it is answered with that error.
  int busy_retries = 50;
  // Microseconds since the Unix epoch. Tests inject a fake clock to expire
  // holds deterministically.
  std::function<int64_t()> clock;
  // Called on the committer thread after each committed batch; keep it short.
  std::function<void(const BatchReport&)> on_batch;
};

// Errors of whole calls (not of single transfers): "ledger.closed" after the
// ledger has shut down; store codes ("store.busy", "store.error") when the
// database failed, in which case no transfer of that batch was applied.
class Ledger {
 public:
  // Applies the ledger's migrations to `store` and starts the committer thread.
  // `store` must outlive the Ledger.
  static Result<std::unique_ptr<Ledger>> Open(store::Store& store, Options options = {});

  // Drains the queue (every submitted transfer is answered) and stops.
  ~Ledger();
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;

  // --- accounts (their own write transaction each call; not on the hot path)
  Result<std::vector<AccountResult>> CreateAccounts(std::span<const Account> accounts);
  Result<std::optional<Account>> LookupAccount(int64_t id);
  // Found accounts only, in the order of `ids`.
  Result<std::vector<Account>> LookupAccounts(std::span<const int64_t> ids);

  // --- transfers, through the committer
  // Applies `transfers` in order (each succeeds or fails on its own), all in
  // one or a few durable commits shared with other callers; blocks until done.
  Result<std::vector<TransferResult>> CreateTransfers(std::span<const Transfer> transfers);
  // The same decisions as CreateTransfers, made inside the caller's write
  // transaction `tx` instead of the committer's: for a caller whose own rows
  // must commit atomically with these transfers (the switch writes a whole
  // in-process send — holds, credit, posts and its own records — in one
  // commit). Durable only when the caller commits; if the caller rolls back,
  // none of it happened. Errors: store codes (the transaction is then unusable).
  //
  // The transfers' ids are looked up first, so a replay is answered per
  // transfer. A caller whose ids cannot exist yet — derived from a reference
  // it created in this same transaction — may say so and skip that read; an id
  // that did exist would then fail the insert, and with it `tx`, so nothing is
  // ever applied twice either way.
  enum class Ids { kMayExist, kNew };
  Result<std::vector<TransferResult>> ApplyInTransaction(store::Transaction& tx, std::span<const Transfer> transfers,
                                                         Ids ids = Ids::kMayExist);
  // One transfer; the future is ready once its batch is durable.
  std::future<Result<TransferResult>> Submit(Transfer transfer);
  // One transfer; `done` runs on the committer thread after the commit (keep it
  // short: post to your own executor).
  using Callback = std::function<void(Result<TransferResult>)>;
  void SubmitAsync(Transfer transfer, Callback done);

  // --- holds
  // Expires every hold whose timeout has passed (releases its pending amounts,
  // state kExpired). Returns how many. Call it periodically; holds are also
  // expired on access (posting or voiding one reports kPendingTransferExpired).
  Result<int64_t> ExpireHolds();

  // --- reads (a consistent snapshot; never block the committer)
  Result<std::optional<TransferRecord>> LookupTransfer(std::string_view id);
  // Transfers that debit or credit `account_id`, oldest first. Error
  // "ledger.account_without_history" for an account created without
  // account_flags::kHistory; an unknown account has none.
  Result<std::vector<TransferRecord>> TransfersForAccount(int64_t account_id, HistoryQuery query = {});
  // Error "ledger.overflow" when a total is beyond int64 (absurd balances).
  Result<Totals> GetTotals();
  // Verifies from the database: debits == credits, no account beyond its
  // limit flag, and every account's balances equal the sum of its successful
  // transfers and the states of its holds. Error "ledger.invariant_violated"
  // with a detail naming the first broken rule.
  Status CheckInvariants();

  // Counters since Open, for benchmarks and operations: the batches the
  // ledger committed itself and their transfers. Transfers applied through
  // ApplyInTransaction are not counted: their commit is the caller's (the
  // switch's direct sends), and a caller's transaction may still roll back.
  struct Stats {
    int64_t batches = 0;
    int64_t transfers = 0;
    int64_t busy_retries = 0;
  };
  Stats stats() const;

 private:
  class Impl;
  explicit Ledger(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The ledger's schema (applied by Ledger::Open; exposed for tools, and for
// tests of a migration, which stop at version `up_to` first).
Status MigrateLedger(store::Store& store, int up_to = std::numeric_limits<int>::max());

}  // namespace lahza::ledger
