#include "core/national_id.h"

#include <gtest/gtest.h>

#include <set>

#include "core/expect_error.h"

namespace lahza {
namespace {

// A fixed "today" so the tests do not depend on the clock.
constexpr CivilDate kToday{2026, 11, 25};

Result<NationalId> Parse(std::string_view text) { return NationalId::Parse(text, kToday); }

TEST(NationalId, ParsesAllParts) {
  // 2 | 900101 | 01 | 1235 | 5: born 1990-01-01 in Cairo, 13th digit 5 (odd) -> male.
  auto id = Parse("29001010112355");
  ASSERT_OK(id);
  EXPECT_EQ(id->digits(), "29001010112355");
  EXPECT_EQ(id->birth_date(), (CivilDate{1990, 1, 1}));
  EXPECT_EQ(id->governorate().code, 1);
  EXPECT_EQ(id->governorate().name_en, "Cairo");
  EXPECT_EQ(id->governorate().name_ar, "القاهرة");
  EXPECT_EQ(id->gender(), Gender::kMale);
  EXPECT_EQ(id->sequence(), 1235);
  EXPECT_EQ(id->check_digit(), 5);
}

TEST(NationalId, GenderFromThirteenthDigit) {
  for (char d = '0'; d <= '9'; ++d) {
    std::string digits = "3050612211230" ;
    digits[12] = d;
    digits += "7";
    auto id = Parse(digits);
    ASSERT_OK(id);
    EXPECT_EQ(id->gender(), (d - '0') % 2 ? Gender::kMale : Gender::kFemale) << digits;
  }
  EXPECT_EQ(GenderNameAr(Gender::kFemale), "أنثى");
  EXPECT_EQ(GenderNameEn(Gender::kMale), "male");
}

TEST(NationalId, Centuries) {
  EXPECT_EQ(Parse("29912310112355")->birth_date(), (CivilDate{1999, 12, 31}));
  EXPECT_EQ(Parse("30001010112355")->birth_date(), (CivilDate{2000, 1, 1}));
  EXPECT_ERROR(Parse("19001010112355"), "national_id.invalid_century");
  EXPECT_ERROR(Parse("49001010112355"), "national_id.invalid_century");
  EXPECT_ERROR(Parse("09001010112355"), "national_id.invalid_century");
}

TEST(NationalId, ArabicIndicDigitsSpacesAndDashes) {
  auto id = Parse("٢٩٠٠١٠١٠١١٢٣٥٥");
  ASSERT_OK(id);
  EXPECT_EQ(id->digits(), "29001010112355");
  EXPECT_EQ(Parse("۲۹۰۰۱۰۱۰۱۱۲۳۵۵")->digits(), "29001010112355");
  EXPECT_EQ(Parse(" 2 900101 01 1235 5 ")->digits(), "29001010112355");
  EXPECT_EQ(Parse("2-900101-01-1235-5")->digits(), "29001010112355");
}

TEST(NationalId, Feb29OnlyInLeapYears) {
  ASSERT_OK(Parse("29602290112355"));  // 1996: leap
  ASSERT_OK(Parse("30002290112355"));  // 2000: divisible by 400, leap
  ASSERT_OK(Parse("32402290112355"));  // 2024: leap
  EXPECT_ERROR(Parse("29702290112355"), "national_id.invalid_birth_date");  // 1997
  EXPECT_ERROR(Parse("20002290112355"), "national_id.invalid_birth_date");  // 1900: century, not leap
  EXPECT_ERROR(Parse("32302290112355"), "national_id.invalid_birth_date");  // 2023
  EXPECT_ERROR(Parse("32402300112355"), "national_id.invalid_birth_date");  // Feb 30 never
}

TEST(NationalId, ImpossibleDates) {
  EXPECT_ERROR(Parse("29013010112355"), "national_id.invalid_birth_date");  // month 13
  EXPECT_ERROR(Parse("29000010112355"), "national_id.invalid_birth_date");  // month 0
  EXPECT_ERROR(Parse("29001000112355"), "national_id.invalid_birth_date");  // day 0
  EXPECT_ERROR(Parse("29004310112355"), "national_id.invalid_birth_date");  // April 31
  EXPECT_ERROR(Parse("29001320112355"), "national_id.invalid_birth_date");  // Jan 32
  ASSERT_OK(Parse("29012310112355"));                                       // Dec 31
}

TEST(NationalId, BirthDateNotInTheFuture) {
  ASSERT_OK(Parse("32611250112355"));  // born today
  EXPECT_ERROR(Parse("32611260112355"), "national_id.birth_date_in_future");
  EXPECT_ERROR(Parse("33001010112355"), "national_id.birth_date_in_future");
  EXPECT_ERROR(Parse("39912310112355"), "national_id.birth_date_in_future");
  // With the real clock, the year 2099 is still in the future.
  EXPECT_ERROR(NationalId::Parse("39912310112355"), "national_id.birth_date_in_future");
  ASSERT_OK(NationalId::Parse("29001010112355"));
}

TEST(NationalId, Governorates) {
  EXPECT_EQ(AllGovernorates().size(), 28u);
  std::set<int> codes;
  for (const Governorate& g : AllGovernorates()) {
    codes.insert(g.code);
    EXPECT_FALSE(g.name_en.empty());
    EXPECT_FALSE(g.name_ar.empty());
    std::string digits = "2900101" + std::string(g.code < 10 ? "0" : "") + std::to_string(g.code) + "12355";
    auto id = Parse(digits);
    ASSERT_OK(id);
    EXPECT_EQ(id->governorate().code, g.code);
  }
  EXPECT_EQ(codes.size(), 28u);
  EXPECT_EQ(FindGovernorate(88)->name_en, "Born abroad");
  EXPECT_EQ(FindGovernorate(2)->name_ar, "الإسكندرية");
  EXPECT_EQ(FindGovernorate(29)->name_en, "Luxor");
  EXPECT_EQ(FindGovernorate(21)->name_ar, "الجيزة");
  for (int bad : {0, 5, 10, 20, 30, 36, 87, 89, 99}) {
    EXPECT_EQ(FindGovernorate(bad), nullptr) << bad;
    std::string digits = "2900101" + std::string(bad < 10 ? "0" : "") + std::to_string(bad) + "12355";
    EXPECT_ERROR(Parse(digits), "national_id.invalid_governorate");
  }
}

TEST(NationalId, LengthAndCharacters) {
  EXPECT_ERROR(Parse(""), "national_id.empty");
  EXPECT_ERROR(Parse("   "), "national_id.empty");
  EXPECT_ERROR(Parse("2900101011235"), "national_id.invalid_length");    // 13
  EXPECT_ERROR(Parse("290010101123555"), "national_id.invalid_length");  // 15
  EXPECT_ERROR(Parse(std::string(1000, '2')), "national_id.invalid_length");
  EXPECT_ERROR(Parse("2900101011235a"), "national_id.invalid_characters");
  EXPECT_ERROR(Parse("29001010112355\n1"), "national_id.invalid_characters");
  EXPECT_ERROR(Parse("٢٩٠٠١٠١٠١١٢٣٥"), "national_id.invalid_length");
}

TEST(NationalId, ErrorNamesTheFirstWrongPart) {
  // Bad century and bad date: the century is reported first.
  EXPECT_ERROR(Parse("19013010112355"), "national_id.invalid_century");
  // Bad date and bad governorate: the date.
  EXPECT_ERROR(Parse("29013019912355"), "national_id.invalid_birth_date");
}

TEST(CivilDateTest, Validity) {
  EXPECT_TRUE(IsValidDate({2000, 2, 29}));
  EXPECT_FALSE(IsValidDate({2100, 2, 29}));
  EXPECT_TRUE(IsValidDate({2400, 2, 29}));
  EXPECT_FALSE(IsValidDate({2024, 6, 31}));
  EXPECT_TRUE(IsValidDate({2024, 7, 31}));
}

}  // namespace
}  // namespace lahza
