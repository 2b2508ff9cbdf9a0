#include "core/ipa.h"

#include "core/ascii.h"
#include "core/digits.h"

namespace lahza {

namespace {

bool IsLetter(char c) { return c >= 'a' && c <= 'z'; }
bool IsSeparator(char c) { return c == '.' || c == '_' || c == '-'; }

}  // namespace

Result<Ipa> Ipa::Parse(std::string_view text) {
  // Digits may arrive from an Arabic keyboard; letters must still be Latin.
  const std::string normalized = NormalizeDigits(text);
  std::string value = AsciiLower(TrimSpaces(normalized));
  if (value.empty()) return Error{"ipa.empty", "no payment address given"};

  if (const size_t at = value.find('@'); at != std::string::npos) {
    if (value.substr(at + 1) != kDomain) {
      return Error{"ipa.invalid_domain", "the address must end with @instapay"};
    }
    value.resize(at);
  }
  if (value.empty()) return Error{"ipa.too_short", "no name before @instapay"};
  for (char c : value) {
    if (!IsLetter(c) && !IsAsciiDigit(c) && !IsSeparator(c)) {
      return Error{"ipa.invalid_character", "allowed: a-z, 0-9, '.', '_', '-'"};
    }
  }
  if (value.size() < kMinNameLength) return Error{"ipa.too_short", "at least 3 characters"};
  if (value.size() > kMaxNameLength) return Error{"ipa.too_long", "at most 32 characters"};
  if (!IsLetter(value.front())) return Error{"ipa.must_start_with_letter", "the name starts with a letter"};
  if (IsSeparator(value.back())) return Error{"ipa.invalid_ending", "the name ends with a letter or digit"};
  for (size_t i = 1; i < value.size(); ++i) {
    if (IsSeparator(value[i]) && IsSeparator(value[i - 1])) {
      return Error{"ipa.consecutive_separators", "two separators in a row"};
    }
  }
  Ipa ipa;
  ipa.name_ = std::move(value);
  return ipa;
}

}  // namespace lahza
