// The SQLite store's WAL write buffer (src/store/sqlite_wal_buffer.cc) on the
// paths where buffering could go wrong: a transaction larger than the page
// cache (SQLite spills frames to the WAL before the commit, reads them back and
// rewrites some in place), a rolled-back spill followed by a new transaction
// over the same WAL offsets, a commit larger than the buffer, readers of
// another store (other connections, as another process would be) during all
// of it, and the WAL being restarted after checkpoints. A lost or reordered
// write shows up as a wrong sum, a missing row or a corrupt database.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "store/store.h"
#include "store/test_stores.h"

namespace lahza::store {
namespace {

Rows MustRun(Store& store, const std::string& sql, std::vector<Value> params = {}) {
  auto tx = store.Begin();
  EXPECT_TRUE(tx.ok());
  if (!tx.ok()) return {};
  auto rows = (*tx)->Execute(sql, params);
  EXPECT_TRUE(rows.ok()) << sql << ": " << (rows.ok() ? "" : Describe(rows.error()));
  auto committed = (*tx)->Commit();
  EXPECT_TRUE(committed.ok()) << (committed.ok() ? "" : Describe(committed.error()));
  return rows.ok() ? *rows : Rows{};
}

int64_t Int(Store& store, const std::string& sql) {
  auto tx = store.Begin(Mode::kRead);
  EXPECT_TRUE(tx.ok());
  if (!tx.ok()) return -1;
  auto rows = (*tx)->Execute(sql, {});
  EXPECT_TRUE(rows.ok()) << sql;
  return rows.ok() ? AsInt(rows->rows.at(0).at(0)) : -1;
}

// ~1 KiB of text per row: 40,000 rows are ~40 MiB, well past the 16 MiB page
// cache and the 4 MiB buffer.
std::string Payload(int64_t i) { return std::string(1000, static_cast<char>('a' + i % 26)) + std::to_string(i); }

class SqliteWalBufferTest : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = FreshUrl("sqlite");
    ASSERT_FALSE(url_.empty());
    auto writer = Open(url_);
    ASSERT_TRUE(writer.ok()) << Describe(writer.error());
    writer_ = std::move(*writer);
    auto reader = Open(url_);  // its own connections, like another process
    ASSERT_TRUE(reader.ok());
    reader_ = std::move(*reader);
    MustRun(*writer_, "CREATE TABLE big (id BIGINT PRIMARY KEY, amount BIGINT NOT NULL, payload TEXT NOT NULL)");
  }

  // Inserts rows [from, to) with amount 1 in one transaction; then, in the
  // same transaction, rewrites every 97th row's amount to 3 (pages that
  // were already spilled to the WAL are written again) and reads them back.
  Status InsertAndRewrite(int64_t from, int64_t to, bool commit) { return InsertAndRewrite(*writer_, from, to, commit); }
  Status InsertAndRewrite(Store& store, int64_t from, int64_t to, bool commit) {
    auto tx = store.Begin();
    if (!tx.ok()) return tx.error();
    for (int64_t i = from; i < to; ++i) {
      const Value row[] = {i, int64_t{1}, Payload(i)};
      auto inserted = (*tx)->Execute("INSERT INTO big (id, amount, payload) VALUES ($1, $2, $3)", row);
      if (!inserted.ok()) return inserted.error();
    }
    const Value range[] = {from, to};
    auto updated = (*tx)->Execute("UPDATE big SET amount = 3 WHERE id >= $1 AND id < $2 AND id % 97 = 0", range);
    if (!updated.ok()) return updated.error();
    auto sum = (*tx)->Execute("SELECT SUM(amount), COUNT(*) FROM big WHERE id >= $1 AND id < $2", range);
    if (!sum.ok()) return sum.error();
    EXPECT_EQ(AsInt(sum->rows.at(0).at(0)), ExpectedSum(from, to));  // the rewrites, read back before the commit
    EXPECT_EQ(AsInt(sum->rows.at(0).at(1)), to - from);
    if (!commit) return {};  // the destructor rolls back
    return (*tx)->Commit();
  }

  static int64_t ExpectedSum(int64_t from, int64_t to) {
    int64_t sum = 0;
    for (int64_t i = from; i < to; ++i) sum += i % 97 == 0 ? 3 : 1;
    return sum;
  }

  std::string url_;
  std::unique_ptr<Store> writer_;
  std::unique_ptr<Store> reader_;
};

TEST_F(SqliteWalBufferTest, ATransactionLargerThanTheCacheCommitsWhole) {
  Status done = InsertAndRewrite(0, 40'000, true);
  ASSERT_TRUE(done.ok()) << Describe(done.error());
  EXPECT_EQ(Int(*reader_, "SELECT COUNT(*) FROM big"), 40'000);
  EXPECT_EQ(Int(*reader_, "SELECT SUM(amount) FROM big"), ExpectedSum(0, 40'000));
  EXPECT_EQ(Int(*reader_, "SELECT COUNT(*) FROM big WHERE length(payload) < 1000"), 0);
  Rows check = MustRun(*reader_, "PRAGMA integrity_check");
  EXPECT_EQ(AsText(check.rows.at(0).at(0)), "ok");
}

TEST_F(SqliteWalBufferTest, ARolledBackSpillLeavesNothingAndTheNextTransactionIsIntact) {
  // Spilled frames of the rolled-back transaction lie in the WAL past the
  // last commit; the next transaction writes over those offsets.
  Status rolled_back = InsertAndRewrite(0, 30'000, false);
  ASSERT_TRUE(rolled_back.ok()) << Describe(rolled_back.error());
  EXPECT_EQ(Int(*reader_, "SELECT COUNT(*) FROM big"), 0);
  Status done = InsertAndRewrite(100'000, 101'000, true);
  ASSERT_TRUE(done.ok()) << Describe(done.error());
  EXPECT_EQ(Int(*reader_, "SELECT COUNT(*) FROM big"), 1'000);
  EXPECT_EQ(Int(*reader_, "SELECT SUM(amount) FROM big"), ExpectedSum(100'000, 101'000));
  writer_.reset();  // closing checkpoints; a reopened store reads the file itself
  auto reopened = Open(url_);
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ(Int(**reopened, "SELECT SUM(amount) FROM big"), ExpectedSum(100'000, 101'000));
  Rows check = MustRun(**reopened, "PRAGMA integrity_check");
  EXPECT_EQ(AsText(check.rows.at(0).at(0)), "ok");
}

TEST_F(SqliteWalBufferTest, FramesOfARolledBackSpillNeverOverwriteWhatOthersCommitLater) {
  // A spill that rolls back: SQLite does not write the WAL on a rollback,
  // so frames the spill left in this connection's buffer would stay there.
  // Another store then commits frames at those same WAL offsets, and the
  // first connection (back in its pool) reads and writes again: had it kept
  // those bytes, it would now write them over the other's commit. (On SQLite
  // 3.40 the rollback's own page reloads happen to read the WAL here, which
  // flushes the buffer first; the store's DiscardWalBuffer after every
  // ROLLBACK makes this independent of such details.) First the background
  // checkpointer (every 100 ms) copies the WAL into the database, so the
  // spill restarts the WAL and older pages come from the database file.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  {
    auto tx = writer_->Begin();
    ASSERT_TRUE(tx.ok());
    for (int64_t i = 0; i < 30'000; ++i) {
      const Value row[] = {i, int64_t{5}, Payload(i)};
      ASSERT_TRUE((*tx)->Execute("INSERT INTO big (id, amount, payload) VALUES ($1, $2, $3)", row).ok());
    }
  }  // rolled back
  Status other = InsertAndRewrite(*reader_, 200'000, 240'000, true);
  ASSERT_TRUE(other.ok()) << Describe(other.error());
  EXPECT_EQ(Int(*writer_, "SELECT SUM(amount) FROM big"), ExpectedSum(200'000, 240'000));
  MustRun(*writer_, "INSERT INTO big (id, amount, payload) VALUES (1, 1, 'after')");
  EXPECT_EQ(Int(*reader_, "SELECT SUM(amount) FROM big"), ExpectedSum(200'000, 240'000) + 1);
  EXPECT_EQ(Int(*reader_, "SELECT COUNT(*) FROM big WHERE amount = 5"), 0);
  writer_.reset();
  reader_.reset();
  auto reopened = Open(url_);
  ASSERT_TRUE(reopened.ok());
  Rows check = MustRun(**reopened, "PRAGMA integrity_check");
  EXPECT_EQ(AsText(check.rows.at(0).at(0)), "ok");
  EXPECT_EQ(Int(**reopened, "SELECT SUM(amount) FROM big"), ExpectedSum(200'000, 240'000) + 1);
}

TEST_F(SqliteWalBufferTest, ReadersOfAnotherStoreSeeEveryCommitWholeWhileTheWalRestarts) {
  // Many small commits (the batch writer's shape) while another store reads
  // continuously and the store's background checkpointer runs: every reader
  // snapshot must hold a whole number of commits (each adds 10 rows of
  // amount 1), never a torn one.
  std::atomic<bool> stop{false};
  std::atomic<int> torn{0}, reads{0};
  std::thread reader([&] {
    while (!stop) {
      auto tx = reader_->Begin(Mode::kRead);
      if (!tx.ok()) continue;
      auto rows = (*tx)->Execute("SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM big", {});
      if (!rows.ok()) continue;
      int64_t count = AsInt(rows->rows.at(0).at(0)), sum = AsInt(rows->rows.at(0).at(1));
      if (count % 10 != 0 || sum != count) ++torn;
      ++reads;
    }
  });
  for (int64_t commit = 0; commit < 400; ++commit) {
    auto tx = writer_->Begin();
    ASSERT_TRUE(tx.ok());
    for (int64_t k = 0; k < 10; ++k) {
      const Value row[] = {commit * 10 + k, int64_t{1}, std::string("payment ") + std::to_string(commit)};
      ASSERT_TRUE((*tx)->Execute("INSERT INTO big (id, amount, payload) VALUES ($1, $2, $3)", row).ok());
    }
    ASSERT_TRUE((*tx)->Commit().ok());
    if (commit % 100 == 99) {
      // Time for the background checkpointer (every 100 ms) to copy the WAL
      // into the database: a later writer may then restart the WAL from its
      // beginning, writing at offsets the buffer wrote before.
      std::this_thread::sleep_for(std::chrono::milliseconds(150));
    }
  }
  stop = true;
  reader.join();
  EXPECT_EQ(torn, 0);
  EXPECT_GT(reads, 0);
  EXPECT_EQ(Int(*reader_, "SELECT COUNT(*) FROM big"), 4'000);
  EXPECT_EQ(Int(*reader_, "SELECT SUM(amount) FROM big"), 4'000);
}

}  // namespace
}  // namespace lahza::store
