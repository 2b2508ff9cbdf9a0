// Every JSON route of the app API, driven in-process through the real
// router, app, switch, ledger and a SQLite store (no HTTP socket, so a run
// does tens of thousands of requests a minute). The first input byte picks
// the route, the second who calls it (nobody, a signed-in customer, the
// admin), the rest is the request body. Properties: no crash, never a 500 (internal error)
// (bad input is the caller's fault, never the server's), every answer is
// JSON, and every error carries a catalogued code.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "app/app.h"
#include "fuzz_check.h"
#include "http/router.h"
#include "http/server.h"
#include "ipn/switch.h"
#include "ledger/ledger.h"
#include "store/store.h"

namespace {

using nlohmann::json;
constexpr const char* kAdminToken = "fuzz-admin-token-0123456789";

struct World {
  std::filesystem::path dir;
  std::unique_ptr<lahza::store::Store> store;
  std::unique_ptr<lahza::ledger::Ledger> ledger;
  std::unique_ptr<lahza::ipn::Switch> network;
  std::unique_ptr<lahza::app::App> app;
  lahza::http::Router router;
  std::vector<lahza::http::RouteInfo> routes;  // the ones that take a body
  std::string customer_token;
};

lahza::http::Response Call(World& world, const std::string& method, const std::string& path, const std::string& body,
                           const std::string& token) {
  lahza::http::Request request;
  request.method = method;
  auto q = path.find('?');
  request.path = path.substr(0, q);
  if (q != std::string::npos) request.query = path.substr(q + 1);
  request.body = body;
  request.remote_ip = "127.0.0.1";
  request.request_id = "fuzz";
  request.headers["content-type"] = "application/json";
  request.headers["x-device-id"] = "phone-1";
  if (!token.empty()) request.headers["authorization"] = "Bearer " + token;
  return world.router.Dispatch(request);
}

void Die(const char* what) {
  std::fprintf(stderr, "api_json_fuzz setup: %s\n", what);
  std::abort();
}

// One world per process: a customer with a funded account at NBE, signed in.
World& TheWorld() {
  static World* world = [] {
    auto* w = new World;
    char pattern[] = "/tmp/lahza-api-fuzz-XXXXXX";
    if (mkdtemp(pattern) == nullptr) Die("mkdtemp");
    w->dir = pattern;
    // The database is scratch: removed at exit (the World itself is never
    // destroyed, so the switch's threads never race a teardown).
    static std::string scratch = pattern;
    std::atexit([] { std::filesystem::remove_all(scratch); });
    auto store = lahza::store::Open("sqlite:" + (w->dir / "fuzz.db").string());
    if (!store) Die("store");
    w->store = std::move(*store);
    auto ledger = lahza::ledger::Ledger::Open(*w->store);
    if (!ledger) Die("ledger");
    w->ledger = std::move(*ledger);
    auto network = lahza::ipn::Switch::Open(*w->store, *w->ledger);
    if (!network) Die("switch");
    w->network = std::move(*network);
    lahza::app::AppOptions options;
    options.admin_token = kAdminToken;
    options.pin_hashing = lahza::app::PinHashing::kMinimum;
    // Rate limits would only hide the handlers behind 429s.
    options.otp_per_minute = options.login_per_minute = options.pin_per_minute = 1 << 30;
    auto app = lahza::app::App::Open(*w->store, *w->network, options);
    if (!app) Die("app");
    w->app = std::move(*app);
    lahza::http::AddHealthRoute(w->router);
    w->app->AddRoutes(w->router);
    for (const auto& route : w->router.Routes()) {
      if (route.method != "GET") w->routes.push_back(route);
    }
    if (w->routes.empty()) Die("no routes");

    const std::string mobile = "+201012345678";
    auto opened = Call(*w, "POST", "/api/v1/admin/institution-accounts",
                       json{{"participant", "NBE"}, {"account_number", "1000000001"}, {"name_ar", "منى علي"},
                            {"name_en", "Mona Ali"}, {"mobile", mobile}, {"opening_balance", 100'000'000}}
                           .dump(),
                       kAdminToken);
    if (opened.status != 201) Die(("open account: " + opened.body).c_str());
    auto registered = Call(*w, "POST", "/api/v1/register",
                           json{{"mobile", mobile}, {"national_id", "29001010112355"}, {"device_id", "phone-1"},
                                {"account", {{"participant", "NBE"}, {"account_number", "1000000001"}}}}
                               .dump(),
                           "");
    if (registered.status != 201) Die(("register: " + registered.body).c_str());
    auto outbox = Call(*w, "GET", "/api/v1/admin/outbox?mobile=" + mobile, "", kAdminToken);
    std::smatch match;
    std::string text = outbox.body;
    if (!std::regex_search(text, match, std::regex("[0-9]{6}"))) Die("no OTP");
    auto confirmed = Call(*w, "POST", "/api/v1/register/confirm",
                          json{{"mobile", mobile}, {"otp", match.str()}, {"pin", "246810"}, {"device_id", "phone-1"}}
                              .dump(),
                          "");
    if (confirmed.status != 201) Die(("confirm: " + confirmed.body).c_str());
    w->customer_token = json::parse(confirmed.body).value("token", "");
    if (w->customer_token.empty()) Die("no token");
    return w;
  }();
  return *world;
}

// "/api/v1/accounts/:id/default" -> "/api/v1/accounts/1/default".
std::string ConcretePath(const std::string& pattern, unsigned char pick) {
  static const char* kValues[] = {"1", "NBE", "IR00712345678901234567", "x", "0", "-1"};
  std::string out;
  size_t i = 0;
  while (i < pattern.size()) {
    if (pattern[i] == ':' && (i == 0 || pattern[i - 1] == '/')) {
      size_t end = pattern.find('/', i);
      if (end == std::string::npos) end = pattern.size();
      out += kValues[pick % (sizeof kValues / sizeof *kValues)];
      i = end;
    } else {
      out += pattern[i++];
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  World& world = TheWorld();
  if (size < 2) return 0;
  const auto& route = world.routes[data[0] % world.routes.size()];
  const int who = data[1] % 3;
  const std::string token = who == 1 ? world.customer_token : who == 2 ? std::string(kAdminToken) : std::string();
  const std::string body(reinterpret_cast<const char*>(data + 2), size - 2);
  auto response = Call(world, route.method, ConcretePath(route.pattern, data[1] / 3), body, token);
  if (response.status == 500) {
    std::fprintf(stderr, "%s %s -> %d %s\n", route.method.c_str(), route.pattern.c_str(), response.status,
                 response.body.c_str());
  }
  FUZZ_CHECK(response.status != 500);
  auto parsed = json::parse(response.body, nullptr, false);
  FUZZ_CHECK(!parsed.is_discarded());
  if (response.status >= 400) {
    FUZZ_CHECK(parsed.contains("error") && parsed["error"].contains("code"));
    lahza::fuzz::CheckCatalogued(parsed["error"]["code"].get<std::string>());
  }
  return 0;
}
