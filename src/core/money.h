// Money: Egyptian pounds held as a whole number of piastres (1 EGP = 100
// piastres) in an int64. Never floating point: every conversion, sum and
// percentage here is exact integer arithmetic, overflow is an error value,
// and rounding happens only where a caller asks for it, in the way it names.
#pragma once

#include <compare>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "core/result.h"

namespace lahza {

// How a fractional piastre is resolved (for percentages and fees).
enum class Rounding {
  kTowardZero,    // truncate: 12.9 -> 12, -12.9 -> -12
  kAwayFromZero,  // 12.1 -> 13, -12.1 -> -13
  kFloor,         // toward minus infinity
  kCeiling,       // toward plus infinity
  kHalfUp,        // nearest; ties away from zero (12.5 -> 13, -12.5 -> -13)
  kHalfEven,      // nearest; ties to the even piastre (banker's rounding)
};

class Money {
 public:
  static constexpr int64_t kPiastresPerPound = 100;
  static constexpr int64_t kBasisPointsPerWhole = 10'000;  // 1 bp = 0.01 %

  constexpr Money() = default;
  static constexpr Money FromPiastres(int64_t piastres) { return Money(piastres); }
  // Whole pounds; money.overflow when pounds * 100 does not fit.
  static Result<Money> FromPounds(int64_t pounds);
  static constexpr Money Zero() { return Money(0); }
  static constexpr Money Max() { return Money(std::numeric_limits<int64_t>::max()); }
  static constexpr Money Min() { return Money(std::numeric_limits<int64_t>::min()); }

  // Parses what a person types: "1,250.50", "1250.5 EGP", "EGP 1250",
  // "١٢٥٠٫٥٠", "١٬٢٥٠٫٥٠ ج.م", "50 جنيه", "-3.25". The currency marker
  // (EGP, LE, L.E., ج.م, ج.م., جنيه, جنيها) may come before or after the
  // number, once. Thousands separators, when used, must group by three. At
  // most two decimals. A leading minus is accepted (adjustments, refunds);
  // code taking a payment amount must also require is_positive(). Errors: money.empty, money.invalid_format,
  // money.too_many_decimals, money.unsupported_currency, money.overflow.
  static Result<Money> Parse(std::string_view text);

  constexpr int64_t piastres() const { return piastres_; }
  constexpr bool is_zero() const { return piastres_ == 0; }
  constexpr bool is_negative() const { return piastres_ < 0; }
  constexpr bool is_positive() const { return piastres_ > 0; }

  // "EGP 1,250.50" (negative: "EGP -1,250.50").
  std::string ToEnglish() const;
  // "١٬٢٥٠٫٥٠ ج.م." (negative: "-١٬٢٥٠٫٥٠ ج.م.").
  std::string ToArabic() const;
  // "1250.50": no grouping, no currency, for machines (JSON, CSV, logs).
  std::string ToPlain() const;

  // Overflow-checked arithmetic; money.overflow when the result leaves int64.
  Result<Money> Add(Money other) const;
  Result<Money> Subtract(Money other) const;
  Result<Money> Multiply(int64_t factor) const;
  Result<Money> Negate() const;
  // this * basis_points / 10000, rounded as asked (250 bp = 2.5 %). Exact:
  // the intermediate product is 128-bit, so only a result outside int64 is
  // money.overflow.
  Result<Money> Percentage(int64_t basis_points, Rounding rounding) const;

  friend constexpr auto operator<=>(Money, Money) = default;
  friend constexpr bool operator==(Money, Money) = default;

 private:
  constexpr explicit Money(int64_t piastres) : piastres_(piastres) {}
  int64_t piastres_ = 0;
};

}  // namespace lahza
