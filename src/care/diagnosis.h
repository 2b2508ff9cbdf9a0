// Diagnosis of a transaction from its IR reference: what the switch knows
// about it, explained in the customer's words, and — when the payer was
// debited but the outcome is still unknown — reconciliation triggered at once
// so the customer gets the outcome (or its deadline) now rather than later.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/cairo_time.h"
#include "core/messages.h"
#include "core/result.h"

namespace lahza::ipn { class Switch; }

namespace lahza::care {

enum class Outcome {
  kCompleted,     // the payee was credited: proof shown
  kPending,       // in flight, not yet debited or credited
  kReversed,      // the payer got the money back (when)
  kFailed,        // refused before any money moved (rejected, payee down, limits)
  kDebitedOpen,   // debited, outcome unknown even after reconciliation: deadline given
  kNotFound,      // no such transaction for this customer
};
std::string_view ToString(Outcome outcome);  // "completed", "pending", ...

struct Diagnosis {
  Outcome outcome = Outcome::kNotFound;
  // A true, final answer: nothing more will happen to this transaction by
  // itself, so a case about it can close.
  bool final = false;
  Message explanation;  // Arabic and English, with amounts and Cairo times
  bool reconciled_now = false;  // reconciliation ran because of this diagnosis
  // Proof and facts (empty/absent when unknown).
  int64_t amount_piastres = 0;
  std::string payee_masked;
  std::string payer_bank;   // participant code of the payer's institution
  std::string payee_bank;
  std::optional<Instant> initiated_at, completed_at, reversed_at, deadline;
  std::string state;  // the switch's own state name
};

class Diagnoser {
 public:
  Diagnoser(ipn::Switch& network, const Clock& clock);
  ~Diagnoser();
  Diagnoser(const Diagnoser&) = delete;
  Diagnoser& operator=(const Diagnoser&) = delete;

  // Only the customer's own transactions are diagnosed: they paid it (the
  // switch's user id is `customer_id`) or were paid by it (the payee
  // identifier is their registered mobile, E.164). Anything else is
  // kNotFound, so one customer cannot read another's transfer by guessing
  // references. A transfer that is not final triggers the switch's
  // reconciliation at once and is read again.
  Result<Diagnosis> Diagnose(std::string_view ir_reference, std::string_view customer_id,
                             std::string_view customer_mobile);

  // The transaction and its timeline as JSON text for a bank's dossier.
  Result<std::string> TransactionJson(std::string_view ir_reference);

  // Whether `code` is a bank/wallet/issuer the switch knows.
  bool KnownParticipant(std::string_view code) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lahza::care
