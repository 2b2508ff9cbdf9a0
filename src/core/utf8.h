// UTF-8 encoding of one code point: the one encoder every module uses.
#pragma once

#include <string>

namespace lahza {

// Appends the UTF-8 encoding of `cp` (at most U+10FFFF) to `out`.
void AppendUtf8(std::string& out, char32_t cp);

}  // namespace lahza
