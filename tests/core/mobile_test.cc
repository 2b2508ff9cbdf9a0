#include "core/mobile.h"

#include <gtest/gtest.h>

#include "core/expect_error.h"

namespace lahza {
namespace {

std::string E164(std::string_view text) {
  auto result = MobileNumber::Parse(text);
  EXPECT_TRUE(result.ok()) << text << ": " << (result.ok() ? "" : result.error().code);
  return result.ok() ? result->e164() : "";
}

TEST(Mobile, AcceptedShapes) {
  EXPECT_EQ(E164("01012345678"), "+201012345678");
  EXPECT_EQ(E164("+201012345678"), "+201012345678");
  EXPECT_EQ(E164("00201012345678"), "+201012345678");
  EXPECT_EQ(E164("201012345678"), "+201012345678");
  EXPECT_EQ(E164("1012345678"), "+201012345678");
  EXPECT_EQ(E164("+20 010 1234 5678"), "+201012345678");  // trunk zero kept after +20
  EXPECT_EQ(E164("+20 10 1234 5678"), "+201012345678");
  EXPECT_EQ(E164("010-1234-5678"), "+201012345678");
  EXPECT_EQ(E164("(+20) 101.234.5678"), "+201012345678");
  EXPECT_EQ(E164("  01012345678\t"), "+201012345678");
}

TEST(Mobile, ArabicIndicDigits) {
  EXPECT_EQ(E164("٠١٠١٢٣٤٥٦٧٨"), "+201012345678");
  EXPECT_EQ(E164("+٢٠ ١٢٢ ٣٣٣ ٤٤٤٤"), "+201223334444");
  EXPECT_EQ(E164("۰۱۵۵۵۵۵۵۵۵۵"), "+201555555555");
  EXPECT_EQ(E164("\u200E+20 111 000 0000\u200E"), "+201110000000");
}

TEST(Mobile, Operators) {
  struct Case {
    const char* number;
    MobileOperator op;
    const char* en;
    const char* ar;
  };
  for (const Case& c : {Case{"01012345678", MobileOperator::kVodafone, "Vodafone", "فودافون"},
                        Case{"01112345678", MobileOperator::kEtisalat, "e& (Etisalat)", "اتصالات (e&)"},
                        Case{"01212345678", MobileOperator::kOrange, "Orange", "أورنج"},
                        Case{"01512345678", MobileOperator::kWe, "WE", "وي"}}) {
    auto number = MobileNumber::Parse(c.number);
    ASSERT_OK(number);
    EXPECT_EQ(number->mobile_operator(), c.op);
    EXPECT_EQ(OperatorNameEn(number->mobile_operator()), c.en);
    EXPECT_EQ(OperatorNameAr(number->mobile_operator()), c.ar);
    EXPECT_EQ(number->national(), c.number);
  }
}

TEST(Mobile, Rejects) {
  EXPECT_ERROR(MobileNumber::Parse(""), "mobile.empty");
  EXPECT_ERROR(MobileNumber::Parse(" - "), "mobile.empty");
  EXPECT_ERROR(MobileNumber::Parse("0101234567a"), "mobile.invalid_characters");
  EXPECT_ERROR(MobileNumber::Parse("010+12345678"), "mobile.invalid_characters");
  EXPECT_ERROR(MobileNumber::Parse("++201012345678"), "mobile.invalid_characters");
  EXPECT_ERROR(MobileNumber::Parse("+971501234567"), "mobile.not_egyptian");
  EXPECT_ERROR(MobileNumber::Parse("00966501234567"), "mobile.not_egyptian");
  EXPECT_ERROR(MobileNumber::Parse("0101234567"), "mobile.invalid_length");    // 10 digits with 0
  EXPECT_ERROR(MobileNumber::Parse("010123456789"), "mobile.invalid_length");  // 12 digits
  EXPECT_ERROR(MobileNumber::Parse("+2010123456"), "mobile.invalid_length");
  EXPECT_ERROR(MobileNumber::Parse(std::string(100, '1')), "mobile.invalid_length");
  EXPECT_ERROR(MobileNumber::Parse("0223456789"), "mobile.not_mobile");  // Cairo landline
  EXPECT_ERROR(MobileNumber::Parse("+20223456789"), "mobile.not_mobile");
  EXPECT_ERROR(MobileNumber::Parse("12345"), "mobile.invalid_length");
  EXPECT_ERROR(MobileNumber::Parse("+20 1012"), "mobile.invalid_length");
  EXPECT_ERROR(MobileNumber::Parse("+20"), "mobile.not_mobile");
  for (char d : {'3', '4', '6', '7', '8', '9'}) {
    std::string number = "01" + std::string(1, d) + "12345678";
    EXPECT_ERROR(MobileNumber::Parse(number), "mobile.unknown_operator");
  }
}

TEST(Mobile, EqualityIsOnTheNormalisedForm) {
  EXPECT_EQ(*MobileNumber::Parse("01012345678"), *MobileNumber::Parse("+20 10 1234 5678"));
}

}  // namespace
}  // namespace lahza
