#include "core/iban.h"

#include <algorithm>
#include <array>

#include "core/ascii.h"
#include "core/digits.h"

namespace lahza {

namespace {

struct CountryLength {
  char code[3];
  int length;
};

// The SWIFT IBAN registry as of 2025: every country with a
// registered IBAN. Territories that use their parent's IBAN (GF, GP, IM, ...)
// write it with the parent's code (FR, GB), so they need no row of their own.
constexpr CountryLength kLengths[] = {
    {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16}, {"BG", 22},
    {"BH", 22}, {"BI", 27}, {"BR", 29}, {"BY", 28}, {"CH", 21}, {"CR", 22}, {"CY", 28}, {"CZ", 24},
    {"DE", 22}, {"DJ", 27}, {"DK", 18}, {"DO", 28}, {"EE", 20}, {"EG", 29}, {"ES", 24}, {"FI", 18},
    {"FK", 18}, {"FO", 18}, {"FR", 27}, {"GB", 22}, {"GE", 22}, {"GI", 23}, {"GL", 18}, {"GR", 27},
    {"GT", 28}, {"HN", 28}, {"HR", 21}, {"HU", 28}, {"IE", 22}, {"IL", 23}, {"IQ", 23}, {"IS", 26},
    {"IT", 27}, {"JO", 30}, {"KW", 30}, {"KZ", 20}, {"LB", 28}, {"LC", 32}, {"LI", 21}, {"LT", 20},
    {"LU", 20}, {"LV", 21}, {"LY", 25}, {"MC", 27}, {"MD", 24}, {"ME", 22}, {"MK", 19}, {"MN", 20},
    {"MR", 27}, {"MT", 31}, {"MU", 30}, {"NI", 28}, {"NL", 18}, {"NO", 15}, {"OM", 23}, {"PK", 24},
    {"PL", 28}, {"PS", 29}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22}, {"RU", 33}, {"SA", 24},
    {"SC", 31}, {"SD", 18}, {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27}, {"SO", 23}, {"ST", 25},
    {"SV", 28}, {"TL", 23}, {"TN", 24}, {"TR", 26}, {"UA", 29}, {"VA", 22}, {"VG", 24}, {"XK", 20},
    {"YE", 30},
};

bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }

}  // namespace

int IbanLength(std::string_view country_code) {
  auto it = std::find_if(std::begin(kLengths), std::end(kLengths),
                         [&](const CountryLength& row) { return country_code == row.code; });
  return it == std::end(kLengths) ? 0 : it->length;
}

int IbanMod97(std::string_view iban) {
  // Move the first four characters to the end, letters become 10..35, and
  // reduce digit by digit so the huge number never has to exist.
  int remainder = 0;
  auto feed = [&](char c) {
    if (IsAsciiDigit(c)) {
      remainder = (remainder * 10 + (c - '0')) % 97;
    } else {
      const int value = c - 'A' + 10;
      remainder = (remainder * 100 + value) % 97;
    }
  };
  for (size_t i = 4; i < iban.size(); ++i) feed(iban[i]);
  for (size_t i = 0; i < 4 && i < iban.size(); ++i) feed(iban[i]);
  return remainder;
}

Result<Iban> Iban::Parse(std::string_view text) {
  const std::string normalized = NormalizeDigits(text);
  std::string value;
  for (char c : TrimSpaces(normalized)) {
    if (c == ' ' || c == '-') continue;
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (!IsUpper(c) && !IsAsciiDigit(c)) return Error{"iban.invalid_characters", "only letters and digits"};
    value.push_back(c);
    if (value.size() > 40) break;  // longer than any IBAN; stop copying
  }
  if (value.empty()) return Error{"iban.empty", "no IBAN given"};
  if (value.size() < 2 || !IsUpper(value[0]) || !IsUpper(value[1])) {
    return Error{"iban.unknown_country", "an IBAN starts with a two-letter country code"};
  }
  const int length = IbanLength(std::string_view(value).substr(0, 2));
  if (length == 0) return Error{"iban.unknown_country", "no IBAN registered for " + value.substr(0, 2)};
  if (static_cast<int>(value.size()) != length) {
    return Error{"iban.invalid_length", value.substr(0, 2) + " IBANs have " + std::to_string(length) +
                                            " characters, got " + std::to_string(value.size())};
  }
  if (!IsAsciiDigit(value[2]) || !IsAsciiDigit(value[3])) return Error{"iban.invalid_checksum", "check digits must be digits"};
  if (value.starts_with("EG") && !std::all_of(value.begin() + 4, value.end(), IsAsciiDigit)) {
    return Error{"iban.invalid_bban", "an Egyptian account part is all digits"};
  }
  if (IbanMod97(value) != 1) return Error{"iban.invalid_checksum", "MOD 97-10 check failed"};
  Iban iban;
  iban.value_ = std::move(value);
  return iban;
}

std::string Iban::printed() const {
  std::string out;
  for (size_t i = 0; i < value_.size(); ++i) {
    if (i > 0 && i % 4 == 0) out.push_back(' ');
    out.push_back(value_[i]);
  }
  return out;
}

std::optional<EgyptianIbanParts> Iban::egypt() const {
  if (country_code() != "EG") return std::nullopt;
  return EgyptianIbanParts{value_.substr(4, 4), value_.substr(8, 4), value_.substr(12, 17)};
}

}  // namespace lahza
