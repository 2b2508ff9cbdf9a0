#include "core/national_id.h"

#include <array>
#include <chrono>

#include "core/digits.h"

namespace lahza {

namespace {

constexpr std::array<Governorate, 28> kGovernorates = {{
    {1, "Cairo", "القاهرة"},
    {2, "Alexandria", "الإسكندرية"},
    {3, "Port Said", "بورسعيد"},
    {4, "Suez", "السويس"},
    {11, "Damietta", "دمياط"},
    {12, "Dakahlia", "الدقهلية"},
    {13, "Sharkia", "الشرقية"},
    {14, "Qalyubia", "القليوبية"},
    {15, "Kafr El Sheikh", "كفر الشيخ"},
    {16, "Gharbia", "الغربية"},
    {17, "Monufia", "المنوفية"},
    {18, "Beheira", "البحيرة"},
    {19, "Ismailia", "الإسماعيلية"},
    {21, "Giza", "الجيزة"},
    {22, "Beni Suef", "بني سويف"},
    {23, "Fayoum", "الفيوم"},
    {24, "Minya", "المنيا"},
    {25, "Assiut", "أسيوط"},
    {26, "Sohag", "سوهاج"},
    {27, "Qena", "قنا"},
    {28, "Aswan", "أسوان"},
    {29, "Luxor", "الأقصر"},
    {31, "Red Sea", "البحر الأحمر"},
    {32, "New Valley", "الوادي الجديد"},
    {33, "Matrouh", "مطروح"},
    {34, "North Sinai", "شمال سيناء"},
    {35, "South Sinai", "جنوب سيناء"},
    {88, "Born abroad", "مواليد خارج الجمهورية"},
}};

int TwoDigits(const std::string& s, size_t at) { return (s[at] - '0') * 10 + (s[at + 1] - '0'); }

bool IsLeapYear(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

CivilDate LatestDateInEgypt() {
  using namespace std::chrono;
  const auto now = system_clock::now() + hours(3);
  const year_month_day ymd{floor<days>(now)};
  return CivilDate{static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month())),
                   static_cast<int>(static_cast<unsigned>(ymd.day()))};
}

}  // namespace

std::span<const Governorate> AllGovernorates() { return kGovernorates; }

const Governorate* FindGovernorate(int code) {
  for (const Governorate& governorate : kGovernorates) {
    if (governorate.code == code) return &governorate;
  }
  return nullptr;
}

std::string_view GenderNameEn(Gender gender) { return gender == Gender::kMale ? "male" : "female"; }
std::string_view GenderNameAr(Gender gender) { return gender == Gender::kMale ? "ذكر" : "أنثى"; }

bool IsValidDate(const CivilDate& date) {
  static constexpr std::array<int, 12> kDaysInMonth = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (date.month < 1 || date.month > 12 || date.day < 1) return false;
  int days = kDaysInMonth[static_cast<size_t>(date.month - 1)];
  if (date.month == 2 && IsLeapYear(date.year)) days = 29;
  return date.day <= days;
}

Result<NationalId> NationalId::Parse(std::string_view text) { return Parse(text, LatestDateInEgypt()); }

Result<NationalId> NationalId::Parse(std::string_view text, CivilDate today) {
  const std::string normalized = NormalizeDigits(text);
  std::optional<std::string> grouped = GroupedDigits(TrimSpaces(normalized), 14);
  if (!grouped) return Error{"national_id.invalid_characters", "only digits are allowed"};
  std::string digits = std::move(*grouped);
  if (digits.empty()) return Error{"national_id.empty", "no national ID given"};
  if (digits.size() != 14) {
    return Error{"national_id.invalid_length", "a national ID has 14 digits, got " + std::to_string(digits.size()) +
                                                   (digits.size() > 14 ? "+" : "")};
  }

  int century_base = 0;
  switch (digits[0]) {
    case '2': century_base = 1900; break;
    case '3': century_base = 2000; break;
    default: return Error{"national_id.invalid_century", std::string("century digit ") + digits[0]};
  }

  const CivilDate birth{century_base + TwoDigits(digits, 1), TwoDigits(digits, 3), TwoDigits(digits, 5)};
  if (!IsValidDate(birth)) {
    return Error{"national_id.invalid_birth_date",
                 "no such date: " + std::to_string(birth.year) + "-" + digits.substr(3, 2) + "-" + digits.substr(5, 2)};
  }
  if (birth > today) return Error{"national_id.birth_date_in_future", "birth date after today"};

  const Governorate* governorate = FindGovernorate(TwoDigits(digits, 7));
  if (governorate == nullptr) {
    return Error{"national_id.invalid_governorate", "governorate code " + digits.substr(7, 2)};
  }

  NationalId id;
  id.sequence_ = std::stoi(digits.substr(9, 4));
  id.gender_ = (digits[12] - '0') % 2 == 1 ? Gender::kMale : Gender::kFemale;
  id.digits_ = std::move(digits);
  id.birth_date_ = birth;
  id.governorate_ = governorate;
  return id;
}

}  // namespace lahza
