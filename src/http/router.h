// The HTTP router: method + path patterns with :params, and the plain request
// and response values handlers see. No Boost.Beast here on purpose: modules
// (app, customer care) register routes by including only this header, and the
// Beast server (http/server.h) is an implementation detail.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/result.h"

namespace lahza::http {

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string path;    // decoded path without the query string
  std::string query;   // raw query string (after '?'), may be empty
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::map<std::string, std::string> params;   // from :name segments of the route
  std::string remote_ip;
  std::string request_id;

  // Header value by lower-case name, or empty.
  std::string Header(std::string_view name) const;
  // A query parameter (percent-decoded), or nullopt when absent.
  std::optional<std::string> Query(std::string_view name) const;
  // A route parameter (always present when the route declares it).
  const std::string& Param(const std::string& name) const;
};

struct Response;

// Hands a deferred response back to its connection (see Response::Later).
// Call it exactly once, from any thread; `make` then runs on the
// connection's own thread, and what it returns is sent (a Blocking one once
// its rest has run on the blocking pool).
using Reply = std::function<void(std::function<Response()> make)>;

struct Response {
  int status = 200;
  std::string content_type = "application/json; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // Set by Later: the handler's work answers after the handler returns.
  std::function<void(Reply)> later;
  // Set by Blocking: the rest of the handler, to run where it may block.
  std::function<Response()> blocking;
  // True when it says nothing but what is durable already (a payment's
  // answer made once its commit is): the server sends it without waiting
  // for ServerOptions::after_durable.
  bool durable = false;

  // For a handler whose answer waits on work that must not hold the
  // connection's thread (a payment waiting for the switch's group commit):
  // the server calls `start` right away with the connection's Reply, and
  // answers when the work calls it. Until then the connection reads nothing
  // more; a server stopping waits for it like for any busy connection.
  static Response Later(std::function<void(Reply)> start);
  // For a non-blocking route (Router::AddNonBlocking) that finds it must
  // block after all (a PIN not checked recently needs argon2id): the server
  // runs `rest` on its blocking pool and answers what it returns.
  static Response Blocking(std::function<Response()> rest);
};

using Handler = std::function<Response(Request&)>;

struct RouteInfo {
  std::string method;
  std::string pattern;  // "/api/v1/transactions/:ir"
};

class Router {
 private:
  struct Route;

 public:
  // Patterns are literal segments and ":name" segments; a final "*" segment
  // matches the rest of the path (used for static files). Adding the same
  // method+pattern twice is a programming error (asserted).
  // The handler may block its thread (a commit, slow hashing): the server
  // runs it on its pool of blocking threads.
  void Add(std::string method, std::string pattern, Handler handler);
  // The handler never waits: it may read, and whatever must wait (a commit)
  // it answers through Response::Later. The server runs it on the event
  // loop's own thread, without a hand-off to the blocking pool.
  void AddNonBlocking(std::string method, std::string pattern, Handler handler);
  // The route `request` goes to, looked up once: Match sets the request's
  // params, Run answers it. `may_block` is false when no route matches (the
  // 404 and 405 answers are immediate).
  struct Found {
    const Route* route = nullptr;
    bool path_known = false;  // no route, but another method would match
    bool may_block = false;
  };
  Found Match(Request& request) const;
  // 404 JSON error when no pattern matched the path, 405 when the path
  // matches under another method. Exceptions escaping a handler become a 500
  // "internal" JSON error (and are logged) so one bad handler never takes the
  // server down.
  Response Run(Request& request, const Found& found) const;
  // Match, then Run.
  Response Dispatch(Request& request) const { return Run(request, Match(request)); }

  std::vector<RouteInfo> Routes() const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    Handler handler;
    bool may_block = true;
  };
  // The route for `request` (its params in `params`), else null and
  // `path_known` says whether another method would have matched.
  const Route* Find(const Request& request, std::map<std::string, std::string>* params, bool* path_known) const;
  std::vector<Route> routes_;
};

// ---- JSON helpers --------------------------------------------------------

// 200 (or `status`) with a JSON body.
Response Json(const nlohmann::json& body, int status = 200);
// A body already written as JSON text (http/json_text.h's JsonTextWriter).
Response JsonTextResponse(std::string text, int status = 200);

// The uniform error body {"error":{"code","message_ar","message_en"}} with the
// words from the message catalogue. `detail` is never sent (it is for logs).
Response ErrorResponse(int status, const Error& error);
// Same, with the HTTP status chosen from the code (see StatusForCode).
Response ErrorResponse(const Error& error);

// The HTTP status a code maps to by convention: "*.not_found" 404,
// "*.unauthorized" 401, "*.forbidden" 403, "*.conflict"/"*.exists" 409,
// "*.rate_limited" 429, "*.locked" 423, "internal"/"store.*" 500, "*.unavailable"
// 503, everything else 400 (bad input).
int StatusForCode(std::string_view code);

// The body parsed as a JSON object. Errors: "http.body_not_json",
// "http.body_not_object".
Result<nlohmann::json> ParseJsonObject(const Request& request);

// Rejects fields not in `allowed` ("http.unknown_field", detail names it).
Status CheckFields(const nlohmann::json& object, std::initializer_list<std::string_view> allowed);

// Typed field readers: errors "http.missing_field" / "http.wrong_type" with the
// field name in the detail.
Result<std::string> StringField(const nlohmann::json& object, std::string_view name);
std::optional<std::string> OptionalStringField(const nlohmann::json& object, std::string_view name,
                                               Error* error);
Result<int64_t> IntField(const nlohmann::json& object, std::string_view name);

}  // namespace lahza::http
