#include <CLI/CLI.hpp>

#include "cli/commands.h"

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
