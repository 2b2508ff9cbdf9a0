// The app's flows end to end over HTTP against a real server, on SQLite and
// on PostgreSQL (LAHZA_TEST_PG_URL).
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "app/app_server.h"
#include "core/messages.h"

namespace lahza::testing {
namespace {

class AppFlowTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    LAHZA_SKIP_UNLESS_BACKEND(GetParam());
    app::AppOptions options;
    options.login_per_minute = 1000;
    options.otp_per_minute = 1000;
    server_ = std::make_unique<AppServer>(GetParam(), options);
    ASSERT_TRUE(server_->ready());
    api_ = std::make_unique<Api>(server_->port());
  }
  std::unique_ptr<AppServer> server_;
  std::unique_ptr<Api> api_;
};

TEST_P(AppFlowTest, RegisterLinkLookupSendHistoryDetail) {
  Api& api = *api_;
  EXPECT_EQ(api.Call("GET", "/healthz").status, 200);

  // Registration: mobile + national ID + a bank account that the bank knows
  // under the same mobile number.
  api.OpenBankAccount("NBE", "1000000001", "01001234567", "Mona Ali Hassan", 5'000'000);
  Reply registered = api.Call("POST", "/api/v1/register",
                              {{"mobile", "+20 100 123 4567"}, {"national_id", TestNationalId(1)}, {"device_id", "phone-1"},
                               {"account", {{"participant", "NBE"}, {"account_number", "1000000001"}}}});
  ASSERT_EQ(registered.status, 201) << registered.body.dump();
  EXPECT_EQ(registered.body["state"], "pending_otp");
  std::string otp = api.LatestOtp("01001234567");
  ASSERT_EQ(otp.size(), 6u);
  // Sign-in before activation tells the customer what is missing.
  Reply early = api.Call("POST", "/api/v1/login", {{"mobile", "01001234567"}, {"pin", "111111"}, {"device_id", "phone-1"}});
  EXPECT_EQ(early.status, 403);
  EXPECT_EQ(early.code(), "app.registration_incomplete");
  Reply confirmed = api.Call("POST", "/api/v1/register/confirm",
                             {{"mobile", "01001234567"}, {"otp", otp}, {"pin", "135790"}, {"device_id", "phone-1"}});
  ASSERT_EQ(confirmed.status, 201) << confirmed.body.dump();
  EXPECT_EQ(confirmed.body["customer"]["state"], "active");
  EXPECT_EQ(confirmed.body["customer"]["name_en"], "Mona Ali Hassan");

  // Login from the same device: PIN only.
  Reply login = api.Call("POST", "/api/v1/login", {{"mobile", "01001234567"}, {"pin", "135790"}, {"device_id", "phone-1"}});
  ASSERT_EQ(login.status, 200) << login.body.dump();
  std::string mona = login.body["token"];
  Reply me = api.Call("GET", "/api/v1/me", nullptr, mona);
  EXPECT_EQ(me.body["state"], "active");

  // Link a second account (a Vodafone Cash wallet) and give the bank account an IPA.
  api.OpenBankAccount("VFCASH", "01001234567", "01001234567", "Mona Ali Hassan", 100'000);
  Reply linked = api.Call("POST", "/api/v1/accounts", {{"wallet", "01001234567"}}, mona);
  ASSERT_EQ(linked.status, 201) << linked.body.dump();
  EXPECT_EQ(linked.body["kind"], "wallet");
  Reply accounts = api.Call("GET", "/api/v1/accounts", nullptr, mona);
  ASSERT_EQ(accounts.body["accounts"].size(), 2u);
  // Both were linked in the same (manual-clock) second: find the bank account by kind.
  auto bank_of = [](const json& list) {
    for (const json& a : list["accounts"]) {
      if (a["kind"] == "bank") return a;
    }
    return json();
  };
  json bank = bank_of(accounts.body);
  std::string bank_account_id = bank["id"];
  EXPECT_TRUE(bank["default"].get<bool>());
  EXPECT_EQ(bank["available"], 5'000'000);
  Reply ipa = api.Call("POST", "/api/v1/ipas", {{"ipa", "Mona.Ali"}, {"account_id", bank_account_id}}, mona);
  ASSERT_EQ(ipa.status, 201) << ipa.body.dump();
  EXPECT_EQ(ipa.body["ipa"], "mona.ali@instapay");
  Reply second_ipa = api.Call("POST", "/api/v1/ipas", {{"ipa", "mona.other"}, {"account_id", bank_account_id}}, mona);
  EXPECT_EQ(second_ipa.status, 409) << "one IPA per account, immutable";

  // A second customer sends to Mona by IPA: lookup (masked name) then confirm with PIN.
  std::string omar = api.Onboard("01101234567", TestNationalId(2), "CIB", "2000000002", "Omar Khaled Fahmy", 3'000'000, "975310");
  Reply lookup = api.Call("POST", "/api/v1/payments/lookup", {{"kind", "ipa"}, {"value", "mona.ali@instapay"}}, omar);
  ASSERT_EQ(lookup.status, 200) << lookup.body.dump();
  EXPECT_EQ(lookup.body["participant"], "NBE");
  EXPECT_EQ(lookup.body.dump().find("Mona Ali Hassan"), std::string::npos) << "the name is masked";
  EXPECT_FALSE(lookup.body.contains("account_number"));
  Reply sent = api.Call("POST", "/api/v1/payments/send",
                        {{"kind", "ipa"}, {"value", "mona.ali@instapay"}, {"amount", 125'050}, {"pin", "975310"},
                         {"note", "rent"}},
                        omar);
  ASSERT_EQ(sent.status, 201) << sent.body.dump();
  EXPECT_EQ(sent.body["state"], "completed");
  std::string ir = sent.body["ir"];
  EXPECT_TRUE(ir.size() == 22 && ir.rfind("IR", 0) == 0 &&
              ir.find_first_not_of("0123456789", 2) == std::string::npos)
      << ir;
  EXPECT_EQ(sent.body["amount"]["piastres"], 125'050);
  EXPECT_FALSE(sent.body["timeline"].empty());
  // The transaction is written straight as text (app's TransactionText), yet
  // byte for byte what a JSON value of it prints.
  EXPECT_TRUE(sent.PrintedAsJson()) << sent.text;

  // Both sides see it: history, detail with timeline, notifications, balances.
  Reply history = api.Call("GET", "/api/v1/transactions", nullptr, omar);
  ASSERT_EQ(history.body["transactions"].size(), 1u);
  EXPECT_EQ(history.body["transactions"][0]["ir"], ir);
  EXPECT_EQ(history.body["transactions"][0]["direction"], "out");
  Reply detail = api.Call("GET", "/api/v1/transactions/" + ir, nullptr, omar);
  ASSERT_EQ(detail.status, 200) << detail.body.dump();
  EXPECT_EQ(detail.body["state"], "completed");
  bool mentions_debit = false;
  for (const json& step : detail.body["timeline"]) {
    EXPECT_FALSE(step["text_ar"].get<std::string>().empty());
    if (step["event"] == "debited") {
      mentions_debit = step["text_en"].get<std::string>().find("Commercial International Bank") != std::string::npos;
    }
  }
  EXPECT_TRUE(mentions_debit) << detail.body["timeline"].dump();
  EXPECT_EQ(detail.body["type"], "transfer");
  EXPECT_TRUE(detail.PrintedAsJson()) << detail.text;
  Reply mona_history = api.Call("GET", "/api/v1/transactions?direction=in", nullptr, mona);
  ASSERT_EQ(mona_history.body["transactions"].size(), 1u) << mona_history.body.dump();
  EXPECT_EQ(mona_history.body["transactions"][0]["ir"], ir);
  Reply mona_detail = api.Call("GET", "/api/v1/transactions/" + ir, nullptr, mona);
  EXPECT_EQ(mona_detail.body["direction"], "in");
  Reply notifications = api.Call("GET", "/api/v1/notifications", nullptr, mona);
  bool received = false;
  for (const json& n : notifications.body["notifications"]) received = received || n["kind"] == "transfer";
  EXPECT_TRUE(received) << notifications.body.dump();
  Reply mona_accounts = api.Call("GET", "/api/v1/accounts", nullptr, mona);
  EXPECT_EQ(bank_of(mona_accounts.body)["available"], 5'000'000 + 125'050);

  // Filters.
  EXPECT_EQ(api.Call("GET", "/api/v1/transactions?status=completed", nullptr, omar).body["transactions"].size(), 1u);
  EXPECT_EQ(api.Call("GET", "/api/v1/transactions?status=failed", nullptr, omar).body["transactions"].size(), 0u);
  EXPECT_EQ(api.Call("GET", "/api/v1/transactions?type=bill", nullptr, omar).body["transactions"].size(), 0u);
  EXPECT_EQ(api.Call("GET", "/api/v1/transactions?from=0&to=1", nullptr, omar).body["transactions"].size(), 0u);
  EXPECT_EQ(api.Call("GET", "/api/v1/transactions?status=nope", nullptr, omar).code(), "http.bad_query");

  // Limits: what is left today.
  Reply limits = api.Call("GET", "/api/v1/limits", nullptr, omar);
  ASSERT_EQ(limits.status, 200) << limits.body.dump();
  EXPECT_EQ(limits.body["used_today"]["piastres"], 125'050);
  EXPECT_EQ(limits.body["left_today"]["piastres"], 12'000'000 - 125'050);

  // Send by mobile number (the payee's default account) and by IBAN.
  Reply by_mobile = api.Call("POST", "/api/v1/payments/send",
                             {{"kind", "mobile"}, {"value", "01001234567"}, {"amount", 1000}, {"pin", "975310"}}, omar);
  EXPECT_EQ(by_mobile.status, 201) << by_mobile.body.dump();
  EXPECT_EQ(by_mobile.body["state"], "completed");
  std::string iban = bank["iban"];
  Reply by_iban = api.Call("POST", "/api/v1/payments/send",
                           {{"kind", "iban"}, {"value", iban}, {"amount", 2000}, {"pin", "975310"}}, omar);
  EXPECT_EQ(by_iban.status, 201) << by_iban.body.dump();
}

TEST_P(AppFlowTest, OperationsStatsAndSettlementShowRealTransfers) {
  Api& api = *api_;
  EXPECT_EQ(api.Call("GET", "/api/v1/admin/stats").status, 401);
  EXPECT_EQ(api.Call("GET", "/api/v1/admin/settlement").code(), "app.admin_unauthorized");
  Reply empty = api.Admin("GET", "/api/v1/admin/stats");
  ASSERT_EQ(empty.status, 200) << empty.body.dump();
  EXPECT_EQ(empty.body["total"], 0);

  std::string a = api.Onboard("01001111111", TestNationalId(3), "NBE", "3000000003", "Ahmed Samy Zaki");
  api.Onboard("01002222222", TestNationalId(4), "BM", "4000000004", "Sara Adel Gad");
  ASSERT_FALSE(a.empty());
  Reply paid = api.Call("POST", "/api/v1/payments/send", {{"kind", "mobile"}, {"value", "01002222222"}, {"amount", 30'000}, {"pin", "246810"}}, a);
  ASSERT_EQ(paid.status, 201) << paid.body.dump();
  ASSERT_EQ(paid.body["state"], "completed");
  // BM rejects the next one.
  ASSERT_EQ(api.Admin("PUT", "/api/v1/admin/participants/BM/fault", {{"kind", "reject"}, {"reject_code", "ipn.account_closed"}}).status, 200);
  Reply rejected = api.Call("POST", "/api/v1/payments/send",
                            {{"kind", "mobile"}, {"value", "01002222222"}, {"amount", 1'000}, {"pin", "246810"}, {"client_request_id", "second"}}, a);
  ASSERT_TRUE(rejected.body.contains("error") || rejected.body.value("state", "") != "completed") << rejected.body.dump();
  EXPECT_TRUE(rejected.PrintedAsJson()) << rejected.text;
  if (rejected.body.contains("ir")) {
    // The operator's view adds the accounts and the customer to the same text.
    Reply seen = api.Admin("GET", "/api/v1/admin/transactions/" + rejected.body["ir"].get<std::string>());
    ASSERT_EQ(seen.status, 200) << seen.text;
    EXPECT_EQ(seen.body["payer_account"], "3000000003");
    EXPECT_FALSE(seen.body["user_id"].get<std::string>().empty());
    EXPECT_TRUE(seen.body.contains("payee_account"));
    EXPECT_EQ(seen.body["ir"], rejected.body["ir"]);
    EXPECT_TRUE(seen.PrintedAsJson()) << seen.text;
  }

  Reply stats = api.Admin("GET", "/api/v1/admin/stats");
  ASSERT_EQ(stats.status, 200) << stats.body.dump();
  EXPECT_EQ(stats.body["counts"]["completed"], 1);
  int64_t total = 0, not_completed = 0;
  for (auto& [state, count] : stats.body["counts"].items()) {
    total += count.get<int64_t>();
    if (state != "completed") not_completed += count.get<int64_t>();
  }
  EXPECT_EQ(stats.body["total"], total);
  EXPECT_EQ(stats.body["last_minute"]["transfers"], total);
  ASSERT_EQ(stats.body["by_participant"].size(), 1u) << stats.body.dump();
  EXPECT_EQ(stats.body["by_participant"][0]["participant"], "BM");
  EXPECT_EQ(stats.body["by_participant"][0]["completed"], 1);
  EXPECT_EQ(stats.body["by_participant"][0]["failed"], not_completed);
  EXPECT_GT(stats.body["rate_per_second"].get<double>(), 0.0);

  // The open window: NBE owes what BM received; the nets sum to zero.
  Reply settlement = api.Admin("GET", "/api/v1/admin/settlement");
  ASSERT_EQ(settlement.status, 200) << settlement.body.dump();
  EXPECT_EQ(settlement.body["status"], "open");
  EXPECT_EQ(settlement.body["net_sum"], 0);
  int64_t sum = 0, nbe = 0, bm = 0;
  for (const json& p : settlement.body["positions"]) {
    sum += p["net"].get<int64_t>();
    if (p["participant"] == "NBE") nbe = p["net"];
    if (p["participant"] == "BM") bm = p["net"];
  }
  EXPECT_EQ(sum, 0);
  EXPECT_EQ(bm, 30'000);
  EXPECT_EQ(nbe, -30'000);
}

// An operator closes the settlement window at the end of a cycle: the nets
// are fixed and posted through the banks' settlement accounts, a new window
// opens for what completes next, and any window's report can be read again.
TEST_P(AppFlowTest, OperatorsCloseASettlementWindowAndReadItBack) {
  Api& api = *api_;
  EXPECT_EQ(api.Call("POST", "/api/v1/admin/settlement/close").code(), "app.admin_unauthorized");
  std::string a = api.Onboard("01001111111", TestNationalId(3), "NBE", "3000000003", "Ahmed Samy Zaki");
  std::string b = api.Onboard("01002222222", TestNationalId(4), "BM", "4000000004", "Sara Adel Gad");
  EXPECT_EQ(api.Call("POST", "/api/v1/admin/settlement/close", json::object(), a).status, 401);
  Reply paid = api.Call("POST", "/api/v1/payments/send", {{"kind", "mobile"}, {"value", "01002222222"}, {"amount", 30'000}, {"pin", "246810"}}, a);
  ASSERT_EQ(paid.status, 201) << paid.body.dump();

  Reply closed = api.Admin("POST", "/api/v1/admin/settlement/close");
  ASSERT_EQ(closed.status, 200) << closed.text;
  EXPECT_EQ(closed.body["status"], "settled");
  EXPECT_EQ(closed.body["net_sum"], 0);
  EXPECT_GT(closed.body["closed_ms"].get<int64_t>(), 0);
  const int64_t window = closed.body["window_id"];
  std::map<std::string, int64_t> nets;
  for (const json& p : closed.body["positions"]) nets[p["participant"]] = p["net"];
  EXPECT_EQ(nets["NBE"], -30'000);
  EXPECT_EQ(nets["BM"], 30'000);
  // Posted: NBE paid its net into the central bank's pool from its settlement account.
  Reply nbe = api.Admin("GET", "/api/v1/admin/participants/NBE/ledger/settlement");
  ASSERT_EQ(nbe.status, 200) << nbe.text;
  bool posted = false;
  for (const json& t : nbe.body["transfers"]) {
    if (t["id"] == "ipn/settle/" + std::to_string(window) + "/NBE/cbe") posted = t["amount"]["piastres"] == 30'000;
  }
  EXPECT_TRUE(posted) << nbe.text;

  // The next window is open and empty; a send now lands in it.
  Reply open = api.Admin("GET", "/api/v1/admin/settlement");
  ASSERT_EQ(open.status, 200) << open.text;
  EXPECT_EQ(open.body["status"], "open");
  EXPECT_EQ(open.body["window_id"], window + 1);
  EXPECT_TRUE(open.body["bilateral"].empty()) << open.text;
  Reply back = api.Call("POST", "/api/v1/payments/send", {{"kind", "mobile"}, {"value", "01001111111"}, {"amount", 5'000}, {"pin", "246810"}}, b);
  ASSERT_EQ(back.status, 201) << back.body.dump();
  Reply again = api.Admin("GET", "/api/v1/admin/settlement/" + std::to_string(window + 1));
  ASSERT_EQ(again.status, 200) << again.text;
  ASSERT_EQ(again.body["bilateral"].size(), 1u) << again.text;
  EXPECT_EQ(again.body["bilateral"][0]["from"], "BM");
  EXPECT_EQ(again.body["bilateral"][0]["amount"], 5'000);

  // The closed window reads as it was closed.
  Reply old = api.Admin("GET", "/api/v1/admin/settlement/" + std::to_string(window));
  ASSERT_EQ(old.status, 200) << old.text;
  EXPECT_EQ(old.body, closed.body);
  EXPECT_TRUE(old.PrintedAsJson()) << old.text;
  for (const char* id : {"999999", "0", "-1", "abc", "1x", "99999999999999999999"}) {
    Reply missing = api.Admin("GET", std::string("/api/v1/admin/settlement/") + id);
    EXPECT_EQ(missing.status, 404) << id;
    EXPECT_EQ(missing.code(), "ipn.window_not_found") << id;
  }
  EXPECT_EQ(api.Call("GET", "/api/v1/admin/settlement/" + std::to_string(window)).status, 401);
}

// An operator reads a participant's own ledger accounts (they keep history;
// customers' accounts do not): the send's legs are there, a page at a time.
TEST_P(AppFlowTest, OperatorsReadAnInstitutionAccountsLedger) {
  Api& api = *api_;
  std::string a = api.Onboard("01001111111", TestNationalId(3), "NBE", "3000000003", "Ahmed Samy Zaki");
  api.Onboard("01002222222", TestNationalId(4), "BM", "4000000004", "Sara Adel Gad");
  Reply paid = api.Call("POST", "/api/v1/payments/send", {{"kind", "mobile"}, {"value", "01002222222"}, {"amount", 30'000}, {"pin", "246810"}}, a);
  ASSERT_EQ(paid.status, 201) << paid.body.dump();
  const std::string ir = paid.body["ir"];
  const int64_t fee = paid.body["fee"]["piastres"];

  EXPECT_EQ(api.Call("GET", "/api/v1/admin/participants/NBE/ledger/clearing").status, 401);
  auto ids = [&](const std::string& path) {
    Reply statement = api.Admin("GET", path);
    EXPECT_EQ(statement.status, 200) << path << " " << statement.text;
    std::map<std::string, int64_t> out;
    for (const json& t : statement.body["transfers"]) out[t["id"]] = t["amount"]["piastres"];
    return out;
  };
  // The payer's bank took amount and fee into clearing, and the payee's bank
  // paid the amount out of its own.
  auto nbe = ids("/api/v1/admin/participants/NBE/ledger/clearing");
  EXPECT_EQ(nbe[ir + "/debit"], 30'000 + fee);
  auto bm = ids("/api/v1/admin/participants/BM/ledger/clearing");
  EXPECT_EQ(bm[ir + "/credit"], 30'000);
  EXPECT_EQ(bm.count(ir + "/debit"), 0u);
  // Onboarding funded each customer from the bank's own funds.
  EXPECT_FALSE(ids("/api/v1/admin/participants/NBE/ledger/funding").empty());

  // A page at a time.
  Reply first = api.Admin("GET", "/api/v1/admin/participants/NBE/ledger/clearing?limit=1");
  ASSERT_EQ(first.status, 200) << first.text;
  ASSERT_EQ(first.body["transfers"].size(), 1u);
  const int64_t after = first.body["next_after"];
  Reply rest = api.Admin("GET", "/api/v1/admin/participants/NBE/ledger/clearing?after=" + std::to_string(after));
  ASSERT_EQ(rest.status, 200) << rest.text;
  EXPECT_EQ(rest.body["transfers"].size() + 1, nbe.size());
  for (const json& t : rest.body["transfers"]) EXPECT_GT(t["timestamp"].get<int64_t>(), after);
  Reply none = api.Admin("GET", "/api/v1/admin/participants/NBE/ledger/fees?after=9000000000000000000");
  ASSERT_EQ(none.status, 200) << none.text;
  EXPECT_TRUE(none.body["transfers"].empty());
  EXPECT_TRUE(none.body["next_after"].is_null());

  EXPECT_EQ(api.Admin("GET", "/api/v1/admin/participants/XYZ/ledger/clearing").code(), "app.participant_unknown");
  EXPECT_EQ(api.Admin("GET", "/api/v1/admin/participants/XYZ/ledger/clearing").status, 404);
  EXPECT_EQ(api.Admin("GET", "/api/v1/admin/participants/NBE/ledger/savings").code(), "ipn.institution_account_invalid");
  for (const char* query : {"limit=0", "limit=1001", "limit=ten", "after=-1", "include_failed=yes"}) {
    Reply bad = api.Admin("GET", std::string("/api/v1/admin/participants/NBE/ledger/clearing?") + query);
    EXPECT_EQ(bad.status, 400) << query;
    EXPECT_EQ(bad.code(), "http.bad_query") << query;
  }
}

TEST_P(AppFlowTest, CustomersSeeOnlyTheirOwnData) {
  Api& api = *api_;
  std::string a = api.Onboard("01001111111", TestNationalId(3), "NBE", "3000000003", "Ahmed Samy Zaki");
  std::string b = api.Onboard("01002222222", TestNationalId(4), "BM", "4000000004", "Sara Adel Gad");
  Reply sent = api.Call("POST", "/api/v1/payments/send",
                        {{"kind", "mobile"}, {"value", "01001111111"}, {"amount", 5000}, {"pin", "246810"}}, b);
  ASSERT_EQ(sent.status, 201) << sent.body.dump();
  std::string ir = sent.body["ir"];
  std::string c = api.Onboard("01003333333", TestNationalId(5), "CIB", "5000000005", "Nour Hany Osman");
  // A third customer cannot read it, not even know it exists.
  Reply other = api.Call("GET", "/api/v1/transactions/" + ir, nullptr, c);
  EXPECT_EQ(other.status, 404);
  EXPECT_EQ(other.code(), "app.transaction_not_found");
  EXPECT_EQ(api.Call("GET", "/api/v1/transactions", nullptr, c).body["transactions"].size(), 0u);
  // Another customer's account id is "not found".
  Reply b_accounts = api.Call("GET", "/api/v1/accounts", nullptr, b);
  std::string b_account = b_accounts.body["accounts"][0]["id"];
  EXPECT_EQ(api.Call("POST", "/api/v1/accounts/" + b_account + "/default", nullptr, c).status, 404);
  EXPECT_EQ(api.Call("DELETE", "/api/v1/accounts/" + b_account, nullptr, c).status, 404);
  EXPECT_EQ(api.Call("POST", "/api/v1/payments/send",
                     {{"kind", "mobile"}, {"value", "01001111111"}, {"amount", 5000}, {"pin", "246810"},
                      {"from_account_id", b_account}},
                     c).status,
            404);
  // No token, a made-up token, the right token from another device: 401.
  EXPECT_EQ(api.Call("GET", "/api/v1/me").status, 401);
  EXPECT_EQ(api.Call("GET", "/api/v1/me", nullptr, std::string(64, 'a')).status, 401);
  EXPECT_EQ(api.Call("GET", "/api/v1/me", nullptr, a, "someone-elses-phone").status, 401);
  // Customer tokens are not admin tokens.
  EXPECT_EQ(api.Call("GET", "/api/v1/admin/participants", nullptr, a).status, 401);
  // Logout revokes the token at once.
  EXPECT_EQ(api.Call("POST", "/api/v1/logout", nullptr, a).status, 200);
  EXPECT_EQ(api.Call("GET", "/api/v1/me", nullptr, a).status, 401);
}

TEST_P(AppFlowTest, NewDeviceNeedsAnOtp) {
  Api& api = *api_;
  api.Onboard("01204444444", TestNationalId(6), "NBE", "6000000006", "Heba Tarek Rizk");
  json login = {{"mobile", "01204444444"}, {"pin", "246810"}, {"device_id", "new-phone"}};
  Reply challenge = api.Call("POST", "/api/v1/login", login);
  ASSERT_EQ(challenge.status, 202) << challenge.body.dump();
  EXPECT_TRUE(challenge.body["otp_required"].get<bool>());
  login["otp"] = api.LatestOtp("01204444444");
  Reply done = api.Call("POST", "/api/v1/login", login);
  ASSERT_EQ(done.status, 200) << done.body.dump();
  EXPECT_EQ(api.Call("GET", "/api/v1/me", nullptr, done.body["token"], "new-phone").status, 200);
}

TEST_P(AppFlowTest, OtpTriesExpiryAndResendThrottle) {
  Api& api = *api_;
  api.OpenBankAccount("BM", "7000000007", "01505555555", "Yasser Omar Gad", 1000);
  json registration = {{"mobile", "01505555555"}, {"national_id", TestNationalId(7)}, {"device_id", "phone-1"},
                       {"account", {{"participant", "BM"}, {"account_number", "7000000007"}}}};
  ASSERT_EQ(api.Call("POST", "/api/v1/register", registration).status, 201);
  std::string otp = api.LatestOtp("01505555555");
  std::string wrong = otp == "000000" ? "111111" : "000000";
  json confirm = {{"mobile", "01505555555"}, {"otp", wrong}, {"pin", "112233"}, {"device_id", "phone-1"}};
  EXPECT_EQ(api.Call("POST", "/api/v1/register/confirm", confirm).code(), "app.otp_invalid");
  EXPECT_EQ(api.Call("POST", "/api/v1/register/confirm", confirm).code(), "app.otp_invalid");
  EXPECT_EQ(api.Call("POST", "/api/v1/register/confirm", confirm).code(), "app.otp_tries_exceeded");
  confirm["otp"] = otp;
  EXPECT_EQ(api.Call("POST", "/api/v1/register/confirm", confirm).code(), "app.otp_tries_exceeded")
      << "after 3 wrong tries even the right code is refused";
  // Resend is throttled for a minute.
  Reply soon = api.Call("POST", "/api/v1/register/resend-otp", {{"mobile", "01505555555"}});
  EXPECT_EQ(soon.status, 429);
  EXPECT_EQ(soon.code(), "app.otp_rate_limited");
  server_->clock().Advance(std::chrono::seconds(61));
  EXPECT_EQ(api.Call("POST", "/api/v1/register/resend-otp", {{"mobile", "01505555555"}}).status, 200);
  std::string fresh = api.LatestOtp("01505555555");
  // Five minutes later it has expired.
  server_->clock().Advance(std::chrono::seconds(301));
  confirm["otp"] = fresh;
  EXPECT_EQ(api.Call("POST", "/api/v1/register/confirm", confirm).code(), "app.otp_expired");
  server_->clock().Advance(std::chrono::seconds(61));
  ASSERT_EQ(api.Call("POST", "/api/v1/register/resend-otp", {{"mobile", "01505555555"}}).status, 200);
  confirm["otp"] = api.LatestOtp("01505555555");
  Reply ok = api.Call("POST", "/api/v1/register/confirm", confirm);
  EXPECT_EQ(ok.status, 201) << ok.body.dump();
  // Registering again is refused.
  EXPECT_EQ(api.Call("POST", "/api/v1/register", registration).code(), "app.customer_exists");
}

TEST_P(AppFlowTest, FiveWrongPinsLockTransfersForThirtyMinutes) {
  Api& api = *api_;
  std::string token = api.Onboard("01006666666", TestNationalId(8), "NBE", "8000000008", "Karim Adel Mansour");
  api.Onboard("01007777777", TestNationalId(9), "BM", "9000000009", "Dina Sameh Soliman");
  json send = {{"kind", "mobile"}, {"value", "01007777777"}, {"amount", 1000}, {"pin", "000000"}};
  for (int i = 0; i < 4; ++i) {
    Reply wrong = api.Call("POST", "/api/v1/payments/send", send, token);
    EXPECT_EQ(wrong.status, 403);
    EXPECT_EQ(wrong.code(), "app.pin_wrong");
  }
  Reply locked = api.Call("POST", "/api/v1/payments/send", send, token);
  EXPECT_EQ(locked.status, 423);
  EXPECT_EQ(locked.code(), "app.pin_locked");
  send["pin"] = "246810";
  EXPECT_EQ(api.Call("POST", "/api/v1/payments/send", send, token).code(), "app.pin_locked") << "even the right PIN";
  EXPECT_EQ(api.Call("GET", "/api/v1/me", nullptr, token).body["state"], "locked");
  server_->clock().Advance(std::chrono::minutes(31));
  Reply after = api.Call("POST", "/api/v1/payments/send", send, token);
  EXPECT_EQ(after.status, 201) << after.body.dump();
  EXPECT_EQ(api.Call("GET", "/api/v1/me", nullptr, token).body["state"], "active");
}

// A run of payments checks the PIN with argon2id once and then from the
// verified-PIN cache; the cache must never let through what argon2id would
// refuse: a wrong PIN (still counted towards the lock), any PIN while
// locked, or the old PIN after a change.
TEST_P(AppFlowTest, TheVerifiedPinCacheNeverLetsAWrongOrOldPinThrough) {
  Api& api = *api_;
  std::string token = api.Onboard("01006666600", TestNationalId(16), "NBE", "8000000016", "Karim Adel Mansour");
  api.Onboard("01007777700", TestNationalId(17), "BM", "9000000017", "Dina Sameh Soliman");
  json send = {{"kind", "mobile"}, {"value", "01007777700"}, {"amount", 1000}, {"pin", "246810"}};
  for (int i = 0; i < 3; ++i) EXPECT_EQ(api.Call("POST", "/api/v1/payments/send", send, token).status, 201);
  send["pin"] = "000000";
  for (int i = 0; i < 4; ++i) EXPECT_EQ(api.Call("POST", "/api/v1/payments/send", send, token).code(), "app.pin_wrong");
  // The right PIN, remembered: resets the four failures (it still has to be written).
  send["pin"] = "246810";
  EXPECT_EQ(api.Call("POST", "/api/v1/payments/send", send, token).status, 201);
  send["pin"] = "000000";
  for (int i = 0; i < 4; ++i) EXPECT_EQ(api.Call("POST", "/api/v1/payments/send", send, token).code(), "app.pin_wrong");
  EXPECT_EQ(api.Call("POST", "/api/v1/payments/send", send, token).code(), "app.pin_locked");
  send["pin"] = "246810";
  EXPECT_EQ(api.Call("POST", "/api/v1/payments/send", send, token).code(), "app.pin_locked") << "cached, yet locked";
  server_->clock().Advance(std::chrono::minutes(31));
  EXPECT_EQ(api.Call("POST", "/api/v1/payments/send", send, token).status, 201);
  Reply changed = api.Call("POST", "/api/v1/me/pin", {{"pin", "246810"}, {"new_pin", "135792"}}, token);
  ASSERT_EQ(changed.status, 200) << changed.body.dump();
  EXPECT_EQ(api.Call("POST", "/api/v1/payments/send", send, token).code(), "app.pin_wrong") << "the old PIN";
  send["pin"] = "135792";
  EXPECT_EQ(api.Call("POST", "/api/v1/payments/send", send, token).status, 201);
  EXPECT_EQ(api.Call("POST", "/api/v1/payments/send", send, token).status, 201);
}

TEST_P(AppFlowTest, BadInputGetsClearErrors) {
  Api& api = *api_;
  std::string token = api.Onboard("01008888888", TestNationalId(10), "NBE", "1100000011", "Salma Amr Zaki");
  api.Onboard("01008888889", TestNationalId(15), "BM", "1100000012", "Aya Samy Zaki");
  auto send = [&](json body) { return api.Call("POST", "/api/v1/payments/send", body, token); };
  json base = {{"kind", "mobile"}, {"value", "01008888889"}, {"pin", "246810"}};
  auto with = [&](const char* key, json value) {
    json body = base;
    body[key] = value;
    return body;
  };
  for (json amount : {json(0), json(-5), json(1.5), json("100"), json(9223372036854775807.0), json(nullptr)}) {
    Reply reply = send(with("amount", amount));
    EXPECT_EQ(reply.status, 400) << amount.dump();
    EXPECT_TRUE(reply.code() == "app.amount_invalid" || reply.code() == "http.wrong_type" ||
                reply.code() == "http.missing_field")
        << amount.dump() << " " << reply.body.dump();
    EXPECT_FALSE(reply.body["error"]["message_ar"].get<std::string>().empty());
    EXPECT_FALSE(reply.body["error"]["message_en"].get<std::string>().empty());
  }
  EXPECT_EQ(api.Raw("POST", "/api/v1/payments/send", R"({"kind":"mobile","value":"01008888889","pin":"246810","amount":99999999999999999999})", token).code(),
            "app.amount_invalid");
  EXPECT_EQ(send(with("amount", 7'000'001)).status, 422) << "over the per-transaction limit";
  EXPECT_EQ(send(with("evil", 1)).code(), "http.unknown_field");
  EXPECT_EQ(send(with("kind", "pigeon")).code(), "app.payee_kind_invalid");
  EXPECT_EQ(send(with("kind", 5)).code(), "http.wrong_type");
  json bad_mobile = with("amount", 100);
  bad_mobile["value"] = "0109";
  EXPECT_EQ(send(bad_mobile).code().substr(0, 7), "mobile.");
  EXPECT_EQ(api.Raw("POST", "/api/v1/payments/send", "{\"kind\":", token).code(), "http.body_not_json");
  EXPECT_EQ(api.Raw("POST", "/api/v1/payments/send", "[]", token).code(), "http.body_not_object");
  EXPECT_EQ(api.Raw("POST", "/api/v1/payments/send", std::string(70'000, ' '), token).status, 413);
  EXPECT_EQ(api.Call("POST", "/api/v1/register", {{"mobile", "123"}, {"national_id", "1"}, {"device_id", "x"}, {"account", json::object()}}).code(),
            "mobile.invalid_length");
  Reply bad_nid = api.Call("POST", "/api/v1/register",
                           {{"mobile", "01009999999"}, {"national_id", "29002300112345"}, {"device_id", "x"}, {"account", json::object()}});
  EXPECT_EQ(bad_nid.code(), "national_id.invalid_birth_date") << bad_nid.body.dump();
  EXPECT_EQ(api.Call("POST", "/api/v1/accounts", {{"iban", "EG00 1234"}}, token).code().substr(0, 5), "iban.");
  EXPECT_EQ(api.Call("POST", "/api/v1/accounts", {{"card_number", "4111111111111112"}}, token).code().substr(0, 5), "card.");
  EXPECT_EQ(api.Call("POST", "/api/v1/ipas", {{"ipa", "a..b"}, {"account_id", "x"}}, token).code().substr(0, 4), "ipa.");
  EXPECT_EQ(api.Call("GET", "/api/v1/transactions/IR123", nullptr, token).code().substr(0, 3), "ir.");
  // SQL injection strings are data.
  Reply injected = api.Call("POST", "/api/v1/payments/lookup", {{"kind", "ipa"}, {"value", "x'; DROP TABLE app_customers;--"}}, token);
  EXPECT_EQ(injected.status, 400);
  EXPECT_EQ(api.Call("GET", "/api/v1/me", nullptr, token).status, 200);
}

TEST_P(AppFlowTest, AdminChangesLimitsAndFeesAtRunTime) {
  Api& api = *api_;
  std::string token = api.Onboard("01007777771", TestNationalId(21), "NBE", "1200000021", "Nour Adel Saad", 1'000'000);
  std::string payee = api.Onboard("01007777772", TestNationalId(22), "CIB", "1200000022", "Hany Adel Saad");
  auto send = [&](int64_t amount, const std::string& who) {
    return api.Call("POST", "/api/v1/payments/send",
                    {{"kind", "mobile"}, {"value", "01007777772"}, {"amount", amount}, {"pin", "246810"}}, who);
  };
  Reply before = api.Admin("GET", "/api/v1/admin/limits");
  ASSERT_EQ(before.status, 200) << before.body.dump();
  EXPECT_EQ(before.body["user_limits"]["per_transaction"], 7'000'000);
  EXPECT_TRUE(before.body["channel_fees"].is_object());

  // Lower the limits and waive the fee.
  json lower = {{"user_limits", {{"per_transaction", 20'000}, {"daily", 50'000}, {"monthly", 100'000}}},
                {"fee", {{"basis_points", 0}, {"min", 0}, {"max", 0}}}};
  Reply put = api.Admin("PUT", "/api/v1/admin/limits", lower);
  ASSERT_EQ(put.status, 200) << put.body.dump();
  EXPECT_EQ(put.body["user_limits"], lower["user_limits"]);
  EXPECT_EQ(put.body["fee"], lower["fee"]);
  EXPECT_EQ(put.body, api.Admin("GET", "/api/v1/admin/limits").body) << "PUT answers in GET's shape";

  // The customer sees the new limits, and the switch enforces them.
  Reply limits = api.Call("GET", "/api/v1/limits", nullptr, token);
  ASSERT_EQ(limits.status, 200) << limits.body.dump();
  EXPECT_EQ(limits.body["per_transaction"]["piastres"], 20'000);
  EXPECT_EQ(limits.body["daily"]["piastres"], 50'000);
  EXPECT_EQ(limits.body["monthly"]["piastres"], 100'000);
  Reply over = send(20'001, token);
  EXPECT_EQ(over.status, 422) << over.body.dump();
  EXPECT_EQ(over.code(), "ipn.limit_per_transaction");
  EXPECT_FALSE(over.body["error"]["message_ar"].get<std::string>().empty());
  Reply at_limit = send(20'000, token);
  ASSERT_EQ(at_limit.status, 201) << at_limit.body.dump();
  EXPECT_EQ(at_limit.body["fee"]["piastres"], 0);

  // Raising the limit lets the larger amount through (fees kept: not in the body).
  Reply raised = api.Admin("PUT", "/api/v1/admin/limits",
                           {{"user_limits", {{"per_transaction", 40'000}, {"daily", 50'000}, {"monthly", 100'000}}}});
  ASSERT_EQ(raised.status, 200) << raised.body.dump();
  EXPECT_EQ(raised.body["fee"]["max"], 0);
  Reply thirty = send(30'000, token);
  ASSERT_EQ(thirty.status, 201) << thirty.body.dump();
  EXPECT_EQ(thirty.body["state"], "completed");
  EXPECT_EQ(send(1, token).code(), "ipn.limit_daily") << "50,000 used of 50,000 today";
  EXPECT_EQ(api.Call("GET", "/api/v1/limits", nullptr, token).body["left_today"]["piastres"], 0);

  // A channel limit tighter than the user's applies to app transfers.
  Reply channel = api.Admin("PUT", "/api/v1/admin/limits",
                            {{"user_limits", {{"per_transaction", 40'000}, {"daily", 500'000}, {"monthly", 900'000}}},
                             {"channel_limits", {{"app", {{"per_transaction", 10'000}, {"daily", 200'000}, {"monthly", 300'000}}}}},
                             {"channel_fees", {{"app", {{"basis_points", 100}, {"min", 10}, {"max", 500}}}}}});
  ASSERT_EQ(channel.status, 200) << channel.body.dump();
  EXPECT_EQ(channel.body["channel_limits"]["app"]["per_transaction"], 10'000);
  EXPECT_EQ(channel.body["channel_fees"]["app"]["basis_points"], 100);
  EXPECT_EQ(api.Call("GET", "/api/v1/limits", nullptr, token).body["per_transaction"]["piastres"], 10'000);
  EXPECT_EQ(send(10'001, token).code(), "ipn.limit_per_transaction");
  Reply with_fee = send(10'000, token);
  ASSERT_EQ(with_fee.status, 201) << with_fee.body.dump();
  EXPECT_EQ(with_fee.body["fee"]["piastres"], 100) << "1 % of EGP 100 under the app channel's fee rule";

  // Only administrators: a customer token or none is refused, nothing changes.
  json any = {{"user_limits", {{"per_transaction", 7'000'000}, {"daily", 12'000'000}, {"monthly", 40'000'000}}}};
  Reply customer = api.Call("PUT", "/api/v1/admin/limits", any, token);
  EXPECT_EQ(customer.status, 401);
  EXPECT_EQ(customer.code(), "app.admin_unauthorized");
  EXPECT_EQ(api.Call("PUT", "/api/v1/admin/limits", any).status, 401);
  EXPECT_EQ(api.Call("GET", "/api/v1/admin/limits", nullptr, payee).status, 401);
  json in_force = api.Admin("GET", "/api/v1/admin/limits").body;
  EXPECT_EQ(in_force["channel_limits"]["app"]["per_transaction"], 10'000);

  // Malformed bodies: a clear error with Arabic and English words; the policy stays.
  auto limits_with = [](json per_transaction, json daily, json monthly) {
    return json{{"user_limits", {{"per_transaction", per_transaction}, {"daily", daily}, {"monthly", monthly}}}};
  };
  json fee_min_over_max = any;
  fee_min_over_max["fee"] = {{"basis_points", 10}, {"min", 600}, {"max", 500}};
  json fee_missing_max = any;
  fee_missing_max["fee"] = {{"basis_points", 10}, {"min", 600}};
  json unknown_top = any;
  unknown_top["evil"] = 1;
  json unknown_nested = limits_with(1, 2, 3);
  unknown_nested["user_limits"]["weekly"] = 5;
  json bad_channel = any;
  bad_channel["channel_limits"] = {{"USSD!", any["user_limits"]}};
  json channel_not_object = any;
  channel_not_object["channel_limits"] = {{"ussd", 5}};
  json channel_fee_over = any;
  channel_fee_over["channel_fees"] = {{"web", {{"basis_points", 10'001}, {"min", 0}, {"max", 1}}}};
  const std::vector<std::pair<json, std::string>> cases = {
      {limits_with(0, 50'000, 100'000), "app.limits_invalid"},
      {limits_with(-1, 50'000, 100'000), "app.limits_invalid"},
      {limits_with(60'000, 50'000, 100'000), "app.limits_invalid"},
      {limits_with(20'000, 150'000, 100'000), "app.limits_invalid"},
      {limits_with("20000", 50'000, 100'000), "http.wrong_type"},
      {limits_with(1.5, 50'000, 100'000), "http.number_out_of_range"},
      {limits_with(nullptr, 50'000, 100'000), "http.missing_field"},
      {json{{"fee", {{"basis_points", 0}, {"min", 0}, {"max", 0}}}}, "http.missing_field"},
      {json{{"user_limits", "lots"}}, "http.wrong_type"},
      {fee_min_over_max, "app.limits_invalid"},
      {fee_missing_max, "http.missing_field"},
      {unknown_top, "http.unknown_field"},
      {unknown_nested, "http.unknown_field"},
      {bad_channel, "app.channel_invalid"},
      {channel_not_object, "http.wrong_type"},
      {channel_fee_over, "app.limits_invalid"},
  };
  for (const auto& [body, code] : cases) {
    Reply reply = api.Admin("PUT", "/api/v1/admin/limits", body);
    EXPECT_EQ(reply.status, 400) << body.dump() << " " << reply.body.dump();
    EXPECT_EQ(reply.code(), code) << body.dump() << " " << reply.body.dump();
    ASSERT_TRUE(reply.body.contains("error")) << reply.body.dump();
    EXPECT_FALSE(reply.body["error"].value("message_ar", "").empty()) << code;
    EXPECT_FALSE(reply.body["error"].value("message_en", "").empty()) << code;
  }
  Reply not_json = api.Raw("PUT", "/api/v1/admin/limits", "{\"user_limits\":", kAdminToken);
  EXPECT_EQ(not_json.code(), "http.body_not_json");
  EXPECT_EQ(api.Raw("PUT", "/api/v1/admin/limits", "[]", kAdminToken).code(), "http.body_not_object");
  EXPECT_EQ(api.Admin("GET", "/api/v1/admin/limits").body, in_force) << "refused bodies change nothing";
}

TEST_P(AppFlowTest, TimeoutAfterDebitIsExplainedAndReturnedAutomatically) {
  Api& api = *api_;
  std::string payer = api.Onboard("01009000001", TestNationalId(11), "NBE", "1200000012", "Eman Walid Osman", 1'000'000);
  api.Onboard("01009000002", TestNationalId(12), "HSBC", "1300000013", "Rami Hesham Gad");
  Reply fault = api.Admin("PUT", "/api/v1/admin/participants/HSBC/fault", {{"kind", "timeout_after_debit"}});
  ASSERT_EQ(fault.status, 200) << fault.body.dump();
  Reply sent = api.Call("POST", "/api/v1/payments/send",
                        {{"kind", "mobile"}, {"value", "01009000002"}, {"amount", 50'000}, {"pin", "246810"}}, payer);
  ASSERT_EQ(sent.status, 201) << sent.body.dump();
  EXPECT_EQ(sent.body["state"], "timed_out_after_debit");
  EXPECT_NE(sent.body["summary_en"].get<std::string>().find("returned automatically"), std::string::npos)
      << sent.body["summary_en"];
  EXPECT_FALSE(sent.body["returns_by"].is_null());
  std::string ir = sent.body["ir"];
  EXPECT_EQ(api.Call("GET", "/api/v1/transactions?status=timed_out_after_debit", nullptr, payer).body["transactions"].size(), 1u);
  ASSERT_EQ(api.Admin("PUT", "/api/v1/admin/participants/HSBC/fault", {{"kind", "none"}}).status, 200);
  Reply reconciled = api.Admin("POST", "/api/v1/admin/reconcile");
  ASSERT_EQ(reconciled.status, 200) << reconciled.body.dump();
  Reply detail = api.Call("GET", "/api/v1/transactions/" + ir, nullptr, payer);
  EXPECT_EQ(detail.body["state"], "reversed") << detail.body.dump();
  bool explained = false;
  for (const json& step : detail.body["timeline"]) explained = explained || step["event"] == "reconciled_reversed";
  EXPECT_TRUE(explained) << detail.body["timeline"].dump();
  EXPECT_EQ(api.Call("GET", "/api/v1/accounts", nullptr, payer).body["accounts"][0]["available"], 1'000'000);
  Reply notes = api.Call("GET", "/api/v1/notifications", nullptr, payer);
  bool told = false;
  for (const json& n : notes.body["notifications"]) {
    told = told || n["text_en"].get<std::string>().find("returned") != std::string::npos;
  }
  EXPECT_TRUE(told) << notes.body.dump();
}

TEST_P(AppFlowTest, CollectBillsAndDonations) {
  Api& api = *api_;
  std::string asker = api.Onboard("01009100001", TestNationalId(13), "NBE", "1400000014", "Mariam Ayman Rizk");
  std::string payer = api.Onboard("01009100002", TestNationalId(14), "BM", "1500000015", "Tarek Walid Fahmy", 2'000'000);
  // Request money: accept once, decline another.
  Reply asked = api.Call("POST", "/api/v1/collects", {{"payer_mobile", "01009100002"}, {"amount", 30'000}, {"note", "dinner"}}, asker);
  ASSERT_EQ(asked.status, 201) << asked.body.dump();
  std::string id = asked.body["id"];
  EXPECT_EQ(api.Call("POST", "/api/v1/collects/" + id + "/accept", {{"pin", "246810"}}, asker).status, 404)
      << "only the payer answers a request";
  Reply paid = api.Call("POST", "/api/v1/collects/" + id + "/accept", {{"pin", "246810"}}, payer);
  ASSERT_EQ(paid.status, 201) << paid.body.dump();
  EXPECT_EQ(paid.body["state"], "completed");
  EXPECT_EQ(api.Call("POST", "/api/v1/collects/" + id + "/accept", {{"pin", "246810"}}, payer).code(), "app.collect_not_pending");
  Reply asked2 = api.Call("POST", "/api/v1/collects", {{"payer_mobile", "01009100002"}, {"amount", 1000}}, asker);
  EXPECT_EQ(api.Call("POST", "/api/v1/collects/" + asked2.body["id"].get<std::string>() + "/decline", nullptr, payer).status, 200);
  Reply list = api.Call("GET", "/api/v1/collects", nullptr, asker);
  ASSERT_EQ(list.body["collects"].size(), 2u);

  // Bills: the admin registers a biller with a collection account; inquiry, then pay once.
  api.OpenBankAccount("NBE", "9000000001", "01229999999", "Cairo Electricity", 0);
  ASSERT_EQ(api.Admin("POST", "/api/v1/admin/billers",
                      {{"code", "EEHC"}, {"category", "electricity"}, {"name_ar", "كهرباء القاهرة"}, {"name_en", "Cairo Electricity"},
                       {"participant", "NBE"}, {"account_number", "9000000001"}}).status,
            201);
  ASSERT_EQ(api.Admin("POST", "/api/v1/admin/bills",
                      {{"biller", "EEHC"}, {"subscriber", "123456"}, {"amount", 45'075}, {"period", "2026-10"}, {"due_at", 0}}).status,
            201);
  EXPECT_EQ(api.Call("GET", "/api/v1/billers", nullptr, payer).body["billers"].size(), 1u);
  Reply inquiry = api.Call("POST", "/api/v1/bills/inquiry", {{"biller", "EEHC"}, {"subscriber", "123456"}}, payer);
  ASSERT_EQ(inquiry.status, 200) << inquiry.body.dump();
  EXPECT_EQ(inquiry.body["amount"]["piastres"], 45'075);
  EXPECT_EQ(api.Call("POST", "/api/v1/bills/inquiry", {{"biller", "EEHC"}, {"subscriber", "999"}}, payer).status, 404);
  Reply bill = api.Call("POST", "/api/v1/bills/pay", {{"biller", "EEHC"}, {"subscriber", "123456"}, {"pin", "246810"}}, payer);
  ASSERT_EQ(bill.status, 201) << bill.body.dump();
  EXPECT_EQ(bill.body["state"], "completed");
  EXPECT_EQ(api.Call("POST", "/api/v1/bills/pay", {{"biller", "EEHC"}, {"subscriber", "123456"}, {"pin", "246810"}}, payer).code(),
            "app.bill_already_paid");

  // Donations.
  api.OpenBankAccount("BM", "9000000002", "01229999998", "Food Bank", 0);
  ASSERT_EQ(api.Admin("POST", "/api/v1/admin/charities",
                      {{"code", "FOOD"}, {"name_ar", "بنك الطعام"}, {"name_en", "Food Bank"}, {"participant", "BM"},
                       {"account_number", "9000000002"}}).status,
            201);
  Reply donated = api.Call("POST", "/api/v1/donations", {{"charity", "FOOD"}, {"amount", 10'000}, {"pin", "246810"}}, payer);
  ASSERT_EQ(donated.status, 201) << donated.body.dump();
  EXPECT_EQ(api.Call("GET", "/api/v1/transactions?type=donation", nullptr, payer).body["transactions"].size(), 1u);
  EXPECT_EQ(api.Call("GET", "/api/v1/transactions?type=bill", nullptr, payer).body["transactions"].size(), 1u);
  EXPECT_EQ(api.Call("GET", "/api/v1/transactions?type=collect", nullptr, payer).body["transactions"].size(), 1u);
}

// A send's first notice to each side is filed on that side's history row
// ("h_<IR>_<direction>"), not stored apart: exactly one per side, in the
// customer's words, readable and markable like any other; a later change
// (an operator's reversal) arrives as a notification of its own.
// A send without the client's own request id gets one of the server's, in
// time order: the switch's unique (user, request id) index takes each at the
// end of the user's range instead of on a random page.
TEST_P(AppFlowTest, RequestIdsTheServerMakesFollowTheOrderOfTheSends) {
  Api& api = *api_;
  std::string payer = api.Onboard("01009400011", TestNationalId(25), "NBE", "3300000035", "Nadia Fathy Salem", 500'000);
  api.Onboard("01009400012", TestNationalId(26), "CIB", "3400000036", "Tarek Hany Aziz", 0);
  std::vector<std::string> irs;
  for (int i = 0; i < 12; ++i) {
    Reply sent = api.Call("POST", "/api/v1/payments/send",
                          json{{"kind", "mobile"}, {"value", "01009400012"}, {"amount", 100 + i}, {"pin", "246810"}},
                          payer);
    ASSERT_EQ(sent.status, 201) << sent.body.dump();
    irs.push_back(sent.body["ir"]);
  }
  std::vector<std::string> ids;
  for (const std::string& ir : irs) {
    auto row = server_->store().Execute("SELECT client_request_id FROM ipn_transactions WHERE ir = $1",
                                        std::vector<store::Value>{ir}, store::Mode::kRead);
    ASSERT_TRUE(row.ok() && row->rows.size() == 1u);
    ids.push_back(store::AsText(row->rows[0][0]));
  }
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end())) << ids.front() << " ... " << ids.back();
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size());
}

TEST_P(AppFlowTest, ARetriedSendIsAnsweredWithTheFirstAndMovesMoneyOnce) {
  Api& api = *api_;
  std::string payer = api.Onboard("01009400001", TestNationalId(23), "NBE", "3300000033", "Nadia Fathy Salem", 500'000);
  std::string payee = api.Onboard("01009400002", TestNationalId(24), "CIB", "3400000034", "Tarek Hany Aziz", 0);
  const json order = {{"kind", "mobile"}, {"value", "01009400002"}, {"amount", 20'000}, {"pin", "246810"},
                      {"client_request_id", "phone-retry-1"}};
  Reply first = api.Call("POST", "/api/v1/payments/send", order, payer);
  ASSERT_EQ(first.status, 201) << first.body.dump();
  ASSERT_EQ(first.body["state"], "completed");
  // The phone did not hear the answer and sends the same request again: the
  // switch's insert finds the first, and the answer is the first, word for word.
  Reply again = api.Call("POST", "/api/v1/payments/send", order, payer);
  ASSERT_EQ(again.status, 201) << again.body.dump();
  EXPECT_EQ(again.body, first.body);
  // The same request id for something else: refused, nothing sent.
  json other = order;
  other["amount"] = 20'001;
  EXPECT_EQ(api.Call("POST", "/api/v1/payments/send", other, payer).code(), "ipn.idempotency_mismatch");
  // Money moved once, one history row a side.
  Reply payer_history = api.Call("GET", "/api/v1/transactions", nullptr, payer);
  ASSERT_EQ(payer_history.body["transactions"].size(), 1u) << payer_history.body.dump();
  EXPECT_EQ(payer_history.body["transactions"][0]["ir"], first.body["ir"]);
  Reply payee_history = api.Call("GET", "/api/v1/transactions", nullptr, payee);
  ASSERT_EQ(payee_history.body["transactions"].size(), 1u) << payee_history.body.dump();
  Reply payee_accounts = api.Call("GET", "/api/v1/accounts", nullptr, payee);
  ASSERT_EQ(payee_accounts.body["accounts"].size(), 1u) << payee_accounts.body.dump();
  EXPECT_EQ(payee_accounts.body["accounts"][0]["available"], 20'000);
  Reply limits = api.Call("GET", "/api/v1/limits", nullptr, payer);
  EXPECT_EQ(limits.body["used_today"]["piastres"], 20'000) << "the retry reserved nothing";
}

TEST_P(AppFlowTest, TransferNoticesAreFiledOnHistoryRowsOncePerSide) {
  Api& api = *api_;
  std::string payer = api.Onboard("01009300001", TestNationalId(21), "NBE", "3100000031", "Hoda Samir Nabil", 500'000);
  std::string payee = api.Onboard("01009300002", TestNationalId(22), "CIB", "3200000032", "Karim Adel Mansour", 0);
  auto notices_about = [&](const std::string& token, const std::string& ir) {
    json found = json::array();
    Reply listed = api.Call("GET", "/api/v1/notifications", nullptr, token);
    for (const json& n : listed.body["notifications"]) {
      if (n["ir"] == ir) found.push_back(n);
    }
    return found;
  };
  Reply sent = api.Call("POST", "/api/v1/payments/send",
                        {{"kind", "mobile"}, {"value", "01009300002"}, {"amount", 20'000}, {"pin", "246810"}}, payer);
  ASSERT_EQ(sent.status, 201) << sent.body.dump();
  ASSERT_EQ(sent.body["state"], "completed");
  const std::string ir = sent.body["ir"];

  json mine = notices_about(payer, ir);
  ASSERT_EQ(mine.size(), 1u) << mine.dump();
  EXPECT_EQ(mine[0]["id"], "h_" + ir + "_out");
  EXPECT_EQ(mine[0]["kind"], "transfer");
  EXPECT_NE(mine[0]["text_en"].get<std::string>().find("sent successfully"), std::string::npos) << mine.dump();
  EXPECT_NE(mine[0]["text_en"].get<std::string>().find(ir), std::string::npos);
  EXPECT_FALSE(mine[0]["text_ar"].get<std::string>().empty());
  EXPECT_FALSE(mine[0]["read"].get<bool>());
  json theirs = notices_about(payee, ir);
  ASSERT_EQ(theirs.size(), 1u) << theirs.dump();
  EXPECT_EQ(theirs[0]["id"], "h_" + ir + "_in");
  EXPECT_NE(theirs[0]["text_en"].get<std::string>().find("You received"), std::string::npos) << theirs.dump();
  auto stored = server_->store().Execute("SELECT COUNT(*) FROM app_notifications WHERE ir = $1",
                                         std::vector<store::Value>{ir}, store::Mode::kRead);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(store::AsInt(stored->rows[0][0]), 0) << "filed on the history rows, not stored apart";

  // Marked read: by its owner only, and only a notice that exists.
  const std::string mine_id = "h_" + ir + "_out";
  EXPECT_EQ(api.Call("POST", "/api/v1/notifications/" + mine_id + "/read", nullptr, payer).status, 200);
  EXPECT_TRUE(notices_about(payer, ir)[0]["read"].get<bool>());
  EXPECT_EQ(api.Call("POST", "/api/v1/notifications/" + mine_id + "/read", nullptr, payer).status, 200) << "again: still read";
  EXPECT_FALSE(notices_about(payee, ir)[0]["read"].get<bool>());
  EXPECT_EQ(api.Call("POST", "/api/v1/notifications/" + mine_id + "/read", nullptr, payee).code(), "app.notification_not_found");
  EXPECT_EQ(api.Call("POST", "/api/v1/notifications/h_" + ir + "_in/read", nullptr, payer).code(), "app.notification_not_found");
  EXPECT_EQ(api.Call("POST", "/api/v1/notifications/h_" + ir + "_sideways/read", nullptr, payer).code(),
            "app.notification_not_found");
  EXPECT_EQ(api.Call("POST", "/api/v1/notifications/h_IR123_out/read", nullptr, payer).code(), "app.notification_not_found");

  // A send refused for funds: its notice says nothing was taken.
  Reply refused = api.Call("POST", "/api/v1/payments/send",
                           {{"kind", "mobile"}, {"value", "01009300002"}, {"amount", 900'000}, {"pin", "246810"}}, payer);
  ASSERT_EQ(refused.body["state"], "failed") << refused.body.dump();
  json failed = notices_about(payer, refused.body["ir"]);
  ASSERT_EQ(failed.size(), 1u) << failed.dump();
  EXPECT_NE(failed[0]["text_en"].get<std::string>().find("nothing was taken"), std::string::npos) << failed.dump();
  EXPECT_TRUE(notices_about(payee, refused.body["ir"]).empty());

  // An operator's reversal an hour later: a notification of its own, beside
  // the filed one. (The app's clock is manual; the reference's is real.)
  server_->clock().Advance(std::chrono::hours(1));
  ASSERT_TRUE(server_->network().Reverse(ir, "ops.test", "sent to the wrong number").ok());
  json after = notices_about(payer, ir);
  ASSERT_EQ(after.size(), 2u) << after.dump();
  EXPECT_EQ(after[0]["id"].get<std::string>().rfind("n_", 0), 0u) << "the newer one first: " << after.dump();
  EXPECT_NE(after[0]["text_en"].get<std::string>().find("returned"), std::string::npos) << after.dump();
  EXPECT_EQ(after[1]["id"], mine_id);
  const std::string stored_id = after[0]["id"];
  EXPECT_EQ(api.Call("POST", "/api/v1/notifications/" + stored_id + "/read", nullptr, payee).code(),
            "app.notification_not_found");
  EXPECT_FALSE(notices_about(payer, ir)[0]["read"].get<bool>());
  EXPECT_EQ(api.Call("POST", "/api/v1/notifications/" + stored_id + "/read", nullptr, payer).status, 200);
  EXPECT_TRUE(notices_about(payer, ir)[0]["read"].get<bool>());
}

INSTANTIATE_TEST_SUITE_P(Backends, AppFlowTest, ::testing::ValuesIn(store::TestBackends()), store::BackendTestName);

// The app's second migration re-files history rows under HistorySecond(ir).
// Rows the first schema wrote (the payee's side at the decision time, the
// payer's at the creation time) are then found by the new key, and the key
// still refuses a second row for the same side of the same transaction.
class AppHistoryMigrationTest : public ::testing::TestWithParam<std::string> {};

TEST_P(AppHistoryMigrationTest, OldRowsAreFiledUnderTheirReferencesSecond) {
  LAHZA_SKIP_UNLESS_BACKEND(GetParam());
  auto store = store::FreshStore(GetParam());
  ASSERT_NE(store, nullptr);
  auto ledger = ledger::Ledger::Open(*store);
  ASSERT_TRUE(ledger.ok());
  auto network = ipn::Switch::Open(*store, **ledger, {});
  ASSERT_TRUE(network.ok());
  app::AppOptions options;
  options.pin_hashing = app::PinHashing::kMinimum;
  ASSERT_TRUE(app::App::Open(*store, **network, options).ok());

  // Back to the first schema's table, holding what it held.
  ASSERT_TRUE(store->Execute("DROP TABLE app_activity").ok());
  ASSERT_TRUE(store->Execute(
      "CREATE TABLE app_activity (customer_id TEXT NOT NULL, ir TEXT NOT NULL, direction TEXT NOT NULL, "
      "type TEXT NOT NULL, amount BIGINT NOT NULL, fee BIGINT NOT NULL, account_id TEXT NOT NULL, "
      "counterparty TEXT NOT NULL, counterparty_name TEXT NOT NULL, note TEXT NOT NULL, created_at BIGINT NOT NULL, "
      "PRIMARY KEY (customer_id, ir, direction))").ok());
  ASSERT_TRUE(store->Execute("CREATE INDEX app_activity_time ON app_activity (customer_id, created_at)").ok());
  const IrReference ir = IrReference::FromParts(7, 90'061'234'567'123);  // issued 2026-11-08 09:00:34.567 UTC
  const int64_t second = app::HistorySecond(ir);
  ASSERT_EQ(second, 1'794'128'434);
  const std::string insert =
      "INSERT INTO app_activity (customer_id, ir, direction, type, amount, fee, account_id, counterparty, "
      "counterparty_name, note, created_at) VALUES ($1, $2, $3, 'transfer', 500, 0, 'a_1', '', '', '', $4)";
  ASSERT_TRUE(store->Execute(insert, std::vector<store::Value>{"c_payer", ir.str(), "out", second}).ok());
  ASSERT_TRUE(store->Execute(insert, std::vector<store::Value>{"c_payee", ir.str(), "in", second + 95}).ok());
  ASSERT_TRUE(store->Execute("DELETE FROM lahza_schema WHERE module = 'app' AND version = 2").ok());

  ASSERT_TRUE(app::App::Open(*store, **network, options).ok());  // migrates again
  for (const char* customer : {"c_payer", "c_payee"}) {
    auto found = store->Execute("SELECT direction FROM app_activity WHERE customer_id = $1 AND created_at = $2 AND ir = $3",
                                std::vector<store::Value>{customer, second, ir.str()}, store::Mode::kRead);
    ASSERT_TRUE(found.ok());
    EXPECT_EQ(found->rows.size(), 1u) << customer;
  }
  auto again = store->Execute(insert + " ON CONFLICT (customer_id, created_at, ir, direction) DO NOTHING",
                              std::vector<store::Value>{"c_payee", ir.str(), "in", second});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->affected, 0);
  auto old_index = store->Execute("SELECT COUNT(*) FROM app_activity WHERE customer_id = 'c_payee'", {}, store::Mode::kRead);
  ASSERT_TRUE(old_index.ok());
  EXPECT_EQ(store::AsInt(old_index->rows[0][0]), 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, AppHistoryMigrationTest, ::testing::ValuesIn(store::TestBackends()),
                         store::BackendTestName);

TEST(AppRateLimitTest, LoginIsRateLimitedPerIp) {
  app::AppOptions options;
  options.login_per_minute = 5;
  AppServer server("sqlite", options);
  ASSERT_TRUE(server.ready());
  Api api(server.port());
  int limited = 0;
  for (int i = 0; i < 10; ++i) {
    Reply reply = api.Call("POST", "/api/v1/login", {{"mobile", "0100000000" + std::to_string(i)}, {"pin", "123456"}, {"device_id", "d"}});
    if (reply.status == 429) {
      ++limited;
      EXPECT_EQ(reply.code(), "app.rate_limited");
    }
  }
  EXPECT_EQ(limited, 5);
}

// Every app.* code in the sources has Arabic and English words.
TEST(AppMessagesTest, EveryCodeIsInTheCatalogue) {
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(LAHZA_SOURCE_DIR) + "/src/app")) {
    std::ifstream in(entry.path());
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // Every string literal starting "app." and ending in a letter is a code
    // (prefixes such as "app.summary." are completed at run time).
    for (size_t at = text.find("\"app."); at != std::string::npos; at = text.find("\"app.", at + 1)) {
      size_t end = at + 1;
      while (end < text.size() && (std::islower(static_cast<unsigned char>(text[end])) || text[end] == '_' || text[end] == '.')) ++end;
      if (end >= text.size() || text[end] != '"' || !std::islower(static_cast<unsigned char>(text[end - 1]))) continue;
      std::string code = text.substr(at + 1, end - at - 1);
      auto message = FindMessage(code);
      EXPECT_TRUE(message.has_value()) << code << " in " << entry.path();
      if (message) {
        EXPECT_TRUE(!message->ar.empty() && !message->en.empty()) << code;
      }
      ++checked;
    }
  }
  EXPECT_GT(checked, 40);
  for (const char* state : {"initiated", "debited", "credited", "completed", "rejected", "failed", "timed_out_after_debit",
                            "reversed", "disputed"}) {
    EXPECT_TRUE(FindMessage(std::string("app.summary.") + state)) << state;
    EXPECT_TRUE(FindMessage(std::string("app.timeline.state.") + state)) << state;
  }
  for (const char* kind : {"sent", "received", "failed", "rejected", "pending", "reversed", "disputed"}) {
    EXPECT_TRUE(FindMessage(std::string("app.notify.transfer_") + kind)) << kind;
  }
}

}  // namespace
}  // namespace lahza::testing
