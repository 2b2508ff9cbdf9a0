// UTF-8 encoding and decoding: the one codec every module uses.
#pragma once

#include <string>
#include <string_view>

namespace lahza {

// Appends the UTF-8 encoding of `cp` (at most U+10FFFF) to `out`.
void AppendUtf8(std::string& out, char32_t cp);

// What DecodeUtf8 returns for a malformed sequence (not a code point).
inline constexpr char32_t kInvalidCodePoint = 0xFFFFFFFF;

// Decodes one code point at `at` (< text.size()), advancing it. Returns
// kInvalidCodePoint, advancing by one byte, on any malformed sequence
// (truncated, bad continuation, overlong, surrogate, beyond U+10FFFF), so
// decoding always makes progress.
char32_t DecodeUtf8(std::string_view text, size_t& at);

// Every code point of `text`; malformed bytes become kInvalidCodePoint.
std::u32string DecodeUtf8(std::string_view text);

}  // namespace lahza
