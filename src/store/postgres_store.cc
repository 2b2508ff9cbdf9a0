// PostgreSQL backend (libpqxx 6.4): a pool of connections, statements sent
// with $N parameters in text format (NULL for Null), a per-connection cache
// of server-side prepared statements, results converted to the store's two
// types (int64 for integer types, text otherwise).
//
// Durability: synchronous_commit is forced on (unless the server asks for
// more, e.g. remote_apply), so COMMIT returns after the WAL is flushed.
// Concurrency: kWrite is READ COMMITTED, callers lock rows with FOR UPDATE;
// kRead is REPEATABLE READ READ ONLY, one snapshot for the whole transaction,
// which never blocks writers and never fails to serialize.
#include <charconv>
#include <mutex>
#include <pqxx/pqxx>
#include <pqxx/tablewriter>
#include <unordered_map>

#include "store/internal.h"

namespace lahza::store::internal {
// Named rather than anonymous: a unity build compiles the SQLite and the
// PostgreSQL store as one translation unit, and each has its own Connection.
namespace postgres {

constexpr size_t kMaxIdleConnections = 32;
constexpr size_t kMaxCachedStatements = 512;
// From this many rows on, InsertMany without a suffix uses COPY.
constexpr size_t kCopyThreshold = 1000;

// Type OIDs from pg_type.h (stable since PostgreSQL 7).
constexpr pqxx::oid kBool = 16, kInt8 = 20, kInt2 = 21, kInt4 = 23, kOid = 26, kNumeric = 1700;

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

Error FromSqlState(const std::string& state, const std::string& what) {
  if (state.starts_with("23")) return Conflict(what);
  if (state == "40001" || state == "40P01" || state == "55P03" || state == "57014") return Busy(what);
  return Failure(what.empty() ? state : what);
}

// Runs `work`, turning libpqxx exceptions into the store's errors. `broken`
// is set when the connection itself can no longer be trusted.
template <class F>
auto Guard(F&& work, bool* broken) -> Result<decltype(work())> {
  try {
    return work();
  } catch (const pqxx::sql_error& e) {
    return FromSqlState(e.sqlstate(), std::string(e.what()) + " [SQLSTATE " + e.sqlstate() + "]");
  } catch (const pqxx::statement_completion_unknown& e) {
    return Failure(std::string("statement outcome unknown: ") + e.what());
  } catch (const pqxx::transaction_rollback& e) {
    // libpqxx 6.4 throws these (40001 serialization, 40P01 deadlock) outside
    // the sql_error hierarchy, without the SQLSTATE: both mean "retry".
    return Busy(e.what());
  } catch (const pqxx::in_doubt_error& e) {
    *broken = true;
    return Failure(std::string("commit outcome unknown: ") + e.what());
  } catch (const pqxx::broken_connection& e) {
    *broken = true;
    return Failure(std::string("connection lost: ") + e.what());
  } catch (const std::exception& e) {
    *broken = true;
    return Failure(e.what());
  }
}

struct Cached {
  std::string name;
  bool registered = false;  // executed once as a prepared statement, so it exists on the server
};

struct Connection {
  explicit Connection(const std::string& url) : conn(url) {}
  pqxx::connection conn;
  std::unordered_map<std::string, Cached, StringHash, std::equal_to<>> cache;
  std::unordered_map<std::string, int, StringHash, std::equal_to<>> seen;  // succeeded unprepared
  std::unordered_map<std::string, std::unordered_map<std::string, std::string>> types;  // see ColumnTypes
  int next_name = 0;
  bool broken = false;
};

Result<Value> Convert(const pqxx::field& field, pqxx::oid type) {
  if (field.is_null()) return Value{Null{}};
  const char* text = field.c_str();
  size_t size = field.size();
  switch (type) {
    case kBool: return Value{int64_t{text[0] == 't' ? 1 : 0}};
    case kInt2:
    case kInt4:
    case kInt8:
    case kOid:
    case kNumeric: {
      int64_t number = 0;
      auto [end, ec] = std::from_chars(text, text + size, number);
      if (ec == std::errc{} && end == text + size) return Value{number};
      // A numeric with a scale or out of range stays exact as text; the
      // dialect has no such columns, so this is only stray arithmetic.
      if (type == kNumeric) return Value{std::string(text, size)};
      return Failure("integer column value out of range: " + std::string(text, size));
    }
    default: return Value{std::string(text, size)};
  }
}

class PostgresStore;

class PostgresTransaction final : public Transaction {
 public:
  PostgresTransaction(PostgresStore& store, std::unique_ptr<Connection> connection,
                      std::unique_ptr<pqxx::transaction_base> tx)
      : store_(store), connection_(std::move(connection)), tx_(std::move(tx)) {}
  ~PostgresTransaction() override { Finish(); }

  Result<Rows> Execute(std::string_view sql, std::span<const Value> params) override {
    if (!tx_) return Failure("transaction already finished");
    if (failed_) return Aborted();
    auto result = Run(sql, params);
    if (!result.ok()) return Fail(result.error());
    Rows rows;
    const pqxx::result& r = *result;
    const auto columns = r.columns();
    std::vector<pqxx::oid> types(columns);
    for (pqxx::row::size_type c = 0; c < columns; ++c) types[c] = r.column_type(c);
    rows.rows.reserve(r.size());
    for (const auto& tuple : r) {
      Row row;
      row.reserve(columns);
      for (pqxx::row::size_type c = 0; c < columns; ++c) {
        auto value = Convert(tuple[c], types[c]);
        if (!value.ok()) return Fail(value.error());
        row.push_back(std::move(*value));
      }
      rows.rows.push_back(std::move(row));
    }
    // PQcmdTuples also counts SELECTed rows; the interface promises changed rows.
    if (CountsChanges(sql)) {
      rows.affected = static_cast<int64_t>(r.affected_rows());
      rows_changed_ += rows.affected;
    } else if (LeadingKeyword(sql) != "SELECT") {
      ++rows_changed_;  // a writing WITH, DDL, SAVEPOINT...: assume it changed something
    }
    return rows;
  }

  Result<int64_t> InsertMany(std::string_view table, std::span<const std::string> columns,
                             std::span<const Row> rows, std::string_view suffix) override {
    if (!tx_) return Failure("transaction already finished");
    if (failed_) return Aborted();
    if (columns.empty()) return Fail(Failure("InsertMany needs columns"));
    for (const Row& row : rows) {
      if (row.size() != columns.size()) return Fail(Failure("InsertMany row has the wrong number of values"));
    }
    if (rows.empty()) return int64_t{0};
    // Measured on this machine (docs/storage.md): COPY is about twice as fast
    // as anything else for big plain inserts; below ~1,000 rows, or with an
    // ON CONFLICT suffix (which COPY cannot take), one unnest() statement is
    // as fast or faster than multi-row VALUES and needs no chunking.
    if (!suffix.empty() || rows.size() < kCopyThreshold) return Unnest(table, columns, rows, suffix);
    auto copied = Copy(table, columns, rows);
    if (copied.ok()) rows_changed_ += *copied;  // Unnest's statement is counted by Execute
    return copied;
  }

  // One statement whatever the number of rows: the new values and the keys
  // travel as one array per column, joined to the table by unnest(), where a
  // statement per row would cost a round trip each (the ledger's balances:
  // ≈ 2.4 rows per transfer, 46 us each, measured).
  Result<int64_t> UpdateMany(std::string_view table, std::string_view key_column, std::span<const std::string> columns,
                             std::span<const Row> rows) override {
    if (!tx_) return Failure("transaction already finished");
    if (failed_) return Aborted();
    if (columns.empty()) return Fail(Failure("UpdateMany needs columns"));
    for (const Row& row : rows) {
      if (row.size() != columns.size() + 1) return Fail(Failure("UpdateMany row has the wrong number of values"));
    }
    if (rows.empty()) return int64_t{0};
    std::vector<std::string> names(columns.begin(), columns.end());
    names.emplace_back(key_column);
    std::vector<Value> params;
    auto arrays = ColumnArrays(table, names, rows, params);
    if (!arrays.ok()) return arrays.error();
    std::string set, aliases;
    for (size_t c = 0; c < names.size(); ++c) {
      if (c < columns.size()) set += (c ? ", " : "") + names[c] + " = v." + names[c];
      aliases += (c ? ", " : "") + names[c];
    }
    const std::string key(key_column);
    auto done = Execute("UPDATE " + std::string(table) + " AS target SET " + set + " FROM unnest(" + *arrays +
                            ") AS v(" + aliases + ") WHERE target." + key + " = v." + key,
                        params);
    if (!done.ok()) return done.error();
    return done->affected;
  }

  int64_t RowsChanged() const override { return rows_changed_; }

  Status Commit() override {
    if (!tx_) return Failure("transaction already finished");
    if (failed_) return Aborted();
    auto done = Guard([&] { tx_->commit(); return true; }, &connection_->broken);
    Finish();
    if (!done.ok()) return done.error();
    return {};
  }

 private:
  Result<pqxx::result> Run(std::string_view sql, std::span<const Value> params) {
    std::vector<std::string> storage;
    storage.reserve(params.size());
    std::vector<const char*> pointers;
    pointers.reserve(params.size());
    for (const Value& value : params) {
      if (const auto* number = std::get_if<int64_t>(&value)) {
        storage.push_back(std::to_string(*number));
        pointers.push_back(storage.back().c_str());
      } else if (const auto* text = std::get_if<std::string>(&value)) {
        // PostgreSQL text cannot hold NUL, and c_str() would cut there silently.
        if (text->find('\0') != std::string::npos) return Failure("text parameter contains a NUL byte");
        pointers.push_back(text->c_str());
      } else {
        pointers.push_back(nullptr);  // libpqxx sends a null pointer as SQL NULL
      }
    }
    Connection& c = *connection_;
    if (!IsCacheable(sql)) c.types.clear();  // DDL may have changed a table
    auto dynamic = pqxx::prepare::make_dynamic_params(pointers);
    // A statement is prepared on the server once it has succeeded unprepared:
    // one-off texts (DDL, varying IN lists) never fill the server's memory,
    // and a statement that fails to parse never leaves a half-registered name.
    auto cached = c.cache.find(sql);
    if (cached == c.cache.end()) {
      auto seen = c.seen.find(sql);
      if (seen != c.seen.end() && c.cache.size() < kMaxCachedStatements && IsCacheable(sql)) {
        Cached entry{"lz" + std::to_string(c.next_name++), false};
        c.conn.prepare(entry.name, std::string(sql));
        cached = c.cache.emplace(std::string(sql), std::move(entry)).first;
        c.seen.erase(seen);
      }
    }
    if (cached != c.cache.end()) {
      Cached& entry = cached->second;
      auto result = Guard([&] { return tx_->exec_prepared(entry.name, dynamic); }, &c.broken);
      // The first run registers the statement; if it failed we cannot tell
      // what the server holds, so this connection is not reused.
      if (!result.ok() && !entry.registered) c.broken = true;
      if (result.ok()) entry.registered = true;
      return result;
    }
    auto result = Guard([&] { return tx_->exec_params(std::string(sql), dynamic); }, &c.broken);
    if (result.ok() && c.seen.size() < kMaxCachedStatements * 4) c.seen.emplace(std::string(sql), 1);
    return result;
  }

  // One statement whatever the row count: each column travels as one array
  // parameter and unnest() turns the arrays back into rows. The SQL text
  // depends only on table, columns and suffix, so it is prepared once.
  Result<int64_t> Unnest(std::string_view table, std::span<const std::string> columns, std::span<const Row> rows,
                         std::string_view suffix) {
    std::vector<Value> params;
    auto arrays = ColumnArrays(table, columns, rows, params);
    if (!arrays.ok()) return arrays.error();
    std::string sql = "INSERT INTO " + std::string(table) + " (";
    for (size_t c = 0; c < columns.size(); ++c) sql += (c ? ", " : "") + columns[c];
    sql += ") SELECT * FROM unnest(" + *arrays + ")";
    if (!suffix.empty()) (sql += " ") += suffix;
    auto done = Execute(sql, params);
    if (!done.ok()) return done.error();
    return done->affected;
  }

  // How Unnest and UpdateMany send many rows in one statement: column c of
  // every row (named names[c] in `table`) as one array parameter, appended to
  // `params`, and the text that reads them back, "CAST($1 AS bigint[]), ...".
  Result<std::string> ColumnArrays(std::string_view table, std::span<const std::string> names,
                                   std::span<const Row> rows, std::vector<Value>& params) {
    auto types = ColumnTypes(table);
    if (!types.ok()) return Fail(types.error());
    std::string arrays;
    params.reserve(params.size() + names.size());
    for (size_t c = 0; c < names.size(); ++c) {
      auto type = (*types)->find(names[c]);
      if (type == (*types)->end()) return Fail(Failure("no column " + names[c] + " in " + std::string(table)));
      arrays += (c ? ", CAST($" : "CAST($") + std::to_string(params.size() + 1) + " AS " + type->second + "[])";
      params.emplace_back(ArrayLiteral(rows, c));
    }
    return arrays;
  }

  // Column `c` of every row as a PostgreSQL array literal.
  static std::string ArrayLiteral(std::span<const Row> rows, size_t c) {
    std::string literal = "{";
    for (size_t r = 0; r < rows.size(); ++r) {
      if (r) literal.push_back(',');
      AppendArrayElement(rows[r][c], literal);
    }
    literal.push_back('}');
    return literal;
  }

  static void AppendArrayElement(const Value& value, std::string& out) {
    if (const auto* number = std::get_if<int64_t>(&value)) {
      out += std::to_string(*number);
    } else if (const auto* text = std::get_if<std::string>(&value)) {
      out.push_back('"');
      for (char ch : *text) {
        if (ch == '"' || ch == '\\') out.push_back('\\');
        out.push_back(ch);
      }
      out.push_back('"');
    } else {
      out += "NULL";
    }
  }

  // Column name -> SQL type of `table`, cached per connection (cleared when
  // the connection runs DDL).
  Result<const std::unordered_map<std::string, std::string>*> ColumnTypes(std::string_view table) {
    auto& cache = connection_->types;
    if (auto it = cache.find(std::string(table)); it != cache.end()) return &it->second;
    const Value name[] = {std::string(table)};
    auto rows = Execute(
        "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
        "WHERE attrelid = CAST($1 AS regclass) AND attnum > 0 AND NOT attisdropped",
        name);
    if (!rows.ok()) return rows.error();
    std::unordered_map<std::string, std::string> types;
    for (const Row& row : rows->rows) types[AsText(row[0])] = AsText(row[1]);
    return &cache.emplace(std::string(table), std::move(types)).first->second;
  }

  // COPY ... FROM STDIN in text format.
  Result<int64_t> Copy(std::string_view table, std::span<const std::string> columns, std::span<const Row> rows) {
    auto copied = Guard(
        [&] {
          // tablewriter is deprecated in 6.4 for stream_to, but stream_to keeps
          // write_raw_line private and only takes compile-time tuples.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
          pqxx::tablewriter writer(*tx_, std::string(table), columns.begin(), columns.end());
#pragma GCC diagnostic pop
          std::string line;
          for (const Row& row : rows) {
            line.clear();
            for (size_t c = 0; c < row.size(); ++c) {
              if (c) line.push_back('\t');
              AppendCopyField(row[c], line);
            }
            writer.write_raw_line(line);
          }
          writer.complete();
          return static_cast<int64_t>(rows.size());
        },
        &connection_->broken);
    if (!copied.ok()) return Fail(copied.error());
    return copied;
  }

  static void AppendCopyField(const Value& value, std::string& line) {
    if (const auto* number = std::get_if<int64_t>(&value)) {
      line += std::to_string(*number);
    } else if (const auto* text = std::get_if<std::string>(&value)) {
      for (char ch : *text) {
        switch (ch) {
          case '\\': line += "\\\\"; break;
          case '\t': line += "\\t"; break;
          case '\n': line += "\\n"; break;
          case '\r': line += "\\r"; break;
          default: line.push_back(ch);
        }
      }
    } else {
      line += "\\N";
    }
  }

  static bool IsCacheable(std::string_view sql) {
    std::string keyword = LeadingKeyword(sql);
    return keyword == "SELECT" || keyword == "INSERT" || keyword == "UPDATE" || keyword == "DELETE" ||
           keyword == "WITH";
  }

  Error Fail(Error error) {
    failed_ = true;
    return error;
  }
  void Finish();

  PostgresStore& store_;
  std::unique_ptr<Connection> connection_;
  std::unique_ptr<pqxx::transaction_base> tx_;
  int64_t rows_changed_ = 0;
  bool failed_ = false;
};

class PostgresStore final : public Store {
 public:
  explicit PostgresStore(std::string url) : url_(std::move(url)) {}

  Backend backend() const override { return Backend::kPostgres; }
  // Every commit here is durable when it returns (synchronous_commit on).
  void WhenDurable(std::function<void()> then) override { then(); }

  Result<std::unique_ptr<Connection>> Connect() {
    try {
      auto connection = std::make_unique<Connection>(url_);
      pqxx::nontransaction setup(connection->conn);
      setup.exec0("SET client_encoding = 'UTF8'");
      // Lock waits end as store.busy rather than hanging a request forever.
      setup.exec0("SET lock_timeout = '30s'");
      std::string commit_mode = setup.exec1("SHOW synchronous_commit")[0].c_str();
      if (commit_mode == "off" || commit_mode == "local") setup.exec0("SET synchronous_commit = on");
      setup.commit();
      return connection;
    } catch (const std::exception& e) {
      return Error("store.open_failed", e.what());
    }
  }

  Result<std::unique_ptr<Transaction>> Begin(Mode mode) override {
    auto connection = Take();
    if (!connection.ok()) return Failure(connection.error().detail);
    Connection& c = **connection;
    auto tx = Guard(
        [&]() -> std::unique_ptr<pqxx::transaction_base> {
          if (mode == Mode::kWrite) return std::make_unique<pqxx::work>(c.conn);
          return std::make_unique<pqxx::transaction<pqxx::repeatable_read, pqxx::read_only>>(c.conn);
        },
        &c.broken);
    if (!tx.ok()) {
      Give(std::move(*connection));
      return tx.error();
    }
    return std::unique_ptr<Transaction>(new PostgresTransaction(*this, std::move(*connection), std::move(*tx)));
  }

  void Give(std::unique_ptr<Connection> connection) {
    if (connection->broken || !connection->conn.is_open()) return;
    idle_.Keep(std::move(connection));
  }

 private:
  Result<std::unique_ptr<Connection>> Take() {
    if (auto idle = idle_.Take()) return idle;
    return Connect();
  }

  std::string url_;
  internal::IdleConnections<Connection> idle_{kMaxIdleConnections};
};

void PostgresTransaction::Finish() {
  if (!tx_) return;
  try {
    tx_.reset();  // aborts when not committed
  } catch (...) {
    connection_->broken = true;
  }
  store_.Give(std::move(connection_));
}

}  // namespace postgres

Result<std::unique_ptr<Store>> OpenPostgres(const std::string& url) {
  auto store = std::make_unique<postgres::PostgresStore>(url);
  auto first = store->Connect();
  if (!first.ok()) return first.error();
  store->Give(std::move(*first));
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace lahza::store::internal
