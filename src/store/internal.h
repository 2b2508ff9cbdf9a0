// Internals shared by the store's .cc files; not part of the public interface.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"

namespace lahza::store::internal {

// Backend constructors used by Open(); they connect once so a bad address
// fails at open time rather than at the first transaction.
Result<std::unique_ptr<Store>> OpenSqlite(const std::string& path);
Result<std::unique_ptr<Store>> OpenPostgres(const std::string& url);

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

}  // namespace lahza::store::internal
