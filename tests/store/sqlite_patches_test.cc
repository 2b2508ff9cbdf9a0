// The three patches cmake/sqlite.cmake applies to SQLite: the WAL checksum
// computed a block at a time, the spare page number of a B-tree balance, and
// a reader that keeps the cached pages no commit has changed. The first two
// must leave what SQLite writes exactly as it was; the third, what a reader
// reads.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "store/wal_checksum/wal_checksum.h"

namespace lahza::store {
namespace {

// SQLite's WAL checksum as its file format describes it (sqlite.org/fileformat2.html,
// "Checksum Algorithm"), word pair by word pair; `big_endian` says how the
// words are read.
void ReferenceChecksum(const unsigned char* data, size_t bytes, bool big_endian, uint32_t* s1, uint32_t* s2) {
  auto word = [&](size_t at) {
    const unsigned char* b = data + at;
    return big_endian ? (uint32_t{b[0]} << 24 | uint32_t{b[1]} << 16 | uint32_t{b[2]} << 8 | b[3])
                      : (uint32_t{b[3]} << 24 | uint32_t{b[2]} << 16 | uint32_t{b[1]} << 8 | b[0]);
  };
  for (size_t at = 0; at + 8 <= bytes; at += 8) {
    *s1 += word(at) + *s2;
    *s2 += word(at + 4) + *s1;
  }
}

uint32_t BigEndian32(const unsigned char* b) {
  return uint32_t{b[0]} << 24 | uint32_t{b[1]} << 16 | uint32_t{b[2]} << 8 | b[3];
}

bool LittleEndianMachine() {
  const uint32_t one = 1;
  unsigned char first;
  std::memcpy(&first, &one, 1);
  return first == 1;
}

TEST(WalChecksumTest, MatchesTheWordByWordSumForEveryLengthAndStart) {
  if (!LittleEndianMachine()) GTEST_SKIP() << "the block sum reads words in this machine's order";
  std::mt19937 random(20261127);
  std::vector<uint32_t> words(65536 / 4 + 16);
  for (uint32_t& w : words) w = random();
  const auto* data = reinterpret_cast<const unsigned char*>(words.data());
  std::vector<int> lengths;
  for (int n = 8; n <= 4104; n += 8) lengths.push_back(n);
  for (int n : {8192, 8200, 16384, 32768, 65536 - 8, 65536}) lengths.push_back(n);
  for (int n : lengths) {
    // From zero (a WAL header's sum), from a chained sum, and from sums
    // near the top of the 32-bit range, where the additions wrap.
    for (auto [a, b] : {std::pair<uint32_t, uint32_t>{0, 0}, {random(), random()}, {0xFFFFFFFFu, 0xFFFFFFF0u}}) {
      const unsigned char* start = data + 4 * (n % 5);  // 32-bit aligned, at various offsets
      uint32_t want1 = a, want2 = b, got1 = a, got2 = b;
      ReferenceChecksum(start, static_cast<size_t>(n), false, &want1, &want2);
      lahza_wal_checksum_native(start, n, &got1, &got2);
      ASSERT_EQ(got1, want1) << "length " << n;
      ASSERT_EQ(got2, want2) << "length " << n;
    }
  }
}

struct ScratchFolder {
  std::filesystem::path path;
  explicit ScratchFolder(const char* name) {
    path = std::filesystem::temp_directory_path() /
           (std::string(name) + "-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
            std::to_string(std::random_device{}()));
    std::filesystem::create_directories(path);
  }
  ~ScratchFolder() { std::filesystem::remove_all(path); }
};

// A connection through SQLite's own API (not the store's), closed however
// the test ends.
struct Connection {
  sqlite3* db = nullptr;
  explicit Connection(const std::filesystem::path& path) {
    // As the store does before SQLite initialises: this binary's other tests
    // share the one SQLite and expect it without memory statistics
    // (SqliteStoreTest.KeepsNoMemoryStatistics, with the system's library).
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    EXPECT_EQ(sqlite3_open(path.string().c_str(), &db), SQLITE_OK) << path;
  }
  ~Connection() { sqlite3_close(db); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
};

void Exec(sqlite3* db, const std::string& sql) {
  char* error = nullptr;
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK) << (error ? error : "") << "\n" << sql;
}

int64_t QueryInt(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* statement = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr), SQLITE_OK) << sql;
  EXPECT_EQ(sqlite3_step(statement), SQLITE_ROW) << sql;
  const int64_t value = sqlite3_column_int64(statement, 0);
  sqlite3_finalize(statement);
  return value;
}

std::string QueryText(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* statement = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr), SQLITE_OK) << sql;
  EXPECT_EQ(sqlite3_step(statement), SQLITE_ROW) << sql;
  std::string value = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
  sqlite3_finalize(statement);
  return value;
}

// Every frame of a WAL the linked SQLite wrote carries the checksum the file
// format prescribes, checked here by the reference sum; and another SQLite
// connection recovering the WAL from a copy finds every committed row.
TEST(SqlitePatchesTest, EveryWalFrameCarriesTheChecksumTheFormatPrescribes) {
  ScratchFolder folder("lahza-wal-format");
  const std::string path = (folder.path / "w.db").string();
  Connection writer(path);
  sqlite3* db = writer.db;
  Exec(db, "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0; PRAGMA synchronous=FULL");
  Exec(db, "CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL); CREATE INDEX t_v ON t (v)");
  const int kCommits = 40, kRowsPerCommit = 50;
  for (int c = 0; c < kCommits; ++c) {
    Exec(db, "BEGIN; WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " +
                 std::to_string(kRowsPerCommit) + ") INSERT INTO t (v) SELECT hex(randomblob(60)) FROM n; COMMIT");
  }

  // Read the WAL while the connection is open: closing would checkpoint it away.
  std::ifstream in(path + "-wal", std::ios::binary);
  const std::vector<unsigned char> wal((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GE(wal.size(), 32u);
  const uint32_t magic = BigEndian32(&wal[0]);
  ASSERT_TRUE(magic == 0x377f0682 || magic == 0x377f0683);
  const bool big_endian = magic == 0x377f0683;
  const uint32_t page_size = BigEndian32(&wal[8]);
  ASSERT_EQ(page_size, 4096u);
  uint32_t s1 = 0, s2 = 0;
  ReferenceChecksum(wal.data(), 24, big_endian, &s1, &s2);
  ASSERT_EQ(BigEndian32(&wal[24]), s1);
  ASSERT_EQ(BigEndian32(&wal[28]), s2);
  const size_t frame_size = 24 + page_size;
  ASSERT_EQ((wal.size() - 32) % frame_size, 0u);
  size_t frames = 0, commits = 0;
  for (size_t at = 32; at + frame_size <= wal.size(); at += frame_size, ++frames) {
    const unsigned char* frame = &wal[at];
    ASSERT_EQ(std::memcmp(frame + 8, &wal[16], 8), 0) << "frame " << frames << ": the header's salts";
    ReferenceChecksum(frame, 8, big_endian, &s1, &s2);
    ReferenceChecksum(frame + 24, page_size, big_endian, &s1, &s2);
    ASSERT_EQ(BigEndian32(frame + 16), s1) << "frame " << frames;
    ASSERT_EQ(BigEndian32(frame + 20), s2) << "frame " << frames;
    if (BigEndian32(frame + 4) != 0) ++commits;
  }
  EXPECT_GT(frames, 100u);
  EXPECT_EQ(commits, static_cast<size_t>(kCommits + 2));  // the table, its index, the inserts

  // A copy of the database and its WAL, opened anew, recovers from the WAL.
  std::filesystem::copy_file(path, folder.path / "copy.db");
  std::filesystem::copy_file(path + "-wal", folder.path / "copy.db-wal");
  Connection copy(folder.path / "copy.db");
  EXPECT_EQ(QueryInt(copy.db, "SELECT count(*) FROM t"), kCommits * kRowsPerCommit);
  EXPECT_EQ(QueryText(copy.db, "PRAGMA integrity_check"), "ok");
}

// B-tree balances that reorder their new pages (the second patch changes
// the spare page number their swaps go through), in transactions that grow
// the file, shrink it back by rolling back to a savepoint and grow it again,
// with deletes in between: the database stays whole and holds exactly the
// rows it should, in the connection that wrote it and in a new one.
TEST(SqlitePatchesTest, BalancesThatReorderPagesKeepTheDatabaseWhole) {
  ScratchFolder folder("lahza-balance");
  const std::string path = (folder.path / "b.db").string();
  Connection writer(path);
  sqlite3* db = writer.db;
  Exec(db, "PRAGMA journal_mode=WAL; PRAGMA cache_size=200");
  Exec(db, "CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT NOT NULL) WITHOUT ROWID; CREATE INDEX t_v ON t (v, k)");
  std::mt19937 random(7);
  // What the table must hold: rows, and the total length of their values.
  int64_t rows = 0, value_bytes = 0, next_key = 0;
  auto insert = [&](int count, bool kept) {
    std::string sql = "INSERT INTO t (k, v) VALUES ";
    for (int i = 0; i < count; ++i) {
      // Keys in random order (splits in the middle of the tree), unique by the counter.
      const std::string key = std::to_string(random() % 10) + "-" + std::to_string(random()) + "-" +
                              std::to_string(next_key++);
      const std::string value(20 + random() % 200, static_cast<char>('a' + random() % 26));
      sql += (i ? ",('" : "('") + key + "','" + value + "')";
      if (kept) ++rows, value_bytes += static_cast<int64_t>(value.size());
    }
    Exec(db, sql);
  };
  for (int round = 0; round < 30; ++round) {
    Exec(db, "BEGIN");
    insert(150, true);
    Exec(db, "SAVEPOINT grow");
    insert(300, false);  // new pages past the end, then given back
    Exec(db, "ROLLBACK TO grow; RELEASE grow");
    insert(150, true);
    if (round % 3 == 2) {
      rows -= QueryInt(db, "SELECT count(*) FROM t WHERE k LIKE '3-%'");
      value_bytes -= QueryInt(db, "SELECT total(length(v)) FROM t WHERE k LIKE '3-%'");
      Exec(db, "DELETE FROM t WHERE k LIKE '3-%'");
    }
    Exec(db, "COMMIT");
    ASSERT_EQ(QueryText(db, "PRAGMA integrity_check"), "ok") << "round " << round;
    ASSERT_EQ(QueryInt(db, "SELECT count(*) FROM t"), rows) << "round " << round;
  }
  EXPECT_GT(QueryInt(db, "PRAGMA page_count"), 200);  // larger than the cache: pages come and go
  Connection fresh(path);
  EXPECT_EQ(QueryText(fresh.db, "PRAGMA integrity_check"), "ok");
  EXPECT_EQ(QueryInt(fresh.db, "SELECT count(*) FROM t"), rows);
  EXPECT_EQ(QueryInt(fresh.db, "SELECT count(*) FROM t INDEXED BY t_v"), rows);
  EXPECT_EQ(QueryInt(fresh.db, "SELECT total(length(v)) FROM t"), value_bytes);
}

// What a connection reads of the test table, in one read transaction: every
// row in key order and the keys in the order of the second index, so that a
// stale page of the table or of the index shows up as a difference.
std::string Contents(sqlite3* db) {
  Exec(db, "BEGIN");
  std::string contents = QueryText(db, "SELECT count(*) || '|' || coalesce(group_concat(k || ':' || n || ':' || v, ','), '') "
                                       "FROM (SELECT k, n, v FROM t ORDER BY k)") +
                         "|" + QueryText(db, "SELECT coalesce(group_concat(k, ','), '') FROM "
                                             "(SELECT k FROM t INDEXED BY t_n ORDER BY n, k)");
  Exec(db, "COMMIT");
  return contents;
}

// The third patch: between two of a reader's read transactions another
// connection changes the database in every way it can — updates, inserts that
// split pages, deletes, a database that shrinks, checkpoints of each kind
// (one that restarts the WAL, one that truncates it), more commits than the
// reader's cache has pages, the reader's own writes, a reader that sat on an
// old snapshot — and each time the reader, its cache warm from the last read,
// reads exactly what a connection opened afresh reads.
TEST(SqlitePatchesTest, AReaderWithAWarmCacheReadsEveryCommitExactly) {
  ScratchFolder folder("lahza-kept-pages");
  const std::string path = (folder.path / "k.db").string();
  Connection writer(path);
  Exec(writer.db, "PRAGMA auto_vacuum=INCREMENTAL; PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0");
  Exec(writer.db, "PRAGMA synchronous=OFF");  // the reader's cache is the subject, not durability
  Exec(writer.db, "CREATE TABLE t (k INTEGER PRIMARY KEY, n INTEGER NOT NULL, v TEXT NOT NULL); CREATE INDEX t_n ON t (n)");
  Connection reader(path), checkpointer(path);
  Exec(reader.db, "PRAGMA cache_size=300");
  std::mt19937 random(20261127);
  int64_t next_key = 1;
  auto value = [&] { return std::string(30 + random() % 400, static_cast<char>('a' + random() % 26)); };
  auto insert = [&](sqlite3* db, int count) {
    std::string sql = "INSERT INTO t (k, n, v) VALUES ";
    for (int i = 0; i < count; ++i) {
      sql += (i ? ",(" : "(") + std::to_string(next_key++) + "," + std::to_string(random() % 100000) + ",'" + value() + "')";
    }
    Exec(db, sql);
  };
  auto update = [&](sqlite3* db, int count) {
    for (int i = 0; i < count; ++i) {
      Exec(db, "UPDATE t SET n = " + std::to_string(random() % 100000) + ", v = '" + value() + "' WHERE k = " +
                   std::to_string(1 + random() % next_key));
    }
  };
  insert(writer.db, 1500);
  std::set<std::string> kinds_seen;
  for (int round = 0; round < 400; ++round) {
    const std::string before = Contents(reader.db);
    std::string kind;
    switch (random() % 10) {
      case 0: kind = "update"; update(writer.db, 1 + random() % 8); break;
      case 1: kind = "insert"; insert(writer.db, 10 + random() % 60); break;
      case 2: {
        kind = "delete and shrink";
        const int64_t from = 1 + random() % next_key;
        Exec(writer.db, "DELETE FROM t WHERE k BETWEEN " + std::to_string(from) + " AND " + std::to_string(from + 150));
        Exec(writer.db, "PRAGMA incremental_vacuum");
        break;
      }
      case 3: {
        static const char* const kModes[] = {"PASSIVE", "FULL", "RESTART", "TRUNCATE"};
        const char* mode = kModes[random() % 4];
        kind = std::string("checkpoint ") + mode;
        Exec(checkpointer.db, std::string("PRAGMA wal_checkpoint(") + mode + ")");
        if (random() % 2) update(writer.db, 3);  // the first commits of a restarted WAL
        break;
      }
      case 4: {
        kind = "many commits";
        for (int c = 0; c < 120; ++c) update(writer.db, 3);
        break;
      }
      case 5: kind = "the reader's own commit"; update(reader.db, 2); update(writer.db, 1); break;
      case 6: {
        kind = "a reader on an old snapshot";
        Exec(reader.db, "BEGIN");
        const int64_t rows = QueryInt(reader.db, "SELECT count(*) FROM t");
        insert(writer.db, 40);
        update(writer.db, 4);
        ASSERT_EQ(QueryInt(reader.db, "SELECT count(*) FROM t"), rows) << "round " << round;
        Exec(reader.db, "COMMIT");
        break;
      }
      case 7: kind = "nothing"; break;
      default: kind = "update and insert"; update(writer.db, 2); insert(writer.db, 5); break;
    }
    kinds_seen.insert(kind);
    if (round % 100 == 99) {
      kind += ", then far more frames than the reader's cache has pages";
      for (int c = 0; c < 1500; ++c) update(writer.db, 1);
    }
    Connection fresh(path);
    const std::string want = Contents(fresh.db);
    ASSERT_EQ(Contents(reader.db), want) << "round " << round << ", after: " << kind;
    if (kind == "nothing") {
      ASSERT_EQ(want, before);
    }
  }
  EXPECT_EQ(kinds_seen.size(), 12u);  // every kind, each checkpoint mode included
  EXPECT_EQ(QueryText(reader.db, "PRAGMA integrity_check"), "ok");
}

// Page cache misses of a connection since the last call.
int64_t CacheMisses(sqlite3* db) {
  int current = 0, highest = 0;
  EXPECT_EQ(sqlite3_db_status(db, SQLITE_DBSTATUS_CACHE_MISS, &current, &highest, /*reset=*/1), SQLITE_OK);
  return current;
}

// Creates `table` (k INTEGER PRIMARY KEY, v TEXT) holding rows 1..rows, each v
// the SQL expression `value`.
void FillTable(sqlite3* db, const std::string& table, int rows, const std::string& value) {
  Exec(db, "CREATE TABLE " + table + " (k INTEGER PRIMARY KEY, v TEXT NOT NULL)");
  Exec(db, "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < " + std::to_string(rows) +
               ") INSERT INTO " + table + " SELECT i, " + value + " FROM r");
}

// The third patch's point: a commit elsewhere costs a reader only the pages it
// changed, not its whole cache.
TEST(SqlitePatchesTest, AReaderKeepsThePagesNoCommitChanged) {
#ifndef LAHZA_SQLITE_PATCHED
  GTEST_SKIP() << "SQLite is built without Lahza's patches";
#endif
  ScratchFolder folder("lahza-kept-pages");
  const std::string path = (folder.path / "k.db").string();
  Connection writer(path);
  Exec(writer.db, "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0; PRAGMA synchronous=OFF");
  FillTable(writer.db, "big", 3000, "hex(randomblob(100))");
  Exec(writer.db, "CREATE TABLE small (n INTEGER); INSERT INTO small VALUES (0)");
  Connection reader(path);
  const std::string sum = "SELECT total(length(v)) FROM big";
  EXPECT_EQ(QueryInt(reader.db, sum), 3000 * 200);
  const int64_t cold = CacheMisses(reader.db);
  EXPECT_GT(cold, 100);  // every page of the table

  Exec(writer.db, "UPDATE small SET n = n + 1");
  EXPECT_EQ(QueryInt(reader.db, sum), 3000 * 200);
  EXPECT_LE(CacheMisses(reader.db), 1) << "a commit to another table emptied the reader's cache";

  Exec(writer.db, "UPDATE big SET v = 'x' WHERE k = 1500");
  EXPECT_EQ(QueryInt(reader.db, sum), 3000 * 200 - 199);
  const int64_t after_one_row = CacheMisses(reader.db);
  EXPECT_GE(after_one_row, 1);  // the changed leaf, read anew
  EXPECT_LE(after_one_row, 3);

  // Far more frames than pages cached (5,000 frames, ~150 pages), though they
  // change one page: reading the pages back costs less than looking up every
  // frame, and the whole cache goes, as it did before the patch.
  for (int c = 0; c < 5000; ++c) Exec(writer.db, "UPDATE small SET n = n + 1");
  EXPECT_EQ(QueryInt(reader.db, sum), 3000 * 200 - 199);
  EXPECT_GT(CacheMisses(reader.db), 100);
}

// The third patch within one WAL and across its restart: frame numbers start
// over after a checkpoint restarts the WAL, so a reader whose last snapshot
// ended at frame 1 must not take frames 2 and later of the new WAL for all that
// changed since — frame 1 of the new WAL changed a page too.
TEST(SqlitePatchesTest, AReaderSeesTheCommitsOfARestartedWal) {
  ScratchFolder folder("lahza-kept-pages");
  const std::string path = (folder.path / "r.db").string();
  Connection writer(path);
  Exec(writer.db, "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0");
  // Rows of ~1,000 bytes: three to a page, so rows 1, 100 and 200 are on different leaves.
  FillTable(writer.db, "t", 300, "printf('%.1000c', 'a')");
  Connection reader(path), checkpointer(path);
  const std::string values = "SELECT group_concat(substr(v, 1, 1), '') FROM (SELECT v FROM t WHERE k IN (1, 100, 200) ORDER BY k)";
  std::string want = "aaa";
  for (const char* mode : {"RESTART", "TRUNCATE"}) {
    SCOPED_TRACE(mode);
    Exec(checkpointer.db, "PRAGMA wal_checkpoint(TRUNCATE)");  // an empty WAL
    ASSERT_EQ(QueryText(reader.db, values), want);             // every leaf in the reader's cache
    want[0] = mode[0] == 'R' ? 'b' : 'e';
    Exec(writer.db, std::string("UPDATE t SET v = printf('%.1000c', '") + want[0] + "') WHERE k = 1");  // frame 1
    ASSERT_EQ(QueryText(reader.db, values), want);  // the reader's snapshot now ends at frame 1
    Exec(checkpointer.db, std::string("PRAGMA wal_checkpoint(") + mode + ")");
    want[1] = mode[0] == 'R' ? 'c' : 'f';
    want[2] = mode[0] == 'R' ? 'd' : 'g';
    Exec(writer.db, std::string("UPDATE t SET v = printf('%.1000c', '") + want[1] + "') WHERE k = 100");  // frame 1 anew
    Exec(writer.db, std::string("UPDATE t SET v = printf('%.1000c', '") + want[2] + "') WHERE k = 200");  // frame 2
    ASSERT_EQ(QueryText(reader.db, values), want);
  }
}

}  // namespace
}  // namespace lahza::store
