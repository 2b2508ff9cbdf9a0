// Customer-care cases: what a customer opens when something went wrong, what
// agents work on, and the record of every change. A case knows its category,
// the party responsible (the customer's bank, the app's support, or both), the
// queue it sits in, its status and SLA, the information still missing, an
// optional IR reference diagnosed against the switch, attachments
// (screenshots), messages and its full history.
//
// Everything is stored through store::Store (tables care_*, migrations of
// module "care_cases"); time comes from an injected Clock so SLA behaviour is
// deterministic in tests. Errors are values with codes in
// data/messages/care_cases.json.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/cairo_time.h"
#include "core/messages.h"
#include "care/triage.h"
#include "core/result.h"
#include "store/store.h"

namespace lahza::care {

class Diagnoser;  // care/diagnosis.h

// Category and Party are triage's (care/triage.h): a case is opened in the
// words triage uses, so its result can be passed straight through.
enum class CaseStatus { kOpen, kWaitingCustomer, kInProgress, kEscalated, kResolved, kClosed };
enum class Priority { kNormal, kHigh, kUrgent };

// Stable names used in storage and JSON: "money_not_received", "app_support",
// "waiting_customer", "urgent".
std::string_view ToString(Category value);
std::string_view ToString(Party value);
std::string_view ToString(CaseStatus value);
std::string_view ToString(Priority value);
std::optional<Category> ParseCategory(std::string_view text);
std::optional<Party> ParseParty(std::string_view text);
std::optional<CaseStatus> ParseCaseStatus(std::string_view text);
std::optional<Priority> ParsePriority(std::string_view text);

// True for the categories whose money sits with a bank (an IR reference or the
// transaction's date/time, amount and counterparty are required).
bool IsMoneyCategory(Category category);

// "C-" followed by nine digits and a Luhn check digit: short enough to read
// over the phone, and a mistyped digit is caught before any lookup.
bool IsValidCaseId(std::string_view id);

// Who a case belongs to, as the app knows them; copied into the case so the
// dossier handed to a bank is complete even if the profile changes later.
struct CustomerSummary {
  std::string name;
  std::string mobile;              // E.164
  std::string national_id_masked;  // e.g. "2**********123"
};

// What the customer knows about the transaction when there is no IR reference.
struct TransactionDetails {
  std::optional<Instant> at;               // date and time of the transfer
  std::optional<int64_t> amount_piastres;  // positive
  std::optional<std::string> counterparty;  // IPA, mobile, account, card…
};

// An uploaded screenshot: PNG, JPEG or WebP by its magic bytes, at most
// CaseOptions::max_attachment_bytes.
struct Upload {
  std::string filename;
  std::string bytes;  // raw image bytes
};

struct AttachmentInfo {
  std::string id;          // "A-…"
  std::string media_type;  // image/png, image/jpeg, image/webp
  std::string filename;
  int64_t size = 0;
  Instant uploaded_at;
  std::string uploaded_by;  // "customer:<id>" or "agent:<id>"
};

struct NewCase {
  std::string customer_id;
  CustomerSummary customer;
  Category category = Category::kOther;
  // Defaults per category when absent (money categories: bank, app problems:
  // app support, security: both).
  std::optional<Party> party;
  std::string bank_code;  // participant code of the customer's bank ("NBE")
  std::optional<Priority> priority;  // defaults per category
  std::string description;
  std::string ir_reference;  // optional
  TransactionDetails transaction;
  std::vector<Upload> attachments;
};

// A change from the customer: a reply and/or the information asked for.
struct CustomerUpdate {
  std::string message;
  std::string ir_reference;
  TransactionDetails transaction;
  std::string description;  // appended to the case's description when given
  std::string bank_code;
  std::vector<Upload> attachments;
};

struct HistoryEntry {
  int64_t seq = 0;
  Instant at;
  std::string actor;   // "customer:<id>", "agent:<id>", "system"
  std::string action;  // "created", "status", "assigned", "message", "escalated", ...
  std::string detail;  // human-readable English detail (the explanation for system resolutions)
};

struct CaseMessage {
  int64_t seq = 0;
  Instant at;
  std::string author;  // "customer:<id>", "agent:<id>", "system"
  std::string body;
  bool internal = false;  // agent-only note, never shown to the customer
};

// The outcome of the last diagnosis of the case's IR reference, as shown to
// the customer.
struct DiagnosisSummary {
  std::string outcome;  // completed, pending, reversed, failed, debited_open, not_found
  Message explanation;
  bool final = false;
};

struct Case {
  std::string id;
  std::string customer_id;
  CustomerSummary customer;
  Category category = Category::kOther;
  Party party = Party::kAppSupport;
  std::string bank_code;
  std::string queue;  // "app" or "bank:<code>"
  CaseStatus status = CaseStatus::kOpen;
  Priority priority = Priority::kNormal;
  std::string ir_reference;
  std::string description;
  TransactionDetails transaction;
  std::vector<std::string> missing;      // item codes still required ("ir_reference", "amount", ...)
  std::vector<std::string> recommended;  // e.g. "screenshot"
  std::string agent_id;                  // who took it, empty when nobody
  Instant created_at, updated_at, due_at;
  std::optional<Instant> resolved_at;
  std::string resolution;   // the answer given when resolved
  std::string resolved_by;  // "system" or "agent:<id>"
  std::string merged_into;  // set on a duplicate that became part of an older case
  std::optional<DiagnosisSummary> diagnosis;
  bool transfers_frozen = false;  // the customer's transfers are frozen by this case
  std::vector<AttachmentInfo> attachments;
  std::vector<CaseMessage> messages;  // customers never see internal notes
  std::vector<HistoryEntry> history;
};

struct CaseListItem {
  std::string id;
  std::string customer_id;
  Category category = Category::kOther;
  CaseStatus status = CaseStatus::kOpen;
  Priority priority = Priority::kNormal;
  std::string queue;
  std::string agent_id;
  std::string ir_reference;
  Instant created_at, updated_at, due_at;
};

// An agent works for the app's support or for one bank (participant code).
struct Agent {
  std::string id;
  std::string bank_code;  // empty: app support
  bool is_app() const { return bank_code.empty(); }
  std::string queue() const { return is_app() ? "app" : "bank:" + bank_code; }
};

struct SlaPolicy {
  std::chrono::seconds security{std::chrono::hours(1)};
  std::chrono::seconds debited_without_completion{std::chrono::hours(24)};
  std::chrono::seconds other{std::chrono::hours(72)};
  // A case is "due soon" within this much of its deadline (capped at a quarter
  // of its SLA, so a 1-hour security case is not due soon from its first minute).
  std::chrono::seconds warn_before{std::chrono::hours(4)};
  std::chrono::seconds For(Category category) const;
};

struct CaseOptions {
  SlaPolicy sla;
  int64_t max_attachment_bytes = 2 * 1024 * 1024;
  int max_attachments_per_case = 10;
  size_t max_text_bytes = 8000;  // description and each message
};

struct SlaReport {
  std::vector<CaseListItem> due_soon;
  std::vector<CaseListItem> breached;
};

// Case sides: what a customer may see (no internal notes) or an agent.
class CaseService {
 public:
  // Applies the migrations. `diagnoser` may be null (no switch): IR references
  // are then kept but not diagnosed. Store, clock and diagnoser must outlive
  // the service. Thread-safe: every call is its own store transaction.
  static Result<std::unique_ptr<CaseService>> Create(store::Store& store, const Clock& clock,
                                                     Diagnoser* diagnoser, CaseOptions options = {});
  ~CaseService();

  // ---- customer side (a customer sees only their own cases: another's id is
  // care.case_not_found, never "forbidden", so ids cannot be probed) ----
  // A duplicate (same customer, same IR reference as an active case) becomes
  // part of the older case, which is returned.
  Result<Case> Open(const NewCase& request);
  Result<Case> GetForCustomer(std::string_view customer_id, std::string_view case_id);
  Result<std::vector<CaseListItem>> ListForCustomer(std::string_view customer_id);
  Result<Case> CustomerReply(std::string_view customer_id, std::string_view case_id,
                             const CustomerUpdate& update);
  // The customer no longer needs help.
  Result<Case> CustomerClose(std::string_view customer_id, std::string_view case_id);
  // Security cases only: freezes the customer's transfers at once.
  Result<Case> FreezeTransfers(std::string_view customer_id, std::string_view case_id);
  // Whether the customer's transfers are frozen (see TransfersFrozen below).
  Result<bool> TransfersFrozenFor(std::string_view customer_id);
  // The bytes of an attachment of one of the customer's cases.
  Result<std::pair<AttachmentInfo, std::string>> CustomerAttachment(std::string_view customer_id,
                                                                    std::string_view case_id,
                                                                    std::string_view attachment_id);

  // ---- agent side ----
  Result<std::vector<CaseListItem>> Queue(const Agent& agent, bool include_finished = false);
  Result<Case> GetForAgent(const Agent& agent, std::string_view case_id);
  Result<Case> Take(const Agent& agent, std::string_view case_id);
  Result<Case> Reply(const Agent& agent, std::string_view case_id, std::string_view text,
                     bool internal_note = false);
  // Items from the missing-item vocabulary (see data/messages/care_cases.json,
  // "care.case_item.*"); the customer is asked for them and the case waits.
  Result<Case> RequestInformation(const Agent& agent, std::string_view case_id,
                                  const std::vector<std::string>& items, std::string_view text);
  // To a bank's queue (app -> bank); the case keeps its history.
  Result<Case> Escalate(const Agent& agent, std::string_view case_id, std::string_view bank_code,
                        std::string_view note);
  Result<Case> Resolve(const Agent& agent, std::string_view case_id, std::string_view answer);
  Result<Case> Close(const Agent& agent, std::string_view case_id);
  // Lifts the freeze a security case put on its customer's transfers.
  Result<Case> LiftFreeze(const Agent& agent, std::string_view case_id, std::string_view note);
  // Cases of the agent's queue whose SLA is near or past (waiting-on-customer
  // time does not count against the SLA).
  Result<SlaReport> Sla(const Agent& agent);
  // Everything a bank needs in one document: customer identity summary, the
  // transaction (state and timeline when there is an IR reference), the case
  // and its history. JSON text.
  Result<std::string> Dossier(const Agent& agent, std::string_view case_id);
  Result<std::pair<AttachmentInfo, std::string>> AgentAttachment(const Agent& agent,
                                                                 std::string_view case_id,
                                                                 std::string_view attachment_id);

  // ---- system ----
  // Diagnoses again every active case whose transaction was still open
  // (pending, or debited without an outcome), so a case learns the outcome as
  // soon as the switch has it. Returns how many cases it resolved. Meant for a
  // periodic job (`lahza serve` runs it with the reconciler).
  Result<int> RefreshDiagnoses();

  struct Impl;

 private:
  explicit CaseService(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The words asking a customer for `items` (care.case_item.* joined, in both
// languages), e.g. "Please send: the IR reference; the amount".
Message MissingItemsRequest(const std::vector<std::string>& items);

// The freeze flag the app and the switch check before sending money for a
// customer: true while a security case's freeze has not been lifted. Reads the
// table care_transfer_freezes (see docs/care.md) — callers that cannot link
// lahza_care may query that table directly. The first form reads inside the
// caller's transaction (the app's read of the payer), the second in its own.
Result<bool> TransfersFrozen(store::Transaction& tx, std::string_view customer_id);
Result<bool> TransfersFrozen(store::Store& store, std::string_view customer_id);

}  // namespace lahza::care
