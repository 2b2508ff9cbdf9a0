// A thin SQLite VFS over the unix one (its "unix-excl" form, see
// WalBufferVfs) that gathers the writes a commit makes to the write-ahead
// log into one buffer and hands them to the kernel in a few large writes.
//
// Why: SQLite writes each WAL frame as two pwrite calls (a 24-byte header,
// then the page). A batched commit of the switch's writer carries ~200 frames
// (about 14 per transfer: per-customer index pages do not share), so a commit
// made ~450 system calls, a quarter of the writer thread's CPU. The frames of
// one commit are written at consecutive offsets, so they coalesce into one
// contiguous buffer.
//
// Why it is safe: SQLite makes frames visible to other connections only by
// updating the wal-index AFTER it has written them AND, under
// synchronous=FULL, synced the WAL. Every sync goes through xSync, which
// flushes the buffer first. Every other operation on the file (read, size,
// truncate, file control, close) flushes first as well, so SQLite never sees
// anything but what it wrote. Only the writer's own connection holds
// unflushed bytes, and only between its frame writes and the sync that ends
// the commit. The store opens every connection with synchronous=FULL
// (sqlite_store.cc) and checks it: under NORMAL a commit does not sync, and
// other connections could then read frames still in this buffer.
//
// What is still buffered when a write transaction ends without committing
// was never committed (every commit syncs): frames a large transaction
// spilled before it rolled back. SQLite does not touch the WAL file on a
// rollback, so the store calls DiscardWalBuffer after every ROLLBACK, and
// xClose discards too: written later, those bytes would land on frames other
// connections have committed at the same offsets since. A file whose device
// does not promise power-safe overwrite is not buffered at all: there SQLite
// pads a commit to a sector boundary and writes the padding's tail after the
// sync, when the frames are already visible.
//
// A commit whose sync is deferred (DeferNextWalSync, for CommitWithoutSync)
// is flushed from the buffer in xSync all the same: only the fdatasync moves
// to the store's syncer. Other connections read its frames from the kernel,
// as they would after a synced commit; what a crash before the syncer's
// fdatasync loses is the commit itself, whole (SQLite's WAL recovery stops
// at the first frame whose checksum does not follow), and the ones after it.
// Main database, journal and temp files pass through untouched.
#include <sqlite3.h>

#include <algorithm>
#include <new>
#include <utility>
#include <vector>

#include "store/internal.h"

namespace lahza::store::internal {
namespace {

constexpr const char* kVfsName = "lahza-wal-buffer";
constexpr size_t kMaxBufferedBytes = 4 << 20;  // flushed early beyond this (large transactions)
// The default unix VFS silently truncates one write to its low 17 bits
// (seekAndWrite masks the length with 0x1ffff), so a flush hands it pieces
// below 128 KiB.
constexpr size_t kMaxWriteBytes = 96 << 10;

sqlite3_vfs* Base(sqlite3_vfs* vfs) { return static_cast<sqlite3_vfs*>(vfs->pAppData); }

// The object SQLite sees for a WAL file; the default VFS's own file object
// follows it in the same allocation (szOsFile covers both).
struct BufferedWal {
  sqlite3_file base;   // must be first: SQLite treats a BufferedWal* as a sqlite3_file*
  sqlite3_file* real;  // the default VFS's file, right after this struct
  std::vector<char>* pending;  // bytes not yet written, for offsets [pending_offset, +size)
  sqlite3_int64 pending_offset;
  bool buffered;  // false: every write goes straight through (no power-safe overwrite)
};

// What a pooled connection keeps allocated between transactions: a batch
// of the switch's writer is ~1 MiB of frames, so the hot path never
// reallocates, and a large transaction's buffer is given back.
constexpr size_t kKeptCapacity = 2 << 20;

BufferedWal* Wal(sqlite3_file* file) { return reinterpret_cast<BufferedWal*>(file); }

int Flush(BufferedWal* wal) {
  std::vector<char>& pending = *wal->pending;
  int rc = SQLITE_OK;
  for (size_t done = 0; done < pending.size() && rc == SQLITE_OK; done += kMaxWriteBytes) {
    const size_t piece = std::min(kMaxWriteBytes, pending.size() - done);
    rc = wal->real->pMethods->xWrite(wal->real, pending.data() + done, static_cast<int>(piece),
                                     wal->pending_offset + static_cast<sqlite3_int64>(done));
  }
  pending.clear();
  if (pending.capacity() > kKeptCapacity) std::vector<char>().swap(pending);
  return rc;
}

// What is buffered first, then `data` straight to the file: SQLite's order of
// writes is kept whenever a write is not appended to the buffer.
int WriteThrough(BufferedWal* wal, const void* data, int amount, sqlite3_int64 offset) {
  if (int rc = Flush(wal); rc != SQLITE_OK) return rc;
  return wal->real->pMethods->xWrite(wal->real, data, amount, offset);
}

int Write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  BufferedWal* wal = Wal(file);
  if (!wal->buffered) return WriteThrough(wal, data, amount, offset);
  std::vector<char>& pending = *wal->pending;
  const bool continues = !pending.empty() && offset == wal->pending_offset + static_cast<sqlite3_int64>(pending.size());
  if (!continues) {
    // A write elsewhere (SQLite rewrites a frame of the same transaction in
    // place, or a new transaction starts over at the WAL's beginning): what
    // is buffered goes first, so writes reach the file in SQLite's order.
    if (int rc = Flush(wal); rc != SQLITE_OK) return rc;
    wal->pending_offset = offset;
  }
  if (pending.size() + static_cast<size_t>(amount) > kMaxBufferedBytes) return WriteThrough(wal, data, amount, offset);
  const char* bytes = static_cast<const char*>(data);
  try {
    pending.insert(pending.end(), bytes, bytes + amount);
  } catch (const std::bad_alloc&) {  // no C++ exception may cross SQLite's C frames
    return WriteThrough(wal, data, amount, offset);
  }
  return SQLITE_OK;
}

int Close(sqlite3_file* file) {
  // Anything still buffered is uncommitted (see the top of this file).
  BufferedWal* wal = Wal(file);
  int closed = wal->real->pMethods->xClose(wal->real);
  delete wal->pending;
  wal->pending = nullptr;
  return closed;
}

int Read(sqlite3_file* file, void* data, int amount, sqlite3_int64 offset) {
  BufferedWal* wal = Wal(file);
  if (int rc = Flush(wal); rc != SQLITE_OK) return rc;
  return wal->real->pMethods->xRead(wal->real, data, amount, offset);
}

int Truncate(sqlite3_file* file, sqlite3_int64 size) {
  BufferedWal* wal = Wal(file);
  if (int rc = Flush(wal); rc != SQLITE_OK) return rc;
  return wal->real->pMethods->xTruncate(wal->real, size);
}

thread_local WalSyncOwner* t_deferred_sync = nullptr;

int Sync(sqlite3_file* file, int flags) {
  BufferedWal* wal = Wal(file);
  if (int rc = Flush(wal); rc != SQLITE_OK) return rc;
  // A CommitWithoutSync: the frames are in the kernel's hands, and that is
  // all other connections need to read them; stable storage is the syncer's.
  if (WalSyncOwner* owner = std::exchange(t_deferred_sync, nullptr)) {
    owner->Owe();
    return SQLITE_OK;
  }
  return wal->real->pMethods->xSync(wal->real, flags);
}

int FileSize(sqlite3_file* file, sqlite3_int64* size) {
  BufferedWal* wal = Wal(file);
  if (int rc = Flush(wal); rc != SQLITE_OK) return rc;
  return wal->real->pMethods->xFileSize(wal->real, size);
}

int FileControl(sqlite3_file* file, int op, void* arg) {
  BufferedWal* wal = Wal(file);
  if (int rc = Flush(wal); rc != SQLITE_OK) return rc;
  return wal->real->pMethods->xFileControl(wal->real, op, arg);
}

// The rest only forward: WAL files take no locks, shared memory or mmap from
// SQLite, but a VFS must still answer every method its version declares.
int Lock(sqlite3_file* file, int level) { return Wal(file)->real->pMethods->xLock(Wal(file)->real, level); }
int Unlock(sqlite3_file* file, int level) { return Wal(file)->real->pMethods->xUnlock(Wal(file)->real, level); }
int CheckReservedLock(sqlite3_file* file, int* out) {
  return Wal(file)->real->pMethods->xCheckReservedLock(Wal(file)->real, out);
}
int SectorSize(sqlite3_file* file) { return Wal(file)->real->pMethods->xSectorSize(Wal(file)->real); }
int DeviceCharacteristics(sqlite3_file* file) {
  return Wal(file)->real->pMethods->xDeviceCharacteristics(Wal(file)->real);
}
int ShmMap(sqlite3_file* file, int region, int size, int extend, void volatile** out) {
  return Wal(file)->real->pMethods->xShmMap(Wal(file)->real, region, size, extend, out);
}
int ShmLock(sqlite3_file* file, int offset, int n, int flags) {
  return Wal(file)->real->pMethods->xShmLock(Wal(file)->real, offset, n, flags);
}
void ShmBarrier(sqlite3_file* file) { Wal(file)->real->pMethods->xShmBarrier(Wal(file)->real); }
int ShmUnmap(sqlite3_file* file, int delete_flag) {
  return Wal(file)->real->pMethods->xShmUnmap(Wal(file)->real, delete_flag);
}
int Fetch(sqlite3_file* file, sqlite3_int64 offset, int amount, void** out) {
  BufferedWal* wal = Wal(file);
  if (int rc = Flush(wal); rc != SQLITE_OK) return rc;
  return wal->real->pMethods->xFetch(wal->real, offset, amount, out);
}
int Unfetch(sqlite3_file* file, sqlite3_int64 offset, void* page) {
  return Wal(file)->real->pMethods->xUnfetch(Wal(file)->real, offset, page);
}

// One method table per version of the real file's table (the default unix
// VFS answers version 3; a table may not claim methods the real one lacks).
sqlite3_io_methods MethodsFor(const sqlite3_io_methods* real) {
  sqlite3_io_methods methods{};
  methods.iVersion = std::min(real->iVersion, 3);
  methods.xClose = Close;
  methods.xRead = Read;
  methods.xWrite = Write;
  methods.xTruncate = Truncate;
  methods.xSync = Sync;
  methods.xFileSize = FileSize;
  methods.xLock = Lock;
  methods.xUnlock = Unlock;
  methods.xCheckReservedLock = CheckReservedLock;
  methods.xFileControl = FileControl;
  methods.xSectorSize = SectorSize;
  methods.xDeviceCharacteristics = DeviceCharacteristics;
  if (methods.iVersion >= 2) {
    methods.xShmMap = ShmMap;
    methods.xShmLock = ShmLock;
    methods.xShmBarrier = ShmBarrier;
    methods.xShmUnmap = ShmUnmap;
  }
  if (methods.iVersion >= 3) {
    methods.xFetch = Fetch;
    methods.xUnfetch = Unfetch;
  }
  return methods;
}

int Open(sqlite3_vfs* vfs, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  sqlite3_vfs* base = Base(vfs);
  if ((flags & SQLITE_OPEN_WAL) == 0) {
    // Not a WAL: the default VFS's object occupies `file` itself, unchanged.
    return base->xOpen(base, name, file, flags, out_flags);
  }
  BufferedWal* wal = Wal(file);
  wal->base.pMethods = nullptr;  // until the real file is open: SQLite then does not call xClose
  wal->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + sizeof(BufferedWal));
  int rc = base->xOpen(base, name, wal->real, flags, out_flags);
  if (rc != SQLITE_OK) return rc;
  if (wal->real->pMethods == nullptr) return SQLITE_CANTOPEN;
  wal->pending = new (std::nothrow) std::vector<char>();
  if (wal->pending == nullptr) {
    wal->real->pMethods->xClose(wal->real);
    return SQLITE_NOMEM;
  }
  wal->pending_offset = 0;
  const int device = wal->real->pMethods->xDeviceCharacteristics(wal->real);
  wal->buffered = (device & SQLITE_IOCAP_POWERSAFE_OVERWRITE) != 0;
  // The default VFS hands out one method table for all its files, so one of
  // ours, built from the first WAL opened, serves them all.
  static const sqlite3_io_methods methods = MethodsFor(wal->real->pMethods);
  wal->base.pMethods = &methods;
  return SQLITE_OK;
}

// The VFS-level calls go straight to the default VFS.
int Delete(sqlite3_vfs* vfs, const char* name, int sync_dir) { return Base(vfs)->xDelete(Base(vfs), name, sync_dir); }
int Access(sqlite3_vfs* vfs, const char* name, int flags, int* out) {
  return Base(vfs)->xAccess(Base(vfs), name, flags, out);
}
int FullPathname(sqlite3_vfs* vfs, const char* name, int size, char* out) {
  return Base(vfs)->xFullPathname(Base(vfs), name, size, out);
}
void* DlOpen(sqlite3_vfs* vfs, const char* name) { return Base(vfs)->xDlOpen(Base(vfs), name); }
void DlError(sqlite3_vfs* vfs, int size, char* out) { Base(vfs)->xDlError(Base(vfs), size, out); }
void (*DlSym(sqlite3_vfs* vfs, void* handle, const char* symbol))(void) {
  return Base(vfs)->xDlSym(Base(vfs), handle, symbol);
}
void DlClose(sqlite3_vfs* vfs, void* handle) { Base(vfs)->xDlClose(Base(vfs), handle); }
int Randomness(sqlite3_vfs* vfs, int size, char* out) { return Base(vfs)->xRandomness(Base(vfs), size, out); }
int Sleep(sqlite3_vfs* vfs, int micros) { return Base(vfs)->xSleep(Base(vfs), micros); }
int CurrentTime(sqlite3_vfs* vfs, double* out) { return Base(vfs)->xCurrentTime(Base(vfs), out); }
int GetLastError(sqlite3_vfs* vfs, int size, char* out) { return Base(vfs)->xGetLastError(Base(vfs), size, out); }
int CurrentTimeInt64(sqlite3_vfs* vfs, sqlite3_int64* out) { return Base(vfs)->xCurrentTimeInt64(Base(vfs), out); }

}  // namespace

void DeferNextWalSync(WalSyncOwner* owner) { t_deferred_sync = owner; }

void DiscardWalBuffer(sqlite3* db) {
  sqlite3_file* file = nullptr;
  if (sqlite3_file_control(db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &file) != SQLITE_OK || file == nullptr ||
      file->pMethods == nullptr || file->pMethods->xWrite != Write) {
    return;  // no WAL open yet, or not one of ours
  }
  BufferedWal* wal = Wal(file);
  wal->pending->clear();
}

const char* WalBufferVfs() {
  static const char* registered = [] () -> const char* {
    // SQLite's "unix-excl" beneath, not the default "unix": the first
    // connection takes an exclusive POSIX lock on the database file and this
    // process keeps it until its last connection closes, so no other process
    // can open the database, and SQLite keeps the WAL index in this
    // process's memory. Every read transaction's WAL read lock, and the
    // writer's and the checkpointer's locks, are then bookkeeping in memory:
    // with the shared-memory file each was an fcntl system call (1.74 a
    // transfer in the HTTP bench, 1.4 us each here). One process serving a
    // SQLite database is the design (several processes use PostgreSQL), and
    // a second one is now refused at open (sqlite_store.cc, Connect).
    sqlite3_vfs* base = sqlite3_vfs_find("unix-excl");
    if (base == nullptr || base->iVersion < 2) return nullptr;
    static sqlite3_vfs vfs{};
    vfs.iVersion = 2;
    vfs.szOsFile = static_cast<int>(sizeof(BufferedWal)) + base->szOsFile;
    vfs.mxPathname = base->mxPathname;
    vfs.zName = kVfsName;
    vfs.pAppData = base;
    vfs.xOpen = Open;
    vfs.xDelete = Delete;
    vfs.xAccess = Access;
    vfs.xFullPathname = FullPathname;
    vfs.xDlOpen = DlOpen;
    vfs.xDlError = DlError;
    vfs.xDlSym = DlSym;
    vfs.xDlClose = DlClose;
    vfs.xRandomness = Randomness;
    vfs.xSleep = Sleep;
    vfs.xCurrentTime = CurrentTime;
    vfs.xGetLastError = GetLastError;
    vfs.xCurrentTimeInt64 = CurrentTimeInt64;
    if (sqlite3_vfs_register(&vfs, 0) != SQLITE_OK) return nullptr;
    return kVfsName;
  }();
  return registered;
}

}  // namespace lahza::store::internal
