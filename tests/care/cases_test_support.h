// Shared fixture pieces for the case tests: a fresh store per backend, a
// manual Cairo clock, tiny real images and a few helpers.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "care/cases.h"
#include "core/cairo_time.h"
#include "store/test_stores.h"

namespace lahza::care::testing {

// The 8-byte PNG signature, an IHDR chunk header and padding: enough to be a
// PNG by its magic bytes (the service checks types, it does not decode).
inline std::string PngBytes(size_t size = 64) {
  std::string bytes("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);
  bytes.resize(std::max<size_t>(size, bytes.size()), '\x01');
  return bytes;
}
inline std::string JpegBytes(size_t size = 64) {
  std::string bytes("\xFF\xD8\xFF\xE0\0\x10JFIF\0", 11);
  bytes.resize(std::max<size_t>(size, bytes.size()), '\x02');
  return bytes;
}
inline std::string WebpBytes(size_t size = 64) {
  std::string bytes = std::string("RIFF") + std::string("\x30\0\0\0", 4) + "WEBPVP8 ";
  bytes.resize(std::max<size_t>(size, bytes.size()), '\x03');
  return bytes;
}
inline std::string GifBytes() { return std::string("GIF89a\x01\0\x01\0\0\0\0", 13); }

inline Instant CairoAt(int y, int mo, int d, int h, int mi) { return FromCairo(y, mo, d, h, mi).value(); }

inline bool Contains(const std::vector<std::string>& items, const std::string& item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

inline bool HasHistory(const Case& c, const std::string& action) {
  return std::any_of(c.history.begin(), c.history.end(),
                     [&](const HistoryEntry& h) { return h.action == action; });
}

inline std::vector<std::string> Ids(const std::vector<CaseListItem>& items) {
  std::vector<std::string> ids;
  for (const auto& item : items) ids.push_back(item.id);
  return ids;
}

inline CustomerSummary Summary(const std::string& name) {
  return CustomerSummary{name, "+201001234567", "2**********123"};
}

}  // namespace lahza::care::testing

#define ASSERT_OK(expr)                                                              \
  do {                                                                               \
    const auto& lahza_ok_ = (expr);                                                  \
    ASSERT_TRUE(lahza_ok_.ok()) << lahza_ok_.error().code << " " << lahza_ok_.error().detail; \
  } while (0)
