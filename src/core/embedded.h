// Data files compiled into the binary by cmake/embed.cmake.
#pragma once

#include <string_view>
#include <vector>

namespace lahza {

struct EmbeddedFile {
  std::string_view path;     // relative to the repository root, e.g. "data/messages/core.json"
  std::string_view content;  // UTF-8 text
};

}  // namespace lahza
