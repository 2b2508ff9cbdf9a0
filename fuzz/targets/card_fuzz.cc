// CardNumber::Parse on arbitrary bytes: never crashes, errors are
// catalogued; an accepted card passes Luhn, re-parses to itself and its
// masked form shows only the first six and last four digits.
#include <cstddef>
#include <cstdint>

#include "core/card.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using lahza::CardNumber;
  auto parsed = CardNumber::Parse(lahza::fuzz::AsText(data, size));
  if (!parsed) {
    lahza::fuzz::CheckCatalogued(parsed.error().code);
    return 0;
  }
  const std::string& digits = parsed->digits();
  FUZZ_CHECK(lahza::PassesLuhn(digits));
  auto again = CardNumber::Parse(digits);
  FUZZ_CHECK(again.ok() && *again == *parsed);
  const std::string masked = parsed->masked();
  FUZZ_CHECK(masked.size() == digits.size() && digits.size() > 10);
  size_t shown = 0;
  for (char c : masked) shown += (c >= '0' && c <= '9');
  FUZZ_CHECK(shown == 10);
  FUZZ_CHECK(masked.substr(masked.size() - 4) == digits.substr(digits.size() - 4));
  return 0;
}
