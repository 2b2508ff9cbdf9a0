// Shared helpers for the fuzz targets. A property violation aborts, so
// libFuzzer (and the corpus replay test in the gcc build) reports it as a
// crash with the offending input saved.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "core/messages.h"

#define FUZZ_CHECK(cond)                                                               \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      std::fprintf(stderr, "FUZZ_CHECK failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                    \
    }                                                                                  \
  } while (0)

namespace lahza::fuzz {

// Every error a parser returns reaches a person through the catalogue, so a
// code without an entry is as much a bug as a crash.
inline void CheckCatalogued(std::string_view code) {
  if (!FindMessage(code).has_value()) {
    std::fprintf(stderr, "error code without a catalogue entry: %.*s\n",
                 static_cast<int>(code.size()), code.data());
    std::abort();
  }
}

inline std::string_view AsText(const unsigned char* data, size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

}  // namespace lahza::fuzz
