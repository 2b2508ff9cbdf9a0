// The ledger engine: the committer thread, batch application, reads.
//
// A batch is applied in ONE write transaction:
//   1. lock the writer row (ledger_meta) and read the last timestamp and the
//      write stamp the last writer left;
//   2. load every transfer the batch names (its ids, for idempotency, and the
//      holds it posts or voids), fresh from the database, and every account
//      it touches: from the account cache when the stamp it found is the
//      cache's, else fresh (SELECT ... FOR UPDATE);
//   3. decide each transfer in order against that in-memory state;
//   4. write changed accounts, new transfers and changed holds, then the last
//      timestamp with a new write stamp, and stage the accounts in the cache
//      under that stamp;
//   5. commit (fsync) — and only then answer the callers.
// Balances are cached across batches only under the stamp check (see
// AccountCache): another process, or a rolled-back transaction, may have
// written since, and then the stamp differs.
#include <algorithm>
#include <climits>
#include <ctime>
#include <atomic>
#include <cassert>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "core/thread_name.h"
#include "ledger/ledger.h"

namespace lahza::ledger {

namespace {

using store::Row;
using store::Value;

constexpr uint32_t kKnownAccountFlags = account_flags::kDebitsMustNotExceedCredits |
                                       account_flags::kCreditsMustNotExceedDebits | account_flags::kHistory;
constexpr uint32_t kKnownTransferFlags =
    transfer_flags::kPending | transfer_flags::kPostPending | transfer_flags::kVoidPending;
constexpr int64_t kMicrosPerSecond = 1'000'000;
// Longest hold timeout: ~100 years, so expires_at never overflows.
constexpr int64_t kMaxTimeoutSeconds = int64_t{100} * 366 * 24 * 3600;

const char* const kAccountColumns =
    "id, ledger, code, owner, flags, user_data, debits_pending, debits_posted, credits_pending, credits_posted, ts";
const char* const kTransferColumns =
    "id, debit_account_id, credit_account_id, amount, flags, pending_id, timeout_seconds, code, user_data, "
    "user_data_64, result, ts, hold_state, expires_at, resolved_at";

const std::vector<std::string>& AccountColumnList() {
  static const std::vector<std::string> columns = {"id", "ledger", "code", "owner", "flags", "user_data",
                                                   "debits_pending", "debits_posted", "credits_pending",
                                                   "credits_posted", "ts"};
  return columns;
}
// A stored transfer row: kTransferColumns, then whether each side is filed
// in its account's history index (WorkingSet::StoredRow).
const std::vector<std::string>& TransferColumnList() {
  static const std::vector<std::string> columns = {
      "id",   "debit_account_id", "credit_account_id", "amount",     "flags",     "pending_id",
      "timeout_seconds", "code",  "user_data",         "user_data_64", "result",  "ts",
      "hold_state", "expires_at", "resolved_at", "debit_history", "credit_history"};
  return columns;
}

int64_t SystemMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t MicrosBetween(std::chrono::steady_clock::time_point from, std::chrono::steady_clock::time_point to) {
  return std::chrono::duration_cast<std::chrono::microseconds>(to - from).count();
}

int64_t ThreadCpuMicros() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<int64_t>(now.tv_sec) * 1'000'000 + now.tv_nsec / 1000;
}

Account AccountFromRow(const Row& row) {
  Account a;
  a.id = store::AsInt(row[0]);
  a.ledger = store::AsInt(row[1]);
  a.code = store::AsInt(row[2]);
  a.owner = store::AsText(row[3]);
  a.flags = static_cast<uint32_t>(store::AsInt(row[4]));
  a.user_data = store::AsText(row[5]);
  a.debits_pending = store::AsInt(row[6]);
  a.debits_posted = store::AsInt(row[7]);
  a.credits_pending = store::AsInt(row[8]);
  a.credits_posted = store::AsInt(row[9]);
  a.timestamp = store::AsInt(row[10]);
  return a;
}

Row RowFromAccount(const Account& a) {
  return Row{a.id,          a.ledger,        a.code,           a.owner,          int64_t{a.flags}, a.user_data,
             a.debits_pending, a.debits_posted, a.credits_pending, a.credits_posted, a.timestamp};
}

TransferRecord RecordFromRow(const Row& row) {
  TransferRecord r;
  Transfer& t = r.transfer;
  t.id = store::AsText(row[0]);
  t.debit_account_id = store::AsInt(row[1]);
  t.credit_account_id = store::AsInt(row[2]);
  t.amount = store::AsInt(row[3]);
  t.flags = static_cast<uint32_t>(store::AsInt(row[4]));
  t.pending_id = store::AsText(row[5]);
  t.timeout_seconds = store::AsInt(row[6]);
  t.code = store::AsInt(row[7]);
  t.user_data = store::AsText(row[8]);
  t.user_data_64 = store::AsInt(row[9]);
  r.result.code = static_cast<TransferCode>(store::AsInt(row[10]));
  r.result.timestamp = store::AsInt(row[11]);
  r.hold_state = static_cast<HoldState>(store::AsInt(row[12]));
  r.expires_at = store::AsInt(row[13]);
  r.resolved_at = store::AsInt(row[14]);
  return r;
}

Row RowFromRecord(const TransferRecord& r) {
  const Transfer& t = r.transfer;
  return Row{t.id,
             t.debit_account_id,
             t.credit_account_id,
             t.amount,
             int64_t{t.flags},
             t.pending_id,
             t.timeout_seconds,
             t.code,
             t.user_data,
             t.user_data_64,
             static_cast<int64_t>(r.result.code),
             r.result.timestamp,
             static_cast<int64_t>(r.hold_state),
             r.expires_at,
             r.resolved_at};
}

bool ValidTransferId(const std::string& id) {
  if (id.empty() || id.size() > kMaxTransferIdBytes) return false;
  return std::all_of(id.begin(), id.end(), [](char c) { return c >= 0x21 && c <= 0x7e; });
}

bool IsPostOrVoid(uint32_t flags) {
  return (flags & (transfer_flags::kPostPending | transfer_flags::kVoidPending)) != 0;
}

// "$1, $2, ..., $n" starting at `first`.
std::string Placeholders(size_t n, size_t first = 1) {
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    if (i) out += ", ";
    out += "$" + std::to_string(first + i);
  }
  return out;
}

// IN-lists are padded to a few fixed sizes (repeating the last key) so the
// backends' prepared-statement caches see a handful of texts, not thousands.
size_t PaddedSize(size_t n) {
  for (size_t size : {1, 4, 16, 64, 256}) {
    if (n <= size) return size;
  }
  return 256;
}
constexpr size_t kInChunk = 256;

// Runs "<prefix> IN (...) <suffix>" over `keys` in chunks, appending rows.
template <class Key>
Status SelectIn(store::Transaction& tx, const std::string& prefix, const std::vector<Key>& keys,
                const std::string& suffix, std::vector<Row>& out) {
  for (size_t start = 0; start < keys.size(); start += kInChunk) {
    size_t n = std::min(kInChunk, keys.size() - start);
    size_t padded = PaddedSize(n);
    std::vector<Value> params;
    params.reserve(padded);
    for (size_t i = 0; i < padded; ++i) params.emplace_back(keys[start + std::min(i, n - 1)]);
    std::string sql = prefix + " IN (" + Placeholders(padded) + ")" + suffix;
    auto rows = tx.Execute(sql, params);
    if (!rows.ok()) return rows.error();
    for (Row& row : rows->rows) out.push_back(std::move(row));
  }
  return {};
}

// The rule every account obeys after every committed batch.
bool WithinLimits(const Account& a) {
  if (a.debits_pending < 0 || a.debits_posted < 0 || a.credits_pending < 0 || a.credits_posted < 0) return false;
  if ((a.flags & account_flags::kDebitsMustNotExceedCredits) &&
      a.debits_pending + a.debits_posted > a.credits_posted) {
    return false;
  }
  if ((a.flags & account_flags::kCreditsMustNotExceedDebits) &&
      a.credits_pending + a.credits_posted > a.debits_posted) {
    return false;
  }
  return true;
}

// Checks that need only the transfer itself (not the database).
TransferCode StaticCheck(const Transfer& t) {
  if ((t.flags & ~kKnownTransferFlags) != 0 || __builtin_popcount(t.flags) > 1) return TransferCode::kFlagsInvalid;
  const bool post_or_void = IsPostOrVoid(t.flags);
  if (post_or_void) {
    if (t.pending_id.empty()) return TransferCode::kPendingIdRequired;
    if (t.pending_id == t.id) return TransferCode::kPendingIdSameAsId;
  } else if (!t.pending_id.empty()) {
    return TransferCode::kPendingIdMustBeEmpty;
  }
  if (t.timeout_seconds < 0 || t.timeout_seconds > kMaxTimeoutSeconds ||
      (t.timeout_seconds != 0 && !(t.flags & transfer_flags::kPending))) {
    return TransferCode::kTimeoutInvalid;
  }
  if (t.amount < 0) return TransferCode::kAmountInvalid;
  if (post_or_void) {
    // 0 means "as the hold has it".
    if (t.debit_account_id < 0 || t.credit_account_id < 0) return TransferCode::kAccountIdInvalid;
    if (t.debit_account_id != 0 && t.debit_account_id == t.credit_account_id) {
      return TransferCode::kAccountsMustBeDifferent;
    }
  } else {
    if (t.amount == 0) return TransferCode::kAmountZero;
    if (t.debit_account_id <= 0 || t.credit_account_id <= 0) return TransferCode::kAccountIdInvalid;
    if (t.debit_account_id == t.credit_account_id) return TransferCode::kAccountsMustBeDifferent;
  }
  if (t.user_data.size() > kMaxUserDataBytes) return TransferCode::kUserDataTooLong;
  return TransferCode::kOk;
}

// Is `t` a retry of the stored `r`? For post/void, 0 in accounts or amount
// means "as the hold has it", so it matches whatever was resolved.
bool SameFields(const TransferRecord& r, const Transfer& t) {
  const Transfer& s = r.transfer;
  if (s.flags != t.flags || s.pending_id != t.pending_id || s.timeout_seconds != t.timeout_seconds ||
      s.code != t.code || s.user_data != t.user_data || s.user_data_64 != t.user_data_64) {
    return false;
  }
  auto matches = [&](int64_t stored, int64_t given) {
    return stored == given || (IsPostOrVoid(t.flags) && given == 0);
  };
  return matches(s.debit_account_id, t.debit_account_id) && matches(s.credit_account_id, t.credit_account_id) &&
         matches(s.amount, t.amount);
}

AccountCode CheckAccount(const Account& a) {
  if (a.id <= 0) return AccountCode::kIdInvalid;
  if (a.ledger <= 0) return AccountCode::kLedgerInvalid;
  if ((a.flags & ~kKnownAccountFlags) != 0 ||
      ((a.flags & account_flags::kDebitsMustNotExceedCredits) &&
       (a.flags & account_flags::kCreditsMustNotExceedDebits))) {
    return AccountCode::kFlagsInvalid;
  }
  if (a.owner.size() > kMaxOwnerBytes) return AccountCode::kOwnerTooLong;
  if (a.user_data.size() > kMaxUserDataBytes) return AccountCode::kUserDataTooLong;
  return AccountCode::kOk;
}

bool SameAccount(const Account& stored, const Account& given) {
  return stored.ledger == given.ledger && stored.code == given.code && stored.owner == given.owner &&
         stored.flags == given.flags && stored.user_data == given.user_data;
}

// A write stamp no other transaction has written: distinct within this
// process by the counter, and from other processes' by a random start (two
// 63-bit ranges this far apart overlap with negligible odds). Never 0, the
// stamp of a database no transaction has stamped yet.
int64_t NewWriteStamp() {
  static const uint64_t start = [] {
    std::random_device random;
    return (uint64_t{random()} << 32) ^ random();
  }();
  static std::atomic<uint64_t> counter{0};
  for (;;) {
    const int64_t stamp = static_cast<int64_t>((start + ++counter) & uint64_t{INT64_MAX});
    if (stamp != 0) return stamp;
  }
}

// What a write transaction learns as it locks the writer row.
struct WriterLock {
  int64_t last_ts = 0;      // the last timestamp handed out
  int64_t found_stamp = 0;  // the state the transaction starts from
  int64_t stamp = 0;        // the state it leaves (SaveLastTimestamp writes it)
};

// Locks the writer row and reads the last timestamp handed out and the write
// stamp. Every ledger write transaction starts here (see schema.cc for why).
// FOR UPDATE takes PostgreSQL's row lock and reads the row as the last
// writer committed it; on SQLite the write transaction already holds the
// database's write lock. (UPDATE ... RETURNING would do it in one statement,
// but SQLite runs RETURNING as a trigger program: measured 3x the
// instructions of this SELECT.)
Result<WriterLock> LockWriter(store::Transaction& tx) {
  auto rows = tx.Execute("SELECT last_ts, stamp FROM ledger_meta WHERE id = 1 FOR UPDATE");
  if (!rows.ok()) return rows.error();
  if (rows->rows.size() != 1) return Error("ledger.invariant_violated", "ledger_meta row missing");
  return WriterLock{store::AsInt(rows->rows[0][0]), store::AsInt(rows->rows[0][1]), NewWriteStamp()};
}

// Account rows kept from one write transaction to the next, so that a batch
// does not read back what the previous one just wrote: the switch's
// institution accounts are in every send, and reading accounts was about a
// tenth of the switch writer's instructions.
//
// It holds the rows of ONE state of the database, the one whose write stamp
// is stamp_. Every ledger transaction that writes leaves a stamp never used
// before (SaveLastTimestamp), and nothing else writes ledger_accounts, so a
// stamp names one state. A transaction that finds that stamp in ledger_meta starts from
// exactly those rows; any other stamp (another process wrote, or the last
// transaction rolled back) empties the cache first. What a transaction
// leaves is staged under the stamp it wrote and trusted only when a later
// transaction finds that stamp — that is, once it committed. A rolled-back
// stamp never comes back, so nothing staged by it is ever trusted.
// Transactions that lock the writer row run one at a time (SQLite's write
// lock, PostgreSQL's row lock), so Start and Stage calls never interleave
// between transactions; the mutex only keeps the memory safe.
class AccountCache {
 public:
  void Start(int64_t found_stamp) {
    std::lock_guard lock(mutex_);
    if (staged_stamp_ == found_stamp) {
      for (Account& account : staged_) {
        const int64_t id = account.id;
        accounts_.insert_or_assign(id, std::move(account));
      }
      stamp_ = found_stamp;
    }
    staged_.clear();
    staged_stamp_ = -1;  // no stamp is negative
    // A bound on memory: with millions of accounts, start over now and then;
    // the hot ones (institutions') come back with the next batch.
    if (stamp_ != found_stamp || accounts_.size() > kMaxAccounts) {
      accounts_.clear();
      stamp_ = found_stamp;
    }
  }

  // Only between Start and Stage of one transaction.
  const Account* Find(int64_t id) const {
    std::lock_guard lock(mutex_);
    auto it = accounts_.find(id);
    return it == accounts_.end() ? nullptr : &it->second;
  }

  // Every account the transaction holds, as it wrote them.
  void Stage(int64_t stamp, std::vector<Account> accounts) {
    std::lock_guard lock(mutex_);
    staged_stamp_ = stamp;
    staged_ = std::move(accounts);
  }

 private:
  static constexpr size_t kMaxAccounts = 65'536;
  mutable std::mutex mutex_;
  std::unordered_map<int64_t, Account> accounts_;
  int64_t stamp_ = 0;  // a fresh database's: nothing cached yet, nothing wrong either
  std::vector<Account> staged_;
  int64_t staged_stamp_ = -1;
};

// Ends every ledger write transaction that wrote anything: the last
// timestamp handed out, and the transaction's new write stamp, so that every
// state of ledger_accounts a transaction leaves has a stamp of its own.
Status SaveLastTimestamp(store::Transaction& tx, int64_t last_ts, const WriterLock& lock) {
  std::vector<Value> params{last_ts, lock.stamp};
  auto done = tx.Execute("UPDATE ledger_meta SET last_ts = $1, stamp = $2 WHERE id = 1", params);
  if (!done.ok()) return done.error();
  return {};
}

// The in-memory view of one write transaction: what was loaded fresh plus
// what this transaction changed. Node-based maps keep references stable.
class WorkingSet {
 public:
  struct AccountSlot {
    Account account;
    bool dirty = false;
  };
  struct TransferSlot {
    TransferRecord record;
    bool is_new = false;
    bool dirty = false;  // an existing hold whose state changed
  };

  Status LoadTransfers(store::Transaction& tx, const std::vector<std::string>& ids) {
    std::vector<std::string> missing;
    for (const std::string& id : ids) {
      if (!transfers_.count(id)) missing.push_back(id);
    }
    std::sort(missing.begin(), missing.end());
    missing.erase(std::unique(missing.begin(), missing.end()), missing.end());
    std::vector<Row> rows;
    LAHZA_TRY(SelectIn(tx, std::string("SELECT ") + kTransferColumns + " FROM ledger_transfers WHERE id", missing,
                       "", rows));
    for (const Row& row : rows) {
      TransferRecord record = RecordFromRow(row);
      std::string id = record.transfer.id;
      transfers_.try_emplace(std::move(id), TransferSlot{std::move(record), false, false});
    }
    return {};
  }

  // From the cache (rows of the very state this transaction started from),
  // the rest fresh in ascending id order, so concurrent PostgreSQL writers
  // never deadlock even without the writer row.
  Status LoadAccounts(store::Transaction& tx, std::vector<int64_t> ids, const AccountCache& cache) {
    std::erase_if(ids, [&](int64_t id) {
      if (id <= 0 || accounts_.count(id)) return true;
      const Account* cached = cache.Find(id);
      if (cached == nullptr) return false;
      accounts_.try_emplace(id, AccountSlot{*cached, false});
      return true;
    });
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    std::vector<Row> rows;
    LAHZA_TRY(SelectIn(tx, std::string("SELECT ") + kAccountColumns + " FROM ledger_accounts WHERE id", ids,
                       " ORDER BY id FOR UPDATE", rows));
    for (const Row& row : rows) {
      Account account = AccountFromRow(row);
      int64_t id = account.id;
      accounts_.try_emplace(id, AccountSlot{std::move(account), false});
    }
    return {};
  }

  // Sized once per batch: rehashing thousands of string keys is measurable.
  void Reserve(size_t transfers, size_t accounts) {
    transfers_.reserve(transfers);
    accounts_.reserve(accounts);
    new_ids_.reserve(transfers);
  }

  // Every account held, as this transaction leaves it (for AccountCache::Stage).
  std::vector<Account> Accounts() const {
    std::vector<Account> out;
    out.reserve(accounts_.size());
    for (const auto& [id, slot] : accounts_) out.push_back(slot.account);
    return out;
  }

  AccountSlot* FindAccount(int64_t id) {
    auto it = accounts_.find(id);
    return it == accounts_.end() ? nullptr : &it->second;
  }
  TransferSlot* FindTransfer(const std::string& id) {
    auto it = transfers_.find(id);
    return it == transfers_.end() ? nullptr : &it->second;
  }
  void AddNew(TransferRecord record) {
    std::string id = record.transfer.id;
    new_ids_.push_back(id);
    transfers_.try_emplace(std::move(id), TransferSlot{std::move(record), true, false});
  }

  // A transfer's row as stored: each side is filed in its account's history
  // index when that account keeps history. Both accounts of a decided
  // transfer are held here (a refused one may name an account that does not
  // exist, which has no history). The hold updates below carry these values
  // too, but only change a hold's state.
  Row StoredRow(const TransferRecord& record) {
    auto keeps_history = [&](int64_t id) -> int64_t {
      const AccountSlot* slot = FindAccount(id);
      return slot != nullptr && (slot->account.flags & account_flags::kHistory) != 0 ? 1 : 0;
    };
    Row row = RowFromRecord(record);
    row.push_back(keeps_history(record.transfer.debit_account_id));
    row.push_back(keeps_history(record.transfer.credit_account_id));
    assert(row.size() == TransferColumnList().size());
    return row;
  }

  // Writes every change. New transfers first: nothing references them by key.
  Status Write(store::Transaction& tx) {
    std::vector<Row> rows;
    rows.reserve(new_ids_.size());
    for (const std::string& id : new_ids_) rows.push_back(StoredRow(transfers_.at(id).record));
    if (!rows.empty()) {
      auto inserted = tx.InsertMany("ledger_transfers", TransferColumnList(), rows);
      if (!inserted.ok()) return inserted.error();
    }
    rows.clear();
    for (auto& [id, slot] : transfers_) {
      if (slot.dirty && !slot.is_new) rows.push_back(StoredRow(slot.record));
    }
    if (!rows.empty()) {
      auto updated = tx.InsertMany("ledger_transfers", TransferColumnList(), rows,
                                   "ON CONFLICT (id) DO UPDATE SET hold_state = excluded.hold_state, "
                                   "resolved_at = excluded.resolved_at");
      if (!updated.ok()) return updated.error();
    }
    // Balances: the four sums updated by id, all accounts in one call (on
    // PostgreSQL one statement instead of a round trip per account). Every
    // account here was loaded from its row (accounts are never deleted), so
    // each has exactly one; an upsert of the whole row, before, also bound and
    // copied the six columns that never change and tried an insert first.
    static const std::vector<std::string> kBalanceColumns{"debits_pending", "debits_posted", "credits_pending",
                                                          "credits_posted"};
    rows.clear();
    for (auto& [id, slot] : accounts_) {
      if (!slot.dirty) continue;
      const Account& a = slot.account;
      assert(WithinLimits(a));
      rows.push_back(Row{a.debits_pending, a.debits_posted, a.credits_pending, a.credits_posted, a.id});
    }
    if (rows.empty()) return {};
    auto updated = tx.UpdateMany("ledger_accounts", "id", kBalanceColumns, rows);
    if (!updated.ok()) return updated.error();
    if (*updated != static_cast<int64_t>(rows.size())) {
      return Error("ledger.invariant_violated", "account rows missing: " + std::to_string(rows.size() - *updated));
    }
    return {};
  }

  // Double entry, checked on every batch: what this transaction added to all
  // debits equals what it added to all credits.
  int64_t debit_delta = 0;
  int64_t credit_delta = 0;

 private:
  std::unordered_map<int64_t, AccountSlot> accounts_;
  std::unordered_map<std::string, TransferSlot> transfers_;
  std::vector<std::string> new_ids_;
};

// Releases a hold's pending amounts from both accounts and gives it its final
// state. Both accounts exist: the hold succeeded, and accounts are never deleted.
void ResolveHold(WorkingSet& ws, WorkingSet::TransferSlot& hold, HoldState state, int64_t at) {
  assert(hold.record.hold_state == HoldState::kPending);
  const Transfer& h = hold.record.transfer;
  auto* dr = ws.FindAccount(h.debit_account_id);
  auto* cr = ws.FindAccount(h.credit_account_id);
  assert(dr && cr);
  dr->account.debits_pending -= h.amount;
  cr->account.credits_pending -= h.amount;
  assert(dr->account.debits_pending >= 0 && cr->account.credits_pending >= 0);
  dr->dirty = cr->dirty = true;
  ws.debit_delta -= h.amount;
  ws.credit_delta -= h.amount;
  hold.record.hold_state = state;
  hold.record.resolved_at = at;
  if (!hold.is_new) hold.dirty = true;
}

// A plain transfer or a new hold. On success balances change; on failure nothing does.
TransferCode ApplyMove(WorkingSet& ws, const Transfer& t) {
  auto* dr = ws.FindAccount(t.debit_account_id);
  if (!dr) return TransferCode::kDebitAccountNotFound;
  auto* cr = ws.FindAccount(t.credit_account_id);
  if (!cr) return TransferCode::kCreditAccountNotFound;
  Account& d = dr->account;
  Account& c = cr->account;
  if (d.ledger != c.ledger) return TransferCode::kLedgerMismatch;
  const bool pending = (t.flags & transfer_flags::kPending) != 0;
  // The rule that keeps every later step overflow-free: pending + posted of
  // each side stays within int64 (posting only moves money between the two).
  const __int128 d_total = static_cast<__int128>(d.debits_pending) + d.debits_posted + t.amount;
  const __int128 c_total = static_cast<__int128>(c.credits_pending) + c.credits_posted + t.amount;
  if (d_total > INT64_MAX || c_total > INT64_MAX) return TransferCode::kOverflow;
  const int64_t d_next = (pending ? d.debits_pending : d.debits_posted) + t.amount;
  const int64_t c_next = (pending ? c.credits_pending : c.credits_posted) + t.amount;
  if ((d.flags & account_flags::kDebitsMustNotExceedCredits) && d_total > d.credits_posted) {
    return TransferCode::kExceedsCredits;
  }
  if ((c.flags & account_flags::kCreditsMustNotExceedDebits) && c_total > c.debits_posted) {
    return TransferCode::kExceedsDebits;
  }
  (pending ? d.debits_pending : d.debits_posted) = d_next;
  (pending ? c.credits_pending : c.credits_posted) = c_next;
  dr->dirty = cr->dirty = true;
  ws.debit_delta += t.amount;
  ws.credit_delta += t.amount;
  assert(WithinLimits(d) && WithinLimits(c));
  return TransferCode::kOk;
}

// Posts or voids the hold `t.pending_id`. `resolved` receives the accounts and
// amount taken from the hold (what the record stores on success).
TransferCode ApplyPostOrVoid(WorkingSet& ws, const Transfer& t, int64_t ts, int64_t now, Transfer& resolved) {
  auto* hold = ws.FindTransfer(t.pending_id);
  if (!hold || !hold->record.result.ok()) return TransferCode::kPendingTransferNotFound;
  const Transfer& h = hold->record.transfer;
  if (!(h.flags & transfer_flags::kPending)) return TransferCode::kPendingTransferNotPending;
  if (t.debit_account_id != 0 && t.debit_account_id != h.debit_account_id) {
    return TransferCode::kPendingDebitAccountMismatch;
  }
  if (t.credit_account_id != 0 && t.credit_account_id != h.credit_account_id) {
    return TransferCode::kPendingCreditAccountMismatch;
  }
  switch (hold->record.hold_state) {
    case HoldState::kPosted: return TransferCode::kPendingTransferAlreadyPosted;
    case HoldState::kVoided: return TransferCode::kPendingTransferAlreadyVoided;
    case HoldState::kExpired: return TransferCode::kPendingTransferExpired;
    case HoldState::kPending: break;
    case HoldState::kNone: assert(false); return TransferCode::kPendingTransferNotPending;
  }
  if (hold->record.expires_at != 0 && hold->record.expires_at <= now) {
    // Expired on access: its time is up even if ExpireHolds has not run yet.
    ResolveHold(ws, *hold, HoldState::kExpired, ts);
    return TransferCode::kPendingTransferExpired;
  }
  const bool post = (t.flags & transfer_flags::kPostPending) != 0;
  int64_t amount = t.amount == 0 ? h.amount : t.amount;
  if (post && amount > h.amount) return TransferCode::kExceedsPendingAmount;
  if (!post && amount != h.amount) return TransferCode::kPendingAmountMismatch;
  resolved.debit_account_id = h.debit_account_id;
  resolved.credit_account_id = h.credit_account_id;
  resolved.amount = amount;
  int64_t debit_id = h.debit_account_id, credit_id = h.credit_account_id;
  ResolveHold(ws, *hold, post ? HoldState::kPosted : HoldState::kVoided, ts);
  if (post) {
    Account& d = ws.FindAccount(debit_id)->account;
    Account& c = ws.FindAccount(credit_id)->account;
    // Cannot overflow: pending + posted was kept within int64 when the hold
    // was made, and posting only moves (part of) the amount between them.
    d.debits_posted += amount;
    c.credits_posted += amount;
    ws.debit_delta += amount;
    ws.credit_delta += amount;
    assert(WithinLimits(d) && WithinLimits(c));
  }
  return TransferCode::kOk;
}

struct Waiter {
  std::mutex mutex;
  std::condition_variable done;
  size_t remaining = 0;
  std::vector<TransferResult> results;
  std::optional<Error> error;
};

struct Item {
  Transfer transfer;
  // Exactly one of these answers it.
  std::shared_ptr<Waiter> waiter;
  size_t index = 0;
  Ledger::Callback callback;
};

}  // namespace

class Ledger::Impl {
 public:
  Impl(store::Store& store, Options options) : store_(store), options_(std::move(options)) {
    if (!options_.clock) options_.clock = SystemMicros;
    if (options_.max_batch == 0) options_.max_batch = 1;
    committer_ = std::thread([this] { CommitLoop(); });
  }

  ~Impl() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    committer_.join();
  }

  void Enqueue(std::vector<Item> items) {
    {
      std::lock_guard lock(mutex_);
      if (!stopping_) {
        for (Item& item : items) queue_.push_back(std::move(item));
        items.clear();
      }
    }
    if (items.empty()) {
      wake_.notify_one();
      return;
    }
    for (Item& item : items) Answer(item, Error("ledger.closed"));
  }

  Result<std::vector<AccountResult>> CreateAccounts(std::span<const Account> accounts);
  Result<std::vector<TransferResult>> ApplyInTransaction(store::Transaction& tx, std::span<const Transfer> transfers,
                                                         Ledger::Ids ids) {
    std::vector<const Transfer*> pointers;
    pointers.reserve(transfers.size());
    for (const Transfer& t : transfers) pointers.push_back(&t);
    std::vector<TransferResult> results;
    // Ids are looked up first unless they are new: a conflicting insert would
    // abort the caller's whole transaction, not just this call.
    LAHZA_TRY(ApplyBatch(tx, pointers, results, ids == Ledger::Ids::kMayExist));
    return results;
  }
  Result<int64_t> ExpireHolds();
  Result<std::optional<TransferRecord>> LookupTransfer(std::string_view id);
  Result<std::vector<TransferRecord>> TransfersForAccount(int64_t account_id, const HistoryQuery& query);
  Result<std::vector<Account>> LookupAccounts(std::span<const int64_t> ids);
  Result<Totals> GetTotals();
  Status CheckInvariants();

  Stats stats() const { return Stats{batches_.load(), transfers_.load(), busy_retries_.load()}; }

 private:
  static void Answer(Item& item, Result<TransferResult> result) {
    if (item.callback) {
      item.callback(std::move(result));
      return;
    }
    Waiter& w = *item.waiter;
    bool last = false;
    {
      std::lock_guard lock(w.mutex);
      if (result.ok()) {
        w.results[item.index] = *result;
      } else if (!w.error) {
        w.error = result.error();
      }
      last = --w.remaining == 0;
    }
    if (last) w.done.notify_all();
  }

  void CommitLoop() {
    NameThisThread("ledger-commit");
    std::vector<Item> batch;
    for (;;) {
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping and drained
        size_t n = std::min(options_.max_batch, queue_.size());
        batch.clear();
        batch.reserve(n);
        for (size_t i = 0; i < n; ++i) {
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      std::vector<TransferResult> results;
      Status status = CommitBatch(batch, results);
      for (size_t i = 0; i < batch.size(); ++i) {
        if (status.ok()) {
          Answer(batch[i], results[i]);
        } else {
          Answer(batch[i], status.error());
        }
      }
    }
  }

  // Runs `attempt` in a write transaction, committing it; retries store.busy.
  // `report`, when given, receives the wall time of the last try's phases.
  template <class Attempt>
  Status InWriteTransaction(Attempt&& attempt, BatchReport* report = nullptr) {
    for (int tries = 0;; ++tries) {
      Status status = [&]() -> Status {
        const auto begun = std::chrono::steady_clock::now();
        auto tx = store_.Begin(store::Mode::kWrite);
        if (!tx.ok()) return tx.error();
        LAHZA_TRY(attempt(**tx));
        const auto applied = std::chrono::steady_clock::now();
        Status committed = (*tx)->Commit();
        if (report) {
          report->apply_us = MicrosBetween(begun, applied);
          report->commit_us = MicrosBetween(applied, std::chrono::steady_clock::now());
        }
        return committed;
      }();
      if (status.ok() || status.error().code != "store.busy" || tries >= options_.busy_retries) return status;
      ++busy_retries_;
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min(1 + tries, 20)));
    }
  }

  // Idempotency is checked optimistically: most ids are new, so a batch is
  // first applied without looking its ids up, and the insert of the new
  // transfers (unique on id) is the check. If any id already existed the
  // insert fails with store.conflict, the transaction rolls back — nothing of
  // it was committed — and the batch is applied again, this time loading the
  // existing transfers first. After a miss, the next batches look first too
  // (retries tend to come in bursts).
  Status CommitBatch(std::vector<Item>& batch, std::vector<TransferResult>& results) {
    const int64_t cpu_before = ThreadCpuMicros();
    BatchReport report;
    bool look_first = look_first_batches_ > 0;
    if (look_first) --look_first_batches_;
    std::vector<const Transfer*> transfers;
    transfers.reserve(batch.size());
    for (const Item& item : batch) transfers.push_back(&item.transfer);
    Status status = InWriteTransaction(
        [&](store::Transaction& tx) { return ApplyBatch(tx, transfers, results, look_first); }, &report);
    if (!look_first && !status.ok() && status.error().code == "store.conflict") {
      look_first_batches_ = 16;
      status = InWriteTransaction([&](store::Transaction& tx) { return ApplyBatch(tx, transfers, results, true); },
                                  &report);
    }
    if (status.ok()) {
      ++batches_;
      transfers_ += static_cast<int64_t>(batch.size());
      if (options_.on_batch) {
        report.transfers = static_cast<int64_t>(batch.size());
        report.committer_cpu_us = ThreadCpuMicros() - cpu_before;
        options_.on_batch(report);
      }
    }
    return status;
  }

  // Also used by ApplyInTransaction, on the caller's thread and transaction:
  // reads only options_ and the store.
  Status ApplyBatch(store::Transaction& tx, std::span<const Transfer* const> batch,
                    std::vector<TransferResult>& results, bool look_up_ids) {
    results.assign(batch.size(), TransferResult{});
    auto locked = LockWriter(tx);
    if (!locked.ok()) return locked.error();
    cache_.Start(locked->found_stamp);
    const int64_t now = options_.clock();
    int64_t next_ts = std::max(now, locked->last_ts + 1);

    WorkingSet ws;
    ws.Reserve(batch.size() * 2, batch.size() * 2);
    std::vector<std::string> ids;
    std::vector<int64_t> account_ids;
    ids.reserve(batch.size());
    account_ids.reserve(batch.size() * 2);
    for (const Transfer* transfer : batch) {
      const Transfer& t = *transfer;
      if (!ValidTransferId(t.id)) continue;
      if (look_up_ids) ids.push_back(t.id);
      if (IsPostOrVoid(t.flags) && !t.pending_id.empty()) ids.push_back(t.pending_id);
      account_ids.push_back(t.debit_account_id);
      account_ids.push_back(t.credit_account_id);
    }
    LAHZA_TRY(ws.LoadTransfers(tx, ids));
    // Holds posted or voided here bring their own accounts.
    for (const Transfer* transfer : batch) {
      const Transfer& t = *transfer;
      if (!IsPostOrVoid(t.flags)) continue;
      if (auto* hold = ws.FindTransfer(t.pending_id)) {
        account_ids.push_back(hold->record.transfer.debit_account_id);
        account_ids.push_back(hold->record.transfer.credit_account_id);
      }
    }
    LAHZA_TRY(ws.LoadAccounts(tx, std::move(account_ids), cache_));

    for (size_t i = 0; i < batch.size(); ++i) {
      results[i] = Decide(ws, *batch[i], next_ts, now);
    }
    // Double entry holds batch by batch, so it holds for the whole database.
    assert(ws.debit_delta == ws.credit_delta);
    LAHZA_TRY(ws.Write(tx));
    LAHZA_TRY(SaveLastTimestamp(tx, next_ts - 1, *locked));
    cache_.Stage(locked->stamp, ws.Accounts());
    return {};
  }

  TransferResult Decide(WorkingSet& ws, const Transfer& t, int64_t& next_ts, int64_t now) {
    if (!ValidTransferId(t.id)) return TransferResult{TransferCode::kIdInvalid, 0, false};
    if (auto* existing = ws.FindTransfer(t.id)) {
      if (!SameFields(existing->record, t)) return TransferResult{TransferCode::kExistsWithDifferentFields, 0, false};
      TransferResult first = existing->record.result;
      first.replayed = true;
      return first;
    }
    const int64_t ts = next_ts++;
    TransferRecord record;
    record.transfer = t;
    TransferCode code = StaticCheck(t);
    if (code == TransferCode::kOk) {
      code = IsPostOrVoid(t.flags) ? ApplyPostOrVoid(ws, t, ts, now, record.transfer) : ApplyMove(ws, t);
    }
    record.result = TransferResult{code, ts, false};
    if (code == TransferCode::kOk && (t.flags & transfer_flags::kPending)) {
      record.hold_state = HoldState::kPending;
      if (t.timeout_seconds > 0) record.expires_at = ts + t.timeout_seconds * kMicrosPerSecond;
    }
    ws.AddNew(std::move(record));
    return TransferResult{code, ts, false};
  }

  store::Store& store_;
  Options options_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Item> queue_;
  bool stopping_ = false;
  std::atomic<int64_t> batches_{0}, transfers_{0}, busy_retries_{0};
  int look_first_batches_ = 0;  // committer thread only
  AccountCache cache_;  // used inside write transactions only, which run one at a time
  std::thread committer_;  // last: started after everything it uses exists
};

// ---------------------------------------------------------------------------
// Accounts

Result<std::vector<AccountResult>> Ledger::Impl::CreateAccounts(std::span<const Account> accounts) {
  std::vector<AccountResult> results;
  Status status = InWriteTransaction([&](store::Transaction& tx) -> Status {
    results.assign(accounts.size(), AccountResult{});
    auto locked = LockWriter(tx);
    if (!locked.ok()) return locked.error();
    cache_.Start(locked->found_stamp);
    int64_t next_ts = std::max(options_.clock(), locked->last_ts + 1);
    std::vector<int64_t> ids;
    for (const Account& a : accounts) {
      if (a.id > 0) ids.push_back(a.id);
    }
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    std::vector<Row> rows;
    LAHZA_TRY(SelectIn(tx, std::string("SELECT ") + kAccountColumns + " FROM ledger_accounts WHERE id", ids, "",
                       rows));
    std::unordered_map<int64_t, Account> known;
    for (const Row& row : rows) {
      Account a = AccountFromRow(row);
      known.emplace(a.id, std::move(a));
    }
    std::vector<Row> fresh;
    for (size_t i = 0; i < accounts.size(); ++i) {
      const Account& a = accounts[i];
      AccountCode code = CheckAccount(a);
      if (code != AccountCode::kOk) {
        results[i].code = code;
        continue;
      }
      if (auto it = known.find(a.id); it != known.end()) {
        if (SameAccount(it->second, a)) {
          results[i].replayed = true;
        } else {
          results[i].code = AccountCode::kExistsWithDifferentFields;
        }
        continue;
      }
      Account created = a;
      created.debits_pending = created.debits_posted = created.credits_pending = created.credits_posted = 0;
      created.timestamp = next_ts++;
      fresh.push_back(RowFromAccount(created));
      known.emplace(created.id, std::move(created));
    }
    if (!fresh.empty()) {
      auto inserted = tx.InsertMany("ledger_accounts", AccountColumnList(), fresh);
      if (!inserted.ok()) return inserted.error();
    }
    LAHZA_TRY(SaveLastTimestamp(tx, next_ts - 1, *locked));
    // No cached balance changed; staging nothing keeps the cache's rows
    // trusted past this transaction's new stamp.
    cache_.Stage(locked->stamp, {});
    return {};
  });
  if (!status.ok()) return status.error();
  return results;
}

Result<std::vector<Account>> Ledger::Impl::LookupAccounts(std::span<const int64_t> ids) {
  auto tx = store_.Begin(store::Mode::kRead);
  if (!tx.ok()) return tx.error();
  std::vector<int64_t> keys(ids.begin(), ids.end());
  std::vector<Row> rows;
  LAHZA_TRY(SelectIn(**tx, std::string("SELECT ") + kAccountColumns + " FROM ledger_accounts WHERE id", keys, "",
                     rows));
  std::unordered_map<int64_t, Account> found;
  for (const Row& row : rows) {
    Account a = AccountFromRow(row);
    found.emplace(a.id, std::move(a));
  }
  std::vector<Account> out;
  for (int64_t id : ids) {
    if (auto it = found.find(id); it != found.end()) out.push_back(it->second);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Holds

Result<int64_t> Ledger::Impl::ExpireHolds() {
  constexpr int64_t kPerTransaction = 4096;
  int64_t total = 0;
  for (;;) {
    int64_t expired = 0;
    Status status = InWriteTransaction([&](store::Transaction& tx) -> Status {
      expired = 0;
      auto locked = LockWriter(tx);
      if (!locked.ok()) return locked.error();
      cache_.Start(locked->found_stamp);
      const int64_t now = options_.clock();
      int64_t next_ts = std::max(now, locked->last_ts + 1);
      std::vector<Value> params{now, kPerTransaction};
      auto due = tx.Execute(std::string("SELECT id FROM ledger_transfers WHERE hold_state = 1 AND expires_at > 0 "
                                        "AND expires_at <= $1 ORDER BY expires_at LIMIT $2"),
                            params);
      if (!due.ok()) return due.error();
      if (due->rows.empty()) return {};  // nothing written: the stamp stays
      std::vector<std::string> ids;
      for (const Row& row : due->rows) ids.push_back(store::AsText(row[0]));
      WorkingSet ws;
      LAHZA_TRY(ws.LoadTransfers(tx, ids));
      std::vector<int64_t> account_ids;
      for (const std::string& id : ids) {
        const Transfer& h = ws.FindTransfer(id)->record.transfer;
        account_ids.push_back(h.debit_account_id);
        account_ids.push_back(h.credit_account_id);
      }
      LAHZA_TRY(ws.LoadAccounts(tx, std::move(account_ids), cache_));
      for (const std::string& id : ids) {
        auto* hold = ws.FindTransfer(id);
        if (hold->record.hold_state != HoldState::kPending) continue;
        ResolveHold(ws, *hold, HoldState::kExpired, next_ts++);
        ++expired;
      }
      assert(ws.debit_delta == ws.credit_delta);
      LAHZA_TRY(ws.Write(tx));
      LAHZA_TRY(SaveLastTimestamp(tx, next_ts - 1, *locked));
      cache_.Stage(locked->stamp, ws.Accounts());
      return {};
    });
    if (!status.ok()) return status.error();
    total += expired;
    if (expired < kPerTransaction) return total;
  }
}

// ---------------------------------------------------------------------------
// Reads

Result<std::optional<TransferRecord>> Ledger::Impl::LookupTransfer(std::string_view id) {
  auto tx = store_.Begin(store::Mode::kRead);
  if (!tx.ok()) return tx.error();
  std::vector<Value> params{std::string(id)};
  auto rows =
      (*tx)->Execute(std::string("SELECT ") + kTransferColumns + " FROM ledger_transfers WHERE id = $1", params);
  if (!rows.ok()) return rows.error();
  if (rows->rows.empty()) return std::optional<TransferRecord>();
  return std::optional<TransferRecord>(RecordFromRow(rows->rows[0]));
}

Result<std::vector<TransferRecord>> Ledger::Impl::TransfersForAccount(int64_t account_id,
                                                                      const HistoryQuery& query) {
  if (query.limit < 1 || query.limit > 10000) return Error("ledger.history_limit_invalid");
  auto tx = store_.Begin(store::Mode::kRead);
  if (!tx.ok()) return tx.error();
  std::vector<TransferRecord> out;
  std::vector<Value> id{account_id};
  auto account = (*tx)->Execute("SELECT flags FROM ledger_accounts WHERE id = $1", id);
  if (!account.ok()) return account.error();
  if (account->rows.empty()) return out;
  if ((store::AsInt(account->rows[0][0]) & account_flags::kHistory) == 0) {
    return Error("ledger.account_without_history", std::to_string(account_id));
  }
  // Two index range scans (debit side, credit side) merged by timestamp. Each
  // names its partial index's condition, so that both backends use it.
  const std::string filter = query.include_failed ? "" : " AND result = 0";
  for (auto [side, filed] : {std::pair{"debit_account_id", "debit_history"}, {"credit_account_id", "credit_history"}}) {
    std::vector<Value> params{account_id, query.after_timestamp, query.limit};
    auto rows = (*tx)->Execute(std::string("SELECT ") + kTransferColumns + " FROM ledger_transfers WHERE " + side +
                                   " = $1 AND " + filed + " = 1 AND ts > $2" + filter + " ORDER BY ts LIMIT $3",
                               params);
    if (!rows.ok()) return rows.error();
    for (const Row& row : rows->rows) out.push_back(RecordFromRow(row));
  }
  std::sort(out.begin(), out.end(), [](const TransferRecord& a, const TransferRecord& b) {
    return a.result.timestamp < b.result.timestamp;
  });
  if (out.size() > static_cast<size_t>(query.limit)) out.resize(query.limit);
  return out;
}

Result<Totals> Ledger::Impl::GetTotals() {
  auto tx = store_.Begin(store::Mode::kRead);
  if (!tx.ok()) return tx.error();
  // Summed here in 128 bits: every balance fits int64, their sum need not
  // (and SQL SUM would fail or turn NUMERIC half-way).
  auto rows = (*tx)->Execute("SELECT debits_pending, debits_posted, credits_pending, credits_posted FROM ledger_accounts");
  if (!rows.ok()) return rows.error();
  __int128 sums[4] = {0, 0, 0, 0};
  for (const Row& row : rows->rows) {
    for (int i = 0; i < 4; ++i) sums[i] += store::AsInt(row[i]);
  }
  for (__int128 sum : sums) {
    if (sum > INT64_MAX) return Error("ledger.overflow", "a total is beyond int64");
  }
  return Totals{static_cast<int64_t>(rows->rows.size()), static_cast<int64_t>(sums[0]), static_cast<int64_t>(sums[1]),
                static_cast<int64_t>(sums[2]), static_cast<int64_t>(sums[3])};
}

Status Ledger::Impl::CheckInvariants() {
  auto tx = store_.Begin(store::Mode::kRead);
  if (!tx.ok()) return tx.error();
  auto violated = [](std::string detail) { return Error("ledger.invariant_violated", std::move(detail)); };

  auto accounts = (*tx)->Execute(std::string("SELECT ") + kAccountColumns + " FROM ledger_accounts ORDER BY id");
  if (!accounts.ok()) return accounts.error();
  struct Sums {
    int64_t debits_pending = 0, debits_posted = 0, credits_pending = 0, credits_posted = 0;
  };
  std::unordered_map<int64_t, Sums> expected;
  // Per successful transfer: plain and post add `amount` to posted; a hold
  // adds to pending while it is still pending; a void adds nothing.
  for (const char* side : {"debit_account_id", "credit_account_id"}) {
    auto rows = (*tx)->Execute(
        std::string("SELECT ") + side +
        ", CAST(SUM(CASE WHEN flags = 0 OR flags = 2 THEN amount ELSE 0 END) AS BIGINT), "
        "CAST(SUM(CASE WHEN flags = 1 AND hold_state = 1 THEN amount ELSE 0 END) AS BIGINT) "
        "FROM ledger_transfers WHERE result = 0 GROUP BY " + side);
    if (!rows.ok()) return rows.error();
    const bool debit = std::string_view(side) == "debit_account_id";
    for (const Row& row : rows->rows) {
      Sums& s = expected[store::AsInt(row[0])];
      (debit ? s.debits_posted : s.credits_posted) = store::AsInt(row[1]);
      (debit ? s.debits_pending : s.credits_pending) = store::AsInt(row[2]);
    }
  }
  __int128 dp = 0, dpo = 0, cp = 0, cpo = 0;
  for (const Row& row : accounts->rows) {
    Account a = AccountFromRow(row);
    if (!WithinLimits(a)) return violated("account " + std::to_string(a.id) + " is beyond its limit");
    Sums s = expected[a.id];
    expected.erase(a.id);
    if (s.debits_pending != a.debits_pending || s.debits_posted != a.debits_posted ||
        s.credits_pending != a.credits_pending || s.credits_posted != a.credits_posted) {
      return violated("account " + std::to_string(a.id) + " balances differ from the sum of its transfers");
    }
    dp += a.debits_pending;
    dpo += a.debits_posted;
    cp += a.credits_pending;
    cpo += a.credits_posted;
  }
  for (const auto& [id, sums] : expected) {
    (void)sums;
    return violated("transfers name account " + std::to_string(id) + " which does not exist");
  }
  if (dp != cp) return violated("pending debits differ from pending credits");
  if (dpo != cpo) return violated("posted debits differ from posted credits");
  auto bad_holds = (*tx)->Execute(
      "SELECT COUNT(*) FROM ledger_transfers WHERE (hold_state <> 0 AND (flags <> 1 OR result <> 0)) OR "
      "(flags = 1 AND result = 0 AND hold_state = 0)");
  if (!bad_holds.ok()) return bad_holds.error();
  if (store::AsInt(bad_holds->rows.at(0)[0]) != 0) return violated("a transfer has a hold state it cannot have");
  return {};
}

// ---------------------------------------------------------------------------
// Ledger: thin forwarding to Impl.

Ledger::Ledger(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Ledger::~Ledger() = default;

Result<std::unique_ptr<Ledger>> Ledger::Open(store::Store& store, Options options) {
  LAHZA_TRY(MigrateLedger(store));
  return std::unique_ptr<Ledger>(new Ledger(std::make_unique<Impl>(store, std::move(options))));
}

Result<std::vector<AccountResult>> Ledger::CreateAccounts(std::span<const Account> accounts) {
  return impl_->CreateAccounts(accounts);
}

Result<std::optional<Account>> Ledger::LookupAccount(int64_t id) {
  auto found = impl_->LookupAccounts(std::span<const int64_t>(&id, 1));
  if (!found.ok()) return found.error();
  if (found->empty()) return std::optional<Account>();
  return std::optional<Account>(std::move(found->front()));
}

Result<std::vector<Account>> Ledger::LookupAccounts(std::span<const int64_t> ids) {
  return impl_->LookupAccounts(ids);
}

Result<std::vector<TransferResult>> Ledger::CreateTransfers(std::span<const Transfer> transfers) {
  if (transfers.empty()) return std::vector<TransferResult>{};
  auto waiter = std::make_shared<Waiter>();
  waiter->remaining = transfers.size();
  waiter->results.resize(transfers.size());
  std::vector<Item> items;
  items.reserve(transfers.size());
  for (size_t i = 0; i < transfers.size(); ++i) items.push_back(Item{transfers[i], waiter, i, nullptr});
  impl_->Enqueue(std::move(items));
  std::unique_lock lock(waiter->mutex);
  waiter->done.wait(lock, [&] { return waiter->remaining == 0; });
  // If any batch failed, report it: the caller must not assume the others
  // were applied without checking (they may have been, in earlier batches;
  // retrying all is safe because transfers are idempotent).
  if (waiter->error) return *waiter->error;
  return std::move(waiter->results);
}

Result<std::vector<TransferResult>> Ledger::ApplyInTransaction(store::Transaction& tx,
                                                               std::span<const Transfer> transfers, Ids ids) {
  if (transfers.empty()) return std::vector<TransferResult>{};
  return impl_->ApplyInTransaction(tx, transfers, ids);
}

void Ledger::SubmitAsync(Transfer transfer, Callback done) {
  assert(done);
  std::vector<Item> items;
  items.push_back(Item{std::move(transfer), nullptr, 0, std::move(done)});
  impl_->Enqueue(std::move(items));
}

std::future<Result<TransferResult>> Ledger::Submit(Transfer transfer) {
  auto promise = std::make_shared<std::promise<Result<TransferResult>>>();
  auto future = promise->get_future();
  SubmitAsync(std::move(transfer), [promise](Result<TransferResult> result) { promise->set_value(std::move(result)); });
  return future;
}

Result<int64_t> Ledger::ExpireHolds() { return impl_->ExpireHolds(); }

Result<std::optional<TransferRecord>> Ledger::LookupTransfer(std::string_view id) {
  return impl_->LookupTransfer(id);
}

Result<std::vector<TransferRecord>> Ledger::TransfersForAccount(int64_t account_id, HistoryQuery query) {
  return impl_->TransfersForAccount(account_id, query);
}

Result<Totals> Ledger::GetTotals() { return impl_->GetTotals(); }
Status Ledger::CheckInvariants() { return impl_->CheckInvariants(); }
Ledger::Stats Ledger::stats() const { return impl_->stats(); }

}  // namespace lahza::ledger
