// Customers: registration with OTP, PIN, login with device binding, sessions,
// the customer's own profile and notifications.
#include <sodium.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <optional>

#include "app/internal.h"
#include "core/messages.h"
#include "core/mobile.h"
#include "core/money.h"
#include "core/national_id.h"
#include "ipn/switch.h"

namespace lahza::app {

namespace {

constexpr int64_t kOtpTtlSeconds = 5 * 60;
constexpr int64_t kOtpMaxTries = 3;
constexpr int64_t kOtpResendGapSeconds = 60;
constexpr int64_t kOtpMaxSendsPerHour = 5;
constexpr int64_t kPinMaxFailures = 5;
constexpr int64_t kPinLockSeconds = 30 * 60;
constexpr size_t kMaxDeviceIdBytes = 64;

CustomerRow ToCustomer(const store::Row& row) {
  CustomerRow c;
  c.id = store::AsText(row[0]);
  c.mobile = store::AsText(row[1]);
  c.national_id = store::AsText(row[2]);
  c.name_ar = store::AsText(row[3]);
  c.name_en = store::AsText(row[4]);
  c.state = store::AsText(row[5]);
  c.pin_hash = store::AsText(row[6]);
  c.pin_failures = store::AsInt(row[7]);
  c.pin_locked_until = store::AsInt(row[8]);
  c.default_account = store::AsText(row[9]);
  c.created_at = store::AsInt(row[10]);
  return c;
}

constexpr const char* kCustomerColumns =
    "id, mobile, national_id, name_ar, name_en, state, pin_hash, pin_failures, pin_locked_until, default_account, "
    "created_at";

Status CheckPinFormat(const std::string& pin) {
  if (pin.size() != 6) return Error("app.pin_invalid_format");
  for (char c : pin) {
    if (c < '0' || c > '9') return Error("app.pin_invalid_format");
  }
  return {};
}

Result<std::string> DeviceId(const json& body) {
  auto device = http::StringField(body, "device_id");
  if (!device) return device.error();
  if (device->empty() || device->size() > kMaxDeviceIdBytes) return Error("app.device_id_invalid");
  for (char c : *device) {
    if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e) {
      return Error("app.device_id_invalid");
    }
  }
  return *device;
}

std::string BearerToken(const http::Request& request) {
  std::string header = request.Header("authorization");
  constexpr std::string_view kPrefix = "Bearer ";
  if (header.size() <= kPrefix.size() || header.compare(0, kPrefix.size(), kPrefix) != 0) return {};
  return header.substr(kPrefix.size());
}

bool SameSecret(const std::string& a, const std::string& b) {
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

// ---- helpers shared with the other handlers

Result<CustomerRow> AppImpl::LoadCustomer(store::Transaction& tx, const std::string& id, bool for_update) {
  if (for_update) {
    // A no-op update takes the row lock on PostgreSQL (SQLite's write
    // transaction already holds the whole database), portable where
    // SELECT ... FOR UPDATE is not.
    LAHZA_TRY(tx.Execute("UPDATE app_customers SET pin_failures = pin_failures WHERE id = $1", Params({id})));
  }
  auto rows = tx.Execute(std::string("SELECT ") + kCustomerColumns + " FROM app_customers WHERE id = $1",
                         Params({id}));
  if (!rows) return rows.error();
  if (rows->rows.empty()) return Error("app.customer_not_found");
  return ToCustomer(rows->rows[0]);
}

Result<std::optional<CustomerRow>> AppImpl::FindCustomerByMobile(store::Transaction& tx, const std::string& e164) {
  auto rows = tx.Execute(std::string("SELECT ") + kCustomerColumns + " FROM app_customers WHERE mobile = $1",
                         Params({e164}));
  if (!rows) return rows.error();
  if (rows->rows.empty()) return std::optional<CustomerRow>();
  return std::optional<CustomerRow>(ToCustomer(rows->rows[0]));
}

json AppImpl::CustomerJson(const CustomerRow& row) const {
  int64_t now = Now();
  bool locked = row.pin_locked_until > now;
  std::string state = row.state == "active" && locked ? "locked" : row.state;
  json out = {{"customer_id", row.id},       {"mobile", row.mobile},     {"name_ar", row.name_ar},
              {"name_en", row.name_en},      {"state", state},           {"default_account_id", row.default_account},
              {"created_at", row.created_at}};
  out["transfers_locked_until"] = locked ? json(row.pin_locked_until) : json(nullptr);
  Message explanation = MessageFor("app.state." + state);
  out["state_message_ar"] = explanation.ar;
  out["state_message_en"] = explanation.en;
  return out;
}

bool AppImpl::RateLimit(const http::Request& request, std::string_view what, int per_minute,
                        const std::string& extra) {
  int64_t now = Now();
  std::string prefix(what);
  if (!limiter_.Allow(prefix + ":ip:" + request.remote_ip, per_minute, now)) return false;
  if (!extra.empty() && !limiter_.Allow(prefix + ":key:" + extra, per_minute, now)) return false;
  return true;
}

Message NoticeText(const std::string& code, const json& values) {
  // All the values in one pass (core's FormatText): none is read for placeholders.
  std::vector<std::pair<std::string, std::string>> texts;
  for (auto it = values.begin(); it != values.end(); ++it) {
    texts.emplace_back(it.key(), it->is_string() ? it->get<std::string>() : it->dump());
  }
  const std::vector<std::pair<std::string_view, std::string_view>> fill(texts.begin(), texts.end());
  const Message text = MessageFor(code);
  return Message{FormatText(text.ar, fill), FormatText(text.en, fill)};
}

std::string TransferNoticeCode(const std::string& kind) { return "app.notify.transfer_" + kind; }

json TransferNoticeValues(int64_t amount, const std::string& ir) {
  Money money = Money::FromPiastres(amount);
  return {{"amount", money.ToEnglish()}, {"amount_ar", money.ToArabic()}, {"ir", ir}};
}

Status AppImpl::Notify(store::Transaction& tx, const std::string& customer_id, const std::string& kind,
                       const std::string& code, const json& values, const std::string& ir) {
  const Message message = NoticeText(code, values);
  return Done(tx.Execute(
      "INSERT INTO app_notifications (id, customer_id, kind, text_ar, text_en, ir, created_at, read_at) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, 0)",
      Params({TimeOrderedId("n_"), customer_id, kind, message.ar, message.en, ir, Now()})));
}

namespace {

// One OTP per (mobile, purpose). Sends are throttled: a minute apart and at
// most five an hour, so the SMS gateway cannot be used to flood a phone.
Status IssueOtp(AppImpl& app, store::Transaction& tx, const std::string& mobile, const std::string& purpose) {
  int64_t now = app.Now();
  auto existing = tx.Execute("SELECT sent_at, window_start, sends FROM app_otps WHERE mobile = $1 AND purpose = $2",
                             Params({mobile, purpose}));
  if (!existing) return existing.error();
  int64_t window_start = now, sends = 0;
  if (!existing->rows.empty()) {
    const store::Row& row = existing->rows[0];
    if (now - store::AsInt(row[0]) < kOtpResendGapSeconds) return Error("app.otp_rate_limited", "resend gap");
    window_start = store::AsInt(row[1]);
    sends = store::AsInt(row[2]);
    if (now - window_start >= 3600) {
      window_start = now;
      sends = 0;
    }
    if (sends >= kOtpMaxSendsPerHour) return Error("app.otp_rate_limited", "hourly cap");
  }
  char code[8];
  std::snprintf(code, sizeof code, "%06u", static_cast<unsigned>(randombytes_uniform(1'000'000)));
  LAHZA_TRY(tx.Execute(
      "INSERT INTO app_otps (mobile, purpose, code_hash, expires_at, tries, sent_at, window_start, sends) "
      "VALUES ($1, $2, $3, $4, 0, $5, $6, $7) ON CONFLICT (mobile, purpose) DO UPDATE SET "
      "code_hash = excluded.code_hash, expires_at = excluded.expires_at, tries = 0, sent_at = excluded.sent_at, "
      "window_start = excluded.window_start, sends = excluded.sends",
      Params({mobile, purpose, HashSecret(mobile + ":" + code), now + kOtpTtlSeconds, now, window_start, sends + 1})));
  // The SMS gateway stand-in: the message goes to the outbox table, which the
  // admin API (and so tests and the demo) can read.
  Message sms = Format(MessageFor("app.sms_otp"), {{"code", code}});
  return Done(tx.Execute("INSERT INTO app_outbox (id, mobile, body, created_at) VALUES ($1, $2, $3, $4)",
                         Params({TimeOrderedId("sms_"), mobile, sms.ar + "\n" + sms.en, now})));
}

// Checks an OTP in its own committed transaction so a wrong guess is counted
// even though the caller fails. Errors: app.otp_invalid, app.otp_expired,
// app.otp_tries_exceeded.
Status CheckOtp(AppImpl& app, const std::string& mobile, const std::string& purpose, const std::string& code) {
  auto tx = app.db().Begin();
  if (!tx) return tx.error();
  auto rows = (*tx)->Execute("SELECT code_hash, expires_at, tries FROM app_otps WHERE mobile = $1 AND purpose = $2",
                             Params({mobile, purpose}));
  if (!rows) return rows.error();
  if (rows->rows.empty()) return Error("app.otp_invalid");
  const store::Row& row = rows->rows[0];
  if (store::AsText(row[0]).empty()) return Error("app.otp_invalid");  // already used
  if (store::AsInt(row[1]) <= app.Now()) return Error("app.otp_expired");
  if (store::AsInt(row[2]) >= kOtpMaxTries) return Error("app.otp_tries_exceeded");
  if (!SameSecret(store::AsText(row[0]), HashSecret(mobile + ":" + code))) {
    LAHZA_TRY((*tx)->Execute("UPDATE app_otps SET tries = tries + 1 WHERE mobile = $1 AND purpose = $2",
                             Params({mobile, purpose})));
    LAHZA_TRY((*tx)->Commit());
    return Error(store::AsInt(row[2]) + 1 >= kOtpMaxTries ? "app.otp_tries_exceeded" : "app.otp_invalid");
  }
  // Used once: the hash is cleared but the row (and its send throttle) stays.
  LAHZA_TRY((*tx)->Execute("UPDATE app_otps SET code_hash = '' WHERE mobile = $1 AND purpose = $2",
                           Params({mobile, purpose})));
  return (*tx)->Commit();
}

Result<std::string> HashPin(const std::string& pin, PinHashing hashing) {
  char hash[crypto_pwhash_STRBYTES];
  unsigned long long ops = hashing == PinHashing::kInteractive ? crypto_pwhash_OPSLIMIT_INTERACTIVE
                                                               : crypto_pwhash_OPSLIMIT_MIN;
  size_t mem = hashing == PinHashing::kInteractive ? crypto_pwhash_MEMLIMIT_INTERACTIVE : crypto_pwhash_MEMLIMIT_MIN;
  if (crypto_pwhash_str(hash, pin.data(), pin.size(), ops, mem) != 0) return Error("internal", "pwhash out of memory");
  return std::string(hash);
}

Result<std::string> CreateSession(AppImpl& app, store::Transaction& tx, const std::string& customer_id,
                                  const std::string& device_id) {
  std::string token = RandomHex(32);
  int64_t now = app.Now();
  LAHZA_TRY(tx.Execute(
      "INSERT INTO app_sessions (token_hash, customer_id, device_id, created_at, expires_at, revoked_at) "
      "VALUES ($1, $2, $3, $4, $5, 0)",
      Params({HashSecret(token), customer_id, device_id, now, now + app.options().session_ttl_seconds})));
  return token;
}

http::Response RateLimited() { return http::ErrorResponse(429, Error("app.rate_limited")); }

}  // namespace

// PIN checks share one rule set wherever a PIN is asked for (login, every
// payment): 5 wrong in a row lock transfers for 30 minutes.
Result<CustomerRow> AppImpl::VerifyPin(const std::string& customer_id, const std::string& pin) {
  LAHZA_TRY(CheckPinFormat(pin));
  auto tx = store_.Begin(store::Mode::kRead);
  if (!tx) return tx.error();
  auto loaded = LoadCustomer(**tx, customer_id, false);
  if (!loaded) return loaded.error();
  tx->reset();
  return VerifyPinOf(*loaded, pin);
}

bool AppImpl::PinAnswersQuickly(const CustomerRow& customer, const std::string& pin) {
  const int64_t now = Now();
  if (!CheckPinFormat(pin) || customer.pin_locked_until > now) return true;
  return customer.pin_failures == 0 && pin_cache_.Matches(customer.id, customer.pin_hash, pin, now);
}

Result<CustomerRow> AppImpl::VerifyPinOf(const CustomerRow& customer, const std::string& pin) {
  LAHZA_TRY(CheckPinFormat(pin));
  const std::string& customer_id = customer.id;
  const int64_t now = Now();
  if (customer.pin_locked_until > now) return Error("app.pin_locked");
  // The hot path: right, no failures to reset — writes nothing, and after the
  // first payment of a run it skips argon2id too.
  if (customer.pin_failures == 0 && pin_cache_.Matches(customer_id, customer.pin_hash, pin, now)) return customer;
  bool right = !customer.pin_hash.empty() &&
               crypto_pwhash_str_verify(customer.pin_hash.c_str(), pin.data(), pin.size()) == 0;
  if (right) pin_cache_.Remember(customer_id, customer.pin_hash, pin, now);
  if (right && customer.pin_failures == 0) return customer;
  auto tx = store_.Begin();
  if (!tx) return tx.error();
  auto fresh = LoadCustomer(**tx, customer_id, true);
  if (!fresh) return fresh.error();
  if (right) {
    LAHZA_TRY((*tx)->Execute("UPDATE app_customers SET pin_failures = 0 WHERE id = $1", Params({customer_id})));
    LAHZA_TRY((*tx)->Commit());
    fresh->pin_failures = 0;
    return *fresh;
  }
  int64_t failures = fresh->pin_failures + 1;
  int64_t locked_until = 0;
  if (failures >= kPinMaxFailures) {
    locked_until = Now() + kPinLockSeconds;
    failures = 0;
  }
  LAHZA_TRY((*tx)->Execute("UPDATE app_customers SET pin_failures = $1, pin_locked_until = $2 WHERE id = $3",
                           Params({failures, locked_until == 0 ? fresh->pin_locked_until : locked_until, customer_id})));
  if (locked_until != 0) {
    LAHZA_TRY(Notify(**tx, customer_id, "security", "app.notify.pin_locked", json::object(), ""));
  }
  LAHZA_TRY((*tx)->Commit());
  if (locked_until != 0) return Error("app.pin_locked");
  return Error("app.pin_wrong", std::to_string(kPinMaxFailures - failures));
}

Result<Caller> AppImpl::Authenticate(const http::Request& request) {
  std::string token = BearerToken(request);
  if (token.empty() || token.size() > 128) return Error("app.unauthorized");
  std::string token_hash = HashSecret(token);
  std::string device = request.Header("x-device-id");
  int64_t now = Now();
  uint64_t epoch = 0;
  {
    std::lock_guard lock(sessions_mutex_);
    epoch = forget_epoch_;
    auto it = sessions_.find(token_hash);
    if (it != sessions_.end() && now - it->second.checked_at < kSessionCacheSeconds) {
      if (it->second.expires_at <= now) return Error("app.unauthorized", "expired");
      // Device binding: the token only works from the device it was issued to.
      if (it->second.caller.device_id != device) return Error("app.unauthorized", "device");
      return it->second.caller;
    }
  }
  auto rows = store_.Execute(
      "SELECT s.customer_id, s.device_id, s.expires_at, s.revoked_at, c.state FROM app_sessions s "
      "JOIN app_customers c ON c.id = s.customer_id WHERE s.token_hash = $1",
      Params({token_hash}), store::Mode::kRead);
  if (!rows) return rows.error();
  if (rows->rows.empty()) return Error("app.unauthorized");
  const store::Row& row = rows->rows[0];
  if (store::AsInt(row[3]) != 0 || store::AsText(row[4]) == "suspended") {
    // No epoch bump: whoever revoked it bumped when they did; bumping here
    // would let anyone replaying a dead token keep the cache from filling.
    std::lock_guard lock(sessions_mutex_);
    sessions_.erase(token_hash);
    return Error("app.unauthorized", "revoked");
  }
  CachedSession cached{Caller{store::AsText(row[0]), token_hash, store::AsText(row[1])}, store::AsInt(row[2]), now};
  {
    std::lock_guard lock(sessions_mutex_);
    // A logout or suspension since our snapshot may have revoked this very
    // session after the SELECT read it: leave it uncached (the next request
    // reads the database again) rather than undo the eviction.
    if (forget_epoch_ == epoch) {
      if (sessions_.size() > 100'000) sessions_.clear();  // bounded: a cache, never the truth
      sessions_[token_hash] = cached;
    }
  }
  if (cached.expires_at <= now) return Error("app.unauthorized", "expired");
  if (cached.caller.device_id != device) return Error("app.unauthorized", "device");
  return cached.caller;
}

void AppImpl::ForgetSession(const std::string& token_hash) {
  std::lock_guard lock(sessions_mutex_);
  ++forget_epoch_;
  sessions_.erase(token_hash);
}

// ---- handlers

http::Response AppImpl::Register(http::Request& request) {
  APP_TRY_RESPONSE(body, http::ParseJsonObject(request));
  if (auto fields = http::CheckFields(*body, {"mobile", "national_id", "account", "device_id"}); !fields) {
    return http::ErrorResponse(fields.error());
  }
  APP_TRY_RESPONSE(mobile_text, http::StringField(*body, "mobile"));
  APP_TRY_RESPONSE(nid_text, http::StringField(*body, "national_id"));
  APP_TRY_RESPONSE(device, DeviceId(*body));
  APP_TRY_RESPONSE(mobile, MobileNumber::Parse(*mobile_text));
  APP_TRY_RESPONSE(national_id, NationalId::Parse(*nid_text));
  if (!body->contains("account") || !(*body)["account"].is_object()) {
    return http::ErrorResponse(Error((*body).contains("account") ? "http.wrong_type" : "http.missing_field", "account"));
  }
  if (!RateLimit(request, "otp", options_.otp_per_minute, mobile->e164())) return RateLimited();

  // The bank (or wallet, or card issuer) confirms the account exists and is
  // registered to this mobile number before anything is stored; its holder
  // name becomes the customer's name.
  APP_TRY_RESPONSE(verified, ResolveAccount(mobile->e164(), (*body)["account"]));

  auto tx = store_.Begin();
  if (!tx) return http::ErrorResponse(tx.error());
  APP_TRY_RESPONSE(existing, FindCustomerByMobile(**tx, mobile->e164()));
  auto by_nid = (*tx)->Execute("SELECT id FROM app_customers WHERE national_id = $1", Params({national_id->digits()}));
  if (!by_nid) return http::ErrorResponse(by_nid.error());
  std::string customer_id;
  if (existing->has_value()) {
    if ((*existing)->state != "pending_otp") return http::ErrorResponse(409, Error("app.customer_exists"));
    customer_id = (*existing)->id;
  } else {
    customer_id = NewId("c_");
  }
  if (!by_nid->rows.empty() && store::AsText(by_nid->rows[0][0]) != customer_id) {
    return http::ErrorResponse(409, Error("app.customer_exists", "national id"));
  }
  int64_t now = Now();
  if (existing->has_value()) {
    auto updated = (*tx)->Execute(
        "UPDATE app_customers SET national_id = $1, name_ar = $2, name_en = $3 WHERE id = $4",
        Params({national_id->digits(), verified->name_ar, verified->name_en, customer_id}));
    if (!updated) return http::ErrorResponse(updated.error());
    auto cleared = (*tx)->Execute("DELETE FROM app_accounts WHERE customer_id = $1", Params({customer_id}));
    if (!cleared) return http::ErrorResponse(cleared.error());
  } else {
    auto inserted = (*tx)->Execute(
        std::string("INSERT INTO app_customers (") + kCustomerColumns +
            ") VALUES ($1, $2, $3, $4, $5, 'pending_otp', '', 0, 0, '', $6)",
        Params({customer_id, mobile->e164(), national_id->digits(), verified->name_ar, verified->name_en, now}));
    if (!inserted) return http::ErrorResponse(inserted.error().code == "store.conflict" ? Error("app.customer_exists")
                                                                                           : inserted.error());
  }
  APP_TRY_RESPONSE(account_id, InsertAccount(**tx, customer_id, *verified));
  auto defaulted = (*tx)->Execute("UPDATE app_customers SET default_account = $1 WHERE id = $2",
                                  Params({*account_id, customer_id}));
  if (!defaulted) return http::ErrorResponse(defaulted.error());
  if (auto sent = IssueOtp(*this, **tx, mobile->e164(), "register"); !sent) {
    return http::ErrorResponse(sent.error().code == "app.otp_rate_limited" ? 429 : 500, sent.error());
  }
  if (auto committed = (*tx)->Commit(); !committed) return http::ErrorResponse(committed.error());
  return http::Json({{"customer_id", customer_id},
                     {"state", "pending_otp"},
                     {"otp_sent_to", MaskMobile(mobile->e164())},
                     {"otp_expires_in_seconds", kOtpTtlSeconds}},
                    201);
}

http::Response AppImpl::ResendOtp(http::Request& request) {
  APP_TRY_RESPONSE(body, http::ParseJsonObject(request));
  if (auto fields = http::CheckFields(*body, {"mobile", "purpose"}); !fields) return http::ErrorResponse(fields.error());
  APP_TRY_RESPONSE(mobile_text, http::StringField(*body, "mobile"));
  APP_TRY_RESPONSE(mobile, MobileNumber::Parse(*mobile_text));
  Error error;
  std::string purpose = http::OptionalStringField(*body, "purpose", &error).value_or("register");
  if (!error.code.empty()) return http::ErrorResponse(error);
  if (purpose != "register" && purpose != "device") return http::ErrorResponse(Error("app.otp_purpose_invalid"));
  if (!RateLimit(request, "otp", options_.otp_per_minute, mobile->e164())) return RateLimited();
  auto tx = store_.Begin();
  if (!tx) return http::ErrorResponse(tx.error());
  APP_TRY_RESPONSE(customer, FindCustomerByMobile(**tx, mobile->e164()));
  bool eligible = customer->has_value() &&
                  (purpose == "register" ? (*customer)->state == "pending_otp" : (*customer)->state == "active");
  // An ineligible number gets the same answer as an eligible one, so this
  // route cannot be used to learn who is registered.
  if (eligible) {
    auto existing = (*tx)->Execute("SELECT 1 FROM app_otps WHERE mobile = $1 AND purpose = $2",
                                   Params({mobile->e164(), purpose}));
    if (!existing) return http::ErrorResponse(existing.error());
    if (purpose == "device" && existing->rows.empty()) eligible = false;  // only after a login asked for it
  }
  if (eligible) {
    if (auto sent = IssueOtp(*this, **tx, mobile->e164(), purpose); !sent) {
      return http::ErrorResponse(sent.error().code == "app.otp_rate_limited" ? 429 : 500, sent.error());
    }
    if (auto committed = (*tx)->Commit(); !committed) return http::ErrorResponse(committed.error());
  }
  return http::Json({{"otp_sent_to", MaskMobile(mobile->e164())}, {"otp_expires_in_seconds", kOtpTtlSeconds}});
}

http::Response AppImpl::ConfirmRegistration(http::Request& request) {
  APP_TRY_RESPONSE(body, http::ParseJsonObject(request));
  if (auto fields = http::CheckFields(*body, {"mobile", "otp", "pin", "device_id"}); !fields) {
    return http::ErrorResponse(fields.error());
  }
  APP_TRY_RESPONSE(mobile_text, http::StringField(*body, "mobile"));
  APP_TRY_RESPONSE(otp, http::StringField(*body, "otp"));
  APP_TRY_RESPONSE(pin, http::StringField(*body, "pin"));
  APP_TRY_RESPONSE(device, DeviceId(*body));
  APP_TRY_RESPONSE(mobile, MobileNumber::Parse(*mobile_text));
  if (auto format = CheckPinFormat(*pin); !format) return http::ErrorResponse(format.error());
  if (!RateLimit(request, "otp", options_.otp_per_minute, mobile->e164())) return RateLimited();
  {
    auto tx = store_.Begin(store::Mode::kRead);
    if (!tx) return http::ErrorResponse(tx.error());
    APP_TRY_RESPONSE(customer, FindCustomerByMobile(**tx, mobile->e164()));
    if (!customer->has_value()) return http::ErrorResponse(Error("app.otp_invalid"));
    if ((*customer)->state != "pending_otp") return http::ErrorResponse(409, Error("app.customer_exists"));
  }
  if (auto checked = CheckOtp(*this, mobile->e164(), "register", *otp); !checked) {
    return http::ErrorResponse(checked.error());
  }
  APP_TRY_RESPONSE(hash, HashPin(*pin, options_.pin_hashing));
  std::string participant, account_number, token;
  json customer_json;
  {
    auto tx = store_.Begin();
    if (!tx) return http::ErrorResponse(tx.error());
    APP_TRY_RESPONSE(found, FindCustomerByMobile(**tx, mobile->e164()));
    if (!found->has_value()) return http::ErrorResponse(Error("app.otp_invalid"));
    CustomerRow customer = **found;
    auto activated = (*tx)->Execute(
        "UPDATE app_customers SET state = 'active', pin_hash = $1, pin_failures = 0 WHERE id = $2 AND state = 'pending_otp'",
        Params({*hash, customer.id}));
    if (!activated) return http::ErrorResponse(activated.error());
    if (activated->affected != 1) return http::ErrorResponse(409, Error("app.customer_exists"));
    auto device_row = (*tx)->Execute(
        "INSERT INTO app_devices (customer_id, device_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        Params({customer.id, *device, Now()}));
    if (!device_row) return http::ErrorResponse(device_row.error());
    auto account = (*tx)->Execute("SELECT participant, account_number FROM app_accounts WHERE id = $1",
                                  Params({customer.default_account}));
    if (!account) return http::ErrorResponse(account.error());
    if (!account->rows.empty()) {
      participant = store::AsText(account->rows[0][0]);
      account_number = store::AsText(account->rows[0][1]);
    }
    APP_TRY_RESPONSE(created, CreateSession(*this, **tx, customer.id, *device));
    token = *created;
    if (auto notified = Notify(**tx, customer.id, "account", "app.notify.welcome", json::object(), ""); !notified) {
      return http::ErrorResponse(notified.error());
    }
    if (auto committed = (*tx)->Commit(); !committed) return http::ErrorResponse(committed.error());
    customer.state = "active";
    customer_json = CustomerJson(customer);
  }
  // Payments "to this mobile number" now reach the registration account.
  if (!participant.empty()) {
    if (auto set = network_.SetDefaultAccount(mobile->e164(), participant, account_number); !set) {
      spdlog::warn("app: default account for {} not set at the switch: {}", customer_json["customer_id"].get<std::string>(),
                   set.error().code);
    }
  }
  return http::Json({{"token", token}, {"customer", customer_json}}, 201);
}

http::Response AppImpl::Login(http::Request& request) {
  APP_TRY_RESPONSE(body, http::ParseJsonObject(request));
  if (auto fields = http::CheckFields(*body, {"mobile", "pin", "device_id", "otp"}); !fields) {
    return http::ErrorResponse(fields.error());
  }
  APP_TRY_RESPONSE(mobile_text, http::StringField(*body, "mobile"));
  APP_TRY_RESPONSE(pin, http::StringField(*body, "pin"));
  APP_TRY_RESPONSE(device, DeviceId(*body));
  Error error;
  auto otp = http::OptionalStringField(*body, "otp", &error);
  if (!error.code.empty()) return http::ErrorResponse(error);
  APP_TRY_RESPONSE(mobile, MobileNumber::Parse(*mobile_text));
  if (!RateLimit(request, "login", options_.login_per_minute, mobile->e164())) return RateLimited();
  CustomerRow customer;
  bool known_device = false;
  {
    auto tx = store_.Begin(store::Mode::kRead);
    if (!tx) return http::ErrorResponse(tx.error());
    APP_TRY_RESPONSE(found, FindCustomerByMobile(**tx, mobile->e164()));
    // An unknown number looks like a wrong PIN: no registry lookups by login.
    if (!found->has_value()) return http::ErrorResponse(401, Error("app.pin_wrong"));
    customer = **found;
    auto devices = (*tx)->Execute("SELECT 1 FROM app_devices WHERE customer_id = $1 AND device_id = $2",
                                  Params({customer.id, *device}));
    if (!devices) return http::ErrorResponse(devices.error());
    known_device = !devices->rows.empty();
  }
  if (customer.state == "pending_otp") return http::ErrorResponse(403, Error("app.registration_incomplete"));
  if (customer.state == "suspended") return http::ErrorResponse(403, Error("app.customer_suspended"));
  if (auto verified = VerifyPin(customer.id, *pin); !verified) {
    int status = verified.error().code == "app.pin_locked" ? 423 : verified.error().code == "app.pin_wrong" ? 401 : 400;
    return http::ErrorResponse(status, verified.error());
  }
  if (!known_device) {
    if (!otp.has_value()) {
      // A new phone: the PIN alone is not enough; an OTP to the registered
      // number binds the device.
      auto tx = store_.Begin();
      if (!tx) return http::ErrorResponse(tx.error());
      if (auto sent = IssueOtp(*this, **tx, mobile->e164(), "device"); !sent) {
        return http::ErrorResponse(sent.error().code == "app.otp_rate_limited" ? 429 : 500, sent.error());
      }
      if (auto committed = (*tx)->Commit(); !committed) return http::ErrorResponse(committed.error());
      return http::Json({{"otp_required", true}, {"otp_sent_to", MaskMobile(mobile->e164())}}, 202);
    }
    if (auto checked = CheckOtp(*this, mobile->e164(), "device", *otp); !checked) {
      return http::ErrorResponse(checked.error());
    }
  }
  auto tx = store_.Begin();
  if (!tx) return http::ErrorResponse(tx.error());
  if (!known_device) {
    auto added = (*tx)->Execute(
        "INSERT INTO app_devices (customer_id, device_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        Params({customer.id, *device, Now()}));
    if (!added) return http::ErrorResponse(added.error());
    if (auto notified = Notify(**tx, customer.id, "security", "app.notify.new_device", json::object(), ""); !notified) {
      return http::ErrorResponse(notified.error());
    }
  }
  APP_TRY_RESPONSE(token, CreateSession(*this, **tx, customer.id, *device));
  if (auto committed = (*tx)->Commit(); !committed) return http::ErrorResponse(committed.error());
  return http::Json({{"token", *token}, {"customer", CustomerJson(customer)}});
}

http::Response AppImpl::Logout(http::Request& request) {
  APP_TRY_RESPONSE(caller, Authenticate(request));
  auto revoked = store_.Execute("UPDATE app_sessions SET revoked_at = $1 WHERE token_hash = $2",
                                Params({Now(), caller->token_hash}));
  if (!revoked) return http::ErrorResponse(revoked.error());
  ForgetSession(caller->token_hash);
  return http::Json({{"logged_out", true}});
}

http::Response AppImpl::Me(http::Request& request) {
  APP_TRY_RESPONSE(caller, Authenticate(request));
  auto tx = store_.Begin(store::Mode::kRead);
  if (!tx) return http::ErrorResponse(tx.error());
  APP_TRY_RESPONSE(customer, LoadCustomer(**tx, caller->customer_id, false));
  return http::Json(CustomerJson(*customer));
}

http::Response AppImpl::ChangePin(http::Request& request) {
  APP_TRY_RESPONSE(caller, Authenticate(request));
  APP_TRY_RESPONSE(body, http::ParseJsonObject(request));
  if (auto fields = http::CheckFields(*body, {"pin", "new_pin"}); !fields) return http::ErrorResponse(fields.error());
  APP_TRY_RESPONSE(pin, http::StringField(*body, "pin"));
  APP_TRY_RESPONSE(new_pin, http::StringField(*body, "new_pin"));
  if (auto format = CheckPinFormat(*new_pin); !format) return http::ErrorResponse(format.error());
  if (!RateLimit(request, "pin", options_.pin_per_minute, caller->token_hash)) return RateLimited();
  if (auto verified = VerifyPin(caller->customer_id, *pin); !verified) {
    return http::ErrorResponse(verified.error().code == "app.pin_locked" ? 423 : 403, verified.error());
  }
  APP_TRY_RESPONSE(hash, HashPin(*new_pin, options_.pin_hashing));
  auto tx = store_.Begin();
  if (!tx) return http::ErrorResponse(tx.error());
  auto updated = (*tx)->Execute("UPDATE app_customers SET pin_hash = $1, pin_failures = 0 WHERE id = $2",
                                Params({*hash, caller->customer_id}));
  if (!updated) return http::ErrorResponse(updated.error());
  if (auto notified = Notify(**tx, caller->customer_id, "security", "app.notify.pin_changed", json::object(), "");
      !notified) {
    return http::ErrorResponse(notified.error());
  }
  if (auto committed = (*tx)->Commit(); !committed) return http::ErrorResponse(committed.error());
  pin_cache_.Forget(caller->customer_id);  // the old PIN's entry no longer matches anyway (new hash)
  return http::Json({{"pin_changed", true}});
}

namespace {

// A notice filed on a history row is listed as "h_<IR>_<direction>"; stored
// notifications have ids of their own ("n_...").
std::string FiledNoticeId(const std::string& ir, const std::string& direction) { return "h_" + ir + "_" + direction; }

struct FiledNoticeKey {
  IrReference ir;
  std::string direction;
};
std::optional<FiledNoticeKey> ParseFiledNoticeId(std::string_view id) {
  if (!id.starts_with("h_")) return std::nullopt;
  id.remove_prefix(2);
  const size_t cut = id.rfind('_');
  if (cut == std::string_view::npos) return std::nullopt;
  std::string_view direction = id.substr(cut + 1);
  if (direction != "in" && direction != "out") return std::nullopt;
  auto ir = IrReference::Parse(id.substr(0, cut));
  if (!ir || ir->str() != id.substr(0, cut)) return std::nullopt;  // only the canonical form it was listed in
  return FiledNoticeKey{*ir, std::string(direction)};
}

}  // namespace

http::Response AppImpl::Notifications(http::Request& request) {
  APP_TRY_RESPONSE(caller, Authenticate(request));
  constexpr size_t kListed = 100;
  auto tx = store_.Begin(store::Mode::kRead);
  if (!tx) return http::ErrorResponse(tx.error());
  auto stored = (*tx)->Execute(
      "SELECT id, kind, text_ar, text_en, ir, created_at, read_at FROM app_notifications WHERE customer_id = $1 "
      "ORDER BY created_at DESC, id LIMIT 100",
      Params({caller->customer_id}));
  if (!stored) return http::ErrorResponse(stored.error());
  auto filed = (*tx)->Execute(
      "SELECT ir, direction, notice, amount, created_at, notice_read_at FROM app_activity "
      "WHERE customer_id = $1 AND notice <> '' ORDER BY created_at DESC, ir DESC LIMIT 100",
      Params({caller->customer_id}));
  if (!filed) return http::ErrorResponse(filed.error());
  auto item = [](const std::string& id, const std::string& kind, const Message& text, const std::string& ir,
                 int64_t created_at, bool read) {
    return json{{"id", id},           {"kind", kind}, {"text_ar", text.ar},
                {"text_en", text.en}, {"ir", ir.empty() ? json(nullptr) : json(ir)},
                {"created_at", created_at}, {"read", read}};
  };
  std::vector<std::pair<int64_t, json>> items;  // (created_at, item), newest first once sorted
  for (const store::Row& row : stored->rows) {
    items.emplace_back(store::AsInt(row[5]), item(store::AsText(row[0]), store::AsText(row[1]),
                                                  Message{store::AsText(row[2]), store::AsText(row[3])},
                                                  store::AsText(row[4]), store::AsInt(row[5]), store::AsInt(row[6]) != 0));
  }
  for (const store::Row& row : filed->rows) {
    const std::string& ir = store::AsText(row[0]);
    const Message text = NoticeText(TransferNoticeCode(store::AsText(row[2])), TransferNoticeValues(store::AsInt(row[3]), ir));
    items.emplace_back(store::AsInt(row[4]), item(FiledNoticeId(ir, store::AsText(row[1])), "transfer", text, ir,
                                                  store::AsInt(row[4]), store::AsInt(row[5]) != 0));
  }
  std::stable_sort(items.begin(), items.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  json list = json::array();
  for (size_t i = 0; i < items.size() && i < kListed; ++i) list.push_back(std::move(items[i].second));
  return http::Json({{"notifications", list}});
}

http::Response AppImpl::MarkNotificationRead(http::Request& request) {
  APP_TRY_RESPONSE(caller, Authenticate(request));
  const std::string id = request.Param("id");
  // The notice's row, by the statements for its kind: marked read if unread,
  // else looked up (already read: fine; absent or another's: 404).
  std::string mark, find;
  std::vector<Value> key;
  if (auto filed = ParseFiledNoticeId(id)) {
    mark = "UPDATE app_activity SET notice_read_at = $5 WHERE customer_id = $1 AND created_at = $2 AND ir = $3 "
           "AND direction = $4 AND notice <> '' AND notice_read_at = 0";
    find = "SELECT 1 FROM app_activity WHERE customer_id = $1 AND created_at = $2 AND ir = $3 AND direction = $4 "
           "AND notice <> ''";
    key = Params({caller->customer_id, HistorySecond(filed->ir), filed->ir.str(), filed->direction});
  } else {
    mark = "UPDATE app_notifications SET read_at = $3 WHERE customer_id = $1 AND id = $2 AND read_at = 0";
    find = "SELECT 1 FROM app_notifications WHERE customer_id = $1 AND id = $2";
    key = Params({caller->customer_id, id});
  }
  std::vector<Value> marking = key;
  marking.push_back(Now());
  auto updated = store_.Execute(mark, marking);
  if (!updated) return http::ErrorResponse(updated.error());
  if (updated->affected == 0) {
    auto exists = store_.Execute(find, key, store::Mode::kRead);
    if (!exists) return http::ErrorResponse(exists.error());
    if (exists->rows.empty()) return http::ErrorResponse(404, Error("app.notification_not_found"));
  }
  return http::Json({{"read", true}});
}

}  // namespace lahza::app
