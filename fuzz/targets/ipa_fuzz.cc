// Ipa::Parse on arbitrary bytes: never crashes, errors are catalogued; an
// accepted address re-parses from both its name and its full address.
#include <cstddef>
#include <cstdint>

#include "core/ipa.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using lahza::Ipa;
  auto parsed = Ipa::Parse(lahza::fuzz::AsText(data, size));
  if (!parsed) {
    lahza::fuzz::CheckCatalogued(parsed.error().code);
    return 0;
  }
  FUZZ_CHECK(!parsed->name().empty());
  auto again = Ipa::Parse(parsed->address());
  FUZZ_CHECK(again.ok() && *again == *parsed);
  return 0;
}
