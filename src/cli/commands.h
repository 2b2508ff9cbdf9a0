// The `lahza` executable's sub-commands. What each one does lives in its own
// file and takes a plain options struct; only main.cc (and validate, whose
// nested sub-commands are its interface) include CLI11, because every file
// that does pays ≈ 5 s of compile time (≈ 11 s under ASan) for CLI11's
// inline functions, and ./test builds every file twice.
#pragma once

#include <cstdint>
#include <string>

namespace CLI {
class App;
}

namespace lahza::cli {

void AddValidateCommand(CLI::App& app);  // validate national-id|mobile|iban|card|ipa|amount VALUE

// lahza serve: the app API, customer care and the web front end over HTTP.
struct ServeOptions {
  int port = 8080;
  std::string address = "127.0.0.1";
  std::string db = "sqlite:data-run/lahza.db";
  std::string web = "web";
  // Event loops (0: one per core): they serve every connection and the
  // non-blocking routes (a payment waits for its commit without holding one).
  int threads = 0;
  // For the routes that block (a commit, argon2id): as many as may wait at once.
  int blocking_threads = 32;
  bool quiet = false;
  std::string admin_token;
  std::string pin_hash = "interactive";
  int reconcile_ms = 5000;
  // An unfinished transfer untouched this long is the reconciler's to finish
  // (a crash left it). Long enough that a live send is never taken from the
  // hands working on it; tests that crash the server shorten it.
  int stuck_after_ms = 30'000;
};
int Serve(const ServeOptions& options);  // the process's exit code

// lahza seed-demo: the demo world (participants, billers, customers, history).
struct SeedOptions {
  std::string db = "sqlite:data-run/lahza.db";
  int customers = 3000;
  int transfers = 3000;
  std::string admin_token;
  uint32_t seed = 20261125;
};
int SeedDemo(const SeedOptions& options);  // the process's exit code

}  // namespace lahza::cli
