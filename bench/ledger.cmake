if(TARGET lahza_ledger)
  lahza_bench(lahza_ledger_bench SOURCES ${CMAKE_CURRENT_LIST_DIR}/ledger_bench.cc LIBS lahza_ledger)
endif()
