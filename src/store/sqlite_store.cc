// SQLite backend: one database file in WAL mode, a pool of connections (one
// per concurrent transaction), a prepared-statement cache per connection.
//
// Durability: synchronous=FULL makes every COMMIT fsync the WAL before it
// returns, so an acknowledged write survives power loss. CommitWithoutSync
// leaves that fsync to the store's syncer (WalSyncer), which makes many
// commits durable with one and then runs what WhenDurable was given.
// Concurrency: WAL lets readers run beside the single writer. Writers of this
// process queue on an in-process gate before BEGIN IMMEDIATE, so they hand the
// write lock over without SQLite's sleep-and-poll busy handler; the busy
// handler (busy_timeout) only arbitrates between processes.
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "core/thread_name.h"
#include "store/internal.h"

namespace lahza::store::internal {
// Named rather than anonymous: a unity build compiles the SQLite and the
// PostgreSQL store as one translation unit, and each has its own Connection.
namespace sqlite {

constexpr int kBusyTimeoutMs = 30000;
// How long opening a connection waits for the database file's lock. This
// process holds that lock for as long as it has the database open (the
// "unix-excl" VFS, see sqlite_wal_buffer.cc), so another process waits here
// in vain; within this process only WAL recovery holds it, briefly.
constexpr int kOpenBusyTimeoutMs = 5000;
constexpr size_t kMaxCachedStatements = 512;  // beyond this the cache is flushed (varying IN-list texts)
constexpr size_t kMaxIdleConnections = 16;

// Hashes a statement's text by its length and five 8-byte samples spread over
// it, not every byte: the texts are long (a limit reservation is ≈ 700 bytes)
// and looked up on every Execute, and hashing them whole was ≈ 2.7 % of the
// switch writer's time. A lookup compares the whole text anyway, so two texts
// that sample alike only share a bucket.
struct StatementTextHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const {
    uint64_t h = s.size() * 0x9E3779B97F4A7C15ull;
    auto mix = [&h](uint64_t v) {
      h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    };
    if (s.size() < 16) {
      for (unsigned char c : s) mix(c);
      return h;
    }
    for (size_t at : {size_t{0}, s.size() / 4, s.size() / 2, s.size() * 3 / 4, s.size() - 8}) {
      uint64_t v;
      std::memcpy(&v, s.data() + std::min(at, s.size() - 8), sizeof v);
      mix(v);
    }
    return h;
  }
};

// A prepared statement and, for $k, the SQLite parameter index it got (names
// are numbered by first appearance, so "$2 ... $1" gives $2 index 1).
struct Prepared {
  sqlite3_stmt* stmt = nullptr;
  std::vector<int> index_of;  // index_of[k-1] = sqlite index of "$k"
  bool read_only = true;
  bool counts_changes = false;  // see CountsChanges()
};

// Before SQLite initialises (the first open, or registering our VFS): no
// memory statistics. Keeping them takes a process-wide mutex on every
// allocation SQLite makes — hundreds per transfer, from every thread — and
// nothing here reads them.
void ConfigureSqliteOnce() {
  static const bool configured = [] {
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);  // SQLITE_MISUSE if someone initialised first: harmless
    return true;
  }();
  (void)configured;
}

Error ErrorFrom(sqlite3* db, int rc, std::string_view context) {
  std::string detail = std::string(context) + ": " + sqlite3_errmsg(db);
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT: return Conflict(std::move(detail));
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return Busy(std::move(detail));
    default: return Failure(std::move(detail));
  }
}

class Connection {
 public:
  explicit Connection(sqlite3* db) : db_(db) {}
  ~Connection() {
    for (auto& [sql, prepared] : cache_) sqlite3_finalize(prepared.stmt);
    sqlite3_close_v2(db_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  sqlite3* db() const { return db_; }

  Result<Prepared*> Prepare(std::string_view sql) {
    if (auto it = cache_.find(sql); it != cache_.end()) return &it->second;
    if (cache_.size() >= kMaxCachedStatements) {
      for (auto& [text, prepared] : cache_) sqlite3_finalize(prepared.stmt);
      cache_.clear();
    }
    std::string_view effective = StripTrailingForUpdate(sql);
    Prepared prepared;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v3(db_, effective.data(), static_cast<int>(effective.size()), SQLITE_PREPARE_PERSISTENT,
                                &prepared.stmt, &tail);
    if (rc != SQLITE_OK) return ErrorFrom(db_, rc, "prepare");
    if (prepared.stmt == nullptr) return Failure("empty statement");
    for (const char* p = tail; p < effective.data() + effective.size(); ++p) {
      if (!std::isspace(static_cast<unsigned char>(*p)) && *p != ';') {
        sqlite3_finalize(prepared.stmt);
        return Failure("one statement per Execute (the other backend rejects several too)");
      }
    }
    int count = sqlite3_bind_parameter_count(prepared.stmt);
    prepared.index_of.assign(count, 0);
    for (int index = 1; index <= count; ++index) {
      const char* name = sqlite3_bind_parameter_name(prepared.stmt, index);
      int k = 0;
      if (name == nullptr || name[0] != '$' ||
          std::from_chars(name + 1, name + std::strlen(name), k).ec != std::errc{} || k < 1 || k > count ||
          std::to_string(k) != name + 1) {
        sqlite3_finalize(prepared.stmt);
        return Failure("placeholders must be $1..$N without gaps, got " + std::string(name ? name : "?"));
      }
      prepared.index_of[k - 1] = index;
    }
    prepared.read_only = sqlite3_stmt_readonly(prepared.stmt) != 0;
    prepared.counts_changes = CountsChanges(sql);
    auto [it, inserted] = cache_.emplace(std::string(sql), prepared);
    return &it->second;
  }

  // Runs a prepared statement with `params`; rows are appended to `out`.
  Status Run(Prepared& prepared, std::span<const Value> params, Rows* out) {
    sqlite3_stmt* stmt = prepared.stmt;
    if (params.size() != prepared.index_of.size()) {
      return Failure("statement expects " + std::to_string(prepared.index_of.size()) + " parameters, got " +
                     std::to_string(params.size()));
    }
    Status status = Bind(prepared, params);
    while (status.ok()) {
      int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) {
        if (prepared.counts_changes && out) out->affected += sqlite3_changes64(db_);
        break;
      }
      if (rc != SQLITE_ROW) {
        status = ErrorFrom(db_, rc, "step");
        break;
      }
      if (out) out->rows.push_back(ReadRow(stmt));
    }
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return status;
  }

  // BEGIN, COMMIT and ROLLBACK, several times per request: through the
  // statement cache, since sqlite3_exec parses its text on every call (that
  // parsing was 5 % of all the instructions of an HTTP transfer).
  Status Control(const char* sql) {
    auto prepared = Prepare(sql);
    Status status = prepared.ok() ? Run(**prepared, {}, nullptr) : Status(prepared.error());
    if (status.ok()) return status;
    // Named and classified as sqlite3_exec's errors were: busy, or a failure.
    std::string detail = std::string(sql) + ": " + status.error().detail;
    return status.error().code == "store.busy" ? Busy(std::move(detail)) : Failure(std::move(detail));
  }

  // Any SQL text, several statements allowed; for the one-off PRAGMAs.
  Status Exec(const char* sql) {
    char* message = nullptr;
    int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &message);
    if (rc == SQLITE_OK) return {};
    std::string detail = std::string(sql) + ": " + (message ? message : sqlite3_errstr(rc));
    sqlite3_free(message);
    if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) return Busy(detail);
    return Failure(detail);
  }

 private:
  Status Bind(const Prepared& prepared, std::span<const Value> params) {
    for (size_t k = 0; k < params.size(); ++k) {
      int index = prepared.index_of[k];
      int rc = SQLITE_OK;
      if (const auto* number = std::get_if<int64_t>(&params[k])) {
        rc = sqlite3_bind_int64(prepared.stmt, index, *number);
      } else if (const auto* text = std::get_if<std::string>(&params[k])) {
        if (text->find('\0') != std::string::npos) return Failure("text parameter contains a NUL byte");
        // SQLITE_STATIC: the caller's strings outlive the step loop.
        rc = sqlite3_bind_text64(prepared.stmt, index, text->data(), text->size(), SQLITE_STATIC, SQLITE_UTF8);
      } else {
        rc = sqlite3_bind_null(prepared.stmt, index);
      }
      if (rc != SQLITE_OK) return ErrorFrom(db_, rc, "bind");
    }
    return {};
  }

  static Row ReadRow(sqlite3_stmt* stmt) {
    int columns = sqlite3_column_count(stmt);
    Row row;
    row.reserve(columns);
    for (int c = 0; c < columns; ++c) {
      switch (sqlite3_column_type(stmt, c)) {
        case SQLITE_INTEGER: row.emplace_back(int64_t{sqlite3_column_int64(stmt, c)}); break;
        case SQLITE_NULL: row.emplace_back(Null{}); break;
        default: {
          // TEXT, and REAL/BLOB rendered as text: the dialect has no floats,
          // so this only shows up for stray expressions like AVG().
          const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
          row.emplace_back(std::string(text ? text : "", sqlite3_column_bytes(stmt, c)));
        }
      }
    }
    return row;
  }

  sqlite3* db_;
  std::unordered_map<std::string, Prepared, StatementTextHash, std::equal_to<>> cache_;
};

// Serialises this process's writers. A mutex cannot be used: a Transaction may
// be finished on another thread than the one that began it. An urgent
// acquirer (the checkpointer's short last pass, see CheckpointLoop) goes
// before the others: a writer that commits back to back would otherwise
// take the gate again before a waiting thread even wakes up.
class WriterGate {
 public:
  bool Acquire(std::chrono::milliseconds timeout, bool urgent = false) {
    std::unique_lock lock(mutex_);
    if (urgent) ++urgent_waiting_;
    const bool got = released_.wait_for(lock, timeout, [&] { return !held_ && (urgent || urgent_waiting_ == 0); });
    if (urgent && --urgent_waiting_ == 0 && !got) released_.notify_all();  // the others may go now
    if (got) held_ = true;
    return got;
  }
  void Release() {
    {
      std::lock_guard lock(mutex_);
      held_ = false;
    }
    released_.notify_all();  // an urgent waiter among ordinary ones must hear it
  }

 private:
  std::mutex mutex_;
  std::condition_variable released_;
  bool held_ = false;
  int urgent_waiting_ = 0;
};

// A failed fdatasync leaves written pages of unknown fate, and the kernel may
// have dropped them and forgotten the error: no answer may be given for
// commits in them, and no later commit or checkpoint may build on them.
// Stopping the process is the one safe way out (PostgreSQL panics for the
// same reason); opening the database again replays the WAL as far as it is
// whole, and no one was told of anything beyond.
[[noreturn]] void DieForDurability(const char* what, const std::string& path, int error) {
  std::fprintf(stderr, "lahza store: %s %s: %s; stopping, since acknowledged writes may not be durable\n", what,
               path.c_str(), std::strerror(error));
  std::abort();
}

// Makes deferred commits durable: one fdatasync of the WAL for every commit
// owed so far, then whatever waited for them. Its own descriptor on the WAL
// (any descriptor's fdatasync flushes the file's pages): SQLite's file
// objects belong to their connections' threads. Commits are counted in the
// order they are owed, so "durable up to N" covers every commit before N.
class WalSyncer final : public WalSyncOwner {
 public:
  explicit WalSyncer(std::string wal_path) : wal_path_(std::move(wal_path)), thread_([this] { Loop(); }) {}

  // Syncs what is still owed and runs what still waits, then stops.
  ~WalSyncer() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      paused_ = false;
    }
    wake_.notify_all();
    thread_.join();
    if (fd_ >= 0) ::close(fd_);
  }

  void Owe() override {
    {
      std::lock_guard lock(mutex_);
      ++owed_;
    }
    wake_.notify_one();
  }

  void WhenDurable(std::function<void()> then) {
    {
      std::lock_guard lock(mutex_);
      if (synced_ < owed_ || paused_) {
        waiting_.push_back(Waiting{owed_, std::move(then)});
        return;
      }
    }
    then();
  }

  void Pause(bool paused) {
    {
      std::lock_guard lock(mutex_);
      paused_ = paused;
    }
    wake_.notify_all();
  }

 private:
  struct Waiting {
    uint64_t commit;  // durable once synced_ reaches it
    std::function<void()> then;
  };

  void Loop() {
    NameThisThread("wal-sync");
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [&] { return !paused_ && (stopping_ || synced_ < owed_ || !waiting_.empty()); });
      const uint64_t target = owed_;
      if (synced_ < target) {
        lock.unlock();
        SyncWal();
        lock.lock();
        synced_ = target;
      }
      // Those whose commits are now on stable storage, in the order they came.
      std::vector<std::function<void()>> ready;
      while (!waiting_.empty() && waiting_.front().commit <= synced_) {
        ready.push_back(std::move(waiting_.front().then));
        waiting_.pop_front();
      }
      if (ready.empty() && stopping_ && synced_ == owed_) return;
      lock.unlock();
      for (auto& then : ready) then();
      lock.lock();
    }
  }

  void SyncWal() {
    struct stat by_path{};
    if (::stat(wal_path_.c_str(), &by_path) != 0) {
      // No WAL: the last connection closed, and SQLite copied it into the
      // database and synced that before it removed the file.
      if (errno == ENOENT) return;
      DieForDurability("stat", wal_path_, errno);
    }
    if (fd_ < 0 || by_path.st_ino != inode_ || by_path.st_dev != device_) {
      // First use, or a WAL made anew since: its name in the folder must be
      // on stable storage too, as SQLite's first sync of a new WAL ensures.
      if (fd_ >= 0) ::close(fd_);
      fd_ = ::open(wal_path_.c_str(), O_RDWR | O_CLOEXEC);
      if (fd_ < 0) DieForDurability("open", wal_path_, errno);
      struct stat opened{};
      if (::fstat(fd_, &opened) != 0) DieForDurability("fstat", wal_path_, errno);
      inode_ = opened.st_ino;
      device_ = opened.st_dev;
      const std::string folder = std::filesystem::path(wal_path_).parent_path().string();
      const int dir = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (dir < 0 || ::fsync(dir) != 0) DieForDurability("fsync the folder of", wal_path_, errno);
      ::close(dir);
    }
    if (::fdatasync(fd_) != 0) DieForDurability("fdatasync", wal_path_, errno);
  }

  const std::string wal_path_;
  std::mutex mutex_;
  std::condition_variable wake_;
  uint64_t owed_ = 0;    // commits whose sync was deferred
  uint64_t synced_ = 0;  // of those, the ones on stable storage
  std::deque<Waiting> waiting_;
  bool paused_ = false;
  bool stopping_ = false;
  int fd_ = -1;  // only the syncer's thread touches these three
  ino_t inode_ = 0;
  dev_t device_ = 0;
  std::thread thread_;  // last: started once everything it uses exists
};

class SqliteStore;

class SqliteTransaction final : public Transaction {
 public:
  SqliteTransaction(SqliteStore& store, std::unique_ptr<Connection> connection, Mode mode)
      : store_(store),
        connection_(std::move(connection)),
        mode_(mode),
        changes_at_begin_(sqlite3_total_changes64(connection_->db())) {}
  ~SqliteTransaction() override;

  Result<Rows> Execute(std::string_view sql, std::span<const Value> params) override {
    if (finished_) return Failure("transaction already finished");
    if (failed_) return Aborted();
    auto prepared = connection_->Prepare(sql);
    if (!prepared.ok()) return Fail(prepared.error());
    // Refused like PostgreSQL refuses them in a READ ONLY transaction.
    if (mode_ == Mode::kRead && (!(*prepared)->read_only || StripTrailingForUpdate(sql).size() != sql.size())) {
      return Fail(Failure("write or FOR UPDATE in a read transaction"));
    }
    Rows rows;
    Status status = connection_->Run(**prepared, params, &rows);
    if (!status.ok()) return Fail(status.error());
    return rows;
  }

  Result<int64_t> InsertMany(std::string_view table, std::span<const std::string> columns,
                             std::span<const Row> rows, std::string_view suffix) override {
    if (finished_) return Failure("transaction already finished");
    if (failed_) return Aborted();
    if (columns.empty()) return Fail(Failure("InsertMany needs columns"));
    if (rows.empty()) return int64_t{0};
    // One cached INSERT stepped per row: in SQLite a statement is a local
    // function call, so a multi-row VALUES would only add parsing.
    std::string sql = "INSERT INTO " + std::string(table) + " (";
    std::string values;
    for (size_t i = 0; i < columns.size(); ++i) {
      sql += (i ? ", " : "") + columns[i];
      values += (i ? ", $" : "$") + std::to_string(i + 1);
    }
    sql += ") VALUES (" + values + ")";
    if (!suffix.empty()) sql += " " + std::string(suffix);
    if (mode_ == Mode::kRead) return Fail(Failure("InsertMany in a read transaction"));
    return StepPerRow(sql, rows, columns.size(), "InsertMany");
  }

  // One cached UPDATE stepped per row, for the reason InsertMany gives.
  Result<int64_t> UpdateMany(std::string_view table, std::string_view key_column, std::span<const std::string> columns,
                             std::span<const Row> rows) override {
    if (finished_) return Failure("transaction already finished");
    if (failed_) return Aborted();
    if (columns.empty()) return Fail(Failure("UpdateMany needs columns"));
    if (mode_ == Mode::kRead) return Fail(Failure("UpdateMany in a read transaction"));
    if (rows.empty()) return int64_t{0};
    std::string sql = "UPDATE " + std::string(table) + " SET ";
    for (size_t i = 0; i < columns.size(); ++i) sql += (i ? ", " : "") + columns[i] + " = $" + std::to_string(i + 1);
    sql += " WHERE " + std::string(key_column) + " = $" + std::to_string(columns.size() + 1);
    return StepPerRow(sql, rows, columns.size() + 1, "UpdateMany");
  }

  // The connection's own count covers every statement, triggers included.
  int64_t RowsChanged() const override {
    return finished_ ? 0 : sqlite3_total_changes64(connection_->db()) - changes_at_begin_;
  }

  Status Commit() override { return CommitSyncedBy(nullptr); }
  Status CommitWithoutSync() override;

 private:
  // `deferred`: who syncs the WAL instead of this COMMIT; nullptr: it does.
  Status CommitSyncedBy(WalSyncOwner* deferred) {
    if (finished_) return Failure("transaction already finished");
    if (failed_) return Aborted();
    DeferNextWalSync(deferred);
    Status status = connection_->Control("COMMIT");
    DeferNextWalSync(nullptr);  // a COMMIT that wrote nothing asked for no sync
    if (!status.ok()) {
      // A failed COMMIT may leave the transaction open; ~ rolls it back.
      failed_ = true;
      return status;
    }
    Finish();
    return {};
  }

  // InsertMany's and UpdateMany's statement, prepared once and stepped once
  // per row of `width` values; returns the rows it changed.
  Result<int64_t> StepPerRow(const std::string& sql, std::span<const Row> rows, size_t width, const char* what) {
    auto prepared = connection_->Prepare(sql);
    if (!prepared.ok()) return Fail(prepared.error());
    Rows counter;
    for (const Row& row : rows) {
      if (row.size() != width) return Fail(Failure(std::string(what) + " row has the wrong number of values"));
      Status status = connection_->Run(**prepared, row, &counter);
      if (!status.ok()) return Fail(status.error());
    }
    return counter.affected;
  }

  Error Fail(Error error) {
    failed_ = true;
    return error;
  }
  void Finish();

  SqliteStore& store_;
  std::unique_ptr<Connection> connection_;
  Mode mode_;
  const int64_t changes_at_begin_;
  bool failed_ = false;
  bool finished_ = false;
};

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(std::string path)
      : path_(std::move(path)), syncer_(path_ + "-wal"), checkpointer_([this] { CheckpointLoop(); }) {}

  ~SqliteStore() override {
    {
      std::lock_guard lock(checkpoint_mutex_);
      stopping_ = true;
    }
    checkpoint_wake_.notify_one();
    checkpointer_.join();
    if (database_fd_ >= 0) ::close(database_fd_);
  }

  Backend backend() const override { return Backend::kSqlite; }

  void WhenDurable(std::function<void()> then) override { syncer_.WhenDurable(std::move(then)); }
  WalSyncer& syncer() { return syncer_; }

  Result<std::unique_ptr<Connection>> Connect() {
    ConfigureSqliteOnce();
    sqlite3* db = nullptr;
    int rc = sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             WalBufferVfs());
    auto connection = std::make_unique<Connection>(db);  // closes db on every path
    if (rc != SQLITE_OK) {
      return Error("store.open_failed", path_ + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, kOpenBusyTimeoutMs);
    // journal_mode=WAL is persistent in the file; asking each time is a no-op
    // once set and makes a fresh file WAL before anyone writes to it. It is
    // also the first read, which takes the file's lock.
    if (Status status = connection->Exec("PRAGMA journal_mode=WAL"); !status.ok()) {
      if ((sqlite3_errcode(db) & 0xff) == SQLITE_BUSY) {
        return Error("store.open_failed", path_ +
                                              ": in use by another process. A SQLite database is served by one "
                                              "process at a time; PostgreSQL serves several.");
      }
      return Error("store.open_failed", path_ + ": " + status.error().detail);
    }
    sqlite3_busy_timeout(db, kBusyTimeoutMs);
    // The automatic checkpoint is only a backstop (see CheckpointLoop):
    // 100,000 frames, ~400 MiB of WAL.
    for (const char* pragma : {"PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON", "PRAGMA cache_size=-16384",
                               "PRAGMA temp_store=MEMORY", "PRAGMA wal_autocheckpoint=100000"}) {
      Status status = connection->Exec(pragma);
      if (!status.ok()) return Error("store.open_failed", path_ + ": " + status.error().detail);
    }
    auto mode = connection->Prepare("PRAGMA journal_mode");
    Rows rows;
    if (!mode.ok() || !connection->Run(**mode, {}, &rows).ok() || rows.rows.empty() ||
        AsText(rows.rows[0][0]) != "wal") {
      return Error("store.open_failed", path_ + ": could not switch to WAL mode");
    }
    // Durability, and the WAL write buffer's safety, rest on every commit
    // syncing the WAL: refuse a connection on which that did not take.
    auto synchronous = connection->Prepare("PRAGMA synchronous");
    Rows level;
    if (!synchronous.ok() || !connection->Run(**synchronous, {}, &level).ok() || level.rows.empty() ||
        AsInt(level.rows[0][0]) != 2) {
      return Error("store.open_failed", path_ + ": could not set synchronous=FULL");
    }
    return connection;
  }

  Result<std::unique_ptr<Transaction>> Begin(Mode mode) override {
    if (mode == Mode::kWrite && !gate_.Acquire(std::chrono::milliseconds(kBusyTimeoutMs))) {
      return Busy("timed out waiting for the write lock");
    }
    auto connection = mode == Mode::kWrite && write_connection_ ? std::move(write_connection_) : Take();
    if (!connection.ok()) {
      if (mode == Mode::kWrite) gate_.Release();
      return Failure(connection.error().detail);
    }
    Status begun = (*connection)->Control(mode == Mode::kWrite ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED");
    if (!begun.ok()) {
      Give(std::move(*connection), mode);
      return begun.error();
    }
    return std::unique_ptr<Transaction>(new SqliteTransaction(*this, std::move(*connection), mode));
  }

  // Ends a transaction's hold on its connection (and, for a write, on the
  // write lock). A connection still inside a transaction is dropped.
  void Give(std::unique_ptr<Connection> connection, Mode mode) {
    const bool reusable = sqlite3_get_autocommit(connection->db()) != 0;
    if (mode == Mode::kRead) {
      if (reusable) idle_.Keep(std::move(connection));
      return;
    }
    // Writes keep a connection of their own. A connection's page cache
    // survives only while no other connection commits; every commit of
    // this process goes through this one, so the B-tree pages the writer
    // touched stay cached from one batch to the next instead of being read
    // back from the WAL by whichever pooled connection a reader last used.
    if (reusable) write_connection_ = std::move(connection);
    gate_.Release();
  }

 private:
  Result<std::unique_ptr<Connection>> Take() {
    if (auto idle = idle_.Take()) return idle;
    return Connect();
  }

  // WAL checkpoints run here, on their own thread and connection, instead of
  // inside whichever commit crosses SQLite's automatic threshold: that commit
  // would copy pages into the database file and fsync it while its writer —
  // and every job queued behind it — waits. PASSIVE never blocks writers or
  // readers; frames a reader still needs are copied on a later round.
  //
  // The WAL file starts over from its beginning only when a write finds every
  // frame already copied and no reader still in the WAL, which never happens
  // while commits keep coming: the WAL would grow until the automatic
  // threshold made a commit copy whatever this thread had not yet (10-25 ms
  // every ~170 ms at 6,000 transfers/s with SQLite's threshold ten times its
  // default, measured; it set p99). So once the WAL holds kRestartWalFrames,
  // this thread finishes the job itself: a second pass copies what came
  // during the first, the pages copied are flushed to disk (SyncCopiedPages),
  // and a third pass, holding this process's writers off, copies the little
  // that came during the second, syncs it and waits (briefly, see
  // WaitForReaders) for the readers still in the WAL to finish (RESTART). The
  // next write then starts the WAL over. If a reader stays, the next round
  // tries again. The connections keep an automatic threshold as a backstop
  // (in Connect), so the WAL stays bounded even if this thread cannot connect.
  void CheckpointLoop() {
    NameThisThread("wal-checkpoint");
    std::unique_ptr<Connection> connection;
    std::unique_lock lock(checkpoint_mutex_);
    while (!checkpoint_wake_.wait_for(lock, std::chrono::milliseconds(kCheckpointEveryMs), [&] { return stopping_; })) {
      lock.unlock();
      if (!connection) {
        auto made = Connect();
        if (made.ok()) {
          connection = std::move(*made);
          sqlite3_busy_handler(connection->db(), WaitForReaders, nullptr);
        }
      }
      if (connection && CopyWal(*connection, SQLITE_CHECKPOINT_PASSIVE) >= kRestartWalFrames) {
        // Flushed after each pass, not once after both: the second flush is
        // then short, and so is the time before the gate, in which commits
        // keep adding the frames the RESTART must copy and sync under it.
        SyncCopiedPages();
        (void)CopyWal(*connection, SQLITE_CHECKPOINT_PASSIVE);
        SyncCopiedPages();
        if (gate_.Acquire(std::chrono::milliseconds(kBusyTimeoutMs), /*urgent=*/true)) {
          (void)CopyWal(*connection, SQLITE_CHECKPOINT_RESTART);
          gate_.Release();
        }
      }
      lock.lock();
    }
  }

  // Flushes the database pages the passive checkpoints wrote, before the
  // RESTART takes the write gate. A checkpoint syncs the database file only
  // when it copied the whole WAL, which with a writer committing every
  // millisecond only the RESTART does, under the gate: its fsync then wrote
  // out every page copied since the last restart (tens of MiB) while the
  // writer waited — 16 ms on average, 37 at most, 3.6 times a second
  // (measured). Flushed here, that sync finds only the last few pages.
  void SyncCopiedPages() {
    if (database_fd_ < 0) {
      database_fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
      if (database_fd_ < 0) DieForDurability("open", path_, errno);
    }
    if (::fdatasync(database_fd_) != 0) DieForDurability("fdatasync", path_, errno);
  }

  // One checkpoint; returns the frames the WAL holds (-1 on error).
  static int CopyWal(Connection& connection, int mode) {
    int frames = -1, copied = -1;
    (void)sqlite3_wal_checkpoint_v2(connection.db(), nullptr, mode, &frames, &copied);
    return frames;
  }

  // The checkpointer's busy handler: readers leave the WAL within
  // microseconds, and this process's writers wait while it does, so it
  // retries every 100 us for at most 5 ms (SQLite's own sleeps 1, 2, 5, 10
  // ms...), then gives up until the next round.
  static int WaitForReaders(void*, int tries) {
    if (tries >= 50) return 0;
    std::this_thread::sleep_for(std::chrono::microseconds(100));
    return 1;
  }

  static constexpr int kCheckpointEveryMs = 100;
  static constexpr int kRestartWalFrames = 20'000;  // ~80 MiB of 4 KiB pages
  std::string path_;
  // Before the connections: destroyed after them (the last to close folds
  // the WAL into the database), it still syncs what they owe and runs what
  // waits for that.
  WalSyncer syncer_;
  internal::IdleConnections<Connection> idle_{kMaxIdleConnections};
  WriterGate gate_;
  std::unique_ptr<Connection> write_connection_;  // only touched while holding gate_
  std::mutex checkpoint_mutex_;
  std::condition_variable checkpoint_wake_;
  bool stopping_ = false;
  int database_fd_ = -1;  // only the checkpointer's thread touches it
  std::thread checkpointer_;  // last: started once everything it uses exists
};

SqliteTransaction::~SqliteTransaction() {
  if (!finished_) {
    (void)connection_->Control("ROLLBACK");
    // Frames a rolled-back spill left behind; a read transaction wrote none.
    if (mode_ == Mode::kWrite) DiscardWalBuffer(connection_->db());
    Finish();
  }
}

void SqliteTransaction::Finish() {
  finished_ = true;
  store_.Give(std::move(connection_), mode_);
}

Status SqliteTransaction::CommitWithoutSync() { return CommitSyncedBy(&store_.syncer()); }

}  // namespace sqlite

void PauseWalSyncForTest(Store& store, bool paused) {
  if (auto* sqlite_store = dynamic_cast<sqlite::SqliteStore*>(&store)) sqlite_store->syncer().Pause(paused);
}

Result<std::unique_ptr<Store>> OpenSqlite(const std::string& path) {
  std::error_code error;
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, error);
  if (error) return Error("store.open_failed", path + ": " + error.message());
  auto store = std::make_unique<sqlite::SqliteStore>(path);
  auto first = store->Connect();
  if (!first.ok()) return first.error();
  store->Give(std::move(*first), Mode::kRead);
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace lahza::store::internal
