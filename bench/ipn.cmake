if(TARGET lahza_ipn)
  lahza_bench(lahza_ipn_bench SOURCES ${CMAKE_CURRENT_LIST_DIR}/ipn_bench.cc LIBS lahza_ipn)
endif()
