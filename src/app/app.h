// The mobile-app backend: customers (registration, OTP, PIN, sessions),
// linked accounts and IPAs, payments through the switch (send, collect,
// bills, donations), limits, history with plain-language timelines,
// notifications, and the admin role. Exposed as JSON routes under /api/v1
// (see docs/api.md and docs/openapi.yaml); everything is stored through
// store::Store (tables app_*, migrations of module "app").
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/cairo_time.h"
#include "core/ir_reference.h"
#include "core/result.h"
#include "http/router.h"
#include "store/store.h"

namespace lahza::ipn { class Switch; }

namespace lahza::app {

// How hard PINs are hashed (argon2id, libsodium crypto_pwhash_str). The
// stored string records its own parameters, so a hash made under one setting
// still verifies under another.
enum class PinHashing {
  kInteractive,  // libsodium's OPSLIMIT/MEMLIMIT_INTERACTIVE (2 passes, 64 MiB): production
  kMinimum,      // OPSLIMIT/MEMLIMIT_MIN (1 pass, 8 KiB): tests, the benchmark and demo data only
};

// The second a transaction's history rows (app_activity.created_at) are
// filed under: when its IR reference was issued. A function of the reference
// alone, so one index (customer, second, IR, direction) serves a customer's
// history in time order and the lookup of one transaction by its reference.
// Whoever writes history rows (seed-demo too) must use it.
int64_t HistorySecond(const IrReference& ir);

struct AppOptions {
  // Bearer token for /api/v1/admin/*; empty: admin tokens only from the
  // app_admin_tokens table (created by seed-demo).
  std::string admin_token;
  PinHashing pin_hashing = PinHashing::kInteractive;
  int64_t session_ttl_seconds = 12 * 3600;
  // Per-IP and per-token request budgets on OTP, PIN and login routes
  // (requests per minute). Tests lower them to see 429s quickly.
  int otp_per_minute = 10;
  int login_per_minute = 20;
  int pin_per_minute = 600;  // confirmations carry a PIN; high because the benchmark confirms at speed
  const Clock* clock = nullptr;  // nullptr: the system clock
  // Whether a customer's outgoing payments are frozen (care's security
  // freeze, docs/care.md). The app does not depend on care: lahza serve and
  // the tests pass care::TransfersFrozen here. It reads in the app's own read
  // transaction (the one that loads the payer). Empty: nobody is frozen. An
  // error refuses the payment (a freeze that cannot be checked is not waived).
  std::function<Result<bool>(store::Transaction& tx, std::string_view customer_id)> transfers_frozen;
};

class App {
 public:
  // Applies the app's migrations. `network` is the switch every payment and
  // account verification goes through; the App installs itself as the
  // switch's notifier (history and notifications). Both must outlive the App;
  // destroying the App clears the notifier, waiting for calls in flight.
  static Result<std::unique_ptr<App>> Open(store::Store& store, ipn::Switch& network, AppOptions options);
  virtual ~App() = default;

  // Registers every /api/v1 route of the app (customer and admin).
  virtual void AddRoutes(http::Router& router) = 0;

  // The admin token check of /api/v1/admin/*, for admin routes other modules
  // register (care's agent tokens): ok, or app.admin_unauthorized (failures
  // count against the same per-IP budget).
  virtual Status AuthorizeAdmin(const http::Request& request) = 0;
};

}  // namespace lahza::app
