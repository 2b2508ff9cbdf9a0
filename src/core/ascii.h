// ASCII character classes, for the parsers that have already folded their
// input to ASCII (NormalizeDigits) and for codes and keys that are ASCII by
// definition. Locale-free on purpose: std::isdigit and std::tolower depend on
// the C locale and take an int that must not be a negative char.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>

namespace lahza {

constexpr bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }

// True for a non-empty run of ASCII digits only.
constexpr bool AllAsciiDigits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), IsAsciiDigit);
}

constexpr char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// `text` with A-Z turned into a-z; every other byte (UTF-8 included) unchanged.
inline std::string AsciiLower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

}  // namespace lahza
