// Cairo time. Customer care speaks in the customer's wall clock ("the hotline
// opens at 09:00"), the ledger in UTC instants. Everything here converts via
// the system tz database (howardhinnant date/tz, USE_OS_TZDB) so Egypt's
// daylight-saving rules — reinstated in 2023: from the last Friday of April
// (00:00 -> 01:00) to the last Thursday of October (24:00 -> 23:00) — come
// from tzdata, never from code. Time is read through an injected Clock so
// tests can stand at 08:59 or at a DST boundary.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/messages.h"
#include "core/result.h"

namespace lahza {

// A UTC instant, whole seconds.
using Instant = std::chrono::sys_seconds;

// Where "now" comes from. Pass a Clock& to code that needs the time.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual Instant Now() const = 0;
};

// The real time.
class SystemClock final : public Clock {
 public:
  Instant Now() const override;
};

// A clock that stands still until told otherwise (tests, demos, replays).
// Thread-safe: Set/Advance may race with Now.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(Instant start) : seconds_(start.time_since_epoch().count()) {}
  Instant Now() const override { return Instant(std::chrono::seconds(seconds_.load())); }
  void Set(Instant t) { seconds_.store(t.time_since_epoch().count()); }
  void Advance(std::chrono::seconds by) { seconds_.fetch_add(by.count()); }

 private:
  std::atomic<int64_t> seconds_;
};

// A Cairo wall-clock reading of an instant.
struct CairoTime {
  int year = 0, month = 0, day = 0;       // civil date, month 1..12
  int hour = 0, minute = 0, second = 0;   // 24-hour clock
  int weekday = 0;                        // 0 = Sunday .. 6 = Saturday
  std::chrono::seconds utc_offset{0};     // +7200 (EET) or +10800 (EEST)
  bool daylight_saving = false;
};

CairoTime ToCairo(Instant t);

// The instant of a Cairo wall-clock time. A time skipped by the spring-forward
// gap (Friday 00:00–00:59 on DST start) maps to the end of the gap; a time
// repeated at fall-back (Thursday 23:00–23:59) maps to the earlier one.
// Error time.invalid_date when the fields do not name a real date/time.
Result<Instant> FromCairo(int year, int month, int day, int hour, int minute, int second = 0);

// "Thursday 26 November 2026, 21:05" / "الخميس ٢٦ نوفمبر ٢٠٢٦، ٢١:٠٥".
std::string FormatCairoDateTime(Instant t, Language language);
// "26 November 2026" / "٢٦ نوفمبر ٢٠٢٦".
std::string FormatCairoDate(Instant t, Language language);
// "21:05" / "٢١:٠٥".
std::string FormatCairoClock(Instant t, Language language);
// "2026-11-26T21:05:00+02:00" for machines.
std::string FormatCairoIso(Instant t);
// The same two from a time already converted (ToCairo looks the offset up in
// the zone's rules; a caller formatting one moment several ways does it once).
std::string FormatCairoClock(const CairoTime& c, Language language);
std::string FormatCairoIso(const CairoTime& c);

// Opening hours repeating every week, in Cairo local time.
// Spec grammar (case-insensitive):
//   "24/7"
//   RULE (";" RULE)*      RULE = DAYS " " HH:MM "-" HH:MM
//   DAYS = "daily" | DAY | DAY "-" DAY | DAY ("," DAY)*     DAY = sun|mon|tue|wed|thu|fri|sat
// e.g. "daily 09:00-21:00", "sun-thu 08:30-15:00; sat 10:00-14:00". An end of
// "24:00" means midnight; an end before the start runs past midnight.
class WeeklyHours {
 public:
  static WeeklyHours AlwaysOpen();
  // Error time.invalid_hours (detail says which part) on anything else.
  static Result<WeeklyHours> Parse(std::string_view spec);

  bool always_open() const;
  bool IsOpenAt(Instant t) const;
  // `t` itself when open at t; otherwise the first instant after t when it
  // opens; nullopt only for hours that never open (cannot be parsed).
  std::optional<Instant> NextOpening(Instant t) const;
  // When the current opening ends; nullopt when closed at t or always open.
  std::optional<Instant> NextClosing(Instant t) const;
  // "daily 09:00–21:00" / "يوميًا ٠٩:٠٠–٢١:٠٠", "24/7" / "٢٤ ساعة طوال الأسبوع".
  std::string Describe(Language language) const;

 private:
  // Half-open [start, end) minutes of the week from Sunday 00:00, sorted,
  // non-overlapping, 0 <= start < end <= 7*24*60.
  std::vector<std::pair<int, int>> intervals_;
  std::string spec_;
};

}  // namespace lahza
