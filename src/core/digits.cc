#include "core/digits.h"

#include <charconv>

namespace lahza {

namespace {

// UTF-8 lead bytes of the two Arabic blocks we translate (U+0600-U+063F is
// D8, U+0640-U+067F is D9, U+06C0-U+06FF is DB).
constexpr unsigned char kLeadD9 = 0xD9;
constexpr unsigned char kLeadDB = 0xDB;

bool IsAsciiSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// Length in bytes of a no-break space at the start of `text`, or 0.
size_t NoBreakSpaceAt(std::string_view text) {
  if (text.size() >= 2 && static_cast<unsigned char>(text[0]) == 0xC2 &&
      static_cast<unsigned char>(text[1]) == 0xA0) {
    return 2;  // U+00A0
  }
  if (text.size() >= 3 && static_cast<unsigned char>(text[0]) == 0xE2 &&
      static_cast<unsigned char>(text[1]) == 0x80 && static_cast<unsigned char>(text[2]) == 0xAF) {
    return 3;  // U+202F narrow no-break space
  }
  return 0;
}

size_t NoBreakSpaceEndingAt(std::string_view text) {
  if (text.size() >= 2 && NoBreakSpaceAt(text.substr(text.size() - 2)) == 2) return 2;
  if (text.size() >= 3 && NoBreakSpaceAt(text.substr(text.size() - 3)) == 3) return 3;
  return 0;
}

}  // namespace

std::string NormalizeDigits(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const auto b0 = static_cast<unsigned char>(text[i]);
    const auto b1 = i + 1 < text.size() ? static_cast<unsigned char>(text[i + 1]) : 0;
    if (b0 == kLeadD9 && b1 >= 0xA0 && b1 <= 0xA9) {  // ٠-٩ U+0660-0669
      out.push_back(static_cast<char>('0' + (b1 - 0xA0)));
      ++i;
    } else if (b0 == kLeadDB && b1 >= 0xB0 && b1 <= 0xB9) {  // ۰-۹ U+06F0-06F9
      out.push_back(static_cast<char>('0' + (b1 - 0xB0)));
      ++i;
    } else if (b0 == kLeadD9 && b1 == 0xAB) {  // ٫ U+066B
      out.push_back('.');
      ++i;
    } else if (b0 == kLeadD9 && b1 == 0xAC) {  // ٬ U+066C
      out.push_back(',');
      ++i;
    } else if (b0 == 0xD8 && b1 == 0x9C) {  // U+061C ARABIC LETTER MARK
      ++i;
    } else if (b0 == 0xE2 && b1 == 0x80 && i + 2 < text.size()) {
      const auto b2 = static_cast<unsigned char>(text[i + 2]);
      // U+200E LRM, U+200F RLM, U+202A..U+202E embeddings and overrides.
      if (b2 == 0x8E || b2 == 0x8F || (b2 >= 0xAA && b2 <= 0xAE)) {
        i += 2;
      } else {
        out.push_back(text[i]);
      }
    } else if (b0 == 0xE2 && b1 == 0x81 && i + 2 < text.size() &&
               static_cast<unsigned char>(text[i + 2]) >= 0xA6 &&
               static_cast<unsigned char>(text[i + 2]) <= 0xA9) {  // U+2066..U+2069 isolates
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

std::string ToArabicIndicDigits(std::string_view ascii) {
  std::string out;
  out.reserve(ascii.size() * 2);
  for (char c : ascii) {
    if (c >= '0' && c <= '9') {
      out.push_back(static_cast<char>(kLeadD9));
      out.push_back(static_cast<char>(0xA0 + (c - '0')));
    } else if (c == '.') {
      out += "\u066B";
    } else if (c == ',') {
      out += "\u066C";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string_view TrimSpaces(std::string_view text) {
  for (;;) {
    if (!text.empty() && IsAsciiSpace(text.front())) {
      text.remove_prefix(1);
    } else if (size_t n = NoBreakSpaceAt(text)) {
      text.remove_prefix(n);
    } else {
      break;
    }
  }
  for (;;) {
    if (!text.empty() && IsAsciiSpace(text.back())) {
      text.remove_suffix(1);
    } else if (size_t n = NoBreakSpaceEndingAt(text)) {
      text.remove_suffix(n);
    } else {
      break;
    }
  }
  return text;
}

std::optional<std::string> GroupedDigits(std::string_view text, size_t max_digits) {
  std::string digits;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
    } else if (c != ' ' && c != '-') {
      return std::nullopt;
    }
    if (digits.size() > max_digits) break;  // no need to copy an absurdly long input
  }
  return digits;
}

std::string ZeroPadded(int64_t value, int width) {
  // Digits of the magnitude; two's complement negation in unsigned
  // arithmetic is defined even for INT64_MIN.
  const uint64_t magnitude = value < 0 ? 0 - static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
  char digits[24];
  auto [end, error] = std::to_chars(digits, digits + sizeof digits, magnitude);
  (void)error;  // 24 characters hold every 64-bit integer
  std::string out;
  if (value < 0) {
    out += '-';
    --width;
  }
  for (auto n = end - digits; n < width; ++n) out += '0';
  out.append(digits, end);
  return out;
}

}  // namespace lahza
