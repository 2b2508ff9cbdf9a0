// Customer care over HTTP against a real server on loopback, on both
// backends: the app's routes (customers sign in for real, with OTP and PIN)
// and care's routes in one router, exactly as `lahza serve` wires them.
#include <gtest/gtest.h>

#include "app_server.h"
#include "care/care_routes.h"
#include "care/case_agents.h"
#include "care/case_internal.h"
#include "care/diagnosis.h"
#include "cases_test_support.h"
#include "core/ir_reference.h"

namespace lahza::care {
namespace {

using lahza::testing::Api;
using lahza::testing::Reply;
using lahza::testing::TestNationalId;
using nlohmann::json;

// The app's test server with care's services and routes added, as `lahza
// serve` wires them: the app asks care whether a customer's transfers are
// frozen, care authenticates customers through the app.
class CareServer {
 public:
  explicit CareServer(const std::string& backend) : server_(backend, {}, Extras()) {}
  bool ready() const { return server_.ready(); }
  uint16_t port() const { return server_.port(); }
  ipn::Switch& network() { return server_.network(); }
  AgentDirectory& agents() { return *agents_; }

 private:
  lahza::testing::AppServerExtras Extras() {
    lahza::testing::AppServerExtras extras;
    extras.max_body_bytes = 4 * 1024 * 1024;  // screenshots travel as base64
    extras.configure = [](lahza::testing::AppServer&, app::AppOptions& options) {
      options.transfers_frozen = [](store::Transaction& tx, std::string_view customer_id) {
        return TransfersFrozen(tx, customer_id);
      };
    };
    extras.add_routes = [this](lahza::testing::AppServer& s, http::Router& router) {
      diagnoser_ = std::make_unique<Diagnoser>(s.network(), s.clock());
      auto cases = CaseService::Create(s.store(), s.clock(), diagnoser_.get());
      EXPECT_TRUE(cases.ok());
      if (cases.ok()) cases_ = std::move(*cases);
      auto agents = AgentDirectory::Open(s.store());
      EXPECT_TRUE(agents.ok());
      if (agents.ok()) agents_ = std::move(*agents);
      AddCareRoutes(router, CareServices{cases_.get(), agents_.get(), AuthenticateThroughApp(router), &s.clock()});
      app::App* app = &s.app();
      AddCareAdminRoutes(router, CareAdminServices{agents_.get(),
                                                   [app](const http::Request& request) { return app->AuthorizeAdmin(request); },
                                                   &s.network().directory()});
    };
    return extras;
  }

  // Declared before the server: its set-up fills them, and they outlive it
  // (the server stops before care's services go).
  std::unique_ptr<Diagnoser> diagnoser_;
  std::unique_ptr<CaseService> cases_;
  std::unique_ptr<AgentDirectory> agents_;
  lahza::testing::AppServer server_;
};

class CareHttpTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    LAHZA_SKIP_UNLESS_BACKEND(GetParam());
    server_ = std::make_unique<CareServer>(GetParam());
    ASSERT_TRUE(server_->ready());
    api_ = std::make_unique<Api>(server_->port());
  }
  void TearDown() override {
    api_.reset();
    server_.reset();
  }

  std::string CustomerId(const std::string& token) {
    Reply me = api_->Call("GET", "/api/v1/me", nullptr, token);
    EXPECT_EQ(me.status, 200) << me.body.dump();
    return me.body.value("customer_id", "");
  }

  std::string AgentToken(const std::string& id, const std::string& bank) {
    auto token = server_->agents().Issue(id, bank);
    EXPECT_TRUE(token.ok());
    return token.ok() ? *token : "";
  }

  std::unique_ptr<CareServer> server_;
  std::unique_ptr<Api> api_;
};

TEST_P(CareHttpTest, HelpCentreTriageAndChannelsArePublic) {
  Reply search = api_->Call("GET", "/api/v1/help/search?q=%D8%A7%D9%84%D9%81%D9%84%D9%88%D8%B3%20%D9%85%D9%88%D8%B5%D9%84%D8%AA%D8%B4");
  ASSERT_EQ(search.status, 200) << search.body.dump();
  ASSERT_FALSE(search.body["hits"].empty());
  std::string id = search.body["hits"][0]["article_id"];
  Reply article = api_->Call("GET", "/api/v1/help/articles/" + id);
  ASSERT_EQ(article.status, 200);
  EXPECT_FALSE(article.body["body"]["ar"].get<std::string>().empty());
  EXPECT_FALSE(article.body["body"]["en"].get<std::string>().empty());
  Reply missing = api_->Call("GET", "/api/v1/help/articles/no-such-article");
  EXPECT_EQ(missing.status, 404);
  EXPECT_FALSE(missing.body["error"]["message_ar"].get<std::string>().empty());
  Reply list = api_->Call("GET", "/api/v1/help/articles");
  ASSERT_EQ(list.status, 200);
  EXPECT_GE(list.body["articles"].size(), 60u);

  Reply triage = api_->Call("POST", "/api/v1/care/triage", {{"text", "اتخصم مني ٥٠٠ جنيه والتحويل موصلش للبنك الأهلي"}});
  ASSERT_EQ(triage.status, 200) << triage.body.dump();
  EXPECT_TRUE(ParseCategory(triage.body["category"].get<std::string>()).has_value());
  EXPECT_TRUE(triage.body["advice"].contains("options"));
  Reply empty = api_->Call("POST", "/api/v1/care/triage", {{"text", "   "}});
  EXPECT_EQ(empty.status, 400);
  EXPECT_EQ(empty.code(), "triage.empty_text");
  Reply bad = api_->Raw("POST", "/api/v1/care/triage", "{not json");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.code(), "http.body_not_json");

  Reply channels = api_->Call("GET", "/api/v1/care/channels?category=security_unusual_activity&bank_code=NBE");
  ASSERT_EQ(channels.status, 200) << channels.body.dump();
  EXPECT_TRUE(channels.body["urgent"].get<bool>());
  EXPECT_FALSE(channels.body["best_now"].is_null());
  Reply unknown = api_->Call("GET", "/api/v1/care/channels?category=weather");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(unknown.code(), "care.invalid_category");
}

TEST_P(CareHttpTest, AFailedTransferBecomesACaseThatTheBankResolves) {
  std::string mona = api_->Onboard("01001234567", TestNationalId(1), "NBE", "1000000001", "Mona Ali Hassan");
  ASSERT_FALSE(mona.empty());
  std::string mona_id = CustomerId(mona);
  api_->OpenBankAccount("CIB", "2000000002", "01201234567", "Karim Samir", 10'000);

  // Debited, then the payee's bank goes silent.
  ipn::Fault timeout{ipn::Fault::Kind::kTimeoutAfterDebit};
  ASSERT_TRUE(server_->network().SetFault("CIB", timeout).ok());
  ipn::SendRequest send;
  send.user_id = mona_id;
  send.client_request_id = "http-1";
  send.payer_participant = "NBE";
  send.payer_account = "1000000001";
  send.payee = ipn::PayeeId{ipn::PayeeKind::kAccountNumber, "2000000002", "CIB"};
  send.amount = 75'000;
  auto sent = server_->network().Send(send);
  ASSERT_TRUE(sent.ok());
  ASSERT_TRUE(server_->network().SetFault("CIB", ipn::Fault{ipn::Fault::Kind::kDown}).ok());

  json png = {{"filename", "sms.png"}, {"data_base64", internal::Base64Encode(testing::PngBytes(3000))}};
  Reply opened = api_->Call("POST", "/api/v1/care/cases",
                            {{"category", "debited_without_completion"},
                             {"description", "اتخصم مني والفلوس موصلتش"},
                             {"ir_reference", sent->ir},
                             {"attachments", json::array({png})}},
                            mona);
  ASSERT_EQ(opened.status, 201) << opened.body.dump();
  std::string case_id = opened.body["id"];
  EXPECT_TRUE(IsValidCaseId(case_id));
  EXPECT_EQ(opened.body["status"], "open");
  EXPECT_EQ(opened.body["queue"], "bank:NBE");
  EXPECT_EQ(opened.body["diagnosis"]["outcome"], "debited_open");
  EXPECT_FALSE(opened.body["diagnosis"]["explanation"]["ar"].get<std::string>().empty());
  ASSERT_EQ(opened.body["attachments"].size(), 1u);

  // The screenshot comes back as the image it was checked to be.
  std::string attachment = opened.body["attachments"][0]["id"];
  lahza::testing::HttpClient raw(server_->port());
  auto image = raw.Request("GET", "/api/v1/care/cases/" + case_id + "/attachments/" + attachment, "",
                           {{"Authorization", "Bearer " + mona}, {"X-Device-Id", "phone-1"}});
  EXPECT_EQ(image.status, 200);
  EXPECT_EQ(image.headers["content-type"], "image/png");
  EXPECT_TRUE(image.body == testing::PngBytes(3000));

  // The bank's agent finds it in NBE's queue, with the whole dossier.
  std::string hassan = AgentToken("hassan.nbe", "NBE");
  Reply queue = api_->Call("GET", "/api/v1/agent/queue", nullptr, hassan, "");
  ASSERT_EQ(queue.status, 200) << queue.body.dump();
  ASSERT_EQ(queue.body["cases"].size(), 1u);
  EXPECT_EQ(queue.body["cases"][0]["id"], case_id);
  Reply dossier = api_->Call("GET", "/api/v1/agent/cases/" + case_id + "/dossier", nullptr, hassan, "");
  ASSERT_EQ(dossier.status, 200);
  EXPECT_EQ(dossier.body["transaction"]["state"], "timed_out_after_debit");
  EXPECT_EQ(dossier.body["customer"]["mobile"], "+201001234567");
  EXPECT_EQ(api_->Call("POST", "/api/v1/agent/cases/" + case_id + "/take", json::object(), hassan, "").status, 200);
  Reply note = api_->Call("POST", "/api/v1/agent/cases/" + case_id + "/reply",
                          {{"text", "CIB unreachable since 14:00"}, {"internal", true}}, hassan, "");
  ASSERT_EQ(note.status, 200) << note.body.dump();
  Reply resolved = api_->Call("POST", "/api/v1/agent/cases/" + case_id + "/resolve",
                              {{"answer", "سيعود المبلغ إلى حسابك خلال ٢٤ ساعة"}}, hassan, "");
  ASSERT_EQ(resolved.status, 200) << resolved.body.dump();
  EXPECT_EQ(resolved.body["status"], "resolved");

  // Another bank's agent sees nothing of it.
  std::string mona_cib = AgentToken("mona.cib", "CIB");
  EXPECT_EQ(api_->Call("GET", "/api/v1/agent/cases/" + case_id, nullptr, mona_cib, "").status, 404);

  // The customer sees the answer, never the internal note.
  Reply seen = api_->Call("GET", "/api/v1/care/cases/" + case_id, nullptr, mona);
  ASSERT_EQ(seen.status, 200);
  EXPECT_EQ(seen.body["status"], "resolved");
  EXPECT_EQ(seen.body["resolved_by"], "agent");
  EXPECT_EQ(seen.body.dump().find("unreachable"), std::string::npos);
  EXPECT_EQ(seen.body["messages"].back()["body"], "سيعود المبلغ إلى حسابك خلال ٢٤ ساعة");
  Reply list = api_->Call("GET", "/api/v1/care/cases", nullptr, mona);
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.body["cases"].size(), 1u);
}

TEST_P(CareHttpTest, WhoMayDoWhat) {
  std::string mona = api_->Onboard("01001234567", TestNationalId(1), "NBE", "1000000001", "Mona Ali Hassan");
  std::string omar = api_->Onboard("01101234567", TestNationalId(2), "CIB", "2000000002", "Omar Khaled Fahmy");
  Reply opened = api_->Call("POST", "/api/v1/care/cases",
                            {{"category", "security_unusual_activity"}, {"description", "Someone changed my PIN"}},
                            mona);
  ASSERT_EQ(opened.status, 201) << opened.body.dump();
  std::string case_id = opened.body["id"];

  // Without a session, with an agent's token, or as another customer.
  EXPECT_EQ(api_->Call("GET", "/api/v1/care/cases/" + case_id).status, 401);
  std::string amira = AgentToken("amira", "");
  EXPECT_EQ(api_->Call("GET", "/api/v1/care/cases/" + case_id, nullptr, amira).status, 401);
  Reply other = api_->Call("GET", "/api/v1/care/cases/" + case_id, nullptr, omar);
  EXPECT_EQ(other.status, 404);
  EXPECT_EQ(other.code(), "care.case_not_found");
  EXPECT_EQ(api_->Call("POST", "/api/v1/care/cases/" + case_id + "/freeze", json::object(), omar).status, 404);
  EXPECT_EQ(api_->Call("POST", "/api/v1/care/cases/" + case_id + "/replies", {{"message", "hi"}}, omar).status, 404);
  // A customer's session is not an agent's.
  EXPECT_EQ(api_->Call("GET", "/api/v1/agent/queue", nullptr, mona).status, 401);

  // The security case freezes Mona's transfers at once; the app's agent sees it.
  Reply frozen = api_->Call("POST", "/api/v1/care/cases/" + case_id + "/freeze", json::object(), mona);
  ASSERT_EQ(frozen.status, 200) << frozen.body.dump();
  EXPECT_TRUE(frozen.body["transfers_frozen"].get<bool>());
  Reply flag = api_->Call("GET", "/api/v1/care/freeze", nullptr, mona);
  EXPECT_TRUE(flag.body["transfers_frozen"].get<bool>());
  Reply theirs = api_->Call("GET", "/api/v1/care/freeze", nullptr, omar);
  EXPECT_FALSE(theirs.body["transfers_frozen"].get<bool>());
  Reply queue = api_->Call("GET", "/api/v1/agent/queue", nullptr, amira, "");
  ASSERT_EQ(queue.status, 200);
  ASSERT_EQ(queue.body["cases"].size(), 1u);
  EXPECT_EQ(queue.body["cases"][0]["priority"], "urgent");
  Reply lifted = api_->Call("POST", "/api/v1/agent/cases/" + case_id + "/unfreeze", {{"note", "verified"}}, amira, "");
  ASSERT_EQ(lifted.status, 200) << lifted.body.dump();
  EXPECT_FALSE(lifted.body["transfers_frozen"].get<bool>());

  // Bad input: clear codes, nothing stored.
  Reply gif = api_->Call("POST", "/api/v1/care/cases",
                         {{"category", "app_error"},
                          {"description", "crash"},
                          {"attachments", json::array({{{"filename", "a.png"},
                                                        {"data_base64", internal::Base64Encode(testing::GifBytes())}}})}},
                         mona);
  EXPECT_EQ(gif.status, 400);
  EXPECT_EQ(gif.code(), "care.attachment_type");
  Reply unknown = api_->Call("POST", "/api/v1/care/cases", {{"category", "app_error"}, {"colour", "red"}}, mona);
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(unknown.code(), "http.unknown_field");
  std::string mistyped = IrReference::FromParts(1, 123456).str();
  mistyped.back() = mistyped.back() == '9' ? '0' : static_cast<char>(mistyped.back() + 1);
  Reply typo = api_->Call("POST", "/api/v1/care/cases",
                          {{"category", "money_not_received"}, {"ir_reference", mistyped}}, mona);
  EXPECT_EQ(typo.status, 400);
  EXPECT_EQ(typo.code().rfind("ir.", 0), 0u) << typo.code();
  Reply when = api_->Call("POST", "/api/v1/care/cases",
                          {{"category", "money_not_received"}, {"transaction", {{"at", "yesterday"}}}}, mona);
  EXPECT_EQ(when.status, 400);
  EXPECT_EQ(when.code(), "care.invalid_time");
  Reply missing = api_->Call("POST", "/api/v1/care/cases",
                             {{"category", "money_not_received"},
                              {"transaction", {{"at", "2026-11-24T14:02"}, {"amount_piastres", 50'000}}}},
                             mona);
  ASSERT_EQ(missing.status, 201) << missing.body.dump();
  EXPECT_EQ(missing.body["status"], "waiting_customer");
  EXPECT_FALSE(missing.body["ask"]["ar"].get<std::string>().empty());
  Reply list = api_->Call("GET", "/api/v1/care/cases", nullptr, mona);
  EXPECT_EQ(list.body["cases"].size(), 2u);
}

TEST_P(CareHttpTest, TheAdministratorIssuesAgentTokens) {
  std::string mona = api_->Onboard("01001234567", TestNationalId(1), "NBE", "1000000001", "Mona Ali Hassan");
  ASSERT_FALSE(mona.empty());
  json body = {{"agent_id", "salma.nbe"}, {"bank_code", "NBE"}};
  // Only the admin token: no token, a customer's session, a wrong token.
  Reply anonymous = api_->Call("POST", "/api/v1/admin/agents", body, "", "");
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(anonymous.code(), "app.admin_unauthorized");
  EXPECT_EQ(api_->Call("POST", "/api/v1/admin/agents", body, mona).status, 401);
  EXPECT_EQ(api_->Call("POST", "/api/v1/admin/agents", body, "not-the-admin-token", "").status, 401);

  // A bank code the directory does not know: the catalogue's words, both languages.
  Reply unknown = api_->Admin("POST", "/api/v1/admin/agents", {{"agent_id", "x.agent"}, {"bank_code", "NOBANK"}});
  EXPECT_EQ(unknown.status, 400) << unknown.body.dump();
  EXPECT_EQ(unknown.code(), "care.bank_unknown");
  EXPECT_NE(unknown.body["error"]["message_en"].get<std::string>().find("NOBANK"), std::string::npos);
  EXPECT_EQ(unknown.body["error"]["message_ar"], Format(MessageFor("care.bank_unknown"), {{"detail", "NOBANK"}}).ar);
  Reply bad_id = api_->Admin("POST", "/api/v1/admin/agents", {{"agent_id", "X"}, {"bank_code", "NBE"}});
  EXPECT_EQ(bad_id.status, 400);
  EXPECT_EQ(bad_id.code(), "care.agent_invalid");
  Reply extra = api_->Admin("POST", "/api/v1/admin/agents", {{"agent_id", "x.agent"}, {"bank", "NBE"}});
  EXPECT_EQ(extra.code(), "http.unknown_field");

  // A bank's agent and an app-support agent (no bank code); the tokens work
  // on the agent routes at once, and the queue is the right one.
  Reply issued = api_->Admin("POST", "/api/v1/admin/agents", body);
  ASSERT_EQ(issued.status, 201) << issued.body.dump();
  EXPECT_EQ(issued.body["agent_id"], "salma.nbe");
  EXPECT_EQ(issued.body["bank_code"], "NBE");
  std::string salma = issued.body["token"];
  EXPECT_GE(salma.size(), 24u);
  Reply queue = api_->Call("GET", "/api/v1/agent/queue", nullptr, salma, "");
  EXPECT_EQ(queue.status, 200) << queue.body.dump();
  Reply support = api_->Admin("POST", "/api/v1/admin/agents", {{"agent_id", "amira.support"}});
  ASSERT_EQ(support.status, 201) << support.body.dump();
  EXPECT_EQ(support.body["bank_code"], "");
  auto agent = server_->agents().Authenticate(support.body["token"].get<std::string>());
  ASSERT_TRUE(agent.ok());
  EXPECT_TRUE(agent->bank_code.empty());
  // Issuing again replaces the token: the old one stops working.
  Reply again = api_->Admin("POST", "/api/v1/admin/agents", body);
  ASSERT_EQ(again.status, 201);
  EXPECT_EQ(api_->Call("GET", "/api/v1/agent/queue", nullptr, salma, "").status, 401);
}

TEST_P(CareHttpTest, AFrozenCustomerCannotPay) {
  std::string mona = api_->Onboard("01001234567", TestNationalId(1), "NBE", "1000000001", "Mona Ali Hassan");
  std::string omar = api_->Onboard("01101234567", TestNationalId(2), "CIB", "2000000001", "Omar Samir Adel");
  ASSERT_FALSE(mona.empty());
  ASSERT_FALSE(omar.empty());
  json send = {{"kind", "mobile"}, {"value", "01101234567"}, {"amount", 5'000}, {"pin", "246810"}};
  Reply before = api_->Call("POST", "/api/v1/payments/send", send, mona);
  ASSERT_EQ(before.status, 201) << before.body.dump();

  // Mona reports someone in her account and freezes her transfers.
  Reply opened = api_->Call("POST", "/api/v1/care/cases",
                            {{"category", "security_unusual_activity"}, {"description", "Someone logged in from a phone I do not own"}},
                            mona);
  ASSERT_EQ(opened.status, 201) << opened.body.dump();
  std::string case_id = opened.body["id"];
  ASSERT_EQ(api_->Call("POST", "/api/v1/care/cases/" + case_id + "/freeze", json::object(), mona).status, 200);

  send["client_request_id"] = "after-freeze";
  Reply refused = api_->Call("POST", "/api/v1/payments/send", send, mona);
  EXPECT_EQ(refused.status, 403) << refused.body.dump();
  EXPECT_EQ(refused.code(), "app.transfers_frozen");
  EXPECT_FALSE(refused.body["error"]["message_ar"].get<std::string>().empty());
  EXPECT_NE(refused.body["error"]["message_en"].get<std::string>().find("frozen"), std::string::npos);
  // The other payment paths refuse too: a donation and accepting a collect request.
  Reply charity = api_->Admin("POST", "/api/v1/admin/charities",
                              {{"code", "RESALA"}, {"name_ar", "رسالة"}, {"name_en", "Resala"}, {"participant", "CIB"},
                               {"account_number", "2000000001"}});
  ASSERT_EQ(charity.status, 201) << charity.body.dump();
  Reply donation = api_->Call("POST", "/api/v1/donations", {{"charity", "RESALA"}, {"amount", 1'000}, {"pin", "246810"}}, mona);
  EXPECT_EQ(donation.status, 403) << donation.body.dump();
  EXPECT_EQ(donation.code(), "app.transfers_frozen");
  Reply collect = api_->Call("POST", "/api/v1/collects", {{"payer_mobile", "01001234567"}, {"amount", 2'000}}, omar);
  ASSERT_EQ(collect.status, 201) << collect.body.dump();
  Reply accepted = api_->Call("POST", "/api/v1/collects/" + collect.body["id"].get<std::string>() + "/accept",
                              {{"pin", "246810"}}, mona);
  EXPECT_EQ(accepted.status, 403) << accepted.body.dump();
  EXPECT_EQ(accepted.code(), "app.transfers_frozen");
  // Omar, not frozen, still pays; nothing left Mona's account after the freeze.
  Reply omar_pays = api_->Call("POST", "/api/v1/payments/send",
                               {{"kind", "mobile"}, {"value", "01001234567"}, {"amount", 1'000}, {"pin", "246810"}}, omar);
  EXPECT_EQ(omar_pays.status, 201) << omar_pays.body.dump();

  // The agent lifts the freeze after checking: Mona pays again.
  std::string amira = AgentToken("amira.support", "");
  ASSERT_EQ(api_->Call("POST", "/api/v1/agent/cases/" + case_id + "/unfreeze", {{"note", "verified"}}, amira, "").status, 200);
  Reply after = api_->Call("POST", "/api/v1/payments/send", send, mona);
  EXPECT_EQ(after.status, 201) << after.body.dump();
}

INSTANTIATE_TEST_SUITE_P(Backends, CareHttpTest, ::testing::ValuesIn(store::TestBackends()),
                         store::BackendTestName);

}  // namespace
}  // namespace lahza::care
