// Every error code core returns must have an Arabic and an English message.
// The codes are found by reading core's own sources, so a new code added
// without a catalogue entry fails here even if no other test triggers it.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "core/messages.h"

namespace lahza {
namespace {

// The contents of every "..." literal in C++ source (escapes kept as written;
// codes never contain any). std::regex is avoided: GCC 12 warns inside it
// under the sanitizer build.
std::vector<std::string> StringLiterals(const std::string& source) {
  std::vector<std::string> literals;
  for (size_t open = source.find('"'); open != std::string::npos;) {
    size_t close = open + 1;
    while (close < source.size() && source[close] != '"' && source[close] != '\n') {
      close += source[close] == '\\' ? 2 : 1;
    }
    if (close >= source.size()) break;
    literals.push_back(source.substr(open + 1, close - open - 1));
    open = source.find('"', close + 1);
  }
  return literals;
}

// A dotted code of one of core's domains: "money.overflow".
bool IsCoreCode(const std::string& literal) {
  static const char* const kDomains[] = {"money.", "national_id.", "mobile.", "iban.", "card.", "ipa.", "ir.", "time."};
  for (const char* domain : kDomains) {
    const std::string prefix = domain;
    if (literal.size() > prefix.size() && literal.compare(0, prefix.size(), prefix) == 0) {
      return std::all_of(literal.begin() + static_cast<long>(prefix.size()), literal.end(),
                         [](char c) { return (c >= 'a' && c <= 'z') || c == '_' || c == '.'; });
    }
  }
  return false;
}

std::set<std::string> CodesInCoreSources() {
  const std::filesystem::path root = LAHZA_SOURCE_DIR;
  std::vector<std::filesystem::path> files = {root / "src/cli/validate_command.cc"};
  for (const auto& entry : std::filesystem::directory_iterator(root / "src/core")) {
    if (entry.path().extension() == ".cc") files.push_back(entry.path());
  }
  std::set<std::string> codes;
  for (const auto& file : files) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    for (const std::string& literal : StringLiterals(text.str())) {
      if (IsCoreCode(literal)) codes.insert(literal);
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

namespace lahza {
namespace {

TEST(Catalogue, FormatFillsPlaceholdersInOnePass) {
  EXPECT_EQ(FormatText("", {{"a", "x"}}), "");
  EXPECT_EQ(FormatText("no placeholders", {{"a", "x"}}), "no placeholders");
  EXPECT_EQ(FormatText("{a} and {a}, {b}.", {{"a", "1"}, {"b", "٢"}}), "1 and 1, ٢.");
  // A "{...}" naming no value, and unbalanced braces, stay as written.
  EXPECT_EQ(FormatText("{unknown} {a} {", {{"a", "x"}}), "{unknown} x {");
  EXPECT_EQ(FormatText("{{a}}", {{"a", "x"}}), "{x}");
  EXPECT_EQ(FormatText("tail {a", {{"a", "x"}}), "tail {a");
  // What a value brings in is not read again: a customer's note cannot pull
  // in another value.
  EXPECT_EQ(FormatText("note: {note}, ref {ir}", {{"note", "see {ir}"}, {"ir", "IR1"}}), "note: see {ir}, ref IR1");
  Message both = Format(Message{"المبلغ {amount}", "amount {amount} {amount}"}, {{"amount", "5"}});
  EXPECT_EQ(both.ar, "المبلغ 5");
  EXPECT_EQ(both.en, "amount 5 5");
}

}  // namespace
}  // namespace lahza
