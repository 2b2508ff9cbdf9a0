// The case service: storage, the customer's and the agent's actions, merging
// of duplicates, the transfer freeze and the SLA report.
//
// Shape of every change: one write transaction loads the case row (locked),
// changes it in memory (a Record collects the new history entries, messages
// and attachments), and saves it. The switch is never called inside a care
// transaction: on SQLite a write transaction holds the whole database, and the
// switch's reconciliation needs to write too — so diagnosis runs between two
// care transactions.
#include "care/cases.h"

#include <algorithm>
#include <cassert>
#include <nlohmann/json.hpp>

#include "care/arabic.h"
#include "care/case_internal.h"
#include "care/diagnosis.h"
#include "core/ir_reference.h"

namespace lahza::care {

using store::Mode;
using store::Null;
using store::Row;
using store::Transaction;
using store::Value;

namespace {

int64_t Seconds(Instant t) { return t.time_since_epoch().count(); }
Instant At(int64_t seconds) { return Instant(std::chrono::seconds(seconds)); }
Value OptionalInt(const std::optional<int64_t>& v) { return v ? Value(*v) : Value(Null{}); }
Value OptionalTime(const std::optional<Instant>& v) { return v ? Value(Seconds(*v)) : Value(Null{}); }
std::optional<int64_t> IntOrNone(const Value& v) {
  if (store::IsNull(v)) return std::nullopt;
  return store::AsInt(v);
}

const std::vector<store::Migration>& Migrations() {
  static const std::vector<store::Migration> migrations = {
      {1, "cases",
       "CREATE TABLE care_cases ("
       " id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, customer_name TEXT NOT NULL,"
       " customer_mobile TEXT NOT NULL, customer_national_id TEXT NOT NULL,"
       " category TEXT NOT NULL, party TEXT NOT NULL, bank_code TEXT NOT NULL, queue TEXT NOT NULL,"
       " status TEXT NOT NULL, priority TEXT NOT NULL, ir_reference TEXT NOT NULL, description TEXT NOT NULL,"
       " tx_at BIGINT, tx_amount BIGINT, tx_counterparty TEXT,"
       " missing TEXT NOT NULL, recommended TEXT NOT NULL, agent_id TEXT NOT NULL,"
       " created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, due_at BIGINT NOT NULL, paused_at BIGINT,"
       " resolved_at BIGINT, resolution TEXT NOT NULL, resolved_by TEXT NOT NULL, merged_into TEXT NOT NULL,"
       " diagnosis_outcome TEXT NOT NULL, diagnosis_ar TEXT NOT NULL, diagnosis_en TEXT NOT NULL,"
       " diagnosis_final BIGINT NOT NULL, next_seq BIGINT NOT NULL);"
       "CREATE INDEX care_cases_customer ON care_cases (customer_id, created_at);"
       "CREATE INDEX care_cases_queue ON care_cases (queue, status);"
       "CREATE INDEX care_cases_party ON care_cases (party, status);"
       "CREATE INDEX care_cases_ir ON care_cases (customer_id, ir_reference);"
       "CREATE TABLE care_case_history (case_id TEXT NOT NULL, seq BIGINT NOT NULL, at BIGINT NOT NULL,"
       " actor TEXT NOT NULL, action TEXT NOT NULL, detail TEXT NOT NULL, PRIMARY KEY (case_id, seq));"
       "CREATE TABLE care_case_messages (case_id TEXT NOT NULL, seq BIGINT NOT NULL, at BIGINT NOT NULL,"
       " author TEXT NOT NULL, body TEXT NOT NULL, internal BIGINT NOT NULL, PRIMARY KEY (case_id, seq));"
       // Screenshots live in the database as base64 TEXT: both backends store
       // it the same way, backups and replicas carry it, and the 2 MiB cap
       // keeps rows sane. (A file store would need its own durability story.)
       "CREATE TABLE care_case_attachments (id TEXT PRIMARY KEY, case_id TEXT NOT NULL, seq BIGINT NOT NULL,"
       " media_type TEXT NOT NULL, filename TEXT NOT NULL, size BIGINT NOT NULL, uploaded_at BIGINT NOT NULL,"
       " uploaded_by TEXT NOT NULL, data_base64 TEXT NOT NULL);"
       "CREATE INDEX care_case_attachments_case ON care_case_attachments (case_id);"
       // One row per customer ever frozen; frozen while lifted_at IS NULL.
       "CREATE TABLE care_transfer_freezes (customer_id TEXT PRIMARY KEY, case_id TEXT NOT NULL,"
       " frozen_at BIGINT NOT NULL, lifted_at BIGINT, lifted_by TEXT NOT NULL)"},
      // One row per customer who ever had a case about a transfer; see
      // LockCustomer.
      {2, "case_customer_locks",
       "CREATE TABLE care_case_customer_locks (customer_id TEXT PRIMARY KEY, uses BIGINT NOT NULL)"},
  };
  return migrations;
}

constexpr const char* kColumns[] = {
    "id", "customer_id", "customer_name", "customer_mobile", "customer_national_id", "category", "party",
    "bank_code", "queue", "status", "priority", "ir_reference", "description", "tx_at", "tx_amount",
    "tx_counterparty", "missing", "recommended", "agent_id", "created_at", "updated_at", "due_at", "paused_at",
    "resolved_at", "resolution", "resolved_by", "merged_into", "diagnosis_outcome", "diagnosis_ar",
    "diagnosis_en", "diagnosis_final", "next_seq"};
constexpr size_t kColumnCount = std::size(kColumns);

std::string SelectList() {
  std::string list;
  for (const char* column : kColumns) {
    if (!list.empty()) list += ", ";
    list += column;
  }
  return list;
}

const std::string& InsertSql() {
  static const std::string sql = [] {
    std::string values;
    for (size_t i = 1; i <= kColumnCount; ++i) values += (i > 1 ? ", $" : "$") + std::to_string(i);
    return "INSERT INTO care_cases (" + SelectList() + ") VALUES (" + values + ")";
  }();
  return sql;
}

const std::string& UpdateSql() {
  static const std::string sql = [] {
    std::string sets;
    for (size_t i = 1; i < kColumnCount; ++i) {
      if (i > 1) sets += ", ";
      sets += std::string(kColumns[i]) + " = $" + std::to_string(i + 1);
    }
    return "UPDATE care_cases SET " + sets + " WHERE id = $1";
  }();
  return sql;
}

bool IsActive(CaseStatus status) {
  return status == CaseStatus::kOpen || status == CaseStatus::kWaitingCustomer ||
         status == CaseStatus::kInProgress || status == CaseStatus::kEscalated;
}

constexpr const char* kActiveStatuses = "('open', 'waiting_customer', 'in_progress', 'escalated')";

// A case as loaded for a change, plus what the change adds.
struct Record {
  Case c;
  int64_t next_seq = 1;
  std::optional<Instant> paused_at;
  std::vector<HistoryEntry> new_history;
  std::vector<CaseMessage> new_messages;
  struct NewAttachment {
    AttachmentInfo info;
    std::string base64;
    int64_t seq = 0;  // upload order
  };
  std::vector<NewAttachment> new_attachments;
  int existing_attachments = 0;

  void Log(Instant at, std::string actor, std::string action, std::string detail) {
    new_history.push_back(HistoryEntry{next_seq++, at, std::move(actor), std::move(action), std::move(detail)});
  }
  void Say(Instant at, std::string author, std::string body, bool internal) {
    new_messages.push_back(CaseMessage{next_seq++, at, author, std::move(body), internal});
    Log(at, std::move(author), internal ? "note" : "message", "");
  }
};

Row ToRow(const Record& r) {
  const Case& c = r.c;
  const DiagnosisSummary* d = c.diagnosis ? &*c.diagnosis : nullptr;
  return Row{c.id,
             c.customer_id,
             c.customer.name,
             c.customer.mobile,
             c.customer.national_id_masked,
             std::string(ToString(c.category)),
             std::string(ToString(c.party)),
             c.bank_code,
             c.queue,
             std::string(ToString(c.status)),
             std::string(ToString(c.priority)),
             c.ir_reference,
             c.description,
             OptionalTime(c.transaction.at),
             OptionalInt(c.transaction.amount_piastres),
             c.transaction.counterparty ? Value(*c.transaction.counterparty) : Value(Null{}),
             internal::JoinItems(c.missing),
             internal::JoinItems(c.recommended),
             c.agent_id,
             Seconds(c.created_at),
             Seconds(c.updated_at),
             Seconds(c.due_at),
             OptionalTime(r.paused_at),
             OptionalTime(c.resolved_at),
             c.resolution,
             c.resolved_by,
             c.merged_into,
             d ? d->outcome : std::string(),
             d ? d->explanation.ar : std::string(),
             d ? d->explanation.en : std::string(),
             int64_t{d && d->final ? 1 : 0},
             r.next_seq};
}

Record FromRow(const Row& row) {
  assert(row.size() == kColumnCount);
  Record r;
  Case& c = r.c;
  auto text = [&](size_t i) { return store::AsText(row[i]); };
  c.id = text(0);
  c.customer_id = text(1);
  c.customer = CustomerSummary{text(2), text(3), text(4)};
  c.category = ParseCategory(text(5)).value_or(Category::kOther);
  c.party = ParseParty(text(6)).value_or(Party::kAppSupport);
  c.bank_code = text(7);
  c.queue = text(8);
  c.status = ParseCaseStatus(text(9)).value_or(CaseStatus::kOpen);
  c.priority = ParsePriority(text(10)).value_or(Priority::kNormal);
  c.ir_reference = text(11);
  c.description = text(12);
  if (auto at = IntOrNone(row[13])) c.transaction.at = At(*at);
  c.transaction.amount_piastres = IntOrNone(row[14]);
  if (!store::IsNull(row[15])) c.transaction.counterparty = text(15);
  c.missing = internal::SplitItems(text(16));
  c.recommended = internal::SplitItems(text(17));
  c.agent_id = text(18);
  c.created_at = At(store::AsInt(row[19]));
  c.updated_at = At(store::AsInt(row[20]));
  c.due_at = At(store::AsInt(row[21]));
  if (auto paused = IntOrNone(row[22])) r.paused_at = At(*paused);
  if (auto resolved = IntOrNone(row[23])) c.resolved_at = At(*resolved);
  c.resolution = text(24);
  c.resolved_by = text(25);
  c.merged_into = text(26);
  if (!text(27).empty()) {
    c.diagnosis = DiagnosisSummary{text(27), Message{text(28), text(29)}, store::AsInt(row[30]) != 0};
  }
  r.next_seq = store::AsInt(row[31]);
  return r;
}

CaseListItem ToListItem(const Case& c) {
  return CaseListItem{c.id,       c.customer_id, c.category,   c.status,     c.priority,
                      c.queue,    c.agent_id,    c.ir_reference, c.created_at, c.updated_at, c.due_at};
}

std::string CustomerActor(std::string_view id) { return "customer:" + std::string(id); }
std::string AgentActor(const Agent& agent) { return "agent:" + agent.id; }

// Valid UTF-8 without control characters (NUL above all: PostgreSQL refuses
// it in TEXT), line breaks and tabs kept, trimmed.
std::string Clean(std::string_view text) {
  std::string out = SanitiseUtf8(text);
  std::erase_if(out, [](char ch) {
    auto byte = static_cast<unsigned char>(ch);
    return (byte < 0x20 && ch != '\n' && ch != '\t') || byte == 0x7F;
  });
  return internal::Trim(out);
}

}  // namespace

Message MissingItemsRequest(const std::vector<std::string>& items) {
  std::string ar, en;
  for (const std::string& item : items) {
    Message m = MessageFor("care.case_item." + item);
    ar += (ar.empty() ? "" : "، ") + m.ar;
    en += (en.empty() ? "" : "; ") + m.en;
  }
  Message base = MessageFor("care.case_ask_missing");
  return Message{Format(base, {{"items", ar}}).ar, Format(base, {{"items", en}}).en};
}

struct CaseService::Impl {
  store::Store& store;
  const Clock& clock;
  Diagnoser* diagnoser;
  CaseOptions options;

  Instant Now() const { return clock.Now(); }

  // ---- validation of what people send ----

  Status CheckText(std::string_view text) const {
    if (text.size() > options.max_text_bytes) return Error("care.text_too_long", std::to_string(text.size()));
    return {};
  }

  // The canonical "IR" + 20 digits; a mistyped reference is refused here
  // (ir.* errors) before it can be stored or looked up.
  Result<std::string> CheckIr(std::string_view raw) const {
    if (internal::Trim(raw).empty()) return std::string();
    auto ir = IrReference::Parse(raw);
    if (!ir.ok()) return ir.error();
    return ir->str();
  }

  Status CheckBank(std::string_view code) const {
    if (code.empty()) return {};
    if (!internal::IsParticipantCode(code) || (diagnoser && !diagnoser->KnownParticipant(code))) {
      return Error("care.unknown_bank", std::string(code));
    }
    return {};
  }

  Status CheckTransaction(const TransactionDetails& t) const {
    if (t.amount_piastres && *t.amount_piastres <= 0) return Error("care.invalid_amount");
    if (t.counterparty && t.counterparty->size() > 200) return Error("care.text_too_long", "counterparty");
    return {};
  }

  // Checks and encodes uploads for `r` (which already holds
  // r.existing_attachments of them).
  Status AddUploads(Record& r, const std::vector<Upload>& uploads, const std::string& by, Instant now) const {
    if (r.existing_attachments + static_cast<int>(uploads.size()) > options.max_attachments_per_case) {
      return Error("care.too_many_attachments");
    }
    for (const Upload& upload : uploads) {
      auto type = internal::SniffImage(upload.bytes, options.max_attachment_bytes);
      if (!type.ok()) return type.error();
      std::string filename = Clean(upload.filename).substr(0, 120);
      AttachmentInfo info{internal::NewAttachmentId(), *type, filename, static_cast<int64_t>(upload.bytes.size()),
                          now, by};
      int64_t seq = r.next_seq;
      r.Log(now, by, "attachment", info.id + " " + info.media_type + " " + std::to_string(info.size) + " bytes");
      r.c.attachments.push_back(info);
      r.new_attachments.push_back({std::move(info), internal::Base64Encode(upload.bytes), seq});
    }
    r.existing_attachments += static_cast<int>(uploads.size());
    return {};
  }

  // ---- status, SLA pause and required information ----

  void SetStatus(Record& r, CaseStatus next, Instant now, const std::string& actor, std::string why) const {
    CaseStatus before = r.c.status;
    if (before == next) return;
    // Time spent waiting for the customer does not count against the SLA.
    if (before == CaseStatus::kWaitingCustomer && r.paused_at) {
      r.c.due_at += now - *r.paused_at;
      r.paused_at.reset();
    }
    if (next == CaseStatus::kWaitingCustomer) r.paused_at = now;
    if (next == CaseStatus::kResolved) r.c.resolved_at = now;
    if (before == CaseStatus::kResolved && next != CaseStatus::kClosed) {
      r.c.resolved_at.reset();
      r.c.resolution.clear();
      r.c.resolved_by.clear();
    }
    r.c.status = next;
    std::string detail = std::string(ToString(before)) + " -> " + std::string(ToString(next));
    if (!why.empty()) detail += ": " + why;
    r.Log(now, actor, "status", std::move(detail));
  }

  // Recomputes missing/recommended items and moves between waiting_customer
  // and the queue accordingly (only while the case is active).
  void Recheck(Record& r, Instant now, const std::string& actor) const {
    bool will_diagnose = diagnoser != nullptr && !(r.c.diagnosis && r.c.diagnosis->outcome == "not_found");
    std::vector<std::string> missing = internal::MissingItems(r.c, will_diagnose);
    // An IR reference the switch could not find must be corrected, unless the
    // details suffice to find the transaction another way.
    if (r.c.diagnosis && r.c.diagnosis->outcome == "not_found" && IsMoneyCategory(r.c.category) &&
        !missing.empty() && std::find(missing.begin(), missing.end(), "ir_reference") == missing.end()) {
      missing.insert(missing.begin(), "ir_reference");
    }
    r.c.recommended = internal::RecommendedItems(r.c, r.existing_attachments);
    if (!IsActive(r.c.status)) return;
    if (missing != r.c.missing) {
      if (!missing.empty()) r.Log(now, "system", "missing", internal::JoinItems(missing));
      r.c.missing = missing;
    }
    if (!missing.empty()) {
      SetStatus(r, CaseStatus::kWaitingCustomer, now, actor, "information missing");
    } else if (r.c.status == CaseStatus::kWaitingCustomer) {
      SetStatus(r, r.c.agent_id.empty() ? CaseStatus::kOpen : CaseStatus::kInProgress, now, actor,
                "information complete");
    }
  }

  void Route(Record& r, Instant now, const std::string& actor) const {
    std::string queue = internal::QueueFor(r.c.party, r.c.bank_code);
    if (queue == r.c.queue) return;
    r.Log(now, actor, "routed", r.c.queue.empty() ? queue : r.c.queue + " -> " + queue);
    r.c.queue = std::move(queue);
  }

  // ---- storage ----

  Result<std::optional<Record>> Load(Transaction& tx, std::string_view id, bool for_update) const {
    std::string sql = "SELECT " + SelectList() + " FROM care_cases WHERE id = $1";
    if (for_update) sql += " FOR UPDATE";
    const Value params[] = {std::string(id)};
    auto rows = tx.Execute(sql, params);
    if (!rows.ok()) return rows.error();
    if (rows->rows.empty()) return std::optional<Record>();
    Record r = FromRow(rows->rows[0]);
    const Value count_params[] = {r.c.id};
    auto count = tx.Execute("SELECT COUNT(*) FROM care_case_attachments WHERE case_id = $1", count_params);
    if (!count.ok()) return count.error();
    r.existing_attachments = static_cast<int>(store::AsInt(count->rows[0][0]));
    return std::optional<Record>(std::move(r));
  }

  Status Save(Transaction& tx, Record& r, bool insert, Instant now) const {
    r.c.updated_at = now;
    Row row = ToRow(r);
    auto done = tx.Execute(insert ? InsertSql() : UpdateSql(), row);
    if (!done.ok()) return done.error();
    for (const HistoryEntry& h : r.new_history) {
      const Value p[] = {r.c.id, h.seq, Seconds(h.at), h.actor, h.action, h.detail};
      LAHZA_TRY(tx.Execute("INSERT INTO care_case_history (case_id, seq, at, actor, action, detail) "
                           "VALUES ($1, $2, $3, $4, $5, $6)",
                           p));
    }
    for (const CaseMessage& m : r.new_messages) {
      const Value p[] = {r.c.id, m.seq, Seconds(m.at), m.author, m.body, int64_t{m.internal ? 1 : 0}};
      LAHZA_TRY(tx.Execute("INSERT INTO care_case_messages (case_id, seq, at, author, body, internal) "
                           "VALUES ($1, $2, $3, $4, $5, $6)",
                           p));
    }
    for (const auto& a : r.new_attachments) {
      const Value p[] = {a.info.id,  r.c.id, a.seq, a.info.media_type, a.info.filename, a.info.size,
                         Seconds(a.info.uploaded_at), a.info.uploaded_by, a.base64};
      LAHZA_TRY(tx.Execute("INSERT INTO care_case_attachments (id, case_id, seq, media_type, filename, size, "
                           "uploaded_at, uploaded_by, data_base64) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                           p));
    }
    r.new_history.clear();
    r.new_messages.clear();
    r.new_attachments.clear();
    return {};
  }

  // The full case for display; `customer_view` hides internal notes.
  Result<Case> Read(std::string_view id, bool customer_view) const {
    auto begun = store.Begin(Mode::kRead);
    if (!begun.ok()) return begun.error();
    Transaction& tx = **begun;
    auto loaded = Load(tx, id, false);
    if (!loaded.ok()) return loaded.error();
    if (!*loaded) return Error("care.case_not_found");
    Case c = std::move((*loaded)->c);
    const Value p[] = {c.id};
    auto history = tx.Execute(
        "SELECT seq, at, actor, action, detail FROM care_case_history WHERE case_id = $1 ORDER BY seq", p);
    if (!history.ok()) return history.error();
    for (const Row& row : history->rows) {
      HistoryEntry h{store::AsInt(row[0]), At(store::AsInt(row[1])), store::AsText(row[2]), store::AsText(row[3]),
                     store::AsText(row[4])};
      if (customer_view && h.action == "note") continue;
      c.history.push_back(std::move(h));
    }
    auto messages = tx.Execute(
        "SELECT seq, at, author, body, internal FROM care_case_messages WHERE case_id = $1 ORDER BY seq", p);
    if (!messages.ok()) return messages.error();
    for (const Row& row : messages->rows) {
      CaseMessage m{store::AsInt(row[0]), At(store::AsInt(row[1])), store::AsText(row[2]), store::AsText(row[3]),
                    store::AsInt(row[4]) != 0};
      if (customer_view && m.internal) continue;
      c.messages.push_back(std::move(m));
    }
    auto attachments = tx.Execute(
        "SELECT id, media_type, filename, size, uploaded_at, uploaded_by FROM care_case_attachments "
        "WHERE case_id = $1 ORDER BY uploaded_at, seq, id",
        p);
    if (!attachments.ok()) return attachments.error();
    for (const Row& row : attachments->rows) {
      c.attachments.push_back(AttachmentInfo{store::AsText(row[0]), store::AsText(row[1]), store::AsText(row[2]),
                                             store::AsInt(row[3]), At(store::AsInt(row[4])),
                                             store::AsText(row[5])});
    }
    const Value f[] = {c.id};
    auto freeze = tx.Execute("SELECT 1 FROM care_transfer_freezes WHERE case_id = $1 AND lifted_at IS NULL", f);
    if (!freeze.ok()) return freeze.error();
    c.transfers_frozen = !freeze->rows.empty();
    return c;
  }

  // Serialises duplicate detection per customer until `tx` ends. On
  // PostgreSQL (READ COMMITTED) two transactions opening a case about the
  // same IR at once would each see only their own new row and both commit;
  // the upsert makes the second wait for the first's commit, after which its
  // next statement sees the first case and merges. (SQLite's write
  // transactions are serial already.)
  Status LockCustomer(Transaction& tx, const std::string& customer_id) const {
    const Value p[] = {customer_id};
    auto locked = tx.Execute(
        "INSERT INTO care_case_customer_locks (customer_id, uses) VALUES ($1, 1) "
        "ON CONFLICT (customer_id) DO UPDATE SET uses = care_case_customer_locks.uses + 1",
        p);
    if (!locked.ok()) return locked.error();
    return {};
  }

  // Merges every other active case of `customer_id` about `ir` into the
  // oldest one; returns the survivor's id (empty when there is none).
  Result<std::string> MergeDuplicates(Transaction& tx, const std::string& customer_id, const std::string& ir,
                                      Instant now) const {
    if (ir.empty()) return std::string();
    LAHZA_TRY(LockCustomer(tx, customer_id));
    const Value p[] = {customer_id, ir};
    auto rows = tx.Execute(std::string("SELECT id FROM care_cases WHERE customer_id = $1 AND ir_reference = $2 "
                                       "AND merged_into = '' AND status IN ") +
                               kActiveStatuses + " ORDER BY created_at, id FOR UPDATE",
                           p);
    if (!rows.ok()) return rows.error();
    if (rows->rows.empty()) return std::string();
    std::string survivor_id = store::AsText(rows->rows[0][0]);
    if (rows->rows.size() == 1) return survivor_id;
    auto survivor = Load(tx, survivor_id, true);
    if (!survivor.ok()) return survivor.error();
    Record& s = **survivor;
    for (size_t i = 1; i < rows->rows.size(); ++i) {
      auto dup_loaded = Load(tx, store::AsText(rows->rows[i][0]), true);
      if (!dup_loaded.ok()) return dup_loaded.error();
      Record& d = **dup_loaded;
      // The older case takes what the newer one adds: the customer's words,
      // transaction details it lacked, and the screenshots.
      if (!d.c.description.empty()) s.Say(now, CustomerActor(customer_id), d.c.description, false);
      TransactionDetails& t = s.c.transaction;
      if (!t.at) t.at = d.c.transaction.at;
      if (!t.amount_piastres) t.amount_piastres = d.c.transaction.amount_piastres;
      if (!t.counterparty) t.counterparty = d.c.transaction.counterparty;
      if (s.c.bank_code.empty() && !d.c.bank_code.empty()) s.c.bank_code = d.c.bank_code;
      const Value move[] = {s.c.id, d.c.id};
      auto moved = tx.Execute("UPDATE care_case_attachments SET case_id = $1 WHERE case_id = $2", move);
      if (!moved.ok()) return moved.error();
      s.existing_attachments += static_cast<int>(moved->affected);
      if (static_cast<int>(d.c.priority) > static_cast<int>(s.c.priority)) s.c.priority = d.c.priority;
      s.Log(now, "system", "merged", d.c.id + " (same IR reference " + ir + ") became part of this case");
      d.c.merged_into = s.c.id;
      d.c.missing.clear();
      SetStatus(d, CaseStatus::kClosed, now, "system", "duplicate of " + s.c.id);
      d.Log(now, "system", "merged_into", s.c.id);
      LAHZA_TRY(Save(tx, d, false, now));
    }
    Route(s, now, "system");
    Recheck(s, now, "system");
    LAHZA_TRY(Save(tx, s, false, now));
    return survivor_id;
  }

  // Runs `change` on case `id` in one write transaction, retrying when the
  // store reports contention.
  template <class Change>
  Result<std::string> Mutate(std::string_view id, Change change) const {
    for (int attempt = 0;; ++attempt) {
      auto begun = store.Begin(Mode::kWrite);
      if (!begun.ok()) return begun.error();
      Transaction& tx = **begun;
      auto loaded = Load(tx, id, true);
      if (!loaded.ok()) return loaded.error();
      if (!*loaded) return Error("care.case_not_found");
      Record& r = **loaded;
      Result<std::string> result = change(tx, r);
      if (result.ok()) {
        Status committed = tx.Commit();
        if (committed.ok()) return result;
        if (committed.error().code != "store.busy" || attempt >= 4) return committed.error();
        continue;
      }
      if (result.error().code != "store.busy" || attempt >= 4) return result.error();
    }
  }

  // Asks the switch about the case's IR reference and applies the answer.
  // Never inside a care transaction (see the top of this file).
  Status DiagnoseCase(const std::string& id) const {
    if (diagnoser == nullptr) return {};
    auto current = Read(id, false);
    if (!current.ok()) return current.error();
    if (current->ir_reference.empty() || !IsActive(current->status) || !current->merged_into.empty()) return {};
    std::string ir = current->ir_reference;
    auto diagnosis = diagnoser->Diagnose(ir, current->customer_id, current->customer.mobile);
    if (!diagnosis.ok()) return diagnosis.error();
    auto applied = Mutate(id, [&](Transaction& tx, Record& r) -> Result<std::string> {
      // The customer may have changed the reference meanwhile; that change
      // brings its own diagnosis.
      if (r.c.ir_reference != ir || !IsActive(r.c.status)) return r.c.id;
      // Nothing new (a periodic refresh of a still-open transfer): no entry.
      if (r.c.diagnosis && r.c.diagnosis->outcome == ToString(diagnosis->outcome) &&
          r.c.diagnosis->explanation.en == diagnosis->explanation.en) {
        return r.c.id;
      }
      ApplyDiagnosis(r, *diagnosis, Now());
      LAHZA_TRY(Save(tx, r, false, Now()));
      return r.c.id;
    });
    if (!applied.ok()) return applied.error();
    return {};
  }

  void ApplyDiagnosis(Record& r, const Diagnosis& d, Instant now) const {
    r.c.diagnosis = DiagnosisSummary{std::string(ToString(d.outcome)), d.explanation, d.final};
    std::string detail = std::string(ToString(d.outcome)) + (d.reconciled_now ? " (reconciliation run now)" : "") +
                         ": " + d.explanation.en;
    r.Log(now, "system", "diagnosis", detail);
    if (d.outcome == Outcome::kNotFound) {
      Recheck(r, now, "system");
      return;
    }
    // The money's bank is the payer's: that is where a bank case goes.
    if (r.c.bank_code.empty() && !d.payer_bank.empty() && r.c.party != Party::kAppSupport) {
      r.c.bank_code = d.payer_bank;
      r.Log(now, "system", "bank", d.payer_bank + " (from the transaction)");
    }
    if (!r.c.transaction.amount_piastres && d.amount_piastres > 0) r.c.transaction.amount_piastres = d.amount_piastres;
    if (!r.c.transaction.at && d.initiated_at) r.c.transaction.at = d.initiated_at;
    if (d.outcome == Outcome::kDebitedOpen && r.c.priority == Priority::kNormal) r.c.priority = Priority::kHigh;
    // Only money problems are answered by the transaction's state: for a
    // security case a "completed" transfer is the problem, not the answer.
    if (d.final && IsMoneyCategory(r.c.category)) {
      r.c.missing.clear();
      r.c.resolution = d.explanation.en;
      r.c.resolved_by = "system";
      SetStatus(r, CaseStatus::kResolved, now, "system", "answered by the transaction's final state");
      r.Say(now, "system", d.explanation.ar + "\n\n" + d.explanation.en, false);
      return;
    }
    Route(r, now, "system");
    Recheck(r, now, "system");
  }

  // ---- access ----

  static bool AgentSees(const Agent& agent, const Case& c) {
    if (c.queue == agent.queue()) return true;
    // "Both" cases concern the app's support too, wherever they are queued.
    return agent.is_app() && c.party == Party::kBoth;
  }

  Result<Case> ReadForCustomer(std::string_view customer_id, std::string_view case_id) const {
    if (!IsValidCaseId(case_id)) return Error("care.case_not_found");
    auto c = Read(case_id, true);
    if (!c.ok()) return c.error();
    // Someone else's case does not exist, as far as this customer can tell.
    if (c->customer_id != customer_id) return Error("care.case_not_found");
    return c;
  }

  Result<Case> ReadForAgent(const Agent& agent, std::string_view case_id) const {
    if (!IsValidCaseId(case_id)) return Error("care.case_not_found");
    auto c = Read(case_id, false);
    if (!c.ok()) return c.error();
    if (!AgentSees(agent, *c)) return Error("care.case_not_found");
    return c;
  }

  // An agent's change: visibility checked on the locked row.
  template <class Change>
  Result<Case> AgentChange(const Agent& agent, std::string_view case_id, Change change) const {
    if (agent.id.empty()) return Error("care.forbidden", "no agent");
    if (!IsValidCaseId(case_id)) return Error("care.case_not_found");
    auto done = Mutate(case_id, [&](Transaction& tx, Record& r) -> Result<std::string> {
      if (!AgentSees(agent, r.c)) return Error("care.case_not_found");
      if (r.c.status == CaseStatus::kClosed) return Error("care.case_closed");
      Instant now = Now();
      LAHZA_TRY(change(tx, r, now));
      LAHZA_TRY(Save(tx, r, false, now));
      return r.c.id;
    });
    if (!done.ok()) return done.error();
    return Read(*done, false);
  }
};

// ---- construction ----

CaseService::CaseService(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CaseService::~CaseService() = default;

Result<std::unique_ptr<CaseService>> CaseService::Create(store::Store& store, const Clock& clock,
                                                          Diagnoser* diagnoser, CaseOptions options) {
  LAHZA_TRY(store::Migrate(store, "care_cases", Migrations()));
  auto impl = std::make_unique<Impl>(Impl{store, clock, diagnoser, options});
  return std::unique_ptr<CaseService>(new CaseService(std::move(impl)));
}

// ---- customer side ----

Result<Case> CaseService::Open(const NewCase& request) {
  Impl& s = *impl_;
  if (request.customer_id.empty()) return Error("care.customer_required");
  std::string description = Clean(request.description);
  LAHZA_TRY(s.CheckText(description));
  auto ir = s.CheckIr(request.ir_reference);
  if (!ir.ok()) return ir.error();
  LAHZA_TRY(s.CheckBank(request.bank_code));
  LAHZA_TRY(s.CheckTransaction(request.transaction));

  Instant now = s.Now();
  Record r;
  Case& c = r.c;
  c.customer_id = request.customer_id;
  c.customer = CustomerSummary{Clean(request.customer.name), Clean(request.customer.mobile),
                               Clean(request.customer.national_id_masked)};
  c.category = request.category;
  c.party = request.party.value_or(ResponsibleParty(request.category));
  c.bank_code = request.bank_code;
  c.priority = request.priority.value_or(internal::DefaultPriority(request.category));
  c.status = CaseStatus::kOpen;
  c.ir_reference = *ir;
  c.description = description;
  c.transaction = request.transaction;
  if (c.transaction.counterparty) c.transaction.counterparty = Clean(*c.transaction.counterparty);
  c.created_at = c.updated_at = now;
  c.due_at = now + s.options.sla.For(c.category);
  std::string actor = CustomerActor(c.customer_id);
  LAHZA_TRY(s.AddUploads(r, request.attachments, actor, now));
  r.Log(now, actor, "created",
        std::string(ToString(c.category)) + ", " + std::string(ToString(c.party)) +
            (c.ir_reference.empty() ? "" : ", IR " + c.ir_reference));
  s.Route(r, now, "system");
  s.Recheck(r, now, "system");

  std::string survivor;
  for (int attempt = 0;; ++attempt) {
    c.id = internal::NewCaseId();
    auto begun = s.store.Begin(Mode::kWrite);
    if (!begun.ok()) return begun.error();
    Transaction& tx = **begun;
    Record attempt_record = r;  // Save() consumes the pending entries
    Status saved = s.Save(tx, attempt_record, true, now);
    if (!saved.ok()) {
      // A colliding id (one in a billion) or contention: try again.
      bool retry = saved.error().code == "store.conflict" || saved.error().code == "store.busy";
      if (retry && attempt < 5) continue;
      return saved.error();
    }
    auto merged = s.MergeDuplicates(tx, c.customer_id, c.ir_reference, now);
    if (!merged.ok()) {
      // A deadlock with a concurrent update of another case (reported as
      // busy): nothing was written, start over.
      if (merged.error().code == "store.busy" && attempt < 5) continue;
      return merged.error();
    }
    Status committed = tx.Commit();
    if (!committed.ok()) {
      if (committed.error().code == "store.busy" && attempt < 5) continue;
      return committed.error();
    }
    survivor = merged->empty() ? c.id : *merged;
    break;
  }
  // A failing switch must not lose the case: it stays queued for a person,
  // and the failure is in its history.
  Status diagnosed = s.DiagnoseCase(survivor);
  if (!diagnosed.ok()) {
    (void)s.Mutate(survivor, [&](Transaction& tx, Record& rec) -> Result<std::string> {
      rec.Log(s.Now(), "system", "diagnosis_failed", diagnosed.error().code + " " + diagnosed.error().detail);
      LAHZA_TRY(s.Save(tx, rec, false, s.Now()));
      return rec.c.id;
    });
  }
  return s.Read(survivor, true);
}

Result<Case> CaseService::GetForCustomer(std::string_view customer_id, std::string_view case_id) {
  return impl_->ReadForCustomer(customer_id, case_id);
}

Result<std::vector<CaseListItem>> CaseService::ListForCustomer(std::string_view customer_id) {
  const Value p[] = {std::string(customer_id)};
  auto rows = impl_->store.Execute("SELECT " + SelectList() +
                                       " FROM care_cases WHERE customer_id = $1 ORDER BY created_at DESC, id",
                                   p, Mode::kRead);
  if (!rows.ok()) return rows.error();
  std::vector<CaseListItem> items;
  for (const Row& row : rows->rows) items.push_back(ToListItem(FromRow(row).c));
  return items;
}

Result<Case> CaseService::CustomerReply(std::string_view customer_id, std::string_view case_id,
                                        const CustomerUpdate& update) {
  Impl& s = *impl_;
  auto visible = s.ReadForCustomer(customer_id, case_id);
  if (!visible.ok()) return visible.error();
  // A reply to a merged duplicate belongs to the case it became part of.
  std::string target = visible->merged_into.empty() ? visible->id : visible->merged_into;
  std::string message = Clean(update.message);
  std::string description = Clean(update.description);
  LAHZA_TRY(s.CheckText(message));
  LAHZA_TRY(s.CheckText(description));
  auto ir = s.CheckIr(update.ir_reference);
  if (!ir.ok()) return ir.error();
  LAHZA_TRY(s.CheckBank(update.bank_code));
  LAHZA_TRY(s.CheckTransaction(update.transaction));
  const TransactionDetails& t = update.transaction;
  if (message.empty() && description.empty() && ir->empty() && update.bank_code.empty() && !t.at &&
      !t.amount_piastres && !t.counterparty && update.attachments.empty()) {
    return Error("care.empty_update");
  }
  bool ir_changed = false;
  std::string survivor;
  auto done = s.Mutate(target, [&](Transaction& tx, Record& r) -> Result<std::string> {
    if (r.c.status == CaseStatus::kClosed) return Error("care.case_closed");
    Instant now = s.Now();
    std::string actor = CustomerActor(customer_id);
    if (!message.empty()) r.Say(now, actor, message, false);
    if (!description.empty()) {
      r.c.description += (r.c.description.empty() ? "" : "\n\n") + description;
      LAHZA_TRY(s.CheckText(r.c.description));
      r.Log(now, actor, "description", "added");
    }
    if (!ir->empty() && *ir != r.c.ir_reference) {
      r.Log(now, actor, "ir_reference", (r.c.ir_reference.empty() ? "" : r.c.ir_reference + " -> ") + *ir);
      r.c.ir_reference = *ir;
      r.c.diagnosis.reset();
      ir_changed = true;
    }
    if (!update.bank_code.empty() && update.bank_code != r.c.bank_code) {
      r.Log(now, actor, "bank", update.bank_code);
      r.c.bank_code = update.bank_code;
    }
    if (t.at) r.c.transaction.at = t.at;
    if (t.amount_piastres) r.c.transaction.amount_piastres = t.amount_piastres;
    if (t.counterparty) r.c.transaction.counterparty = Clean(*t.counterparty);
    if (t.at || t.amount_piastres || t.counterparty) r.Log(now, actor, "transaction_details", "updated");
    LAHZA_TRY(s.AddUploads(r, update.attachments, actor, now));
    if (r.c.status == CaseStatus::kResolved) {
      // The customer is not satisfied with the answer: back to a person.
      s.SetStatus(r, r.c.agent_id.empty() ? CaseStatus::kOpen : CaseStatus::kInProgress, now, actor,
                  "reopened by the customer");
    }
    s.Route(r, now, "system");
    s.Recheck(r, now, "system");
    LAHZA_TRY(s.Save(tx, r, false, now));
    auto merged = s.MergeDuplicates(tx, r.c.customer_id, r.c.ir_reference, now);
    if (!merged.ok()) return merged.error();
    survivor = merged->empty() ? r.c.id : *merged;
    return r.c.id;
  });
  if (!done.ok()) return done.error();
  if (ir_changed) (void)s.DiagnoseCase(survivor);
  return s.Read(survivor, true);
}

Result<Case> CaseService::CustomerClose(std::string_view customer_id, std::string_view case_id) {
  Impl& s = *impl_;
  auto visible = s.ReadForCustomer(customer_id, case_id);
  if (!visible.ok()) return visible.error();
  auto done = s.Mutate(visible->id, [&](Transaction& tx, Record& r) -> Result<std::string> {
    if (r.c.status == CaseStatus::kClosed) return r.c.id;  // idempotent
    Instant now = s.Now();
    s.SetStatus(r, CaseStatus::kClosed, now, CustomerActor(customer_id), "closed by the customer");
    r.c.missing.clear();
    LAHZA_TRY(s.Save(tx, r, false, now));
    return r.c.id;
  });
  if (!done.ok()) return done.error();
  return s.Read(*done, true);
}

Result<Case> CaseService::FreezeTransfers(std::string_view customer_id, std::string_view case_id) {
  Impl& s = *impl_;
  auto visible = s.ReadForCustomer(customer_id, case_id);
  if (!visible.ok()) return visible.error();
  if (visible->category != Category::kSecurityUnusualActivity) return Error("care.freeze_not_security");
  auto done = s.Mutate(visible->id, [&](Transaction& tx, Record& r) -> Result<std::string> {
    if (r.c.status == CaseStatus::kClosed) return Error("care.case_closed");
    Instant now = s.Now();
    const Value p[] = {r.c.customer_id, r.c.id, Seconds(now)};
    // Re-freezing after a lift starts a new freeze owned by this case.
    LAHZA_TRY(tx.Execute(
        "INSERT INTO care_transfer_freezes (customer_id, case_id, frozen_at, lifted_at, lifted_by) "
        "VALUES ($1, $2, $3, NULL, '') ON CONFLICT (customer_id) DO UPDATE SET case_id = $2, frozen_at = $3, "
        "lifted_at = NULL, lifted_by = ''",
        p));
    r.Log(now, CustomerActor(customer_id), "transfers_frozen", "at the customer's request");
    r.c.priority = Priority::kUrgent;
    LAHZA_TRY(s.Save(tx, r, false, now));
    return r.c.id;
  });
  if (!done.ok()) return done.error();
  return s.Read(*done, true);
}

namespace {
Result<std::pair<AttachmentInfo, std::string>> ReadAttachment(store::Store& store, std::string_view case_id,
                                                              std::string_view attachment_id) {
  const Value p[] = {std::string(attachment_id), std::string(case_id)};
  auto rows = store.Execute(
      "SELECT id, media_type, filename, size, uploaded_at, uploaded_by, data_base64 FROM care_case_attachments "
      "WHERE id = $1 AND case_id = $2",
      p, Mode::kRead);
  if (!rows.ok()) return rows.error();
  if (rows->rows.empty()) return Error("care.attachment_not_found");
  const Row& row = rows->rows[0];
  AttachmentInfo info{store::AsText(row[0]), store::AsText(row[1]), store::AsText(row[2]), store::AsInt(row[3]),
                      At(store::AsInt(row[4])), store::AsText(row[5])};
  auto bytes = internal::Base64Decode(store::AsText(row[6]));
  if (!bytes.ok()) return bytes.error();
  return std::make_pair(std::move(info), std::move(*bytes));
}
}  // namespace

Result<std::pair<AttachmentInfo, std::string>> CaseService::CustomerAttachment(std::string_view customer_id,
                                                                               std::string_view case_id,
                                                                               std::string_view attachment_id) {
  auto visible = impl_->ReadForCustomer(customer_id, case_id);
  if (!visible.ok()) return visible.error();
  return ReadAttachment(impl_->store, visible->id, attachment_id);
}

// ---- agent side ----

Result<std::vector<CaseListItem>> CaseService::Queue(const Agent& agent, bool include_finished) {
  std::string sql = "SELECT " + SelectList() +
                    " FROM care_cases WHERE (queue = $1 OR ($2 = 1 AND party = 'both')) AND merged_into = ''";
  if (!include_finished) sql += std::string(" AND status IN ") + kActiveStatuses;
  const Value p[] = {agent.queue(), int64_t{agent.is_app() ? 1 : 0}};
  auto rows = impl_->store.Execute(sql, p, Mode::kRead);
  if (!rows.ok()) return rows.error();
  std::vector<CaseListItem> items;
  for (const Row& row : rows->rows) items.push_back(ToListItem(FromRow(row).c));
  // Most urgent first, then the nearest deadline.
  std::sort(items.begin(), items.end(), [](const CaseListItem& a, const CaseListItem& b) {
    if (a.priority != b.priority) return static_cast<int>(a.priority) > static_cast<int>(b.priority);
    if (a.due_at != b.due_at) return a.due_at < b.due_at;
    return a.id < b.id;
  });
  return items;
}

Result<Case> CaseService::GetForAgent(const Agent& agent, std::string_view case_id) {
  return impl_->ReadForAgent(agent, case_id);
}

Result<Case> CaseService::Take(const Agent& agent, std::string_view case_id) {
  Impl& s = *impl_;
  return s.AgentChange(agent, case_id, [&](Transaction&, Record& r, Instant now) -> Status {
    if (r.c.agent_id == agent.id) return {};
    std::string actor = AgentActor(agent);
    r.Log(now, actor, "assigned", r.c.agent_id.empty() ? agent.id : r.c.agent_id + " -> " + agent.id);
    r.c.agent_id = agent.id;
    if (r.c.status == CaseStatus::kOpen || r.c.status == CaseStatus::kEscalated ||
        r.c.status == CaseStatus::kResolved) {
      s.SetStatus(r, CaseStatus::kInProgress, now, actor, "taken");
    }
    return {};
  });
}

Result<Case> CaseService::Reply(const Agent& agent, std::string_view case_id, std::string_view text,
                                bool internal_note) {
  Impl& s = *impl_;
  std::string body = Clean(text);
  if (body.empty()) return Error("care.empty_message");
  LAHZA_TRY(s.CheckText(body));
  return s.AgentChange(agent, case_id, [&](Transaction&, Record& r, Instant now) -> Status {
    r.Say(now, AgentActor(agent), body, internal_note);
    return {};
  });
}

Result<Case> CaseService::RequestInformation(const Agent& agent, std::string_view case_id,
                                             const std::vector<std::string>& items, std::string_view text) {
  Impl& s = *impl_;
  if (items.empty()) return Error("care.unknown_item", "no items");
  for (const std::string& item : items) {
    if (!internal::IsKnownItem(item)) return Error("care.unknown_item", item);
  }
  std::string body = Clean(text);
  LAHZA_TRY(s.CheckText(body));
  return s.AgentChange(agent, case_id, [&](Transaction&, Record& r, Instant now) -> Status {
    if (r.c.status == CaseStatus::kResolved) return Error("care.case_resolved");
    std::string actor = AgentActor(agent);
    if (!body.empty()) r.Say(now, actor, body, false);
    r.c.missing = items;
    r.Log(now, actor, "information_requested", internal::JoinItems(items));
    s.SetStatus(r, CaseStatus::kWaitingCustomer, now, actor, "information requested");
    return {};
  });
}

Result<Case> CaseService::Escalate(const Agent& agent, std::string_view case_id, std::string_view bank_code,
                                   std::string_view note) {
  Impl& s = *impl_;
  if (bank_code.empty()) return Error("care.unknown_bank", "empty");
  LAHZA_TRY(s.CheckBank(bank_code));
  std::string body = Clean(note);
  LAHZA_TRY(s.CheckText(body));
  return s.AgentChange(agent, case_id, [&](Transaction&, Record& r, Instant now) -> Status {
    if (r.c.queue == "bank:" + std::string(bank_code)) return Error("care.already_in_queue");
    if (r.c.status == CaseStatus::kResolved) return Error("care.case_resolved");
    std::string actor = AgentActor(agent);
    if (!body.empty()) r.Say(now, actor, body, true);
    if (r.c.party == Party::kAppSupport) r.c.party = Party::kBoth;
    r.c.bank_code = std::string(bank_code);
    r.Log(now, actor, "escalated", r.c.queue + " -> bank:" + r.c.bank_code);
    s.Route(r, now, actor);
    r.c.agent_id.clear();
    // Keep waiting for the customer if something is still missing.
    if (r.c.status != CaseStatus::kWaitingCustomer) s.SetStatus(r, CaseStatus::kEscalated, now, actor, "");
    return {};
  });
}

Result<Case> CaseService::Resolve(const Agent& agent, std::string_view case_id, std::string_view answer) {
  Impl& s = *impl_;
  std::string body = Clean(answer);
  if (body.empty()) return Error("care.answer_required");
  LAHZA_TRY(s.CheckText(body));
  return s.AgentChange(agent, case_id, [&](Transaction&, Record& r, Instant now) -> Status {
    if (r.c.status == CaseStatus::kResolved) return Error("care.case_resolved");
    std::string actor = AgentActor(agent);
    r.Say(now, actor, body, false);
    r.c.missing.clear();
    r.c.resolution = body;
    r.c.resolved_by = actor;
    s.SetStatus(r, CaseStatus::kResolved, now, actor, "");
    return {};
  });
}

Result<Case> CaseService::Close(const Agent& agent, std::string_view case_id) {
  Impl& s = *impl_;
  return s.AgentChange(agent, case_id, [&](Transaction&, Record& r, Instant now) -> Status {
    r.c.missing.clear();
    s.SetStatus(r, CaseStatus::kClosed, now, AgentActor(agent), "");
    return {};
  });
}

Result<Case> CaseService::LiftFreeze(const Agent& agent, std::string_view case_id, std::string_view note) {
  Impl& s = *impl_;
  std::string body = Clean(note);
  LAHZA_TRY(s.CheckText(body));
  return s.AgentChange(agent, case_id, [&](Transaction& tx, Record& r, Instant now) -> Status {
    const Value p[] = {Seconds(now), AgentActor(agent), r.c.id};
    auto lifted = tx.Execute(
        "UPDATE care_transfer_freezes SET lifted_at = $1, lifted_by = $2 WHERE case_id = $3 AND lifted_at IS NULL",
        p);
    if (!lifted.ok()) return lifted.error();
    if (lifted->affected == 0) return Error("care.not_frozen");
    r.Log(now, AgentActor(agent), "transfers_unfrozen", body);
    return {};
  });
}

Result<SlaReport> CaseService::Sla(const Agent& agent) {
  auto items = Queue(agent, false);
  if (!items.ok()) return items.error();
  Instant now = impl_->Now();
  SlaReport report;
  for (const CaseListItem& item : *items) {
    // The clock is stopped while the customer owes us an answer.
    if (item.status == CaseStatus::kWaitingCustomer) continue;
    auto sla = impl_->options.sla.For(item.category);
    auto warn = std::min(impl_->options.sla.warn_before, sla / 4);
    if (item.due_at <= now) {
      report.breached.push_back(item);
    } else if (item.due_at - now <= warn) {
      report.due_soon.push_back(item);
    }
  }
  return report;
}

Result<std::string> CaseService::Dossier(const Agent& agent, std::string_view case_id) {
  auto c = impl_->ReadForAgent(agent, case_id);
  if (!c.ok()) return c.error();
  nlohmann::json dossier;
  dossier["case"] = {{"id", c->id},
                     {"category", ToString(c->category)},
                     {"party", ToString(c->party)},
                     {"bank_code", c->bank_code},
                     {"queue", c->queue},
                     {"status", ToString(c->status)},
                     {"priority", ToString(c->priority)},
                     {"ir_reference", c->ir_reference},
                     {"description", c->description},
                     {"created_at", FormatCairoIso(c->created_at)},
                     {"due_at", FormatCairoIso(c->due_at)},
                     {"missing", c->missing},
                     {"transfers_frozen", c->transfers_frozen}};
  dossier["customer"] = {{"id", c->customer_id},
                         {"name", c->customer.name},
                         {"mobile", c->customer.mobile},
                         {"national_id_masked", c->customer.national_id_masked}};
  nlohmann::json details = nlohmann::json::object();
  if (c->transaction.at) details["at"] = FormatCairoIso(*c->transaction.at);
  if (c->transaction.amount_piastres) details["amount_piastres"] = *c->transaction.amount_piastres;
  if (c->transaction.counterparty) details["counterparty"] = *c->transaction.counterparty;
  dossier["transaction_details"] = details;
  dossier["transaction"] = nullptr;
  if (c->diagnosis) {
    dossier["diagnosis"] = {{"outcome", c->diagnosis->outcome},
                            {"final", c->diagnosis->final},
                            {"ar", c->diagnosis->explanation.ar},
                            {"en", c->diagnosis->explanation.en}};
  }
  if (!c->ir_reference.empty() && impl_->diagnoser != nullptr) {
    auto transaction = impl_->diagnoser->TransactionJson(c->ir_reference);
    if (transaction.ok()) dossier["transaction"] = nlohmann::json::parse(*transaction, nullptr, false);
  }
  nlohmann::json history = nlohmann::json::array();
  for (const HistoryEntry& h : c->history) {
    history.push_back({{"seq", h.seq}, {"at", FormatCairoIso(h.at)}, {"actor", h.actor}, {"action", h.action},
                       {"detail", h.detail}});
  }
  dossier["history"] = history;
  nlohmann::json messages = nlohmann::json::array();
  for (const CaseMessage& m : c->messages) {
    messages.push_back({{"seq", m.seq}, {"at", FormatCairoIso(m.at)}, {"author", m.author}, {"body", m.body},
                        {"internal", m.internal}});
  }
  dossier["messages"] = messages;
  nlohmann::json attachments = nlohmann::json::array();
  for (const AttachmentInfo& a : c->attachments) {
    attachments.push_back({{"id", a.id}, {"media_type", a.media_type}, {"filename", a.filename}, {"size", a.size}});
  }
  dossier["attachments"] = attachments;
  return dossier.dump();
}

Result<std::pair<AttachmentInfo, std::string>> CaseService::AgentAttachment(const Agent& agent,
                                                                            std::string_view case_id,
                                                                            std::string_view attachment_id) {
  auto visible = impl_->ReadForAgent(agent, case_id);
  if (!visible.ok()) return visible.error();
  return ReadAttachment(impl_->store, visible->id, attachment_id);
}

Result<bool> CaseService::TransfersFrozenFor(std::string_view customer_id) {
  return TransfersFrozen(impl_->store, customer_id);
}

Result<int> CaseService::RefreshDiagnoses() {
  Impl& s = *impl_;
  if (s.diagnoser == nullptr) return 0;
  auto rows = s.store.Execute(std::string("SELECT id FROM care_cases WHERE ir_reference <> '' AND merged_into = '' "
                                          "AND diagnosis_outcome IN ('pending', 'debited_open') AND status IN ") +
                                  kActiveStatuses + " ORDER BY created_at, id",
                              {}, Mode::kRead);
  if (!rows.ok()) return rows.error();
  int resolved = 0;
  for (const Row& row : rows->rows) {
    const std::string& id = store::AsText(row[0]);
    LAHZA_TRY(s.DiagnoseCase(id));
    auto after = s.Read(id, false);
    if (!after.ok()) return after.error();
    if (after->status == CaseStatus::kResolved) ++resolved;
  }
  return resolved;
}

Result<bool> TransfersFrozen(store::Transaction& tx, std::string_view customer_id) {
  const Value p[] = {std::string(customer_id)};
  auto rows = tx.Execute("SELECT 1 FROM care_transfer_freezes WHERE customer_id = $1 AND lifted_at IS NULL", p);
  if (!rows.ok()) return rows.error();
  return !rows->rows.empty();
}

Result<bool> TransfersFrozen(store::Store& store, std::string_view customer_id) {
  auto tx = store.Begin(Mode::kRead);
  if (!tx.ok()) return tx.error();
  return TransfersFrozen(**tx, customer_id);
}

}  // namespace lahza::care
