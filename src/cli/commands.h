// Each sub-command of the `lahza` executable lives in its own file and adds
// itself to the CLI11 app here.
#pragma once

#include <CLI/CLI.hpp>

namespace lahza::cli {

void AddVersionCommand(CLI::App& app);
void AddValidateCommand(CLI::App& app);  // validate national-id|mobile|iban|card|ipa|amount VALUE
void AddServeCommand(CLI::App& app);     // serve --port --db
void AddSeedDemoCommand(CLI::App& app);  // seed-demo --db

}  // namespace lahza::cli
