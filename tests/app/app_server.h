// A real Lahza app server for tests: store (SQLite or PostgreSQL), ledger,
// switch and app behind the HTTP server on a free loopback port, in-process,
// with a manual clock for the app (OTP expiry, PIN lock) and helpers that
// drive flows over HTTP only (the admin API opens bank accounts and reads
// the SMS outbox).
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <functional>
#include <string>

#include "app/app.h"
#include "core/cairo_time.h"
#include "http/server.h"
#include "http/test_client.h"
#include "ipn/switch.h"
#include "ledger/ledger.h"
#include "store/test_stores.h"

namespace lahza::testing {

using nlohmann::json;

inline constexpr const char* kAdminToken = "test-admin-token-0123456789";

struct Reply {
  int status = 0;
  json body;
  std::string text;  // the body as sent
  // The body is exactly what a JSON value prints (members sorted, the same
  // escaping): true of everything the server renders.
  bool PrintedAsJson() const { return text == body.dump(-1, ' ', false, json::error_handler_t::replace); }
  std::string code() const { return body.contains("error") ? body["error"].value("code", "") : ""; }
};

class AppServer;

// What another suite adds to the app's test server (care adds its services and
// routes, as `lahza serve` wires them): `configure` runs on the app's options
// before the app opens, `add_routes` after the app's own routes.
struct AppServerExtras {
  std::function<void(AppServer&, app::AppOptions&)> configure;
  std::function<void(AppServer&, http::Router&)> add_routes;
  size_t max_body_bytes = 0;  // 0: the server's default
};

class AppServer {
 public:
  explicit AppServer(const std::string& backend, app::AppOptions options = {}, AppServerExtras extras = {})
      : clock_(std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now())) {
    store_ = store::FreshStore(backend);
    if (!store_) return;
    auto ledger = ledger::Ledger::Open(*store_);
    EXPECT_TRUE(ledger.ok());
    ledger_ = std::move(*ledger);
    ipn::SwitchOptions switch_options;
    switch_options.clock = &switch_clock_;
    auto network = ipn::Switch::Open(*store_, *ledger_, std::move(switch_options));
    EXPECT_TRUE(network.ok()) << (network.ok() ? "" : network.error().code + " " + network.error().detail);
    network_ = std::move(*network);
    options.admin_token = kAdminToken;
    options.pin_hashing = app::PinHashing::kMinimum;
    options.clock = &clock_;
    if (extras.configure) extras.configure(*this, options);
    auto opened = app::App::Open(*store_, *network_, options);
    EXPECT_TRUE(opened.ok()) << (opened.ok() ? "" : opened.error().code + " " + opened.error().detail);
    app_ = std::move(*opened);
    http::AddHealthRoute(router_);
    app_->AddRoutes(router_);
    if (extras.add_routes) extras.add_routes(*this, router_);
    http::ServerOptions server_options;
    server_options.access_log = false;
    if (extras.max_body_bytes > 0) server_options.max_body_bytes = extras.max_body_bytes;
    server_options.after_durable = [&store = *store_](std::function<void()> then) { store.WhenDurable(std::move(then)); };
    server_ = std::make_unique<http::Server>(router_, server_options);
    EXPECT_TRUE(server_->Start().ok());
  }
  ~AppServer() {
    if (server_) server_->Stop();
    if (network_) network_->SetNotifier({});
  }
  bool ready() const { return server_ != nullptr; }
  uint16_t port() const { return server_->port(); }
  ManualClock& clock() { return clock_; }
  ipn::Switch& network() { return *network_; }
  app::App& app() { return *app_; }
  store::Store& store() { return *store_; }
  const http::Router& router() const { return router_; }

 private:
  ManualClock clock_;
  // The switch's own: it only names the Cairo day and month that limits count
  // in, and a fixed noon keeps a run across Cairo midnight on one day.
  ManualClock switch_clock_{FromCairo(2026, 11, 25, 12, 0).value()};
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<ledger::Ledger> ledger_;
  std::unique_ptr<ipn::Switch> network_;
  std::unique_ptr<app::App> app_;
  http::Router router_;
  std::unique_ptr<http::Server> server_;
};

class Api {
 public:
  explicit Api(uint16_t port) : client_(port) {}

  Reply Call(const std::string& method, const std::string& target, const json& body = nullptr,
             const std::string& token = {}, const std::string& device = "phone-1") {
    std::map<std::string, std::string> headers;
    if (!token.empty()) headers["Authorization"] = "Bearer " + token;
    if (!device.empty()) headers["X-Device-Id"] = device;
    auto response = client_.Request(method, target, body.is_null() ? std::string() : body.dump(), headers);
    Reply reply{response.status, json::parse(response.body, nullptr, false), response.body};
    return reply;
  }
  Reply Raw(const std::string& method, const std::string& target, const std::string& body, const std::string& token = {}) {
    std::map<std::string, std::string> headers;
    if (!token.empty()) headers["Authorization"] = "Bearer " + token;
    headers["X-Device-Id"] = "phone-1";
    auto response = client_.Request(method, target, body, headers);
    return Reply{response.status, json::parse(response.body, nullptr, false), response.body};
  }
  Reply Admin(const std::string& method, const std::string& target, const json& body = nullptr) {
    return Call(method, target, body, kAdminToken, "");
  }

  // Opens an account at an institution's books (the bank's side).
  json OpenBankAccount(const std::string& participant, const std::string& number, const std::string& mobile,
                       const std::string& name_en, int64_t balance, const std::string& card = {}) {
    json body = {{"participant", participant}, {"account_number", number}, {"name_ar", "عميل " + name_en},
                 {"name_en", name_en}, {"mobile", mobile}, {"opening_balance", balance}};
    if (!card.empty()) body["card_number"] = card;
    Reply reply = Admin("POST", "/api/v1/admin/institution-accounts", body);
    EXPECT_EQ(reply.status, 201) << reply.body.dump();
    return reply.body;
  }

  std::string LatestOtp(const std::string& mobile) {
    Reply reply = Admin("GET", "/api/v1/admin/outbox?mobile=" + mobile);
    EXPECT_EQ(reply.status, 200) << reply.body.dump();
    if (reply.body["messages"].empty()) return {};
    std::string text = reply.body["messages"][0]["body"];
    std::string otp = testing::OtpIn(text);
    if (otp.empty()) ADD_FAILURE() << "no OTP in " << text;
    return otp;
  }

  // Registers and activates a customer whose bank account (at `bank`) is
  // opened first; returns the session token.
  std::string Onboard(const std::string& mobile, const std::string& national_id, const std::string& bank,
                      const std::string& account_number, const std::string& name, int64_t balance = 1'000'000,
                      const std::string& pin = "246810", const std::string& device = "phone-1") {
    OpenBankAccount(bank, account_number, mobile, name, balance);
    Reply registered = Call("POST", "/api/v1/register",
                            {{"mobile", mobile}, {"national_id", national_id}, {"device_id", device},
                             {"account", {{"participant", bank}, {"account_number", account_number}}}},
                            "", "");
    EXPECT_EQ(registered.status, 201) << registered.body.dump();
    Reply confirmed = Call("POST", "/api/v1/register/confirm",
                           {{"mobile", mobile}, {"otp", LatestOtp(mobile)}, {"pin", pin}, {"device_id", device}}, "", "");
    EXPECT_EQ(confirmed.status, 201) << confirmed.body.dump();
    return confirmed.body.value("token", "");
  }

  HttpClient& client() { return client_; }

 private:
  HttpClient client_;
};

// Valid national IDs: born 1 Jan..28 Jan 1990 in Cairo (01), sequence by index.
inline std::string TestNationalId(int index) {
  std::string day = std::to_string(1 + index % 28);
  if (day.size() < 2) day = "0" + day;
  return "29001" + day + "01" + std::to_string(1000 + index % 9000) + "1";
}

}  // namespace lahza::testing
