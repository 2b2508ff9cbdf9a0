// The Egyptian national ID number (الرقم القومي): 14 digits laid out as
//   C YYMMDD GG SSSS K
// C is the century of birth (2 = 1900s, 3 = 2000s), YYMMDD the birth date,
// GG the governorate of birth registration (88 = born abroad), SSSS a sequence
// whose last digit is odd for men and even for women, and K a check digit.
// The check digit's algorithm is not published by the Civil Status
// Organisation, so it is carried but not verified; everything else is.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "core/result.h"

namespace lahza {

struct Governorate {
  int code;                  // 1..35, 88
  std::string_view name_en;  // "Cairo"
  std::string_view name_ar;  // "القاهرة"
};

// Every governorate code that can appear in a national ID, in code order.
std::span<const Governorate> AllGovernorates();
// The governorate with `code`, or nullptr.
const Governorate* FindGovernorate(int code);

enum class Gender { kMale, kFemale };
std::string_view GenderNameEn(Gender gender);  // "male"
std::string_view GenderNameAr(Gender gender);  // "ذكر"

struct CivilDate {
  int year = 0;
  int month = 0;  // 1..12
  int day = 0;    // 1..31
  friend constexpr auto operator<=>(const CivilDate&, const CivilDate&) = default;
};

// True when the proleptic Gregorian calendar has this day (Feb 29 only in
// leap years).
bool IsValidDate(const CivilDate& date);

class NationalId {
 public:
  // Accepts ASCII or Arabic-Indic digits, with spaces or dashes between
  // groups. A birth date after `today` is rejected. Each failing part has its
  // own code: national_id.empty, national_id.invalid_characters,
  // national_id.invalid_length, national_id.invalid_century,
  // national_id.invalid_birth_date, national_id.birth_date_in_future,
  // national_id.invalid_governorate.
  static Result<NationalId> Parse(std::string_view text, CivilDate today);
  // Same, with today's date as the latest calendar date anywhere in Egypt
  // (UTC+3 covers Cairo's summer time), so a baby registered today is never
  // rejected because the server's clock is in UTC.
  static Result<NationalId> Parse(std::string_view text);

  const std::string& digits() const { return digits_; }  // the 14 ASCII digits
  CivilDate birth_date() const { return birth_date_; }
  const Governorate& governorate() const { return *governorate_; }
  Gender gender() const { return gender_; }
  int sequence() const { return sequence_; }  // the 4 digits before the check digit
  int check_digit() const { return digits_[13] - '0'; }

  friend bool operator==(const NationalId& a, const NationalId& b) { return a.digits_ == b.digits_; }

 private:
  NationalId() = default;
  std::string digits_;
  CivilDate birth_date_;
  const Governorate* governorate_ = nullptr;
  Gender gender_ = Gender::kMale;
  int sequence_ = 0;
};

}  // namespace lahza
