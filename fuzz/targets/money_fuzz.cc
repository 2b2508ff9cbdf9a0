// Money::Parse on arbitrary bytes: never crashes, errors are catalogued, and
// whatever parses survives a round trip through every printed form.
#include <cstddef>
#include <cstdint>

#include "core/money.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using lahza::Money;
  auto parsed = Money::Parse(lahza::fuzz::AsText(data, size));
  if (!parsed) {
    lahza::fuzz::CheckCatalogued(parsed.error().code);
    return 0;
  }
  const Money m = *parsed;
  for (const std::string& printed : {m.ToPlain(), m.ToEnglish(), m.ToArabic()}) {
    auto again = Money::Parse(printed);
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(again->piastres() == m.piastres());
  }
  // Overflow-checked arithmetic must agree with 128-bit arithmetic.
  auto doubled = m.Add(m);
  const __int128 wide = static_cast<__int128>(m.piastres()) * 2;
  const bool fits = wide >= INT64_MIN && wide <= INT64_MAX;
  FUZZ_CHECK(doubled.ok() == fits);
  if (fits) FUZZ_CHECK(doubled->piastres() == static_cast<int64_t>(wide));
  auto negated = m.Negate();
  FUZZ_CHECK(negated.ok() == (m.piastres() != INT64_MIN));
  return 0;
}
