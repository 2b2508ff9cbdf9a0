#include "core/cairo_time.h"

#include <date/date.h>
#include <date/tz.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>

#include "core/ascii.h"
#include "core/digits.h"

namespace lahza {

namespace {

using std::chrono::minutes;
using std::chrono::seconds;

constexpr int kMinutesPerDay = 24 * 60;
constexpr int kMinutesPerWeek = 7 * kMinutesPerDay;

// Located once; the OS tz database is immutable for the process lifetime.
const date::time_zone* Cairo() {
  static const date::time_zone* zone = date::locate_zone("Africa/Cairo");
  return zone;
}

constexpr std::array<const char*, 7> kDaysEn = {"Sunday", "Monday", "Tuesday", "Wednesday",
                                               "Thursday", "Friday", "Saturday"};
constexpr std::array<const char*, 7> kDaysAr = {"الأحد", "الاثنين", "الثلاثاء", "الأربعاء",
                                               "الخميس", "الجمعة", "السبت"};
constexpr std::array<const char*, 7> kDayKeys = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
constexpr std::array<const char*, 12> kMonthsEn = {"January", "February", "March",     "April",
                                                  "May",     "June",     "July",      "August",
                                                  "September", "October", "November", "December"};
// The month names used in Egypt (not the Levantine كانون/تشرين set).
constexpr std::array<const char*, 12> kMonthsAr = {"يناير", "فبراير", "مارس",   "أبريل",
                                                  "مايو",  "يونيو",  "يوليو",  "أغسطس",
                                                  "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر"};

// ASCII digits -> Arabic-Indic (٠..٩); everything else unchanged. Local so
// this file does not depend on the order in which core's helpers land.
std::string ArabicDigits(std::string_view ascii) {
  std::string out;
  out.reserve(ascii.size() * 2);
  for (char c : ascii) {
    if (c >= '0' && c <= '9') {
      out += "\xD9";
      out += static_cast<char>(0xA0 + (c - '0'));
    } else {
      out += c;
    }
  }
  return out;
}

std::string Two(int v) { return ZeroPadded(v, 2); }

// Minute of the week (Sunday 00:00 = 0) of a Cairo reading.
int MinuteOfWeek(const CairoTime& c) { return c.weekday * kMinutesPerDay + c.hour * 60 + c.minute; }

}  // namespace

Instant SystemClock::Now() const {
  return std::chrono::time_point_cast<seconds>(std::chrono::system_clock::now());
}

CairoTime ToCairo(Instant t) {
  const date::sys_info info = Cairo()->get_info(t);
  const date::local_seconds local{t.time_since_epoch() + info.offset};
  const date::local_days day = date::floor<date::days>(local);
  const date::year_month_day ymd{day};
  const date::hh_mm_ss<seconds> hms{local - day};
  CairoTime c;
  c.year = static_cast<int>(ymd.year());
  c.month = static_cast<int>(static_cast<unsigned>(ymd.month()));
  c.day = static_cast<int>(static_cast<unsigned>(ymd.day()));
  c.hour = static_cast<int>(hms.hours().count());
  c.minute = static_cast<int>(hms.minutes().count());
  c.second = static_cast<int>(hms.seconds().count());
  c.weekday = static_cast<int>(date::weekday{day}.c_encoding());
  c.utc_offset = info.offset;
  c.daylight_saving = info.save != minutes{0};
  return c;
}

Result<Instant> FromCairo(int year, int month, int day, int hour, int minute, int second) {
  if (year < 1900 || year > 9999 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 ||
      hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) {
    return Error{"time.invalid_date", "field out of range"};
  }
  const date::year_month_day ymd{date::year{year}, date::month{static_cast<unsigned>(month)},
                                 date::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) return Error{"time.invalid_date", "no such day in that month"};
  const date::local_seconds local =
      date::local_days{ymd} + std::chrono::hours{hour} + minutes{minute} + seconds{second};
  // choose::earliest resolves both a skipped time (-> the transition instant)
  // and a repeated one (-> the first occurrence) without throwing.
  return date::floor<seconds>(Cairo()->to_sys(local, date::choose::earliest));
}

std::string FormatCairoDate(Instant t, Language language) {
  const CairoTime c = ToCairo(t);
  if (language == Language::kArabic) {
    return ArabicDigits(std::to_string(c.day)) + " " + kMonthsAr[c.month - 1] + " " +
           ArabicDigits(std::to_string(c.year));
  }
  return std::to_string(c.day) + " " + kMonthsEn[c.month - 1] + " " + std::to_string(c.year);
}

std::string FormatCairoClock(Instant t, Language language) { return FormatCairoClock(ToCairo(t), language); }

std::string FormatCairoClock(const CairoTime& c, Language language) {
  const std::string text = Two(c.hour) + ":" + Two(c.minute);
  return language == Language::kArabic ? ArabicDigits(text) : text;
}

std::string FormatCairoDateTime(Instant t, Language language) {
  const CairoTime c = ToCairo(t);
  if (language == Language::kArabic) {
    return std::string(kDaysAr[c.weekday]) + " " + FormatCairoDate(t, language) + "، " +
           FormatCairoClock(t, language);
  }
  return std::string(kDaysEn[c.weekday]) + " " + FormatCairoDate(t, language) + ", " +
         FormatCairoClock(t, language);
}

std::string FormatCairoIso(Instant t) { return FormatCairoIso(ToCairo(t)); }

std::string FormatCairoIso(const CairoTime& c) {
  // snprintf was most of the time of formatting a moment, which a payment's
  // answer does for every step of its timeline.
  const int64_t offset_min = c.utc_offset.count() / 60;
  const int64_t offset = offset_min < 0 ? -offset_min : offset_min;
  std::string out;  // 2026-11-26T14:02:05+02:00
  out.reserve(25);
  out += ZeroPadded(c.year, 4);
  out += '-';
  out += Two(c.month);
  out += '-';
  out += Two(c.day);
  out += 'T';
  out += Two(c.hour);
  out += ':';
  out += Two(c.minute);
  out += ':';
  out += Two(c.second);
  out += offset_min < 0 ? '-' : '+';
  out += ZeroPadded(offset / 60, 2);
  out += ':';
  out += ZeroPadded(offset % 60, 2);
  return out;
}

// ---------------------------------------------------------------- WeeklyHours

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// "09:00" -> 540; "24:00" allowed only as an end (allow_24).
std::optional<int> ParseClock(std::string_view s, bool allow_24) {
  if (s.size() != 5 || s[2] != ':') return std::nullopt;
  for (int i : {0, 1, 3, 4}) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return std::nullopt;
  }
  const int h = (s[0] - '0') * 10 + (s[1] - '0');
  const int m = (s[3] - '0') * 10 + (s[4] - '0');
  if (m > 59) return std::nullopt;
  if (h == 24 && m == 0 && allow_24) return kMinutesPerDay;
  if (h > 23) return std::nullopt;
  return h * 60 + m;
}

std::optional<int> DayIndex(std::string_view s) {
  for (int i = 0; i < 7; ++i) {
    if (s == kDayKeys[i]) return i;
  }
  return std::nullopt;
}

// "daily", "sun", "sun-thu", "fri,sat" -> the days (0 = Sunday).
std::optional<std::vector<int>> ParseDays(std::string_view s) {
  std::vector<int> days;
  if (s == "daily") {
    for (int i = 0; i < 7; ++i) days.push_back(i);
    return days;
  }
  if (const size_t dash = s.find('-'); dash != std::string_view::npos) {
    auto from = DayIndex(s.substr(0, dash));
    auto to = DayIndex(s.substr(dash + 1));
    if (!from || !to) return std::nullopt;
    for (int d = *from;; d = (d + 1) % 7) {  // wraps: "thu-sun" is thu,fri,sat,sun
      days.push_back(d);
      if (d == *to) break;
    }
    return days;
  }
  size_t start = 0;
  while (start <= s.size()) {
    const size_t comma = s.find(',', start);
    auto day = DayIndex(s.substr(start, comma == std::string_view::npos ? s.npos : comma - start));
    if (!day) return std::nullopt;
    days.push_back(*day);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return days;
}

// Sorted, merged, and with week-wrapping pieces split at the week end.
std::vector<std::pair<int, int>> Normalise(std::vector<std::pair<int, int>> raw) {
  std::vector<std::pair<int, int>> split;
  for (auto [a, b] : raw) {
    if (b <= kMinutesPerWeek) {
      split.emplace_back(a, b);
    } else {
      split.emplace_back(a, kMinutesPerWeek);
      split.emplace_back(0, b - kMinutesPerWeek);
    }
  }
  std::sort(split.begin(), split.end());
  std::vector<std::pair<int, int>> merged;
  for (auto iv : split) {
    if (!merged.empty() && iv.first <= merged.back().second) {
      merged.back().second = std::max(merged.back().second, iv.second);
    } else {
      merged.push_back(iv);
    }
  }
  return merged;
}

}  // namespace

WeeklyHours WeeklyHours::AlwaysOpen() {
  WeeklyHours hours;
  hours.intervals_ = {{0, kMinutesPerWeek}};
  hours.spec_ = "24/7";
  return hours;
}

Result<WeeklyHours> WeeklyHours::Parse(std::string_view spec) {
  std::string text = AsciiLower(Trim(spec));
  // Accept the typographic dash people paste from documents.
  for (size_t at = text.find("\xE2\x80\x93"); at != std::string::npos; at = text.find("\xE2\x80\x93")) {
    text.replace(at, 3, "-");
  }
  if (text == "24/7") return AlwaysOpen();
  if (text.empty()) return Error{"time.invalid_hours", "empty opening hours"};

  std::vector<std::pair<int, int>> raw;
  std::string_view rest = text;
  while (!rest.empty()) {
    const size_t semi = rest.find(';');
    const std::string_view rule = Trim(rest.substr(0, semi));
    rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
    const size_t space = rule.find(' ');
    if (space == std::string_view::npos) return Error{"time.invalid_hours", "rule without times: " + std::string(rule)};
    auto days = ParseDays(rule.substr(0, space));
    if (!days) return Error{"time.invalid_hours", "unknown days: " + std::string(rule.substr(0, space))};
    const std::string_view range = Trim(rule.substr(space + 1));
    const size_t dash = range.find('-');
    if (dash == std::string_view::npos) return Error{"time.invalid_hours", "range without '-': " + std::string(range)};
    auto open = ParseClock(Trim(range.substr(0, dash)), false);
    auto close = ParseClock(Trim(range.substr(dash + 1)), true);
    if (!open || !close) return Error{"time.invalid_hours", "bad clock time in: " + std::string(range)};
    if (*open == *close) return Error{"time.invalid_hours", "empty range: " + std::string(range)};
    const int length = *close > *open ? *close - *open : *close + kMinutesPerDay - *open;
    for (int d : *days) {
      const int start = d * kMinutesPerDay + *open;
      raw.emplace_back(start, start + length);
    }
  }
  WeeklyHours hours;
  hours.intervals_ = Normalise(std::move(raw));
  hours.spec_ = text;
  return hours;
}

bool WeeklyHours::always_open() const {
  return intervals_.size() == 1 && intervals_[0] == std::pair<int, int>{0, kMinutesPerWeek};
}

bool WeeklyHours::IsOpenAt(Instant t) const {
  const int m = MinuteOfWeek(ToCairo(t));
  for (auto [a, b] : intervals_) {
    if (m >= a && m < b) return true;
  }
  return false;
}

namespace {

// The instant of `minute_of_week` in the Cairo week that starts `week_offset`
// weeks after the week holding `t`.
Instant AtWeekMinute(Instant t, int week_offset, int minute_of_week) {
  const CairoTime c = ToCairo(t);
  const date::local_days today{date::year{c.year} / c.month / c.day};
  const date::local_days sunday = today - date::days{c.weekday} + date::days{7 * week_offset};
  const date::local_seconds local = sunday + minutes{minute_of_week};
  return date::floor<seconds>(Cairo()->to_sys(local, date::choose::earliest));
}

}  // namespace

std::optional<Instant> WeeklyHours::NextOpening(Instant t) const {
  if (intervals_.empty()) return std::nullopt;
  if (IsOpenAt(t)) return t;
  std::optional<Instant> best;
  for (int week = 0; week <= 1; ++week) {
    for (auto [a, b] : intervals_) {
      (void)b;
      const Instant at = AtWeekMinute(t, week, a);
      if (at > t && (!best || at < *best)) best = at;
    }
  }
  return best;
}

std::optional<Instant> WeeklyHours::NextClosing(Instant t) const {
  if (always_open() || !IsOpenAt(t)) return std::nullopt;
  const int m = MinuteOfWeek(ToCairo(t));
  for (auto [a, b] : intervals_) {
    if (m < a || m >= b) continue;
    if (b == kMinutesPerWeek && intervals_.front().first == 0) {
      // Continues into next week's first interval.
      return AtWeekMinute(t, 1, intervals_.front().second);
    }
    return AtWeekMinute(t, 0, b);
  }
  return std::nullopt;
}

std::string WeeklyHours::Describe(Language language) const {
  if (always_open()) return language == Language::kArabic ? "٢٤ ساعة طوال أيام الأسبوع" : "24/7";
  if (language == Language::kEnglish) {
    std::string out = spec_;
    for (size_t at = out.find('-'); at != std::string::npos; at = out.find('-', at + 3)) {
      // Only the dash between clock times becomes an en dash.
      if (at > 0 && std::isdigit(static_cast<unsigned char>(out[at - 1]))) {
        out.replace(at, 1, "\xE2\x80\x93");
      }
    }
    return out;
  }
  // Arabic: translate the day words of our own grammar, Arabic-Indic digits.
  std::string out;
  std::string_view rest = spec_;
  while (!rest.empty()) {
    const size_t semi = rest.find(';');
    std::string_view rule = Trim(rest.substr(0, semi));
    rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
    const size_t space = rule.find(' ');
    std::string days(rule.substr(0, space));
    std::string range(Trim(rule.substr(space + 1)));
    std::string days_ar;
    if (days == "daily") {
      days_ar = "يوميًا";
    } else {
      for (size_t i = 0; i < days.size();) {
        if (days[i] == '-') { days_ar += " إلى "; ++i; continue; }
        if (days[i] == ',') { days_ar += "، "; ++i; continue; }
        auto idx = DayIndex(std::string_view(days).substr(i, 3));
        days_ar += idx ? kDaysAr[*idx] : days.substr(i, 3);
        i += 3;
      }
    }
    if (const size_t dash = range.find('-'); dash != std::string::npos) range.replace(dash, 1, "\xE2\x80\x93");
    if (!out.empty()) out += "؛ ";
    out += days_ar + " " + ArabicDigits(range);
  }
  return out;
}

}  // namespace lahza
