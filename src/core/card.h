// Payment card numbers (PAN): Luhn check, brand from the BIN table in
// data/core/bins.json (Visa, Mastercard, Meeza — Egypt's national scheme,
// always 16 digits) and a masked form that is safe to show and log.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace lahza {

struct CardBrand {
  std::string id;       // "visa", "mastercard", "meeza"
  std::string name_en;  // "Meeza"
  std::string name_ar;  // "ميزة"
  std::vector<int> lengths;  // card number lengths the brand issues
};

// Every brand in the BIN table.
std::span<const CardBrand> AllCardBrands();

// True when `digits` (ASCII digits only, at least 2) passes the Luhn check.
bool PassesLuhn(std::string_view digits);
// The digit (0-9) that, appended to `payload` (ASCII digits), passes it.
int LuhnCheckDigit(std::string_view payload);

class CardNumber {
 public:
  // Accepts spaces and dashes between digits and Arabic-Indic digits.
  // Errors: card.empty, card.invalid_characters, card.invalid_length (not
  // 12-19 digits), card.unknown_brand, card.invalid_length_for_brand,
  // card.invalid_checksum.
  static Result<CardNumber> Parse(std::string_view text);

  const std::string& digits() const { return digits_; }
  const CardBrand& brand() const { return *brand_; }
  // First six and last four digits, the rest as '*': "507803******1234".
  std::string masked() const;

  friend bool operator==(const CardNumber& a, const CardNumber& b) { return a.digits_ == b.digits_; }

 private:
  CardNumber() = default;
  std::string digits_;
  const CardBrand* brand_ = nullptr;
};

}  // namespace lahza
