#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <chrono>
#include <cstring>

#include "app/internal.h"
#include "ipn/switch.h"

namespace lahza::app {

namespace {

// The app's schema. Ids are random text chosen by the app; times are Unix
// seconds; money is BIGINT piastres.
const std::vector<store::Migration>& Migrations() {
  static const std::vector<store::Migration> migrations = {
      {1, "customers, otp, sessions, accounts, ipas, payments, notifications", R"SQL(
CREATE TABLE app_customers (
  id TEXT PRIMARY KEY, mobile TEXT NOT NULL UNIQUE, national_id TEXT NOT NULL UNIQUE,
  name_ar TEXT NOT NULL, name_en TEXT NOT NULL, state TEXT NOT NULL, pin_hash TEXT NOT NULL,
  pin_failures BIGINT NOT NULL, pin_locked_until BIGINT NOT NULL, default_account TEXT NOT NULL,
  created_at BIGINT NOT NULL);
CREATE TABLE app_otps (
  mobile TEXT NOT NULL, purpose TEXT NOT NULL, code_hash TEXT NOT NULL, expires_at BIGINT NOT NULL,
  tries BIGINT NOT NULL, sent_at BIGINT NOT NULL, window_start BIGINT NOT NULL, sends BIGINT NOT NULL,
  PRIMARY KEY (mobile, purpose));
CREATE TABLE app_outbox (
  id TEXT PRIMARY KEY, mobile TEXT NOT NULL, body TEXT NOT NULL, created_at BIGINT NOT NULL);
CREATE INDEX app_outbox_mobile ON app_outbox (mobile, created_at);
CREATE TABLE app_sessions (
  token_hash TEXT PRIMARY KEY, customer_id TEXT NOT NULL, device_id TEXT NOT NULL,
  created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, revoked_at BIGINT NOT NULL);
CREATE INDEX app_sessions_customer ON app_sessions (customer_id);
CREATE TABLE app_devices (
  customer_id TEXT NOT NULL, device_id TEXT NOT NULL, created_at BIGINT NOT NULL,
  PRIMARY KEY (customer_id, device_id));
CREATE TABLE app_accounts (
  id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, kind TEXT NOT NULL, participant TEXT NOT NULL,
  account_number TEXT NOT NULL, iban TEXT NOT NULL, card_masked TEXT NOT NULL, holder_name TEXT NOT NULL,
  linked_at BIGINT NOT NULL, unlinked_at BIGINT NOT NULL);
CREATE INDEX app_accounts_customer ON app_accounts (customer_id);
CREATE UNIQUE INDEX app_accounts_live ON app_accounts (participant, account_number, unlinked_at);
CREATE TABLE app_ipas (
  name TEXT PRIMARY KEY, customer_id TEXT NOT NULL, account_id TEXT NOT NULL UNIQUE, created_at BIGINT NOT NULL);
CREATE INDEX app_ipas_customer ON app_ipas (customer_id);
CREATE TABLE app_activity (
  customer_id TEXT NOT NULL, ir TEXT NOT NULL, direction TEXT NOT NULL, type TEXT NOT NULL,
  amount BIGINT NOT NULL, fee BIGINT NOT NULL, account_id TEXT NOT NULL, counterparty TEXT NOT NULL,
  counterparty_name TEXT NOT NULL, note TEXT NOT NULL, created_at BIGINT NOT NULL,
  PRIMARY KEY (customer_id, ir, direction));
CREATE INDEX app_activity_time ON app_activity (customer_id, created_at);
CREATE TABLE app_collects (
  id TEXT PRIMARY KEY, requester_id TEXT NOT NULL, payer_id TEXT NOT NULL, amount BIGINT NOT NULL,
  note TEXT NOT NULL, state TEXT NOT NULL, ir TEXT NOT NULL, created_at BIGINT NOT NULL, decided_at BIGINT NOT NULL);
CREATE INDEX app_collects_payer ON app_collects (payer_id);
CREATE INDEX app_collects_requester ON app_collects (requester_id);
CREATE TABLE app_billers (
  code TEXT PRIMARY KEY, category TEXT NOT NULL, name_ar TEXT NOT NULL, name_en TEXT NOT NULL,
  participant TEXT NOT NULL, account_number TEXT NOT NULL, active BIGINT NOT NULL);
CREATE TABLE app_bills (
  biller TEXT NOT NULL, subscriber TEXT NOT NULL, amount BIGINT NOT NULL, period TEXT NOT NULL,
  due_at BIGINT NOT NULL, paid_ir TEXT NOT NULL, PRIMARY KEY (biller, subscriber));
CREATE TABLE app_charities (
  code TEXT PRIMARY KEY, name_ar TEXT NOT NULL, name_en TEXT NOT NULL, participant TEXT NOT NULL,
  account_number TEXT NOT NULL, active BIGINT NOT NULL);
CREATE TABLE app_notifications (
  id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, kind TEXT NOT NULL, text_ar TEXT NOT NULL,
  text_en TEXT NOT NULL, ir TEXT NOT NULL, created_at BIGINT NOT NULL, read_at BIGINT NOT NULL);
CREATE INDEX app_notifications_customer ON app_notifications (customer_id, created_at);
CREATE TABLE app_admin_tokens (
  token_hash TEXT PRIMARY KEY, name TEXT NOT NULL, created_at BIGINT NOT NULL)
)SQL"},
      // One index per customer's history instead of two. Every send wrote
      // both (payer and payee), each on a page of that customer's own: 4.9 of
      // the ~18 pages a transfer's commit writes. Rows are now filed under
      // HistorySecond(ir), a function of the reference alone, so the key
      // (customer, second, IR, direction) serves both the history in time
      // order and the lookup of one transaction, and stays unique per
      // (customer, IR, direction). The expression below is HistorySecond in
      // SQL: the 16-digit counter after "IR" and the node is milliseconds
      // since 2024-01-01 times 1000 (core/ir_reference.h).
      // `notice` is the first notification about that side of the send
      // ("sent", "received", ...; '' none), filed on the row instead of as an
      // app_notifications row of its own: a send then writes one per-customer
      // index per side, not two (see StoreNotification).
      {2, "history keyed by customer, second, IR and direction, carrying its notice", R"SQL(
CREATE TABLE app_activity_v2 (
  customer_id TEXT NOT NULL, ir TEXT NOT NULL, direction TEXT NOT NULL, type TEXT NOT NULL,
  amount BIGINT NOT NULL, fee BIGINT NOT NULL, account_id TEXT NOT NULL, counterparty TEXT NOT NULL,
  counterparty_name TEXT NOT NULL, note TEXT NOT NULL, created_at BIGINT NOT NULL,
  notice TEXT NOT NULL DEFAULT '', notice_read_at BIGINT NOT NULL DEFAULT 0);
INSERT INTO app_activity_v2 (customer_id, ir, direction, type, amount, fee, account_id, counterparty,
  counterparty_name, note, created_at)
  SELECT customer_id, ir, direction, type, amount, fee, account_id, counterparty, counterparty_name, note,
    CAST(substr(ir, 6, 16) AS BIGINT) / 1000000 + 1704067200 FROM app_activity;
DROP TABLE app_activity;
ALTER TABLE app_activity_v2 RENAME TO app_activity;
CREATE UNIQUE INDEX app_activity_key ON app_activity (customer_id, created_at, ir, direction)
)SQL"},
  };
  return migrations;
}

}  // namespace

std::vector<Value> Params(std::initializer_list<Value> values) { return values; }

int64_t HistorySecond(const IrReference& ir) { return ir.issued_unix_ms() / 1000; }

namespace {
// CSPRNG bytes drawn from libsodium 512 at a time: each randombytes_buf is a
// getrandom system call, and every send without the client's own request id
// makes an id on the event loop (one call a transfer, seen with strace). The
// bytes are as random as before; they wait in this thread's memory, where
// the ids and tokens made from them end up anyway.
class RandomPool {
 public:
  void Fill(unsigned char* out, size_t bytes) {
    if (bytes > sizeof pool_) return randombytes_buf(out, bytes);
    if (bytes > sizeof pool_ - used_) {
      randombytes_buf(pool_, sizeof pool_);
      used_ = 0;
    }
    std::memcpy(out, pool_ + used_, bytes);
    sodium_memzero(pool_ + used_, bytes);  // each byte is handed out once
    used_ += bytes;
  }

 private:
  unsigned char pool_[512];
  size_t used_ = sizeof pool_;  // empty: filled on first use
};
}  // namespace

std::string RandomHex(size_t bytes) {
  thread_local RandomPool pool;
  std::vector<unsigned char> raw(bytes);
  pool.Fill(raw.data(), raw.size());
  std::string hex(bytes * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), raw.data(), raw.size());
  hex.pop_back();
  return hex;
}

std::string NewId(std::string_view prefix) { return std::string(prefix) + RandomHex(10); }

// Real microseconds, never going backwards in this process (a wall-clock step
// cannot put a newer row behind an older one), zero-padded so the text sorts
// like the number, then a random tail. Two uses: "the latest SMS to a number"
// is well defined within one second (created_at is the app's clock, seconds,
// frozen in tests — a random id once made NewDeviceNeedsAnOtp read the
// registration OTP); and rows keyed by it are appended at the end of their
// index instead of landing on a random page (a notification per transfer
// side would otherwise dirty a random page of app_notifications per commit).
std::string TimeOrderedId(std::string_view prefix) {
  static std::atomic<int64_t> last{0};
  int64_t micros = std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  int64_t previous = last.load();
  while (!last.compare_exchange_weak(previous, std::max(micros, previous + 1))) {
  }
  micros = std::max(micros, previous + 1);
  std::string digits = std::to_string(micros);
  return std::string(prefix) + std::string(20 - std::min<size_t>(20, digits.size()), '0') + digits + RandomHex(4);
}

std::string HashSecret(std::string_view secret) {
  unsigned char digest[32];
  crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(secret.data()), secret.size(),
                     nullptr, 0);
  char hex[65];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

namespace {
// Bytes in the UTF-8 sequence starting with `lead`.
size_t Utf8Length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead >> 5) == 0x6) return 2;
  if ((lead >> 4) == 0xE) return 3;
  if ((lead >> 3) == 0x1E) return 4;
  return 1;
}
}  // namespace

std::string MaskName(std::string_view name) {
  // Keep the first two characters of the first word and the first of the
  // others: enough for the payer to recognise "Mo** A** H*****", not enough
  // to learn a stranger's full name by trying numbers.
  std::string out;
  bool word_start = true;
  int kept_in_word = 0, word_index = 0;
  for (size_t i = 0; i < name.size();) {
    size_t length = std::min(Utf8Length(static_cast<unsigned char>(name[i])), name.size() - i);
    std::string_view ch = name.substr(i, length);
    i += length;
    if (ch == " ") {
      if (!word_start) ++word_index;
      out += ' ';
      word_start = true;
      kept_in_word = 0;
      continue;
    }
    int keep = word_index == 0 ? 2 : 1;
    if (kept_in_word < keep) {
      out += ch;
      ++kept_in_word;
    } else {
      out += '*';
    }
    word_start = false;
  }
  return out;
}

std::string MaskMobile(std::string_view e164) {
  if (e164.size() < 6) return std::string(e164);
  std::string national = "0" + std::string(e164.substr(3));
  return national.substr(0, 3) + std::string(national.size() - 5, '*') + national.substr(national.size() - 2);
}

bool RateLimiter::Allow(const std::string& key, int per_minute, int64_t now_seconds) {
  int64_t minute = now_seconds / 60;
  std::lock_guard lock(mutex_);
  if (minute != swept_minute_) {
    // Old windows are dropped once a minute so the map stays small.
    std::erase_if(windows_, [&](const auto& entry) { return entry.second.minute < minute; });
    swept_minute_ = minute;
  }
  Window& window = windows_[key];
  if (window.minute != minute) window = Window{minute, 0};
  return ++window.count <= per_minute;
}

AppImpl::AppImpl(store::Store& store, ipn::Switch& network, AppOptions options)
    : store_(store), network_(network), options_(std::move(options)), writer_(store) {
  if (options_.clock == nullptr) options_.clock = &system_clock_;
}

// The switch's notifier captures this object; clearing it waits for any
// callback in flight, so none runs into a destroyed App (the members it uses
// are still alive while this body runs).
AppImpl::~AppImpl() { network_.SetOutboxWriter({}); }

Status AppImpl::Migrate() { return store::Migrate(store_, "app", Migrations()); }

Result<std::unique_ptr<App>> App::Open(store::Store& store, ipn::Switch& network, AppOptions options) {
  if (sodium_init() < 0) return Error("internal", "libsodium failed to initialise");
  auto app = std::make_unique<AppImpl>(store, network, std::move(options));
  LAHZA_TRY(app->Migrate());
  AppImpl* raw = app.get();
  network.SetOutboxWriter([raw](store::Transaction& tx, const ipn::Notification& notification) {
    return raw->StoreNotification(tx, notification);
  });
  return std::unique_ptr<App>(std::move(app));
}

void AppImpl::AddRoutes(http::Router& router) {
  using http::Request;
  auto route = [&](const char* method, const char* pattern, http::Response (AppImpl::*handler)(Request&)) {
    router.Add(method, pattern, [this, handler](Request& request) { return (this->*handler)(request); });
  };
  route("POST", "/api/v1/register", &AppImpl::Register);
  route("POST", "/api/v1/register/resend-otp", &AppImpl::ResendOtp);
  route("POST", "/api/v1/register/confirm", &AppImpl::ConfirmRegistration);
  route("POST", "/api/v1/login", &AppImpl::Login);
  route("POST", "/api/v1/logout", &AppImpl::Logout);
  route("GET", "/api/v1/me", &AppImpl::Me);
  route("POST", "/api/v1/me/pin", &AppImpl::ChangePin);
  route("GET", "/api/v1/notifications", &AppImpl::Notifications);
  route("POST", "/api/v1/notifications/:id/read", &AppImpl::MarkNotificationRead);
  route("GET", "/api/v1/accounts", &AppImpl::ListAccounts);
  route("POST", "/api/v1/accounts", &AppImpl::LinkAccount);
  route("DELETE", "/api/v1/accounts/:id", &AppImpl::UnlinkAccount);
  route("POST", "/api/v1/accounts/:id/default", &AppImpl::SetDefaultAccount);
  route("GET", "/api/v1/ipas", &AppImpl::ListIpas);
  route("POST", "/api/v1/ipas", &AppImpl::CreateIpa);
  route("POST", "/api/v1/payments/lookup", &AppImpl::Lookup);
  // Non-blocking: it reads, and leaves the wait for the switch's commit
  // (and argon2id, when a PIN was not checked recently) off the event loop.
  router.AddNonBlocking("POST", "/api/v1/payments/send", [this](Request& request) { return Send(request); });
  route("GET", "/api/v1/limits", &AppImpl::Limits);
  route("GET", "/api/v1/transactions", &AppImpl::History);
  route("GET", "/api/v1/transactions/:ir", &AppImpl::TransactionDetail);
  route("POST", "/api/v1/collects", &AppImpl::CreateCollect);
  route("GET", "/api/v1/collects", &AppImpl::ListCollects);
  route("POST", "/api/v1/collects/:id/accept", &AppImpl::AcceptCollect);
  route("POST", "/api/v1/collects/:id/decline", &AppImpl::DeclineCollect);
  route("GET", "/api/v1/billers", &AppImpl::ListBillers);
  route("POST", "/api/v1/bills/inquiry", &AppImpl::BillInquiry);
  route("POST", "/api/v1/bills/pay", &AppImpl::PayBill);
  route("GET", "/api/v1/charities", &AppImpl::ListCharities);
  route("POST", "/api/v1/donations", &AppImpl::Donate);
  AddAdminRoutes(router);
}

}  // namespace lahza::app
