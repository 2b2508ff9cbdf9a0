// Entities in a customer's free text: what an agent would underline before
// looking anything up — IR references, amounts, dates and times, mobile
// numbers, instant payment addresses and the banks or wallets named.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/cairo_time.h"
#include "core/money.h"

namespace lahza::care {

struct InstitutionMention {
  std::string code;  // participant code, "NBE"
  std::string text;  // as matched in the normalised text, "الاهلي"
};

// A date and/or time the customer mentions, read in Cairo time relative to
// the moment they wrote ("امبارح الساعة ٣" = yesterday 15:00).
struct WhenMention {
  std::optional<std::array<int, 3>> date;  // {year, month, day}
  std::optional<std::array<int, 2>> time;  // {hour, minute}, 24-hour
  std::optional<Instant> at;               // when both are known
};

struct Entities {
  std::vector<std::string> ir_references;          // canonical "IR" + 20 digits, check digit valid
  std::vector<std::string> invalid_ir_references;  // looked like one but the check digit is wrong
  std::vector<Money> amounts;                      // with a currency word or a thousands word
  std::vector<std::string> mobiles;                // E.164, "+201012345678"
  std::vector<std::string> ipas;                   // "name@instapay"
  std::vector<InstitutionMention> institutions;    // in order of appearance, unique codes
  std::vector<WhenMention> times;
};

// Never fails: text that holds nothing recognisable gives empty lists.
Entities ExtractEntities(std::string_view text, Instant now);

}  // namespace lahza::care
