// Triage: read what a customer wrote (Arabic, Egyptian colloquial, English or
// Franco-Arabic) and decide what kind of problem it is, who can solve it (the
// customer's bank, the app's support, or both), which bank, and how urgent it
// is. The category comes from a linear classifier trained at build time on
// data/care/triage_corpus.tsv (see tools/triage_train.cc); the transaction's
// known state, when given, corrects it where the ledger knows better than the
// words.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "care/entities.h"
#include "core/cairo_time.h"
#include "core/result.h"

namespace lahza::care {

enum class Category {
  kRegistrationActivation,
  kAppError,
  kHowTo,
  kFailedOrStuckTransfer,
  kMoneyNotReceived,
  kDebitedWithoutCompletion,
  kLinkingAccountsCards,
  kLimits,
  kSecurityUnusualActivity,
  kOther,
};
inline constexpr int kCategoryCount = 10;

// Stable machine names ("failed_or_stuck_transfer"), used in data files and JSON.
std::string_view CategoryName(Category category);
std::optional<Category> CategoryFromName(std::string_view name);

enum class Party { kBank, kAppSupport, kBoth };
std::string_view PartyName(Party party);  // "bank", "app_support", "both"

// Who answers a category of problem: money problems belong to the bank that
// holds the account used, app problems to the app's support, and a security
// doubt to both (the bank blocks the money, the app the session and devices).
// Triage's answer, and a case's party unless the customer or an agent names one.
Party ResponsibleParty(Category category);

enum class Urgency { kLow, kNormal, kHigh, kUrgent };
std::string_view UrgencyName(Urgency urgency);  // "low", "normal", "high", "urgent"

// What the system already knows about the transaction the text is about.
enum class TransactionState {
  kCompleted,           // credited to the payee
  kPending,             // in flight, payer not yet debited or outcome awaited
  kFailed,              // rejected; the payer was not (or no longer) debited
  kReversed,            // debited, then returned
  kDebitedUnresolved,   // payer debited, outcome unknown (timeout after debit)
};
struct TriageContext {
  std::optional<TransactionState> transaction_state;
  std::optional<std::string> payer_institution;  // participant code of the account used, e.g. "NBE"
};

struct TriageResult {
  Category category = Category::kOther;
  Party party = Party::kAppSupport;
  std::optional<std::string> institution;  // participant code of the responsible bank/wallet
  Urgency urgency = Urgency::kNormal;
  double confidence = 0;      // the classifier's probability of `category`, 0..1
  Category model_category = Category::kOther;  // before the transaction state corrected it
  Entities entities;
};

// Errors: triage.empty_text (nothing but spaces), triage.text_too_long
// (over 4,000 bytes: a description, not a document).
Result<TriageResult> Classify(std::string_view text, const TriageContext& context, Instant now);

// Class probabilities of the trained model alone, in Category order (tests, tools).
std::array<double, kCategoryCount> ModelProbabilities(std::string_view text);

}  // namespace lahza::care
