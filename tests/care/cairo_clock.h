// The care tests' clock: instants written as Cairo wall time, and the "now"
// that triage and channel advice are asked at.
#pragma once

#include <gtest/gtest.h>

#include "core/cairo_time.h"

namespace lahza::care {

inline Instant Cairo(int year, int month, int day, int hour, int minute) {
  auto instant = FromCairo(year, month, day, hour, minute);
  EXPECT_TRUE(instant.ok());
  return *instant;
}

// Wednesday 25 November 2026, 18:00 Cairo: a weekday evening, when the app's
// hotline (09:00-21:00) is still open.
inline const Instant kNow = Cairo(2026, 11, 25, 18, 0);

}  // namespace lahza::care
