// The SQLite store's process-wide settings (src/store/sqlite_store.cc).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "store/store.h"
#include "store/test_stores.h"

namespace lahza::store {
namespace {

// SQLite's memory statistics take a global mutex on every allocation (and
// Debian's library has no lookaside, so every small one is a malloc): the
// store turns them off before SQLite initialises. With them on, the counter
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

}  // namespace
}  // namespace lahza::store
