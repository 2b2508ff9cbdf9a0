// Internals shared by the store's .cc files; not part of the public interface.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"

struct sqlite3;

namespace lahza::store::internal {

// Backend constructors used by Open(); they connect once so a bad address
// fails at open time rather than at the first transaction.
Result<std::unique_ptr<Store>> OpenSqlite(const std::string& path);
Result<std::unique_ptr<Store>> OpenPostgres(const std::string& url);

// The name of a SQLite VFS (registered on first use) that is the default one
// except that a commit's writes to the write-ahead log reach the kernel in a
// few large writes instead of two per page; nullptr if it could not be
// registered (the default VFS then serves). Requires synchronous=FULL on
// every connection that writes (see sqlite_wal_buffer.cc).
const char* WalBufferVfs();
// Who is owed the WAL sync a commit leaves undone (CommitWithoutSync): the
// store's syncer (sqlite_store.cc). A thread sets one around such a COMMIT;
// the first WAL sync that COMMIT asks for then only writes the frames out and
// calls Owe() instead of syncing. That one sync only: any later one (the
// checkpoint a COMMIT may run, which must find every frame it copies into
// the database on stable storage first) syncs for real.
class WalSyncOwner {
 public:
  virtual void Owe() = 0;  // called while the COMMIT holds the write lock: must not block

 protected:
  ~WalSyncOwner() = default;
};
void DeferNextWalSync(WalSyncOwner* owner);  // this thread's; nullptr: none

// For tests of what waits for durability: while paused, the SQLite store's
// syncer syncs nothing and WhenDurable holds what it is given. No effect on
// other backends.
void PauseWalSyncForTest(Store& store, bool paused);

// Drops what the connection's WAL buffer still holds. The store calls it
// after every ROLLBACK: those bytes were never committed, and written later
// they would overwrite frames other connections committed since.
void DiscardWalBuffer(sqlite3* db);

// `sql` without a trailing "FOR UPDATE" (case-insensitive, whitespace and a
// final ';' tolerated). SQLite has no row locks; BEGIN IMMEDIATE already holds
// the database's write lock, so the clause is redundant there.
std::string_view StripTrailingForUpdate(std::string_view sql);

// Splits a script on ';' outside quotes and comments; empty statements dropped.
std::vector<std::string> SplitStatements(std::string_view script);

// The first SQL keyword, upper-cased ("SELECT", "INSERT", ...).
std::string LeadingKeyword(std::string_view sql);

// Whether Rows::affected is reported for `sql`: statements that begin with
// INSERT, UPDATE or DELETE (not WITH ...: use RETURNING there), the same rule
// on both backends.
bool CountsChanges(std::string_view sql);

// The errors every backend returns, so codes stay identical across them.
Error Conflict(std::string detail);
Error Busy(std::string detail);
Error Failure(std::string detail);
Error Aborted();  // statement after an earlier error in the same transaction

// Idle connections kept for the next transaction, at most `max_idle`; both
// backends pool the same way and differ only in when a connection is unfit to
// keep (a backend checks that before Keep).
template <class Connection>
class IdleConnections {
 public:
  explicit IdleConnections(size_t max_idle) : max_idle_(max_idle) {}

  // The most recently kept connection, or nullptr when none is idle.
  std::unique_ptr<Connection> Take() {
    std::lock_guard lock(mutex_);
    if (idle_.empty()) return nullptr;
    auto connection = std::move(idle_.back());
    idle_.pop_back();
    return connection;
  }

  // Keeps `connection` for reuse, or closes it when the pool is full.
  void Keep(std::unique_ptr<Connection> connection) {
    std::lock_guard lock(mutex_);
    if (idle_.size() < max_idle_) idle_.push_back(std::move(connection));
  }

 private:
  const size_t max_idle_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace lahza::store::internal
