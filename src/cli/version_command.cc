#include <iostream>

#include "cli/commands.h"

namespace lahza::cli {

void AddVersionCommand(CLI::App& app) {
  auto* command = app.add_subcommand("version", "Print Lahza's version");
  command->callback([] { std::cout << "lahza " << LAHZA_VERSION << "\n"; });
}

}  // namespace lahza::cli
