#include "http/json_text.h"

#include <array>
#include <cassert>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace lahza::http {

namespace {

using nlohmann::json;

std::string NlohmannText(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

// What a byte begins: a character written as it is (0), one JSON escapes (1),
// a UTF-8 sequence of 2, 3 or 4 bytes, or nothing valid (5: a continuation
// byte, 0xC0/0xC1 which could only start an overlong form, 0xF5..0xFF).
constexpr std::array<uint8_t, 256> kLeads = [] {
  std::array<uint8_t, 256> leads{};
  for (int c = 0; c < 256; ++c) {
    if (c < 0x20 || c == '"' || c == '\\') leads[c] = 1;
    else if (c < 0x80) leads[c] = 0;
    else if (c >= 0xC2 && c <= 0xDF) leads[c] = 2;
    else if (c >= 0xE0 && c <= 0xEF) leads[c] = 3;
    else if (c >= 0xF0 && c <= 0xF4) leads[c] = 4;
    else leads[c] = 5;
  }
  return leads;
}();

bool Continues(unsigned char c) { return (c & 0xC0) == 0x80; }

// True when none of the 8 bytes at `p` needs a look of its own: all ASCII, no
// control, no '"', no '\\' (the classic "has a byte less than n" bit tricks,
// exact for the question "is there any"). Response bodies are mostly such
// runs — ids, codes, times, English text — and checking them 8 bytes at a time
// took AppendString from 6.5 % of an event loop's time to under 1 %.
bool EightPlainBytes(const unsigned char* p) {
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHigh = 0x8080808080808080ull;
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  auto has_zero_byte = [](uint64_t x) { return ((x - kOnes) & ~x & kHigh) != 0; };
  const bool non_ascii = (v & kHigh) != 0;
  const bool control = ((v - kOnes * 0x20) & ~v & kHigh) != 0;
  return !non_ascii && !control && !has_zero_byte(v ^ (kOnes * '"')) && !has_zero_byte(v ^ (kOnes * '\\'));
}

// True when the 8 bytes at `p` are four whole 2-byte UTF-8 sequences
// (U+0080..U+07FF: a lead 0xC2..0xDF, then a continuation 0x80..0xBF each),
// as a run of Arabic letters is. Arabic is most of a payment's answer in
// bytes, and looking at it a character at a time was most of the time spent
// writing strings.
bool FourTwoByteSequences(const unsigned char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);  // little-endian: p[0] is the lowest byte
  // Leads (even bytes) 110xxxxx, continuations (odd bytes) 10xxxxxx.
  if ((v & 0xC0E0C0E0C0E0C0E0ull) != 0x80C080C080C080C0ull) return false;
  // No 0xC0 or 0xC1 lead (an overlong form): each lead has a bit in 0x1E.
  const uint64_t lanes = v & 0x001E001E001E001Eull;
  constexpr uint64_t kLaneOnes = 0x0001000100010001ull, kLaneHigh = 0x8000800080008000ull;
  return ((lanes - kLaneOnes) & ~lanes & kLaneHigh) == 0;
}

// True when `s` can be written between quotes as it is: well-formed UTF-8
// (no overlong forms, no surrogates, nothing above U+10FFFF — what nlohmann's
// decoder accepts) and no byte JSON must escape (controls, '"', '\\').
// nlohmann escapes nothing else when ensure_ascii is off.
bool WritableAsIs(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    if (n - i >= 8 && (EightPlainBytes(p + i) || FourTwoByteSequences(p + i))) {
      i += 8;
      continue;
    }
    switch (kLeads[p[i]]) {
      case 0:
        ++i;
        break;
      case 2:  // U+0080..U+07FF: a 0xC2..0xDF lead is never overlong
        if (n - i < 2 || !Continues(p[i + 1])) return false;
        i += 2;
        break;
      case 3: {
        if (n - i < 3 || !Continues(p[i + 1]) || !Continues(p[i + 2])) return false;
        const uint32_t code = ((p[i] & 0x0Fu) << 12) | ((p[i + 1] & 0x3Fu) << 6) | (p[i + 2] & 0x3Fu);
        if (code < 0x800 || (code >= 0xD800 && code <= 0xDFFF)) return false;
        i += 3;
        break;
      }
      case 4: {
        if (n - i < 4 || !Continues(p[i + 1]) || !Continues(p[i + 2]) || !Continues(p[i + 3])) return false;
        const uint32_t code = ((p[i] & 0x07u) << 18) | ((p[i + 1] & 0x3Fu) << 12) | ((p[i + 2] & 0x3Fu) << 6) |
                              (p[i + 3] & 0x3Fu);
        if (code < 0x10000 || code > 0x10FFFF) return false;
        i += 4;
        break;
      }
      default:
        return false;
    }
  }
  return true;
}

void AppendString(std::string& out, std::string_view s) {
  if (!WritableAsIs(s)) {
    out += NlohmannText(json(std::string(s)));  // escapes and replacement, rare: exactly nlohmann's
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

void JsonTextWriter::BeforeValue() {
  if (after_key_) {  // an object member's value
    after_key_ = false;
    return;
  }
  if (open_.empty()) {  // the document itself
    assert(out_.empty() && "one value per document");
    return;
  }
  assert(open_.back().array && "inside an object a value needs its Key first");
  if (!open_.back().empty) out_ += ',';
  open_.back().empty = false;
}

JsonTextWriter& JsonTextWriter::Open(bool array) {
  BeforeValue();
  out_ += array ? '[' : '{';
  open_.push_back({array, true});
  return *this;
}

JsonTextWriter& JsonTextWriter::Close(bool array) {
  assert(!open_.empty() && open_.back().array == array && !after_key_);
  out_ += array ? ']' : '}';
  open_.pop_back();
  return *this;
}

JsonTextWriter& JsonTextWriter::Key(std::string_view name) {
  assert(!open_.empty() && !open_.back().array && !after_key_);
  if (!open_.back().empty) out_ += ',';
  open_.back().empty = false;
  AppendString(out_, name);
  out_ += ':';
  after_key_ = true;
  return *this;
}

JsonTextWriter& JsonTextWriter::String(std::string_view value) {
  BeforeValue();
  AppendString(out_, value);
  return *this;
}

JsonTextWriter& JsonTextWriter::Int(int64_t value) {
  BeforeValue();
  AppendNumber(out_, value);
  return *this;
}

JsonTextWriter& JsonTextWriter::Null() {
  BeforeValue();
  out_ += "null";
  return *this;
}

JsonTextWriter& JsonTextWriter::Value(const json& value) {
  BeforeValue();
  Append(out_, value);
  return *this;
}

std::string JsonTextWriter::Take() {
  assert(open_.empty() && !after_key_);
  return std::move(out_);
}

}  // namespace lahza::http
