// Linked accounts (bank accounts, wallets, Meeza cards), the default account
// and IPAs.
#include <spdlog/spdlog.h>

#include "app/internal.h"
#include "core/card.h"
#include "core/iban.h"
#include "core/ipa.h"
#include "core/mobile.h"
#include "ipn/switch.h"

namespace lahza::app {

namespace {

std::string KindOf(ipn::ParticipantKind kind) {
  switch (kind) {
    case ipn::ParticipantKind::kBank: return "bank";
    case ipn::ParticipantKind::kWallet: return "wallet";
    case ipn::ParticipantKind::kCardIssuer: return "card";
  }
  return "bank";
}

json AccountJson(const store::Row& row, const std::string& default_id, const std::string& ipa) {
  std::string id = store::AsText(row[0]);
  return {{"id", id},
          {"kind", store::AsText(row[1])},
          {"participant", store::AsText(row[2])},
          {"account_number", store::AsText(row[3])},
          {"iban", store::AsText(row[4]).empty() ? json(nullptr) : json(store::AsText(row[4]))},
          {"card", store::AsText(row[5]).empty() ? json(nullptr) : json(store::AsText(row[5]))},
          {"holder_name", store::AsText(row[6])},
          {"linked_at", store::AsInt(row[7])},
          {"default", id == default_id},
          {"ipa", ipa.empty() ? json(nullptr) : json(ipa + "@instapay")}};
}

constexpr const char* kAccountColumns =
    "id, kind, participant, account_number, iban, card_masked, holder_name, linked_at";

}  // namespace

Result<VerifiedAccount> AppImpl::ResolveAccount(const std::string& mobile, const json& account) {
  LAHZA_TRY(http::CheckFields(account, {"participant", "account_number", "iban", "card_number", "wallet"}));
  const ipn::Directory& directory = network_.directory();
  Error error;
  auto participant_code = http::OptionalStringField(account, "participant", &error);
  auto account_number = http::OptionalStringField(account, "account_number", &error);
  auto iban_text = http::OptionalStringField(account, "iban", &error);
  auto card_text = http::OptionalStringField(account, "card_number", &error);
  auto wallet_text = http::OptionalStringField(account, "wallet", &error);
  if (!error.code.empty()) return error;
  int given = account_number.has_value() + iban_text.has_value() + card_text.has_value() + wallet_text.has_value();
  if (given != 1) return Error("app.account_identifier_required");

  VerifiedAccount out;
  const ipn::Participant* participant = nullptr;
  std::string number;
  if (account_number) {
    if (!participant_code) return Error("http.missing_field", "participant");
    participant = directory.Find(*participant_code);
    if (participant == nullptr) return Error("app.participant_unknown");
    number = *account_number;
  } else if (wallet_text) {
    auto wallet = MobileNumber::Parse(*wallet_text);
    if (!wallet) return wallet.error();
    participant = directory.ByWalletMobile(wallet->e164());
    if (participant == nullptr) return Error("app.participant_unknown");
    number = wallet->national();
  } else {
    ipn::AccountKey key;
    if (iban_text) {
      auto iban = Iban::Parse(*iban_text);
      if (!iban) return iban.error();
      auto parts = iban->egypt();
      if (!parts) return Error("app.iban_not_egyptian");
      participant = directory.ByBankCode(parts->bank_code);
      key = {ipn::AccountKeyKind::kIban, iban->electronic()};
    } else {
      auto card = CardNumber::Parse(*card_text);
      if (!card) return card.error();
      participant = directory.ByCardNumber(card->digits());
      key = {ipn::AccountKeyKind::kCardNumber, card->digits()};
      out.card_masked = card->masked();
    }
    if (participant == nullptr) return Error("app.participant_unknown");
    ipn::LocalInstitution* institution = network_.institution(participant->code);
    if (institution == nullptr) return Error("app.participant_unknown");
    auto found = institution->Lookup(key);
    if (!found) return found.error();
    number = found->account_number;
  }
  auto verified = network_.VerifyLink(participant->code, number, mobile);
  if (!verified) return verified.error();
  out.participant = participant->code;
  out.kind = card_text ? "card" : KindOf(participant->kind);
  out.account_number = verified->account_number;
  out.iban = verified->iban;
  if (out.card_masked.empty() && out.kind == "card" && !verified->card_number.empty()) {
    auto card = CardNumber::Parse(verified->card_number);
    if (card) out.card_masked = card->masked();
  }
  out.name_ar = verified->name_ar;
  out.name_en = verified->name_en;
  return out;
}

Result<std::string> AppImpl::InsertAccount(store::Transaction& tx, const std::string& customer_id,
                                           const VerifiedAccount& account) {
  std::string id = NewId("a_");
  auto inserted = tx.Execute(
      std::string("INSERT INTO app_accounts (") + kAccountColumns +
          ", customer_id, unlinked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0)",
      Params({id, account.kind, account.participant, account.account_number, account.iban, account.card_masked,
              account.name_en.empty() ? account.name_ar : account.name_en, Now(), customer_id}));
  if (!inserted) {
    if (inserted.error().code == "store.conflict") return Error("app.account_already_linked");
    return inserted.error();
  }
  return id;
}

http::Response AppImpl::ListAccounts(http::Request& request) {
  APP_TRY_RESPONSE(caller, Authenticate(request));
  auto tx = store_.Begin(store::Mode::kRead);
  if (!tx) return http::ErrorResponse(tx.error());
  APP_TRY_RESPONSE(customer, LoadCustomer(**tx, caller->customer_id, false));
  auto rows = (*tx)->Execute(std::string("SELECT ") + kAccountColumns +
                                 " FROM app_accounts WHERE customer_id = $1 AND unlinked_at = 0 ORDER BY linked_at, id",
                             Params({caller->customer_id}));
  if (!rows) return http::ErrorResponse(rows.error());
  auto ipas = (*tx)->Execute("SELECT account_id, name FROM app_ipas WHERE customer_id = $1", Params({caller->customer_id}));
  if (!ipas) return http::ErrorResponse(ipas.error());
  std::map<std::string, std::string> ipa_of;
  for (const store::Row& row : ipas->rows) ipa_of[store::AsText(row[0])] = store::AsText(row[1]);
  json items = json::array();
  for (const store::Row& row : rows->rows) {
    json item = AccountJson(row, customer->default_account, ipa_of[store::AsText(row[0])]);
    // The balance is the institution's answer, asked now; the app keeps none.
    if (ipn::LocalInstitution* institution = network_.institution(store::AsText(row[2]))) {
      auto available = institution->Available(store::AsText(row[3]));
      item["available"] = available ? json(*available) : json(nullptr);
    }
    items.push_back(std::move(item));
  }
  return http::Json({{"accounts", items}});
}

http::Response AppImpl::LinkAccount(http::Request& request) {
  APP_TRY_RESPONSE(caller, Authenticate(request));
  APP_TRY_RESPONSE(body, http::ParseJsonObject(request));
  CustomerRow customer;
  {
    auto tx = store_.Begin(store::Mode::kRead);
    if (!tx) return http::ErrorResponse(tx.error());
    APP_TRY_RESPONSE(loaded, LoadCustomer(**tx, caller->customer_id, false));
    customer = *loaded;
  }
  APP_TRY_RESPONSE(verified, ResolveAccount(customer.mobile, *body));
  auto tx = store_.Begin();
  if (!tx) return http::ErrorResponse(tx.error());
  APP_TRY_RESPONSE(fresh, LoadCustomer(**tx, caller->customer_id, true));
  auto id = InsertAccount(**tx, caller->customer_id, *verified);
  if (!id) return http::ErrorResponse(id.error().code == "app.account_already_linked" ? 409 : 500, id.error());
  bool make_default = fresh->default_account.empty();
  if (make_default) {
    auto updated = (*tx)->Execute("UPDATE app_customers SET default_account = $1 WHERE id = $2",
                                  Params({*id, caller->customer_id}));
    if (!updated) return http::ErrorResponse(updated.error());
  }
  if (auto notified = Notify(**tx, caller->customer_id, "account", "app.notify.account_linked",
                             {{"participant", verified->participant}}, "");
      !notified) {
    return http::ErrorResponse(notified.error());
  }
  if (auto committed = (*tx)->Commit(); !committed) return http::ErrorResponse(committed.error());
  if (make_default) {
    if (auto set = network_.SetDefaultAccount(customer.mobile, verified->participant, verified->account_number); !set) {
      spdlog::warn("app: default account not set at the switch: {}", set.error().code);
    }
  }
  return http::Json({{"id", *id},
                     {"kind", verified->kind},
                     {"participant", verified->participant},
                     {"account_number", verified->account_number},
                     {"default", make_default}},
                    201);
}

http::Response AppImpl::UnlinkAccount(http::Request& request) {
  APP_TRY_RESPONSE(caller, Authenticate(request));
  auto tx = store_.Begin();
  if (!tx) return http::ErrorResponse(tx.error());
  APP_TRY_RESPONSE(customer, LoadCustomer(**tx, caller->customer_id, true));
  const std::string& id = request.Param("id");
  auto rows = (*tx)->Execute("SELECT id FROM app_accounts WHERE customer_id = $1 AND unlinked_at = 0 ORDER BY linked_at, id",
                             Params({caller->customer_id}));
  if (!rows) return http::ErrorResponse(rows.error());
  bool mine = false;
  std::string other;
  for (const store::Row& row : rows->rows) {
    if (store::AsText(row[0]) == id) mine = true;
    else if (other.empty()) other = store::AsText(row[0]);
  }
  if (!mine) return http::ErrorResponse(404, Error("app.account_not_found"));
  if (other.empty()) return http::ErrorResponse(409, Error("app.last_account"));
  auto ipa = (*tx)->Execute("SELECT 1 FROM app_ipas WHERE account_id = $1", Params({id}));
  if (!ipa) return http::ErrorResponse(ipa.error());
  // An IPA is permanent and points at this account; unlinking would leave it dangling.
  if (!ipa->rows.empty()) return http::ErrorResponse(409, Error("app.account_has_ipa"));
  auto unlinked = (*tx)->Execute("UPDATE app_accounts SET unlinked_at = $1 WHERE id = $2", Params({Now(), id}));
  if (!unlinked) return http::ErrorResponse(unlinked.error());
  if (customer->default_account == id) {
    auto updated = (*tx)->Execute("UPDATE app_customers SET default_account = $1 WHERE id = $2",
                                  Params({other, caller->customer_id}));
    if (!updated) return http::ErrorResponse(updated.error());
  }
  if (auto committed = (*tx)->Commit(); !committed) return http::ErrorResponse(committed.error());
  if (customer->default_account == id) {
    auto account = store_.Execute("SELECT participant, account_number FROM app_accounts WHERE id = $1", Params({other}),
                                  store::Mode::kRead);
    if (account && !account->rows.empty()) {
      (void)network_.SetDefaultAccount(customer->mobile, store::AsText(account->rows[0][0]),
                                       store::AsText(account->rows[0][1]));
    }
  }
  return http::Json({{"unlinked", true}});
}

Result<std::optional<LinkedAccountRef>> AppImpl::FindLinkedAccount(store::Transaction& tx,
                                                                   const std::string& customer_id,
                                                                   const std::string& account_id) {
  auto rows = tx.Execute(
      "SELECT participant, account_number FROM app_accounts WHERE id = $1 AND customer_id = $2 AND unlinked_at = 0",
      Params({account_id, customer_id}));
  if (!rows) return rows.error();
  if (rows->rows.empty()) return std::optional<LinkedAccountRef>();
  return std::optional<LinkedAccountRef>(
      LinkedAccountRef{store::AsText(rows->rows[0][0]), store::AsText(rows->rows[0][1])});
}

http::Response AppImpl::SetDefaultAccount(http::Request& request) {
  APP_TRY_RESPONSE(caller, Authenticate(request));
  const std::string& id = request.Param("id");
  std::string mobile, participant, number;
  {
    auto tx = store_.Begin(store::Mode::kRead);
    if (!tx) return http::ErrorResponse(tx.error());
    APP_TRY_RESPONSE(customer, LoadCustomer(**tx, caller->customer_id, false));
    mobile = customer->mobile;
    APP_TRY_RESPONSE(linked, FindLinkedAccount(**tx, caller->customer_id, id));
    if (!*linked) return http::ErrorResponse(404, Error("app.account_not_found"));
    participant = (*linked)->participant;
    number = (*linked)->account_number;
  }
  if (auto set = network_.SetDefaultAccount(mobile, participant, number); !set) return http::ErrorResponse(set.error());
  auto updated = store_.Execute("UPDATE app_customers SET default_account = $1 WHERE id = $2",
                                Params({id, caller->customer_id}));
  if (!updated) return http::ErrorResponse(updated.error());
  return http::Json({{"default_account_id", id}});
}

http::Response AppImpl::ListIpas(http::Request& request) {
  APP_TRY_RESPONSE(caller, Authenticate(request));
  auto rows = store_.Execute("SELECT name, account_id, created_at FROM app_ipas WHERE customer_id = $1 ORDER BY created_at",
                             Params({caller->customer_id}), store::Mode::kRead);
  if (!rows) return http::ErrorResponse(rows.error());
  json items = json::array();
  for (const store::Row& row : rows->rows) {
    items.push_back({{"ipa", store::AsText(row[0]) + "@instapay"},
                     {"account_id", store::AsText(row[1])},
                     {"created_at", store::AsInt(row[2])}});
  }
  return http::Json({{"ipas", items}});
}

http::Response AppImpl::CreateIpa(http::Request& request) {
  APP_TRY_RESPONSE(caller, Authenticate(request));
  APP_TRY_RESPONSE(body, http::ParseJsonObject(request));
  if (auto fields = http::CheckFields(*body, {"ipa", "account_id"}); !fields) return http::ErrorResponse(fields.error());
  APP_TRY_RESPONSE(ipa_text, http::StringField(*body, "ipa"));
  APP_TRY_RESPONSE(account_id, http::StringField(*body, "account_id"));
  APP_TRY_RESPONSE(ipa, Ipa::Parse(*ipa_text));
  std::string mobile, participant, number;
  {
    auto tx = store_.Begin(store::Mode::kRead);
    if (!tx) return http::ErrorResponse(tx.error());
    APP_TRY_RESPONSE(customer, LoadCustomer(**tx, caller->customer_id, false));
    mobile = customer->mobile;
    APP_TRY_RESPONSE(linked, FindLinkedAccount(**tx, caller->customer_id, *account_id));
    if (!*linked) return http::ErrorResponse(404, Error("app.account_not_found"));
    participant = (*linked)->participant;
    number = (*linked)->account_number;
    auto existing = (*tx)->Execute("SELECT name FROM app_ipas WHERE account_id = $1", Params({*account_id}));
    if (!existing) return http::ErrorResponse(existing.error());
    if (!existing->rows.empty()) return http::ErrorResponse(409, Error("app.account_has_ipa"));
  }
  // The switch's alias directory is the authority on who owns a name.
  if (auto registered = network_.RegisterIpa(ipa->address(), participant, number, mobile); !registered) {
    const std::string& code = registered.error().code;
    int status = code == "ipn.ipa_taken" || code == "ipn.account_has_ipa" ? 409 : http::StatusForCode(code);
    return http::ErrorResponse(status, registered.error());
  }
  auto tx = store_.Begin();
  if (!tx) return http::ErrorResponse(tx.error());
  auto inserted = (*tx)->Execute("INSERT INTO app_ipas (name, customer_id, account_id, created_at) VALUES ($1, $2, $3, $4)",
                                 Params({ipa->name(), caller->customer_id, *account_id, Now()}));
  if (!inserted) {
    return http::ErrorResponse(inserted.error().code == "store.conflict" ? 409 : 500,
                               inserted.error().code == "store.conflict" ? Error("app.account_has_ipa") : inserted.error());
  }
  if (auto notified = Notify(**tx, caller->customer_id, "account", "app.notify.ipa_created", {{"ipa", ipa->address()}}, "");
      !notified) {
    return http::ErrorResponse(notified.error());
  }
  if (auto committed = (*tx)->Commit(); !committed) return http::ErrorResponse(committed.error());
  return http::Json({{"ipa", ipa->address()}, {"account_id", *account_id}}, 201);
}

}  // namespace lahza::app
