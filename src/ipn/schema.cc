// The switch's tables and small text helpers.
#include <array>
#include <span>
#include <string>

#include "core/utf8.h"
#include "ipn/internal.h"

namespace lahza::ipn::internal {

namespace {

// Migration 4: usage counters as one row per limit scope with its current
// day's and month's usage, keeping each scope's latest day and month.
// Clustered by scope on SQLite (`sqlite`): one B-tree per upsert.
std::string UsageWindows(bool sqlite) {
  return std::string(R"SQL(
CREATE TABLE ipn_usage_windows (
  scope TEXT PRIMARY KEY,
  day TEXT NOT NULL,
  day_used BIGINT NOT NULL,
  month TEXT NOT NULL,
  month_used BIGINT NOT NULL
))SQL") + (sqlite ? " WITHOUT ROWID" : "") + R"SQL(;
INSERT INTO ipn_usage_windows (scope, day, day_used, month, month_used)
SELECT s.scope,
  COALESCE((SELECT substr(MAX(d.period), 3) FROM ipn_usage d WHERE d.scope = s.scope AND d.period LIKE 'd:%'), ''),
  COALESCE((SELECT d.used FROM ipn_usage d WHERE d.scope = s.scope AND d.period LIKE 'd:%'
            ORDER BY d.period DESC LIMIT 1), 0),
  COALESCE((SELECT substr(MAX(m.period), 3) FROM ipn_usage m WHERE m.scope = s.scope AND m.period LIKE 'm:%'), ''),
  COALESCE((SELECT m.used FROM ipn_usage m WHERE m.scope = s.scope AND m.period LIKE 'm:%'
            ORDER BY m.period DESC LIMIT 1), 0)
FROM (SELECT DISTINCT scope FROM ipn_usage) s;
DROP TABLE ipn_usage
)SQL";
}

// Every transaction but the completed ones, which are most of them and which
// the reconciler never has to finish (Reconcile's query repeats this
// condition, so that SQLite uses the index). Not "state IN (...the open
// states...)": SQLite evaluates an IN list on every insert at a cost close to
// the index entry it saves (measured).
constexpr const char* kUnfinishedIndex =
    "CREATE INDEX ipn_transactions_unfinished ON ipn_transactions (state, updated_ms) WHERE state <> 'completed'";

// ipn_transactions' columns as migration 1 made them. Migration 10 makes the
// table again from the same text (and migration 3's direct_ms), without the
// UNIQUE it dropped.
constexpr const char* kTransactionColumnDefinitions = R"SQL(
  ir TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  client_request_id TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  state TEXT NOT NULL,
  error_code TEXT NOT NULL,
  amount BIGINT NOT NULL,
  fee BIGINT NOT NULL,
  channel TEXT NOT NULL,
  payer_participant TEXT NOT NULL,
  payer_account TEXT NOT NULL,
  payee_kind TEXT NOT NULL,
  payee_identifier TEXT NOT NULL,
  payee_participant TEXT NOT NULL,
  payee_account TEXT NOT NULL,
  payee_name_ar TEXT NOT NULL,
  payee_name_en TEXT NOT NULL,
  expected_name TEXT NOT NULL,
  note TEXT NOT NULL,
  day_key TEXT NOT NULL,
  month_key TEXT NOT NULL,
  usage_released BIGINT NOT NULL,
  hold_expires_ms BIGINT NOT NULL,
  created_ms BIGINT NOT NULL,
  updated_ms BIGINT NOT NULL)SQL";

// Migration 10: the idempotency key (a user's client request id) is unique
// through an index on (client_request_id, user_id) instead of the table's
// UNIQUE (user_id, client_request_id). Request ids that grow with time (the
// server's own, TimeOrderedId; the web client's "web-<ms>-...") then land on
// the index's last page, which every send of a batch shares; filed under their
// user, each send dirtied a page of its own (1.53 WAL pages a transfer in the
// HTTP bench, of 7.57; docs/api.md, session 10). Only FindRequest reads the
// key, and always with both columns. SQLite cannot drop a table's constraint,
// so there the table is copied into one without it (once, at upgrade);
// PostgreSQL drops the constraint by the name it gave it.
constexpr const char* kTransactionColumns =
    "ir, user_id, client_request_id, request_hash, state, error_code, amount, fee, channel, payer_participant, "
    "payer_account, payee_kind, payee_identifier, payee_participant, payee_account, payee_name_ar, payee_name_en, "
    "expected_name, note, day_key, month_key, usage_released, hold_expires_ms, created_ms, updated_ms, direct_ms";
constexpr const char* kRequestIndex =
    "CREATE UNIQUE INDEX ipn_transactions_request ON ipn_transactions (client_request_id, user_id)";

std::string RequestKeyFirst(bool sqlite) {
  if (!sqlite) {
    return "ALTER TABLE ipn_transactions DROP CONSTRAINT ipn_transactions_user_id_client_request_id_key;\n" +
           std::string(kRequestIndex);
  }
  return std::string(R"SQL(
CREATE TABLE ipn_transactions_keyed ()SQL") + kTransactionColumnDefinitions + R"SQL(,
  direct_ms BIGINT NOT NULL DEFAULT 0
);
INSERT INTO ipn_transactions_keyed ()SQL" + kTransactionColumns + ") SELECT " + kTransactionColumns +
         " FROM ipn_transactions ORDER BY rowid;\n"
         "DROP TABLE ipn_transactions;\n"
         "ALTER TABLE ipn_transactions_keyed RENAME TO ipn_transactions;\n" +
         std::string(kUnfinishedIndex) + ";\n" + kRequestIndex;
}

// Portable dialect (see store/store.h): BIGINT and TEXT, ids chosen by Lahza.
const std::array<store::Migration, 10> kMigrations = {{
    {1, "switch tables", std::string(R"SQL(
CREATE TABLE ipn_participants (
  code TEXT PRIMARY KEY,
  number BIGINT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  name_ar TEXT NOT NULL,
  name_en TEXT NOT NULL
);
CREATE TABLE ipn_counters (
  name TEXT PRIMARY KEY,
  value BIGINT NOT NULL
);
CREATE TABLE ipn_accounts (
  participant TEXT NOT NULL,
  account_number TEXT NOT NULL,
  iban TEXT UNIQUE,
  card_number TEXT UNIQUE,
  name_ar TEXT NOT NULL,
  name_en TEXT NOT NULL,
  mobile TEXT NOT NULL,
  status TEXT NOT NULL,
  ledger_id BIGINT NOT NULL UNIQUE,
  created_ms BIGINT NOT NULL,
  PRIMARY KEY (participant, account_number)
);
CREATE INDEX ipn_accounts_mobile ON ipn_accounts (participant, mobile);
CREATE TABLE ipn_aliases (
  alias TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  participant TEXT NOT NULL,
  account_number TEXT NOT NULL,
  created_ms BIGINT NOT NULL
);
CREATE UNIQUE INDEX ipn_aliases_one_ipa ON ipn_aliases (participant, account_number, kind);
CREATE TABLE ipn_transactions ()SQL") + kTransactionColumnDefinitions + R"SQL(,
  UNIQUE (user_id, client_request_id)
);
CREATE INDEX ipn_transactions_state ON ipn_transactions (state, updated_ms);
CREATE TABLE ipn_timeline (
  ir TEXT NOT NULL,
  seq BIGINT NOT NULL,
  at_ms BIGINT NOT NULL,
  state TEXT NOT NULL,
  event TEXT NOT NULL,
  actor TEXT NOT NULL,
  detail TEXT NOT NULL,
  PRIMARY KEY (ir, seq)
);
CREATE TABLE ipn_usage (
  scope TEXT NOT NULL,
  period TEXT NOT NULL,
  used BIGINT NOT NULL,
  PRIMARY KEY (scope, period)
);
CREATE TABLE ipn_outbox (
  id TEXT PRIMARY KEY,
  ir TEXT NOT NULL,
  kind TEXT NOT NULL,
  participant TEXT NOT NULL,
  account TEXT NOT NULL,
  user_id TEXT NOT NULL,
  amount BIGINT NOT NULL,
  created_ms BIGINT NOT NULL,
  delivered_ms BIGINT
);
CREATE INDEX ipn_outbox_ir ON ipn_outbox (ir);
CREATE TABLE ipn_windows (
  id BIGINT PRIMARY KEY,
  status TEXT NOT NULL,
  opened_ms BIGINT NOT NULL,
  closed_ms BIGINT NOT NULL,
  entries BIGINT NOT NULL
);
CREATE TABLE ipn_settlement_entries (
  ir TEXT NOT NULL,
  kind TEXT NOT NULL,
  window_id BIGINT NOT NULL,
  from_participant TEXT NOT NULL,
  to_participant TEXT NOT NULL,
  amount BIGINT NOT NULL,
  PRIMARY KEY (ir, kind)
);
CREATE INDEX ipn_settlement_entries_window ON ipn_settlement_entries (window_id);
CREATE TABLE ipn_settlement_positions (
  window_id BIGINT NOT NULL,
  participant TEXT NOT NULL,
  sent_count BIGINT NOT NULL,
  sent_amount BIGINT NOT NULL,
  received_count BIGINT NOT NULL,
  received_amount BIGINT NOT NULL,
  net BIGINT NOT NULL,
  PRIMARY KEY (window_id, participant)
)
)SQL"},
    // One row (id 1): the limits and fees an administrator set at run time.
    // Present, it wins over SwitchOptions::policy at the next Open.
    {2, "policy set at run time", R"SQL(
CREATE TABLE ipn_policy (
  id BIGINT PRIMARY KEY,
  body TEXT NOT NULL,
  updated_ms BIGINT NOT NULL
)
)SQL"},
    // When a direct send was decided (0: not a direct send, or one recorded
    // before this column). Such a send's first timeline steps and its first
    // notifications follow from its row (DirectSteps, DirectNotifications)
    // and are not stored: they were six of the rows every send wrote.
    {3, "direct sends' decision time", R"SQL(
ALTER TABLE ipn_transactions ADD COLUMN direct_ms BIGINT NOT NULL DEFAULT 0
)SQL"},
    // A send reserves its amount with two conditional upserts instead of
    // four (one per scope, not per scope and period). Only the latest day and
    // month of each scope are kept: nothing read the older ones.
    {4, "usage windows: one row per scope", UsageWindows(true), UsageWindows(false)},
    // The state index leaves out completed transactions: a direct send,
    // recorded completed, left an entry there that nothing read (one B-tree
    // fewer per send).
    {5, "state index without completed transactions", "DROP INDEX ipn_transactions_state;\n" + std::string(kUnfinishedIndex)},
    // Every direct batch and every step-by-step send finds the open
    // settlement window by its status (direct_send.cc, switch.cc), and
    // windows are never deleted: without an index that read every window
    // ever closed, a cost that grew with the network's age (655 µs a batch
    // with 10,000 windows, measured, for batches of about 1 ms).
    {6, "settlement windows by status", "CREATE INDEX ipn_windows_status ON ipn_windows (status)"},
    // An institution finds a wallet payee's account by mobile number, the
    // lowest account number first (Local::Lookup: "... WHERE participant = $1
    // AND mobile = $2 ORDER BY account_number LIMIT 1"). With the index on
    // (participant, mobile) alone, SQLite preferred walking the primary key
    // in account-number order and reading every account of the provider until
    // one had that mobile: 13.9 ms a lookup with 200,000 wallets, growing with
    // the provider (measured; 5.7 µs with this index, which serves both the
    // filter and the order).
    {7, "accounts by mobile in account-number order",
     "DROP INDEX ipn_accounts_mobile;\n"
     "CREATE INDEX ipn_accounts_mobile ON ipn_accounts (participant, mobile, account_number)"},
    // The operations page's counts, kept with every state change (traffic.cc)
    // instead of read from every transaction on each sample: 450 ms at
    // 334,000 transfers, measured, every 2 s while the page was open. The
    // levels start from the transactions there are; the last minute's ring
    // starts empty.
    {8, "traffic counts", R"SQL(
CREATE TABLE ipn_transfer_counts (
  state TEXT NOT NULL,
  payee_participant TEXT NOT NULL,
  transfers BIGINT NOT NULL,
  PRIMARY KEY (state, payee_participant)
);
INSERT INTO ipn_transfer_counts (state, payee_participant, transfers)
  SELECT state, payee_participant, COUNT(*) FROM ipn_transactions GROUP BY state, payee_participant;
CREATE TABLE ipn_traffic_seconds (
  slot BIGINT PRIMARY KEY,
  second BIGINT NOT NULL,
  recorded BIGINT NOT NULL,
  failures BIGINT NOT NULL
)
)SQL"},
    // Per settlement window and pair of participants, the entries and their
    // sum, kept with the entries (settlement.cc): the window's live report
    // (which the operations page asks for every 2 s) and its close read a row
    // per pair instead of every entry of the window — every transfer of the
    // day, held in memory, and on SQLite read while holding the write lock at
    // close. Filled from the entries already there.
    {9, "settlement flows per window", R"SQL(
CREATE TABLE ipn_window_flows (
  window_id BIGINT NOT NULL,
  from_participant TEXT NOT NULL,
  to_participant TEXT NOT NULL,
  entries BIGINT NOT NULL,
  amount BIGINT NOT NULL,
  PRIMARY KEY (window_id, from_participant, to_participant)
);
INSERT INTO ipn_window_flows (window_id, from_participant, to_participant, entries, amount)
  SELECT window_id, from_participant, to_participant, COUNT(*), SUM(amount) FROM ipn_settlement_entries
  GROUP BY window_id, from_participant, to_participant
)SQL"},
    {10, "idempotency key by request id first", RequestKeyFirst(true), RequestKeyFirst(false)},
}};

// Decodes UTF-8 leniently: a malformed byte becomes U+FFFD, never a crash.
std::u32string Decode(std::string_view s) {
  std::u32string out = DecodeUtf8(s);
  for (char32_t& c : out) {
    if (c == kInvalidCodePoint) c = 0xFFFD;
  }
  return out;
}

bool IsSpace(char32_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0xA0; }

}  // namespace

Status MigrateIpn(store::Store& store, int up_to) { return store::Migrate(store, "ipn", kMigrations, up_to); }

std::string NormaliseName(std::string_view name) {
  std::string out;
  bool pending_space = false;
  for (char32_t c : Decode(name)) {
    if (IsSpace(c)) {
      pending_space = !out.empty();
      continue;
    }
    if ((c >= 0x064B && c <= 0x0652) || c == 0x0640) continue;  // harakat, tatweel
    if (c == 0x0622 || c == 0x0623 || c == 0x0625) c = 0x0627;   // alef forms -> bare alef
    if (c == 0x0629) c = 0x0647;                                 // ta marbuta -> ha
    if (c == 0x0649) c = 0x064A;                                 // alef maqsura -> ya
    if (c >= 'A' && c <= 'Z') c = c - 'A' + 'a';
    if (c == '.' || c == ',' || c == '-') continue;
    if (pending_space) out.push_back(' ');
    pending_space = false;
    AppendUtf8(out, c);
  }
  return out;
}

std::string MaskName(std::string_view name) {
  std::string out;
  bool first_word = true;
  std::u32string word;
  auto flush = [&] {
    if (word.empty()) return;
    if (!out.empty()) out.push_back(' ');
    // The first name shows two letters, the others one: enough for a payer to
    // recognise the person, not enough to harvest names by enumeration.
    size_t shown = first_word ? 2 : 1;
    for (size_t i = 0; i < word.size(); ++i) {
      if (i < shown) AppendUtf8(out, word[i]);
      else out.push_back('*');
    }
    first_word = false;
    word.clear();
  };
  for (char32_t c : Decode(name)) {
    if (IsSpace(c)) flush();
    else word.push_back(c);
  }
  flush();
  return out;
}

}  // namespace lahza::ipn::internal
