#include "core/iban.h"

#include <gtest/gtest.h>

#include "core/expect_error.h"

namespace lahza {
namespace {

constexpr std::string_view kEgypt = "EG380019000500000000263180002";  // the SWIFT registry's example

TEST(Iban, EgyptianIbanAndItsParts) {
  auto iban = Iban::Parse(kEgypt);
  ASSERT_OK(iban);
  EXPECT_EQ(iban->electronic(), kEgypt);
  EXPECT_EQ(iban->electronic().size(), 29u);
  EXPECT_EQ(iban->printed(), "EG38 0019 0005 0000 0000 2631 8000 2");
  EXPECT_EQ(iban->country_code(), "EG");
  EXPECT_EQ(iban->check_digits(), "38");
  EXPECT_EQ(iban->bban(), "0019000500000000263180002");
  auto parts = iban->egypt();
  ASSERT_TRUE(parts.has_value());
  EXPECT_EQ(parts->bank_code, "0019");
  EXPECT_EQ(parts->branch_code, "0005");
  EXPECT_EQ(parts->account_number, "00000000263180002");
}

TEST(Iban, PrintedLowercaseAndArabicDigitsAreAccepted) {
  EXPECT_EQ(Iban::Parse("EG38 0019 0005 0000 0000 2631 8000 2")->electronic(), kEgypt);
  EXPECT_EQ(Iban::Parse("eg380019000500000000263180002")->electronic(), kEgypt);
  EXPECT_EQ(Iban::Parse("EG٣٨ ٠٠١٩ ٠٠٠٥ ٠٠٠٠ ٠٠٠٠ ٢٦٣١ ٨٠٠٠ ٢")->electronic(), kEgypt);
  EXPECT_EQ(Iban::Parse("  EG38-0019-0005-0000-0000-2631-8000-2 ")->electronic(), kEgypt);
}

TEST(Iban, OtherCountries) {
  for (std::string_view valid : {"GB29NWBK60161331926819", "DE89370400440532013000", "NO9386011117947",
                                 "LC55HEMM000100010012001200023015", "SA0380000000608010167519",
                                 "AE070331234567890123456", "JO94CBJO0010000000000131000302",
                                 "MT84MALT011000012345MTLCAST001S", "QA58DOHB00001234567890ABCDEFG"}) {
    auto iban = Iban::Parse(valid);
    ASSERT_OK(iban);
    EXPECT_FALSE(iban->egypt().has_value());
    EXPECT_EQ(static_cast<int>(iban->electronic().size()), IbanLength(iban->country_code()));
  }
  EXPECT_EQ(Iban::Parse("GB29NWBK60161331926819")->printed(), "GB29 NWBK 6016 1331 9268 19");
}

TEST(Iban, LengthTable) {
  EXPECT_EQ(IbanLength("EG"), 29);
  EXPECT_EQ(IbanLength("NO"), 15);
  EXPECT_EQ(IbanLength("RU"), 33);
  EXPECT_EQ(IbanLength("SA"), 24);
  EXPECT_EQ(IbanLength("US"), 0);
  EXPECT_EQ(IbanLength("eg"), 0);  // the table is upper case; Parse upper-cases first
  EXPECT_EQ(IbanLength(""), 0);
}

TEST(Iban, EveryRegisteredCountryAtItsExactLength) {
  int countries = 0;
  for (char a = 'A'; a <= 'Z'; ++a) {
    for (char b = 'A'; b <= 'Z'; ++b) {
      const std::string country{a, b};
      const int length = IbanLength(country);
      if (length == 0) continue;
      ++countries;
      ASSERT_GE(length, 15) << country;
      ASSERT_LE(length, 34) << country;
      // A digits-only BBAN with correct check digits, then one character
      // shorter and longer.
      std::string bban;
      for (int i = 0; i < length - 4; ++i) bban.push_back(static_cast<char>('0' + (i * 7 + a) % 10));
      const int check = 98 - IbanMod97(country + "00" + bban);
      const std::string iban = country + (check < 10 ? "0" : "") + std::to_string(check) + bban;
      ASSERT_OK(Iban::Parse(iban)) << iban;
      EXPECT_ERROR(Iban::Parse(iban + "0"), "iban.invalid_length");
      EXPECT_ERROR(Iban::Parse(iban.substr(0, iban.size() - 1)), "iban.invalid_length");
    }
  }
  EXPECT_EQ(countries, 89);  // the SWIFT registry as of 2025
}

TEST(Iban, LengthBoundaries) {
  EXPECT_ERROR(Iban::Parse("EG38001900050000000026318000"), "iban.invalid_length");    // 28
  EXPECT_ERROR(Iban::Parse("EG3800190005000000002631800021"), "iban.invalid_length");  // 30
  EXPECT_ERROR(Iban::Parse("EG"), "iban.invalid_length");
  EXPECT_ERROR(Iban::Parse(std::string(200, '1')), "iban.unknown_country");
  EXPECT_ERROR(Iban::Parse("EG" + std::string(200, '1')), "iban.invalid_length");
}

TEST(Iban, Rejects) {
  EXPECT_ERROR(Iban::Parse(""), "iban.empty");
  EXPECT_ERROR(Iban::Parse("  "), "iban.empty");
  EXPECT_ERROR(Iban::Parse("EG38_0019"), "iban.invalid_characters");
  EXPECT_ERROR(Iban::Parse("EG38 ٠٠١٩ ج"), "iban.invalid_characters");
  EXPECT_ERROR(Iban::Parse("US64SVBKUS6S3300958879"), "iban.unknown_country");
  EXPECT_ERROR(Iban::Parse("1234"), "iban.unknown_country");
  EXPECT_ERROR(Iban::Parse("E"), "iban.unknown_country");
  EXPECT_ERROR(Iban::Parse("EG390019000500000000263180002"), "iban.invalid_checksum");
  EXPECT_ERROR(Iban::Parse("EGAB0019000500000000263180002"), "iban.invalid_checksum");
  EXPECT_ERROR(Iban::Parse("EG380019000500000000263180A02"), "iban.invalid_bban");
}

TEST(Iban, EverySingleDigitMistakeIsCaught) {
  for (size_t i = 2; i < kEgypt.size(); ++i) {
    for (char d = '0'; d <= '9'; ++d) {
      if (d == kEgypt[i]) continue;
      std::string typo(kEgypt);
      typo[i] = d;
      EXPECT_ERROR(Iban::Parse(typo), "iban.invalid_checksum");
    }
  }
}

TEST(Iban, EveryNeighbourSwapIsCaught) {
  // Within the check digits and within the BBAN (the check digits and the
  // BBAN are not neighbours once MOD 97-10 rotates the first four to the end).
  std::vector<size_t> positions = {2};
  for (size_t i = 4; i + 1 < kEgypt.size(); ++i) positions.push_back(i);
  for (size_t i : positions) {
    if (kEgypt[i] == kEgypt[i + 1]) continue;
    std::string swapped(kEgypt);
    std::swap(swapped[i], swapped[i + 1]);
    EXPECT_ERROR(Iban::Parse(swapped), "iban.invalid_checksum") << swapped;
  }
}

TEST(Iban, Mod97) {
  EXPECT_EQ(IbanMod97(kEgypt), 1);
  EXPECT_EQ(IbanMod97("GB29NWBK60161331926819"), 1);
  // Computing check digits: 98 - mod97(country + "00" + bban).
  const int check = 98 - IbanMod97("EG000019000500000000263180002");
  EXPECT_EQ(check, 38);
}

}  // namespace
}  // namespace lahza
