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

if(EXISTS "${LAHZA_SQLITE_AMALGAMATION}/sqlite3.c" AND EXISTS "${LAHZA_SQLITE_AMALGAMATION}/sqlite3.h")
  add_library(lahza_sqlite3 STATIC "${LAHZA_SQLITE_AMALGAMATION}/sqlite3.c")
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
  target_link_libraries(lahza_sqlite3 PUBLIC Threads::Threads m)
  add_library(SQLite::SQLite3 ALIAS lahza_sqlite3)
  message(STATUS "SQLite: 3.52.0 from ${LAHZA_SQLITE_AMALGAMATION}")
else()
  message(WARNING "SQLite: no amalgamation in ${LAHZA_SQLITE_AMALGAMATION} (run scripts/fetch-sqlite); "
                  "building against the system's SQLite, which is slower")
  find_package(SQLite3 REQUIRED)
endif()
