// The participant directory, policy arithmetic, and the catalogue coverage of
// every code the switch can return. No database needed.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "core/messages.h"
#include "ipn/participants.h"
#include "ipn/policy.h"
#include "ipn/switch.h"

namespace lahza::ipn {
namespace {

TEST(Directory, DemoHasRealInstitutionsOfEveryKind) {
  const Directory& d = Directory::Demo();
  EXPECT_GE(d.participants().size(), 12u);
  std::set<ParticipantKind> kinds;
  for (const auto& p : d.participants()) {
    kinds.insert(p.kind);
    EXPECT_FALSE(p.name_ar.empty()) << p.code;
    EXPECT_FALSE(p.hotline.empty()) << p.code;
    EXPECT_FALSE(p.settlement_account.empty()) << p.code;
  }
  EXPECT_EQ(kinds.size(), 3u);
  const Participant* nbe = d.Find("NBE");
  ASSERT_NE(nbe, nullptr);
  EXPECT_EQ(nbe->name_ar, "البنك الأهلي المصري");
  EXPECT_EQ(nbe->hotline, "19623");
  EXPECT_TRUE(nbe->hours.always_open());
  EXPECT_EQ(d.Find("BM")->hotline, "19888");
  EXPECT_EQ(d.Find("CIB")->hotline, "19666");
  EXPECT_FALSE(d.Find("FAISAL")->hours.always_open());
  EXPECT_EQ(d.Find("NOPE"), nullptr);
}

TEST(Directory, RoutesByIdentifierRanges) {
  const Directory& d = Directory::Demo();
  EXPECT_EQ(d.ByBankCode("0003")->code, "NBE");
  EXPECT_EQ(d.ByBankCode("9999"), nullptr);
  EXPECT_EQ(d.ByWalletMobile("+201012345678")->code, "VFCASH");
  EXPECT_EQ(d.ByWalletMobile("+201112345678")->code, "ECASH");
  EXPECT_EQ(d.ByWalletMobile("+201212345678")->code, "ORCASH");
  EXPECT_EQ(d.ByWalletMobile("+201512345678")->code, "WEPAY");
  EXPECT_EQ(d.ByCardNumber("5078031234567890")->code, "MEEZA");
  EXPECT_EQ(d.ByCardNumber("5078081234567890")->code, "NBE");
  EXPECT_EQ(d.ByCardNumber("4111111111111111"), nullptr);
}

TEST(Directory, HoursFollowCairoTime) {
  const Participant* faisal = Directory::Demo().Find("FAISAL");
  // Friday 2026-11-27 12:00 Cairo: closed; Sunday 2026-11-29 09:00: open.
  auto friday = FromCairo(2026, 11, 27, 12, 0);
  auto sunday = FromCairo(2026, 11, 29, 9, 0);
  ASSERT_TRUE(friday.ok() && sunday.ok());
  EXPECT_FALSE(faisal->hours.IsOpenAt(*friday));
  EXPECT_TRUE(faisal->hours.IsOpenAt(*sunday));
}

TEST(Directory, RefusesMalformedOrAmbiguousEntries) {
  auto entry = [](const std::string& code, const std::string& extra) {
    return R"({"code": ")" + code +
           R"(", "kind": "bank", "name_ar": "بنك", "name_en": "Bank", "hotline": "1", "hours": "24/7",
               "settlement_account": "s")" + extra + "}";
  };
  EXPECT_TRUE(Directory::FromJson(R"({"participants": [)" + entry("A", "") + "]}").ok());
  for (const std::string& bad : {
           std::string("not json"),
           std::string(R"({"participants": []})"),
           R"({"participants": [)" + entry("A", "") + "," + entry("A", "") + "]}",
           R"({"participants": [)" + entry("A", R"(, "card_bins": ["507803"])") + "," +
               entry("B", R"(, "card_bins": ["507803"])") + "]}",
           R"({"participants": [)" + entry("lower", "") + "]}",
           R"({"participants": [)" + entry("A", R"(, "bank_codes": ["12"])") + "]}",
           R"({"participants": [)" + entry("A", R"(, "wallet_prefixes": ["+4410"])") + "]}",
           std::string(R"({"participants": [{"code": "A", "kind": "bank", "name_ar": "x", "name_en": "x",
               "hotline": "1", "hours": "someday", "settlement_account": "s"}]})"),
       }) {
    auto parsed = Directory::FromJson(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.error().code, "ipn.directory_invalid");
  }
}

TEST(Policy, FeeIsBasisPointsClampedToMinAndMax) {
  FeeRule rule;  // 10 bp, min 50, max 2000 piastres
  EXPECT_EQ(*rule.FeeFor(100), 50);           // EGP 1 -> min EGP 0.50
  EXPECT_EQ(*rule.FeeFor(1'000'000), 1'000);  // EGP 10,000 -> EGP 10
  EXPECT_EQ(*rule.FeeFor(1'000'499), 1'000);  // 1000.499 piastres rounds down
  EXPECT_EQ(*rule.FeeFor(1'000'500), 1'001);  // 1000.5 rounds half up
  EXPECT_EQ(*rule.FeeFor(7'000'000), 2'000);  // EGP 70,000 -> capped at EGP 20
  EXPECT_FALSE(rule.FeeFor(0).ok());
  EXPECT_EQ(rule.FeeFor(-5).error().code, "ipn.amount_invalid");
  Policy policy;
  EXPECT_TRUE(policy.Validate().ok());
  EXPECT_EQ(policy.user_limits.per_transaction, 7'000'000);
  EXPECT_EQ(policy.user_limits.daily, 12'000'000);
  EXPECT_EQ(policy.user_limits.monthly, 40'000'000);
  policy.fee.min = 3000;
  EXPECT_EQ(policy.Validate().error().code, "ipn.policy_invalid");
}

TEST(Names, StatesAndKindsRoundTrip) {
  for (auto s : {TransferState::kInitiated, TransferState::kDebited, TransferState::kCredited,
                 TransferState::kCompleted, TransferState::kRejected, TransferState::kFailed,
                 TransferState::kTimedOutAfterDebit, TransferState::kReversed, TransferState::kDisputed}) {
    EXPECT_EQ(ParseState(StateName(s)), s);
    EXPECT_TRUE(FindMessage("ipn.state." + std::string(StateName(s)))) << StateName(s);
  }
  for (auto k : {PayeeKind::kIpa, PayeeKind::kMobile, PayeeKind::kAccountNumber, PayeeKind::kIban,
                 PayeeKind::kWallet, PayeeKind::kCard}) {
    EXPECT_EQ(ParsePayeeKind(PayeeKindName(k)), k);
  }
  EXPECT_FALSE(ParseState("nope"));
}

// The quoted word that starts at the first '"' at or after `from`.
std::string QuotedAfter(const std::string& text, size_t from) {
  size_t open = text.find('"', from);
  if (open == std::string::npos) return {};
  size_t close = text.find('"', open + 1);
  if (close == std::string::npos) return {};
  return text.substr(open + 1, close - open - 1);
}

bool IsCodeWord(const std::string& word) {
  return !word.empty() && word.find_first_not_of("abcdefghijklmnopqrstuvwxyz_.") == std::string::npos;
}

// Every "ipn.*" code and timeline event written in src/ipn has an Arabic and
// English catalogue entry. (A plain scan: std::regex trips a GCC 12 warning
// under the sanitizers.)
TEST(Catalogue, CoversEveryCodeAndEventTheSwitchWrites) {
  std::set<std::string> codes;
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(LAHZA_SOURCE_DIR) + "/src/ipn")) {
    std::ifstream in(entry.path());
    std::stringstream buffer;
    buffer << in.rdbuf();
    const std::string text = buffer.str();
    ++files;
    for (size_t at = text.find("\"ipn."); at != std::string::npos; at = text.find("\"ipn.", at + 1)) {
      std::string word = QuotedAfter(text, at);
      if (IsCodeWord(word) && word.back() != '.') codes.insert(word);
    }
    for (const char* marker : {"Change{TransferState::", "RecordEvent(ir, ", "TransferState::kInitiated, \""}) {
      for (size_t at = text.find(marker); at != std::string::npos; at = text.find(marker, at + 1)) {
        std::string word = QuotedAfter(text, at + std::string(marker).size() - 1);
        if (IsCodeWord(word)) codes.insert("ipn.event." + word);
      }
    }
  }
  EXPECT_GT(files, 5);
  EXPECT_GT(codes.size(), 50u);
  EXPECT_TRUE(codes.count("ipn.event.reconciled_reversed"));
  EXPECT_TRUE(codes.count("ipn.limit_daily"));
  for (const auto& code : codes) {
    auto message = FindMessage(code);
    ASSERT_TRUE(message.has_value()) << code;
    EXPECT_FALSE(message->ar.empty()) << code;
    EXPECT_FALSE(message->en.empty()) << code;
  }
}

}  // namespace
}  // namespace lahza::ipn
