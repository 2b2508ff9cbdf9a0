// Cairo time and weekly opening hours: the basis of "which channel is open now".
#include <gtest/gtest.h>

#include "core/cairo_time.h"

namespace lahza {
namespace {

using namespace std::chrono_literals;

Instant Utc(int y, int mo, int d, int h, int mi, int s = 0) {
  return std::chrono::sys_days{std::chrono::year{y} / mo / d} + std::chrono::hours{h} +
         std::chrono::minutes{mi} + std::chrono::seconds{s};
}

Instant Cairo(int y, int mo, int d, int h, int mi) {
  auto t = FromCairo(y, mo, d, h, mi);
  EXPECT_TRUE(t.ok());
  return *t;
}

TEST(CairoTime, WinterIsUtcPlusTwo) {
  CairoTime c = ToCairo(Utc(2026, 11, 25, 12, 0));
  EXPECT_EQ(c.hour, 14);
  EXPECT_EQ(c.utc_offset, 7200s);
  EXPECT_FALSE(c.daylight_saving);
  EXPECT_EQ(c.weekday, 3);  // Wednesday
}

TEST(CairoTime, SummerIsUtcPlusThreeSince2023) {
  CairoTime c = ToCairo(Utc(2026, 7, 1, 12, 0));
  EXPECT_EQ(c.hour, 15);
  EXPECT_EQ(c.utc_offset, 10800s);
  EXPECT_TRUE(c.daylight_saving);
  // 2022 had no DST in Egypt.
  EXPECT_EQ(ToCairo(Utc(2022, 7, 1, 12, 0)).utc_offset, 7200s);
}

TEST(CairoTime, SpringForwardLastFridayOfApril) {
  // 2026: Thursday 23 April 23:59:59 EET is followed by Friday 24 April 01:00 EEST.
  CairoTime before = ToCairo(Utc(2026, 4, 23, 21, 59, 59));
  EXPECT_EQ(before.day, 23);
  EXPECT_EQ(before.hour, 23);
  EXPECT_FALSE(before.daylight_saving);
  CairoTime after = ToCairo(Utc(2026, 4, 23, 22, 0, 0));
  EXPECT_EQ(after.day, 24);
  EXPECT_EQ(after.hour, 1);
  EXPECT_EQ(after.weekday, 5);  // Friday
  EXPECT_TRUE(after.daylight_saving);
  // 00:30 does not exist that night: it maps to the end of the gap.
  EXPECT_EQ(Cairo(2026, 4, 24, 0, 30), Utc(2026, 4, 23, 22, 0));
  // 2023, the first year back: Friday 28 April.
  EXPECT_TRUE(ToCairo(Utc(2023, 4, 27, 22, 0)).daylight_saving);
  EXPECT_FALSE(ToCairo(Utc(2023, 4, 27, 21, 59)).daylight_saving);
}

TEST(CairoTime, FallBackLastThursdayOfOctober) {
  // 2026: Thursday 29 October, 24:00 EEST becomes 23:00 EET.
  EXPECT_TRUE(ToCairo(Utc(2026, 10, 29, 20, 59, 59)).daylight_saving);
  CairoTime after = ToCairo(Utc(2026, 10, 29, 21, 0, 0));
  EXPECT_FALSE(after.daylight_saving);
  EXPECT_EQ(after.hour, 23);
  EXPECT_EQ(after.day, 29);
  // 23:30 happens twice; the earlier one is chosen.
  EXPECT_EQ(Cairo(2026, 10, 29, 23, 30), Utc(2026, 10, 29, 20, 30));
}

TEST(CairoTime, FromCairoRejectsImpossibleDates) {
  EXPECT_EQ(FromCairo(2026, 2, 29, 10, 0).error().code, "time.invalid_date");
  EXPECT_EQ(FromCairo(2026, 13, 1, 10, 0).error().code, "time.invalid_date");
  EXPECT_EQ(FromCairo(2026, 1, 1, 24, 0).error().code, "time.invalid_date");
  EXPECT_TRUE(FromCairo(2028, 2, 29, 10, 0).ok());
}

TEST(CairoTime, FormatsInArabicAndEnglish) {
  Instant t = Utc(2026, 11, 26, 19, 5);
  EXPECT_EQ(FormatCairoDateTime(t, Language::kEnglish), "Thursday 26 November 2026, 21:05");
  EXPECT_EQ(FormatCairoDateTime(t, Language::kArabic), "الخميس ٢٦ نوفمبر ٢٠٢٦، ٢١:٠٥");
  EXPECT_EQ(FormatCairoClock(t, Language::kArabic), "٢١:٠٥");
  EXPECT_EQ(FormatCairoIso(t), "2026-11-26T21:05:00+02:00");
  EXPECT_EQ(FormatCairoIso(Utc(2026, 7, 1, 12, 0)), "2026-07-01T15:00:00+03:00");
}

TEST(ManualClockTest, SetAndAdvance) {
  ManualClock clock(Utc(2026, 1, 1, 0, 0));
  const Clock& as_clock = clock;
  EXPECT_EQ(as_clock.Now(), Utc(2026, 1, 1, 0, 0));
  clock.Advance(90s);
  EXPECT_EQ(as_clock.Now(), Utc(2026, 1, 1, 0, 1, 30));
  clock.Set(Utc(2027, 1, 1, 0, 0));
  EXPECT_EQ(as_clock.Now(), Utc(2027, 1, 1, 0, 0));
  SystemClock system;
  EXPECT_GT(system.Now(), Utc(2024, 1, 1, 0, 0));
}

TEST(WeeklyHoursTest, DailyNineToNineEdges) {
  auto hours = WeeklyHours::Parse("daily 09:00-21:00");
  ASSERT_TRUE(hours.ok());
  EXPECT_FALSE(hours->IsOpenAt(Cairo(2026, 11, 25, 8, 59)));
  EXPECT_TRUE(hours->IsOpenAt(Cairo(2026, 11, 25, 9, 0)));
  EXPECT_TRUE(hours->IsOpenAt(Cairo(2026, 11, 25, 20, 59)));
  EXPECT_FALSE(hours->IsOpenAt(Cairo(2026, 11, 25, 21, 0)));
  EXPECT_FALSE(hours->IsOpenAt(Cairo(2026, 11, 25, 2, 0)));
  // Closed at 08:59 -> opens at 09:00 the same day; closed at 21:00 -> tomorrow 09:00.
  EXPECT_EQ(hours->NextOpening(Cairo(2026, 11, 25, 8, 59)), Cairo(2026, 11, 25, 9, 0));
  EXPECT_EQ(hours->NextOpening(Cairo(2026, 11, 25, 21, 0)), Cairo(2026, 11, 26, 9, 0));
  EXPECT_EQ(hours->NextOpening(Cairo(2026, 11, 25, 12, 0)), Cairo(2026, 11, 25, 12, 0));
  EXPECT_EQ(hours->NextClosing(Cairo(2026, 11, 25, 12, 0)), Cairo(2026, 11, 25, 21, 0));
  EXPECT_EQ(hours->NextClosing(Cairo(2026, 11, 25, 22, 0)), std::nullopt);
  // Saturday night -> Sunday morning crosses the week boundary.
  EXPECT_EQ(hours->NextOpening(Cairo(2026, 11, 28, 23, 0)), Cairo(2026, 11, 29, 9, 0));
}

TEST(WeeklyHoursTest, LocalHoursFollowDst) {
  auto hours = WeeklyHours::Parse("daily 09:00-21:00");
  ASSERT_TRUE(hours.ok());
  // Summer: 09:00 Cairo is 06:00 UTC; winter: 07:00 UTC.
  EXPECT_TRUE(hours->IsOpenAt(Utc(2026, 7, 1, 6, 0)));
  EXPECT_FALSE(hours->IsOpenAt(Utc(2026, 7, 1, 5, 59)));
  EXPECT_FALSE(hours->IsOpenAt(Utc(2026, 12, 1, 6, 0)));
  EXPECT_TRUE(hours->IsOpenAt(Utc(2026, 12, 1, 7, 0)));
  // Closed on the night of the spring-forward: next opening is Friday 09:00 EEST.
  EXPECT_EQ(hours->NextOpening(Utc(2026, 4, 23, 21, 30)), Utc(2026, 4, 24, 6, 0));
}

TEST(WeeklyHoursTest, AlwaysOpen) {
  auto hours = WeeklyHours::Parse(" 24/7 ");
  ASSERT_TRUE(hours.ok());
  EXPECT_TRUE(hours->always_open());
  Instant t = Utc(2026, 4, 23, 22, 0);
  EXPECT_TRUE(hours->IsOpenAt(t));
  EXPECT_EQ(hours->NextOpening(t), t);
  EXPECT_EQ(hours->NextClosing(t), std::nullopt);
  EXPECT_EQ(hours->Describe(Language::kEnglish), "24/7");
}

TEST(WeeklyHoursTest, WorkingWeekAndOvernight) {
  auto hours = WeeklyHours::Parse("sun-thu 08:30-15:00; sat 22:00-02:00");
  ASSERT_TRUE(hours.ok());
  EXPECT_FALSE(hours->always_open());
  // Friday 27 Nov 2026 is closed all day; next opening is Saturday 22:00.
  EXPECT_FALSE(hours->IsOpenAt(Cairo(2026, 11, 27, 10, 0)));
  EXPECT_EQ(hours->NextOpening(Cairo(2026, 11, 27, 10, 0)), Cairo(2026, 11, 28, 22, 0));
  // Saturday 22:00 until Sunday 02:00 wraps the week, then Sunday 08:30 opens again.
  EXPECT_TRUE(hours->IsOpenAt(Cairo(2026, 11, 29, 1, 59)));
  EXPECT_FALSE(hours->IsOpenAt(Cairo(2026, 11, 29, 2, 0)));
  EXPECT_EQ(hours->NextClosing(Cairo(2026, 11, 28, 23, 0)), Cairo(2026, 11, 29, 2, 0));
  EXPECT_EQ(hours->NextOpening(Cairo(2026, 11, 29, 2, 0)), Cairo(2026, 11, 29, 8, 30));
  EXPECT_TRUE(hours->IsOpenAt(Cairo(2026, 11, 26, 14, 59)));
  EXPECT_FALSE(hours->IsOpenAt(Cairo(2026, 11, 26, 15, 0)));
}

TEST(WeeklyHoursTest, DescribesInBothLanguages) {
  auto hours = WeeklyHours::Parse("daily 09:00-21:00");
  ASSERT_TRUE(hours.ok());
  EXPECT_EQ(hours->Describe(Language::kEnglish), "daily 09:00\xE2\x80\x93" "21:00");
  EXPECT_EQ(hours->Describe(Language::kArabic), "يوميًا ٠٩:٠٠\xE2\x80\x93٢١:٠٠");
  auto week = WeeklyHours::Parse("sun-thu 08:30-15:00");
  ASSERT_TRUE(week.ok());
  EXPECT_EQ(week->Describe(Language::kArabic), "الأحد إلى الخميس ٠٨:٣٠\xE2\x80\x93١٥:٠٠");
}

TEST(WeeklyHoursTest, RejectsBadSpecs) {
  for (const char* bad : {"", "daily", "daily 9-21", "funday 09:00-10:00", "daily 10:00-10:00",
                          "daily 25:00-26:00", "daily 09:00", "mon-xyz 09:00-10:00", "daily 09:60-10:00"}) {
    auto hours = WeeklyHours::Parse(bad);
    ASSERT_FALSE(hours.ok()) << bad;
    EXPECT_EQ(hours.error().code, "time.invalid_hours") << bad;
  }
}

}  // namespace
}  // namespace lahza
