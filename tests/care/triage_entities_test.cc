// Entity extraction from customer text in every way people write.
#include <gtest/gtest.h>

#include "care/cairo_clock.h"
#include "care/entities.h"
#include "core/ir_reference.h"

namespace lahza::care {
namespace {

std::vector<std::string> Codes(const Entities& e) {
  std::vector<std::string> out;
  for (const auto& m : e.institutions) out.push_back(m.code);
  return out;
}

TEST(TriageEntities, IrReferenceWithAndWithoutPrefixSpacesAndArabicDigits) {
  const std::string ir = IrReference::FromParts(7, 1234567890123456).str();  // "IR007..."
  const std::string digits = ir.substr(2);
  EXPECT_EQ(ExtractEntities("رقم العملية " + ir + " لو سمحت", kNow).ir_references, std::vector<std::string>{ir});
  EXPECT_EQ(ExtractEntities("the ref is ir " + digits, kNow).ir_references, std::vector<std::string>{ir});
  EXPECT_EQ(ExtractEntities("المرجع " + digits.substr(0, 10) + " " + digits.substr(10), kNow).ir_references,
            std::vector<std::string>{ir});
  // Arabic-Indic digits.
  std::string arabic = "IR";
  for (char c : digits) arabic += std::string("\xD9") + static_cast<char>(0xA0 + (c - '0'));
  EXPECT_EQ(ExtractEntities("الرقم المرجعي " + arabic, kNow).ir_references, std::vector<std::string>{ir});
  // One digit mistyped: recognised as a reference, refused by the check digit.
  std::string typo = ir;
  typo[10] = typo[10] == '9' ? '8' : static_cast<char>(typo[10] + 1);
  Entities e = ExtractEntities("ref " + typo, kNow);
  EXPECT_TRUE(e.ir_references.empty());
  EXPECT_EQ(e.invalid_ir_references, std::vector<std::string>{typo});
}

TEST(TriageEntities, Amounts) {
  auto amounts = [](std::string_view text) {
    std::vector<int64_t> out;
    for (const Money& m : ExtractEntities(text, kNow).amounts) out.push_back(m.piastres());
    return out;
  };
  EXPECT_EQ(amounts("اتخصم مني ١٥٠٠ جنيه"), std::vector<int64_t>{150000});
  EXPECT_EQ(amounts("حولت 1,250.50 ج.م امبارح"), std::vector<int64_t>{125050});
  EXPECT_EQ(amounts("sent EGP 300 to my brother"), std::vector<int64_t>{30000});
  EXPECT_EQ(amounts("deducted 3000 pounds"), std::vector<int64_t>{300000});
  EXPECT_EQ(amounts("عايز احول 100 الف"), std::vector<int64_t>{10000000});
  EXPECT_EQ(amounts("ba3att 500 geneh"), std::vector<int64_t>{50000});
  EXPECT_EQ(amounts("5k EGP"), std::vector<int64_t>{500000});
  EXPECT_EQ(amounts("٢٠٠٠ جنيها و 50 جنيه"), (std::vector<int64_t>{200000, 5000}));
  // Numbers without a currency or thousands word are not amounts; neither is Franco-Arabic.
  EXPECT_TRUE(amounts("بقالي 3 ساعات مستني").empty());
  EXPECT_TRUE(amounts("3ayez a7awel").empty());
}

TEST(TriageEntities, Mobiles) {
  EXPECT_EQ(ExtractEntities("حولت على 01012345678", kNow).mobiles, std::vector<std::string>{"+201012345678"});
  EXPECT_EQ(ExtractEntities("رقمي ٠١١٢٣٤٥٦٧٨٩", kNow).mobiles, std::vector<std::string>{"+201123456789"});
  EXPECT_EQ(ExtractEntities("call +20 122 345 6789 please", kNow).mobiles, std::vector<std::string>{"+201223456789"});
  EXPECT_EQ(ExtractEntities("my number is 0155-123-4567", kNow).mobiles, std::vector<std::string>{"+201551234567"});
  // A mobile followed by an amount.
  Entities e = ExtractEntities("01012345678 500 جنيه", kNow);
  EXPECT_EQ(e.mobiles, std::vector<std::string>{"+201012345678"});
  ASSERT_EQ(e.amounts.size(), 1u);
  EXPECT_EQ(e.amounts[0].piastres(), 50000);
  // Landlines and short numbers are not mobiles.
  EXPECT_TRUE(ExtractEntities("تليفون البيت 0223456789", kNow).mobiles.empty());
}

TEST(TriageEntities, Ipas) {
  EXPECT_EQ(ExtractEntities("بعت لـ mona.ali@instapay ومجاش", kNow).ipas, std::vector<std::string>{"mona.ali@instapay"});
  EXPECT_EQ(ExtractEntities("sent to Ahmed_99@InstaPay.", kNow).ipas, std::vector<std::string>{"ahmed_99@instapay"});
  EXPECT_TRUE(ExtractEntities("mail me at a@gmail.com", kNow).ipas.empty());
}

TEST(TriageEntities, BanksAndWalletsInEveryForm) {
  EXPECT_EQ(Codes(ExtractEntities("حسابي في البنك الأهلي", kNow)), std::vector<std::string>{"NBE"});
  EXPECT_EQ(Codes(ExtractEntities("حولت من الاهلي لبنك مصر", kNow)), (std::vector<std::string>{"NBE", "BM"}));
  EXPECT_EQ(Codes(ExtractEntities("بالأهلي", kNow)), std::vector<std::string>{"NBE"});
  EXPECT_EQ(Codes(ExtractEntities("my NBE account", kNow)), std::vector<std::string>{"NBE"});
  EXPECT_EQ(Codes(ExtractEntities("transfer to CIB failed", kNow)), std::vector<std::string>{"CIB"});
  EXPECT_EQ(Codes(ExtractEntities("على فودافون كاش", kNow)), std::vector<std::string>{"VFCASH"});
  EXPECT_EQ(Codes(ExtractEntities("ba7awel men bank masr", kNow)), std::vector<std::string>{"BM"});
  // The longer name wins: QNB Alahli is not the National Bank of Egypt.
  EXPECT_EQ(Codes(ExtractEntities("بنك قطر الوطني الأهلي", kNow)), std::vector<std::string>{"QNB"});
  // "مصر" alone is the country, not Banque Misr; "cib" inside a word is nothing.
  EXPECT_TRUE(ExtractEntities("انا في مصر", kNow).institutions.empty());
  EXPECT_TRUE(ExtractEntities("ciborium", kNow).institutions.empty());
}

TEST(TriageEntities, RelativeDayAndHour) {
  Entities e = ExtractEntities("امبارح الساعة ٣ اتخصم مني", kNow);
  ASSERT_EQ(e.times.size(), 1u);
  ASSERT_TRUE(e.times[0].at.has_value());
  EXPECT_EQ(*e.times[0].at, Cairo(2026, 11, 24, 15, 0));  // 3 with no part of day = afternoon
  e = ExtractEntities("yesterday at 3pm", kNow);
  ASSERT_EQ(e.times.size(), 1u);
  EXPECT_EQ(e.times[0].at, Cairo(2026, 11, 24, 15, 0));
  e = ExtractEntities("امبارح الساعة 9 الصبح", kNow);
  EXPECT_EQ(e.times[0].at, Cairo(2026, 11, 24, 9, 0));
  e = ExtractEntities("اول امبارح بالليل الساعة 10", kNow);
  ASSERT_EQ(e.times.size(), 1u);
  EXPECT_EQ(e.times[0].date, (std::array<int, 3>{2026, 11, 23}));
}

TEST(TriageEntities, ClockAndNumericDates) {
  Entities e = ExtractEntities("العملية الساعة 14:02", kNow);
  ASSERT_EQ(e.times.size(), 1u);
  EXPECT_EQ(e.times[0].at, Cairo(2026, 11, 25, 14, 2));
  // Later than now with no day: yesterday.
  e = ExtractEntities("at 20:30", kNow);
  EXPECT_EQ(e.times[0].at, Cairo(2026, 11, 24, 20, 30));
  // Day/month in Egyptian order; the latest such date not in the future.
  e = ExtractEntities("يوم 12/11 حولت", kNow);
  ASSERT_EQ(e.times.size(), 1u);
  EXPECT_EQ(e.times[0].date, (std::array<int, 3>{2026, 11, 12}));
  EXPECT_FALSE(e.times[0].at.has_value());
  e = ExtractEntities("on 30/12", kNow);
  EXPECT_EQ(e.times[0].date, (std::array<int, 3>{2025, 12, 30}));
  e = ExtractEntities("يوم 12/11/2026 الساعة 14:02", kNow);
  EXPECT_EQ(e.times[0].at, Cairo(2026, 11, 12, 14, 2));
  EXPECT_TRUE(ExtractEntities("32/13 99:99", kNow).times.empty());
}

TEST(TriageEntities, NothingInPlainTextAndNoCrashOnJunk) {
  Entities e = ExtractEntities("ازاي اغير الرقم السري", kNow);
  EXPECT_TRUE(e.ir_references.empty() && e.amounts.empty() && e.mobiles.empty() && e.ipas.empty() &&
              e.institutions.empty() && e.times.empty());
  const std::string junk[] = {std::string("\xFF\xFE\x00\x80", 4), "@@@instapay@", "ir", "IR ", "+",
                              "99999999999999999999999 جنيه", "1/", "/1", ":", "الساعة", "00:00:00:00"};
  for (const std::string& text : junk) (void)ExtractEntities(text, kNow);
}

}  // namespace
}  // namespace lahza::care

namespace lahza::care {
namespace {

// Deterministic random text: bytes, Arabic letters and digits, separators and
// the characters our scanners key on. Nothing may crash or trip the sanitizers.
TEST(TriageEntities, RandomTextNeverBreaksExtractionOrClassification) {
  const std::vector<std::string> pieces = {"ا", "ل", "ه", "ي", "٣", "٠", "١", "0", "1", "9", " ", "@", "instapay", "ir",
                                           "IR", "+", "-", ":", "/", ".", ",", "جنيه", "الف", "k", "الساعه",
                                           "امبارح", "الاهلي", "cib", "pm", "\xD9", "\xFF", "\x80", "ب"};
  uint32_t state = 12345;
  auto next = [&] { return state = state * 1664525u + 1013904223u; };
  for (int i = 0; i < 3000; ++i) {
    std::string text;
    const int length = static_cast<int>(next() % 40);
    for (int j = 0; j < length; ++j) text += pieces[next() % pieces.size()];
    (void)ExtractEntities(text, kNow);
  }
}

TEST(TriageEntities, GoldenRealisticMessage) {
  const std::string ir = IrReference::FromParts(12, 3141592653589793).str();
  Entities e = ExtractEntities(
      "امبارح الساعة 14:02 حولت ٢٥٠٠ جنيه من حسابي في CIB لـ sara.m@instapay رقمها 01098765432 والمرجع " + ir +
          " والفلوس اتخصمت",
      kNow);
  EXPECT_EQ(e.ir_references, std::vector<std::string>{ir});
  ASSERT_EQ(e.amounts.size(), 1u);
  EXPECT_EQ(e.amounts[0].piastres(), 250000);
  EXPECT_EQ(e.mobiles, std::vector<std::string>{"+201098765432"});
  EXPECT_EQ(e.ipas, std::vector<std::string>{"sara.m@instapay"});
  EXPECT_EQ(Codes(e), std::vector<std::string>{"CIB"});
  ASSERT_FALSE(e.times.empty());
  EXPECT_EQ(e.times[0].at, Cairo(2026, 11, 24, 14, 2));
}

}  // namespace
}  // namespace lahza::care
