// Internals of the app module, shared by its .cc files only.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <unordered_map>

#include "app/app.h"
#include "app/pin_cache.h"
#include "http/router.h"
#include "ipn/switch.h"
#include "store/batch_writer.h"
#include "store/store.h"

namespace lahza::ipn {
struct TransactionView;
struct PayeeId;
struct Notification;
}  // namespace lahza::ipn

namespace lahza::app {

using nlohmann::json;
using store::Value;

// Fixed-window request counter per key ("otp:ip:1.2.3.4"). In memory: each
// server process counts its own; with several processes the effective budget
// is per process, which still stops brute force (the OTP and PIN tries are
// counted in the database, so they hold across processes).
class RateLimiter {
 public:
  bool Allow(const std::string& key, int per_minute, int64_t now_seconds);

 private:
  struct Window {
    int64_t minute = 0;
    int count = 0;
  };
  std::mutex mutex_;
  std::unordered_map<std::string, Window> windows_;
  int64_t swept_minute_ = 0;
};

// Who is asking, once their bearer token checked out.
struct Caller {
  std::string customer_id;
  std::string token_hash;
  std::string device_id;
};

struct CustomerRow {
  std::string id;
  std::string mobile;       // E.164
  std::string national_id;  // 14 digits
  std::string name_ar;
  std::string name_en;
  std::string state;        // pending_otp | active | suspended  ("locked" is derived from pin_locked_until)
  std::string pin_hash;
  int64_t pin_failures = 0;
  int64_t pin_locked_until = 0;
  std::string default_account;
  int64_t created_at = 0;
};

// Where one of a customer's linked accounts is held, as the switch names it.
struct LinkedAccountRef {
  std::string participant;
  std::string account_number;
};

struct VerifiedAccount {
  std::string participant;
  std::string kind;  // bank | wallet | card
  std::string account_number;
  std::string iban;
  std::string card_masked;
  std::string name_ar;
  std::string name_en;
};

// Random identifiers and secrets (libsodium CSPRNG).
std::string RandomHex(size_t bytes);
std::string NewId(std::string_view prefix);          // prefix + 20 random hex digits
std::string TimeOrderedId(std::string_view prefix);  // prefix + microseconds (sorting) + random tail
// SHA-256-class keyed-free hash (BLAKE2b via crypto_generichash), hex: how
// tokens and OTPs are stored, so a database dump does not hand out sessions.
std::string HashSecret(std::string_view secret);

// Masks a person's name for a payee lookup: "Mona Ali Hassan" -> "Mo** A** H*****".
std::string MaskName(std::string_view name);
std::string MaskMobile(std::string_view e164);

// Shorthands for reading Result<...> in handlers.
#define APP_TRY_RESPONSE(var, expr)                          \
  auto var = (expr);                                         \
  if (!var.ok()) return ::lahza::http::ErrorResponse(var.error())

struct PaymentOrder {
  std::string type;  // transfer | collect | bill | donation
  std::string payee_kind;
  std::string payee_value;
  std::string payee_participant;
  int64_t amount = 0;
  std::string pin;
  std::string from_account_id;    // empty: the default account
  std::string client_request_id;  // empty: a new one (no idempotent retry)
  std::string note;
  std::string counterparty;       // what the history shows ("mona.ali@instapay", "Cairo Electricity")
};

// A transaction as the customer reads it (amounts, banks, plain-language
// summary and timeline), as JSON text; `extra` adds string members.
std::string TransactionText(ipn::Switch& network, const ipn::TransactionView& view, const std::string& direction,
                            std::initializer_list<std::pair<std::string_view, std::string_view>> extra = {});
json MoneyJson(int64_t piastres);
std::vector<Value> Params(std::initializer_list<Value> values);
// A notification's words: the catalogue's message `code` with `values`
// filled in (core's FormatText: no value is read for placeholders).
Message NoticeText(const std::string& code, const json& values);
// A transfer's notice (kind "sent", "received", ...): its catalogue code and
// values, the same whether stored apart or filed on a history row.
std::string TransferNoticeCode(const std::string& kind);
json TransferNoticeValues(int64_t amount, const std::string& ir);
// A statement's result as a Status (for work that only writes).
inline Status Done(const Result<store::Rows>& rows) {
  if (!rows) return rows.error();
  return {};
}
// Body readers shared by the payment handlers.
Result<int64_t> ParseAmount(const json& body);          // app.amount_invalid unless 1..INT64_MAX piastres
Result<std::string> OptionalNote(const json& body);     // app.note_too_long over 140 bytes
int StatusForPaymentError(const Error& error);
// A whole non-negative number from the query string into `out`, left as it
// is when the parameter is absent; http.bad_query naming it otherwise.
Status QueryNumber(const http::Request& request, const char* name, int64_t* out);

class AppImpl final : public App {
 public:
  AppImpl(store::Store& store, ipn::Switch& network, AppOptions options);
  ~AppImpl() override;
  void AddRoutes(http::Router& router) override;
  Status AuthorizeAdmin(const http::Request& request) override;
  Status Migrate();

  int64_t Now() const { return options_.clock->Now().time_since_epoch().count(); }
  store::Store& db() { return store_; }
  ipn::Switch& network() { return network_; }
  const AppOptions& options() const { return options_; }

  // ---- auth (customers.cc)
  Result<Caller> Authenticate(const http::Request& request);
  bool IsAdmin(const http::Request& request);
  Result<CustomerRow> LoadCustomer(store::Transaction& tx, const std::string& id, bool for_update);
  Result<std::optional<CustomerRow>> FindCustomerByMobile(store::Transaction& tx, const std::string& e164);
  // Checks the PIN, counting failures (5 lock transfers for 30 minutes).
  // The customer as loaded for the check (ok) or why not: app.pin_locked,
  // app.pin_wrong (counted towards the lock), app.pin_invalid_format.
  Result<CustomerRow> VerifyPin(const std::string& customer_id, const std::string& pin);
  // The same check for a customer the caller has just loaded (in a read
  // transaction of its own, with whatever else it reads there).
  Result<CustomerRow> VerifyPinOf(const CustomerRow& loaded, const std::string& pin);
  // Whether VerifyPinOf answers without argon2id and without writing: a
  // malformed PIN, a locked customer, or a PIN remembered as right.
  bool PinAnswersQuickly(const CustomerRow& loaded, const std::string& pin);
  bool RateLimit(const http::Request& request, std::string_view what, int per_minute, const std::string& extra = {});
  Status Notify(store::Transaction& tx, const std::string& customer_id, const std::string& kind,
                const std::string& code, const json& values, const std::string& ir);
  json CustomerJson(const CustomerRow& row) const;

  // Handlers: customers.cc
  http::Response Register(http::Request& request);
  http::Response ResendOtp(http::Request& request);
  http::Response ConfirmRegistration(http::Request& request);
  http::Response Login(http::Request& request);
  http::Response Logout(http::Request& request);
  http::Response Me(http::Request& request);
  http::Response ChangePin(http::Request& request);
  http::Response Notifications(http::Request& request);
  http::Response MarkNotificationRead(http::Request& request);

  // accounts.cc
  http::Response ListAccounts(http::Request& request);
  http::Response LinkAccount(http::Request& request);
  http::Response UnlinkAccount(http::Request& request);
  http::Response SetDefaultAccount(http::Request& request);
  http::Response CreateIpa(http::Request& request);
  http::Response ListIpas(http::Request& request);
  // Finds the account an identifier names ({"participant","account_number"},
  // {"iban"}, {"card_number"} or {"wallet"}) and has its institution confirm,
  // through the switch, that it is open and registered to `mobile`. Never
  // called inside a write transaction (the switch writes too).
  Result<VerifiedAccount> ResolveAccount(const std::string& mobile, const json& account);
  // Errors: app.account_already_linked.
  Result<std::string> InsertAccount(store::Transaction& tx, const std::string& customer_id,
                                    const VerifiedAccount& account);
  // `account_id` when it is one of the customer's accounts and still linked;
  // nullopt otherwise (another customer's id reads as not found).
  Result<std::optional<LinkedAccountRef>> FindLinkedAccount(store::Transaction& tx, const std::string& customer_id,
                                                            const std::string& account_id);

  // payments.cc
  Result<ipn::TransactionView> Pay(const http::Request& request, const Caller& caller, const PaymentOrder& order);
  // Pay in parts, for an answer that does not hold the connection's thread
  // while the switch commits (POST /payments/send): StartPayment makes every
  // check and builds the switch's request, the switch sends it (Send or
  // SendAsync), FinishPayment writes the payer's history row if the switch
  // did not write it with the send.
  struct StartedPayment {
    ipn::SendRequest send;
    std::string customer_id;
    std::string account_id;
    PaymentOrder order;
    bool recorded_with_send = false;  // set by send.record_with_outcome, in the switch's commit
  };
  // `may_block` false: "app.would_block" (nothing counted, nothing written)
  // when the PIN check would need argon2id or a write; StartPayment on a
  // thread that may block then does it.
  // `keep_reads`: where to leave the read transaction the payer was read in,
  // for the switch to read in too (SendAsync); only with may_block false,
  // where the checks write nothing and wait for no one.
  Result<std::shared_ptr<StartedPayment>> StartPayment(const http::Request& request, const Caller& caller,
                                                       const PaymentOrder& order, bool may_block = true,
                                                       std::unique_ptr<store::Transaction>* keep_reads = nullptr);
  Result<ipn::TransactionView> FinishPayment(StartedPayment& payment, Result<ipn::TransactionView> view);
  Status WritePayerHistory(store::Transaction& tx, const StartedPayment& payment, const ipn::TransactionView& view,
                           const std::string& notice);
  http::Response PaymentResponse(const Result<ipn::TransactionView>& view);
  // The switch's notifications: the payee's history row and every customer
  // notification (sent, received, failed, pending, reversed), written inside
  // the switch's transaction (Switch::SetOutboxWriter).
  Status StoreNotification(store::Transaction& tx, const ipn::Notification& notification);
  http::Response Lookup(http::Request& request);
  http::Response Send(http::Request& request);
  http::Response Limits(http::Request& request);
  http::Response History(http::Request& request);
  http::Response TransactionDetail(http::Request& request);
  http::Response CreateCollect(http::Request& request);
  http::Response ListCollects(http::Request& request);
  http::Response AcceptCollect(http::Request& request);
  http::Response DeclineCollect(http::Request& request);
  http::Response ListBillers(http::Request& request);
  http::Response BillInquiry(http::Request& request);
  http::Response PayBill(http::Request& request);
  http::Response ListCharities(http::Request& request);
  http::Response Donate(http::Request& request);

  // admin.cc
  void AddAdminRoutes(http::Router& router);
  http::Response ListBillersAll(http::Request& request);

 private:
  store::Store& store_;
  ipn::Switch& network_;
  AppOptions options_;
  SystemClock system_clock_;
  RateLimiter limiter_;
  PinCache pin_cache_{15 * 60, 100'000};  // verified PINs, 15 minutes (see pin_cache.h)
  // Group commit for the app's own writes on the hot path (history rows,
  // notifications).
  store::BatchWriter writer_;

  // Sessions are checked on every request; a short-lived cache keeps the hot
  // path off the database. A logout in this process drops the entry at once;
  // one in another process is seen within kSessionCacheSeconds.
  static constexpr int64_t kSessionCacheSeconds = 5;
  struct CachedSession {
    Caller caller;
    int64_t expires_at = 0;
    int64_t checked_at = 0;
  };
  std::mutex sessions_mutex_;
  std::unordered_map<std::string, CachedSession> sessions_;
  // Bumped (under sessions_mutex_) by whoever revokes sessions, after the
  // revocation is written (logout, suspension). Authenticate reads
  // app_sessions outside the lock; if a revocation landed between that read
  // and the cache insert, the row it read may predate it, and caching that
  // row would bring the revoked session back. So it caches only when the
  // epoch is the one it saw before reading.
  uint64_t forget_epoch_ = 0;

 public:
  void ForgetSession(const std::string& token_hash);
};

}  // namespace lahza::app
