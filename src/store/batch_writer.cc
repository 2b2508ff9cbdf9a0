#include "store/batch_writer.h"

#include <algorithm>
#include <cassert>
#include <chrono>
#include <ctime>

#include "core/thread_name.h"

namespace lahza::store {

namespace {

// CPU time of the calling thread (one system call; once per batch).
int64_t ThreadCpuNs() {
  timespec now{};
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now) != 0) return 0;
  return static_cast<int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

bool IsStoreError(const Status& status) { return !status.ok() && status.error().code.rfind("store.", 0) == 0; }

}  // namespace

// Each waiter sleeps on its own condition variable: waking only the jobs of
// the batch just committed, not every thread still waiting for a later one
// (a shared notify_all woke up to a few hundred threads per commit).
struct BatchWriter::Pending {
  const Job* job;
  Status result;
  bool done = false;
  std::condition_variable finished;
  // Submit's jobs: the writer owns them and calls on_done, instead of waking
  // a waiter.
  Job owned_job = {};
  std::function<void(Status)> on_done = {};
};

BatchWriter::BatchWriter(Store& store, size_t max_batch, Hooks hooks)
    : store_(store), max_batch_(std::max<size_t>(max_batch, 1)), hooks_(std::move(hooks)), thread_([this] { Loop(); }) {}

// One job in its own write transaction, retried while the store is busy
// (another process holds the write lock).
Status BatchWriter::RunAlone(const Job& job) {
  Status last = Error("store.busy");
  for (int attempt = 0; attempt < 200; ++attempt) {
    auto tx = store_.Begin(Mode::kWrite);
    if (tx.ok()) {
      if (hooks_.begin) hooks_.begin();
      Status done = job(**tx);
      if (done.ok() && hooks_.finish) done = hooks_.finish(**tx);
      if (done.ok()) done = (*tx)->Commit();
      if (done.ok() || done.error().code != "store.busy") return done;
      last = done;
    } else if (tx.error().code != "store.busy") {
      return tx.error();
    } else {
      last = tx.error();
    }
    std::this_thread::sleep_for(std::chrono::microseconds(std::min(200 * (attempt + 1), 20'000)));
  }
  return last;
}

BatchWriter::~BatchWriter() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  queued_.notify_all();
  thread_.join();
  // The store acknowledges the last batches from its own thread: they
  // touch this writer until then.
  std::unique_lock lock(mutex_);
  acknowledged_.wait(lock, [&] { return unacknowledged_ == 0; });
}

Status BatchWriter::Run(const Job& job) {
  Pending pending{&job, {}, false, {}};
  std::unique_lock lock(mutex_);
  if (stop_) return Error("store.closed", "batch writer is stopping");
  queue_.push_back(&pending);
  queued_.notify_one();
  pending.finished.wait(lock, [&] { return pending.done; });
  return pending.result;
}

void BatchWriter::Submit(Job job, std::function<void(Status)> done) {
  auto pending = std::make_unique<Pending>();
  pending->owned_job = std::move(job);
  pending->job = &pending->owned_job;
  pending->on_done = std::move(done);
  {
    std::lock_guard lock(mutex_);
    if (!stop_) {
      queue_.push_back(pending.release());
      queued_.notify_one();
      return;
    }
  }
  pending->on_done(Error("store.closed", "batch writer is stopping"));
}

BatchWriter::Stats BatchWriter::stats() const {
  return Stats{batches_.load(), jobs_.load(), busy_ns_.load(), cpu_ns_.load()};
}

void BatchWriter::Loop() {
  NameThisThread("batch-writer");
  std::vector<Pending*> batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      queued_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      while (!queue_.empty() && batch.size() < max_batch_) {
        batch.push_back(queue_.front());
        queue_.pop_front();
      }
    }
    // The CPU time is read inside the wall-clock interval, so that it is
    // never counted over a longer span than the busy time it is part of.
    const auto started = std::chrono::steady_clock::now();
    const int64_t cpu_started = ThreadCpuNs();
    RunBatch(batch);
    const int64_t cpu_used = ThreadCpuNs() - cpu_started;
    busy_ns_ += std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - started).count();
    cpu_ns_ += cpu_used;
    ++batches_;
    jobs_ += static_cast<int64_t>(batch.size());
    AcknowledgeWhenDurable(std::move(batch));
    batch.clear();
  }
}

// The results are set; the commit, if any, is made. Refused and failed jobs
// wait too: what they read may be what a commit not yet durable wrote.
void BatchWriter::AcknowledgeWhenDurable(std::vector<Pending*> batch) {
  {
    std::lock_guard lock(mutex_);
    ++unacknowledged_;
  }
  store_.WhenDurable([this, batch = std::move(batch)]() mutable { Acknowledge(batch); });
}

void BatchWriter::Acknowledge(std::vector<Pending*>& batch) {
  std::vector<std::unique_ptr<Pending>> submitted;
  {
    // Notified under the lock: once `done` is seen the waiter returns and
    // its Pending (on its stack) is gone.
    std::lock_guard lock(mutex_);
    for (Pending* p : batch) {
      if (p->on_done) {
        submitted.emplace_back(p);
        continue;
      }
      p->done = true;
      p->finished.notify_one();
    }
  }
  for (auto& p : submitted) p->on_done(std::move(p->result));
  submitted.clear();  // the jobs and what they hold, before the destructor may go on
  std::lock_guard lock(mutex_);
  if (--unacknowledged_ == 0) acknowledged_.notify_all();
}

// A batch first runs without savepoints: a job that refuses having changed
// no row (the usual case: checks come before writes, and a conditional
// write that does not apply changes nothing) leaves nothing to undo. A
// savepoint per job is not free: SQLite copies every page a job touches
// into the statement journal, and PostgreSQL pays two round trips. When a
// job refuses after changing rows, the batch is rolled back and run again
// with a savepoint per job, as are the next kCarefulBatches batches, so a
// run of such refusals does not make every batch run twice.
void BatchWriter::RunBatch(std::vector<Pending*>& batch) {
  const bool careful = careful_batches_ > 0;
  if (careful) --careful_batches_;
  Outcome outcome = TryBatch(batch, careful);
  if (outcome == Outcome::kRefusedAfterWriting) {
    careful_batches_ = kCarefulBatches;
    outcome = TryBatch(batch, true);
  }
  assert(outcome != Outcome::kRefusedAfterWriting);
  if (outcome == Outcome::kPoisoned) {
    // Nothing of the batch happened: run each job alone, with retries on busy.
    for (Pending* p : batch) p->result = RunAlone(*p->job);
  }
}

BatchWriter::Outcome BatchWriter::TryBatch(std::vector<Pending*>& batch, bool savepoints) {
  auto tx = store_.Begin(Mode::kWrite);
  if (!tx.ok()) return Outcome::kPoisoned;
  Transaction& t = **tx;
  if (hooks_.begin) hooks_.begin();
  for (Pending* p : batch) {
    if (savepoints && !t.Execute("SAVEPOINT lahza_job").ok()) return Outcome::kPoisoned;
    const int64_t changed_before = t.RowsChanged();
    Status result = (*p->job)(t);
    if (IsStoreError(result)) return Outcome::kPoisoned;
    if (!result.ok()) {
      if (!savepoints && t.RowsChanged() != changed_before) return Outcome::kRefusedAfterWriting;
      if (savepoints && !t.Execute("ROLLBACK TO SAVEPOINT lahza_job").ok()) return Outcome::kPoisoned;
    }
    if (savepoints && !t.Execute("RELEASE SAVEPOINT lahza_job").ok()) return Outcome::kPoisoned;
    p->result = std::move(result);
  }
  if (hooks_.finish && !hooks_.finish(t).ok()) return Outcome::kPoisoned;
  Status committed = t.CommitWithoutSync();  // durable when the store says so: see AcknowledgeWhenDurable
  if (IsStoreError(committed)) return Outcome::kPoisoned;  // ~Transaction rolls back
  if (!committed.ok()) {
    for (Pending* p : batch) p->result = committed;
  }
  return Outcome::kCommitted;
}

}  // namespace lahza::store
