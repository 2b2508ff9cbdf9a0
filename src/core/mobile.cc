#include "core/mobile.h"

#include "core/digits.h"

namespace lahza {

std::string_view OperatorNameEn(MobileOperator op) {
  switch (op) {
    case MobileOperator::kVodafone: return "Vodafone";
    case MobileOperator::kEtisalat: return "e& (Etisalat)";
    case MobileOperator::kOrange: return "Orange";
    case MobileOperator::kWe: return "WE";
  }
  return "?";
}

std::string_view OperatorNameAr(MobileOperator op) {
  switch (op) {
    case MobileOperator::kVodafone: return "فودافون";
    case MobileOperator::kEtisalat: return "اتصالات (e&)";
    case MobileOperator::kOrange: return "أورنج";
    case MobileOperator::kWe: return "وي";
  }
  return "?";
}

Result<MobileNumber> MobileNumber::Parse(std::string_view text) {
  const std::string normalized = NormalizeDigits(text);
  std::string_view trimmed = TrimSpaces(normalized);
  if (trimmed.empty()) return Error{"mobile.empty", "no mobile number given"};

  bool plus = false;
  std::string digits;
  for (size_t i = 0; i < trimmed.size(); ++i) {
    const char c = trimmed[i];
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
    } else if (c == '+' && digits.empty() && !plus) {
      plus = true;
    } else if (c != ' ' && c != '-' && c != '.' && c != '(' && c != ')') {
      return Error{"mobile.invalid_characters", "unexpected character in a mobile number"};
    }
    if (digits.size() > 16) break;
  }
  if (digits.empty()) return Error{"mobile.empty", "no digits"};

  // Reduce every accepted shape to the 10 national significant digits.
  std::string_view rest = digits;
  if (plus || rest.starts_with("00")) {
    if (!plus) rest.remove_prefix(2);
    if (!rest.starts_with("20")) return Error{"mobile.not_egyptian", "country code is not +20"};
    rest.remove_prefix(2);
  } else if (rest.size() == 12 && rest.starts_with("20")) {
    rest.remove_prefix(2);
  }
  // The trunk zero: "010..." nationally, and the common "+20 010..." mistake.
  if (rest.starts_with("01")) {
    rest.remove_prefix(1);
  } else if (!rest.starts_with("1")) {
    return Error{"mobile.not_mobile", "Egyptian mobile numbers start with 01"};
  }
  if (rest.size() != 10) {
    return Error{"mobile.invalid_length", "a mobile number has 11 digits starting with 01"};
  }

  MobileNumber number;
  switch (rest[1]) {
    case '0': number.operator_ = MobileOperator::kVodafone; break;
    case '1': number.operator_ = MobileOperator::kEtisalat; break;
    case '2': number.operator_ = MobileOperator::kOrange; break;
    case '5': number.operator_ = MobileOperator::kWe; break;
    default: return Error{"mobile.unknown_operator", std::string("prefix 01") + rest[1]};
  }
  number.e164_ = "+20" + std::string(rest);
  return number;
}

}  // namespace lahza
