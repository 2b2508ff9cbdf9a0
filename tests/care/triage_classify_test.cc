// Classify(): category, responsible party, bank and urgency, with and
// without the transaction's known state.
#include <gtest/gtest.h>

#include "care/cairo_clock.h"
#include "care/triage.h"
#include "core/messages.h"

namespace lahza::care {
namespace {

TriageResult Must(std::string_view text, const TriageContext& context = {}) {
  auto result = Classify(text, context, kNow);
  EXPECT_TRUE(result.ok()) << text;
  return result.ok() ? *result : TriageResult{};
}

TEST(TriageClassify, MoneyProblemsGoToTheBankNamedInTheText) {
  TriageResult r = Must("اتخصم مني ١٥٠٠ جنيه من حسابي في البنك الأهلي والتحويل فشل");
  EXPECT_EQ(r.category, Category::kDebitedWithoutCompletion);
  EXPECT_EQ(r.party, Party::kBank);
  EXPECT_EQ(r.institution, "NBE");
  EXPECT_EQ(r.urgency, Urgency::kHigh);
  EXPECT_GT(r.confidence, 0.3);
  ASSERT_EQ(r.entities.amounts.size(), 1u);
}

TEST(TriageClassify, TheAccountUsedBeatsABankNamedInPassing) {
  TriageContext context;
  context.payer_institution = "CIB";
  TriageResult r = Must("حولت لصاحبي في بنك مصر والفلوس موصلتلوش", context);
  EXPECT_EQ(r.category, Category::kMoneyNotReceived);
  EXPECT_EQ(r.institution, "CIB");
}

TEST(TriageClassify, SecurityIsAlwaysUrgentAndBothParties) {
  for (const char* text : {"في تحويل من حسابي انا معملتوش", "someone called me and I gave him the OTP",
                           "el mobile bta3y etsara2"}) {
    TriageResult r = Must(text);
    EXPECT_EQ(r.category, Category::kSecurityUnusualActivity) << text;
    EXPECT_EQ(r.urgency, Urgency::kUrgent) << text;
    EXPECT_EQ(r.party, Party::kBoth) << text;
  }
}

TEST(TriageClassify, AppProblemsGoToAppSupport) {
  TriageResult r = Must("the app crashes every time I open it");
  EXPECT_EQ(r.category, Category::kAppError);
  EXPECT_EQ(r.party, Party::kAppSupport);
  EXPECT_FALSE(r.institution.has_value());
  r = Must("ezay a3mel IPA");
  EXPECT_EQ(r.category, Category::kHowTo);
  EXPECT_EQ(r.urgency, Urgency::kLow);
}

TEST(TriageClassify, TransactionStateCorrectsTransferProblems) {
  TriageContext debited;
  debited.transaction_state = TransactionState::kDebitedUnresolved;
  TriageResult r = Must("التحويل معلق من الصبح", debited);
  EXPECT_EQ(r.model_category, Category::kFailedOrStuckTransfer);
  EXPECT_EQ(r.category, Category::kDebitedWithoutCompletion);
  EXPECT_EQ(r.urgency, Urgency::kHigh);

  TriageContext completed;
  completed.transaction_state = TransactionState::kCompleted;
  EXPECT_EQ(Must("the transfer failed", completed).category, Category::kMoneyNotReceived);
  // Never overrides security: a completed transfer can still be fraud.
  EXPECT_EQ(Must("there is a transfer from my account i did not make", completed).category,
            Category::kSecurityUnusualActivity);
}

TEST(TriageClassify, LargeAmountsRaiseUrgency) {
  EXPECT_EQ(Must("التحويل فشل").urgency, Urgency::kNormal);
  EXPECT_EQ(Must("تحويل 50,000 جنيه فشل").urgency, Urgency::kHigh);
}

TEST(TriageClassify, BadInputIsAnErrorWithAMessage) {
  for (std::string_view text : {std::string_view(""), std::string_view("   \n\t "), std::string_view("؟؟ !!")}) {
    auto r = Classify(text, {}, kNow);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, "triage.empty_text");
  }
  auto r = Classify(std::string(5000, 'a'), {}, kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "triage.text_too_long");
  EXPECT_TRUE(Classify(std::string("\xC3\x28 \xFF valid words", 14), {}, kNow).ok());
}

TEST(TriageClassify, NamesRoundTripAndEveryWordIsInTheCatalogue) {
  for (int k = 0; k < kCategoryCount; ++k) {
    const auto category = static_cast<Category>(k);
    EXPECT_EQ(CategoryFromName(CategoryName(category)), category);
    EXPECT_TRUE(FindMessage("triage.category." + std::string(CategoryName(category)))) << CategoryName(category);
  }
  EXPECT_FALSE(CategoryFromName("nope"));
  for (Party p : {Party::kBank, Party::kAppSupport, Party::kBoth}) {
    EXPECT_TRUE(FindMessage("triage.party." + std::string(PartyName(p))));
  }
  for (Urgency u : {Urgency::kLow, Urgency::kNormal, Urgency::kHigh, Urgency::kUrgent}) {
    EXPECT_TRUE(FindMessage("triage.urgency." + std::string(UrgencyName(u))));
  }
  for (const char* code : {"triage.empty_text", "triage.text_too_long", "time.invalid_date", "time.invalid_hours"}) {
    auto m = FindMessage(code);
    ASSERT_TRUE(m) << code;
    EXPECT_FALSE(m->ar.empty());
    EXPECT_FALSE(m->en.empty());
  }
}

// The one table of who answers what, which triage and a new case both use.
TEST(TriageClassify, EveryCategoryHasItsResponsibleParty) {
  for (Category money : {Category::kFailedOrStuckTransfer, Category::kMoneyNotReceived,
                         Category::kDebitedWithoutCompletion, Category::kLinkingAccountsCards, Category::kLimits}) {
    EXPECT_EQ(ResponsibleParty(money), Party::kBank) << CategoryName(money);
  }
  for (Category app : {Category::kRegistrationActivation, Category::kAppError, Category::kHowTo, Category::kOther}) {
    EXPECT_EQ(ResponsibleParty(app), Party::kAppSupport) << CategoryName(app);
  }
  EXPECT_EQ(ResponsibleParty(Category::kSecurityUnusualActivity), Party::kBoth);
  static_assert(kCategoryCount == 10, "a new category needs its party here and in ResponsibleParty");
}

}  // namespace
}  // namespace lahza::care

namespace lahza::care {
namespace {

TEST(TriageClassify, RandomBytesAreHandled) {
  uint32_t state = 777;
  for (int i = 0; i < 500; ++i) {
    std::string text;
    const int length = static_cast<int>(state % 200);
    for (int j = 0; j < length; ++j) {
      state = state * 1664525u + 1013904223u;
      text += static_cast<char>(state >> 24);
    }
    auto r = Classify(text, {}, kNow);
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, "triage.empty_text");
    }
  }
}

}  // namespace
}  // namespace lahza::care
