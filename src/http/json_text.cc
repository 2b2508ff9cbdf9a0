#include "http/json_text.h"

#include <charconv>
#include <cstdint>
#include <string_view>

namespace lahza::http {

namespace {

using nlohmann::json;

std::string NlohmannText(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

// True when `s` can be written between quotes as it is: well-formed UTF-8
// (no overlong forms, no surrogates, nothing above U+10FFFF — what nlohmann's
// decoder accepts) and no byte JSON must escape (controls, '"', '\\').
// nlohmann escapes nothing else when ensure_ascii is off.
bool WritableAsIs(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      if (c < 0x20 || c == '"' || c == '\\') return false;
      ++i;
      continue;
    }
    size_t length = 0;
    uint32_t code = 0;
    if ((c & 0xE0) == 0xC0) {
      length = 2, code = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      length = 3, code = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      length = 4, code = c & 0x07;
    } else {
      return false;  // a continuation byte first, or 0xF8..0xFF
    }
    if (n - i < length) return false;
    for (size_t k = 1; k < length; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
      code = (code << 6) | (p[i + k] & 0x3F);
    }
    if (length == 2 && code < 0x80) return false;
    if (length == 3 && (code < 0x800 || (code >= 0xD800 && code <= 0xDFFF))) return false;
    if (length == 4 && (code < 0x10000 || code > 0x10FFFF)) return false;
    i += length;
  }
  return true;
}

void AppendString(std::string& out, const std::string& s) {
  if (!WritableAsIs(s)) {
    out += NlohmannText(json(s));  // escapes and replacement, rare: exactly nlohmann's
    return;
  }
  out += '"';
  out += s;
  out += '"';
}

template <typename Number>
void AppendNumber(std::string& out, Number number) {
  char digits[24];
  auto [end, error] = std::to_chars(digits, digits + sizeof digits, number);
  (void)error;  // 24 characters hold every 64-bit integer
  out.append(digits, end);
}

void Append(std::string& out, const json& value) {
  switch (value.type()) {
    case json::value_t::object: {
      out += '{';
      bool first = true;
      for (auto it = value.begin(); it != value.end(); ++it) {
        if (!first) out += ',';
        first = false;
        AppendString(out, it.key());
        out += ':';
        Append(out, it.value());
      }
      out += '}';
      return;
    }
    case json::value_t::array: {
      out += '[';
      bool first = true;
      for (const json& element : value) {
        if (!first) out += ',';
        first = false;
        Append(out, element);
      }
      out += ']';
      return;
    }
    case json::value_t::string: return AppendString(out, value.get_ref<const std::string&>());
    case json::value_t::boolean: out += value.get<bool>() ? "true" : "false"; return;
    case json::value_t::null: out += "null"; return;
    case json::value_t::number_integer: return AppendNumber(out, value.get<int64_t>());
    case json::value_t::number_unsigned: return AppendNumber(out, value.get<uint64_t>());
    default: out += NlohmannText(value); return;  // floats, binary: as nlohmann writes them
  }
}

}  // namespace

std::string JsonText(const json& value) {
  std::string out;
  out.reserve(1024);
  Append(out, value);
  return out;
}

}  // namespace lahza::http
