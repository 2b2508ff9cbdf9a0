// Payments through the switch: lookup, send, collect (request money), bills,
// donations; limits; history and a transaction's plain-language timeline.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cassert>
#include <limits>

#include "app/internal.h"
#include "core/cairo_time.h"
#include "core/messages.h"
#include "core/mobile.h"
#include "core/money.h"
#include "core/ir_reference.h"
#include "http/json_text.h"
#include "ipn/switch.h"

namespace lahza::app {

namespace {
constexpr size_t kMaxNoteBytes = 140;
constexpr size_t kMaxClientRequestIdBytes = 64;

Instant FromMs(int64_t ms) { return Instant(std::chrono::seconds(ms / 1000)); }
}  // namespace

Result<ipn::PayeeId> ParsePayee(const json& body) {
  auto kind_text = http::StringField(body, "kind");
  if (!kind_text) return kind_text.error();
  auto value = http::StringField(body, "value");
  if (!value) return value.error();
  auto kind = ipn::ParsePayeeKind(*kind_text);
  if (!kind) return Error("app.payee_kind_invalid", *kind_text);
  ipn::PayeeId payee{*kind, *value, {}};
  Error error;
  auto participant = http::OptionalStringField(body, "participant", &error);
  if (!error.code.empty()) return error;
  if (*kind == ipn::PayeeKind::kAccountNumber) {
    if (!participant) return Error("http.missing_field", "participant");
    payee.participant = *participant;
  }
  return payee;
}

// Amounts are whole piastres (EGP 12.50 is 1250): never floating point.
Result<int64_t> ParseAmount(const json& body) {
  auto amount = http::IntField(body, "amount");
  if (!amount) {
    if (amount.error().code == "http.number_out_of_range") return Error("app.amount_invalid", "amount");
    return amount.error();
  }
  if (*amount <= 0) return Error("app.amount_invalid", "amount");
  return *amount;
}

Result<std::string> OptionalNote(const json& body) {
  Error error;
  auto note = http::OptionalStringField(body, "note", &error);
  if (!error.code.empty()) return error;
  if (note && note->size() > kMaxNoteBytes) return Error("app.note_too_long");
  return note.value_or("");
}

int StatusForPaymentError(const Error& error) {
  const std::string& code = error.code;
  if (code == "app.pin_locked") return 423;
  if (code == "app.pin_wrong") return 403;
  if (code == "app.transfers_frozen") return 403;
  if (code.starts_with("ipn.limit_")) return 422;
  if (code == "ipn.participant_down") return 503;
  if (code == "ipn.payee_not_found" || code == "app.account_not_found") return 404;
  return http::StatusForCode(code);
}

Status QueryNumber(const http::Request& request, const char* name, int64_t* out) {
  auto text = request.Query(name);
  if (!text) return {};
  try {
    size_t used = 0;
    int64_t value = std::stoll(*text, &used);
    if (used != text->size() || value < 0) return Error("http.bad_query", name);
    *out = value;
  } catch (const std::exception&) {
    return Error("http.bad_query", name);
  }
  return {};
}

json MoneyJson(int64_t piastres) {
  Money money = Money::FromPiastres(piastres);
  json out = json::object();
  out["piastres"] = piastres;
  out["en"] = money.ToEnglish();
  out["ar"] = money.ToArabic();
  return out;
}

// ---- the plain-language view of a transaction

namespace {

std::string ParticipantName(ipn::Switch& network, const std::string& code, Language language) {
  const ipn::Participant* participant = network.directory().Find(code);
  if (participant == nullptr) return code;
  return language == Language::kArabic ? participant->name_ar : participant->name_en;
}

// A moment as a transaction's text shows it. The steps of one send are
// stamped within a second or two of each other, so each distinct second is
// formatted once per view.
struct Stamp {
  int64_t second = std::numeric_limits<int64_t>::min();
  std::string iso;  // 2026-11-26T14:02:05+02:00
  Message clock;    // 14:02, in Arabic-Indic and Latin digits
};

const Stamp& StampOf(Stamp& last, int64_t at_ms) {
  const Instant at = FromMs(at_ms);
  if (at.time_since_epoch().count() != last.second) {
    last.second = at.time_since_epoch().count();
    const CairoTime cairo = ToCairo(at);
    last.iso = FormatCairoIso(cairo);
    last.clock = Message{FormatCairoClock(cairo, Language::kArabic), FormatCairoClock(cairo, Language::kEnglish)};
  }
  return last;
}

// One timeline step in words; the banks' names are looked up once per view.
Message TimelineLine(const ipn::TimelineEntry& entry, const Message& clock, const Message& payer_bank,
                     const Message& payee_bank) {
  const Message* text = CatalogueEntry("app.timeline." + entry.event);
  Message by_state;  // an event without a line of its own: its state's
  if (text == nullptr) {
    by_state = MessageFor("app.timeline.state." + std::string(ipn::StateName(entry.state)));
    text = &by_state;
  }
  return Message{
      FormatText(text->ar, {{"time", clock.ar}, {"payer_bank", payer_bank.ar}, {"payee_bank", payee_bank.ar}}),
      FormatText(text->en, {{"time", clock.en}, {"payer_bank", payer_bank.en}, {"payee_bank", payee_bank.en}})};
}

// An amount as {"ar", "en", "piastres"}: the members MoneyJson makes, in the
// order a JSON value prints them, without building one.
void WriteMoney(http::JsonTextWriter& out, int64_t piastres) {
  const Money money = Money::FromPiastres(piastres);
  out.BeginObject();
  out.Key("ar").String(money.ToArabic());
  out.Key("en").String(money.ToEnglish());
  out.Key("piastres").Int(piastres);
  out.EndObject();
}

}  // namespace

// Written straight into the response text (http::JsonTextWriter), members —
// `extra` ones included, which must come sorted — in the alphabetical order
// a JSON value prints them, so the text is byte for byte what it was when
// this was built as a JSON value. It is rendered for every payment response,
// and building that value, printing and freeing it was the largest single
// cost of a send's request handling.
std::string TransactionText(ipn::Switch& network, const ipn::TransactionView& view, const std::string& direction,
                            std::initializer_list<std::pair<std::string_view, std::string_view>> extra) {
  const std::string state(ipn::StateName(view.state));
  Message summary = MessageFor("app.summary." + state);
  // Only the summaries of sends still waiting name their deadline.
  if (view.hold_expires_ms > 0 && (summary.ar.find("{deadline}") != std::string::npos ||
                                   summary.en.find("{deadline}") != std::string::npos)) {
    Instant deadline = FromMs(view.hold_expires_ms);
    summary.ar = FormatText(summary.ar, {{"deadline", FormatCairoDateTime(deadline, Language::kArabic)}});
    summary.en = FormatText(summary.en, {{"deadline", FormatCairoDateTime(deadline, Language::kEnglish)}});
  }
  const Message payer_bank{ParticipantName(network, view.payer_participant, Language::kArabic),
                           ParticipantName(network, view.payer_participant, Language::kEnglish)};
  const Message payee_bank{ParticipantName(network, view.payee_participant, Language::kArabic),
                           ParticipantName(network, view.payee_participant, Language::kEnglish)};

  assert(std::is_sorted(extra.begin(), extra.end(), [](const auto& a, const auto& b) { return a.first < b.first; }));
  http::JsonTextWriter out;
  Stamp stamp;
  out.BeginObject();
  // A top-level member, after the extra ones that sort before it.
  auto next_extra = extra.begin();
  auto member = [&](std::string_view name) -> http::JsonTextWriter& {
    for (; next_extra != extra.end() && next_extra->first < name; ++next_extra) {
      out.Key(next_extra->first).String(next_extra->second);
    }
    assert(next_extra == extra.end() || next_extra->first != name);
    return out.Key(name);
  };
  member("amount");
  WriteMoney(out, view.amount);
  member("created_at").String(StampOf(stamp, view.created_ms).iso);
  member("created_ms").Int(view.created_ms);
  member("direction").String(direction);
  if (!view.error_code.empty()) {
    Message why = MessageFor(view.error_code);
    member("error").BeginObject();
    out.Key("code").String(view.error_code);
    out.Key("message_ar").String(why.ar);
    out.Key("message_en").String(why.en);
    out.EndObject();
  }
  member("fee");
  WriteMoney(out, direction == "out" ? view.fee : 0);
  member("ir").String(view.ir);
  member("note").String(view.note);
  member("payee").BeginObject();
  out.Key("kind").String(ipn::PayeeKindName(view.payee_kind));
  out.Key("masked_name_ar").String(view.payee_masked_name_ar);
  out.Key("masked_name_en").String(view.payee_masked_name_en);
  out.Key("participant").String(view.payee_participant);
  out.Key("participant_name_ar").String(payee_bank.ar);
  out.Key("participant_name_en").String(payee_bank.en);
  out.EndObject();
  member("payer").BeginObject();
  out.Key("participant").String(view.payer_participant);
  out.Key("participant_name_ar").String(payer_bank.ar);
  out.Key("participant_name_en").String(payer_bank.en);
  out.EndObject();
  member("returns_by");
  if (view.hold_expires_ms > 0 && !ipn::IsFinal(view.state)) {
    out.String(FormatCairoIso(FromMs(view.hold_expires_ms)));
  } else {
    out.Null();
  }
  member("state").String(state);
  member("summary_ar").String(summary.ar);
  member("summary_en").String(summary.en);
  member("timeline").BeginArray();
  for (const ipn::TimelineEntry& entry : view.timeline) {
    const Stamp& at = StampOf(stamp, entry.at_ms);
    Message line = TimelineLine(entry, at.clock, payer_bank, payee_bank);
    out.BeginObject();
    out.Key("at").String(at.iso);
    out.Key("at_ms").Int(entry.at_ms);
    out.Key("event").String(entry.event);
    out.Key("state").String(ipn::StateName(entry.state));
    out.Key("text_ar").String(line.ar);
    out.Key("text_en").String(line.en);
    out.EndObject();
  }
  out.EndArray();
  member("updated_ms").Int(view.updated_ms);
  for (; next_extra != extra.end(); ++next_extra) out.Key(next_extra->first).String(next_extra->second);
  out.EndObject();
  return out.Take();
}

// ---- paying: shared by send, collect, bills and donations


Result<ipn::TransactionView> AppImpl::Pay(const http::Request& request, const Caller& caller, const PaymentOrder& order) {
  auto payment = StartPayment(request, caller, order);
  if (!payment) return payment.error();
  return FinishPayment(**payment, network_.Send((*payment)->send));
}

Result<std::shared_ptr<AppImpl::StartedPayment>> AppImpl::StartPayment(const http::Request& request,
                                                                      const Caller& caller,
                                                                      const PaymentOrder& order, bool may_block,
                                                                      std::unique_ptr<store::Transaction>* keep_reads) {
  assert(keep_reads == nullptr || !may_block);
  // What the payment needs to know about the payer, read in one snapshot
  // (one read transaction instead of three: each new one re-reads its pages
  // after every commit). The checks then run in their old order: PIN first.
  CustomerRow customer;
  std::string account_id = order.from_account_id;
  std::optional<LinkedAccountRef> account;
  bool frozen = false;
  auto tx = store_.Begin(store::Mode::kRead);
  if (!tx) return tx.error();
  auto loaded = LoadCustomer(**tx, caller.customer_id, false);
  if (!loaded) return loaded.error();
  customer = std::move(*loaded);
  if (account_id.empty()) account_id = customer.default_account;
  // The customer (or an agent) froze outgoing payments on a security case:
  // every payment path (send, collect acceptance, bills, donations) comes
  // through here, so one check covers them all.
  if (options_.transfers_frozen) {
    auto is_frozen = options_.transfers_frozen(**tx, caller.customer_id);
    if (!is_frozen) return is_frozen.error();
    frozen = *is_frozen;
  }
  auto linked = FindLinkedAccount(**tx, caller.customer_id, account_id);
  if (!linked) return linked.error();
  account = std::move(*linked);
  // A PIN check that may write must not do so with this snapshot open.
  if (keep_reads == nullptr) tx->reset();
  // Before the rate limit counts this try: the try that follows on a
  // blocking thread counts it once.
  if (!may_block && !PinAnswersQuickly(customer, order.pin)) return Error("app.would_block");
  if (!RateLimit(request, "pin", options_.pin_per_minute, caller.token_hash)) return Error("app.rate_limited");
  auto verified = VerifyPinOf(customer, order.pin);
  if (!verified) return verified.error();
  if (verified->state != "active") return Error("app.customer_suspended");
  if (frozen) return Error("app.transfers_frozen");
  if (!account) return Error("app.account_not_found");
  auto payment = std::make_shared<StartedPayment>();
  payment->customer_id = caller.customer_id;
  payment->account_id = account_id;
  payment->order = order;
  ipn::SendRequest& send = payment->send;
  send.user_id = caller.customer_id;
  // Without the client's own id, one of ours, in time order: the switch's
  // unique (user, client request id) index then takes each send at the end
  // of the user's range, on a page it just wrote, instead of on a random
  // one. Random ids missed the writer's page cache once the index outgrew
  // it (docs/api.md, session 9).
  send.client_request_id = order.client_request_id.empty() ? TimeOrderedId("r_") : order.client_request_id;
  send.payer_participant = account->participant;
  send.payer_account = account->account_number;
  auto kind = ipn::ParsePayeeKind(order.payee_kind);
  if (!kind) return Error("app.payee_kind_invalid", order.payee_kind);
  send.payee = ipn::PayeeId{*kind, order.payee_value, order.payee_participant};
  send.amount = order.amount;
  send.channel = "app";
  send.note = order.note;
  // The payer's history row: inside the switch's own commit when it decides
  // the send in one step (with the payer's notice on it), else right after.
  // The switch's outbox writer adds the payee's side and the other
  // notifications (see StoreNotification).
  // The payment owns the request, so a raw pointer is enough: whoever sends
  // it keeps the payment alive until the switch has answered.
  StartedPayment* raw = payment.get();
  send.record_with_outcome = [this, raw](store::Transaction& tx, const ipn::TransactionView& view,
                                         const ipn::Notification& payer_notice) {
    raw->recorded_with_send = true;
    return WritePayerHistory(tx, *raw, view, payer_notice.kind);
  };
  if (keep_reads != nullptr) *keep_reads = std::move(*tx);
  return payment;
}

// `notice`: the payer's notice when the switch hands it over with the
// outcome (filed on this row, as StoreNotification would), else "".
Status AppImpl::WritePayerHistory(store::Transaction& tx, const StartedPayment& payment,
                                  const ipn::TransactionView& view, const std::string& notice) {
  auto ir = IrReference::Parse(view.ir);
  if (!ir) return ir.error();
  const PaymentOrder& order = payment.order;
  std::string counterparty = order.counterparty.empty() ? view.payee_identifier : order.counterparty;
  std::string counterparty_name = view.payee_masked_name_en.empty() ? view.payee_masked_name_ar : view.payee_masked_name_en;
  return Done(tx.Execute(
      "INSERT INTO app_activity (customer_id, ir, direction, type, amount, fee, account_id, counterparty, "
      "counterparty_name, note, created_at, notice) VALUES ($1, $2, 'out', $3, $4, $5, $6, $7, $8, $9, $10, $11) "
      "ON CONFLICT (customer_id, created_at, ir, direction) DO NOTHING",
      Params({payment.customer_id, view.ir, order.type, view.amount, view.fee, payment.account_id, counterparty,
              counterparty_name, order.note, HistorySecond(*ir), notice})));
}

// On a thread that may wait for the app's writer: never the switch's writer.
Result<ipn::TransactionView> AppImpl::FinishPayment(StartedPayment& payment, Result<ipn::TransactionView> view) {
  if (!view) return view.error();
  if (!payment.recorded_with_send) {
    Status recorded = writer_.Run([&](store::Transaction& tx) { return WritePayerHistory(tx, payment, *view, ""); });
    if (!recorded) spdlog::error("app: history row for {} not written: {}", view->ir, recorded.error().code);
  }
  return view;
}

http::Response AppImpl::PaymentResponse(const Result<ipn::TransactionView>& view) {
  if (!view) return http::ErrorResponse(StatusForPaymentError(view.error()), view.error());
  return http::JsonTextResponse(TransactionText(network_, *view, "out"), 201);
}

// ---- handlers

http::Response AppImpl::Lookup(http::Request& request) {
  APP_TRY_RESPONSE(caller, Authenticate(request));
  APP_TRY_RESPONSE(body, http::ParseJsonObject(request));
  if (auto fields = http::CheckFields(*body, {"kind", "value", "participant"}); !fields) return http::ErrorResponse(fields.error());
  APP_TRY_RESPONSE(payee, ParsePayee(*body));
  // Lookups reveal (masked) names: budgeted per token so nobody walks the
  // number space.
  if (!RateLimit(request, "lookup", options_.login_per_minute * 6, caller->token_hash)) {
    return http::ErrorResponse(429, Error("app.rate_limited"));
  }
  auto found = network_.Lookup(*payee);
  if (!found) return http::ErrorResponse(StatusForPaymentError(found.error()), found.error());
  return http::Json({{"participant", found->participant},
                     {"participant_name_ar", found->participant_name_ar},
                     {"participant_name_en", found->participant_name_en},
                     {"masked_name_ar", found->masked_name_ar},
                     {"masked_name_en", found->masked_name_en}});
}

http::Response AppImpl::Send(http::Request& request) {
  APP_TRY_RESPONSE(caller, Authenticate(request));
  APP_TRY_RESPONSE(body, http::ParseJsonObject(request));
  if (auto fields = http::CheckFields(*body, {"kind", "value", "participant", "amount", "pin", "from_account_id",
                                              "note", "client_request_id"});
      !fields) {
    return http::ErrorResponse(fields.error());
  }
  PaymentOrder order;
  order.type = "transfer";
  APP_TRY_RESPONSE(payee, ParsePayee(*body));
  APP_TRY_RESPONSE(amount, ParseAmount(*body));
  APP_TRY_RESPONSE(pin, http::StringField(*body, "pin"));
  APP_TRY_RESPONSE(note, OptionalNote(*body));
  Error error;
  order.from_account_id = http::OptionalStringField(*body, "from_account_id", &error).value_or("");
  order.client_request_id = http::OptionalStringField(*body, "client_request_id", &error).value_or("");
  if (!error.code.empty()) return http::ErrorResponse(error);
  if (order.client_request_id.size() > kMaxClientRequestIdBytes) {
    return http::ErrorResponse(Error("app.client_request_id_invalid"));
  }
  order.payee_kind = std::string(ipn::PayeeKindName(payee->kind));
  order.payee_value = payee->value;
  order.payee_participant = payee->participant;
  order.amount = *amount;
  order.pin = *pin;
  order.note = *note;
  // This route runs on the server's event loop (AddNonBlocking): it reads,
  // and hands everything that would wait elsewhere.
  std::unique_ptr<store::Transaction> reads;  // the payer's snapshot, for the switch to read in too
  auto payment = StartPayment(request, *caller, order, /*may_block=*/false, &reads);
  if (!payment && payment.error().code == "app.would_block") {
    // argon2id or a PIN failure to count: the whole payment on a blocking thread.
    return http::Response::Blocking([this, request, caller = *caller, order] {
      return PaymentResponse(Pay(request, caller, order));
    });
  }
  if (!payment) return PaymentResponse(payment.error());
  // The switch's writer answers when the group commit is durable; the
  // connection's thread does not wait for it, so a commit carries as many
  // sends as are in flight, whatever the number of server threads. The
  // answer and the Reply may come in either order.
  struct Answer {
    std::mutex mutex;
    std::optional<Result<ipn::TransactionView>> view;
    http::Reply reply;
  };
  auto answer = std::make_shared<Answer>();
  auto deliver = [this, payment = *payment](const http::Reply& reply, Result<ipn::TransactionView> view) {
    // Made on the connection's thread. FinishPayment writes the payer's row
    // only when the switch did not (a retry, answered with its twin's
    // transaction): then it waits for a commit, on the blocking pool.
    reply([this, payment, view = std::move(view)]() mutable {
      if (view && !payment->recorded_with_send) {
        return http::Response::Blocking([this, payment, view = std::move(view)]() mutable {
          return PaymentResponse(FinishPayment(*payment, std::move(view)));
        });
      }
      // The send's own outcome (or the writer's refusal), told once its
      // commit is durable and read from nothing since: no need to wait for
      // later commits to be durable too.
      http::Response response = PaymentResponse(FinishPayment(*payment, std::move(view)));
      response.durable = true;
      return response;
    });
  };
  std::shared_ptr<const ipn::SendRequest> send(*payment, &(*payment)->send);
  const bool started = network_.SendAsync(std::move(send), [answer, deliver](Result<ipn::TransactionView> view) {
    std::unique_lock lock(answer->mutex);
    if (!answer->reply) {
      answer->view = std::move(view);
      return;
    }
    http::Reply reply = std::move(answer->reply);
    lock.unlock();
    deliver(reply, std::move(view));
  }, reads.get());
  reads.reset();  // before anything below may wait for a writer
  if (!started) {
    // The step-by-step path: institutions called one by one, several commits.
    return http::Response::Blocking([this, payment = *payment] {
      return PaymentResponse(FinishPayment(*payment, network_.Send(payment->send)));
    });
  }
  {
    std::unique_lock lock(answer->mutex);
    if (answer->view) {
      // Answered at once, on this thread: a refused check, or a replay of an
      // earlier request, whose history row FinishPayment writes again if
      // missing (a commit to wait for: on the blocking pool).
      Result<ipn::TransactionView> view = std::move(*answer->view);
      lock.unlock();
      if (!view) return PaymentResponse(view);
      return http::Response::Blocking([this, payment = *payment, view = std::move(view)]() mutable {
        return PaymentResponse(FinishPayment(*payment, std::move(view)));
      });
    }
  }
  return http::Response::Later([answer, deliver](http::Reply reply) {
    std::unique_lock lock(answer->mutex);
    if (!answer->view) {
      answer->reply = std::move(reply);
      return;
    }
    Result<ipn::TransactionView> view = std::move(*answer->view);
    lock.unlock();
    deliver(reply, std::move(view));
  });
}

http::Response AppImpl::Limits(http::Request& request) {
  APP_TRY_RESPONSE(caller, Authenticate(request));
  auto usage = network_.GetUsage(caller->customer_id, "app");
  if (!usage) return http::ErrorResponse(usage.error());
  return http::Json({{"per_transaction", MoneyJson(usage->limits.per_transaction)},
                     {"daily", MoneyJson(usage->limits.daily)},
                     {"monthly", MoneyJson(usage->limits.monthly)},
                     {"used_today", MoneyJson(usage->used_today)},
                     {"used_this_month", MoneyJson(usage->used_this_month)},
                     {"left_today", MoneyJson(usage->left_today)},
                     {"left_this_month", MoneyJson(usage->left_this_month)}});
}

http::Response AppImpl::History(http::Request& request) {
  APP_TRY_RESPONSE(caller, Authenticate(request));
  // Filters: from/to (Unix seconds, inclusive), type, status, direction, limit.
  std::string sql =
      "SELECT ir, direction, type, counterparty, counterparty_name, account_id, created_at FROM app_activity "
      "WHERE customer_id = $1";
  std::vector<Value> params = {caller->customer_id};
  int64_t from = -1, to = -1, limit = 50;
  for (auto [name, out] : {std::pair{"from", &from}, std::pair{"to", &to}, std::pair{"limit", &limit}}) {
    if (auto parsed = QueryNumber(request, name, out); !parsed) return http::ErrorResponse(parsed.error());
  }
  if (limit < 1 || limit > 200) return http::ErrorResponse(Error("http.bad_query", "limit"));
  if (from >= 0) {
    params.push_back(from);
    sql += " AND created_at >= $" + std::to_string(params.size());
  }
  if (to >= 0) {
    params.push_back(to);
    sql += " AND created_at <= $" + std::to_string(params.size());
  }
  if (auto type = request.Query("type")) {
    if (*type != "transfer" && *type != "collect" && *type != "bill" && *type != "donation") {
      return http::ErrorResponse(Error("http.bad_query", "type"));
    }
    params.push_back(*type);
    sql += " AND type = $" + std::to_string(params.size());
  }
  if (auto direction = request.Query("direction")) {
    if (*direction != "in" && *direction != "out") return http::ErrorResponse(Error("http.bad_query", "direction"));
    params.push_back(*direction);
    sql += " AND direction = $" + std::to_string(params.size());
  }
  std::optional<ipn::TransferState> status;
  if (auto text = request.Query("status")) {
    status = ipn::ParseState(*text);
    if (!status) return http::ErrorResponse(Error("http.bad_query", "status"));
  }
  // The state lives in the switch (it changes after the fact: reconciliation,
  // reversals); a status filter reads a wider window and filters here.
  sql += " ORDER BY created_at DESC, ir DESC LIMIT " + std::to_string(status ? 1000 : limit);
  auto rows = store_.Execute(sql, params, store::Mode::kRead);
  if (!rows) return http::ErrorResponse(rows.error());
  json items = json::array();
  for (const store::Row& row : rows->rows) {
    if (static_cast<int64_t>(items.size()) >= limit) break;
    auto view = network_.GetTransaction(store::AsText(row[0]));
    if (!view) continue;  // not visible at the switch (yet): skip rather than show a guess
    if (status && view->state != *status) continue;
    std::string direction = store::AsText(row[1]);
    items.push_back({{"ir", view->ir},
                     {"direction", direction},
                     {"type", store::AsText(row[2])},
                     {"state", ipn::StateName(view->state)},
                     {"amount", MoneyJson(view->amount)},
                     {"fee", MoneyJson(direction == "out" ? view->fee : 0)},
                     {"counterparty", store::AsText(row[3])},
                     {"counterparty_name", store::AsText(row[4])},
                     {"account_id", store::AsText(row[5])},
                     {"created_at", FormatCairoIso(FromMs(view->created_ms))},
                     {"created_ms", view->created_ms}});
  }
  return http::Json({{"transactions", items}});
}

http::Response AppImpl::TransactionDetail(http::Request& request) {
  APP_TRY_RESPONSE(caller, Authenticate(request));
  auto ir = IrReference::Parse(request.Param("ir"));
  if (!ir) return http::ErrorResponse(ir.error());
  // Only the customer's own transactions: anything else is "not found",
  // never "forbidden", so references cannot be probed.
  auto rows = store_.Execute(
      "SELECT direction, type FROM app_activity WHERE customer_id = $1 AND created_at = $2 AND ir = $3 "
      "ORDER BY direction DESC",
      Params({caller->customer_id, HistorySecond(*ir), ir->str()}), store::Mode::kRead);
  if (!rows) return http::ErrorResponse(rows.error());
  if (rows->rows.empty()) return http::ErrorResponse(404, Error("app.transaction_not_found"));
  auto view = network_.GetTransaction(ir->str());
  if (!view) return http::ErrorResponse(view.error());
  const std::string type = store::AsText(rows->rows[0][1]);
  return http::JsonTextResponse(TransactionText(network_, *view, store::AsText(rows->rows[0][0]), {{"type", type}}));
}

}  // namespace lahza::app
