// `lahza validate ...` driven through CLI11 exactly as main() does.
#include <CLI/CLI.hpp>
#include <gtest/gtest.h>

#include <iostream>
#include <sstream>

#include "cli/commands.h"
#include "core/card.h"
#include "core/ir_reference.h"

namespace lahza::cli {
namespace {

struct Outcome {
  int exit_code;
  std::string out;
};

Outcome RunCli(std::vector<std::string> args) {
  CLI::App app{"test"};
  app.require_subcommand(1);
  AddValidateCommand(app);
  std::vector<const char*> argv = {"lahza"};
  for (const auto& arg : args) argv.push_back(arg.c_str());
  std::ostringstream captured;
  std::streambuf* saved = std::cout.rdbuf(captured.rdbuf());
  int exit_code = 0;
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    exit_code = e.get_exit_code();
  }
  std::cout.rdbuf(saved);
  return {exit_code, captured.str()};
}

bool Contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(ValidateCommand, NationalId) {
  auto ok = RunCli({"validate", "national-id", "٢٩٠٠١٠١٠١١٢٣٥٥"});
  EXPECT_EQ(ok.exit_code, 0);
  EXPECT_TRUE(Contains(ok.out, "valid national ID")) << ok.out;
  EXPECT_TRUE(Contains(ok.out, "1990-01-01")) << ok.out;
  EXPECT_TRUE(Contains(ok.out, "القاهرة")) << ok.out;
  EXPECT_TRUE(Contains(ok.out, "ذكر")) << ok.out;

  auto bad = RunCli({"validate", "national-id", "29702290112355"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_TRUE(Contains(bad.out, "invalid national ID")) << bad.out;
  EXPECT_TRUE(Contains(bad.out, "national_id.invalid_birth_date")) << bad.out;
  EXPECT_TRUE(Contains(bad.out, "تاريخ الميلاد")) << bad.out;
}

TEST(ValidateCommand, Mobile) {
  auto ok = RunCli({"validate", "mobile", "+20 122 333 4444"});
  EXPECT_EQ(ok.exit_code, 0);
  EXPECT_TRUE(Contains(ok.out, "+201223334444")) << ok.out;
  EXPECT_TRUE(Contains(ok.out, "أورنج")) << ok.out;
  EXPECT_EQ(RunCli({"validate", "mobile", "0223456789"}).exit_code, 1);
}

TEST(ValidateCommand, Iban) {
  auto ok = RunCli({"validate", "iban", "eg38 0019 0005 0000 0000 2631 8000 2"});
  EXPECT_EQ(ok.exit_code, 0);
  EXPECT_TRUE(Contains(ok.out, "EG38 0019 0005 0000 0000 2631 8000 2")) << ok.out;
  EXPECT_TRUE(Contains(ok.out, "0019")) << ok.out;
  EXPECT_TRUE(Contains(ok.out, "00000000263180002")) << ok.out;
  auto bad = RunCli({"validate", "iban", "EG390019000500000000263180002"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_TRUE(Contains(bad.out, "iban.invalid_checksum")) << bad.out;
}

TEST(ValidateCommand, CardNeverPrintsTheFullNumber) {
  auto ok = RunCli({"validate", "card", "4111 1111 1111 1111"});
  EXPECT_EQ(ok.exit_code, 0);
  EXPECT_TRUE(Contains(ok.out, "411111******1111")) << ok.out;
  EXPECT_TRUE(Contains(ok.out, "فيزا")) << ok.out;
  EXPECT_FALSE(Contains(ok.out, "4111111111111111")) << ok.out;
  EXPECT_EQ(RunCli({"validate", "card", "4111111111111112"}).exit_code, 1);
}

TEST(ValidateCommand, IpaAmountAndIr) {
  auto ipa = RunCli({"validate", "ipa", "Mona.Ali"});
  EXPECT_EQ(ipa.exit_code, 0);
  EXPECT_TRUE(Contains(ipa.out, "mona.ali@instapay")) << ipa.out;
  EXPECT_EQ(RunCli({"validate", "ipa", "mona@gmail.com"}).exit_code, 1);

  auto amount = RunCli({"validate", "amount", "١٬٢٥٠٫٥٠ ج.م"});
  EXPECT_EQ(amount.exit_code, 0);
  EXPECT_TRUE(Contains(amount.out, "EGP 1,250.50")) << amount.out;
  EXPECT_TRUE(Contains(amount.out, "١٬٢٥٠٫٥٠ ج.م.")) << amount.out;
  EXPECT_TRUE(Contains(amount.out, "125050")) << amount.out;
  auto bad_amount = RunCli({"validate", "amount", "1.234"});
  EXPECT_EQ(bad_amount.exit_code, 1);
  EXPECT_TRUE(Contains(bad_amount.out, "money.too_many_decimals")) << bad_amount.out;

  const auto reference = IrReference::FromParts(3, 86'400'000'000);  // issued 2024-01-02T00:00:00Z
  auto ir = RunCli({"validate", "ir", reference.str()});
  EXPECT_EQ(ir.exit_code, 0);
  EXPECT_TRUE(Contains(ir.out, "2024-01-02T00:00:00Z")) << ir.out;
  std::string typo = reference.str();
  typo[10] = typo[10] == '9' ? '8' : static_cast<char>(typo[10] + 1);
  auto bad_ir = RunCli({"validate", "ir", typo});
  EXPECT_EQ(bad_ir.exit_code, 1);
  EXPECT_TRUE(Contains(bad_ir.out, "ir.invalid_check_digit")) << bad_ir.out;
}

TEST(ValidateCommand, UnknownKindIsAUsageError) {
  EXPECT_NE(RunCli({"validate", "passport", "x"}).exit_code, 0);
  EXPECT_NE(RunCli({"validate", "mobile"}).exit_code, 0);  // VALUE is required
}

}  // namespace
}  // namespace lahza::cli
