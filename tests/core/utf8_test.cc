// The one UTF-8 codec: round trips, and every malformed form is refused one
// byte at a time so a decoder loop always advances.
#include "core/utf8.h"

#include <gtest/gtest.h>

namespace lahza {
namespace {

TEST(Utf8, RoundTripsEveryLength) {
  for (char32_t cp : {U'A', U'\u00E9', U'\u0644', U'\u0662', U'\u20AC', U'\U0001F600', U'\U0010FFFF'}) {
    std::string text;
    AppendUtf8(text, cp);
    size_t at = 0;
    EXPECT_EQ(DecodeUtf8(text, at), cp);
    EXPECT_EQ(at, text.size());
  }
  EXPECT_EQ(DecodeUtf8("لحظة 15989"), U"لحظة 15989");
}

TEST(Utf8, MalformedSequencesAreInvalidAndAdvanceOneByte) {
  const std::string bad[] = {
      "\x80",              // continuation without a lead
      "\xC3",              // truncated
      "\xE0\xA4",          // truncated 3-byte
      "\xC0\xAF",          // overlong '/'
      "\xE0\x80\xAF",      // overlong '/', 3 bytes
      "\xED\xA0\x80",      // surrogate U+D800
      "\xF4\x90\x80\x80",  // beyond U+10FFFF
      "\xFF",              // never valid
      "\xD9\x41",          // bad continuation
  };
  for (const std::string& text : bad) {
    size_t at = 0;
    EXPECT_EQ(DecodeUtf8(text, at), kInvalidCodePoint) << testing::PrintToString(text);
    EXPECT_EQ(at, 1u);
    EXPECT_EQ(DecodeUtf8(text).size(), text.size());
  }
}

}  // namespace
}  // namespace lahza
