// lahza serve: the app backend, its HTTP API and the web front end.
#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <thread>

#include "app/app.h"
#include "care/care_routes.h"
#include "care/case_agents.h"
#include "care/cases.h"
#include "care/diagnosis.h"
#include "cli/commands.h"
#include "core/thread_name.h"
#include "http/server.h"
#include "ipn/switch.h"
#include "ledger/ledger.h"
#include "store/store.h"

namespace lahza::cli {

namespace {

// Runs CaseService::RefreshDiagnoses every `interval_ms` on its own thread
// (0: never) until stopped.
class DiagnosisRefresher {
 public:
  DiagnosisRefresher(care::CaseService& cases, int interval_ms) {
    if (interval_ms <= 0) return;
    thread_ = std::thread([this, &cases, interval_ms] {
      NameThisThread("care-diagnose");
      std::unique_lock lock(mutex_);
      while (!stopping_) {
        if (wake_.wait_for(lock, std::chrono::milliseconds(interval_ms), [this] { return stopping_; })) break;
        lock.unlock();
        auto refreshed = cases.RefreshDiagnoses();
        if (!refreshed) spdlog::warn("care: refreshing diagnoses failed: {} {}", refreshed.error().code, refreshed.error().detail);
        else if (*refreshed > 0) spdlog::info("care: {} case(s) resolved by a transaction's outcome", *refreshed);
        lock.lock();
      }
    });
  }
  ~DiagnosisRefresher() { Stop(); }
  void Stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace

int Serve(const ServeOptions& options) {
  // A reader of our output that goes away (a log shipper restarting, a
  // parent that stopped reading once it had the port) must cost a failed
  // write (EPIPE), never the process: the next log line would raise SIGPIPE,
  // whose default action kills the server, and nothing else ignores it (Asio
  // only avoids it on its own sockets). Process-wide, set before any thread.
  std::signal(SIGPIPE, SIG_IGN);
  // Signals are taken by sigwait below, never by a handler racing the server
  // threads; block them before any thread starts so every thread inherits it.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  if (options.db.starts_with("sqlite:")) {
    std::filesystem::path file = options.db.substr(7);
    if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path());
  }
  auto store = store::Open(options.db);
  if (!store) {
    std::cerr << "lahza serve: cannot open " << options.db << ": " << store.error().code << " "
              << store.error().detail << "\n";
    return 1;
  }

  auto ledger = ledger::Ledger::Open(**store);
  if (!ledger) {
    std::cerr << "lahza serve: ledger: " << ledger.error().code << " " << ledger.error().detail << "\n";
    return 1;
  }
  ipn::SwitchOptions switch_options;
  switch_options.stuck_after_ms = options.stuck_after_ms;
  auto network = ipn::Switch::Open(**store, **ledger, std::move(switch_options));
  if (!network) {
    std::cerr << "lahza serve: switch: " << network.error().code << " " << network.error().detail << "\n";
    return 1;
  }
  app::AppOptions app_options;
  app_options.admin_token = options.admin_token;
  app_options.pin_hashing = options.pin_hash == "min" ? app::PinHashing::kMinimum : app::PinHashing::kInteractive;
  // Care's security freeze, enforced by the app on every outgoing payment
  // (the table is created by care's migrations below, before any request).
  app_options.transfers_frozen = [](store::Transaction& tx, std::string_view customer_id) {
    return care::TransfersFrozen(tx, customer_id);
  };
  auto app = app::App::Open(**store, **network, app_options);
  if (!app) {
    std::cerr << "lahza serve: app: " << app.error().code << " " << app.error().detail << "\n";
    return 1;
  }
  // Transfers whose payee timed out after the debit are settled in the
  // background: completed or returned to the payer.
  if (options.reconcile_ms > 0) (*network)->StartReconciler(std::chrono::milliseconds(options.reconcile_ms));
  // Every return from here on (a port in use, care failing to set up) stops
  // the reconciler before the app, the switch and the store it works on are
  // destroyed: it is declared after them, so it goes first.
  struct ReconcilerStop {
    ipn::Switch& network;
    ~ReconcilerStop() { network.StopReconciler(); }
  } reconciler_stop{**network};

  // Customer care: cases diagnosed against the switch, agents, and the
  // customer's identity taken from the app's own session check.
  SystemClock clock;
  care::Diagnoser diagnoser(**network, clock);
  auto cases = care::CaseService::Create(**store, clock, &diagnoser);
  if (!cases) {
    std::cerr << "lahza serve: care: " << cases.error().code << " " << cases.error().detail << "\n";
    return 1;
  }
  auto agents = care::AgentDirectory::Open(**store);
  if (!agents) {
    std::cerr << "lahza serve: agents: " << agents.error().code << " " << agents.error().detail << "\n";
    return 1;
  }

  // Cases whose transaction was still open learn its outcome on the
  // reconciler's rhythm (the reconciler is what settles those transactions).
  DiagnosisRefresher refresher(**cases, options.reconcile_ms);

  http::Router router;
  http::AddHealthRoute(router);
  (*app)->AddRoutes(router);
  care::AddCareRoutes(router, care::CareServices{cases->get(), agents->get(), care::AuthenticateThroughApp(router), &clock});
  app::App* app_ptr = app->get();
  care::AddCareAdminRoutes(router, care::CareAdminServices{
                                       agents->get(),
                                       [app_ptr](const http::Request& request) { return app_ptr->AuthorizeAdmin(request); },
                                       &(*network)->directory()});
  http::AddStaticRoutes(router, options.web);

  http::ServerOptions server_options;
  server_options.address = options.address;
  server_options.port = static_cast<uint16_t>(options.port);
  server_options.threads = options.threads;
  server_options.blocking_threads = options.blocking_threads;
  server_options.access_log = !options.quiet;
  // The switch's writer commits without waiting for the flush: no answer may
  // tell what a crash could still undo.
  server_options.after_durable = [&store = **store](std::function<void()> then) { store.WhenDurable(std::move(then)); };
  http::Server server(router, server_options);
  if (auto started = server.Start(); !started) {
    std::cerr << "lahza serve: " << started.error().code << ": " << started.error().detail << "\n";
    return 1;
  }
  std::cout << "Lahza is serving at http://" << options.address << ":" << server.port() << "/" << std::endl;

  int received = 0;
  sigwait(&signals, &received);
  spdlog::info("lahza serve: signal {}, stopping", received);
  server.Stop();
  refresher.Stop();
  // The reconciler stops with reconciler_stop and the app clears its notifier
  // as it is destroyed, in that order, as on every other return.
  return 0;
}

}  // namespace lahza::cli
