// IBAN (ISO 13616): two-letter country, two check digits, then the country's
// basic bank account number (BBAN). Validated by the registered length of the
// country and the ISO 7064 MOD 97-10 check. Egyptian IBANs (EG, 29
// characters) are also broken into bank, branch and account number.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace lahza {

// The IBAN length registered for a country ("EG" -> 29), or 0 when the
// country has no IBAN in the SWIFT registry.
int IbanLength(std::string_view country_code);

// Egypt's BBAN: 4-digit bank code, 4-digit branch code, 17-digit account.
struct EgyptianIbanParts {
  std::string bank_code;
  std::string branch_code;
  std::string account_number;
};

class Iban {
 public:
  // Accepts lowercase letters, spaces (as printed) and Arabic-Indic digits.
  // Errors: iban.empty, iban.invalid_characters, iban.unknown_country,
  // iban.invalid_length, iban.invalid_bban (wrong character class for the
  // country's format, e.g. a letter in an Egyptian account), iban.invalid_checksum.
  static Result<Iban> Parse(std::string_view text);

  const std::string& electronic() const { return value_; }  // "EG380019000500000000263180002"
  std::string printed() const;                                 // "EG38 0019 0005 0000 0000 2631 8000 2"
  std::string_view country_code() const { return std::string_view(value_).substr(0, 2); }
  std::string_view check_digits() const { return std::string_view(value_).substr(2, 2); }
  std::string_view bban() const { return std::string_view(value_).substr(4); }
  // Present for EG IBANs only.
  std::optional<EgyptianIbanParts> egypt() const;

  friend bool operator==(const Iban& a, const Iban& b) { return a.value_ == b.value_; }

 private:
  Iban() = default;
  std::string value_;
};

// The MOD 97-10 remainder of an upper-case alphanumeric IBAN (1 when valid).
// Exposed for tests and for computing check digits of test data.
int IbanMod97(std::string_view iban);

}  // namespace lahza
