// Names the calling thread, as `top -H`, `ps -L`, perf and gdb show it, so
// that an operator (or a benchmark's per-thread times) can tell the switch's
// writer from the event loop. Linux allows 15 bytes; a longer name is cut.
#pragma once

#include <pthread.h>

#include <cstring>
#include <string_view>

namespace lahza {

inline void NameThisThread(std::string_view name) {
  char shown[16] = {};
  std::memcpy(shown, name.data(), name.size() < 15 ? name.size() : 15);
  (void)pthread_setname_np(pthread_self(), shown);  // only fails for a name too long, which cannot be
}

}  // namespace lahza
