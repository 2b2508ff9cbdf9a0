// The message catalogue: every word a customer, agent or operator reads, in
// Arabic and English, keyed by a stable code. Catalogue files live in
// data/messages/<module>.json as {"code": {"ar": "...", "en": "..."}} and are
// compiled in. A code missing from the catalogue is a bug, caught by a test.
#pragma once

#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "core/error.h"

namespace lahza {

enum class Language { kArabic, kEnglish };

struct Message {
  std::string ar;
  std::string en;
  const std::string& in(Language language) const { return language == Language::kArabic ? ar : en; }
};

// The catalogue entry for `code`, or nullopt when there is none.
std::optional<Message> FindMessage(std::string_view code);
// The same without a copy: the catalogue lives as long as the program.
const Message* CatalogueEntry(std::string_view code);

// The entry for `code`; when missing, a generic message that names the code
// (so a gap shows up in review, never as an empty string).
Message MessageFor(std::string_view code);

// "{name}" placeholders in both languages replaced by the given values, in
// one pass: a value is never read for placeholders itself, and a "{...}"
// that names no value stays as written.
Message Format(Message message, std::initializer_list<std::pair<std::string_view, std::string>> values);
// The same for one language's text, when the values differ by language (a
// time in Arabic-Indic digits, a bank's Arabic name).
std::string FormatText(std::string_view text, std::initializer_list<std::pair<std::string_view, std::string_view>> values);
std::string FormatText(std::string_view text, std::span<const std::pair<std::string_view, std::string_view>> values);

// Number of codes in the catalogue (for tests).
size_t MessageCount();

}  // namespace lahza
