// Every error code core returns must have an Arabic and an English message.
// The codes are found by reading core's own sources, so a new code added
// without a catalogue entry fails here even if no other test triggers it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "core/messages.h"

namespace lahza {
namespace {

std::set<std::string> CodesInCoreSources() {
  const std::filesystem::path root = LAHZA_SOURCE_DIR;
  std::vector<std::filesystem::path> files = {root / "src/cli/validate_command.cc"};
  for (const auto& entry : std::filesystem::directory_iterator(root / "src/core")) {
    if (entry.path().extension() == ".cc") files.push_back(entry.path());
  }
  // A string literal that is a dotted code of one of core's domains.
  const std::regex code(R"re("((?:money|national_id|mobile|iban|card|ipa|ir|digits|core)\.[a-z_.]+)")re");
  std::set<std::string> codes;
  for (const auto& file : files) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    const std::string source = text.str();
    for (std::sregex_iterator it(source.begin(), source.end(), code), end; it != end; ++it) {
      codes.insert((*it)[1].str());
    }
  }
  return codes;
}

TEST(Catalogue, EveryCoreErrorCodeHasArabicAndEnglish) {
  const std::set<std::string> codes = CodesInCoreSources();
  // The scan itself must work: core returns dozens of codes.
  ASSERT_GE(codes.size(), 40u);
  for (const std::string& code : codes) {
    auto message = FindMessage(code);
    ASSERT_TRUE(message.has_value()) << "no catalogue entry for " << code;
    EXPECT_FALSE(message->ar.empty()) << code;
    EXPECT_FALSE(message->en.empty()) << code;
    EXPECT_NE(message->ar, message->en) << code << " has no Arabic translation";
  }
}

TEST(Catalogue, KnownCodesAndGenericFallback) {
  EXPECT_TRUE(FindMessage("internal").has_value());
  EXPECT_TRUE(FindMessage("money.overflow").has_value());
  EXPECT_FALSE(FindMessage("money.no_such_code").has_value());
  EXPECT_NE(MessageFor("money.no_such_code").en.find("money.no_such_code"), std::string::npos);
}

}  // namespace
}  // namespace lahza
