// docs/openapi.json must describe exactly the routes the server really has.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "app/app_server.h"
#include "care/care_routes.h"

namespace lahza::testing {
namespace {

// "/api/v1/transactions/:ir" -> "/api/v1/transactions/{ir}"
std::string ToOpenApiPath(const std::string& pattern) {
  std::string out;
  size_t i = 0;
  while (i < pattern.size()) {
    if (pattern[i] == ':') {
      size_t end = pattern.find('/', i);
      if (end == std::string::npos) end = pattern.size();
      out += "{" + pattern.substr(i + 1, end - i - 1) + "}";
      i = end;
    } else {
      out += pattern[i++];
    }
  }
  return out;
}

TEST(OpenApiTest, DocumentMatchesTheRouteTable) {
  AppServer server("sqlite");
  ASSERT_TRUE(server.ready());
  std::set<std::string> routes;
  for (const http::RouteInfo& route : server.router().Routes()) {
    std::string method = route.method;
    for (char& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    routes.insert(method + " " + ToOpenApiPath(route.pattern));
  }
  // lahza serve also registers care's admin routes on the app's admin API
  // (docs/openapi.json covers /api/v1/admin/*; care's own routes are in
  // docs/care.md). Listing them needs no live services.
  http::Router care_admin;
  care::AddCareAdminRoutes(care_admin, care::CareAdminServices{});
  for (const http::RouteInfo& route : care_admin.Routes()) {
    std::string method = route.method;
    for (char& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    routes.insert(method + " " + ToOpenApiPath(route.pattern));
  }
  std::ifstream in(std::string(LAHZA_SOURCE_DIR) + "/docs/openapi.json");
  ASSERT_TRUE(in.good()) << "docs/openapi.json is missing";
  nlohmann::json doc = nlohmann::json::parse(in);
  EXPECT_EQ(doc["openapi"].get<std::string>().substr(0, 2), "3.");
  std::set<std::string> documented;
  for (auto& [path, item] : doc["paths"].items()) {
    for (auto& [method, operation] : item.items()) {
      if (method == "parameters") continue;
      documented.insert(method + " " + path);
      EXPECT_TRUE(operation.contains("responses")) << method << " " << path;
    }
  }
  for (const std::string& route : routes) EXPECT_TRUE(documented.count(route)) << "undocumented route: " << route;
  for (const std::string& route : documented) EXPECT_TRUE(routes.count(route)) << "documented but not served: " << route;
}

}  // namespace
}  // namespace lahza::testing
