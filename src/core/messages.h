// The message catalogue: every word a customer, agent or operator reads, in
// Arabic and English, keyed by a stable code. Catalogue files live in
// data/messages/<module>.json as {"code": {"ar": "...", "en": "..."}} and are
// compiled in. A code missing from the catalogue is a bug, caught by a test.
#pragma once

#include <optional>
#include <string>
#include <string_view>

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

// The entry for `code`; when missing, a generic message that names the code
// (so a gap shows up in review, never as an empty string).
Message MessageFor(std::string_view code);

// "{name}" placeholders in both languages replaced by the given values.
Message Format(Message message, std::initializer_list<std::pair<std::string_view, std::string>> values);

// Number of codes in the catalogue (for tests).
size_t MessageCount();

}  // namespace lahza
