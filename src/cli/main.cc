// The `lahza` executable: its command line. Each sub-command's work is in its
// own file (commands.h); this is the only place they meet CLI11.
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

#include "cli/commands.h"

namespace lahza::cli {
namespace {

void AddVersionCommand(CLI::App& app) {
  auto* command = app.add_subcommand("version", "Print Lahza's version");
  command->callback([] { std::cout << "lahza " << LAHZA_VERSION << "\n"; });
}

// A sub-command's non-zero exit code, through CLI11_PARSE, as the process's.
void ExitWith(int code) {
  if (code != 0) throw CLI::RuntimeError(code);
}

void AddServeCommand(CLI::App& app) {
  auto options = std::make_shared<ServeOptions>();
  auto* command = app.add_subcommand("serve", "Serve the app API and the web front end over HTTP");
  command->add_option("--port", options->port, "TCP port (0: any free port)")->check(CLI::Range(0, 65535));
  command->add_option("--address", options->address, "address to listen on");
  command->add_option("--db", options->db, "database URL: sqlite:PATH or postgresql://...");
  command->add_option("--web", options->web, "folder of the web front end");
  command->add_option("--threads", options->threads, "event-loop threads (0: one per core but one, at least one)");
  command->add_option("--blocking-threads", options->blocking_threads,
                      "threads for routes that block (commits, argon2id)")
      ->check(CLI::Range(1, 1024));
  command->add_flag("--quiet", options->quiet, "no access log");
  command->add_option("--admin-token", options->admin_token, "bearer token for /api/v1/admin (also: LAHZA_ADMIN_TOKEN)")
      ->envname("LAHZA_ADMIN_TOKEN");
  command->add_option("--pin-hash", options->pin_hash,
                      "argon2id cost for new PINs: interactive (production) or min (tests, benchmark, demo)")
      ->check(CLI::IsMember({"interactive", "min"}));
  command->add_option("--reconcile-ms", options->reconcile_ms, "reconciliation interval, 0 = off");
  command->add_option("--stuck-after-ms", options->stuck_after_ms,
                      "an unfinished transfer untouched this long is finished by the reconciler")
      ->check(CLI::Range(1'000, 7 * 24 * 3600 * 1000));
  command->callback([options] { ExitWith(Serve(*options)); });
}

void AddSeedDemoCommand(CLI::App& app) {
  auto options = std::make_shared<SeedOptions>();
  auto* command = app.add_subcommand("seed-demo", "Create the demo world (participants, billers, customers, history)");
  command->add_option("--db", options->db, "database URL: sqlite:PATH or postgresql://...");
  command->add_option("--customers", options->customers, "how many customers")->check(CLI::Range(2, 1'000'000));
  command->add_option("--transfers", options->transfers, "how many history transfers")->check(CLI::Range(0, 1'000'000));
  command->add_option("--admin-token", options->admin_token, "admin token to create (default: a random one, printed)");
  command->callback([options] { ExitWith(SeedDemo(*options)); });
}

}  // namespace
}  // namespace lahza::cli

int main(int argc, char** argv) {
  CLI::App app{"Lahza — instant payments, the app backend and customer care"};
  app.require_subcommand(1);
  lahza::cli::AddVersionCommand(app);
  lahza::cli::AddValidateCommand(app);
  lahza::cli::AddServeCommand(app);
  lahza::cli::AddSeedDemoCommand(app);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
