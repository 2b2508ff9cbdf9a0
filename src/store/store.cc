// The backend-independent parts of the store: value helpers, Open() by URL,
// and versioned migrations.
#include <cassert>
#include <cctype>
#include <ctime>
#include <string>

#include "store/internal.h"
#include "store/store.h"

namespace lahza::store {

int64_t AsInt(const Value& value) {
  assert(std::holds_alternative<int64_t>(value));
  return std::get<int64_t>(value);
}

const std::string& AsText(const Value& value) {
  assert(std::holds_alternative<std::string>(value));
  return std::get<std::string>(value);
}

bool IsNull(const Value& value) { return std::holds_alternative<Null>(value); }

Result<Rows> Store::Execute(std::string_view sql, std::span<const Value> params, Mode mode) {
  auto transaction = Begin(mode);
  if (!transaction.ok()) return transaction.error();
  auto rows = (*transaction)->Execute(sql, params);
  if (!rows.ok()) return rows.error();
  LAHZA_TRY((*transaction)->Commit());
  return rows;
}

Result<std::unique_ptr<Store>> Open(std::string_view url) {
  constexpr std::string_view kSqlite = "sqlite:";
  if (url.starts_with(kSqlite)) {
    std::string path(url.substr(kSqlite.size()));
    // ":memory:" and "" would give every pooled connection its own private
    // database; a URI ("file:...") would bypass our pragmas' assumptions.
    if (path.empty() || path == ":memory:" || path.starts_with("file:")) {
      return Error("store.bad_url", "sqlite needs a file path, got '" + path + "'");
    }
    return internal::OpenSqlite(path);
  }
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    return internal::OpenPostgres(std::string(url));
  }
  return Error("store.bad_url", "expected sqlite:PATH or postgresql://..., got '" + std::string(url) + "'");
}

namespace {

// Every migrating process takes this one lock on PostgreSQL, so concurrent
// starts apply each migration exactly once (the CREATE TABLE IF NOT EXISTS of
// lahza_schema itself races without it). The number is arbitrary but fixed.
constexpr int64_t kMigrationLockKey = 0x4C61687A61;  // "Lahza"

std::string UtcNow() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

// One migration step: under the write lock, read the module's version and
// apply `migration` if it is still pending. Returns whether it was applied.
Result<bool> ApplyIfPending(Store& store, std::string_view module, const Migration& migration) {
  auto begun = store.Begin(Mode::kWrite);
  if (!begun.ok()) return begun.error();
  Transaction& tx = **begun;
  if (store.backend() == Backend::kPostgres) {
    const Value key[] = {kMigrationLockKey};
    LAHZA_TRY(tx.Execute("SELECT pg_advisory_xact_lock($1)", key));
  }
  LAHZA_TRY(tx.Execute(
      "CREATE TABLE IF NOT EXISTS lahza_schema (module TEXT NOT NULL, version BIGINT NOT NULL, "
      "name TEXT NOT NULL, applied_at TEXT NOT NULL, PRIMARY KEY (module, version))"));
  const Value module_param[] = {std::string(module)};
  auto current = tx.Execute("SELECT MAX(version) FROM lahza_schema WHERE module = $1", module_param);
  if (!current.ok()) return current.error();
  const Value& max = current->rows.at(0).at(0);
  if (!IsNull(max) && AsInt(max) >= migration.version) return false;  // rollback: nothing to do

  const std::string& script = (store.backend() == Backend::kPostgres && !migration.postgres_sql.empty())
                                  ? migration.postgres_sql
                                  : migration.sql;
  for (const std::string& statement : internal::SplitStatements(script)) {
    auto done = tx.Execute(statement);
    if (!done.ok()) {
      return Error(done.error().code, std::string(module) + " migration " + std::to_string(migration.version) +
                                          " (" + migration.name + "): " + done.error().detail);
    }
  }
  const Value record[] = {std::string(module), int64_t{migration.version}, migration.name, UtcNow()};
  LAHZA_TRY(tx.Execute("INSERT INTO lahza_schema (module, version, name, applied_at) VALUES ($1, $2, $3, $4)",
                       record));
  LAHZA_TRY(tx.Commit());
  return true;
}

}  // namespace

Status Migrate(Store& store, std::string_view module, std::span<const Migration> migrations, int up_to) {
  int previous = 0;
  for (const Migration& migration : migrations) {
    if (migration.version <= previous) {
      return Error("store.error", "migrations of " + std::string(module) + " must have increasing versions > 0");
    }
    previous = migration.version;
  }
  for (const Migration& migration : migrations) {
    if (migration.version > up_to) break;
    auto applied = ApplyIfPending(store, module, migration);
    if (!applied.ok()) return applied.error();
  }
  return {};
}

namespace internal {

std::string_view StripTrailingForUpdate(std::string_view sql) {
  auto trim_end = [](std::string_view s) {
    while (!s.empty() && (std::isspace(static_cast<unsigned char>(s.back())) || s.back() == ';')) s.remove_suffix(1);
    return s;
  };
  auto ends_with_word = [](std::string_view s, std::string_view word) {
    if (s.size() < word.size()) return false;
    std::string_view tail = s.substr(s.size() - word.size());
    for (size_t i = 0; i < word.size(); ++i) {
      if (std::toupper(static_cast<unsigned char>(tail[i])) != word[i]) return false;
    }
    // A whole word: "...xFOR UPDATE" with no separator is not the clause.
    return s.size() == word.size() || std::isspace(static_cast<unsigned char>(s[s.size() - word.size() - 1]));
  };
  std::string_view rest = trim_end(sql);
  if (!ends_with_word(rest, "UPDATE")) return sql;
  std::string_view before = rest.substr(0, rest.size() - 6);
  while (!before.empty() && std::isspace(static_cast<unsigned char>(before.back()))) before.remove_suffix(1);
  if (!ends_with_word(before, "FOR")) return sql;
  before.remove_suffix(3);
  while (!before.empty() && std::isspace(static_cast<unsigned char>(before.back()))) before.remove_suffix(1);
  return before;
}

namespace {
// "$$" or "$name$" starting at `at` (a dollar-quote opener), else empty.
// "$1" is a placeholder, not a tag: tags cannot start with a digit.
std::string_view DollarTag(std::string_view script, size_t at) {
  size_t end = at + 1;
  while (end < script.size() && (std::isalpha(static_cast<unsigned char>(script[end])) || script[end] == '_')) ++end;
  if (end < script.size() && script[end] == '$') return script.substr(at, end + 1 - at);
  return {};
}
}  // namespace

std::vector<std::string> SplitStatements(std::string_view script) {
  std::vector<std::string> statements;
  std::string current;
  auto flush = [&] {
    size_t first = current.find_first_not_of(" \t\r\n");
    if (first != std::string::npos) statements.push_back(current.substr(first));
    current.clear();
  };
  for (size_t i = 0; i < script.size(); ++i) {
    char c = script[i];
    if (c == '\'' || c == '"') {  // quoted literal or identifier; '' and "" escape themselves
      size_t end = i + 1;
      while (end < script.size() && script[end] != c) ++end;
      current.append(script.substr(i, end + 1 - i));
      i = end;
    } else if (c == '$' && DollarTag(script, i).size() > 0) {  // PostgreSQL $tag$ ... $tag$ body
      std::string_view tag = DollarTag(script, i);
      size_t end = script.find(tag, i + tag.size());
      end = end == std::string_view::npos ? script.size() : end + tag.size();
      current.append(script.substr(i, end - i));
      i = end - 1;
    } else if (c == '-' && i + 1 < script.size() && script[i + 1] == '-') {
      while (i < script.size() && script[i] != '\n') ++i;
      current.push_back('\n');
    } else if (c == ';') {
      flush();
    } else {
      current.push_back(c);
    }
  }
  flush();
  return statements;
}

std::string LeadingKeyword(std::string_view sql) {
  size_t i = 0;
  while (i < sql.size() && (std::isspace(static_cast<unsigned char>(sql[i])) || sql[i] == '(')) ++i;
  std::string word;
  while (i < sql.size() && std::isalpha(static_cast<unsigned char>(sql[i]))) {
    word.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(sql[i++]))));
  }
  return word;
}

bool CountsChanges(std::string_view sql) {
  std::string keyword = LeadingKeyword(sql);
  return keyword == "INSERT" || keyword == "UPDATE" || keyword == "DELETE" || keyword == "REPLACE";
}

Error Conflict(std::string detail) { return Error("store.conflict", std::move(detail)); }
Error Busy(std::string detail) { return Error("store.busy", std::move(detail)); }
Error Failure(std::string detail) { return Error("store.error", std::move(detail)); }
Error Aborted() {
  return Error("store.error", "transaction aborted by an earlier error; only rollback is possible");
}

}  // namespace internal
}  // namespace lahza::store
