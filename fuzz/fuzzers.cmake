# The list of fuzz targets, shared by the clang libFuzzer build
# (fuzz/CMakeLists.txt) and the gcc corpus-replay tests
# (tests/reliability/CMakeLists.txt). Each entry: NAME SOURCE CORPUS LIBS.
set(LAHZA_FUZZERS
  "money|money_fuzz.cc|money|lahza_core"
  "national_id|national_id_fuzz.cc|national_id|lahza_core"
  "mobile|mobile_fuzz.cc|mobile|lahza_core"
  "iban|iban_fuzz.cc|iban|lahza_core"
  "card|card_fuzz.cc|card|lahza_core"
  "ipa|ipa_fuzz.cc|ipa|lahza_core"
  "ir|ir_fuzz.cc|ir|lahza_core"
  "arabic|arabic_fuzz.cc|arabic|lahza_care"
  "triage|triage_fuzz.cc|triage|lahza_care"
)
if(TARGET lahza_app AND TARGET lahza_http)
  list(APPEND LAHZA_FUZZERS "api_json|api_json_fuzz.cc|api_json|lahza_app,lahza_http,lahza_ipn,lahza_ledger,lahza_store")
endif()
