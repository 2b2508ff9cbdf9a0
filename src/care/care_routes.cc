// Customer care's HTTP routes. Handlers only translate: JSON in, a call into
// the help centre / triage / channels / case service, JSON out. Every error
// is the uniform {"error":{code,message_ar,message_en}} body.
#include "care/care_routes.h"

#include <nlohmann/json.hpp>

#include "care/case_agents.h"
#include "care/case_internal.h"
#include "care/channels.h"
#include "care/help_centre.h"
#include "care/triage.h"
#include "ipn/participants.h"

namespace lahza::care {

using http::Request;
using http::Response;
using nlohmann::json;

namespace {

// The router's convention maps "*.not_found"; our codes say what was not
// found ("care.case_not_found", "help.article_not_found"), so map those too.
Response Fail(const Error& error) {
  std::string_view code = error.code;
  if (code.ends_with("_not_found")) return http::ErrorResponse(404, error);
  return http::ErrorResponse(error);
}

#define CARE_TRY(var, expr)          \
  auto var = (expr);                 \
  if (!var.ok()) return Fail(var.error())

json Bilingual(const Message& m) { return {{"ar", m.ar}, {"en", m.en}}; }

std::string Iso(Instant t) { return FormatCairoIso(t); }

std::string Role(const std::string& actor) {
  auto colon = actor.find(':');
  return colon == std::string::npos ? actor : actor.substr(0, colon);
}

json ItemsJson(const std::vector<std::string>& items) {
  json out = json::array();
  for (const std::string& item : items) {
    out.push_back({{"item", item}, {"label", Bilingual(MessageFor("care.case_item." + item))}});
  }
  return out;
}

json CaseJson(const Case& c, bool for_agent) {
  json out = {{"id", c.id},
              {"category", ToString(c.category)},
              {"category_label", Bilingual(MessageFor("care.case_category." + std::string(ToString(c.category))))},
              {"party", ToString(c.party)},
              {"bank_code", c.bank_code},
              {"queue", c.queue},
              {"status", ToString(c.status)},
              {"status_label", Bilingual(MessageFor("care.case_status." + std::string(ToString(c.status))))},
              {"priority", ToString(c.priority)},
              {"ir_reference", c.ir_reference},
              {"description", c.description},
              {"missing", ItemsJson(c.missing)},
              {"recommended", ItemsJson(c.recommended)},
              {"created_at", Iso(c.created_at)},
              {"updated_at", Iso(c.updated_at)},
              {"due_at", Iso(c.due_at)},
              {"resolved_at", c.resolved_at ? json(Iso(*c.resolved_at)) : json(nullptr)},
              {"resolution", c.resolution},
              {"resolved_by", Role(c.resolved_by)},
              {"merged_into", c.merged_into},
              {"transfers_frozen", c.transfers_frozen}};
  if (!c.missing.empty()) out["ask"] = Bilingual(MissingItemsRequest(c.missing));
  json transaction = json::object();
  if (c.transaction.at) transaction["at"] = Iso(*c.transaction.at);
  if (c.transaction.amount_piastres) transaction["amount_piastres"] = *c.transaction.amount_piastres;
  if (c.transaction.counterparty) transaction["counterparty"] = *c.transaction.counterparty;
  out["transaction"] = transaction;
  out["diagnosis"] = c.diagnosis ? json{{"outcome", c.diagnosis->outcome},
                                        {"final", c.diagnosis->final},
                                        {"explanation", Bilingual(c.diagnosis->explanation)}}
                                 : json(nullptr);
  json attachments = json::array();
  for (const AttachmentInfo& a : c.attachments) {
    attachments.push_back({{"id", a.id}, {"media_type", a.media_type}, {"filename", a.filename}, {"size", a.size},
                           {"uploaded_at", Iso(a.uploaded_at)}, {"uploaded_by", Role(a.uploaded_by)}});
  }
  out["attachments"] = attachments;
  json messages = json::array();
  for (const CaseMessage& m : c.messages) {
    json message = {{"seq", m.seq}, {"at", Iso(m.at)}, {"author", for_agent ? m.author : Role(m.author)},
                    {"body", m.body}};
    if (for_agent) message["internal"] = m.internal;
    messages.push_back(message);
  }
  out["messages"] = messages;
  json history = json::array();
  for (const HistoryEntry& h : c.history) {
    history.push_back({{"seq", h.seq}, {"at", Iso(h.at)}, {"actor", for_agent ? h.actor : Role(h.actor)},
                       {"action", h.action}, {"detail", h.detail}});
  }
  out["history"] = history;
  if (for_agent) {
    out["customer"] = {{"id", c.customer_id}, {"name", c.customer.name}, {"mobile", c.customer.mobile},
                       {"national_id_masked", c.customer.national_id_masked}};
    out["agent_id"] = c.agent_id;
  }
  return out;
}

json ListJson(const std::vector<CaseListItem>& items) {
  json out = json::array();
  for (const CaseListItem& i : items) {
    out.push_back({{"id", i.id},
                   {"category", ToString(i.category)},
                   {"status", ToString(i.status)},
                   {"priority", ToString(i.priority)},
                   {"queue", i.queue},
                   {"agent_id", i.agent_id},
                   {"ir_reference", i.ir_reference},
                   {"created_at", Iso(i.created_at)},
                   {"updated_at", Iso(i.updated_at)},
                   {"due_at", Iso(i.due_at)}});
  }
  return out;
}

// "2026-11-24T14:02" or "2026-11-24T14:02:30", Cairo wall-clock time.
Result<Instant> ParseCairoTime(const std::string& text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  char tail = 0;
  int n = std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &s, &tail);
  if (n != 5 && n != 6) return Error("care.invalid_time", text);
  auto at = FromCairo(y, mo, d, h, mi, s);
  if (!at.ok()) return Error("care.invalid_time", text);
  return *at;
}

Result<TransactionDetails> ParseTransaction(const json& body) {
  TransactionDetails t;
  if (!body.contains("transaction") || body["transaction"].is_null()) return t;
  const json& tx = body["transaction"];
  if (!tx.is_object()) return Error("http.wrong_type", "transaction");
  LAHZA_TRY(http::CheckFields(tx, {"at", "amount_piastres", "counterparty"}));
  Error error;
  if (auto at = http::OptionalStringField(tx, "at", &error)) {
    auto parsed = ParseCairoTime(*at);
    if (!parsed.ok()) return parsed.error();
    t.at = *parsed;
  }
  if (!error.code.empty()) return error;
  if (tx.contains("amount_piastres") && !tx["amount_piastres"].is_null()) {
    auto amount = http::IntField(tx, "amount_piastres");
    if (!amount.ok()) return amount.error();
    t.amount_piastres = *amount;
  }
  if (auto counterparty = http::OptionalStringField(tx, "counterparty", &error)) t.counterparty = *counterparty;
  if (!error.code.empty()) return error;
  return t;
}

// [{"filename": "...", "data_base64": "..."}]
Result<std::vector<Upload>> ParseUploads(const json& body) {
  std::vector<Upload> uploads;
  if (!body.contains("attachments") || body["attachments"].is_null()) return uploads;
  const json& list = body["attachments"];
  if (!list.is_array()) return Error("http.wrong_type", "attachments");
  for (const json& item : list) {
    if (!item.is_object()) return Error("http.wrong_type", "attachments[]");
    LAHZA_TRY(http::CheckFields(item, {"filename", "data_base64"}));
    Error error;
    std::string filename = http::OptionalStringField(item, "filename", &error).value_or("");
    if (!error.code.empty()) return error;
    auto data = http::StringField(item, "data_base64");
    if (!data.ok()) return data.error();
    auto bytes = internal::Base64Decode(*data);
    if (!bytes.ok()) return bytes.error();
    uploads.push_back(Upload{std::move(filename), std::move(*bytes)});
  }
  return uploads;
}

std::string OptionalString(const json& body, std::string_view name, Error* error) {
  return http::OptionalStringField(body, name, error).value_or("");
}

Response Created(const json& body) { return http::Json(body, 201); }

Response Bytes(const AttachmentInfo& info, std::string bytes) {
  Response response;
  response.content_type = info.media_type;
  response.body = std::move(bytes);
  // Never rendered as anything but the image type it was checked to be.
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.headers.emplace_back("Content-Disposition", "inline");
  return response;
}

Result<Agent> AgentOf(const AgentDirectory& agents, const Request& request) {
  std::string header = request.Header("authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (!header.starts_with(kBearer)) return Error("care.unauthorized");
  return agents.Authenticate(std::string_view(header).substr(kBearer.size()));
}

json AdviceJson(const Advice& advice) {
  auto option_json = [](const ChannelOption& o) {
    return json{{"id", o.id},
                {"kind", o.kind},
                {"contact", o.contact},
                {"institution", o.institution ? json(*o.institution) : json(nullptr)},
                {"label", Bilingual(o.label)},
                {"hours", Bilingual(o.hours)},
                {"open_now", o.open_now},
                {"opens_at", o.opens_at ? json(Iso(*o.opens_at)) : json(nullptr)},
                {"closes_at", o.closes_at ? json(Iso(*o.closes_at)) : json(nullptr)},
                {"status", Bilingual(o.status)},
                {"news_only", o.news_only}};
  };
  json options = json::array();
  for (const ChannelOption& o : advice.options) options.push_back(option_json(o));
  json checklist = json::array();
  for (const Message& m : advice.checklist) checklist.push_back(Bilingual(m));
  return {{"category", CategoryName(advice.category)},
          {"party", PartyName(advice.party)},
          {"institution", advice.institution ? json(*advice.institution) : json(nullptr)},
          {"urgent", advice.urgent},
          {"best_now", advice.best_now ? option_json(*advice.best_now) : json(nullptr)},
          {"options", options},
          {"checklist", checklist},
          {"summary", Bilingual(advice.summary)}};
}

class Routes {
 public:
  explicit Routes(CareServices services) : s_(std::move(services)) {}

  Instant Now() const { return s_.clock ? s_.clock->Now() : system_clock_.Now(); }

  // ---- help centre (public) ----
  Response Search(Request& request) {
    std::string query = request.Query("q").value_or("");
    std::optional<Language> language;
    if (auto lang = request.Query("lang")) {
      if (*lang == "ar") language = Language::kArabic;
      else if (*lang == "en") language = Language::kEnglish;
      else return Fail(Error("care.invalid_language", *lang));
    }
    CARE_TRY(results, HelpCentre::Instance().Search(query, language, 10));
    json hits = json::array();
    for (const SearchHit& hit : results->hits) {
      hits.push_back({{"article_id", hit.article_id}, {"category", hit.category}, {"title", hit.title},
                      {"snippet", hit.snippet}, {"snippet_html", SnippetHtml(hit)}, {"percent", hit.percent}});
    }
    return http::Json({{"language", results->language == Language::kArabic ? "ar" : "en"},
                       {"suggestion", results->suggestion ? json(*results->suggestion) : json(nullptr)},
                       {"hits", hits}});
  }

  Response Article(Request& request) {
    CARE_TRY(article, HelpCentre::Instance().Article(request.Param("id")));
    return http::Json({{"id", article->id},
                       {"category", article->category},
                       {"title", {{"ar", article->title_ar}, {"en", article->title_en}}},
                       {"body", {{"ar", article->body_ar}, {"en", article->body_en}}}});
  }

  Response Articles(Request& request) {
    CARE_TRY(articles, HelpCentre::Instance().Articles(request.Query("category").value_or("")));
    json out = json::array();
    for (const HelpArticle& a : *articles) {
      out.push_back({{"id", a.id}, {"category", a.category}, {"title", {{"ar", a.title_ar}, {"en", a.title_en}}}});
    }
    return http::Json({{"articles", out}});
  }

  // ---- triage and channels (public: people ask before signing in) ----
  Response Triage(Request& request) {
    CARE_TRY(body, http::ParseJsonObject(request));
    if (auto checked = http::CheckFields(*body, {"text", "bank_code"}); !checked.ok()) {
      return Fail(checked.error());
    }
    CARE_TRY(text, http::StringField(*body, "text"));
    Error error;
    std::string bank = OptionalString(*body, "bank_code", &error);
    if (!error.code.empty()) return Fail(error);
    TriageContext context;
    if (!bank.empty()) context.payer_institution = bank;
    Instant now = Now();
    CARE_TRY(result, Classify(*text, context, now));
    json entities = {{"ir_references", result->entities.ir_references},
                     {"invalid_ir_references", result->entities.invalid_ir_references},
                     {"mobiles", result->entities.mobiles},
                     {"ipas", result->entities.ipas}};
    json amounts = json::array();
    for (const Money& m : result->entities.amounts) amounts.push_back(m.piastres());
    entities["amounts_piastres"] = amounts;
    json institutions = json::array();
    for (const auto& mention : result->entities.institutions) institutions.push_back(mention.code);
    entities["institutions"] = institutions;
    Advice advice = Advise(result->category, result->party, result->institution, now);
    return http::Json({{"category", CategoryName(result->category)},
                       {"party", PartyName(result->party)},
                       {"institution", result->institution ? json(*result->institution) : json(nullptr)},
                       {"urgency", UrgencyName(result->urgency)},
                       {"confidence", result->confidence},
                       {"entities", entities},
                       {"advice", AdviceJson(advice)}});
  }

  Response Channels(Request& request) {
    auto category = CategoryFromName(request.Query("category").value_or("other"));
    if (!category) return Fail(Error("care.invalid_category"));
    std::optional<Party> party;
    if (auto p = request.Query("party")) {
      party = ParseParty(*p);
      if (!party) return Fail(Error("care.invalid_party"));
    }
    std::optional<std::string> bank = request.Query("bank_code");
    if (bank && bank->empty()) bank.reset();
    Advice advice = Advise(*category, party.value_or(ResponsibleParty(*category)), bank, Now());
    return http::Json(AdviceJson(advice));
  }

  // ---- customer cases ----
  Response OpenCase(Request& request) {
    CARE_TRY(who, s_.customer(request));
    CARE_TRY(body, http::ParseJsonObject(request));
    if (auto checked = http::CheckFields(*body, {"category", "description", "ir_reference", "bank_code",
                                                 "transaction", "attachments"});
        !checked.ok()) {
      return Fail(checked.error());
    }
    CARE_TRY(category_name, http::StringField(*body, "category"));
    auto category = ParseCategory(*category_name);
    if (!category) return Fail(Error("care.invalid_category", *category_name));
    NewCase c;
    c.customer_id = who->customer_id;
    c.customer = who->summary;
    c.category = *category;
    Error error;
    c.description = OptionalString(*body, "description", &error);
    c.ir_reference = OptionalString(*body, "ir_reference", &error);
    c.bank_code = OptionalString(*body, "bank_code", &error);
    if (!error.code.empty()) return Fail(error);
    CARE_TRY(transaction, ParseTransaction(*body));
    c.transaction = *transaction;
    CARE_TRY(uploads, ParseUploads(*body));
    c.attachments = std::move(*uploads);
    CARE_TRY(opened, s_.cases->Open(c));
    return Created(CaseJson(*opened, false));
  }

  Response ListCases(Request& request) {
    CARE_TRY(who, s_.customer(request));
    CARE_TRY(items, s_.cases->ListForCustomer(who->customer_id));
    return http::Json({{"cases", ListJson(*items)}});
  }

  Response GetCase(Request& request) {
    CARE_TRY(who, s_.customer(request));
    CARE_TRY(c, s_.cases->GetForCustomer(who->customer_id, request.Param("id")));
    return http::Json(CaseJson(*c, false));
  }

  Response ReplyCase(Request& request) {
    CARE_TRY(who, s_.customer(request));
    CARE_TRY(body, http::ParseJsonObject(request));
    if (auto checked = http::CheckFields(*body, {"message", "description", "ir_reference", "bank_code",
                                                 "transaction", "attachments"});
        !checked.ok()) {
      return Fail(checked.error());
    }
    CustomerUpdate update;
    Error error;
    update.message = OptionalString(*body, "message", &error);
    update.description = OptionalString(*body, "description", &error);
    update.ir_reference = OptionalString(*body, "ir_reference", &error);
    update.bank_code = OptionalString(*body, "bank_code", &error);
    if (!error.code.empty()) return Fail(error);
    CARE_TRY(transaction, ParseTransaction(*body));
    update.transaction = *transaction;
    CARE_TRY(uploads, ParseUploads(*body));
    update.attachments = std::move(*uploads);
    CARE_TRY(c, s_.cases->CustomerReply(who->customer_id, request.Param("id"), update));
    return http::Json(CaseJson(*c, false));
  }

  Response CloseCase(Request& request) {
    CARE_TRY(who, s_.customer(request));
    CARE_TRY(c, s_.cases->CustomerClose(who->customer_id, request.Param("id")));
    return http::Json(CaseJson(*c, false));
  }

  Response FreezeCase(Request& request) {
    CARE_TRY(who, s_.customer(request));
    CARE_TRY(c, s_.cases->FreezeTransfers(who->customer_id, request.Param("id")));
    return http::Json(CaseJson(*c, false));
  }

  Response CustomerAttachment(Request& request) {
    CARE_TRY(who, s_.customer(request));
    CARE_TRY(file, s_.cases->CustomerAttachment(who->customer_id, request.Param("id"), request.Param("attachment")));
    return Bytes(file->first, std::move(file->second));
  }

  Response FreezeStatus(Request& request) {
    CARE_TRY(who, s_.customer(request));
    CARE_TRY(frozen, s_.cases->TransfersFrozenFor(who->customer_id));
    return http::Json({{"transfers_frozen", *frozen}});
  }

  // ---- agents ----
  Response Queue(Request& request) {
    CARE_TRY(agent, AgentOf(*s_.agents, request));
    bool all = request.Query("all").value_or("") == "1";
    CARE_TRY(items, s_.cases->Queue(*agent, all));
    return http::Json({{"queue", agent->queue()}, {"cases", ListJson(*items)}});
  }

  Response Sla(Request& request) {
    CARE_TRY(agent, AgentOf(*s_.agents, request));
    CARE_TRY(report, s_.cases->Sla(*agent));
    return http::Json({{"due_soon", ListJson(report->due_soon)}, {"breached", ListJson(report->breached)}});
  }

  Response AgentCase(Request& request) {
    CARE_TRY(agent, AgentOf(*s_.agents, request));
    CARE_TRY(c, s_.cases->GetForAgent(*agent, request.Param("id")));
    return http::Json(CaseJson(*c, true));
  }

  Response Dossier(Request& request) {
    CARE_TRY(agent, AgentOf(*s_.agents, request));
    CARE_TRY(text, s_.cases->Dossier(*agent, request.Param("id")));
    Response response;
    response.body = std::move(*text);
    return response;
  }

  Response Take(Request& request) {
    CARE_TRY(agent, AgentOf(*s_.agents, request));
    CARE_TRY(c, s_.cases->Take(*agent, request.Param("id")));
    return http::Json(CaseJson(*c, true));
  }

  Response AgentReply(Request& request) {
    CARE_TRY(agent, AgentOf(*s_.agents, request));
    CARE_TRY(body, http::ParseJsonObject(request));
    if (auto checked = http::CheckFields(*body, {"text", "internal"}); !checked.ok()) {
      return Fail(checked.error());
    }
    CARE_TRY(text, http::StringField(*body, "text"));
    bool internal_note = false;
    if (body->contains("internal")) {
      if (!(*body)["internal"].is_boolean()) return Fail(Error("http.wrong_type", "internal"));
      internal_note = (*body)["internal"].get<bool>();
    }
    CARE_TRY(c, s_.cases->Reply(*agent, request.Param("id"), *text, internal_note));
    return http::Json(CaseJson(*c, true));
  }

  Response RequestInfo(Request& request) {
    CARE_TRY(agent, AgentOf(*s_.agents, request));
    CARE_TRY(body, http::ParseJsonObject(request));
    if (auto checked = http::CheckFields(*body, {"items", "text"}); !checked.ok()) {
      return Fail(checked.error());
    }
    std::vector<std::string> items;
    if (!body->contains("items") || !(*body)["items"].is_array()) {
      return Fail(Error("http.missing_field", "items"));
    }
    for (const json& item : (*body)["items"]) {
      if (!item.is_string()) return Fail(Error("http.wrong_type", "items[]"));
      items.push_back(item.get<std::string>());
    }
    Error error;
    std::string text = OptionalString(*body, "text", &error);
    if (!error.code.empty()) return Fail(error);
    CARE_TRY(c, s_.cases->RequestInformation(*agent, request.Param("id"), items, text));
    return http::Json(CaseJson(*c, true));
  }

  Response Escalate(Request& request) {
    CARE_TRY(agent, AgentOf(*s_.agents, request));
    CARE_TRY(body, http::ParseJsonObject(request));
    if (auto checked = http::CheckFields(*body, {"bank_code", "note"}); !checked.ok()) {
      return Fail(checked.error());
    }
    CARE_TRY(bank, http::StringField(*body, "bank_code"));
    Error error;
    std::string note = OptionalString(*body, "note", &error);
    if (!error.code.empty()) return Fail(error);
    CARE_TRY(c, s_.cases->Escalate(*agent, request.Param("id"), *bank, note));
    return http::Json(CaseJson(*c, true));
  }

  Response Resolve(Request& request) {
    CARE_TRY(agent, AgentOf(*s_.agents, request));
    CARE_TRY(body, http::ParseJsonObject(request));
    if (auto checked = http::CheckFields(*body, {"answer"}); !checked.ok()) return Fail(checked.error());
    CARE_TRY(answer, http::StringField(*body, "answer"));
    CARE_TRY(c, s_.cases->Resolve(*agent, request.Param("id"), *answer));
    return http::Json(CaseJson(*c, true));
  }

  Response AgentClose(Request& request) {
    CARE_TRY(agent, AgentOf(*s_.agents, request));
    CARE_TRY(c, s_.cases->Close(*agent, request.Param("id")));
    return http::Json(CaseJson(*c, true));
  }

  Response Unfreeze(Request& request) {
    CARE_TRY(agent, AgentOf(*s_.agents, request));
    std::string note;
    if (!request.body.empty()) {
      CARE_TRY(body, http::ParseJsonObject(request));
      if (auto checked = http::CheckFields(*body, {"note"}); !checked.ok()) return Fail(checked.error());
      Error error;
      note = OptionalString(*body, "note", &error);
      if (!error.code.empty()) return Fail(error);
    }
    CARE_TRY(c, s_.cases->LiftFreeze(*agent, request.Param("id"), note));
    return http::Json(CaseJson(*c, true));
  }

  Response AgentAttachment(Request& request) {
    CARE_TRY(agent, AgentOf(*s_.agents, request));
    CARE_TRY(file, s_.cases->AgentAttachment(*agent, request.Param("id"), request.Param("attachment")));
    return Bytes(file->first, std::move(file->second));
  }

 private:
  CareServices s_;
  SystemClock system_clock_;
};

#undef CARE_TRY

}  // namespace

#define CARE_ADMIN_TRY(var, expr) \
  auto var = (expr);              \
  if (!var.ok()) return Fail(var.error())

CustomerAuthenticator AuthenticateThroughApp(const http::Router& router, std::string me_path) {
  return [&router, me_path](const http::Request& caller) -> Result<CustomerIdentity> {
    http::Request me;
    me.method = "GET";
    me.path = me_path;
    for (const char* name : {"authorization", "x-device-id"}) {
      auto it = caller.headers.find(name);
      if (it != caller.headers.end()) me.headers[name] = it->second;
    }
    me.remote_ip = caller.remote_ip;
    me.request_id = caller.request_id;
    http::Response response = router.Dispatch(me);
    json body = json::parse(response.body, nullptr, false);
    if (response.status != 200 || !body.is_object()) {
      std::string code = body.is_object() && body.contains("error") ? body["error"].value("code", "") : "";
      return Error(code.empty() ? "care.unauthorized" : code);
    }
    CustomerIdentity identity;
    identity.customer_id = body.value("customer_id", "");
    if (identity.customer_id.empty()) return Error("care.unauthorized");
    std::string name = body.value("name_ar", "");
    if (name.empty()) name = body.value("name_en", "");
    identity.summary = CustomerSummary{name, body.value("mobile", ""), body.value("national_id_masked", "")};
    return identity;
  };
}

void AddCareRoutes(http::Router& router, CareServices services) {
  auto routes = std::make_shared<Routes>(std::move(services));
  auto add = [&](const char* method, const char* pattern, Response (Routes::*handler)(Request&)) {
    router.Add(method, pattern, [routes, handler](Request& request) { return ((*routes).*handler)(request); });
  };
  add("GET", "/api/v1/help/search", &Routes::Search);
  add("GET", "/api/v1/help/articles", &Routes::Articles);
  add("GET", "/api/v1/help/articles/:id", &Routes::Article);
  add("POST", "/api/v1/care/triage", &Routes::Triage);
  add("GET", "/api/v1/care/channels", &Routes::Channels);
  add("POST", "/api/v1/care/cases", &Routes::OpenCase);
  add("GET", "/api/v1/care/cases", &Routes::ListCases);
  add("GET", "/api/v1/care/cases/:id", &Routes::GetCase);
  add("POST", "/api/v1/care/cases/:id/replies", &Routes::ReplyCase);
  add("POST", "/api/v1/care/cases/:id/close", &Routes::CloseCase);
  add("POST", "/api/v1/care/cases/:id/freeze", &Routes::FreezeCase);
  add("GET", "/api/v1/care/cases/:id/attachments/:attachment", &Routes::CustomerAttachment);
  add("GET", "/api/v1/care/freeze", &Routes::FreezeStatus);
  add("GET", "/api/v1/agent/queue", &Routes::Queue);
  add("GET", "/api/v1/agent/sla", &Routes::Sla);
  add("GET", "/api/v1/agent/cases/:id", &Routes::AgentCase);
  add("GET", "/api/v1/agent/cases/:id/dossier", &Routes::Dossier);
  add("POST", "/api/v1/agent/cases/:id/take", &Routes::Take);
  add("POST", "/api/v1/agent/cases/:id/reply", &Routes::AgentReply);
  add("POST", "/api/v1/agent/cases/:id/request-info", &Routes::RequestInfo);
  add("POST", "/api/v1/agent/cases/:id/escalate", &Routes::Escalate);
  add("POST", "/api/v1/agent/cases/:id/resolve", &Routes::Resolve);
  add("POST", "/api/v1/agent/cases/:id/close", &Routes::AgentClose);
  add("POST", "/api/v1/agent/cases/:id/unfreeze", &Routes::Unfreeze);
  add("GET", "/api/v1/agent/cases/:id/attachments/:attachment", &Routes::AgentAttachment);
}

void AddCareAdminRoutes(http::Router& router, CareAdminServices services) {
  auto s = std::make_shared<CareAdminServices>(std::move(services));
  router.Add("POST", "/api/v1/admin/agents", [s](Request& request) -> Response {
    if (auto allowed = s->authorize(request); !allowed) return http::ErrorResponse(401, allowed.error());
    CARE_ADMIN_TRY(body, http::ParseJsonObject(request));
    if (auto fields = http::CheckFields(*body, {"agent_id", "bank_code"}); !fields) return Fail(fields.error());
    CARE_ADMIN_TRY(agent_id, http::StringField(*body, "agent_id"));
    Error error;
    std::string bank = http::OptionalStringField(*body, "bank_code", &error).value_or("");
    if (!error.code.empty()) return Fail(error);
    // An agent of a bank nobody routes to would see an empty queue forever:
    // only the directory's participants have queues.
    if (!bank.empty() && s->participants->Find(bank) == nullptr) return Fail(Error("care.bank_unknown", bank));
    CARE_ADMIN_TRY(token, s->agents->Issue(*agent_id, bank));
    return http::Json({{"agent_id", *agent_id}, {"bank_code", bank}, {"token", *token}}, 201);
  });
}

}  // namespace lahza::care
