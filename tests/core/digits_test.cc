#include "core/digits.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <limits>

namespace lahza {
namespace {

TEST(Digits, GroupedDigitsSkipSpacesAndDashesOnly) {
  EXPECT_EQ(GroupedDigits("4111 1111-1111  1111", 19), "4111111111111111");
  EXPECT_EQ(GroupedDigits("", 19), "");
  EXPECT_EQ(GroupedDigits("12.34", 19), std::nullopt);
  EXPECT_EQ(GroupedDigits("12a", 19), std::nullopt);
  EXPECT_EQ(GroupedDigits("١٢", 19), std::nullopt);  // NormalizeDigits first
  // A long input is cut one digit past the maximum: too long, without copying it all.
  EXPECT_EQ(GroupedDigits("123456789", 3), "1234");
  EXPECT_EQ(GroupedDigits("1234x", 3), "1234");
}

TEST(Digits, ArabicIndicDigitsBecomeAscii) {
  EXPECT_EQ(NormalizeDigits("٠١٢٣٤٥٦٧٨٩"), "0123456789");
}

TEST(Digits, EasternArabicIndicDigitsBecomeAscii) {
  EXPECT_EQ(NormalizeDigits("۰۱۲۳۴۵۶۷۸۹"), "0123456789");
}

TEST(Digits, ArabicSeparatorsBecomeAscii) {
  EXPECT_EQ(NormalizeDigits("١٬٢٥٠٫٥٠"), "1,250.50");
}

TEST(Digits, MixedTextKeepsEverythingElse) {
  EXPECT_EQ(NormalizeDigits("مبلغ ١٢ EGP و 3"), "مبلغ 12 EGP و 3");
  EXPECT_EQ(NormalizeDigits(""), "");
  // Arabic letters whose UTF-8 starts with the same lead byte are untouched.
  EXPECT_EQ(NormalizeDigits("ٱ"), "ٱ");  // U+0671 is D9 B1
  EXPECT_EQ(NormalizeDigits("ی"), "ی");  // U+06CC is DB 8C
}

TEST(Digits, InvisibleDirectionMarksAreRemoved) {
  EXPECT_EQ(NormalizeDigits("\u200F٠١٠\u200E"), "010");
  EXPECT_EQ(NormalizeDigits("\u061C12\u2066\u2069"), "12");
  EXPECT_EQ(NormalizeDigits("\u202B5\u202C"), "5");
  // Other punctuation from the same block stays.
  EXPECT_EQ(NormalizeDigits("a\u2014b"), "a\u2014b");
}

TEST(Digits, TruncatedUtf8AtTheEndIsCopied) {
  const std::string truncated = std::string("1") + '\xD9';
  EXPECT_EQ(NormalizeDigits(truncated), truncated);
  const std::string truncated3 = std::string("1") + "\xE2\x80";
  EXPECT_EQ(NormalizeDigits(truncated3), truncated3);
}

TEST(Digits, ToArabicIndicDigits) {
  EXPECT_EQ(ToArabicIndicDigits("1,250.50"), "١٬٢٥٠٫٥٠");
  EXPECT_EQ(ToArabicIndicDigits("EGP 9"), "EGP ٩");
  EXPECT_EQ(NormalizeDigits(ToArabicIndicDigits("9876543210.12,3")), "9876543210.12,3");
}

TEST(Digits, TrimSpaces) {
  EXPECT_EQ(TrimSpaces("  a b \t\n"), "a b");
  EXPECT_EQ(TrimSpaces("\u00A0x\u202F"), "x");
  EXPECT_EQ(TrimSpaces(" \u00A0 "), "");
  EXPECT_EQ(TrimSpaces(""), "");
}

TEST(ZeroPaddedTest, WritesWhatPrintfWrites) {
  for (int64_t value : {int64_t{0}, int64_t{5}, int64_t{12}, int64_t{123}, int64_t{2026}, int64_t{-5}, int64_t{-12345},
                        std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min()}) {
    for (int width : {0, 1, 2, 3, 4, 25}) {
      char expected[64];
      std::snprintf(expected, sizeof expected, "%0*lld", width, static_cast<long long>(value));
      EXPECT_EQ(ZeroPadded(value, width), expected) << value << " in " << width;
    }
  }
  EXPECT_EQ(ZeroPadded(5, 2), "05");
  EXPECT_EQ(ZeroPadded(2026, 4), "2026");
}

}  // namespace
}  // namespace lahza
