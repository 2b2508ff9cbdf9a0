// Request money (collect), bill payment and donations: each ends in a
// payment through the switch (AppImpl::Pay) with its own IR reference.
#include <spdlog/spdlog.h>

#include "app/internal.h"
#include "core/mobile.h"
#include "core/money.h"
#include "ipn/switch.h"

namespace lahza::app {

namespace {

constexpr int64_t kCollectTtlSeconds = 7 * 24 * 3600;

json CollectJson(const store::Row& row, const std::string& viewer) {
  // id, requester_id, payer_id, amount, note, state, ir, created_at, decided_at, requester name, payer name
  bool incoming = store::AsText(row[2]) == viewer;
  return {{"id", store::AsText(row[0])},
          {"role", incoming ? "payer" : "requester"},
          {"amount", MoneyJson(store::AsInt(row[3]))},
          {"note", store::AsText(row[4])},
          {"state", store::AsText(row[5])},
          {"ir", store::AsText(row[6]).empty() ? json(nullptr) : json(store::AsText(row[6]))},
          {"created_at", store::AsInt(row[7])},
          {"decided_at", store::AsInt(row[8]) == 0 ? json(nullptr) : json(store::AsInt(row[8]))},
          {"counterparty_name", incoming ? MaskName(store::AsText(row[9])) : MaskName(store::AsText(row[10]))}};
}

constexpr const char* kCollectSelect =
    "SELECT k.id, k.requester_id, k.payer_id, k.amount, k.note, k.state, k.ir, k.created_at, k.decided_at, "
    "r.name_en, p.name_en FROM app_collects k JOIN app_customers r ON r.id = k.requester_id "
    "JOIN app_customers p ON p.id = k.payer_id";

Status PaymentFields(const json& body, PaymentOrder* order) {
  auto pin = http::StringField(body, "pin");
  if (!pin) return pin.error();
  order->pin = *pin;
  Error error;
  order->from_account_id = http::OptionalStringField(body, "from_account_id", &error).value_or("");
  order->client_request_id = http::OptionalStringField(body, "client_request_id", &error).value_or("");
  if (!error.code.empty()) return error;
  if (order->client_request_id.size() > 64) return Error("app.client_request_id_invalid");
  return {};
}

}  // namespace

http::Response AppImpl::CreateCollect(http::Request& request) {
  APP_TRY_RESPONSE(caller, Authenticate(request));
  APP_TRY_RESPONSE(body, http::ParseJsonObject(request));
  if (auto fields = http::CheckFields(*body, {"payer_mobile", "amount", "note"}); !fields) {
    return http::ErrorResponse(fields.error());
  }
  APP_TRY_RESPONSE(mobile_text, http::StringField(*body, "payer_mobile"));
  APP_TRY_RESPONSE(mobile, MobileNumber::Parse(*mobile_text));
  APP_TRY_RESPONSE(amount, ParseAmount(*body));
  APP_TRY_RESPONSE(note, OptionalNote(*body));
  if (!RateLimit(request, "collect", options_.login_per_minute, caller->token_hash)) {
    return http::ErrorResponse(429, Error("app.rate_limited"));
  }
  auto tx = store_.Begin();
  if (!tx) return http::ErrorResponse(tx.error());
  APP_TRY_RESPONSE(payer, FindCustomerByMobile(**tx, mobile->e164()));
  if (!payer->has_value() || (*payer)->state != "active") return http::ErrorResponse(404, Error("app.payer_not_found"));
  if ((*payer)->id == caller->customer_id) return http::ErrorResponse(Error("app.collect_from_self"));
  APP_TRY_RESPONSE(requester, LoadCustomer(**tx, caller->customer_id, false));
  if (requester->default_account.empty()) return http::ErrorResponse(Error("app.account_not_found"));
  std::string id = NewId("k_");
  auto inserted = (*tx)->Execute(
      "INSERT INTO app_collects (id, requester_id, payer_id, amount, note, state, ir, created_at, decided_at) "
      "VALUES ($1, $2, $3, $4, $5, 'pending', '', $6, 0)",
      Params({id, caller->customer_id, (*payer)->id, *amount, *note, Now()}));
  if (!inserted) return http::ErrorResponse(inserted.error());
  Money money = Money::FromPiastres(*amount);
  if (auto notified = Notify(**tx, (*payer)->id, "collect", "app.notify.collect_requested",
                             {{"name", MaskName(requester->name_en)}, {"amount", money.ToEnglish()}, {"amount_ar", money.ToArabic()}}, "");
      !notified) {
    return http::ErrorResponse(notified.error());
  }
  if (auto committed = (*tx)->Commit(); !committed) return http::ErrorResponse(committed.error());
  return http::Json({{"id", id}, {"state", "pending"}, {"amount", MoneyJson(*amount)}}, 201);
}

http::Response AppImpl::ListCollects(http::Request& request) {
  APP_TRY_RESPONSE(caller, Authenticate(request));
  auto rows = store_.Execute(std::string(kCollectSelect) +
                                 " WHERE k.requester_id = $1 OR k.payer_id = $1 ORDER BY k.created_at DESC LIMIT 100",
                             Params({caller->customer_id}), store::Mode::kRead);
  if (!rows) return http::ErrorResponse(rows.error());
  json items = json::array();
  for (const store::Row& row : rows->rows) items.push_back(CollectJson(row, caller->customer_id));
  return http::Json({{"collects", items}});
}

http::Response AppImpl::AcceptCollect(http::Request& request) {
  APP_TRY_RESPONSE(caller, Authenticate(request));
  APP_TRY_RESPONSE(body, http::ParseJsonObject(request));
  if (auto fields = http::CheckFields(*body, {"pin", "from_account_id", "client_request_id"}); !fields) {
    return http::ErrorResponse(fields.error());
  }
  PaymentOrder order;
  if (auto parsed = PaymentFields(*body, &order); !parsed) return http::ErrorResponse(parsed.error());
  const std::string& id = request.Param("id");
  std::string requester_id, requester_name;
  {
    // Claim the request first (pending -> paying) so two taps pay once.
    auto tx = store_.Begin();
    if (!tx) return http::ErrorResponse(tx.error());
    auto rows = (*tx)->Execute(std::string(kCollectSelect) + " WHERE k.id = $1 AND k.payer_id = $2",
                               Params({id, caller->customer_id}));
    if (!rows) return http::ErrorResponse(rows.error());
    if (rows->rows.empty()) return http::ErrorResponse(404, Error("app.collect_not_found"));
    const store::Row& row = rows->rows[0];
    if (store::AsText(row[5]) != "pending") return http::ErrorResponse(409, Error("app.collect_not_pending"));
    if (store::AsInt(row[7]) + kCollectTtlSeconds < Now()) return http::ErrorResponse(409, Error("app.collect_expired"));
    requester_id = store::AsText(row[1]);
    requester_name = store::AsText(row[9]);
    order.amount = store::AsInt(row[3]);
    order.note = store::AsText(row[4]);
    auto claimed = (*tx)->Execute("UPDATE app_collects SET state = 'paying' WHERE id = $1 AND state = 'pending'",
                                  Params({id}));
    if (!claimed) return http::ErrorResponse(claimed.error());
    auto account = (*tx)->Execute(
        "SELECT a.participant, a.account_number FROM app_customers c JOIN app_accounts a ON a.id = c.default_account "
        "WHERE c.id = $1",
        Params({requester_id}));
    if (!account) return http::ErrorResponse(account.error());
    if (account->rows.empty()) return http::ErrorResponse(Error("app.account_not_found"));
    order.payee_kind = "account";
    order.payee_participant = store::AsText(account->rows[0][0]);
    order.payee_value = store::AsText(account->rows[0][1]);
    if (auto committed = (*tx)->Commit(); !committed) return http::ErrorResponse(committed.error());
  }
  order.type = "collect";
  order.counterparty = MaskName(requester_name);
  auto view = Pay(request, *caller, order);
  // Settled either way: paid (with the IR reference, whatever the transfer's
  // later fate) or back to pending when the payment never started.
  std::string state = view ? "accepted" : "pending";
  auto updated = store_.Execute("UPDATE app_collects SET state = $1, ir = $2, decided_at = $3 WHERE id = $4",
                                Params({state, view ? view->ir : std::string(), view ? Now() : int64_t{0}, id}));
  if (!updated) spdlog::error("app: collect {} not updated: {}", id, updated.error().code);
  return PaymentResponse(view);
}

http::Response AppImpl::DeclineCollect(http::Request& request) {
  APP_TRY_RESPONSE(caller, Authenticate(request));
  const std::string& id = request.Param("id");
  auto tx = store_.Begin();
  if (!tx) return http::ErrorResponse(tx.error());
  auto rows = (*tx)->Execute("SELECT requester_id, state, amount FROM app_collects WHERE id = $1 AND payer_id = $2",
                             Params({id, caller->customer_id}));
  if (!rows) return http::ErrorResponse(rows.error());
  if (rows->rows.empty()) return http::ErrorResponse(404, Error("app.collect_not_found"));
  if (store::AsText(rows->rows[0][1]) != "pending") return http::ErrorResponse(409, Error("app.collect_not_pending"));
  auto updated = (*tx)->Execute("UPDATE app_collects SET state = 'declined', decided_at = $1 WHERE id = $2",
                                Params({Now(), id}));
  if (!updated) return http::ErrorResponse(updated.error());
  Money money = Money::FromPiastres(store::AsInt(rows->rows[0][2]));
  if (auto notified = Notify(**tx, store::AsText(rows->rows[0][0]), "collect", "app.notify.collect_declined",
                             {{"amount", money.ToEnglish()}, {"amount_ar", money.ToArabic()}}, "");
      !notified) {
    return http::ErrorResponse(notified.error());
  }
  if (auto committed = (*tx)->Commit(); !committed) return http::ErrorResponse(committed.error());
  return http::Json({{"id", id}, {"state", "declined"}});
}

http::Response AppImpl::ListBillers(http::Request& request) {
  APP_TRY_RESPONSE(caller, Authenticate(request));
  auto rows = store_.Execute("SELECT code, category, name_ar, name_en FROM app_billers WHERE active = 1 ORDER BY category, code",
                             {}, store::Mode::kRead);
  if (!rows) return http::ErrorResponse(rows.error());
  json items = json::array();
  for (const store::Row& row : rows->rows) {
    items.push_back({{"code", store::AsText(row[0])},
                     {"category", store::AsText(row[1])},
                     {"name_ar", store::AsText(row[2])},
                     {"name_en", store::AsText(row[3])}});
  }
  return http::Json({{"billers", items}});
}

namespace {
struct Bill {
  std::string biller_name_en, biller_name_ar, participant, account_number, period;
  int64_t amount = 0, due_at = 0;
  std::string paid_ir;
};

Result<Bill> FindBill(store::Transaction& tx, const std::string& biller, const std::string& subscriber) {
  auto rows = tx.Execute(
      "SELECT b.name_en, b.name_ar, b.participant, b.account_number, l.period, l.amount, l.due_at, l.paid_ir "
      "FROM app_billers b JOIN app_bills l ON l.biller = b.code WHERE b.code = $1 AND l.subscriber = $2 AND b.active = 1",
      Params({biller, subscriber}));
  if (!rows) return rows.error();
  if (rows->rows.empty()) return Error("app.bill_not_found");
  const store::Row& row = rows->rows[0];
  return Bill{store::AsText(row[0]), store::AsText(row[1]), store::AsText(row[2]), store::AsText(row[3]),
              store::AsText(row[4]), store::AsInt(row[5]), store::AsInt(row[6]), store::AsText(row[7])};
}
}  // namespace

http::Response AppImpl::BillInquiry(http::Request& request) {
  APP_TRY_RESPONSE(caller, Authenticate(request));
  APP_TRY_RESPONSE(body, http::ParseJsonObject(request));
  if (auto fields = http::CheckFields(*body, {"biller", "subscriber"}); !fields) return http::ErrorResponse(fields.error());
  APP_TRY_RESPONSE(biller, http::StringField(*body, "biller"));
  APP_TRY_RESPONSE(subscriber, http::StringField(*body, "subscriber"));
  auto tx = store_.Begin(store::Mode::kRead);
  if (!tx) return http::ErrorResponse(tx.error());
  auto bill = FindBill(**tx, *biller, *subscriber);
  if (!bill) return http::ErrorResponse(404, bill.error());
  return http::Json({{"biller", *biller},
                     {"biller_name_ar", bill->biller_name_ar},
                     {"biller_name_en", bill->biller_name_en},
                     {"subscriber", *subscriber},
                     {"period", bill->period},
                     {"amount", MoneyJson(bill->amount)},
                     {"due_at", bill->due_at},
                     {"paid", !bill->paid_ir.empty()}});
}

http::Response AppImpl::PayBill(http::Request& request) {
  APP_TRY_RESPONSE(caller, Authenticate(request));
  APP_TRY_RESPONSE(body, http::ParseJsonObject(request));
  if (auto fields = http::CheckFields(*body, {"biller", "subscriber", "pin", "from_account_id", "client_request_id"});
      !fields) {
    return http::ErrorResponse(fields.error());
  }
  APP_TRY_RESPONSE(biller, http::StringField(*body, "biller"));
  APP_TRY_RESPONSE(subscriber, http::StringField(*body, "subscriber"));
  PaymentOrder order;
  if (auto parsed = PaymentFields(*body, &order); !parsed) return http::ErrorResponse(parsed.error());
  std::string claim = "paying:" + NewId("");
  {
    // Claim the bill so it is paid once even if two phones pay it at once.
    auto tx = store_.Begin();
    if (!tx) return http::ErrorResponse(tx.error());
    auto bill = FindBill(**tx, *biller, *subscriber);
    if (!bill) return http::ErrorResponse(404, bill.error());
    if (!bill->paid_ir.empty()) return http::ErrorResponse(409, Error("app.bill_already_paid"));
    auto claimed = (*tx)->Execute("UPDATE app_bills SET paid_ir = $1 WHERE biller = $2 AND subscriber = $3 AND paid_ir = ''",
                                  Params({claim, *biller, *subscriber}));
    if (!claimed) return http::ErrorResponse(claimed.error());
    if (claimed->affected != 1) return http::ErrorResponse(409, Error("app.bill_already_paid"));
    if (auto committed = (*tx)->Commit(); !committed) return http::ErrorResponse(committed.error());
    order.amount = bill->amount;
    order.payee_kind = "account";
    order.payee_participant = bill->participant;
    order.payee_value = bill->account_number;
    order.counterparty = bill->biller_name_en;
    order.note = *biller + " " + *subscriber + " " + bill->period;
  }
  order.type = "bill";
  auto view = Pay(request, *caller, order);
  // A bill stays paid once money has moved or may still move (pending);
  // it is released again when the payment failed outright.
  bool release = !view || view->state == ipn::TransferState::kFailed || view->state == ipn::TransferState::kRejected;
  auto updated = store_.Execute("UPDATE app_bills SET paid_ir = $1 WHERE biller = $2 AND subscriber = $3 AND paid_ir = $4",
                                Params({release ? std::string() : view->ir, *biller, *subscriber, claim}));
  if (!updated) spdlog::error("app: bill {} {} not updated: {}", *biller, *subscriber, updated.error().code);
  return PaymentResponse(view);
}

http::Response AppImpl::ListCharities(http::Request& request) {
  APP_TRY_RESPONSE(caller, Authenticate(request));
  auto rows = store_.Execute("SELECT code, name_ar, name_en FROM app_charities WHERE active = 1 ORDER BY code", {},
                             store::Mode::kRead);
  if (!rows) return http::ErrorResponse(rows.error());
  json items = json::array();
  for (const store::Row& row : rows->rows) {
    items.push_back({{"code", store::AsText(row[0])}, {"name_ar", store::AsText(row[1])}, {"name_en", store::AsText(row[2])}});
  }
  return http::Json({{"charities", items}});
}

http::Response AppImpl::Donate(http::Request& request) {
  APP_TRY_RESPONSE(caller, Authenticate(request));
  APP_TRY_RESPONSE(body, http::ParseJsonObject(request));
  if (auto fields = http::CheckFields(*body, {"charity", "amount", "pin", "from_account_id", "client_request_id"});
      !fields) {
    return http::ErrorResponse(fields.error());
  }
  APP_TRY_RESPONSE(charity, http::StringField(*body, "charity"));
  APP_TRY_RESPONSE(amount, ParseAmount(*body));
  PaymentOrder order;
  if (auto parsed = PaymentFields(*body, &order); !parsed) return http::ErrorResponse(parsed.error());
  auto rows = store_.Execute("SELECT name_en, participant, account_number FROM app_charities WHERE code = $1 AND active = 1",
                             Params({*charity}), store::Mode::kRead);
  if (!rows) return http::ErrorResponse(rows.error());
  if (rows->rows.empty()) return http::ErrorResponse(404, Error("app.charity_not_found"));
  order.type = "donation";
  order.amount = *amount;
  order.payee_kind = "account";
  order.payee_participant = store::AsText(rows->rows[0][1]);
  order.payee_value = store::AsText(rows->rows[0][2]);
  order.counterparty = store::AsText(rows->rows[0][0]);
  order.note = "donation " + *charity;
  return PaymentResponse(Pay(request, *caller, order));
}

// The switch hands us every state change inside the transaction that makes
// it (its outbox writer): a received payment becomes the payee's history row,
// and each change a notice in the customer's own words. (The payer's notice
// of a send decided in one step comes instead with record_with_outcome, which
// files it on the payer's history row as Pay inserts it.) The first notice
// about a side of a send whose history row exists is filed on that row
// (app_activity.notice, listed by Notifications); others, and customers
// without such a row yet (a step-by-step send's payer until Pay writes it),
// get an app_notifications row of their own. Either way exactly one.
Status AppImpl::StoreNotification(store::Transaction& tx, const ipn::Notification& notification) {
  auto ir = IrReference::Parse(notification.ir);
  if (!ir) return ir.error();
  const int64_t second = HistorySecond(*ir);
  std::vector<std::string> unfiled;  // customers the notice still has to reach
  if (!notification.user_id.empty()) {  // the payer
    auto filed = tx.Execute(
        "UPDATE app_activity SET notice = $1 WHERE customer_id = $2 AND created_at = $3 AND ir = $4 "
        "AND direction = 'out' AND notice = ''",
        Params({notification.kind, notification.user_id, second, notification.ir}));
    if (!filed) return filed.error();
    if (filed->affected == 0) unfiled.push_back(notification.user_id);
  } else {
    auto rows = tx.Execute(
        "SELECT customer_id, id FROM app_accounts WHERE participant = $1 AND account_number = $2 AND unlinked_at = 0",
        Params({notification.participant, notification.account}));
    if (!rows) return rows.error();
    for (const store::Row& row : rows->rows) {
      std::string customer = store::AsText(row[0]);
      if (notification.kind == "received") {
        auto in = tx.Execute(
            "INSERT INTO app_activity (customer_id, ir, direction, type, amount, fee, account_id, counterparty, "
            "counterparty_name, note, created_at, notice) VALUES ($1, $2, 'in', 'transfer', $3, 0, $4, '', '', '', $5, "
            "'received') ON CONFLICT (customer_id, created_at, ir, direction) DO NOTHING",
            Params({customer, notification.ir, notification.amount, store::AsText(row[1]), second}));
        if (!in) return in.error();
        if (in->affected == 1) continue;  // filed on the new history row
      }
      unfiled.push_back(std::move(customer));
    }
  }
  for (const std::string& customer : unfiled) {
    auto exists = tx.Execute("SELECT 1 FROM app_customers WHERE id = $1", Params({customer}));
    if (!exists) return exists.error();
    if (exists->rows.empty()) continue;  // a payer outside the app (another channel)
    LAHZA_TRY(Notify(tx, customer, "transfer", TransferNoticeCode(notification.kind),
                     TransferNoticeValues(notification.amount, notification.ir), notification.ir));
  }
  return {};
}

}  // namespace lahza::app
