#include "core/money.h"

#include <gtest/gtest.h>

#include <limits>

#include "core/expect_error.h"

namespace lahza {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

int64_t Piastres(std::string_view text) {
  auto result = Money::Parse(text);
  EXPECT_TRUE(result.ok()) << text << ": " << (result.ok() ? "" : result.error().code);
  return result.ok() ? result->piastres() : -1;
}

TEST(MoneyParse, EnglishForms) {
  EXPECT_EQ(Piastres("1,250.50"), 125050);
  EXPECT_EQ(Piastres("1250.5 EGP"), 125050);
  EXPECT_EQ(Piastres("EGP 1250"), 125000);
  EXPECT_EQ(Piastres("egp1250"), 125000);
  EXPECT_EQ(Piastres("1250EGP"), 125000);
  EXPECT_EQ(Piastres("LE 20"), 2000);
  EXPECT_EQ(Piastres("20 L.E."), 2000);
  EXPECT_EQ(Piastres("  0.01  "), 1);
  EXPECT_EQ(Piastres("0"), 0);
  EXPECT_EQ(Piastres("007"), 700);
  EXPECT_EQ(Piastres("1,000,000"), 100000000);
  EXPECT_EQ(Piastres("999"), 99900);
}

TEST(MoneyParse, ArabicForms) {
  EXPECT_EQ(Piastres("١٢٥٠٫٥٠"), 125050);
  EXPECT_EQ(Piastres("١٬٢٥٠٫٥٠ ج.م"), 125050);
  EXPECT_EQ(Piastres("١٬٢٥٠٫٥٠ ج.م."), 125050);
  EXPECT_EQ(Piastres("٥٠ جنيه"), 5000);
  EXPECT_EQ(Piastres("٥٠ جنيها"), 5000);
  EXPECT_EQ(Piastres("جنيه ٥٠"), 5000);
  EXPECT_EQ(Piastres("۱۲۵۰٫۵"), 125050);           // Eastern Arabic-Indic digits
  EXPECT_EQ(Piastres("\u200F١٠٠ ج.م\u200F"), 10000);  // copied from RTL text
  EXPECT_EQ(Piastres("١٠٠\u00A0ج.م."), 10000);        // no-break space before the currency
}

TEST(MoneyParse, Negative) {
  EXPECT_EQ(Piastres("-3.25"), -325);
  EXPECT_EQ(Piastres("EGP -3.25"), -325);
  EXPECT_EQ(Piastres("-EGP 3.25"), -325);
  EXPECT_EQ(Piastres("-0"), 0);
  EXPECT_ERROR(Money::Parse("--3"), "money.invalid_format");
  EXPECT_ERROR(Money::Parse("-EGP -3"), "money.invalid_format");
}

TEST(MoneyParse, Rejects) {
  EXPECT_ERROR(Money::Parse(""), "money.empty");
  EXPECT_ERROR(Money::Parse("   "), "money.empty");
  EXPECT_ERROR(Money::Parse("EGP"), "money.empty");
  EXPECT_ERROR(Money::Parse("1.234"), "money.too_many_decimals");
  EXPECT_ERROR(Money::Parse("١٫٢٣٤"), "money.too_many_decimals");
  EXPECT_ERROR(Money::Parse("0.001"), "money.too_many_decimals");
  EXPECT_ERROR(Money::Parse("abc"), "money.invalid_format");
  EXPECT_ERROR(Money::Parse("12abcd"), "money.invalid_format");
  EXPECT_ERROR(Money::Parse("12 ab"), "money.invalid_format");
  EXPECT_ERROR(Money::Parse("USD"), "money.invalid_format");
  EXPECT_ERROR(Money::Parse("1.2.3"), "money.invalid_format");
  EXPECT_ERROR(Money::Parse(".5"), "money.invalid_format");
  EXPECT_ERROR(Money::Parse("5."), "money.invalid_format");
  EXPECT_ERROR(Money::Parse("+5"), "money.invalid_format");
  EXPECT_ERROR(Money::Parse("1 000"), "money.invalid_format");
  EXPECT_ERROR(Money::Parse("1e5"), "money.invalid_format");
  EXPECT_ERROR(Money::Parse("EGP 5 EGP"), "money.invalid_format");
  EXPECT_ERROR(Money::Parse("LEMON 5"), "money.invalid_format");
  EXPECT_ERROR(Money::Parse("100 USD"), "money.unsupported_currency");
  EXPECT_ERROR(Money::Parse("EUR 100"), "money.unsupported_currency");
  EXPECT_ERROR(Money::Parse("12usd"), "money.unsupported_currency");
  EXPECT_ERROR(Money::Parse("SAR 1,000.00"), "money.unsupported_currency");
}

TEST(MoneyParse, ThousandsSeparatorsMustGroupByThree) {
  EXPECT_ERROR(Money::Parse("1,25"), "money.invalid_format");
  EXPECT_ERROR(Money::Parse("1250,50"), "money.invalid_format");
  EXPECT_ERROR(Money::Parse("12,34,567"), "money.invalid_format");
  EXPECT_ERROR(Money::Parse(",100"), "money.invalid_format");
  EXPECT_ERROR(Money::Parse("100,"), "money.invalid_format");
  EXPECT_ERROR(Money::Parse("1,,000"), "money.invalid_format");
  EXPECT_ERROR(Money::Parse("1,0000"), "money.invalid_format");
  EXPECT_EQ(Piastres("12,345,678.90"), 1234567890);
  EXPECT_EQ(Piastres("123,456"), 12345600);
}

TEST(MoneyParse, Int64Boundaries) {
  EXPECT_EQ(Piastres("92233720368547758.07"), kMax);
  EXPECT_EQ(Piastres("92,233,720,368,547,758.07"), kMax);
  EXPECT_EQ(Piastres("-92233720368547758.08"), kMin);
  EXPECT_ERROR(Money::Parse("92233720368547758.08"), "money.overflow");
  EXPECT_ERROR(Money::Parse("-92233720368547758.09"), "money.overflow");
  EXPECT_ERROR(Money::Parse("92233720368547759"), "money.overflow");
  EXPECT_ERROR(Money::Parse("999999999999999999999999999999"), "money.overflow");
  EXPECT_ERROR(Money::Parse("18446744073709551616"), "money.overflow");  // 2^64 pounds must not wrap
}

TEST(MoneyFormat, English) {
  EXPECT_EQ(Money::FromPiastres(125050).ToEnglish(), "EGP 1,250.50");
  EXPECT_EQ(Money::FromPiastres(0).ToEnglish(), "EGP 0.00");
  EXPECT_EQ(Money::FromPiastres(5).ToEnglish(), "EGP 0.05");
  EXPECT_EQ(Money::FromPiastres(100000).ToEnglish(), "EGP 1,000.00");
  EXPECT_EQ(Money::FromPiastres(99999).ToEnglish(), "EGP 999.99");
  EXPECT_EQ(Money::FromPiastres(-125050).ToEnglish(), "EGP -1,250.50");
  EXPECT_EQ(Money::Max().ToEnglish(), "EGP 92,233,720,368,547,758.07");
  EXPECT_EQ(Money::Min().ToEnglish(), "EGP -92,233,720,368,547,758.08");
}

TEST(MoneyFormat, Arabic) {
  EXPECT_EQ(Money::FromPiastres(125050).ToArabic(), "١٬٢٥٠٫٥٠ ج.م.");
  EXPECT_EQ(Money::FromPiastres(7).ToArabic(), "٠٫٠٧ ج.م.");
  EXPECT_EQ(Money::FromPiastres(-100).ToArabic(), "-١٫٠٠ ج.م.");
}

TEST(MoneyFormat, Plain) {
  EXPECT_EQ(Money::FromPiastres(125050).ToPlain(), "1250.50");
  EXPECT_EQ(Money::FromPiastres(-1).ToPlain(), "-0.01");
  EXPECT_EQ(Money::Min().ToPlain(), "-92233720368547758.08");
}

TEST(MoneyFormat, RoundTripsThroughParse) {
  for (int64_t p : {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{99}, int64_t{100}, int64_t{123456789}, kMax, kMin,
                    kMax - 1, kMin + 1}) {
    const Money money = Money::FromPiastres(p);
    EXPECT_EQ(Piastres(money.ToEnglish()), p);
    EXPECT_EQ(Piastres(money.ToArabic()), p);
    EXPECT_EQ(Piastres(money.ToPlain()), p);
  }
}

TEST(MoneyArithmetic, FromPounds) {
  EXPECT_EQ(Money::FromPounds(70000)->piastres(), 7000000);
  EXPECT_EQ(Money::FromPounds(-5)->piastres(), -500);
  EXPECT_ERROR(Money::FromPounds(kMax / 100 + 1), "money.overflow");
  EXPECT_ERROR(Money::FromPounds(kMin / 100 - 1), "money.overflow");
  ASSERT_OK(Money::FromPounds(kMax / 100));
}

TEST(MoneyArithmetic, AddSubtractOverflow) {
  EXPECT_EQ(Money::FromPiastres(150).Add(Money::FromPiastres(-200))->piastres(), -50);
  EXPECT_EQ(Money::FromPiastres(150).Subtract(Money::FromPiastres(200))->piastres(), -50);
  EXPECT_EQ(Money::Max().Add(Money::Zero())->piastres(), kMax);
  EXPECT_EQ(Money::Max().Add(Money::Min())->piastres(), -1);
  EXPECT_ERROR(Money::Max().Add(Money::FromPiastres(1)), "money.overflow");
  EXPECT_ERROR(Money::Min().Add(Money::FromPiastres(-1)), "money.overflow");
  EXPECT_ERROR(Money::Min().Subtract(Money::FromPiastres(1)), "money.overflow");
  EXPECT_ERROR(Money::Zero().Subtract(Money::Min()), "money.overflow");
  EXPECT_ERROR(Money::Max().Subtract(Money::FromPiastres(-1)), "money.overflow");
}

TEST(MoneyArithmetic, MultiplyAndNegate) {
  EXPECT_EQ(Money::FromPiastres(125).Multiply(3)->piastres(), 375);
  EXPECT_EQ(Money::FromPiastres(125).Multiply(-3)->piastres(), -375);
  EXPECT_EQ(Money::Max().Multiply(1)->piastres(), kMax);
  EXPECT_EQ(Money::Max().Multiply(-1)->piastres(), -kMax);
  EXPECT_ERROR(Money::Max().Multiply(2), "money.overflow");
  EXPECT_ERROR(Money::Min().Multiply(-1), "money.overflow");
  EXPECT_ERROR(Money::FromPiastres(kMax / 7 + 1).Multiply(7), "money.overflow");
  EXPECT_EQ(Money::FromPiastres(5).Negate()->piastres(), -5);
  EXPECT_EQ(Money::Max().Negate()->piastres(), -kMax);
  EXPECT_ERROR(Money::Min().Negate(), "money.overflow");
}

TEST(MoneyPercentage, ExactAndRounded) {
  const Money amount = Money::FromPiastres(1001);  // EGP 10.01
  // 2.5 % of 1001 = 25.025 piastres
  EXPECT_EQ(amount.Percentage(250, Rounding::kTowardZero)->piastres(), 25);
  EXPECT_EQ(amount.Percentage(250, Rounding::kAwayFromZero)->piastres(), 26);
  EXPECT_EQ(amount.Percentage(250, Rounding::kFloor)->piastres(), 25);
  EXPECT_EQ(amount.Percentage(250, Rounding::kCeiling)->piastres(), 26);
  EXPECT_EQ(amount.Percentage(250, Rounding::kHalfUp)->piastres(), 25);
  EXPECT_EQ(amount.Percentage(250, Rounding::kHalfEven)->piastres(), 25);
  // Exact results need no rounding: 1 % of EGP 100 is EGP 1.
  EXPECT_EQ(Money::FromPiastres(10000).Percentage(100, Rounding::kCeiling)->piastres(), 100);
  EXPECT_EQ(Money::FromPiastres(10000).Percentage(10000, Rounding::kTowardZero)->piastres(), 10000);
  EXPECT_EQ(Money::FromPiastres(10000).Percentage(0, Rounding::kCeiling)->piastres(), 0);
}

TEST(MoneyPercentage, Ties) {
  // 50 bp of 100 piastres = 0.5 piastre, a tie.
  const Money hundred = Money::FromPiastres(100);
  EXPECT_EQ(hundred.Percentage(50, Rounding::kHalfUp)->piastres(), 1);
  EXPECT_EQ(hundred.Percentage(50, Rounding::kHalfEven)->piastres(), 0);
  EXPECT_EQ(hundred.Percentage(150, Rounding::kHalfEven)->piastres(), 2);  // 1.5 -> 2
  EXPECT_EQ(hundred.Percentage(250, Rounding::kHalfEven)->piastres(), 2);  // 2.5 -> 2
  EXPECT_EQ(hundred.Percentage(51, Rounding::kHalfEven)->piastres(), 1);   // 0.51 -> 1
  EXPECT_EQ(hundred.Percentage(49, Rounding::kHalfUp)->piastres(), 0);     // 0.49 -> 0
}

TEST(MoneyPercentage, NegativeAmounts) {
  const Money refund = Money::FromPiastres(-1001);  // -25.025 piastres at 2.5 %
  EXPECT_EQ(refund.Percentage(250, Rounding::kTowardZero)->piastres(), -25);
  EXPECT_EQ(refund.Percentage(250, Rounding::kAwayFromZero)->piastres(), -26);
  EXPECT_EQ(refund.Percentage(250, Rounding::kFloor)->piastres(), -26);
  EXPECT_EQ(refund.Percentage(250, Rounding::kCeiling)->piastres(), -25);
  EXPECT_EQ(Money::FromPiastres(-100).Percentage(50, Rounding::kHalfUp)->piastres(), -1);
  EXPECT_EQ(Money::FromPiastres(-100).Percentage(150, Rounding::kHalfEven)->piastres(), -2);
  EXPECT_EQ(Money::FromPiastres(100).Percentage(-50, Rounding::kFloor)->piastres(), -1);
}

TEST(MoneyPercentage, NoIntermediateOverflow) {
  // Max * 5000 overflows int64 but the result (half of Max) does not.
  EXPECT_EQ(Money::Max().Percentage(5000, Rounding::kTowardZero)->piastres(), kMax / 2);
  EXPECT_EQ(Money::Min().Percentage(5000, Rounding::kTowardZero)->piastres(), kMin / 2);
  EXPECT_EQ(Money::Max().Percentage(10000, Rounding::kTowardZero)->piastres(), kMax);
  EXPECT_ERROR(Money::Max().Percentage(10001, Rounding::kTowardZero), "money.overflow");
  EXPECT_ERROR(Money::Min().Percentage(-10000, Rounding::kTowardZero), "money.overflow");
  EXPECT_ERROR(Money::Max().Percentage(kMax, Rounding::kHalfEven), "money.overflow");
}

TEST(Money, Comparisons) {
  EXPECT_LT(Money::FromPiastres(1), Money::FromPiastres(2));
  EXPECT_EQ(Money::FromPiastres(100), *Money::FromPounds(1));
  EXPECT_TRUE(Money::FromPiastres(-1).is_negative());
  EXPECT_TRUE(Money::Zero().is_zero());
  EXPECT_TRUE(Money::FromPiastres(3).is_positive());
}

}  // namespace
}  // namespace lahza
