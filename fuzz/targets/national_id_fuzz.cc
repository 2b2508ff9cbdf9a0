// NationalId::Parse on arbitrary bytes: never crashes, errors are
// catalogued, and an accepted ID is 14 ASCII digits whose parts are
// consistent (a real date, a known governorate) and that re-parses to itself.
#include <cstddef>
#include <cstdint>

#include "core/national_id.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using lahza::NationalId;
  // A fixed "today" keeps the target deterministic (the corpus replays in CI).
  const lahza::CivilDate today{2026, 11, 25};
  auto parsed = NationalId::Parse(lahza::fuzz::AsText(data, size), today);
  if (!parsed) {
    lahza::fuzz::CheckCatalogued(parsed.error().code);
    return 0;
  }
  const std::string& digits = parsed->digits();
  FUZZ_CHECK(digits.size() == 14);
  for (char c : digits) FUZZ_CHECK(c >= '0' && c <= '9');
  FUZZ_CHECK(lahza::IsValidDate(parsed->birth_date()));
  FUZZ_CHECK(parsed->birth_date() <= today);
  FUZZ_CHECK(lahza::FindGovernorate(parsed->governorate().code) != nullptr);
  auto again = NationalId::Parse(digits, today);
  FUZZ_CHECK(again.ok() && *again == *parsed);
  return 0;
}
