// The store conformance suite: every case runs on SQLite (a temp file) and on
// PostgreSQL (LAHZA_TEST_PG_URL), with the same expectations.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <limits>
#include <mutex>
#include <thread>

#include "core/messages.h"
#include "store/internal.h"
#include "store/store.h"
#include "store/test_stores.h"

namespace lahza::store {
namespace {

class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    LAHZA_SKIP_UNLESS_BACKEND(GetParam());
    store_ = FreshStore(GetParam());
    ASSERT_NE(store_, nullptr);
  }

  Rows Run(std::string_view sql, std::vector<Value> params = {}) { return Run(*store_, sql, std::move(params)); }
  static Rows Run(Store& store, std::string_view sql, std::vector<Value> params = {}) {
    auto rows = store.Execute(sql, params);
    EXPECT_TRUE(rows.ok()) << sql << ": " << (rows.ok() ? "" : Describe(rows.error()));
    return rows.ok() ? *rows : Rows{};
  }
  std::string ErrorCode(std::string_view sql, std::vector<Value> params = {}) {
    auto rows = store_->Execute(sql, params);
    return rows.ok() ? "ok" : rows.error().code;
  }
  int64_t Count(std::string_view table) {
    Rows rows = Run("SELECT COUNT(*) FROM " + std::string(table));
    return rows.rows.empty() ? -1 : AsInt(rows.rows[0][0]);
  }

  std::unique_ptr<Store> store_;
};

TEST_P(StoreTest, BackendMatchesParameter) {
  EXPECT_EQ(store_->backend(), GetParam() == "sqlite" ? Backend::kSqlite : Backend::kPostgres);
}

TEST_P(StoreTest, ACommitWithoutSyncIsVisibleAtOnceAndDurableWhenTheStoreSaysSo) {
  ASSERT_TRUE(store_->Execute("CREATE TABLE deferred (id BIGINT PRIMARY KEY)", {}, Mode::kWrite).ok());
  auto tx = store_->Begin(Mode::kWrite);
  ASSERT_TRUE(tx.ok());
  ASSERT_TRUE((*tx)->Execute("INSERT INTO deferred (id) VALUES (1)").ok());
  ASSERT_TRUE((*tx)->CommitWithoutSync().ok());
  EXPECT_FALSE((*tx)->Commit().ok()) << "finished";
  auto seen = store_->Execute("SELECT COUNT(*) FROM deferred", {}, Mode::kRead);
  ASSERT_TRUE(seen.ok());
  EXPECT_EQ(AsInt(seen->rows[0][0]), 1);
  std::mutex mutex;
  std::condition_variable told;
  bool durable = false;
  store_->WhenDurable([&] {
    std::lock_guard lock(mutex);
    durable = true;
    told.notify_all();
  });
  std::unique_lock lock(mutex);
  EXPECT_TRUE(told.wait_for(lock, std::chrono::seconds(10), [&] { return durable; }));
}

TEST_P(StoreTest, TypesRoundTrip) {
  Run("CREATE TABLE t (id BIGINT PRIMARY KEY, n BIGINT, s TEXT)");
  const int64_t min = std::numeric_limits<int64_t>::min(), max = std::numeric_limits<int64_t>::max();
  const std::string arabic = "لحظة — تحويل ١٢٥٠٫٥٠ جنيه إلى أحمد@instapay";
  Run("INSERT INTO t (id, n, s) VALUES ($1, $2, $3)", {int64_t{1}, min, arabic});
  Run("INSERT INTO t (id, n, s) VALUES ($1, $2, $3)", {int64_t{2}, max, Null{}});
  Run("INSERT INTO t (id, n, s) VALUES ($1, $2, $3)", {int64_t{3}, Null{}, std::string()});
  Run("INSERT INTO t (id, n, s) VALUES ($1, $2, $3)", {int64_t{4}, int64_t{0}, std::string("it's; \"quoted\" -- no comment")});
  Rows rows = Run("SELECT id, n, s FROM t ORDER BY id");
  ASSERT_EQ(rows.rows.size(), 4u);
  EXPECT_EQ(AsInt(rows.rows[0][0]), 1);
  EXPECT_EQ(AsInt(rows.rows[0][1]), min);
  EXPECT_EQ(AsText(rows.rows[0][2]), arabic);
  EXPECT_EQ(AsInt(rows.rows[1][1]), max);
  EXPECT_TRUE(IsNull(rows.rows[1][2]));
  EXPECT_TRUE(IsNull(rows.rows[2][1]));
  EXPECT_EQ(AsText(rows.rows[2][2]), "");  // empty text is not NULL
  EXPECT_EQ(AsText(rows.rows[3][2]), "it's; \"quoted\" -- no comment");
  // NUL cannot be stored in PostgreSQL text, so neither backend accepts it.
  auto nul = store_->Execute("INSERT INTO t (id, s) VALUES (5, $1)", std::vector<Value>{std::string("a\0b", 3)});
  ASSERT_FALSE(nul.ok());
  EXPECT_EQ(nul.error().code, "store.error");
  // Looking up by the Arabic text finds it byte for byte.
  Rows found = Run("SELECT id FROM t WHERE s = $1", {arabic});
  ASSERT_EQ(found.rows.size(), 1u);
  EXPECT_EQ(AsInt(found.rows[0][0]), 1);
}

TEST_P(StoreTest, AggregatesAndComparisonsComeBackAsIntegers) {
  Run("CREATE TABLE t (id BIGINT PRIMARY KEY, n BIGINT NOT NULL)");
  Run("INSERT INTO t (id, n) VALUES (1, 4000000000000000000), (2, 5000000000000000000), (3, -1)");
  // SUM(bigint) is NUMERIC on PostgreSQL; the store returns it as int64 when it fits.
  Rows rows = Run("SELECT COUNT(*), SUM(n) - 9000000000000000000, MIN(n), 1 < 2, COUNT(*) > 5 FROM t");
  ASSERT_EQ(rows.rows.size(), 1u);
  EXPECT_EQ(AsInt(rows.rows[0][0]), 3);
  EXPECT_EQ(AsInt(rows.rows[0][1]), -1);
  EXPECT_EQ(AsInt(rows.rows[0][2]), -1);
  EXPECT_EQ(AsInt(rows.rows[0][3]), 1);
  EXPECT_EQ(AsInt(rows.rows[0][4]), 0);
  Rows empty = Run("SELECT SUM(n) FROM t WHERE id > 100");
  EXPECT_TRUE(IsNull(empty.rows.at(0).at(0)));
}

TEST_P(StoreTest, PlaceholdersOutOfOrderAndRepeated) {
  Run("CREATE TABLE t (id BIGINT PRIMARY KEY, a BIGINT, b TEXT, c BIGINT)");
  Run("INSERT INTO t (id, a, b, c) VALUES ($3, $1, $2, $1)", {int64_t{7}, std::string("seven"), int64_t{70}});
  Rows rows = Run("SELECT id, a, b, c FROM t WHERE a = $2 AND c = $2 AND b = $1", {std::string("seven"), int64_t{7}});
  ASSERT_EQ(rows.rows.size(), 1u);
  EXPECT_EQ(AsInt(rows.rows[0][0]), 70);
  EXPECT_EQ(AsInt(rows.rows[0][1]), 7);
  EXPECT_EQ(AsText(rows.rows[0][2]), "seven");
  EXPECT_EQ(AsInt(rows.rows[0][3]), 7);
  // $10 is not $1 followed by '0'.
  std::vector<Value> ten = {int64_t{100}, int64_t{200}, int64_t{300}, int64_t{400}, int64_t{500},
                            int64_t{600}, int64_t{700}, int64_t{800}, int64_t{900}, int64_t{1000}};
  Rows tenth = Run("SELECT CAST($10 AS BIGINT) + CAST($1 AS BIGINT) + 0 * (CAST($2 AS BIGINT) + CAST($3 AS BIGINT) + "
      "CAST($4 AS BIGINT) + CAST($5 AS BIGINT) + CAST($6 AS BIGINT) + CAST($7 AS BIGINT) + CAST($8 AS BIGINT) + "
      "CAST($9 AS BIGINT))", ten);
  EXPECT_EQ(AsInt(tenth.rows.at(0).at(0)), 1100);
}

TEST_P(StoreTest, WrongParameterCountIsAnError) {
  Run("CREATE TABLE t (id BIGINT PRIMARY KEY)");
  EXPECT_EQ(ErrorCode("INSERT INTO t (id) VALUES ($1)", {}), "store.error");
  EXPECT_EQ(ErrorCode("INSERT INTO t (id) VALUES ($1)", {int64_t{1}, int64_t{2}}), "store.error");
  EXPECT_EQ(Count("t"), 0);
}

TEST_P(StoreTest, ErrorCodes) {
  Run("CREATE TABLE parent (id BIGINT PRIMARY KEY, name TEXT NOT NULL UNIQUE)");
  Run("CREATE TABLE child (id BIGINT PRIMARY KEY, parent_id BIGINT NOT NULL REFERENCES parent (id))");
  Run("INSERT INTO parent (id, name) VALUES (1, 'a')");
  EXPECT_EQ(ErrorCode("INSERT INTO parent (id, name) VALUES (1, 'b')"), "store.conflict");    // primary key
  EXPECT_EQ(ErrorCode("INSERT INTO parent (id, name) VALUES (2, 'a')"), "store.conflict");    // unique
  EXPECT_EQ(ErrorCode("INSERT INTO parent (id, name) VALUES (3, NULL)"), "store.conflict");   // not null
  EXPECT_EQ(ErrorCode("INSERT INTO child (id, parent_id) VALUES (1, 99)"), "store.conflict");  // foreign key
  EXPECT_EQ(ErrorCode("SELEKT 1"), "store.error");
  EXPECT_EQ(ErrorCode("SELECT * FROM no_such_table"), "store.error");
  EXPECT_EQ(ErrorCode("SELECT 1; SELECT 2"), "store.error");  // one statement per Execute
  EXPECT_EQ(Count("parent"), 1);
  EXPECT_EQ(Count("child"), 0);
  for (const char* code : {"store.conflict", "store.busy", "store.error", "store.bad_url", "store.open_failed"}) {
    auto message = FindMessage(code);
    ASSERT_TRUE(message.has_value()) << code;
    EXPECT_FALSE(message->ar.empty());
    EXPECT_FALSE(message->en.empty());
  }
}

TEST_P(StoreTest, AnErrorAbortsTheTransaction) {
  Run("CREATE TABLE t (id BIGINT PRIMARY KEY)");
  auto tx = store_->Begin();
  ASSERT_TRUE(tx.ok());
  ASSERT_TRUE((*tx)->Execute("INSERT INTO t (id) VALUES (1)").ok());
  auto duplicate = (*tx)->Execute("INSERT INTO t (id) VALUES (1)");
  ASSERT_FALSE(duplicate.ok());
  EXPECT_EQ(duplicate.error().code, "store.conflict");
  EXPECT_EQ((*tx)->Execute("INSERT INTO t (id) VALUES (2)").error().code, "store.error");
  EXPECT_FALSE((*tx)->Commit().ok());
  tx->reset();
  EXPECT_EQ(Count("t"), 0);
  // The pooled connection is usable again afterwards.
  Run("INSERT INTO t (id) VALUES (3)");
  EXPECT_EQ(Count("t"), 1);
}

TEST_P(StoreTest, AffectedCountsChangedRowsOnly) {
  Run("CREATE TABLE t (id BIGINT PRIMARY KEY, n BIGINT NOT NULL)");
  EXPECT_EQ(Run("INSERT INTO t (id, n) VALUES (1, 0), (2, 0), (3, 5)").affected, 3);
  EXPECT_EQ(Run("UPDATE t SET n = n + 1 WHERE n = 0").affected, 2);
  EXPECT_EQ(Run("SELECT id FROM t").affected, 0);
  EXPECT_EQ(Run("DELETE FROM t WHERE id = $1", {int64_t{3}}).affected, 1);
  EXPECT_EQ(Run("INSERT INTO t (id, n) VALUES (1, 9) ON CONFLICT (id) DO NOTHING").affected, 0);
  Rows returned = Run("UPDATE t SET n = n + 10 WHERE id = $1 RETURNING n", {int64_t{1}});
  EXPECT_EQ(returned.affected, 1);
  EXPECT_EQ(AsInt(returned.rows.at(0).at(0)), 11);
}

// RowsChanged: what one transaction has changed so far, reads and writes
// that apply to nothing not counted; a new transaction starts at zero.
TEST_P(StoreTest, RowsChangedCountsThisTransactionsChanges) {
  Run("CREATE TABLE t (id BIGINT PRIMARY KEY, n BIGINT NOT NULL)");
  Run("INSERT INTO t (id, n) VALUES (1, 0)");
  auto tx = store_->Begin(Mode::kWrite);
  ASSERT_TRUE(tx.ok());
  Transaction& t = **tx;
  EXPECT_EQ(t.RowsChanged(), 0);
  ASSERT_TRUE(t.Execute("SELECT id FROM t FOR UPDATE").ok());
  ASSERT_TRUE(t.Execute("INSERT INTO t (id, n) VALUES (1, 9) ON CONFLICT (id) DO NOTHING").ok());
  ASSERT_TRUE(t.Execute("INSERT INTO t (id, n) VALUES (1, 9) ON CONFLICT (id) DO UPDATE SET n = excluded.n "
                        "WHERE t.n > 100").ok());
  ASSERT_TRUE(t.Execute("UPDATE t SET n = 1 WHERE id = 42").ok());
  EXPECT_EQ(t.RowsChanged(), 0);
  ASSERT_TRUE(t.Execute("INSERT INTO t (id, n) VALUES (2, 0), (3, 0)").ok());
  EXPECT_EQ(t.RowsChanged(), 2);
  ASSERT_TRUE(t.Execute("UPDATE t SET n = n + 1").ok());
  EXPECT_EQ(t.RowsChanged(), 5);
  std::vector<Row> rows{Row{Value(int64_t{4}), Value(int64_t{0})}, Row{Value(int64_t{1}), Value(int64_t{0})}};
  ASSERT_TRUE(t.InsertMany("t", std::vector<std::string>{"id", "n"}, rows, "ON CONFLICT (id) DO NOTHING").ok());
  EXPECT_EQ(t.RowsChanged(), 6);
  ASSERT_TRUE(t.Execute("DELETE FROM t WHERE id = 4").ok());
  EXPECT_EQ(t.RowsChanged(), 7);
  std::vector<Row> many;  // enough for PostgreSQL's COPY path
  for (int64_t id = 100; id < 1300; ++id) many.push_back(Row{Value(id), Value(int64_t{0})});
  ASSERT_TRUE(t.InsertMany("t", std::vector<std::string>{"id", "n"}, many).ok());
  EXPECT_EQ(t.RowsChanged(), 7 + 1200);
  ASSERT_TRUE(t.Commit().ok());
  auto next = store_->Begin(Mode::kWrite);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ((*next)->RowsChanged(), 0);
}

TEST_P(StoreTest, RollbackOnDestruction) {
  Run("CREATE TABLE t (id BIGINT PRIMARY KEY)");
  {
    auto tx = store_->Begin();
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE((*tx)->Execute("INSERT INTO t (id) VALUES (1)").ok());
    EXPECT_EQ(AsInt((*tx)->Execute("SELECT COUNT(*) FROM t")->rows[0][0]), 1);  // visible inside
  }
  EXPECT_EQ(Count("t"), 0);
  auto tx = store_->Begin();
  ASSERT_TRUE(tx.ok());
  ASSERT_TRUE((*tx)->Execute("INSERT INTO t (id) VALUES (2)").ok());
  ASSERT_TRUE((*tx)->Commit().ok());
  EXPECT_FALSE((*tx)->Commit().ok());  // twice is a programming error, reported
  EXPECT_EQ(Count("t"), 1);
}

TEST_P(StoreTest, CommitIsDurableAcrossReopen) {
  std::string url = FreshUrl(GetParam());
  ASSERT_FALSE(url.empty());
  {
    auto first = Open(url);
    ASSERT_TRUE(first.ok()) << Describe(first.error());
    Run(**first, "CREATE TABLE t (id BIGINT PRIMARY KEY, s TEXT)");
    auto tx = (*first)->Begin();
    ASSERT_TRUE(tx.ok());
    const Value params[] = {int64_t{42}, std::string("مؤكد")};
    ASSERT_TRUE((*tx)->Execute("INSERT INTO t (id, s) VALUES ($1, $2)", params).ok());
    ASSERT_TRUE((*tx)->Commit().ok());
    auto lost = (*first)->Begin();  // begun, never committed
    ASSERT_TRUE((*lost)->Execute("INSERT INTO t (id, s) VALUES (43, 'x')").ok());
  }
  auto second = Open(url);
  ASSERT_TRUE(second.ok()) << Describe(second.error());
  Rows rows = Run(**second, "SELECT id, s FROM t");
  ASSERT_EQ(rows.rows.size(), 1u);
  EXPECT_EQ(AsInt(rows.rows[0][0]), 42);
  EXPECT_EQ(AsText(rows.rows[0][1]), "مؤكد");
}

// A child process commits rows one by one and acknowledges each through a
// pipe; it is killed with SIGKILL mid-stream. Every acknowledged row must be
// there afterwards, and the database must open cleanly.
TEST_P(StoreTest, AcknowledgedCommitsSurviveSigkill) {
  std::string url = FreshUrl(GetParam());
  ASSERT_FALSE(url.empty());
  {
    auto setup = Open(url);
    ASSERT_TRUE(setup.ok());
    Run(**setup, "CREATE TABLE acked (id BIGINT PRIMARY KEY, s TEXT NOT NULL)");
  }
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(fds[0]);
    auto store = Open(url);
    if (!store.ok()) _exit(2);
    for (int64_t i = 0;; ++i) {
      auto tx = (*store)->Begin();
      if (!tx.ok()) _exit(3);
      const Value row[] = {i, std::string("تحويل رقم ") + std::to_string(i)};
      if (!(*tx)->Execute("INSERT INTO acked (id, s) VALUES ($1, $2)", row).ok() || !(*tx)->Commit().ok()) _exit(4);
      if (write(fds[1], &i, sizeof i) != sizeof i) _exit(5);
    }
  }
  close(fds[1]);
  int64_t last = -1, got = 0;
  while (last < 150 && read(fds[0], &got, sizeof got) == sizeof got) last = got;
  kill(child, SIGKILL);
  // Acknowledgements already in the pipe count too.
  while (read(fds[0], &got, sizeof got) == sizeof got) last = got;
  close(fds[0]);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited early with " << WEXITSTATUS(status);
  ASSERT_GE(last, 150);
  auto reopened = Open(url);
  ASSERT_TRUE(reopened.ok()) << Describe(reopened.error());
  Rows rows = Run(**reopened, "SELECT COUNT(*), MIN(id), MAX(id) FROM acked WHERE id <= $1", {last});
  EXPECT_EQ(AsInt(rows.rows.at(0).at(0)), last + 1);
  EXPECT_EQ(AsInt(rows.rows.at(0).at(2)), last);
}

TEST_P(StoreTest, ReadTransactionSeesOneSnapshotAndCannotWrite) {
  Run("CREATE TABLE t (id BIGINT PRIMARY KEY)");
  Run("INSERT INTO t (id) VALUES (1)");
  auto reader = store_->Begin(Mode::kRead);
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(AsInt((*reader)->Execute("SELECT COUNT(*) FROM t")->rows[0][0]), 1);
  // A writer commits while the reader is open: it is not blocked by it...
  std::thread writer([&] { Run("INSERT INTO t (id) VALUES (2)"); });
  writer.join();
  // ...and the reader keeps its snapshot.
  EXPECT_EQ(AsInt((*reader)->Execute("SELECT COUNT(*) FROM t")->rows[0][0]), 1);
  EXPECT_EQ((*reader)->Execute("INSERT INTO t (id) VALUES (3)").error().code, "store.error");
  reader->reset();
  auto locking_reader = store_->Begin(Mode::kRead);
  ASSERT_TRUE(locking_reader.ok());
  EXPECT_EQ((*locking_reader)->Execute("SELECT id FROM t FOR UPDATE").error().code, "store.error");
  locking_reader->reset();
  EXPECT_EQ(Count("t"), 2);
}

TEST_P(StoreTest, ForUpdateIsAcceptedWithInLists) {
  Run("CREATE TABLE account (id BIGINT PRIMARY KEY, balance BIGINT NOT NULL)");
  Run("INSERT INTO account (id, balance) VALUES (1, 100), (2, 200), (3, 300)");
  auto tx = store_->Begin();
  ASSERT_TRUE(tx.ok());
  const Value ids[] = {int64_t{3}, int64_t{1}};
  auto rows = (*tx)->Execute("SELECT id, balance FROM account WHERE id IN ($1, $2) ORDER BY id FOR UPDATE", ids);
  ASSERT_TRUE(rows.ok()) << Describe(rows.error());
  ASSERT_EQ(rows->rows.size(), 2u);
  EXPECT_EQ(AsInt(rows->rows[1][1]), 300);
  auto lower = (*tx)->Execute("select id from account where id = $1 for update ;", std::span(ids, 1));
  ASSERT_TRUE(lower.ok()) << Describe(lower.error());
  EXPECT_EQ(lower->rows.size(), 1u);
  ASSERT_TRUE((*tx)->Commit().ok());
}

// Lost-update test: each increment reads under FOR UPDATE and writes the value
// computed in C++, so without a working lock two threads would write the same value.
TEST_P(StoreTest, ConcurrentWritersDoNotLoseUpdates) {
  Run("CREATE TABLE counter (id BIGINT PRIMARY KEY, n BIGINT NOT NULL)");
  Run("INSERT INTO counter (id, n) VALUES (1, 0)");
  constexpr int kThreads = 6, kIncrements = 40;
  std::atomic<int> failures{0}, retries{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrements; ++i) {
        for (int attempt = 0;; ++attempt) {
          auto tx = store_->Begin();
          if (!tx.ok()) {
            if (tx.error().code == "store.busy" && attempt < 100) { ++retries; continue; }
            ++failures;
            break;
          }
          const Value id[] = {int64_t{1}};
          auto read = (*tx)->Execute("SELECT n FROM counter WHERE id = $1 FOR UPDATE", id);
          if (!read.ok()) {
            if (read.error().code == "store.busy" && attempt < 100) { ++retries; continue; }
            ++failures;
            break;
          }
          std::this_thread::yield();  // widen the race window
          const Value next[] = {AsInt(read->rows.at(0).at(0)) + 1, int64_t{1}};
          if (!(*tx)->Execute("UPDATE counter SET n = $1 WHERE id = $2", next).ok() || !(*tx)->Commit().ok()) {
            ++failures;
          }
          break;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  Rows rows = Run("SELECT n FROM counter WHERE id = 1");
  EXPECT_EQ(AsInt(rows.rows.at(0).at(0)), kThreads * kIncrements) << "retries: " << retries.load();
}

// Two Store objects on one database behave like two processes: on SQLite they
// meet at the file lock (busy_timeout), not at the in-process writer queue.
TEST_P(StoreTest, TwoStoresOnOneDatabaseDoNotLoseUpdates) {
  std::string url = FreshUrl(GetParam());
  ASSERT_FALSE(url.empty());
  auto a = Open(url), b = Open(url);
  ASSERT_TRUE(a.ok() && b.ok());
  Run(**a, "CREATE TABLE counter (id BIGINT PRIMARY KEY, n BIGINT NOT NULL)");
  Run(**a, "INSERT INTO counter (id, n) VALUES (1, 0)");
  constexpr int kThreadsPerStore = 2, kIncrements = 30;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (Store* store : {a->get(), b->get()}) {
    for (int t = 0; t < kThreadsPerStore; ++t) {
      threads.emplace_back([&, store] {
        for (int i = 0; i < kIncrements; ++i) {
          auto tx = store->Begin();
          if (!tx.ok()) { ++failures; continue; }
          auto read = (*tx)->Execute("SELECT n FROM counter WHERE id = 1 FOR UPDATE");
          if (!read.ok()) { ++failures; continue; }
          const Value next[] = {AsInt(read->rows.at(0).at(0)) + 1};
          if (!(*tx)->Execute("UPDATE counter SET n = $1 WHERE id = 1", next).ok() || !(*tx)->Commit().ok()) {
            ++failures;
          }
        }
      });
    }
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(AsInt(Run(**b, "SELECT n FROM counter").rows.at(0).at(0)), 2 * kThreadsPerStore * kIncrements);
}

// PostgreSQL only: SQLite writers are serialised whole, so they cannot deadlock.
TEST_P(StoreTest, DeadlockIsReportedAsBusy) {
  if (store_->backend() == Backend::kSqlite) GTEST_SKIP() << "SQLite serialises writers; no deadlock possible";
  Run("CREATE TABLE account (id BIGINT PRIMARY KEY, balance BIGINT NOT NULL)");
  Run("INSERT INTO account (id, balance) VALUES (1, 0), (2, 0)");
  auto first = store_->Begin(), second = store_->Begin();
  ASSERT_TRUE(first.ok() && second.ok());
  ASSERT_TRUE((*first)->Execute("SELECT balance FROM account WHERE id = 1 FOR UPDATE").ok());
  ASSERT_TRUE((*second)->Execute("SELECT balance FROM account WHERE id = 2 FOR UPDATE").ok());
  Result<Rows> crossed = Error("unset");
  // Either side may be chosen as the victim; whichever it is ends its
  // transaction at once, as a caller retrying on store.busy would, so the
  // test does not depend on which one PostgreSQL picks.
  std::thread other([&] {
    crossed = (*first)->Execute("SELECT balance FROM account WHERE id = 2 FOR UPDATE");
    if (!crossed.ok()) first->reset();
  });
  auto mine = (*second)->Execute("SELECT balance FROM account WHERE id = 1 FOR UPDATE");
  if (!mine.ok()) second->reset();
  other.join();
  // Exactly one of the two is chosen as the deadlock victim.
  ASSERT_NE(mine.ok(), crossed.ok());
  const Error& victim = mine.ok() ? crossed.error() : mine.error();
  EXPECT_EQ(victim.code, "store.busy") << victim.detail;
}

TEST_P(StoreTest, InsertManyWithOnConflictDoNothing) {
  Run("CREATE TABLE entry (id BIGINT PRIMARY KEY, account BIGINT NOT NULL, memo TEXT)");
  const std::string columns[] = {"id", "account", "memo"};
  // 30,000 rows x 3 columns = 90,000 parameters: more than PostgreSQL allows
  // in one statement, so the backend must split it.
  std::vector<Row> rows;
  for (int64_t i = 0; i < 30000; ++i) {
    rows.push_back({i, i % 7, i % 3 == 0 ? Value{Null{}} : Value{"قيد " + std::to_string(i)}});
  }
  auto tx = store_->Begin();
  ASSERT_TRUE(tx.ok());
  auto inserted = (*tx)->InsertMany("entry", columns, rows);
  ASSERT_TRUE(inserted.ok()) << Describe(inserted.error());
  EXPECT_EQ(*inserted, 30000);
  // Half overlapping: only the new half counts.
  std::vector<Row> again;
  for (int64_t i = 15000; i < 45000; ++i) again.push_back({i, int64_t{99}, std::string("new")});
  auto second = (*tx)->InsertMany("entry", columns, again, "ON CONFLICT (id) DO NOTHING");
  ASSERT_TRUE(second.ok()) << Describe(second.error());
  EXPECT_EQ(*second, 15000);
  ASSERT_TRUE((*tx)->Commit().ok());
  EXPECT_EQ(Count("entry"), 45000);
  Rows check = Run("SELECT account, memo FROM entry WHERE id IN ($1, $2, $3) ORDER BY id",
                   {int64_t{3}, int64_t{4}, int64_t{44999}});
  ASSERT_EQ(check.rows.size(), 3u);
  EXPECT_TRUE(IsNull(check.rows[0][1]));
  EXPECT_EQ(AsText(check.rows[1][1]), "قيد 4");
  EXPECT_EQ(AsInt(check.rows[2][0]), 99);

  // Without the suffix a duplicate is a conflict and nothing of the batch stays.
  auto tx2 = store_->Begin();
  std::vector<Row> duplicate = {{int64_t{100000}, int64_t{1}, Null{}}, {int64_t{1}, int64_t{1}, Null{}}};
  auto failed = (*tx2)->InsertMany("entry", columns, duplicate);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, "store.conflict");
  tx2->reset();
  EXPECT_EQ(Count("entry"), 45000);
  // Large batches too (PostgreSQL switches to COPY): a duplicate inside is a
  // conflict, and text with tabs, newlines and backslashes survives.
  std::vector<Row> big;
  const std::string tricky = "a\tb\nc\\d\re \\N ١٢";
  for (int64_t i = 0; i < 5000; ++i) big.push_back({500000 + i, int64_t{1}, tricky + std::to_string(i)});
  big.push_back({int64_t{500000}, int64_t{1}, Null{}});
  auto tx4 = store_->Begin();
  auto dup = (*tx4)->InsertMany("entry", columns, big);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, "store.conflict");
  tx4->reset();
  big.pop_back();
  auto tx5 = store_->Begin();
  auto fine = (*tx5)->InsertMany("entry", columns, big);
  ASSERT_TRUE(fine.ok()) << Describe(fine.error());
  EXPECT_EQ(*fine, 5000);
  auto upsert = (*tx5)->InsertMany("entry", columns, big, "ON CONFLICT (id) DO UPDATE SET account = 2");
  ASSERT_TRUE(upsert.ok()) << Describe(upsert.error());
  EXPECT_EQ(*upsert, 5000);
  ASSERT_TRUE((*tx5)->Commit().ok());
  Rows tricky_rows = Run("SELECT memo, account FROM entry WHERE id = $1", {int64_t{504999}});
  EXPECT_EQ(AsText(tricky_rows.rows.at(0).at(0)), tricky + "4999");
  EXPECT_EQ(AsInt(tricky_rows.rows.at(0).at(1)), 2);
  EXPECT_EQ(Count("entry"), 50000);
  // Small batches (PostgreSQL: one unnest() statement over array literals):
  // text that looks like array syntax or like NULL stays text.
  const std::vector<std::string> awkward = {"NULL", "a,b{c}\"d\\e", "", " spaced ", "سطر\nجديد"};
  std::vector<Row> small;
  for (size_t i = 0; i < awkward.size(); ++i) small.push_back({int64_t(600000 + i), int64_t{1}, awkward[i]});
  small.push_back({int64_t{600100}, int64_t{1}, Null{}});
  auto tx6 = store_->Begin();
  auto small_done = (*tx6)->InsertMany("entry", columns, small, "ON CONFLICT (id) DO NOTHING");
  ASSERT_TRUE(small_done.ok()) << Describe(small_done.error());
  EXPECT_EQ(*small_done, static_cast<int64_t>(small.size()));
  ASSERT_TRUE((*tx6)->Commit().ok());
  Rows awkward_rows = Run("SELECT memo FROM entry WHERE id >= 600000 ORDER BY id");
  ASSERT_EQ(awkward_rows.rows.size(), small.size());
  for (size_t i = 0; i < awkward.size(); ++i) EXPECT_EQ(AsText(awkward_rows.rows[i][0]), awkward[i]);
  EXPECT_TRUE(IsNull(awkward_rows.rows.back()[0]));
  // A row of the wrong width is refused.
  auto tx3 = store_->Begin();
  std::vector<Row> narrow = {{int64_t{200000}}};
  EXPECT_EQ((*tx3)->InsertMany("entry", columns, narrow).error().code, "store.error");
}

TEST_P(StoreTest, UpdateManyUpdatesByKeyAndCountsWhatItFound) {
  Run("CREATE TABLE entry (id BIGINT PRIMARY KEY, account BIGINT NOT NULL, memo TEXT)");
  Run("CREATE TABLE named (name TEXT PRIMARY KEY, amount BIGINT NOT NULL)");
  for (int64_t i = 1; i <= 5; ++i) Run("INSERT INTO entry (id, account, memo) VALUES ($1, 0, 'old')", {i});
  Run("INSERT INTO named (name, amount) VALUES ('حساب أ', 1), ('b,\"{c}', 2), ('NULL', 3)");
  const std::string columns[] = {"account", "memo"};
  auto tx = store_->Begin();
  ASSERT_TRUE(tx.ok());
  const int64_t changed_before = (*tx)->RowsChanged();
  // Rows 2 and 4 get new values (text that looks like array syntax, NULL),
  // 9 does not exist and is not counted; the others stay as they were.
  std::vector<Row> rows = {{int64_t{20}, std::string("a,b{c}\"d\\e"), int64_t{2}},
                           {int64_t{40}, Null{}, int64_t{4}},
                           {int64_t{90}, std::string("none"), int64_t{9}}};
  auto updated = (*tx)->UpdateMany("entry", "id", columns, rows);
  ASSERT_TRUE(updated.ok()) << Describe(updated.error());
  EXPECT_EQ(*updated, 2);
  EXPECT_GE((*tx)->RowsChanged() - changed_before, 2);
  // Keyed by text, one column.
  const std::string amount[] = {"amount"};
  std::vector<Row> named = {{int64_t{10}, std::string("حساب أ")}, {int64_t{30}, std::string("NULL")}};
  auto by_name = (*tx)->UpdateMany("named", "name", amount, named);
  ASSERT_TRUE(by_name.ok()) << Describe(by_name.error());
  EXPECT_EQ(*by_name, 2);
  EXPECT_EQ(*(*tx)->UpdateMany("named", "name", amount, std::vector<Row>{}), 0);
  ASSERT_TRUE((*tx)->Commit().ok());
  Rows entries = Run("SELECT id, account, memo FROM entry ORDER BY id");
  ASSERT_EQ(entries.rows.size(), 5u);
  EXPECT_EQ(AsInt(entries.rows[1][1]), 20);
  EXPECT_EQ(AsText(entries.rows[1][2]), "a,b{c}\"d\\e");
  EXPECT_EQ(AsInt(entries.rows[3][1]), 40);
  EXPECT_TRUE(IsNull(entries.rows[3][2]));
  for (size_t i : {0u, 2u, 4u}) {
    EXPECT_EQ(AsInt(entries.rows[i][1]), 0);
    EXPECT_EQ(AsText(entries.rows[i][2]), "old");
  }
  Rows amounts = Run("SELECT amount FROM named ORDER BY amount");
  ASSERT_EQ(amounts.rows.size(), 3u);
  EXPECT_EQ(AsInt(amounts.rows[0][0]), 2);
  EXPECT_EQ(AsInt(amounts.rows[1][0]), 10);
  EXPECT_EQ(AsInt(amounts.rows[2][0]), 30);

  // A constraint broken by one row is a conflict, and nothing of the
  // transaction stays.
  auto tx2 = store_->Begin();
  std::vector<Row> breaking = {{int64_t{7}, std::string("x"), int64_t{1}}, {Null{}, std::string("y"), int64_t{3}}};
  auto broken = (*tx2)->UpdateMany("entry", "id", columns, breaking);
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.error().code, "store.conflict") << Describe(broken.error());
  EXPECT_FALSE((*tx2)->Execute("SELECT 1").ok());  // the transaction is aborted
  tx2->reset();
  EXPECT_EQ(AsInt(Run("SELECT account FROM entry WHERE id = 1").rows.at(0).at(0)), 0);
  // A row of the wrong width, or a write in a read transaction, is refused.
  auto tx3 = store_->Begin();
  std::vector<Row> narrow = {{int64_t{1}, int64_t{1}}};
  EXPECT_EQ((*tx3)->UpdateMany("entry", "id", columns, narrow).error().code, "store.error");
  auto read = store_->Begin(Mode::kRead);
  ASSERT_TRUE(read.ok());
  EXPECT_FALSE((*read)->UpdateMany("entry", "id", columns, rows).ok());
}

const Migration kMigrations[] = {
    {1, "accounts", "CREATE TABLE account (id BIGINT PRIMARY KEY, name TEXT NOT NULL); "
                    "INSERT INTO account (id, name) VALUES (1, 'البنك الأهلي; فرع')"},
    {2, "audit", "CREATE TABLE audit (id BIGINT PRIMARY KEY) -- a comment; with a semicolon\n;"},
};

TEST_P(StoreTest, MigrationsAreAppliedOnceAndAreIdempotent) {
  ASSERT_TRUE(Migrate(*store_, "ledger", std::span(kMigrations, 1)).ok());
  ASSERT_TRUE(Migrate(*store_, "ledger", std::span(kMigrations, 1)).ok());
  Status both = Migrate(*store_, "ledger", kMigrations);
  ASSERT_TRUE(both.ok()) << Describe(both.error());
  ASSERT_TRUE(Migrate(*store_, "ledger", kMigrations).ok());
  EXPECT_EQ(Count("account"), 1);
  EXPECT_EQ(AsText(Run("SELECT name FROM account").rows.at(0).at(0)), "البنك الأهلي; فرع");
  Rows schema = Run("SELECT module, version, name, applied_at FROM lahza_schema ORDER BY version");
  ASSERT_EQ(schema.rows.size(), 2u);
  EXPECT_EQ(AsInt(schema.rows[1][1]), 2);
  EXPECT_EQ(AsText(schema.rows[1][2]), "audit");
  EXPECT_EQ(AsText(schema.rows[1][3]).size(), 20u);  // 2026-01-01T00:00:00Z
  // Another module has its own versions.
  const Migration app[] = {{1, "customers", "CREATE TABLE customer (id BIGINT PRIMARY KEY)"}};
  ASSERT_TRUE(Migrate(*store_, "app", app).ok());
  EXPECT_EQ(Count("lahza_schema"), 3);
}

// A test of migration N stops at N - 1, writes old rows, then migrates on.
TEST_P(StoreTest, MigrationsStopAtUpTo) {
  ASSERT_TRUE(Migrate(*store_, "ledger", kMigrations, 1).ok());
  EXPECT_EQ(Count("account"), 1);
  EXPECT_EQ(ErrorCode("SELECT COUNT(*) FROM audit"), "store.error");
  EXPECT_EQ(AsInt(Run("SELECT MAX(version) FROM lahza_schema WHERE module = 'ledger'").rows.at(0).at(0)), 1);
  ASSERT_TRUE(Migrate(*store_, "ledger", kMigrations).ok());
  EXPECT_EQ(Count("audit"), 0);
  EXPECT_EQ(AsInt(Run("SELECT MAX(version) FROM lahza_schema WHERE module = 'ledger'").rows.at(0).at(0)), 2);
}

TEST_P(StoreTest, FailedMigrationLeavesNothingBehind) {
  const Migration bad[] = {
      {1, "ok", "CREATE TABLE first (id BIGINT PRIMARY KEY)"},
      {2, "broken", "CREATE TABLE second (id BIGINT PRIMARY KEY); CREATE TABLE broken (id BIGINT NOT A TYPE)"},
  };
  Status status = Migrate(*store_, "m", bad);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, "store.error");
  EXPECT_NE(status.error().detail.find("broken"), std::string::npos);
  EXPECT_EQ(Count("first"), 0);
  EXPECT_EQ(ErrorCode("SELECT COUNT(*) FROM second"), "store.error");  // rolled back with its migration
  EXPECT_EQ(AsInt(Run("SELECT MAX(version) FROM lahza_schema WHERE module = 'm'").rows.at(0).at(0)), 1);
  const Migration out_of_order[] = {{2, "b", "SELECT 1"}, {1, "a", "SELECT 1"}};
  EXPECT_FALSE(Migrate(*store_, "n", out_of_order).ok());
}

TEST_P(StoreTest, ConcurrentMigrationsApplyEachOnce) {
  std::string url = FreshUrl(GetParam());
  ASSERT_FALSE(url.empty());
  // A non-idempotent migration: applied twice it would fail (table exists) or
  // insert a second row.
  const Migration migrations[] = {
      {1, "create", "CREATE TABLE once (id BIGINT PRIMARY KEY, n BIGINT NOT NULL)"},
      {2, "seed", "INSERT INTO once (id, n) VALUES (1, 0)"},
      {3, "bump", "UPDATE once SET n = n + 1"},
  };
  constexpr int kStores = 4;
  std::vector<std::unique_ptr<Store>> stores;
  for (int i = 0; i < kStores; ++i) {
    auto opened = Open(url);
    ASSERT_TRUE(opened.ok()) << Describe(opened.error());
    stores.push_back(std::move(*opened));
  }
  std::vector<Status> results(kStores);
  std::vector<std::thread> threads;
  for (int i = 0; i < kStores; ++i) {
    threads.emplace_back([&, i] { results[i] = Migrate(*stores[i], "race", migrations); });
  }
  for (auto& thread : threads) thread.join();
  for (const Status& status : results) EXPECT_TRUE(status.ok()) << Describe(status.error());
  Rows rows = Run(*stores[0], "SELECT n FROM once");
  ASSERT_EQ(rows.rows.size(), 1u);
  EXPECT_EQ(AsInt(rows.rows[0][0]), 1);
  EXPECT_EQ(AsInt(Run(*stores[0], "SELECT COUNT(*) FROM lahza_schema").rows.at(0).at(0)), 3);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::ValuesIn(TestBackends()), BackendTestName);

TEST(StoreOpen, BadUrls) {
  for (const char* url : {"", "mysql://localhost/x", "sqlite:", "sqlite::memory:", "sqlite:file:x.db?mode=memory",
                          "postgresq://x", "SQLITE:/tmp/x.db"}) {
    auto store = Open(url);
    ASSERT_FALSE(store.ok()) << url;
    EXPECT_EQ(store.error().code, "store.bad_url") << url;
  }
  // A path under a regular file cannot be created.
  std::filesystem::path file = std::filesystem::temp_directory_path() / ("lahza-not-a-dir-" + std::to_string(getpid()));
  std::ofstream(file) << "x";
  auto under_file = Open("sqlite:" + (file / "db.sqlite").string());
  std::filesystem::remove(file);
  ASSERT_FALSE(under_file.ok());
  EXPECT_EQ(under_file.error().code, "store.open_failed");
  // Nothing listens on port 1.
  auto refused = Open("postgresql://postgres@127.0.0.1:1/lahza?connect_timeout=2");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "store.open_failed");
  auto refused_short = Open("postgres://postgres@127.0.0.1:1/lahza?connect_timeout=2");
  ASSERT_FALSE(refused_short.ok());
  EXPECT_EQ(refused_short.error().code, "store.open_failed");
}

TEST(StoreSql, StripTrailingForUpdate) {
  using internal::StripTrailingForUpdate;
  EXPECT_EQ(StripTrailingForUpdate("SELECT a FROM t WHERE id = $1 FOR UPDATE"), "SELECT a FROM t WHERE id = $1");
  EXPECT_EQ(StripTrailingForUpdate("select a from t for  update ;\n"), "select a from t");
  EXPECT_EQ(StripTrailingForUpdate("SELECT a FROM t"), "SELECT a FROM t");
  EXPECT_EQ(StripTrailingForUpdate("UPDATE t SET a = 1"), "UPDATE t SET a = 1");
  EXPECT_EQ(StripTrailingForUpdate("SELECT xfor UPDATE"), "SELECT xfor UPDATE");
}

TEST(StoreSql, SplitStatements) {
  auto parts = internal::SplitStatements("A 'x;y'; B \"c;d\" -- e;f\n ;; C");
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0], "A 'x;y'");
  EXPECT_EQ(parts[1], "B \"c;d\" \n ");
  EXPECT_EQ(parts[2], "C");
  auto dollar = internal::SplitStatements("CREATE FUNCTION f() AS $body$ BEGIN; x; END $body$; SELECT $1; $$a;b$$");
  ASSERT_EQ(dollar.size(), 3u);
  EXPECT_EQ(dollar[0], "CREATE FUNCTION f() AS $body$ BEGIN; x; END $body$");
  EXPECT_EQ(dollar[1], "SELECT $1");
  EXPECT_EQ(dollar[2], "$$a;b$$");
}

}  // namespace
}  // namespace lahza::store
