# Help-centre search per-query latency (owner: search).
lahza_bench(lahza_search_bench SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/search_bench.cc LIBS lahza_care lahza_core)
target_compile_definitions(lahza_search_bench PRIVATE
  LAHZA_SEARCH_QUERIES="${PROJECT_SOURCE_DIR}/tests/care/data/search_queries.tsv")
