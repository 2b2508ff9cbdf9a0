// Iban::Parse on arbitrary bytes: never crashes, errors are catalogued; an
// accepted IBAN has its country's registered length, passes mod-97, and its
// printed form parses back to the same IBAN.
#include <cstddef>
#include <cstdint>

#include "core/iban.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using lahza::Iban;
  auto parsed = Iban::Parse(lahza::fuzz::AsText(data, size));
  if (!parsed) {
    lahza::fuzz::CheckCatalogued(parsed.error().code);
    return 0;
  }
  const std::string& value = parsed->electronic();
  FUZZ_CHECK(static_cast<int>(value.size()) == lahza::IbanLength(parsed->country_code()));
  FUZZ_CHECK(lahza::IbanMod97(value) == 1);
  auto again = Iban::Parse(parsed->printed());
  FUZZ_CHECK(again.ok() && *again == *parsed);
  (void)parsed->egypt();
  return 0;
}
