#include "http/router.h"

#include <spdlog/spdlog.h>

#include <cassert>
#include <nlohmann/json.hpp>
#include <set>

#include "core/messages.h"
#include "http/json_text.h"

namespace lahza::http {

namespace {

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > start) parts.emplace_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string PercentDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%' && i + 2 < text.size()) {
      int hi = HexValue(text[i + 1]), lo = HexValue(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && c == '+' ? ' ' : c);
  }
  return out;
}

bool IsParam(const std::string& segment) { return !segment.empty() && segment[0] == ':'; }

// Whether `path` fits `pattern`, without filling anything in: a request is
// compared with every route, and most do not fit.
bool Fits(const std::vector<std::string>& pattern, const std::vector<std::string>& path) {
  for (size_t i = 0; i < pattern.size(); ++i) {
    const std::string& segment = pattern[i];
    if (segment == "*") return true;
    if (i >= path.size()) return false;
    if (!IsParam(segment) && segment != path[i]) return false;
  }
  return pattern.size() == path.size();
}

bool Matches(const std::vector<std::string>& pattern, const std::vector<std::string>& path,
             std::map<std::string, std::string>* params) {
  if (!Fits(pattern, path)) return false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const std::string& segment = pattern[i];
    if (segment == "*") {
      std::string rest;
      for (size_t j = i; j < path.size(); ++j) rest += (j > i ? "/" : "") + path[j];
      (*params)["*"] = rest;
      return true;
    }
    if (IsParam(segment)) (*params)[segment.substr(1)] = path[i];
  }
  return true;
}

}  // namespace

std::string Request::Header(std::string_view name) const {
  auto it = headers.find(std::string(name));
  return it == headers.end() ? std::string() : it->second;
}

std::optional<std::string> Request::Query(std::string_view name) const {
  std::string_view rest = query;
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    size_t eq = pair.find('=');
    std::string key = PercentDecode(pair.substr(0, eq), true);
    if (key == name) return eq == std::string_view::npos ? std::string() : PercentDecode(pair.substr(eq + 1), true);
  }
  return std::nullopt;
}

const std::string& Request::Param(const std::string& name) const {
  auto it = params.find(name);
  assert(it != params.end() && "route parameter not declared by the route");
  return it->second;
}

void Router::Add(std::string method, std::string pattern, Handler handler) {
  for ([[maybe_unused]] const Route& route : routes_) {
    assert(!(route.method == method && route.pattern == pattern) && "route added twice");
  }
  Route route{std::move(method), pattern, SplitPath(pattern), std::move(handler)};
  routes_.push_back(std::move(route));
}

void Router::AddNonBlocking(std::string method, std::string pattern, Handler handler) {
  Add(std::move(method), std::move(pattern), std::move(handler));
  routes_.back().may_block = false;
}

Response Response::Later(std::function<void(Reply)> start) {
  Response response;
  response.later = std::move(start);
  return response;
}

Response Response::Blocking(std::function<Response()> rest) {
  Response response;
  response.blocking = std::move(rest);
  return response;
}

const Router::Route* Router::Find(const Request& request, std::map<std::string, std::string>* params,
                                  bool* path_known) const {
  // Percent-decode each segment after splitting so an encoded '/' cannot
  // change which route matches.
  std::vector<std::string> path = SplitPath(request.path);
  for (std::string& segment : path) segment = PercentDecode(segment, false);
  *path_known = false;
  // Exact routes first, then catch-all ("*") routes as a fallback, whatever
  // the order they were added in; a catch-all never turns a 404 into a 405.
  for (int pass = 0; pass < 2; ++pass)
  for (const Route& route : routes_) {
    bool wildcard = !route.segments.empty() && route.segments.back() == "*";
    if (wildcard != (pass == 1)) continue;
    params->clear();
    if (!Matches(route.segments, path, params)) continue;
    bool head_as_get = request.method == "HEAD" && route.method == "GET";
    if (route.method != request.method && !head_as_get) {
      *path_known = *path_known || !wildcard;
      continue;
    }
    return &route;
  }
  return nullptr;
}

Router::Found Router::Match(Request& request) const {
  std::map<std::string, std::string> params;
  Found found;
  found.route = Find(request, &params, &found.path_known);
  if (found.route == nullptr) return found;
  found.may_block = found.route->may_block;
  request.params = std::move(params);
  return found;
}

Response Router::Run(Request& request, const Found& found) const {
  if (found.route == nullptr) {
    if (found.path_known) return ErrorResponse(405, Error("http.method_not_allowed"));
    return ErrorResponse(404, Error("http.not_found"));
  }
  try {
    return found.route->handler(request);
  } catch (const std::exception& e) {
    spdlog::error("request {} {} {}: handler threw: {}", request.request_id, request.method, request.path,
                  e.what());
    return ErrorResponse(500, Error("internal", e.what()));
  }
}

std::vector<RouteInfo> Router::Routes() const {
  std::vector<RouteInfo> out;
  for (const Route& route : routes_) out.push_back({route.method, route.pattern});
  return out;
}

Response Json(const nlohmann::json& body, int status) {
  // Invalid UTF-8 from a store must not throw mid-response: replaced.
  return JsonTextResponse(JsonText(body), status);
}

Response JsonTextResponse(std::string text, int status) {
  Response response;
  response.status = status;
  response.body = std::move(text);
  return response;
}

int StatusForCode(std::string_view code) {
  auto ends = [&](std::string_view suffix) {
    return code.size() >= suffix.size() && code.substr(code.size() - suffix.size()) == suffix;
  };
  if (code == "internal" || code.starts_with("store.")) return 500;
  if (ends(".not_found")) return 404;
  if (ends(".unauthorized")) return 401;
  if (ends(".forbidden")) return 403;
  if (ends(".conflict") || ends(".exists") || ends(".taken")) return 409;
  if (ends(".rate_limited")) return 429;
  if (ends(".locked")) return 423;
  if (ends(".unavailable")) return 503;
  if (ends(".too_large")) return 413;
  return 400;
}

Response ErrorResponse(int status, const Error& error) {
  Message message = Format(MessageFor(error.code), {{"detail", error.detail}});
  nlohmann::json body = {{"error", {{"code", error.code}, {"message_ar", message.ar}, {"message_en", message.en}}}};
  return Json(body, status);
}

Response ErrorResponse(const Error& error) { return ErrorResponse(StatusForCode(error.code), error); }

Result<nlohmann::json> ParseJsonObject(const Request& request) {
  nlohmann::json parsed = nlohmann::json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return Error("http.body_not_json");
  if (!parsed.is_object()) return Error("http.body_not_object");
  return parsed;
}

Status CheckFields(const nlohmann::json& object, std::initializer_list<std::string_view> allowed) {
  for (auto it = object.begin(); it != object.end(); ++it) {
    bool known = false;
    for (std::string_view name : allowed) known = known || it.key() == name;
    if (!known) return Error("http.unknown_field", it.key());
  }
  return {};
}

Result<std::string> StringField(const nlohmann::json& object, std::string_view name) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return Error("http.missing_field", std::string(name));
  if (!it->is_string()) return Error("http.wrong_type", std::string(name));
  return it->get<std::string>();
}

std::optional<std::string> OptionalStringField(const nlohmann::json& object, std::string_view name,
                                               Error* error) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) {
    *error = Error("http.wrong_type", std::string(name));
    return std::nullopt;
  }
  return it->get<std::string>();
}

Result<int64_t> IntField(const nlohmann::json& object, std::string_view name) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return Error("http.missing_field", std::string(name));
  // Only exact integers: 1.5, 1e3 and numbers beyond int64 are rejected, never rounded.
  if (it->is_number_unsigned()) {
    uint64_t value = it->get<uint64_t>();
    if (value > static_cast<uint64_t>(INT64_MAX)) return Error("http.number_out_of_range", std::string(name));
    return static_cast<int64_t>(value);
  }
  if (it->is_number_integer()) return it->get<int64_t>();
  if (it->is_number_float()) return Error("http.number_out_of_range", std::string(name));
  return Error("http.wrong_type", std::string(name));
}

}  // namespace lahza::http
