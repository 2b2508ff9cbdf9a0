// The ledger's tables. Portable dialect (see store/store.h): BIGINT and TEXT
// only, ids chosen by Lahza.
//
// ledger_meta holds one row. Every ledger write transaction locks it first
// (SELECT ... FOR UPDATE): on PostgreSQL that row lock serialises ledger
// writers across processes (so a batch's balance checks see every earlier
// batch), on SQLite BEGIN IMMEDIATE already does; its last_ts makes transfer
// timestamps unique and strictly increasing across processes (TigerBeetle's
// timestamp rule), and its stamp names the state the last writer left (see
// AccountCache in ledger.cc).
//
// Failed transfers are stored too (result != 0, no effect on balances): the
// first decision about an id is final, so a retry gets the same answer.
#include "ledger/ledger.h"

namespace lahza::ledger {

namespace {

// One schema text for both backends, except that on SQLite ledger_accounts is
// WITHOUT ROWID: clustered by id, so loading or updating an account touches
// one b-tree instead of an index plus the rowid table. (A BIGINT PRIMARY KEY is
// not SQLite's rowid alias; only "INTEGER PRIMARY KEY" is.) ledger_transfers
// keeps its rowid on purpose: rows are appended in order, and the history
// indexes then carry an 8-byte rowid instead of the text id — measured
// cheaper (fewer pages dirtied per commit) than clustering it by id.
std::string SchemaV1(bool sqlite) {
  const std::string clustered = sqlite ? " WITHOUT ROWID" : "";
  return R"sql(
CREATE TABLE ledger_meta (
  id BIGINT PRIMARY KEY,
  last_ts BIGINT NOT NULL
);
INSERT INTO ledger_meta (id, last_ts) VALUES (1, 0);
CREATE TABLE ledger_accounts (
  id BIGINT PRIMARY KEY,
  ledger BIGINT NOT NULL,
  code BIGINT NOT NULL,
  owner TEXT NOT NULL,
  flags BIGINT NOT NULL,
  user_data TEXT NOT NULL,
  debits_pending BIGINT NOT NULL,
  debits_posted BIGINT NOT NULL,
  credits_pending BIGINT NOT NULL,
  credits_posted BIGINT NOT NULL,
  ts BIGINT NOT NULL
))sql" + clustered + R"sql(;
CREATE TABLE ledger_transfers (
  id TEXT PRIMARY KEY,
  debit_account_id BIGINT NOT NULL,
  credit_account_id BIGINT NOT NULL,
  amount BIGINT NOT NULL,
  flags BIGINT NOT NULL,
  pending_id TEXT NOT NULL,
  timeout_seconds BIGINT NOT NULL,
  code BIGINT NOT NULL,
  user_data TEXT NOT NULL,
  user_data_64 BIGINT NOT NULL,
  result BIGINT NOT NULL,
  ts BIGINT NOT NULL,
  hold_state BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  resolved_at BIGINT NOT NULL
);
CREATE INDEX ledger_transfers_debit ON ledger_transfers (debit_account_id, ts);
CREATE INDEX ledger_transfers_credit ON ledger_transfers (credit_account_id, ts);
CREATE INDEX ledger_transfers_expiry ON ledger_transfers (expires_at) WHERE hold_state = 1 AND expires_at > 0
)sql";
}

// Every ledger write transaction leaves a new stamp on the writer row
// (SaveLastTimestamp), so a state of the accounts is named by its stamp: the
// ledger's account cache trusts its rows only for the stamp it took them at.
constexpr const char* kWriteStamps = "ALTER TABLE ledger_meta ADD COLUMN stamp BIGINT NOT NULL DEFAULT 0";

// Migration 3: the per-account history indexes keep only the sides whose
// account has account_flags::kHistory. Each transfer row says, per side,
// whether it is filed (debit_history, credit_history: 1 or 0, from the
// account's flags when the transfer was decided; flags never change after
// creation), and each index holds the rows whose side is. Accounts and
// transfers that exist keep their history: they get the flag (4 below) and 1.
static_assert(account_flags::kHistory == 4, "migration 3 writes kHistory as 4");
constexpr const char* kHistoryByAccount = R"sql(
ALTER TABLE ledger_transfers ADD COLUMN debit_history BIGINT NOT NULL DEFAULT 1;
ALTER TABLE ledger_transfers ADD COLUMN credit_history BIGINT NOT NULL DEFAULT 1;
UPDATE ledger_accounts SET flags = flags + 4 WHERE (flags & 4) = 0;
DROP INDEX ledger_transfers_debit;
DROP INDEX ledger_transfers_credit;
CREATE INDEX ledger_transfers_debit ON ledger_transfers (debit_account_id, ts) WHERE debit_history = 1;
CREATE INDEX ledger_transfers_credit ON ledger_transfers (credit_account_id, ts) WHERE credit_history = 1
)sql";

const std::vector<store::Migration>& Migrations() {
  static const std::vector<store::Migration> migrations = {
      {1, "accounts, transfers and the writer row", SchemaV1(true), SchemaV1(false)},
      {2, "write stamps on the writer row", kWriteStamps},
      {3, "history indexes only for accounts that keep history", kHistoryByAccount},
  };
  return migrations;
}

}  // namespace

Status MigrateLedger(store::Store& store, int up_to) { return store::Migrate(store, "ledger", Migrations(), up_to); }

}  // namespace lahza::ledger
