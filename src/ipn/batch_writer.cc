#include "ipn/batch_writer.h"

#include "ipn/internal.h"

namespace lahza::ipn::internal {

namespace {
bool IsStoreError(const Status& status) {
  return !status.ok() && status.error().code.rfind("store.", 0) == 0;
}
}  // namespace

BatchWriter::BatchWriter(store::Store& store, size_t max_batch)
    : store_(store), max_batch_(max_batch), thread_([this] { Loop(); }) {}

BatchWriter::~BatchWriter() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  queued_.notify_all();
  thread_.join();
}

Status BatchWriter::Run(const Job& job) {
  Pending pending{&job, {}, false};
  {
    std::lock_guard lock(mutex_);
    if (stop_) return Error("ipn.internal", "switch is closing");
    queue_.push_back(&pending);
  }
  queued_.notify_one();
  std::unique_lock lock(mutex_);
  finished_.wait(lock, [&] { return pending.done; });
  return pending.result;
}

void BatchWriter::Loop() {
  std::vector<Pending*> batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      queued_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty() && stop_) return;
      while (!queue_.empty() && batch.size() < max_batch_) {
        batch.push_back(queue_.front());
        queue_.pop_front();
      }
    }
    RunBatch(batch);
    {
      std::lock_guard lock(mutex_);
      for (Pending* p : batch) p->done = true;
    }
    finished_.notify_all();
    batch.clear();
  }
}

void BatchWriter::RunBatch(std::vector<Pending*>& batch) {
  bool poisoned = false;
  auto tx = store_.Begin(store::Mode::kWrite);
  if (!tx.ok()) poisoned = true;
  for (size_t i = 0; i < batch.size() && !poisoned; ++i) {
    store::Transaction& t = **tx;
    if (!t.Execute("SAVEPOINT lahza_job").ok()) {
      poisoned = true;
      break;
    }
    Status result = (*batch[i]->job)(t);
    if (IsStoreError(result)) {
      poisoned = true;
      break;
    }
    if (!result.ok() && !t.Execute("ROLLBACK TO SAVEPOINT lahza_job").ok()) {
      poisoned = true;
      break;
    }
    if (!t.Execute("RELEASE SAVEPOINT lahza_job").ok()) {
      poisoned = true;
      break;
    }
    batch[i]->result = std::move(result);
  }
  if (!poisoned) {
    Status committed = (*tx)->Commit();
    if (committed.ok()) return;
    if (!IsStoreError(committed)) {
      for (Pending* p : batch) p->result = committed;
      return;
    }
  }
  if (tx.ok()) tx->reset();  // roll back whatever the batch did
  // Nothing of the batch happened: run each job alone, with retries on busy.
  for (Pending* p : batch) p->result = WithWrite(store_, [&](store::Transaction& t) { return (*p->job)(t); });
}

}  // namespace lahza::ipn::internal
