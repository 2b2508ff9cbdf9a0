// Channel advice at different Cairo times: the right party, the channel open
// now, the next opening of a closed one, and what to prepare.
#include <gtest/gtest.h>

#include <algorithm>

#include "care/cairo_clock.h"
#include "care/channels.h"
#include "core/messages.h"

namespace lahza::care {
namespace {

const ChannelOption* Find(const Advice& advice, std::string_view id) {
  for (const ChannelOption& option : advice.options) {
    if (option.id == id) return &option;
  }
  return nullptr;
}

TEST(ChannelsAdvice, AppProblemDuringHotlineHours) {
  // Wednesday 25 November 2026 at 09:00 sharp.
  Advice a = Advise(Category::kAppError, Party::kAppSupport, std::nullopt, Cairo(2026, 11, 25, 9, 0));
  ASSERT_TRUE(a.best_now);
  EXPECT_EQ(a.best_now->id, "app_hotline");
  EXPECT_EQ(a.best_now->contact, "15989");
  EXPECT_EQ(a.best_now->closes_at, Cairo(2026, 11, 25, 21, 0));
  EXPECT_EQ(a.best_now->status.en, "Open now until 21:00");
  EXPECT_EQ(a.best_now->status.ar, "متاح الآن حتى ٢١:٠٠");
  EXPECT_FALSE(a.urgent);
  // 20:59 is still open.
  a = Advise(Category::kAppError, Party::kAppSupport, std::nullopt, Cairo(2026, 11, 25, 20, 59));
  EXPECT_EQ(a.best_now->id, "app_hotline");
}

TEST(ChannelsAdvice, AppProblemAfterHoursFallsBackToReportAndSaysWhenTheHotlineOpens) {
  for (Instant now : {Cairo(2026, 11, 25, 21, 0), Cairo(2026, 11, 26, 8, 59)}) {
    Advice a = Advise(Category::kAppError, Party::kAppSupport, std::nullopt, now);
    ASSERT_TRUE(a.best_now);
    EXPECT_EQ(a.best_now->id, "app_report");
    const ChannelOption* hotline = Find(a, "app_hotline");
    ASSERT_NE(hotline, nullptr);
    EXPECT_FALSE(hotline->open_now);
    EXPECT_EQ(hotline->opens_at, Cairo(2026, 11, 26, 9, 0));
    EXPECT_EQ(hotline->status.en, "Closed now; opens Thursday 26 November 2026, 09:00");
    EXPECT_EQ(hotline->status.ar, "مغلق الآن؛ يفتح الخميس ٢٦ نوفمبر ٢٠٢٦، ٠٩:٠٠");
  }
}

TEST(ChannelsAdvice, HowToStartsWithHelpAndFaq) {
  Advice a = Advise(Category::kHowTo, Party::kAppSupport, std::nullopt, Cairo(2026, 11, 25, 12, 0));
  ASSERT_TRUE(a.best_now);
  EXPECT_EQ(a.best_now->id, "app_help");
}

TEST(ChannelsAdvice, BankProblemAtNightUsesTheBanks247Hotline) {
  Advice a = Advise(Category::kDebitedWithoutCompletion, Party::kBank, std::string("NBE"), Cairo(2026, 11, 25, 3, 0));
  ASSERT_TRUE(a.best_now);
  EXPECT_EQ(a.best_now->id, "bank_hotline");
  EXPECT_EQ(a.best_now->contact, "19623");
  EXPECT_EQ(a.best_now->institution, "NBE");
  EXPECT_EQ(a.best_now->label.en, "National Bank of Egypt customer service on 19623");
  EXPECT_FALSE(a.best_now->closes_at.has_value());
  EXPECT_EQ(a.institution, "NBE");
  EXPECT_NE(a.summary.en.find("19623"), std::string::npos);
  // What to prepare for a debit without completion.
  std::vector<std::string> items;
  for (const Message& m : a.checklist) items.push_back(m.en);
  EXPECT_NE(std::find(items.begin(), items.end(), MessageFor("channels.prepare.transaction_details").en), items.end());
  EXPECT_NE(std::find(items.begin(), items.end(), MessageFor("channels.prepare.debit_message").en), items.end());
  EXPECT_NE(std::find(items.begin(), items.end(), MessageFor("channels.prepare.national_id").en), items.end());
}

TEST(ChannelsAdvice, BankWithOfficeHoursClosedOnFriday) {
  auto faisal = FindInstitution("FAISAL");
  if (!faisal || faisal->hours.always_open()) GTEST_SKIP() << "participant directory without a bank on office hours";
  // Friday 27 November 2026, 12:00.
  const Instant friday = Cairo(2026, 11, 27, 12, 0);
  Advice a = Advise(Category::kFailedOrStuckTransfer, Party::kBank, std::string("FAISAL"), friday);
  const ChannelOption* bank = Find(a, "bank_hotline");
  ASSERT_NE(bank, nullptr);
  EXPECT_FALSE(bank->open_now);
  ASSERT_TRUE(bank->opens_at);
  EXPECT_TRUE(faisal->hours.IsOpenAt(*bank->opens_at));
  EXPECT_GT(*bank->opens_at, friday);
  ASSERT_TRUE(a.best_now);
  EXPECT_EQ(a.best_now->id, "app_report");  // always open; records the case with its details
}

TEST(ChannelsAdvice, UnknownBankSaysWhereToFindTheNumber) {
  Advice a = Advise(Category::kMoneyNotReceived, Party::kBank, std::nullopt, Cairo(2026, 11, 25, 12, 0));
  const ChannelOption* bank = Find(a, "bank_hotline");
  ASSERT_NE(bank, nullptr);
  EXPECT_FALSE(bank->hours_known);
  EXPECT_TRUE(bank->contact.empty());
  EXPECT_EQ(bank->label.en, MessageFor("channels.channel.bank_hotline_unknown").en);
  EXPECT_FALSE(a.institution.has_value());
  // An unknown code is treated as not known.
  EXPECT_FALSE(Advise(Category::kLimits, Party::kBank, std::string("NOPE"), Cairo(2026, 11, 25, 12, 0)).institution);
}

TEST(ChannelsAdvice, SecurityIsUrgentFreezeFirstThenTheBankWhateverTheHour) {
  for (Instant now : {Cairo(2026, 11, 25, 3, 0), Cairo(2026, 11, 25, 12, 0)}) {
    Advice a = Advise(Category::kSecurityUnusualActivity, Party::kBoth, std::string("BM"), now);
    EXPECT_TRUE(a.urgent);
    ASSERT_TRUE(a.best_now);
    EXPECT_EQ(a.best_now->id, "app_freeze");
    const ChannelOption* bank = Find(a, "bank_hotline");
    ASSERT_NE(bank, nullptr);
    EXPECT_TRUE(bank->open_now);
    EXPECT_EQ(bank->contact, "19888");
    EXPECT_NE(a.summary.en.find("19888"), std::string::npos);
    EXPECT_EQ(a.checklist.front().en, MessageFor("channels.prepare.never_share_codes").en);
    EXPECT_EQ(Find(a, "app_social"), nullptr);
  }
}

TEST(ChannelsAdvice, SocialPagesAreNewsOnlyAndNeverTheAdvice) {
  for (int k = 0; k < kCategoryCount; ++k) {
    const auto category = static_cast<Category>(k);
    for (Party party : {Party::kBank, Party::kAppSupport, Party::kBoth}) {
      Advice a = Advise(category, party, std::string("CIB"), Cairo(2026, 11, 25, 23, 0));
      ASSERT_TRUE(a.best_now) << CategoryName(category);  // in-app channels never close
      EXPECT_NE(a.best_now->id, "app_social");
      EXPECT_FALSE(a.checklist.empty());
      EXPECT_FALSE(a.summary.ar.empty());
      if (const ChannelOption* social = Find(a, "app_social")) {
        EXPECT_TRUE(social->news_only);
        EXPECT_EQ(social, &a.options.back());
      }
      if (party != Party::kAppSupport) {
        EXPECT_NE(Find(a, "bank_hotline"), nullptr);
      }
      for (const ChannelOption& option : a.options) {
        EXPECT_FALSE(option.label.ar.empty());
        EXPECT_EQ(option.label.en.find("An error occurred"), std::string::npos) << option.id;
        EXPECT_EQ(option.label.en.find('{'), std::string::npos) << option.id;
      }
    }
  }
}

TEST(ChannelsDirectory, InstitutionsHaveHotlinesAndTheDocumentedNumbers) {
  const auto all = AllInstitutions();
  EXPECT_GE(all.size(), 5u);
  for (const Institution& inst : all) {
    EXPECT_FALSE(inst.hotline.empty()) << inst.code;
    EXPECT_FALSE(inst.name.ar.empty()) << inst.code;
  }
  EXPECT_EQ(FindInstitution("NBE")->hotline, "19623");
  EXPECT_EQ(FindInstitution("BM")->hotline, "19888");
  EXPECT_EQ(FindInstitution("CIB")->hotline, "19666");
  EXPECT_TRUE(FindInstitution("NBE")->hours.always_open());
  EXPECT_FALSE(FindInstitution("XYZ"));
}

}  // namespace
}  // namespace lahza::care
