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

// How many of the 8 bytes at `p` (which begins a character) can be written
// as they are without a look of their own: 8, or 7 when the last is the lead
// of a sequence that goes on past them; 0 when any needs that look. Such a
// block holds only plain ASCII (no control, '"' or '\\') and whole 2-byte
// UTF-8 sequences (U+0080..U+07FF, no overlong 0xC0/0xC1 lead): response
// bodies are mostly such text — ids, codes and times, and Arabic words with
// the spaces, digits and punctuation between them. Every test is on all 8
// bytes at once (SWAR): the high bit of each byte of a mask says whether
// that byte is of a kind, exactly (sums are kept from carrying into the next
// byte). Checking a character at a time was most of the time spent writing a
// payment's answer (it was AppendString's 27 k instructions a transfer, with
// a check that took only all-ASCII or 4 aligned 2-byte sequences at once).
int PlainBlock(const unsigned char* p) {
  constexpr uint64_t kHigh = 0x8080808080808080ull;
  constexpr uint64_t kLow7 = 0x7F7F7F7F7F7F7F7Full;
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  uint64_t v;
  std::memcpy(&v, p, sizeof v);  // little-endian: p[0] is the lowest byte
  auto zero_bytes = [&](uint64_t x) { return ~(((x & kLow7) + kLow7) | x) & kHigh; };
  const uint64_t high = v & kHigh;
  const uint64_t control = ~((v & kLow7) + kOnes * 0x60) & ~v & kHigh;  // an ASCII byte < 0x20
  const uint64_t escaped = control | zero_bytes(v ^ (kOnes * '"')) | zero_bytes(v ^ (kOnes * '\\'));
  const uint64_t continuation = v & ~(v << 1) & kHigh;                   // 10xxxxxx
  const uint64_t lead = v & (v << 1) & ~(v << 2) & kHigh;                // 110xxxxx
  const uint64_t not_overlong = ((v & (kOnes * 0x1E)) + kLow7) & kHigh;  // 0xC2.. , not 0xC0/0xC1
  const uint64_t lead2 = lead & not_overlong;
  // Every high byte a lead or a continuation; each lead followed by a
  // continuation and each continuation preceded by a lead (the first byte is
  // a character's start, so never a continuation).
  if (escaped != 0 || high != (lead2 | continuation) || (lead2 << 8) != continuation) return 0;
  return (lead2 >> 56) != 0 ? 7 : 8;
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
    if (n - i >= 8) {
      if (const int plain = PlainBlock(p + i); plain != 0) {
        i += plain;
        continue;
      }
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

// `s` as a JSON string, with `before` and `after` around it when not '\0'
// (a member's comma and colon): one write to `out`, not one per piece.
void AppendString(std::string& out, std::string_view s, char before = '\0', char after = '\0') {
  if (!WritableAsIs(s)) {
    if (before != '\0') out += before;
    out += NlohmannText(json(std::string(s)));  // escapes and replacement, rare: exactly nlohmann's
    if (after != '\0') out += after;
    return;
  }
  const size_t at = out.size();
  out.resize(at + s.size() + 2 + (before != '\0') + (after != '\0'));
  char* d = out.data() + at;
  if (before != '\0') *d++ = before;
  *d++ = '"';
  if (!s.empty()) std::memcpy(d, s.data(), s.size());
  d += s.size();
  *d++ = '"';
  if (after != '\0') *d = after;
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
  const char comma = open_.back().empty ? '\0' : ',';
  open_.back().empty = false;
  AppendString(out_, name, comma, ':');
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
