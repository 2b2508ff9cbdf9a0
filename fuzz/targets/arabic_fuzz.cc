// The Arabic normaliser on arbitrary bytes (customers type anything, in any
// encoding): never crashes, always returns valid UTF-8, and normalising is
// idempotent (search indexes normalised text and normalises queries again).
#include <cstddef>
#include <cstdint>
#include <string>

#include "care/arabic.h"
#include "fuzz_check.h"

namespace {

bool IsValidUtf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    for (size_t k = 1; k < len; ++k) {
      const unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    const uint32_t min = len == 2 ? 0x80 : len == 3 ? 0x800 : len == 4 ? 0x10000 : 0;
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = lahza::fuzz::AsText(data, size);
  const std::string clean = lahza::care::SanitiseUtf8(text);
  FUZZ_CHECK(IsValidUtf8(clean));
  FUZZ_CHECK(lahza::care::SanitiseUtf8(clean) == clean);
  const std::string normalised = lahza::care::NormaliseText(text);
  FUZZ_CHECK(IsValidUtf8(normalised));
  FUZZ_CHECK(lahza::care::NormaliseText(normalised) == normalised);
  for (const std::string& word : lahza::care::Words(text)) {
    FUZZ_CHECK(!word.empty());
    FUZZ_CHECK(IsValidUtf8(word));
  }
  (void)lahza::care::HasArabic(text);
  return 0;
}
