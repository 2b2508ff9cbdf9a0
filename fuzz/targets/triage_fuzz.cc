// Triage on arbitrary customer text: never crashes, errors are catalogued,
// probabilities are a distribution, and every extracted entity is valid by
// the core parsers (an IR reference the extractor reports as valid parses).
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "care/entities.h"
#include "care/triage.h"
#include "core/ir_reference.h"
#include "core/mobile.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lahza;
  std::string_view text = fuzz::AsText(data, size);
  // First byte picks the transaction state context, so the fuzzer explores
  // the state-correction paths too.
  care::TriageContext context;
  if (!text.empty()) {
    const int pick = static_cast<unsigned char>(text[0]) % 7;
    if (pick < 5) context.transaction_state = static_cast<care::TransactionState>(pick);
    if (pick == 6) context.payer_institution = "NBE";
    text.remove_prefix(1);
  }
  // A fixed instant keeps the target deterministic: 2026-11-25 12:00 UTC.
  const Instant now{std::chrono::seconds(1795608000)};
  auto result = care::Classify(text, context, now);
  if (!result) {
    fuzz::CheckCatalogued(result.error().code);
    return 0;
  }
  FUZZ_CHECK(result->confidence >= 0.0 && result->confidence <= 1.0);
  const auto probabilities = care::ModelProbabilities(text);
  double sum = 0;
  for (double p : probabilities) {
    FUZZ_CHECK(std::isfinite(p) && p >= 0.0 && p <= 1.0);
    sum += p;
  }
  FUZZ_CHECK(std::fabs(sum - 1.0) < 1e-6);
  const care::Entities entities = care::ExtractEntities(text, now);
  for (const std::string& ir : entities.ir_references) FUZZ_CHECK(IrReference::Parse(ir).ok());
  for (const std::string& mobile : entities.mobiles) FUZZ_CHECK(MobileNumber::Parse(mobile).ok());
  return 0;
}
