// The rules of a case that need no storage: names, ids, defaults per category,
// required information, attachment checks and base64.
#include <array>
#include <cassert>
#include <random>

#include "care/case_internal.h"
#include "care/cases.h"
#include "core/card.h"

namespace lahza::care {

namespace {

constexpr std::array<std::pair<Category, std::string_view>, 10> kCategories{{
    {Category::kRegistrationActivation, "registration_activation"},
    {Category::kAppError, "app_error"},
    {Category::kHowTo, "how_to"},
    {Category::kFailedOrStuckTransfer, "failed_or_stuck_transfer"},
    {Category::kMoneyNotReceived, "money_not_received"},
    {Category::kDebitedWithoutCompletion, "debited_without_completion"},
    {Category::kLinkingAccountsCards, "linking_accounts_cards"},
    {Category::kLimits, "limits"},
    {Category::kSecurityUnusualActivity, "security_unusual_activity"},
    {Category::kOther, "other"},
}};
constexpr std::array<std::pair<Party, std::string_view>, 3> kParties{{
    {Party::kBank, "bank"}, {Party::kAppSupport, "app_support"}, {Party::kBoth, "both"}}};
constexpr std::array<std::pair<CaseStatus, std::string_view>, 6> kStatuses{{
    {CaseStatus::kOpen, "open"},
    {CaseStatus::kWaitingCustomer, "waiting_customer"},
    {CaseStatus::kInProgress, "in_progress"},
    {CaseStatus::kEscalated, "escalated"},
    {CaseStatus::kResolved, "resolved"},
    {CaseStatus::kClosed, "closed"},
}};
constexpr std::array<std::pair<Priority, std::string_view>, 3> kPriorities{{
    {Priority::kNormal, "normal"}, {Priority::kHigh, "high"}, {Priority::kUrgent, "urgent"}}};

template <class E, size_t N>
std::string_view NameOf(const std::array<std::pair<E, std::string_view>, N>& table, E value) {
  for (const auto& [v, name] : table) {
    if (v == value) return name;
  }
  assert(false && "enum value without a name");
  return "unknown";
}

template <class E, size_t N>
std::optional<E> ValueOf(const std::array<std::pair<E, std::string_view>, N>& table, std::string_view text) {
  for (const auto& [v, name] : table) {
    if (name == text) return v;
  }
  return std::nullopt;
}

// The vocabulary of required/requestable items; each has "care.case_item.<name>"
// in the catalogue so the customer reads what to send in their language.
constexpr std::array<std::string_view, 8> kItems{
    "description", "ir_reference", "transaction_time", "amount", "counterparty", "bank", "screenshot",
    "national_id"};

std::mt19937_64& Random() {
  // Seeded from the OS per thread: ids must not be guessable in sequence, and
  // collisions are caught by the primary key anyway (the caller retries).
  thread_local std::mt19937_64 engine{[] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }()};
  return engine;
}

}  // namespace

std::string_view ToString(Category value) { return NameOf(kCategories, value); }
std::string_view ToString(Party value) { return NameOf(kParties, value); }
std::string_view ToString(CaseStatus value) { return NameOf(kStatuses, value); }
std::string_view ToString(Priority value) { return NameOf(kPriorities, value); }
std::optional<Category> ParseCategory(std::string_view text) { return ValueOf(kCategories, text); }
std::optional<Party> ParseParty(std::string_view text) { return ValueOf(kParties, text); }
std::optional<CaseStatus> ParseCaseStatus(std::string_view text) { return ValueOf(kStatuses, text); }
std::optional<Priority> ParsePriority(std::string_view text) { return ValueOf(kPriorities, text); }

bool IsMoneyCategory(Category category) {
  return category == Category::kFailedOrStuckTransfer || category == Category::kMoneyNotReceived ||
         category == Category::kDebitedWithoutCompletion;
}

bool IsValidCaseId(std::string_view id) {
  if (id.size() != 12 || id.substr(0, 2) != "C-") return false;
  std::string_view digits = id.substr(2);
  for (char ch : digits) {
    if (ch < '0' || ch > '9') return false;
  }
  return LuhnCheckDigit(digits.substr(0, 9)) == digits[9] - '0';
}

std::chrono::seconds SlaPolicy::For(Category category) const {
  switch (category) {
    case Category::kSecurityUnusualActivity: return security;
    case Category::kDebitedWithoutCompletion: return debited_without_completion;
    default: return other;
  }
}

namespace internal {

std::string NewCaseId() {
  std::uniform_int_distribution<int> digit(0, 9);
  std::string digits;
  digits += static_cast<char>('1' + digit(Random()) % 9);  // no leading zero: reads better aloud
  for (int i = 1; i < 9; ++i) digits += static_cast<char>('0' + digit(Random()));
  digits += static_cast<char>('0' + LuhnCheckDigit(digits));
  return "C-" + digits;
}

std::string NewAttachmentId() {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = "A-";
  uint64_t bits = Random()();
  for (int i = 0; i < 16; ++i, bits >>= 4) id += kHex[bits & 0xF];
  return id;
}

Priority DefaultPriority(Category category) {
  switch (category) {
    case Category::kSecurityUnusualActivity: return Priority::kUrgent;
    case Category::kDebitedWithoutCompletion: return Priority::kHigh;
    default: return Priority::kNormal;
  }
}

std::string QueueFor(Party party, std::string_view bank_code) {
  if (party != Party::kAppSupport && !bank_code.empty()) return "bank:" + std::string(bank_code);
  return "app";
}

std::vector<std::string> MissingItems(const Case& c, bool will_diagnose) {
  std::vector<std::string> missing;
  bool has_ir = !c.ir_reference.empty();
  if (IsMoneyCategory(c.category)) {
    // Either the IR reference, or enough to find the transaction without it.
    if (!has_ir) {
      const TransactionDetails& t = c.transaction;
      if (!t.at || !t.amount_piastres || !t.counterparty) {
        missing.push_back("ir_reference");
        if (!t.at) missing.push_back("transaction_time");
        if (!t.amount_piastres) missing.push_back("amount");
        if (!t.counterparty) missing.push_back("counterparty");
      }
    }
  } else if (Trim(c.description).empty()) {
    // For money problems the transaction says what happened; everywhere else
    // (security above all) only the customer's own words do.
    missing.push_back("description");
  }
  bool bank_case = c.party != Party::kAppSupport &&
                   c.category != Category::kSecurityUnusualActivity;  // security goes to the app first
  if (bank_case && c.bank_code.empty() && !(has_ir && will_diagnose)) missing.push_back("bank");
  return missing;
}

std::vector<std::string> RecommendedItems(const Case& c, int attachment_count) {
  bool helps = IsMoneyCategory(c.category) || c.category == Category::kAppError ||
               c.category == Category::kLinkingAccountsCards || c.category == Category::kRegistrationActivation;
  if (helps && attachment_count == 0) return {"screenshot"};
  return {};
}

bool IsKnownItem(std::string_view item) {
  for (std::string_view known : kItems) {
    if (known == item) return true;
  }
  return false;
}

Result<std::string> SniffImage(std::string_view bytes, int64_t max_bytes) {
  if (bytes.empty()) return Error("care.attachment_empty");
  if (static_cast<int64_t>(bytes.size()) > max_bytes) {
    return Error("care.attachment_too_large", std::to_string(bytes.size()) + " bytes");
  }
  // Trust the bytes, not the file name or a client-declared type.
  if (bytes.size() >= 8 && bytes.substr(0, 8) == std::string_view("\x89PNG\r\n\x1a\n", 8)) return std::string("image/png");
  if (bytes.size() >= 3 && bytes.substr(0, 3) == std::string_view("\xFF\xD8\xFF", 3)) return std::string("image/jpeg");
  if (bytes.size() >= 12 && bytes.substr(0, 4) == "RIFF" && bytes.substr(8, 4) == "WEBP") {
    return std::string("image/webp");
  }
  return Error("care.attachment_type");
}

namespace {
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
int Sextet(char ch) {
  if (ch >= 'A' && ch <= 'Z') return ch - 'A';
  if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
  if (ch >= '0' && ch <= '9') return ch - '0' + 52;
  if (ch == '+') return 62;
  if (ch == '/') return 63;
  return -1;
}
}  // namespace

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t n = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t n = uint8_t(bytes[i]) << 16;
    if (rest == 2) n |= uint8_t(bytes[i + 1]) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += rest == 2 ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

Result<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return Error("care.attachment_corrupt", "length not a multiple of 4");
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    bool last = i + 4 == text.size();
    int pad = 0;
    if (last && text[i + 3] == '=') pad = text[i + 2] == '=' ? 2 : 1;
    int a = Sextet(text[i]), b = Sextet(text[i + 1]);
    int c = pad >= 2 ? 0 : Sextet(text[i + 2]);
    int d = pad >= 1 ? 0 : Sextet(text[i + 3]);
    if (a < 0 || b < 0 || c < 0 || d < 0) return Error("care.attachment_corrupt", "not base64");
    uint32_t n = (a << 18) | (b << 12) | (c << 6) | d;
    out += static_cast<char>((n >> 16) & 0xFF);
    if (pad < 2) out += static_cast<char>((n >> 8) & 0xFF);
    if (pad < 1) out += static_cast<char>(n & 0xFF);
    // Canonical only: the bits a padding character hides must be zero.
    if ((pad == 1 && (n & 0xFF) != 0) || (pad == 2 && (n & 0xFFFF) != 0)) {
      return Error("care.attachment_corrupt", "non-canonical padding");
    }
  }
  return out;
}

std::string JoinItems(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += ',';
    out += item;
  }
  return out;
}

std::vector<std::string> SplitItems(std::string_view text) {
  std::vector<std::string> items;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    if (!item.empty()) items.emplace_back(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return items;
}

std::string Trim(std::string_view text) {
  auto space = [](char ch) { return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v'; };
  while (!text.empty() && space(text.front())) text.remove_prefix(1);
  while (!text.empty() && space(text.back())) text.remove_suffix(1);
  return std::string(text);
}

bool IsParticipantCode(std::string_view code) {
  if (code.size() < 2 || code.size() > 12) return false;
  for (char ch : code) {
    if (!((ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_')) return false;
  }
  return true;
}

}  // namespace internal
}  // namespace lahza::care
