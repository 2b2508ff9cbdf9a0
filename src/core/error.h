// Error: a stable machine code plus an optional developer detail. The words a
// person reads (Arabic and English) come from the message catalogue by code,
// never from code (see core/messages.h and data/messages/*.json).
#pragma once

#include <string>

namespace lahza {

struct Error {
  std::string code;    // stable, dotted: "money.invalid_format"
  std::string detail;  // for logs and developers; may be empty

  Error() = default;
  Error(std::string c, std::string d = {}) : code(std::move(c)), detail(std::move(d)) {}  // NOLINT
};

}  // namespace lahza
