#include <gtest/gtest.h>

#include <random>
#include <string>

#include "care/arabic.h"

using lahza::care::HasArabic;
using lahza::care::NormaliseText;
using lahza::care::SanitiseUtf8;
using lahza::care::Words;

TEST(ArabicNormalise, AlefFormsBecomeBareAlef) {
  EXPECT_EQ(NormaliseText("أحمد إيداع آمن ٱلحساب"), "احمد ايداع امن الحساب");
}

TEST(ArabicNormalise, TaMarbutaBecomesHa) { EXPECT_EQ(NormaliseText("حوالة مصرفية"), "حواله مصرفيه"); }

TEST(ArabicNormalise, AlefMaqsuraBecomesYa) { EXPECT_EQ(NormaliseText("على مستوى"), "علي مستوي"); }

TEST(ArabicNormalise, HamzaCarriersFold) { EXPECT_EQ(NormaliseText("مسؤول مسئول"), "مسوول مسيول"); }

TEST(ArabicNormalise, DiacriticsRemoved) {
  EXPECT_EQ(NormaliseText("تَحْوِيلٌ مُعَلَّقٌ"), "تحويل معلق");
  EXPECT_EQ(NormaliseText("هٰذا"), "هذا");  // superscript alef
}

TEST(ArabicNormalise, TatweelRemoved) { EXPECT_EQ(NormaliseText("فلـــوس"), "فلوس"); }

TEST(ArabicNormalise, ArabicIndicDigitsBecomeAscii) {
  EXPECT_EQ(NormaliseText("٠١٢٣٤٥٦٧٨٩"), "0123456789");
  EXPECT_EQ(NormaliseText("۱۵۹۸۹"), "15989");  // Persian digits
  EXPECT_EQ(NormaliseText("٧٠٬٠٠٠٫٥٠"), "70,000.50");
}

TEST(ArabicNormalise, LatinLowercased) { EXPECT_EQ(NormaliseText("Ahmed@InstaPay PIN"), "ahmed@instapay pin"); }

TEST(ArabicNormalise, PunctuationFolded) {
  EXPECT_EQ(NormaliseText("لماذا؟ نعم، لا؛ ٥٪"), "لماذا? نعم, لا; 5%");
  EXPECT_EQ(NormaliseText("«الحساب» – “ok”"), "\"الحساب\" - \"ok\"");
}

TEST(ArabicNormalise, WhitespaceCollapsedAndTrimmed) {
  EXPECT_EQ(NormaliseText("  فلوس \t\n\u00A0 اتخصمت  "), "فلوس اتخصمت");
}

TEST(ArabicNormalise, InvisibleMarksRemoved) {
  EXPECT_EQ(NormaliseText("\u200Fتحويل\u200E\u200C"), "تحويل");
  EXPECT_EQ(NormaliseText("\xEF\xBB\xBFpin"), "pin");  // BOM
}

TEST(ArabicNormalise, InvalidUtf8BecomesSeparator) {
  EXPECT_EQ(NormaliseText("abc\xFF" "def"), "abc def");
  EXPECT_EQ(NormaliseText("\xC0\xAF"), "");           // overlong '/'
  EXPECT_EQ(NormaliseText("\xED\xA0\x80x"), "x");     // surrogate
  EXPECT_EQ(NormaliseText("\xD8"), "");               // truncated Arabic letter
  EXPECT_EQ(NormaliseText("\xF4\x90\x80\x80z"), "z");  // > U+10FFFF
}

TEST(ArabicSanitise, ReplacesInvalidKeepsValid) {
  EXPECT_EQ(SanitiseUtf8("حوالة"), "حوالة");
  EXPECT_EQ(SanitiseUtf8("a\xFF" "b"), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(SanitiseUtf8("\xE0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(ArabicWords, SplitsOnPunctuationKeepsFrancoDigits) {
  std::vector<std::string> expected{"el", "flos", "mawsaltsh", "7wala", "ta7weel"};
  EXPECT_EQ(Words("El-flos mawsaltsh!! 7wala, ta7weel"), expected);
  std::vector<std::string> arabic{"الفلوس", "اتخصمت", "ومبعتتش"};
  EXPECT_EQ(Words("الفلوس اتخصمت؟؟ ومبعتتش 🙁"), arabic);
  std::vector<std::string> ipa{"ahmed", "instapay"};
  EXPECT_EQ(Words("ahmed@instapay"), ipa);
  EXPECT_TRUE(Words("").empty());
  EXPECT_TRUE(Words("؟!…").empty());
}

TEST(ArabicDetect, HasArabic) {
  EXPECT_TRUE(HasArabic("pin الرقم"));
  EXPECT_FALSE(HasArabic("el flos mawsaltsh"));
  EXPECT_FALSE(HasArabic("١٢٣ ،؟"));  // digits and punctuation are not letters
  EXPECT_FALSE(HasArabic("\xD8"));
}

// Random bytes must never crash and must always produce valid UTF-8.
TEST(ArabicNormalise, RandomBytesAreSafe) {
  std::mt19937 rng(42);
  for (int round = 0; round < 2000; ++round) {
    std::string input(rng() % 64, '\0');
    for (char& c : input) c = static_cast<char>(rng() % 256);
    std::string normal = NormaliseText(input);
    EXPECT_EQ(SanitiseUtf8(normal), normal);
    EXPECT_EQ(SanitiseUtf8(SanitiseUtf8(input)), SanitiseUtf8(input));
    for (const std::string& word : Words(input)) EXPECT_FALSE(word.empty());
  }
}
