#include "core/money.h"

#include <array>
#include <cassert>

#include "core/ascii.h"
#include "core/digits.h"

namespace lahza {

namespace {

constexpr uint64_t kMaxPositive = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
constexpr uint64_t kMaxNegative = kMaxPositive + 1;  // |INT64_MIN|

// Markers people write for Egyptian pounds. Longest first, so "ج.م." wins over
// "ج.م" and "L.E." over "L.E" and "LE".
constexpr std::array<std::string_view, 10> kCurrencyMarkers = {
    "\u062C\u0646\u064A\u0647\u064B\u0627",  // جنيهًا
    "\u062C\u0646\u064A\u0647\u0627\u064B",  // جنيهاً
    "\u062C\u0646\u064A\u0647\u0627",        // جنيها
    "\u062C\u0646\u064A\u0647",              // جنيه
    "\u062C.\u0645.",                        // ج.م.
    "\u062C.\u0645",                         // ج.م
    "L.E.",
    "L.E",
    "EGP",
    "LE",
};

bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

bool EqualsIgnoreAsciiCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

// Removes one currency marker from the front of `text`; true when found.
// A Latin marker must not run straight into more letters ("LEMON" is not LE).
bool StripCurrencyPrefix(std::string_view& text) {
  for (std::string_view marker : kCurrencyMarkers) {
    if (text.size() >= marker.size() && EqualsIgnoreAsciiCase(text.substr(0, marker.size()), marker)) {
      std::string_view rest = text.substr(marker.size());
      if (!rest.empty() && IsAsciiLetter(rest.front())) continue;
      text = TrimSpaces(rest);
      return true;
    }
  }
  return false;
}

bool StripCurrencySuffix(std::string_view& text) {
  for (std::string_view marker : kCurrencyMarkers) {
    if (text.size() >= marker.size() &&
        EqualsIgnoreAsciiCase(text.substr(text.size() - marker.size()), marker)) {
      std::string_view rest = text.substr(0, text.size() - marker.size());
      if (!rest.empty() && IsAsciiLetter(rest.back())) continue;
      text = TrimSpaces(rest);
      return true;
    }
  }
  return false;
}

// A run of exactly three ASCII letters at either end looks like an ISO 4217
// code we do not take (USD, EUR): worth its own message rather than
// "invalid format".
bool LooksLikeForeignCurrency(std::string_view text) {
  size_t head = 0;
  while (head < text.size() && IsAsciiLetter(text[head])) ++head;
  size_t tail = 0;
  while (tail < text.size() && IsAsciiLetter(text[text.size() - 1 - tail])) ++tail;
  const bool all_letters = head == text.size();
  return !all_letters && (head == 3 || tail == 3);
}

// Writes `magnitude` piastres as "1250.50" or, grouped, "1,250.50".
std::string FormatMagnitude(uint64_t magnitude, bool grouped) {
  const uint64_t pounds = magnitude / 100;
  const uint64_t piastres = magnitude % 100;
  std::string digits = std::to_string(pounds);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (grouped && i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  out.push_back('.');
  out.push_back(static_cast<char>('0' + piastres / 10));
  out.push_back(static_cast<char>('0' + piastres % 10));
  return out;
}

uint64_t Magnitude(int64_t value) {
  // Two's complement negation in unsigned arithmetic is defined even for INT64_MIN.
  return value < 0 ? 0 - static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
}

Error Overflow(std::string detail) { return Error{"money.overflow", std::move(detail)}; }

}  // namespace

Result<Money> Money::FromPounds(int64_t pounds) {
  int64_t piastres = 0;
  if (__builtin_mul_overflow(pounds, kPiastresPerPound, &piastres)) {
    return Overflow("pounds out of range: " + std::to_string(pounds));
  }
  return Money(piastres);
}

Result<Money> Money::Parse(std::string_view input) {
  const std::string normalized = NormalizeDigits(input);
  std::string_view text = TrimSpaces(normalized);
  if (text.empty()) return Error{"money.empty", "no amount given"};

  // "-EGP 5", "EGP -5" and "-5 EGP" all mean minus five pounds; one sign only.
  bool negative = false;
  auto take_sign = [&]() -> bool {
    if (!text.empty() && text.front() == '-') {
      if (negative) return false;
      negative = true;
      text = TrimSpaces(text.substr(1));
    }
    return true;
  };
  if (!take_sign()) return Error{"money.invalid_format", "more than one minus sign"};
  const bool prefix = StripCurrencyPrefix(text);
  if (!take_sign()) return Error{"money.invalid_format", "more than one minus sign"};
  const bool suffix = StripCurrencySuffix(text);
  if (prefix && suffix) return Error{"money.invalid_format", "currency written twice"};
  if (text.empty()) return Error{"money.empty", "a currency but no number"};

  // The number: integer digits, optionally grouped by ',' in threes, then an
  // optional '.' and one or two decimals.
  size_t pos = 0;
  uint64_t pounds = 0;
  size_t int_digits = 0;
  size_t group_digits = 0;  // digits since the last ','
  bool grouped = false;
  bool pounds_overflow = false;
  for (; pos < text.size() && (IsAsciiDigit(text[pos]) || text[pos] == ','); ++pos) {
    const char c = text[pos];
    if (c == ',') {
      // The first group holds 1-3 digits, every later one exactly 3.
      if (int_digits == 0 || (grouped ? group_digits != 3 : group_digits > 3)) {
        return Error{"money.invalid_format", "misplaced thousands separator"};
      }
      grouped = true;
      group_digits = 0;
      continue;
    }
    ++int_digits;
    ++group_digits;
    if (pounds > (kMaxNegative / 100 - static_cast<uint64_t>(c - '0')) / 10) pounds_overflow = true;
    if (!pounds_overflow) pounds = pounds * 10 + static_cast<uint64_t>(c - '0');
  }
  if (int_digits == 0) {
    if (LooksLikeForeignCurrency(text)) return Error{"money.unsupported_currency", std::string(text)};
    return Error{"money.invalid_format", "no digits before the decimal point"};
  }
  if (grouped && group_digits != 3) return Error{"money.invalid_format", "misplaced thousands separator"};

  uint64_t fraction = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    size_t decimals = 0;
    for (; pos < text.size() && IsAsciiDigit(text[pos]); ++pos, ++decimals) {
      if (decimals < 2) fraction = fraction * 10 + static_cast<uint64_t>(text[pos] - '0');
    }
    if (decimals == 0) return Error{"money.invalid_format", "decimal point without decimals"};
    if (decimals > 2) return Error{"money.too_many_decimals", "a piastre is the smallest unit"};
    if (decimals == 1) fraction *= 10;  // "0.5" is fifty piastres
  }
  if (pos != text.size()) {
    if (LooksLikeForeignCurrency(text)) return Error{"money.unsupported_currency", std::string(text)};
    return Error{"money.invalid_format", "unexpected text: " + std::string(text.substr(pos))};
  }

  const uint64_t limit = negative ? kMaxNegative : kMaxPositive;
  if (pounds_overflow || pounds > (limit - fraction) / 100) {
    return Overflow("amount larger than the largest representable sum");
  }
  const uint64_t magnitude = pounds * 100 + fraction;
  if (negative) return Money(static_cast<int64_t>(0 - magnitude));  // wraps to INT64_MIN exactly
  return Money(static_cast<int64_t>(magnitude));
}

std::string Money::ToEnglish() const {
  return std::string(piastres_ < 0 ? "EGP -" : "EGP ") + FormatMagnitude(Magnitude(piastres_), true);
}

std::string Money::ToArabic() const {
  return std::string(piastres_ < 0 ? "-" : "") + ToArabicIndicDigits(FormatMagnitude(Magnitude(piastres_), true)) +
         " \u062C.\u0645.";
}

std::string Money::ToPlain() const {
  return std::string(piastres_ < 0 ? "-" : "") + FormatMagnitude(Magnitude(piastres_), false);
}

Result<Money> Money::Add(Money other) const {
  int64_t sum = 0;
  if (__builtin_add_overflow(piastres_, other.piastres_, &sum)) return Overflow("sum out of range");
  return Money(sum);
}

Result<Money> Money::Subtract(Money other) const {
  int64_t difference = 0;
  if (__builtin_sub_overflow(piastres_, other.piastres_, &difference)) return Overflow("difference out of range");
  return Money(difference);
}

Result<Money> Money::Multiply(int64_t factor) const {
  int64_t product = 0;
  if (__builtin_mul_overflow(piastres_, factor, &product)) return Overflow("product out of range");
  return Money(product);
}

Result<Money> Money::Negate() const {
  if (piastres_ == std::numeric_limits<int64_t>::min()) return Overflow("cannot negate the minimum");
  return Money(-piastres_);
}

Result<Money> Money::Percentage(int64_t basis_points, Rounding rounding) const {
  // |piastres * bp| < 2^126, so the 128-bit product cannot overflow.
  const __int128 numerator = static_cast<__int128>(piastres_) * basis_points;
  const __int128 denominator = kBasisPointsPerWhole;
  __int128 quotient = numerator / denominator;  // truncates toward zero
  const __int128 remainder = numerator % denominator;  // same sign as numerator
  if (remainder != 0) {
    const int sign = numerator < 0 ? -1 : 1;
    const __int128 twice = (remainder < 0 ? -remainder : remainder) * 2;
    bool away = false;  // move one piastre away from zero?
    switch (rounding) {
      case Rounding::kTowardZero: away = false; break;
      case Rounding::kAwayFromZero: away = true; break;
      case Rounding::kFloor: away = sign < 0; break;
      case Rounding::kCeiling: away = sign > 0; break;
      case Rounding::kHalfUp: away = twice >= denominator; break;
      case Rounding::kHalfEven:
        away = twice > denominator || (twice == denominator && quotient % 2 != 0);
        break;
    }
    if (away) quotient += sign;
  }
  if (quotient > std::numeric_limits<int64_t>::max() || quotient < std::numeric_limits<int64_t>::min()) {
    return Overflow("percentage out of range");
  }
  return Money(static_cast<int64_t>(quotient));
}

}  // namespace lahza
