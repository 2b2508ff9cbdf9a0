#include "core/card.h"

#include <gtest/gtest.h>

#include "core/expect_error.h"

namespace lahza {
namespace {

// `body` followed by the digit that makes it pass Luhn, computed here
// independently of the code under test (brute force over the ten candidates
// with the textbook rule).
std::string WithCheckDigit(const std::string& body) {
  for (char d = '0'; d <= '9'; ++d) {
    std::string candidate = body + d;
    int sum = 0;
    for (size_t i = 0; i < candidate.size(); ++i) {
      int v = candidate[candidate.size() - 1 - i] - '0';
      if (i % 2 == 1) v = v * 2 > 9 ? v * 2 - 9 : v * 2;
      sum += v;
    }
    if (sum % 10 == 0) return candidate;
  }
  return "";
}

std::string BrandId(std::string_view number) {
  auto card = CardNumber::Parse(number);
  EXPECT_TRUE(card.ok()) << number << ": " << (card.ok() ? "" : card.error().code);
  return card.ok() ? card->brand().id : "";
}

TEST(Luhn, KnownNumbers) {
  EXPECT_TRUE(PassesLuhn("4111111111111111"));
  EXPECT_TRUE(PassesLuhn("79927398713"));
  EXPECT_FALSE(PassesLuhn("79927398710"));
  EXPECT_FALSE(PassesLuhn("4111111111111112"));
  EXPECT_FALSE(PassesLuhn("0"));
  EXPECT_FALSE(PassesLuhn(""));
  EXPECT_FALSE(PassesLuhn("41a1"));
}

TEST(Luhn, CheckDigitCompletesAPayload) {
  EXPECT_EQ(LuhnCheckDigit("7992739871"), 3);
  EXPECT_EQ(LuhnCheckDigit("411111111111111"), 1);
  EXPECT_EQ(LuhnCheckDigit("0"), 0);
  // Every payload, completed with its digit, passes; any other digit fails.
  for (std::string payload : {"1", "12", "123456789", "000000000", "999999999"}) {
    const int check = LuhnCheckDigit(payload);
    ASSERT_GE(check, 0);
    ASSERT_LE(check, 9);
    for (int digit = 0; digit <= 9; ++digit) {
      EXPECT_EQ(PassesLuhn(payload + static_cast<char>('0' + digit)), digit == check) << payload << digit;
    }
  }
}

TEST(Card, Brands) {
  EXPECT_EQ(BrandId("4111111111111111"), "visa");
  EXPECT_EQ(BrandId("4222222222222"), "visa");  // 13-digit Visa
  EXPECT_EQ(BrandId(WithCheckDigit("411111111111111111")), "visa");  // 19
  EXPECT_EQ(BrandId("5555555555554444"), "mastercard");
  EXPECT_EQ(BrandId("5105105105105100"), "mastercard");
  EXPECT_EQ(BrandId("2221000000000009"), "mastercard");
  EXPECT_EQ(BrandId(WithCheckDigit("272099999999999")), "mastercard");
  EXPECT_EQ(BrandId(WithCheckDigit("507803123456789")), "meeza");
  EXPECT_EQ(BrandId(WithCheckDigit("507808000000001")), "meeza");
  EXPECT_EQ(BrandId(WithCheckDigit("507809000000001")), "meeza");
  EXPECT_EQ(BrandId(WithCheckDigit("507810000000001")), "meeza");
}

TEST(Card, RangeEdgesAreExact) {
  EXPECT_ERROR(CardNumber::Parse(WithCheckDigit("222099999999999")), "card.unknown_brand");
  EXPECT_ERROR(CardNumber::Parse(WithCheckDigit("272100000000000")), "card.unknown_brand");
  EXPECT_ERROR(CardNumber::Parse(WithCheckDigit("500000000000000")), "card.unknown_brand");
  EXPECT_ERROR(CardNumber::Parse(WithCheckDigit("560000000000000")), "card.unknown_brand");
  EXPECT_ERROR(CardNumber::Parse(WithCheckDigit("507804000000000")), "card.unknown_brand");
  EXPECT_ERROR(CardNumber::Parse(WithCheckDigit("507811000000000")), "card.unknown_brand");
  EXPECT_ERROR(CardNumber::Parse("378282246310005"), "card.unknown_brand");  // Amex: not on the network
}

TEST(Card, MeezaIsSixteenDigits) {
  EXPECT_ERROR(CardNumber::Parse(WithCheckDigit("50780312345678")), "card.invalid_length_for_brand");     // 15
  EXPECT_ERROR(CardNumber::Parse(WithCheckDigit("5078031234567890")), "card.invalid_length_for_brand");   // 17
  EXPECT_ERROR(CardNumber::Parse(WithCheckDigit("55555555555544")), "card.invalid_length_for_brand");     // MC 15
  EXPECT_ERROR(CardNumber::Parse(WithCheckDigit("41111111111111")), "card.invalid_length_for_brand");     // Visa 15
}

TEST(Card, MaskedShowsFirstSixAndLastFour) {
  const std::string meeza = WithCheckDigit("507803123456789");
  auto card = CardNumber::Parse(meeza);
  ASSERT_OK(card);
  EXPECT_EQ(card->masked(), "507803******" + meeza.substr(12));
  EXPECT_EQ(card->brand().name_en, "Meeza");
  EXPECT_EQ(card->brand().name_ar, "ميزة");
  EXPECT_EQ(CardNumber::Parse("4222222222222")->masked(), "422222***2222");
}

TEST(Card, SpacesDashesAndArabicDigits) {
  EXPECT_EQ(CardNumber::Parse("4111 1111 1111 1111")->digits(), "4111111111111111");
  EXPECT_EQ(CardNumber::Parse("4111-1111-1111-1111")->digits(), "4111111111111111");
  EXPECT_EQ(CardNumber::Parse("٤١١١ ١١١١ ١١١١ ١١١١")->digits(), "4111111111111111");
}

TEST(Card, Rejects) {
  EXPECT_ERROR(CardNumber::Parse(""), "card.empty");
  EXPECT_ERROR(CardNumber::Parse(" -- "), "card.empty");
  EXPECT_ERROR(CardNumber::Parse("4111 1111 1111 111x"), "card.invalid_characters");
  EXPECT_ERROR(CardNumber::Parse("41111111111"), "card.invalid_length");          // 11
  EXPECT_ERROR(CardNumber::Parse("41111111111111111111"), "card.invalid_length");  // 20
  EXPECT_ERROR(CardNumber::Parse(std::string(500, '4')), "card.invalid_length");
  EXPECT_ERROR(CardNumber::Parse("4111111111111112"), "card.invalid_checksum");
  EXPECT_ERROR(CardNumber::Parse("5555555555554445"), "card.invalid_checksum");
}

TEST(Card, EverySingleDigitMistakeIsCaught) {
  const std::string meeza = WithCheckDigit("507803123456789");
  for (size_t i = 6; i < meeza.size(); ++i) {  // past the BIN, so the brand stays
    for (char d = '0'; d <= '9'; ++d) {
      if (d == meeza[i]) continue;
      std::string typo = meeza;
      typo[i] = d;
      EXPECT_ERROR(CardNumber::Parse(typo), "card.invalid_checksum") << typo;
    }
  }
}

TEST(Card, TableLoads) {
  ASSERT_EQ(AllCardBrands().size(), 3u);
  for (const CardBrand& brand : AllCardBrands()) {
    EXPECT_FALSE(brand.name_en.empty());
    EXPECT_FALSE(brand.name_ar.empty());
    EXPECT_FALSE(brand.lengths.empty());
  }
}

}  // namespace
}  // namespace lahza
