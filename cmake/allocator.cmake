# lahza_link_allocator(TARGET) — links an executable with jemalloc instead of
# glibc's malloc. Only the programs that serve (lahza) and measure (bench/).
#
# Why (measured, bench/http_bench, 96 connections, five alternating runs each,
# LD_PRELOAD): glibc 6,516 transfers/s mean at 214-268 us CPU per transfer;
# jemalloc 7,647/s at 183-208 us; tcmalloc 7,773/s; mimalloc 7,353/s. A send
# allocates and frees hundreds of small blocks across the event loops and the
# switch's writer thread, and glibc's arenas pay for that in locking and
# consolidation. jemalloc and tcmalloc were alike; jemalloc links cleanly from
# Debian's libjemalloc-dev (tcmalloc's -dev package pulls libunwind-dev).
#
# Not in the sanitizer tree: ASan brings its own allocator to find misuse.
if(LAHZA_SANITIZE)
  set(LAHZA_JEMALLOC_DEFAULT OFF)
else()
  set(LAHZA_JEMALLOC_DEFAULT ON)
endif()
option(LAHZA_JEMALLOC "Link lahza and the benchmarks with jemalloc" ${LAHZA_JEMALLOC_DEFAULT})
if(LAHZA_JEMALLOC)
  pkg_check_modules(JEMALLOC REQUIRED IMPORTED_TARGET jemalloc)
endif()

function(lahza_link_allocator target)
  if(LAHZA_JEMALLOC)
    # --no-as-needed: the program calls malloc through libstdc++, not jemalloc
    # by name, so the linker's default --as-needed would drop it.
    target_link_libraries(${target} PRIVATE "-Wl,--push-state,--no-as-needed" PkgConfig::JEMALLOC
                          "-Wl,--pop-state")
  endif()
endfunction()
