// The SQLite store's process-wide settings (src/store/sqlite_store.cc).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "store/store.h"
#include "store/test_stores.h"

namespace lahza::store {
namespace {

// The SQLite the store links is the one its header describes: with two on
// the machine (the system's and the one compiled in), the system's header and
// the compiled-in library could otherwise be mixed without a build error. And,
// when cmake/sqlite.cmake compiles it in, it is built as that file says: with
// lookaside memory and without per-call mutexes.
TEST(SqliteStoreTest, LinksTheSqliteItWasCompiledAgainst) {
  EXPECT_STREQ(sqlite3_libversion(), SQLITE_VERSION);
  EXPECT_STREQ(sqlite3_sourceid(), SQLITE_SOURCE_ID);
#ifdef LAHZA_SQLITE_COMPILED_IN
  EXPECT_EQ(sqlite3_threadsafe(), 2);
  EXPECT_EQ(sqlite3_compileoption_used("OMIT_LOOKASIDE"), 0);
  EXPECT_EQ(sqlite3_compileoption_used("SECURE_DELETE"), 1);
  EXPECT_EQ(sqlite3_compileoption_used("DEFAULT_MEMSTATUS=0"), 1);
#endif
}

// SQLite's memory statistics take a global mutex on every allocation: the
// store turns them off before SQLite initialises (the SQLite compiled in has
// them off by default; the system's does not). With them on, the counter
// below grows with the first open.
TEST(SqliteStoreTest, KeepsNoMemoryStatistics) {
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("lahza-memstatus-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
                               "-" + std::to_string(std::rand()));
  std::filesystem::create_directories(dir);
  {
    auto store = Open("sqlite:" + (dir / "s.db").string());
    ASSERT_TRUE(store.ok()) << store.error().detail;
    auto tx = (*store)->Begin();
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE((*tx)->Execute("CREATE TABLE t (k TEXT PRIMARY KEY, v BIGINT NOT NULL)", {}).ok());
    for (int i = 0; i < 100; ++i) {
      ASSERT_TRUE((*tx)->Execute("INSERT INTO t (k, v) VALUES ($1, $2)", std::vector<Value>{Value{std::to_string(i)}, Value{int64_t{i}}}).ok());
    }
    ASSERT_TRUE((*tx)->Commit().ok());
    EXPECT_EQ(sqlite3_memory_used(), 0);
    EXPECT_EQ(sqlite3_memory_highwater(0), 0);
  }
  std::filesystem::remove_all(dir);
}

// Writes keep one connection of their own, so its page cache outlives each
// commit (no other connection of the process commits): a TEMP table, private
// to the connection that made it, is still there for the next write, even
// after reads in between took pooled connections. Reads never get it.
TEST(SqliteStoreTest, WritesKeepOneConnectionOfTheirOwn) {
  auto store = FreshStore("sqlite");
  ASSERT_NE(store, nullptr);
  {
    auto tx = store->Begin();
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE((*tx)->Execute("CREATE TEMP TABLE mine (k BIGINT)", {}).ok());
    ASSERT_TRUE((*tx)->Commit().ok());
  }
  for (int round = 0; round < 3; ++round) {
    // Two reads at once, on pooled connections: neither has the table.
    auto a = store->Begin(Mode::kRead);
    auto b = store->Begin(Mode::kRead);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_FALSE((*a)->Execute("SELECT COUNT(*) FROM temp.mine", {}).ok());
    EXPECT_FALSE((*b)->Execute("SELECT COUNT(*) FROM temp.mine", {}).ok());
    a->reset();
    b->reset();
    auto tx = store->Begin();
    ASSERT_TRUE(tx.ok());
    auto seen = (*tx)->Execute("INSERT INTO temp.mine (k) VALUES ($1)", std::vector<Value>{Value{int64_t{round}}});
    EXPECT_TRUE(seen.ok()) << "round " << round << ": " << (seen.ok() ? "" : seen.error().detail);
    ASSERT_TRUE((*tx)->Commit().ok());
  }
}

// Under writes that never pause and reads that always hold a snapshot, the
// WAL still starts over: the store's checkpointer copies everything once the
// WAL is long and holds the writer off for the last, short pass. The
// automatic threshold alone (a backstop of 100,000 frames) would let this
// test's WAL reach ~100,000 frames, 400 MiB; the bound below is 60,000: a
// restart can fail (a reader still in the old WAL) and be tried again on the
// next round.
TEST(SqliteStoreTest, TheWalStartsOverUnderContinuousWritesAndReads) {
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("lahza-wal-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
                               std::to_string(std::rand()));
  std::filesystem::create_directories(dir);
  const std::filesystem::path wal = dir / "s.db-wal";
  {
    auto opened = Open("sqlite:" + (dir / "s.db").string());
    ASSERT_TRUE(opened.ok()) << opened.error().detail;
    Store& store = **opened;
    // 200 rows of ~3 KB: one row per 4 KiB page, so each commit that updates
    // them all appends ~200 frames.
    constexpr int kRows = 200, kCommits = 500;
    ASSERT_TRUE(store.Execute("CREATE TABLE t (k BIGINT PRIMARY KEY, v TEXT NOT NULL)").ok());
    {
      auto tx = store.Begin();
      ASSERT_TRUE(tx.ok());
      for (int k = 0; k < kRows; ++k) {
        ASSERT_TRUE((*tx)->Execute("INSERT INTO t (k, v) VALUES ($1, $2)",
                                   std::vector<Value>{Value{int64_t{k}}, Value{std::string(3000, 'a')}}).ok());
      }
      ASSERT_TRUE((*tx)->Commit().ok());
    }
    std::atomic<bool> stop{false};
    std::vector<std::thread> readers;
    for (int r = 0; r < 2; ++r) {
      readers.emplace_back([&, r] {
        for (int64_t i = r; !stop; ++i) {
          auto tx = store.Begin(Mode::kRead);
          if (!tx.ok()) continue;
          (void)(*tx)->Execute("SELECT length(v) FROM t WHERE k = $1", std::vector<Value>{Value{i % kRows}});
          (void)(*tx)->Execute("SELECT COUNT(*) FROM t");
        }
      });
    }
    uintmax_t largest = 0;
    for (int c = 0; c < kCommits; ++c) {
      auto tx = store.Begin();
      ASSERT_TRUE(tx.ok());
      const std::string v(3000, static_cast<char>('b' + c % 20));
      ASSERT_TRUE((*tx)->Execute("UPDATE t SET v = $1", std::vector<Value>{Value{v}}).ok());
      ASSERT_TRUE((*tx)->Commit().ok());
      std::error_code error;
      largest = std::max(largest, std::filesystem::file_size(wal, error));
    }
    stop = true;
    for (auto& reader : readers) reader.join();
    EXPECT_GT(largest, uintmax_t{0});
    EXPECT_LT(largest, uintmax_t{60'000} * 4'120) << "the WAL kept growing: " << largest << " bytes";
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace lahza::store
