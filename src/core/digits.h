// Digits as people type them in Egypt. Arabic keyboards produce Arabic-Indic
// digits (٠-٩, U+0660-0669); Persian/Urdu keyboards and some phones produce
// Eastern Arabic-Indic digits (۰-۹, U+06F0-06F9). Numbers also arrive with the
// Arabic decimal separator (٫ U+066B) and thousands separator (٬ U+066C), and
// with invisible bidi marks copy-pasted from right-to-left text. Every parser
// in core folds its input through NormalizeDigits first, so each parser only
// ever sees ASCII digits.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lahza {

// `text` with Arabic-Indic and Eastern Arabic-Indic digits turned into ASCII
// digits, ٫ into '.', ٬ into ',', and the invisible direction marks (LRM, RLM,
// ALM, LRE..RLO, LRI..PDI) removed. Everything else is copied unchanged.
std::string NormalizeDigits(std::string_view text);

// The reverse for display: ASCII digits into Arabic-Indic digits, '.' into ٫
// and ',' into ٬. Everything else is copied unchanged.
std::string ToArabicIndicDigits(std::string_view ascii);

// `text` without ASCII whitespace and no-break spaces (U+00A0, U+202F) at
// either end.
std::string_view TrimSpaces(std::string_view text);

// The ASCII digits of `text` (already through NormalizeDigits), skipping the
// spaces and dashes people type between groups ("4111 1111-1111 1111");
// nullopt when anything else appears. Copies at most `max_digits` + 1 digits:
// enough for the caller to tell an input that is too long.
std::optional<std::string> GroupedDigits(std::string_view text, size_t max_digits);

// `value` in ASCII digits, at least `width` of them, zero-padded on the left
// (a minus sign, if any, counts in the width): what printf's "%0*lld" writes.
// For dates and clock times ("2026-11-05", "09:05").
std::string ZeroPadded(int64_t value, int width);

}  // namespace lahza
