// Group commit for small write transactions. Many threads' jobs (record a
// transfer, move its state, write a history row) run one after another inside
// one store transaction and are acknowledged together after one durable
// commit: one fsync for many jobs instead of one each. The writer does not
// wait for that fsync itself (Transaction::CommitWithoutSync): it runs the
// next batch while the store flushes, and the jobs are acknowledged when the
// store says their commit is durable (Store::WhenDurable).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <condition_variable>
#include <thread>

#include "core/result.h"
#include "store/store.h"

namespace lahza::store {

class BatchWriter {
 public:
  // A job must be re-runnable (it may run again if its batch fails) and
  // report business refusals as non-"store." errors WITHOUT causing an SQL
  // error (use ON CONFLICT DO NOTHING and row counts). A refusal undoes what
  // the job wrote, and only that: a job that refused before changing any row
  // costs nothing more; one that refused after writing makes its batch run
  // again with a savepoint per job (see RunBatch), so check before writing
  // where that is cheap. An SQL error aborts the batch (on PostgreSQL the
  // transaction is unusable after one) and every job of it is re-run in its
  // own transaction.
  using Job = std::function<Status(Transaction&)>;

  // Optional steps around every transaction the writer runs (a batch, or a
  // job re-run alone): `begin` before its first job, `finish` after its last
  // job and before the commit, both on the writer's thread. For work cheaper
  // done once for many jobs than once each: jobs leave their part in state
  // the owner keeps, `finish` does it for all of them in the same
  // transaction. An error from `finish` fails that transaction like an SQL
  // error: a batch's jobs are re-run alone, and alone the error is the job's.
  struct Hooks {
    std::function<void()> begin;
    std::function<Status(Transaction&)> finish;
  };

  explicit BatchWriter(Store& store, size_t max_batch = 256, Hooks hooks = {});
  ~BatchWriter();  // finishes queued jobs, then stops
  BatchWriter(const BatchWriter&) = delete;
  BatchWriter& operator=(const BatchWriter&) = delete;

  // Blocks until the job's effects are durable (ok) or it failed. After
  // the destructor has started: "store.closed".
  Status Run(const Job& job);

  // The same without blocking the caller: `done` gets what Run would have
  // returned once the commit is durable, on the store's flushing thread or
  // the writer's (or at once, on the caller's thread, with "store.closed").
  // `done` must not block and must not call Run: those threads wait for it,
  // and every other job with it. Hand anything longer to another thread.
  void Submit(Job job, std::function<void(Status)> done);

  // Counters since construction, for benchmarks and operations: how many
  // batches ran (each one transaction, unless it failed and its jobs were
  // re-run alone), how many jobs they carried, and the wall time the writer
  // spent running them. busy / elapsed is the writer's utilisation: near 1
  // it is the bottleneck of whatever queues on it. cpu_ns is the CPU time the
  // writer's thread used in that wall time: busy minus cpu is time it was
  // ready to run but waited for a core (or, rarely, for the disk), which on
  // a machine shared with the other threads says more than either alone.
  struct Stats {
    int64_t batches = 0;
    int64_t jobs = 0;
    int64_t busy_ns = 0;
    int64_t cpu_ns = 0;
  };
  Stats stats() const;

 private:
  struct Pending;
  void Loop();
  void RunBatch(std::vector<Pending*>& batch);
  enum class Outcome { kCommitted, kRefusedAfterWriting, kPoisoned };
  Outcome TryBatch(std::vector<Pending*>& batch, bool savepoints);

  Status RunAlone(const Job& job);

  // Acknowledges a committed batch's jobs once the store says it is durable.
  void AcknowledgeWhenDurable(std::vector<Pending*> batch);
  void Acknowledge(std::vector<Pending*>& batch);

  Store& store_;
  const size_t max_batch_;
  const Hooks hooks_;
  std::mutex mutex_;
  std::condition_variable queued_;
  std::deque<Pending*> queue_;
  bool stop_ = false;
  // Batches committed and not yet acknowledged (under mutex_); the
  // destructor waits for them.
  int unacknowledged_ = 0;
  std::condition_variable acknowledged_;
  // Batches still to run with a savepoint per job (writer thread only).
  static constexpr int kCarefulBatches = 64;
  int careful_batches_ = 0;
  std::atomic<int64_t> batches_{0}, jobs_{0}, busy_ns_{0}, cpu_ns_{0};
  std::thread thread_;
};

}  // namespace lahza::store
