# Triage per-query latency (owner: triage).
lahza_bench(lahza_triage_bench SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/triage_bench.cc LIBS lahza_care lahza_core)
target_compile_definitions(lahza_triage_bench PRIVATE LAHZA_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
