#include "core/ipa.h"

#include <gtest/gtest.h>

#include "core/expect_error.h"

namespace lahza {
namespace {

TEST(Ipa, FullAndBareFormsAreTheSame) {
  auto full = Ipa::Parse("mona.ali@instapay");
  ASSERT_OK(full);
  EXPECT_EQ(full->name(), "mona.ali");
  EXPECT_EQ(full->address(), "mona.ali@instapay");
  auto bare = Ipa::Parse("mona.ali");
  ASSERT_OK(bare);
  EXPECT_EQ(*bare, *full);
}

TEST(Ipa, CaseInsensitive) {
  EXPECT_EQ(Ipa::Parse("Mona.Ali@InstaPay")->address(), "mona.ali@instapay");
  EXPECT_EQ(Ipa::Parse("  AHMED_1990@INSTAPAY ")->address(), "ahmed_1990@instapay");
}

TEST(Ipa, AllowedCharacters) {
  ASSERT_OK(Ipa::Parse("a-b_c.d9"));
  ASSERT_OK(Ipa::Parse("abc"));
  EXPECT_EQ(Ipa::Parse("sara٢٠٢٤")->name(), "sara2024");  // Arabic-Indic digits normalised
  EXPECT_ERROR(Ipa::Parse("mona ali"), "ipa.invalid_character");
  EXPECT_ERROR(Ipa::Parse("mona+1"), "ipa.invalid_character");
  EXPECT_ERROR(Ipa::Parse("منى@instapay"), "ipa.invalid_character");
  EXPECT_ERROR(Ipa::Parse("mona@@instapay"), "ipa.invalid_domain");
}

TEST(Ipa, LengthLimits) {
  ASSERT_OK(Ipa::Parse("abc"));
  ASSERT_OK(Ipa::Parse(std::string(32, 'a')));
  EXPECT_ERROR(Ipa::Parse("ab"), "ipa.too_short");
  EXPECT_ERROR(Ipa::Parse("ab@instapay"), "ipa.too_short");
  EXPECT_ERROR(Ipa::Parse("@instapay"), "ipa.too_short");
  EXPECT_ERROR(Ipa::Parse(std::string(33, 'a')), "ipa.too_long");
  EXPECT_ERROR(Ipa::Parse(std::string(33, 'a') + "@instapay"), "ipa.too_long");
}

TEST(Ipa, StartAndEnd) {
  EXPECT_ERROR(Ipa::Parse("1mona"), "ipa.must_start_with_letter");
  EXPECT_ERROR(Ipa::Parse(".mona"), "ipa.must_start_with_letter");
  EXPECT_ERROR(Ipa::Parse("_mona"), "ipa.must_start_with_letter");
  EXPECT_ERROR(Ipa::Parse("mona."), "ipa.invalid_ending");
  EXPECT_ERROR(Ipa::Parse("mona-@instapay"), "ipa.invalid_ending");
  ASSERT_OK(Ipa::Parse("mona7"));
}

TEST(Ipa, ConsecutiveSeparators) {
  EXPECT_ERROR(Ipa::Parse("mona..ali"), "ipa.consecutive_separators");
  EXPECT_ERROR(Ipa::Parse("mona._ali"), "ipa.consecutive_separators");
  EXPECT_ERROR(Ipa::Parse("mona-_ali"), "ipa.consecutive_separators");
  ASSERT_OK(Ipa::Parse("m.o.n.a"));
}

TEST(Ipa, Domain) {
  EXPECT_ERROR(Ipa::Parse(""), "ipa.empty");
  EXPECT_ERROR(Ipa::Parse("   "), "ipa.empty");
  EXPECT_ERROR(Ipa::Parse("mona@gmail.com"), "ipa.invalid_domain");
  EXPECT_ERROR(Ipa::Parse("mona@instapay.com"), "ipa.invalid_domain");
  EXPECT_ERROR(Ipa::Parse("mona@"), "ipa.invalid_domain");
  EXPECT_ERROR(Ipa::Parse("mona@insta pay"), "ipa.invalid_domain");
}

}  // namespace
}  // namespace lahza
