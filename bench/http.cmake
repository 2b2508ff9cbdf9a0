lahza_bench(lahza_http_bench SOURCES http_bench.cc LIBS lahza_app lahza_care lahza_http)
target_include_directories(lahza_http_bench PRIVATE ${PROJECT_SOURCE_DIR}/tests)
