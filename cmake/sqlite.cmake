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
  # Three changes to SQLite's code, each measured (third_party/sqlite/README.md,
  # "Patches"); none changes what SQLite writes or what a reader reads. The
  # patched copy lives in the build tree, rewritten only when it differs.
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${LAHZA_SQLITE_AMALGAMATION}/sqlite3.c")
  file(READ "${LAHZA_SQLITE_AMALGAMATION}/sqlite3.c" lahza_sqlite_source)
  option(LAHZA_SQLITE_PATCHES "Apply Lahza's three patches to SQLite (OFF: SQLite as released, to rule them out)" ON)
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
    # 3. A reader keeps the pages of its cache that no commit has changed. When
    #    a read transaction finds that another connection has committed since
    #    its last one, SQLite empties the whole page cache, so every statement
    #    of the event loop (a reader that sees the switch's writer commit
    #    between nearly all its requests) read its B-tree pages back from the
    #    file. Within one WAL generation (same salts) the frames after the
    #    reader's last snapshot name exactly the pages that changed since; a
    #    checkpoint copies only frames, so a page named by none is still what
    #    the cache holds. Those pages are dropped and the rest kept. Any doubt
    #    empties the whole cache as before: the WAL restarted, the database
    #    shrank, the reader reads without the WAL (read lock 0, whose frames a
    #    restart may overwrite), no snapshot to compare with, or many more new
    #    frames than cached pages.
    lahza_sqlite_patch(lahza_sqlite_source
      "SQLITE_PRIVATE Pgno sqlite3WalDbsize(Wal *pWal);"
      "SQLITE_PRIVATE Pgno sqlite3WalDbsize(Wal *pWal);\n/* Lahza (cmake/sqlite.cmake, patch 3). */\nSQLITE_PRIVATE int lahzaWalMark(Wal *pWal, u32 *aMark);\nSQLITE_PRIVATE int lahzaWalChangedPages(Wal*, const u32 *aMark, u32 nCached, int (*xChanged)(void*,Pgno), void*);"
      "the declarations of the reader's kept pages")
    lahza_sqlite_patch(lahza_sqlite_source
      "SQLITE_PRIVATE Pgno sqlite3WalDbsize(Wal *pWal){"
      "/* Lahza (cmake/sqlite.cmake, patch 3): the snapshot a reader's cache holds,
** taken before its next read transaction begins; 0 when there is none to
** compare with (a header zeroed after a checkpoint, exclusive mode, a
** heap-memory wal-index). */
SQLITE_PRIVATE int lahzaWalMark(Wal *pWal, u32 *aMark){
  if( pWal->hdr.isInit==0 || pWal->exclusiveMode || pWal->bShmUnreliable ) return 0;
  aMark[0] = pWal->hdr.mxFrame;
  aMark[1] = pWal->hdr.aSalt[0];
  aMark[2] = pWal->hdr.aSalt[1];
  aMark[3] = pWal->hdr.nPage;
  return 1;
}

/* Lahza (cmake/sqlite.cmake, patch 3): once a read transaction has begun,
** hands xChanged the page of every frame committed since aMark, and returns
** SQLITE_OK; SQLITE_DONE when the changed pages cannot be named this way
** (the caller empties its whole cache), or when naming them would cost more
** than reading back what the cache holds: a frame costs a hash lookup, a
** page read back a read() and a parse, so up to 16 frames a cached page
** (and 1,024 more) are worth looking at. nCached is the pages cached.
** The frames are safe to read: the read lock (1 or more) keeps a writer
** from restarting the WAL, and with the same salts frames 1..aMark[0] are
** the ones the mark was taken over. */
SQLITE_PRIVATE int lahzaWalChangedPages(
  Wal *pWal, const u32 *aMark, u32 nCached, int (*xChanged)(void*,Pgno), void *pCtx
){
  u32 iFrame;
  const u32 nMax = 1024 + 16*nCached;
  if( nCached==0 ) return SQLITE_OK;  /* nothing cached, nothing to drop */
  if( pWal->readLock<=0 ) return SQLITE_DONE;
  if( pWal->hdr.aSalt[0]!=aMark[1] || pWal->hdr.aSalt[1]!=aMark[2] ) return SQLITE_DONE;
  if( pWal->hdr.mxFrame<aMark[0] || pWal->hdr.nPage<aMark[3] ) return SQLITE_DONE;
  if( pWal->hdr.mxFrame-aMark[0]>nMax ) return SQLITE_DONE;
  for(iFrame=aMark[0]+1; iFrame<=pWal->hdr.mxFrame; iFrame++){
    volatile u32 *aIndex = 0;
    int rc = walIndexPage(pWal, walFramePage(iFrame), &aIndex);
    if( rc!=SQLITE_OK ) return rc;
    if( aIndex==0 ) return SQLITE_DONE;
    rc = xChanged(pCtx, walFramePgno(pWal, iFrame));
    if( rc!=SQLITE_OK ) return rc;
  }
  return SQLITE_OK;
}

SQLITE_PRIVATE Pgno sqlite3WalDbsize(Wal *pWal){"
      "the reader's kept pages, in the WAL")
    lahza_sqlite_patch(lahza_sqlite_source
      "  rc = sqlite3WalBeginReadTransaction(pPager->pWal, &changed);
  if( rc!=SQLITE_OK || changed ){
    pager_reset(pPager);"
      "  u32 aLahzaMark[4];   /* Lahza (cmake/sqlite.cmake, patch 3) */
  int bLahzaMark = lahzaWalMark(pPager->pWal, aLahzaMark);
  rc = sqlite3WalBeginReadTransaction(pPager->pWal, &changed);
  if( rc==SQLITE_OK && changed && bLahzaMark
   && lahzaWalChangedPages(pPager->pWal, aLahzaMark, (u32)sqlite3PcachePagecount(pPager->pPCache),
                           pagerUndoCallback, (void*)pPager)==SQLITE_OK ){
    /* Only the changed pages were dropped (pagerUndoCallback); the rest
    ** as pager_reset() does it: */
    pPager->iDataVersion++;
    sqlite3BackupRestart(pPager->pBackup);
    if( USEFETCH(pPager) ) sqlite3OsUnfetch(pPager->fd, 0, 0);
  }else if( rc!=SQLITE_OK || changed ){
    pager_reset(pPager);"
      "the reader's kept pages, in the pager")
  endif()
  file(WRITE "${CMAKE_BINARY_DIR}/sqlite/sqlite3.c.new" "${lahza_sqlite_source}")
  file(COPY_FILE "${CMAKE_BINARY_DIR}/sqlite/sqlite3.c.new" "${CMAKE_BINARY_DIR}/sqlite/sqlite3.c" ONLY_IF_DIFFERENT)
  file(REMOVE "${CMAKE_BINARY_DIR}/sqlite/sqlite3.c.new")
  unset(lahza_sqlite_source)

  add_library(lahza_sqlite3 STATIC "${CMAKE_BINARY_DIR}/sqlite/sqlite3.c")
  # SQLite's own code, not ours: no -Werror on it, and the same code in every
  # tree. The sanitizer tree builds ours at -O0 under ASan+UBSan but links
  # SQLite optimised and uninstrumented, as it linked Debian's library before;
  # at -O1 there, which compiles in half the time of -O2 (13 s against 27 s):
  # that tree is for finding faults, and its speed is not measured.
  if(LAHZA_SANITIZE)
    set(lahza_sqlite_optimisation -O1)
  else()
    set(lahza_sqlite_optimisation -O2)
  endif()
  set_target_properties(lahza_sqlite3 PROPERTIES COMPILE_OPTIONS "-w;${lahza_sqlite_optimisation}" UNITY_BUILD OFF)
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
  if(LAHZA_SQLITE_PATCHES)
    # For tests/store/sqlite_patches_test.cc: what only the patched SQLite does.
    target_compile_definitions(lahza_sqlite3 INTERFACE LAHZA_SQLITE_PATCHED)
  endif()
  target_link_libraries(lahza_sqlite3 PUBLIC Threads::Threads m PRIVATE lahza_wal_checksum)
  add_library(SQLite::SQLite3 ALIAS lahza_sqlite3)
  message(STATUS "SQLite: 3.52.0 from ${LAHZA_SQLITE_AMALGAMATION}")
else()
  message(WARNING "SQLite: no amalgamation in ${LAHZA_SQLITE_AMALGAMATION} (run scripts/fetch-sqlite); "
                  "building against the system's SQLite, which is slower")
  find_package(SQLite3 REQUIRED)
endif()
