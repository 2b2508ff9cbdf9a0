// Egyptian mobile numbers: 01 + operator digit (0 Vodafone, 1 e& (Etisalat),
// 2 Orange, 5 WE) + 8 digits, i.e. 11 digits nationally and +20 1XXXXXXXXX in
// E.164. Since number portability a number may have moved to another network;
// the operator here is the one the prefix was allocated to, which is what
// people and banks mean by "a Vodafone number".
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace lahza {

enum class MobileOperator { kVodafone, kEtisalat, kOrange, kWe };

std::string_view OperatorNameEn(MobileOperator op);  // "Vodafone", "e& (Etisalat)", "Orange", "WE"
std::string_view OperatorNameAr(MobileOperator op);  // "فودافون", ...

class MobileNumber {
 public:
  // Accepts "01012345678", "+201012345678", "00201012345678", "201012345678",
  // "1012345678", the national trunk zero after the country code
  // ("+20 010 ..."), spaces, dashes, dots and brackets between digits, and
  // Arabic-Indic digits. Errors: mobile.empty, mobile.invalid_characters,
  // mobile.not_egyptian (another country code), mobile.invalid_length,
  // mobile.not_mobile (a landline or other non-01 number),
  // mobile.unknown_operator (01 followed by a digit no operator holds).
  static Result<MobileNumber> Parse(std::string_view text);

  const std::string& e164() const { return e164_; }          // "+201012345678"
  std::string national() const { return "0" + e164_.substr(3); }  // "01012345678"
  MobileOperator mobile_operator() const { return operator_; }

  friend bool operator==(const MobileNumber& a, const MobileNumber& b) { return a.e164_ == b.e164_; }

 private:
  MobileNumber() = default;
  std::string e164_;
  MobileOperator operator_ = MobileOperator::kVodafone;
};

}  // namespace lahza
