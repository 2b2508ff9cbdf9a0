# SQLite::SQLite3 — SQLite 3.52.0 compiled into Lahza from its amalgamation
# (scripts/fetch-sqlite puts it in third_party/sqlite/amalgamation), or, when
# that is missing, the system's library (Debian 12: 3.40.1).
#
# Why (third_party/sqlite/README.md has the numbers): the switch's writer is
# the one serial thread of a transfer, and SQLite was a third of all the CPU.
# Debian builds SQLite without lookaside memory (OMIT_LOOKASIDE), with the
# serialised threading mode, as a shared library; 3.52 also runs the same
# statements in fewer instructions than 3.40.
set(LAHZA_SQLITE_AMALGAMATION "${CMAKE_SOURCE_DIR}/third_party/sqlite/amalgamation"
    CACHE PATH "Folder with SQLite's sqlite3.c and sqlite3.h (scripts/fetch-sqlite)")

# A tree configured before scripts/fetch-sqlite ran (the system's SQLite)
# configures again once the amalgamation lands: moving it into place changes
# its parent folder's time, which the build then depends on.
get_filename_component(LAHZA_SQLITE_PARENT "${LAHZA_SQLITE_AMALGAMATION}" DIRECTORY)
if(IS_DIRECTORY "${LAHZA_SQLITE_PARENT}")
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${LAHZA_SQLITE_PARENT}")
endif()

# lahza_sqlite_patch(TEXT OLD NEW WHY): replaces the one occurrence of OLD in
# TEXT, or stops the configure: a patch that no longer applies must be looked
# at again (third_party/sqlite/README.md, "Updating").
function(lahza_sqlite_patch text_var old new why)
  string(FIND "${${text_var}}" "${old}" first)
  string(LENGTH "${old}" old_length)
  if(first EQUAL -1)
    message(FATAL_ERROR "SQLite: the patch for ${why} does not apply to this sqlite3.c")
  endif()
  math(EXPR after "${first} + ${old_length}")
  string(SUBSTRING "${${text_var}}" ${after} -1 rest)
  string(FIND "${rest}" "${old}" second)
  if(NOT second EQUAL -1)
    message(FATAL_ERROR "SQLite: the patch for ${why} matches twice in this sqlite3.c")
  endif()
  string(REPLACE "${old}" "${new}" patched "${${text_var}}")
  set(${text_var} "${patched}" PARENT_SCOPE)
endfunction()

# The WAL checksum that patch 1 below puts into SQLite; built in every tree,
# so that its test (tests/store/sqlite_patches_test.cc) runs in every tree.
add_library(lahza_wal_checksum STATIC "${CMAKE_SOURCE_DIR}/src/store/wal_checksum/wal_checksum.cc")
target_include_directories(lahza_wal_checksum PUBLIC "${CMAKE_SOURCE_DIR}/src")

if(EXISTS "${LAHZA_SQLITE_AMALGAMATION}/sqlite3.c" AND EXISTS "${LAHZA_SQLITE_AMALGAMATION}/sqlite3.h")
  # Two changes to SQLite's code, each measured (third_party/sqlite/README.md,
  # "Patches"); neither changes what SQLite writes. The patched copy lives in
  # the build tree, rewritten only when it differs.
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${LAHZA_SQLITE_AMALGAMATION}/sqlite3.c")
  file(READ "${LAHZA_SQLITE_AMALGAMATION}/sqlite3.c" lahza_sqlite_source)
  option(LAHZA_SQLITE_PATCHES "Apply Lahza's two patches to SQLite (OFF: SQLite as released, to rule them out)" ON)
  if(LAHZA_SQLITE_PATCHES)
    # 1. The WAL checksum of a page, a block of words at a time
    #    (src/store/wal_checksum/wal_checksum.h): the same sums, found several
    #    times faster than SQLite's word-by-word loop.
    lahza_sqlite_patch(lahza_sqlite_source
      "static void walChecksumBytes("
      "void lahza_wal_checksum_native(const unsigned char*, int, unsigned int*, unsigned int*);\nstatic void walChecksumBytes("
      "the WAL checksum's declaration")
    lahza_sqlite_patch(lahza_sqlite_source
      "  }else if( nByte%64==0 ){\n    do {\n      s1 += *aData++ + s2;"
      "  }else if( nByte>=512 ){\n    lahza_wal_checksum_native(a, nByte, &s1, &s2);\n    aData = aEnd;\n  }else if( nByte%64==0 ){\n    do {\n      s1 += *aData++ + s2;"
      "the WAL checksum")
    # 2. When a B-tree balance puts its new pages in file order, it swaps two
    #    pages' numbers through a spare number, the lock-byte page's (page
    #    262,145 at 4 KiB). The page cache remembers the highest number it was
    #    ever given, and the commit that ends the transaction, finding it past
    #    the file's end, scans every slot of the cache for pages to drop: 6 % of
    #    the switch writer's time (perf, 2026-11-27). Any number past the last
    #    page serves as the spare — no page there is in use during a balance,
    #    every new page being allocated already — and the number just past the
    #    end leaves the commit one slot to look at.
    lahza_sqlite_patch(lahza_sqlite_source
      "Pgno pgnoTemp = (PENDING_BYTE/pBt->pageSize)+1;"
      "Pgno pgnoTemp = pBt->nPage+1;  /* Lahza: was the lock-byte page (cmake/sqlite.cmake) */"
      "the balance's spare page number")
  endif()
  file(WRITE "${CMAKE_BINARY_DIR}/sqlite/sqlite3.c.new" "${lahza_sqlite_source}")
  file(COPY_FILE "${CMAKE_BINARY_DIR}/sqlite/sqlite3.c.new" "${CMAKE_BINARY_DIR}/sqlite/sqlite3.c" ONLY_IF_DIFFERENT)
  file(REMOVE "${CMAKE_BINARY_DIR}/sqlite/sqlite3.c.new")
  unset(lahza_sqlite_source)

  add_library(lahza_sqlite3 STATIC "${CMAKE_BINARY_DIR}/sqlite/sqlite3.c")
  # SQLite's own code, not ours: no -Werror on it, and the same code in every
  # tree. The sanitizer tree builds ours at -O0 under ASan+UBSan but links
  # SQLite optimised and uninstrumented, as it linked Debian's library before.
  set_target_properties(lahza_sqlite3 PROPERTIES COMPILE_OPTIONS "-w;-O2" UNITY_BUILD OFF)
  target_compile_definitions(
    lahza_sqlite3
    PRIVATE
      # Each connection is used by one thread at a time (store/sqlite_store.cc
      # opens them SQLITE_OPEN_NOMUTEX already): no mutex on every call.
      SQLITE_THREADSAFE=2
      # No process-wide mutex and counters on every allocation (nothing reads them).
      SQLITE_DEFAULT_MEMSTATUS=0
      # As Debian's build: freed row bytes are overwritten, not left in the
      # file (session and OTP rows are deleted).
      SQLITE_SECURE_DELETE
      # SQLite's recommended options (sqlite.org/compile.html#rcmd): strict
      # string literals, and features Lahza never uses left out.
      SQLITE_DQS=0
      SQLITE_LIKE_DOESNT_MATCH_BLOBS
      SQLITE_MAX_EXPR_DEPTH=0
      SQLITE_OMIT_DEPRECATED
      SQLITE_OMIT_PROGRESS_CALLBACK
      SQLITE_OMIT_SHARED_CACHE
      SQLITE_OMIT_LOAD_EXTENSION
      SQLITE_USE_ALLOCA)
  target_include_directories(lahza_sqlite3 SYSTEM PUBLIC "${LAHZA_SQLITE_AMALGAMATION}")
  # For tests/store/sqlite_store_test.cc, which checks the options above took.
  target_compile_definitions(lahza_sqlite3 INTERFACE LAHZA_SQLITE_COMPILED_IN)
  target_link_libraries(lahza_sqlite3 PUBLIC Threads::Threads m PRIVATE lahza_wal_checksum)
  add_library(SQLite::SQLite3 ALIAS lahza_sqlite3)
  message(STATUS "SQLite: 3.52.0 from ${LAHZA_SQLITE_AMALGAMATION}")
else()
  message(WARNING "SQLite: no amalgamation in ${LAHZA_SQLITE_AMALGAMATION} (run scripts/fetch-sqlite); "
                  "building against the system's SQLite, which is slower")
  find_package(SQLite3 REQUIRED)
endif()
