// The admin role: participants and fault injection, institution accounts
// (demo and tests), billers, bills, charities, limits, customers' states,
// the SMS outbox, transactions and reconciliation. A separate bearer token
// (lahza serve --admin-token, or app_admin_tokens created by seed-demo);
// customer tokens never work here.
#include <cassert>
#include <sodium.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <map>

#include "app/internal.h"
#include "core/ir_reference.h"
#include "core/mobile.h"
#include "ipn/switch.h"

namespace lahza::app {

namespace {

json LimitsJson(const ipn::Limits& limits) {
  return {{"per_transaction", limits.per_transaction}, {"daily", limits.daily}, {"monthly", limits.monthly}};
}

json FeeJson(const ipn::FeeRule& fee) {
  return {{"basis_points", fee.basis_points}, {"min", fee.min}, {"max", fee.max}};
}

// A settlement window's report as the admin routes answer it (piastres).
json SettlementJson(const ipn::SettlementReport& report) {
  json positions = json::array();
  for (const ipn::SettlementPosition& p : report.positions) {
    positions.push_back({{"participant", p.participant}, {"sent_count", p.sent_count}, {"sent_amount", p.sent_amount},
                         {"received_count", p.received_count}, {"received_amount", p.received_amount}, {"net", p.net}});
  }
  json bilateral = json::array();
  for (const ipn::BilateralObligation& b : report.bilateral) {
    bilateral.push_back({{"from", b.from}, {"to", b.to}, {"count", b.count}, {"amount", b.amount}});
  }
  return {{"window_id", report.window_id}, {"opened_ms", report.opened_ms}, {"closed_ms", report.closed_ms},
          {"status", report.status}, {"positions", positions}, {"bilateral", bilateral}, {"net_sum", report.net_sum}};
}

// The shape of GET and PUT /api/v1/admin/limits; amounts in piastres.
json PolicyJson(const ipn::Policy& policy) {
  json channels = json::object(), fees = json::object();
  for (const auto& [channel, limits] : policy.channel_limits) channels[channel] = LimitsJson(limits);
  for (const auto& [channel, rule] : policy.channel_fees) fees[channel] = FeeJson(rule);
  return {{"user_limits", LimitsJson(policy.user_limits)},
          {"channel_limits", channels},
          {"fee", FeeJson(policy.fee)},
          {"channel_fees", fees}};
}

Result<json> ObjectField(const json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return Error("http.missing_field", name);
  if (!it->is_object()) return Error("http.wrong_type", name);
  return *it;
}

// Every field an exact integer; the ranges and their order are the switch's
// rules (Policy::Validate), checked once the whole policy is read.
Status ReadIntFields(const json& object, std::initializer_list<std::string_view> names,
                     std::initializer_list<int64_t*> targets) {
  assert(names.size() == targets.size());
  LAHZA_TRY(http::CheckFields(object, names));
  auto target = targets.begin();
  for (std::string_view name : names) {
    auto value = http::IntField(object, name);
    if (!value) return value.error();
    **target++ = *value;
  }
  return {};
}

Result<ipn::Limits> ParseLimits(const json& object) {
  ipn::Limits limits;
  LAHZA_TRY(ReadIntFields(object, {"per_transaction", "daily", "monthly"},
                          {&limits.per_transaction, &limits.daily, &limits.monthly}));
  return limits;
}

Result<ipn::FeeRule> ParseFee(const json& object) {
  ipn::FeeRule fee;
  LAHZA_TRY(ReadIntFields(object, {"basis_points", "min", "max"}, {&fee.basis_points, &fee.min, &fee.max}));
  return fee;
}

// Channels name usage counters in the switch, so they stay short and plain.
bool ValidChannel(const std::string& channel) {
  if (channel.empty() || channel.size() > 32 || channel[0] < 'a' || channel[0] > 'z') return false;
  return std::all_of(channel.begin(), channel.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
}

// {channel: T} with each value read by `parse`.
template <class T, class Parse>
Result<std::map<std::string, T>> ParseChannels(const json& body, const char* name, Parse parse) {
  auto object = ObjectField(body, name);
  if (!object) return object.error();
  std::map<std::string, T> out;
  for (const auto& [channel, value] : object->items()) {
    if (!ValidChannel(channel)) return Error("app.channel_invalid", channel);
    if (!value.is_object()) return Error("http.wrong_type", std::string(name) + "." + channel);
    auto parsed = parse(value);
    if (!parsed) return parsed.error();
    out[channel] = *parsed;
  }
  return out;
}

// PUT /api/v1/admin/limits: user_limits is required and replaces the user's
// limits; channel_limits, fee and channel_fees replace theirs when present
// (an empty object clears the channel entries) and are kept when absent, so
// changing limits never resets fees by accident.
Result<ipn::Policy> ParsePolicy(const json& body, ipn::Policy policy) {
  LAHZA_TRY(http::CheckFields(body, {"user_limits", "channel_limits", "fee", "channel_fees"}));
  auto user = ObjectField(body, "user_limits");
  if (!user) return user.error();
  auto user_limits = ParseLimits(*user);
  if (!user_limits) return user_limits.error();
  policy.user_limits = *user_limits;
  if (body.contains("channel_limits")) {
    auto channels = ParseChannels<ipn::Limits>(body, "channel_limits", ParseLimits);
    if (!channels) return channels.error();
    policy.channel_limits = std::move(*channels);
  }
  if (body.contains("fee")) {
    auto object = ObjectField(body, "fee");
    if (!object) return object.error();
    auto fee = ParseFee(*object);
    if (!fee) return fee.error();
    policy.fee = *fee;
  }
  if (body.contains("channel_fees")) {
    auto fees = ParseChannels<ipn::FeeRule>(body, "channel_fees", ParseFee);
    if (!fees) return fees.error();
    policy.channel_fees = std::move(*fees);
  }
  if (auto valid = policy.Validate(); !valid) return Error("app.limits_invalid", valid.error().detail);
  return policy;
}

Result<ipn::Fault> ParseFault(const json& body) {
  LAHZA_TRY(http::CheckFields(body, {"kind", "slow_ms", "credit_lands", "reject_code"}));
  auto kind = http::StringField(body, "kind");
  if (!kind) return kind.error();
  ipn::Fault fault;
  if (*kind == "none") fault.kind = ipn::Fault::Kind::kNone;
  else if (*kind == "down") fault.kind = ipn::Fault::Kind::kDown;
  else if (*kind == "slow") fault.kind = ipn::Fault::Kind::kSlow;
  else if (*kind == "timeout_after_debit") fault.kind = ipn::Fault::Kind::kTimeoutAfterDebit;
  else if (*kind == "reject") fault.kind = ipn::Fault::Kind::kReject;
  else return Error("app.fault_kind_invalid", *kind);
  if (body.contains("slow_ms")) {
    auto slow = http::IntField(body, "slow_ms");
    if (!slow) return slow.error();
    if (*slow < 0 || *slow > 60'000) return Error("http.number_out_of_range", "slow_ms");
    fault.slow_ms = *slow;
  }
  if (body.contains("credit_lands")) {
    if (!body["credit_lands"].is_boolean()) return Error("http.wrong_type", "credit_lands");
    fault.credit_lands = body["credit_lands"].get<bool>();
  }
  Error error;
  if (auto code = http::OptionalStringField(body, "reject_code", &error)) fault.reject_code = *code;
  if (!error.code.empty()) return error;
  return fault;
}

}  // namespace

bool AppImpl::IsAdmin(const http::Request& request) {
  std::string header = request.Header("authorization");
  if (header.rfind("Bearer ", 0) != 0) return false;
  std::string token = header.substr(7);
  if (token.empty() || token.size() > 128) return false;
  const std::string& configured = options_.admin_token;
  if (!configured.empty() && configured.size() == token.size() &&
      sodium_memcmp(configured.data(), token.data(), token.size()) == 0) {
    return true;
  }
  auto rows = store_.Execute("SELECT 1 FROM app_admin_tokens WHERE token_hash = $1", Params({HashSecret(token)}),
                             store::Mode::kRead);
  return rows && !rows->rows.empty();
}

Status AppImpl::AuthorizeAdmin(const http::Request& request) {
  if (IsAdmin(request)) return {};
  (void)RateLimit(request, "admin_fail", 1'000'000);
  return Error("app.admin_unauthorized");
}

void AppImpl::AddAdminRoutes(http::Router& router) {
  // Every admin route checks the admin token first; a rate limit per IP
  // keeps token guessing slow.
  auto admin = [this, &router](const char* method, const char* pattern, std::function<http::Response(http::Request&)> handler) {
    router.Add(method, pattern, [this, handler](http::Request& request) -> http::Response {
      if (auto allowed = AuthorizeAdmin(request); !allowed) return http::ErrorResponse(401, allowed.error());
      return handler(request);
    });
  };

  admin("GET", "/api/v1/admin/participants", [this](http::Request&) {
    json items = json::array();
    for (const ipn::Participant& p : network_.directory().participants()) {
      ipn::Fault fault = network_.GetFault(p.code);
      items.push_back({{"code", p.code},
                       {"kind", ipn::KindName(p.kind)},
                       {"name_ar", p.name_ar},
                       {"name_en", p.name_en},
                       {"hotline", p.hotline},
                       {"hours", p.hours_spec},
                       {"fault", {{"kind", ipn::FaultName(fault.kind)}, {"slow_ms", fault.slow_ms},
                                  {"credit_lands", fault.credit_lands}, {"reject_code", fault.reject_code}}}});
    }
    return http::Json({{"participants", items}});
  });

  admin("PUT", "/api/v1/admin/participants/:code/fault", [this](http::Request& request) -> http::Response {
    APP_TRY_RESPONSE(body, http::ParseJsonObject(request));
    APP_TRY_RESPONSE(fault, ParseFault(*body));
    if (network_.directory().Find(request.Param("code")) == nullptr) {
      return http::ErrorResponse(404, Error("app.participant_unknown"));
    }
    if (auto set = network_.SetFault(request.Param("code"), *fault); !set) return http::ErrorResponse(set.error());
    return http::Json({{"participant", request.Param("code")}, {"fault", ipn::FaultName(fault->kind)}});
  });

  admin("POST", "/api/v1/admin/institution-accounts", [this](http::Request& request) -> http::Response {
    APP_TRY_RESPONSE(body, http::ParseJsonObject(request));
    if (auto fields = http::CheckFields(*body, {"participant", "account_number", "card_number", "name_ar", "name_en",
                                                "mobile", "opening_balance"});
        !fields) {
      return http::ErrorResponse(fields.error());
    }
    APP_TRY_RESPONSE(participant, http::StringField(*body, "participant"));
    ipn::LocalInstitution* institution = network_.institution(*participant);
    if (institution == nullptr) return http::ErrorResponse(404, Error("app.participant_unknown"));
    ipn::NewAccount account;
    APP_TRY_RESPONSE(number, http::StringField(*body, "account_number"));
    APP_TRY_RESPONSE(name_ar, http::StringField(*body, "name_ar"));
    APP_TRY_RESPONSE(name_en, http::StringField(*body, "name_en"));
    APP_TRY_RESPONSE(mobile, http::StringField(*body, "mobile"));
    Error error;
    account.card_number = http::OptionalStringField(*body, "card_number", &error).value_or("");
    if (!error.code.empty()) return http::ErrorResponse(error);
    if (body->contains("opening_balance")) {
      APP_TRY_RESPONSE(balance, http::IntField(*body, "opening_balance"));
      if (*balance < 0) return http::ErrorResponse(Error("app.amount_invalid", "opening_balance"));
      account.opening_balance = *balance;
    }
    account.account_number = *number;
    account.name_ar = *name_ar;
    account.name_en = *name_en;
    account.mobile = *mobile;
    auto opened = institution->OpenAccount(account);
    if (!opened) return http::ErrorResponse(opened.error());
    return http::Json({{"participant", opened->participant},
                       {"account_number", opened->account_number},
                       {"iban", opened->iban},
                       {"card_number", opened->card_number}},
                      201);
  });

  admin("GET", "/api/v1/admin/outbox", [this](http::Request& request) -> http::Response {
    auto mobile_text = request.Query("mobile");
    if (!mobile_text) return http::ErrorResponse(Error("http.bad_query", "mobile"));
    auto mobile = MobileNumber::Parse(*mobile_text);
    if (!mobile) return http::ErrorResponse(mobile.error());
    auto rows = store_.Execute("SELECT id, body, created_at FROM app_outbox WHERE mobile = $1 ORDER BY created_at DESC, id DESC LIMIT 20",
                               Params({mobile->e164()}), store::Mode::kRead);
    if (!rows) return http::ErrorResponse(rows.error());
    json items = json::array();
    for (const store::Row& row : rows->rows) {
      items.push_back({{"id", store::AsText(row[0])}, {"body", store::AsText(row[1])}, {"created_at", store::AsInt(row[2])}});
    }
    return http::Json({{"messages", items}});
  });

  admin("GET", "/api/v1/admin/customers/:id", [this](http::Request& request) -> http::Response {
    auto tx = store_.Begin(store::Mode::kRead);
    if (!tx) return http::ErrorResponse(tx.error());
    auto customer = LoadCustomer(**tx, request.Param("id"), false);
    if (!customer) return http::ErrorResponse(404, customer.error());
    json out = CustomerJson(*customer);
    out["national_id"] = customer->national_id;
    out["pin_failures"] = customer->pin_failures;
    return http::Json(out);
  });

  auto set_state = [this](http::Request& request, const std::string& state) -> http::Response {
    auto updated = store_.Execute(
        state == "suspended"
            ? "UPDATE app_customers SET state = 'suspended' WHERE id = $1 AND state <> 'pending_otp'"
            : "UPDATE app_customers SET state = 'active', pin_failures = 0, pin_locked_until = 0 WHERE id = $1 AND state <> 'pending_otp'",
        Params({request.Param("id")}));
    if (!updated) return http::ErrorResponse(updated.error());
    if (updated->affected == 0) return http::ErrorResponse(404, Error("app.customer_not_found"));
    if (state == "suspended") {
      // Sessions end now, in every process (revoked in the database).
      auto revoked = store_.Execute("UPDATE app_sessions SET revoked_at = $1 WHERE customer_id = $2 AND revoked_at = 0",
                                    Params({Now(), request.Param("id")}));
      if (!revoked) return http::ErrorResponse(revoked.error());
      std::lock_guard lock(sessions_mutex_);
      ++forget_epoch_;
      std::erase_if(sessions_, [&](const auto& entry) { return entry.second.caller.customer_id == request.Param("id"); });
    }
    return http::Json({{"customer_id", request.Param("id")}, {"state", state}});
  };
  admin("POST", "/api/v1/admin/customers/:id/suspend", [set_state](http::Request& r) { return set_state(r, "suspended"); });
  admin("POST", "/api/v1/admin/customers/:id/reactivate", [set_state](http::Request& r) { return set_state(r, "active"); });

  admin("GET", "/api/v1/admin/billers", [this](http::Request& request) { return ListBillersAll(request); });
  admin("POST", "/api/v1/admin/billers", [this](http::Request& request) -> http::Response {
    APP_TRY_RESPONSE(body, http::ParseJsonObject(request));
    if (auto fields = http::CheckFields(*body, {"code", "category", "name_ar", "name_en", "participant", "account_number", "active"});
        !fields) {
      return http::ErrorResponse(fields.error());
    }
    APP_TRY_RESPONSE(code, http::StringField(*body, "code"));
    APP_TRY_RESPONSE(category, http::StringField(*body, "category"));
    APP_TRY_RESPONSE(name_ar, http::StringField(*body, "name_ar"));
    APP_TRY_RESPONSE(name_en, http::StringField(*body, "name_en"));
    APP_TRY_RESPONSE(participant, http::StringField(*body, "participant"));
    APP_TRY_RESPONSE(number, http::StringField(*body, "account_number"));
    if (*category != "electricity" && *category != "water" && *category != "telecom" && *category != "internet" &&
        *category != "gas") {
      return http::ErrorResponse(Error("app.biller_category_invalid"));
    }
    if (network_.directory().Find(*participant) == nullptr) return http::ErrorResponse(Error("app.participant_unknown"));
    bool active = !body->contains("active") || ((*body)["active"].is_boolean() && (*body)["active"].get<bool>());
    auto upserted = store_.Execute(
        "INSERT INTO app_billers (code, category, name_ar, name_en, participant, account_number, active) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (code) DO UPDATE SET category = excluded.category, "
        "name_ar = excluded.name_ar, name_en = excluded.name_en, participant = excluded.participant, "
        "account_number = excluded.account_number, active = excluded.active",
        Params({*code, *category, *name_ar, *name_en, *participant, *number, int64_t{active ? 1 : 0}}));
    if (!upserted) return http::ErrorResponse(upserted.error());
    return http::Json({{"code", *code}, {"active", active}}, 201);
  });

  admin("POST", "/api/v1/admin/bills", [this](http::Request& request) -> http::Response {
    APP_TRY_RESPONSE(body, http::ParseJsonObject(request));
    if (auto fields = http::CheckFields(*body, {"biller", "subscriber", "amount", "period", "due_at"}); !fields) {
      return http::ErrorResponse(fields.error());
    }
    APP_TRY_RESPONSE(biller, http::StringField(*body, "biller"));
    APP_TRY_RESPONSE(subscriber, http::StringField(*body, "subscriber"));
    APP_TRY_RESPONSE(amount, ParseAmount(*body));
    APP_TRY_RESPONSE(period, http::StringField(*body, "period"));
    APP_TRY_RESPONSE(due_at, http::IntField(*body, "due_at"));
    // A new bill for a subscriber replaces the previous (paid or not) one.
    auto upserted = store_.Execute(
        "INSERT INTO app_bills (biller, subscriber, amount, period, due_at, paid_ir) VALUES ($1, $2, $3, $4, $5, '') "
        "ON CONFLICT (biller, subscriber) DO UPDATE SET amount = excluded.amount, period = excluded.period, "
        "due_at = excluded.due_at, paid_ir = ''",
        Params({*biller, *subscriber, *amount, *period, *due_at}));
    if (!upserted) return http::ErrorResponse(upserted.error());
    return http::Json({{"biller", *biller}, {"subscriber", *subscriber}}, 201);
  });

  admin("GET", "/api/v1/admin/charities", [this](http::Request&) -> http::Response {
    auto rows = store_.Execute("SELECT code, name_ar, name_en, participant, account_number, active FROM app_charities ORDER BY code",
                               {}, store::Mode::kRead);
    if (!rows) return http::ErrorResponse(rows.error());
    json items = json::array();
    for (const store::Row& row : rows->rows) {
      items.push_back({{"code", store::AsText(row[0])}, {"name_ar", store::AsText(row[1])}, {"name_en", store::AsText(row[2])},
                       {"participant", store::AsText(row[3])}, {"account_number", store::AsText(row[4])},
                       {"active", store::AsInt(row[5]) != 0}});
    }
    return http::Json({{"charities", items}});
  });
  admin("POST", "/api/v1/admin/charities", [this](http::Request& request) -> http::Response {
    APP_TRY_RESPONSE(body, http::ParseJsonObject(request));
    if (auto fields = http::CheckFields(*body, {"code", "name_ar", "name_en", "participant", "account_number", "active"});
        !fields) {
      return http::ErrorResponse(fields.error());
    }
    APP_TRY_RESPONSE(code, http::StringField(*body, "code"));
    APP_TRY_RESPONSE(name_ar, http::StringField(*body, "name_ar"));
    APP_TRY_RESPONSE(name_en, http::StringField(*body, "name_en"));
    APP_TRY_RESPONSE(participant, http::StringField(*body, "participant"));
    APP_TRY_RESPONSE(number, http::StringField(*body, "account_number"));
    if (network_.directory().Find(*participant) == nullptr) return http::ErrorResponse(Error("app.participant_unknown"));
    bool active = !body->contains("active") || ((*body)["active"].is_boolean() && (*body)["active"].get<bool>());
    auto upserted = store_.Execute(
        "INSERT INTO app_charities (code, name_ar, name_en, participant, account_number, active) VALUES ($1, $2, $3, $4, $5, $6) "
        "ON CONFLICT (code) DO UPDATE SET name_ar = excluded.name_ar, name_en = excluded.name_en, "
        "participant = excluded.participant, account_number = excluded.account_number, active = excluded.active",
        Params({*code, *name_ar, *name_en, *participant, *number, int64_t{active ? 1 : 0}}));
    if (!upserted) return http::ErrorResponse(upserted.error());
    return http::Json({{"code", *code}, {"active", active}}, 201);
  });

  admin("GET", "/api/v1/admin/limits", [this](http::Request&) { return http::Json(PolicyJson(*network_.policy())); });

  // Takes effect for the next transfer in this process and is stored, so a
  // restart keeps it (see Switch::SetPolicy).
  admin("PUT", "/api/v1/admin/limits", [this](http::Request& request) -> http::Response {
    APP_TRY_RESPONSE(body, http::ParseJsonObject(request));
    APP_TRY_RESPONSE(policy, ParsePolicy(*body, *network_.policy()));
    if (auto set = network_.SetPolicy(*policy); !set) return http::ErrorResponse(set.error());
    return http::Json(PolicyJson(*policy));
  });

  admin("GET", "/api/v1/admin/transactions/:ir", [this](http::Request& request) -> http::Response {
    auto view = network_.GetTransaction(request.Param("ir"));
    if (!view) return http::ErrorResponse(view.error());
    return http::JsonTextResponse(TransactionText(network_, *view, "out",
                                                  {{"payee_account", view->payee_account},
                                                   {"payer_account", view->payer_account},
                                                   {"user_id", view->user_id}}));
  });

  admin("POST", "/api/v1/admin/transactions/:ir/reverse", [this](http::Request& request) -> http::Response {
    APP_TRY_RESPONSE(body, http::ParseJsonObject(request));
    if (auto fields = http::CheckFields(*body, {"operator", "reason"}); !fields) return http::ErrorResponse(fields.error());
    APP_TRY_RESPONSE(operator_name, http::StringField(*body, "operator"));
    APP_TRY_RESPONSE(reason, http::StringField(*body, "reason"));
    auto view = network_.Reverse(request.Param("ir"), *operator_name, *reason);
    if (!view) return http::ErrorResponse(view.error());
    return http::JsonTextResponse(TransactionText(network_, *view, "out"));
  });

  admin("POST", "/api/v1/admin/reconcile", [this](http::Request&) -> http::Response {
    auto report = network_.Reconcile();
    if (!report) return http::ErrorResponse(report.error());
    return http::Json({{"examined", report->examined}, {"completed", report->completed}, {"reversed", report->reversed},
                       {"failed", report->failed}, {"unresolved", report->unresolved},
                       {"holds_expired", report->holds_expired}});
  });

  // The operations page: transfers by state (it samples these every 2 s and
  // draws the rate from the differences), per receiving participant how many
  // completed and how many failed, and the last minute's rate computed here
  // so one sample is already meaningful. From the switch's maintained counts
  // (Switch::Traffic): a few rows read, however old the network.
  admin("GET", "/api/v1/admin/stats", [this](http::Request&) -> http::Response {
    const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch()).count();
    auto traffic = network_.Traffic(now_ms);
    if (!traffic) return http::ErrorResponse(traffic.error());
    json counts = json::object();
    for (const auto& [state, n] : traffic->by_state) counts[std::string(ipn::StateName(state))] = n;
    json participants = json::array();
    for (const ipn::TrafficStats::Payee& p : traffic->by_payee) {
      participants.push_back({{"participant", p.participant}, {"completed", p.completed}, {"failed", p.failed}});
    }
    return http::Json({{"at_ms", now_ms},
                       {"total", traffic->total},
                       {"counts", counts},
                       {"by_participant", participants},
                       {"last_minute", {{"transfers", traffic->last_minute_transfers},
                                        {"failed", traffic->last_minute_failures}}},
                       {"rate_per_second", static_cast<double>(traffic->last_minute_transfers) / 60.0},
                       {"failure_rate_per_second", static_cast<double>(traffic->last_minute_failures) / 60.0}});
  });

  // One of a participant's own ledger accounts, oldest first, a page at a
  // time: `after` is the last `timestamp` of the page before.
  admin("GET", "/api/v1/admin/participants/:code/ledger/:account",
        [this](http::Request& request) -> http::Response {
          ledger::HistoryQuery query;
          query.limit = 100;
          for (auto [name, out] : {std::pair{"after", &query.after_timestamp}, std::pair{"limit", &query.limit}}) {
            if (auto parsed = QueryNumber(request, name, out); !parsed) return http::ErrorResponse(parsed.error());
          }
          if (query.limit < 1 || query.limit > 1000) return http::ErrorResponse(Error("http.bad_query", "limit"));
          const std::string failed = request.Query("include_failed").value_or("false");
          if (failed != "true" && failed != "false") {
            return http::ErrorResponse(Error("http.bad_query", "include_failed"));
          }
          query.include_failed = failed == "true";
          const std::string code(request.Param("code"));
          const std::string account(request.Param("account"));
          if (network_.directory().Find(code) == nullptr) {
            return http::ErrorResponse(404, Error("app.participant_unknown"));
          }
          auto statement = network_.InstitutionStatement(code, account, query);
          if (!statement) return http::ErrorResponse(statement.error());
          json transfers = json::array();
          for (const ledger::TransferRecord& r : *statement) {
            transfers.push_back({{"id", r.transfer.id},
                                 {"debit_account_id", r.transfer.debit_account_id},
                                 {"credit_account_id", r.transfer.credit_account_id},
                                 {"amount", MoneyJson(r.transfer.amount)},
                                 {"pending_id", r.transfer.pending_id},
                                 {"result", ledger::CodeName(r.result.code)},
                                 {"timestamp", r.result.timestamp}});
          }
          json next = statement->empty() ? json(nullptr) : json(statement->back().result.timestamp);
          return http::Json({{"participant", code}, {"account", account}, {"transfers", transfers}, {"next_after", next}});
        });

  // The open settlement window's net positions (what each participant is
  // owed or owes so far).
  admin("GET", "/api/v1/admin/settlement", [this](http::Request&) -> http::Response {
    auto window = network_.OpenWindowId();
    if (!window) return http::ErrorResponse(window.error());
    auto report = network_.GetSettlementReport(*window);
    if (!report) return http::ErrorResponse(report.error());
    return http::Json(SettlementJson(*report));
  });

  // The end of a settlement cycle: the open window closes with every
  // participant's net position fixed and posted in the ledger, and the next
  // window opens; sends completing from then on land in the new one. The
  // answer is the closed window's report.
  admin("POST", "/api/v1/admin/settlement/close", [this](http::Request&) -> http::Response {
    auto report = network_.CloseSettlementWindow();
    if (!report) return http::ErrorResponse(report.error());
    return http::Json(SettlementJson(*report));
  });

  // Any window's report, open or closed, by its id (a number).
  admin("GET", "/api/v1/admin/settlement/:window_id", [this](http::Request& request) -> http::Response {
    const std::string_view text = request.Param("window_id");
    int64_t id = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (text.empty() || error != std::errc{} || end != text.data() + text.size() || id < 1) {
      return http::ErrorResponse(404, Error("ipn.window_not_found", std::string(text)));
    }
    auto report = network_.GetSettlementReport(id);
    if (!report) {
      const bool missing = report.error().code == "ipn.window_not_found";
      return missing ? http::ErrorResponse(404, report.error()) : http::ErrorResponse(report.error());
    }
    return http::Json(SettlementJson(*report));
  });
}

http::Response AppImpl::ListBillersAll(http::Request&) {
  auto rows = store_.Execute("SELECT code, category, name_ar, name_en, participant, account_number, active FROM app_billers ORDER BY code",
                             {}, store::Mode::kRead);
  if (!rows) return http::ErrorResponse(rows.error());
  json items = json::array();
  for (const store::Row& row : rows->rows) {
    items.push_back({{"code", store::AsText(row[0])}, {"category", store::AsText(row[1])}, {"name_ar", store::AsText(row[2])},
                     {"name_en", store::AsText(row[3])}, {"participant", store::AsText(row[4])},
                     {"account_number", store::AsText(row[5])}, {"active", store::AsInt(row[6]) != 0}});
  }
  return http::Json({{"billers", items}});
}

}  // namespace lahza::app
