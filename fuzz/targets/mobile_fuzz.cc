// MobileNumber::Parse on arbitrary bytes: never crashes, errors are
// catalogued; an accepted number is a canonical +20 E.164 string that
// re-parses, in both its E.164 and national forms, to itself.
#include <cstddef>
#include <cstdint>

#include "core/mobile.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using lahza::MobileNumber;
  auto parsed = MobileNumber::Parse(lahza::fuzz::AsText(data, size));
  if (!parsed) {
    lahza::fuzz::CheckCatalogued(parsed.error().code);
    return 0;
  }
  const std::string& e164 = parsed->e164();
  FUZZ_CHECK(e164.size() == 13 && e164.rfind("+20", 0) == 0);
  for (size_t i = 1; i < e164.size(); ++i) FUZZ_CHECK(e164[i] >= '0' && e164[i] <= '9');
  auto again = MobileNumber::Parse(e164);
  FUZZ_CHECK(again.ok() && *again == *parsed);
  auto national = MobileNumber::Parse(parsed->national());
  FUZZ_CHECK(national.ok() && *national == *parsed);
  FUZZ_CHECK(national->mobile_operator() == parsed->mobile_operator());
  return 0;
}
