#include "http/json_text.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

#if defined(__SSE2__)  // every x86-64 has it; elsewhere the character-at-a-time path below does it all
// What each of 16 bytes is, for the checks below: bit i of a mask is byte i.
struct ByteKinds {
  uint32_t escaped;       // a control (< 0x20), '"' or '\\': JSON escapes it
  uint32_t high;          // >= 0x80
  uint32_t lead2;         // 0xC2..0xDF: begins a 2-byte sequence (0xC0, 0xC1 only overlong ones)
  uint32_t continuation;  // 0x80..0xBF
};

// Each byte of a block compared with: loaded from memory, one instruction
// each (SSE2 has no one-instruction broadcast of a byte).
__m128i Bytes(int b) { return _mm_set1_epi8(static_cast<char>(b)); }
const __m128i kSpace = Bytes(0x20), kQuote = Bytes('"'), kBackslash = Bytes('\\'), kAboveOverlong = Bytes(0xC1),
              kThreeByteLead = Bytes(0xE0), kLeadMin = Bytes(0xC0);

[[gnu::always_inline]] inline ByteKinds Classify(__m128i v) {
  // The compares are signed: bytes from 0x80 are the negative ones.
  auto bits = [](__m128i m) { return static_cast<uint32_t>(_mm_movemask_epi8(m)); };
  const uint32_t high = bits(v);
  const uint32_t control = bits(_mm_cmplt_epi8(v, kSpace)) & ~high;
  const uint32_t escaped = control | bits(_mm_cmpeq_epi8(v, kQuote)) | bits(_mm_cmpeq_epi8(v, kBackslash));
  const uint32_t lead2 = bits(_mm_and_si128(_mm_cmpgt_epi8(v, kAboveOverlong), _mm_cmplt_epi8(v, kThreeByteLead)));
  const uint32_t continuation = bits(_mm_cmplt_epi8(v, kLeadMin));
  return {escaped, high, lead2, continuation};
}

// How many of 16 bytes that begin with a character's first can be written
// as they are without a look of their own: 16, or 15 when the last is the
// lead of a sequence that goes on past them; 0 when any needs that look.
// Such a block holds only plain ASCII (no control, '"' or '\\') and whole
// 2-byte UTF-8 sequences (U+0080..U+07FF): response bodies are mostly such
// text — ids, codes and times, and Arabic words with the spaces, digits and
// punctuation between them. Taking at once only all-ASCII blocks or four
// aligned 2-byte sequences left most of a payment's Arabic lines to the
// character-at-a-time path.
[[gnu::always_inline]] inline int PlainBlock(__m128i v) {
  const ByteKinds k = Classify(v);
  // Every high byte a lead or a continuation; each lead followed by a
  // continuation and each continuation preceded by a lead (the first byte
  // begins a character, so is never a continuation).
  if (k.escaped != 0 || k.high != (k.lead2 | k.continuation) || ((k.lead2 << 1) & 0xFFFF) != k.continuation) {
    return 0;
  }
  return (k.lead2 & 0x8000) != 0 ? 15 : 16;
}

// Whether a string's last 16 bytes, of which the first `checked` (< 16) are
// known to be writable and to end where a character does, can all be
// written as they are, the string's end included (no sequence cut short).
bool PlainTail(__m128i v, size_t checked) {
  const ByteKinds k = Classify(v);
  const uint32_t unchecked = (0xFFFFu << checked) & 0xFFFF;
  return (k.escaped & unchecked) == 0 && (k.high & unchecked) == ((k.lead2 | k.continuation) & unchecked) &&
         ((k.lead2 << 1) & unchecked) == (k.continuation & unchecked) && (k.lead2 & 0x8000) == 0;
}

uint64_t Load8(const unsigned char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

constexpr uint64_t kSpaces = 0x2020202020202020ull;

// The n (0..7) bytes at `p`, little-endian, then spaces. Overlapping loads
// of a fixed size, not a byte at a time or a memcpy of n.
uint64_t LoadUpTo7(const unsigned char* p, size_t n) {
  uint64_t v = 0;
  if (n >= 4) {
    uint32_t first, last;
    std::memcpy(&first, p, 4);
    std::memcpy(&last, p + n - 4, 4);
    v = first | (uint64_t{last} << (8 * (n - 4)));
  } else if (n >= 2) {
    uint16_t first, last;
    std::memcpy(&first, p, 2);
    std::memcpy(&last, p + n - 2, 2);
    v = first | (uint64_t{last} << (8 * (n - 2)));
  } else if (n == 1) {
    v = p[0];
  }
  return v | (n == 0 ? kSpaces : kSpaces << (8 * n));
}

// The n (< 16) bytes at `p`, then spaces: a lead byte among them is followed
// by a space and fails, as a sequence cut short must.
__m128i LoadShort(const unsigned char* p, size_t n) {
  if (n < 8) return _mm_set_epi64x(static_cast<long long>(kSpaces), static_cast<long long>(LoadUpTo7(p, n)));
  // Bytes 8..n-1 are the last n-8 of the 8 that end at p + n.
  const uint64_t rest = n == 8 ? kSpaces : (Load8(p + n - 8) >> (8 * (16 - n))) | (kSpaces << (8 * (n - 8)));
  return _mm_set_epi64x(static_cast<long long>(rest), static_cast<long long>(Load8(p)));
}
#endif

// True when `s` can be written between quotes as it is: well-formed UTF-8
// (no overlong forms, no surrogates, nothing above U+10FFFF — what nlohmann's
// decoder accepts) and no byte JSON must escape (controls, '"', '\\').
// nlohmann escapes nothing else when ensure_ascii is off.
bool WritableAsIs(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
#if defined(__SSE2__)
  if (n < 16) {  // most keys, codes, times and amounts
    if (n == 0 || PlainBlock(LoadShort(p, n)) != 0) return true;
  }
#endif
  while (i < n) {
#if defined(__SSE2__)
    if (n - i >= 16) {
      if (const int plain = PlainBlock(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i))); plain != 0) {
        i += plain;
        continue;
      }
    } else if (n >= 16) {
      if (PlainTail(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + n - 16)), 16 - (n - i))) return true;
    }
#endif
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

// Writes `s` between quotes at `d`, with `before` and `after` around it when
// not '\0' (a member's comma and colon), for a string WritableAsIs: one
// write, not one per piece. `d` has room for s.size() + 4 bytes. Returns the
// end of what it wrote.
char* WriteQuoted(char* d, std::string_view s, char before, char after) {
  if (before != '\0') *d++ = before;
  *d++ = '"';
  if (!s.empty()) std::memcpy(d, s.data(), s.size());
  d += s.size();
  *d++ = '"';
  if (after != '\0') *d++ = after;
  return d;
}

// `s` as a JSON string at the end of `out`, with `before` and `after` as
// WriteQuoted has them.
void AppendString(std::string& out, std::string_view s, char before = '\0', char after = '\0') {
  if (!WritableAsIs(s)) {
    if (before != '\0') out += before;
    out += NlohmannText(json(std::string(s)));  // escapes and replacement, rare: exactly nlohmann's
    if (after != '\0') out += after;
    return;
  }
  const size_t at = out.size();
  out.resize(at + s.size() + 4);
  out.resize(static_cast<size_t>(WriteQuoted(out.data() + at, s, before, after) - out.data()));
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

char* JsonTextWriter::Room(size_t n) {
  if (out_.size() - used_ < n) out_.resize(std::max(out_.size() * 2, used_ + n));
  return out_.data() + used_;
}

void JsonTextWriter::Put(char c) {
  *Room(1) = c;
  ++used_;
}

void JsonTextWriter::PutString(std::string_view s, char before, char after) {
  if (!WritableAsIs(s)) {  // escapes and replacement, rare: exactly nlohmann's
    std::string text;
    AppendString(text, s, before, after);
    std::memcpy(Room(text.size()), text.data(), text.size());
    used_ += text.size();
    return;
  }
  char* const start = Room(s.size() + 4);
  used_ += static_cast<size_t>(WriteQuoted(start, s, before, after) - start);
}

void JsonTextWriter::BeforeValue() {
  if (after_key_) {  // an object member's value
    after_key_ = false;
    return;
  }
  if (open_.empty()) {  // the document itself
    assert(used_ == 0 && "one value per document");
    return;
  }
  assert(open_.back().array && "inside an object a value needs its Key first");
  if (!open_.back().empty) Put(',');
  open_.back().empty = false;
}

JsonTextWriter& JsonTextWriter::Open(bool array) {
  BeforeValue();
  Put(array ? '[' : '{');
  open_.push_back({array, true});
  return *this;
}

JsonTextWriter& JsonTextWriter::Close(bool array) {
  assert(!open_.empty() && open_.back().array == array && !after_key_);
  Put(array ? ']' : '}');
  open_.pop_back();
  return *this;
}

JsonTextWriter& JsonTextWriter::Key(std::string_view name) {
  assert(!open_.empty() && !open_.back().array && !after_key_);
  const char comma = open_.back().empty ? '\0' : ',';
  open_.back().empty = false;
  PutString(name, comma, ':');
  after_key_ = true;
  return *this;
}

JsonTextWriter& JsonTextWriter::String(std::string_view value) {
  BeforeValue();
  PutString(value, '\0', '\0');
  return *this;
}

JsonTextWriter& JsonTextWriter::Int(int64_t value) {
  BeforeValue();
  char* d = Room(24);  // every 64-bit integer
  auto [end, error] = std::to_chars(d, d + 24, value);
  (void)error;
  used_ += static_cast<size_t>(end - d);
  return *this;
}

JsonTextWriter& JsonTextWriter::Null() {
  BeforeValue();
  std::memcpy(Room(4), "null", 4);
  used_ += 4;
  return *this;
}

JsonTextWriter& JsonTextWriter::Value(const json& value) {
  BeforeValue();
  std::string text;
  Append(text, value);
  std::memcpy(Room(text.size()), text.data(), text.size());
  used_ += text.size();
  return *this;
}

std::string JsonTextWriter::Take() {
  assert(open_.empty() && !after_key_);
  out_.resize(used_);
  used_ = 0;
  return std::move(out_);
}

}  // namespace lahza::http
