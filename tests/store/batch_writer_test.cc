// store::BatchWriter: jobs from many threads share one durable commit, a
// business refusal rolls back only its own job, an SQL error in one job does
// not take the others down, and every caller gets its own answer.
#include "store/batch_writer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "store/internal.h"
#include "store/test_stores.h"

namespace lahza::store {
namespace {

class BatchWriterTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    LAHZA_SKIP_UNLESS_BACKEND(GetParam());
    store_ = FreshStore(GetParam());
    ASSERT_NE(store_, nullptr);
    auto created = store_->Execute("CREATE TABLE item (id BIGINT PRIMARY KEY, owner TEXT NOT NULL)", {}, Mode::kWrite);
    ASSERT_TRUE(created.ok()) << created.error().detail;
  }

  int64_t Count(const std::string& where = "1 = 1") {
    auto rows = store_->Execute("SELECT COUNT(*) FROM item WHERE " + where, {}, Mode::kRead);
    EXPECT_TRUE(rows.ok());
    return rows.ok() ? AsInt(rows->rows.at(0).at(0)) : -1;
  }

  static BatchWriter::Job Insert(int64_t id, std::string owner) {
    return [id, owner](Transaction& tx) -> Status {
      auto done = tx.Execute("INSERT INTO item (id, owner) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
                             std::vector<Value>{Value(id), Value(owner)});
      if (!done.ok()) return done.error();
      if (done->affected == 0) return Error("test.taken", std::to_string(id));
      return {};
    };
  }

  std::unique_ptr<Store> store_;
};

TEST_P(BatchWriterTest, ConcurrentJobsAreAllAppliedOnceAndAnsweredOneByOne) {
  BatchWriter writer(*store_, 64);
  constexpr int kThreads = 16, kPerThread = 50;
  std::atomic<int> ok{0}, taken{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        // Every id is tried by two threads: exactly one of them wins it.
        int64_t id = (t / 2) * kPerThread + i;
        Status done = writer.Run(Insert(id, "t" + std::to_string(t)));
        if (done.ok()) ++ok;
        else if (done.error().code == "test.taken") ++taken;
        else ADD_FAILURE() << done.error().code << " " << done.error().detail;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(ok.load(), kThreads * kPerThread / 2);
  EXPECT_EQ(taken.load(), kThreads * kPerThread / 2);
  EXPECT_EQ(Count(), kThreads * kPerThread / 2);
}

// Submit: the same jobs without a waiting caller. Each `done` gets its job's
// own answer once the commit is durable (the row is then readable), in a
// batch with jobs that Run waits for; a writer destroyed with submitted jobs
// still queued runs and answers them first.
TEST_P(BatchWriterTest, SubmittedJobsAreAnsweredAfterTheirCommit) {
  auto writer = std::make_unique<BatchWriter>(*store_, 64);
  std::mutex mutex;
  std::condition_variable changed;
  std::map<int64_t, std::string> answers;  // id -> "" (ok) or the error code
  std::map<int64_t, int64_t> visible;      // id -> rows with that id when its answer came
  constexpr int kJobs = 40;
  for (int64_t id = 0; id < kJobs; ++id) {
    // Ids 0..19 twice: the second of each pair is refused.
    writer->Submit(Insert(id % 20, "submitted"), [&, id](Status done) {
      int64_t rows = Count("id = " + std::to_string(id % 20));
      std::lock_guard lock(mutex);
      answers[id] = done.ok() ? "" : done.error().code;
      visible[id] = rows;
      changed.notify_all();
    });
  }
  EXPECT_EQ(writer->Run(Insert(100, "waited")).ok(), true);
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(changed.wait_for(lock, std::chrono::seconds(10), [&] { return answers.size() == kJobs; }));
  }
  for (int64_t id = 0; id < kJobs; ++id) {
    EXPECT_EQ(answers[id], id < 20 ? "" : "test.taken") << id;
    EXPECT_EQ(visible[id], 1) << "answered before its commit was visible: " << id;
  }
  EXPECT_EQ(Count(), 21);
  writer.reset();
  auto slow = std::make_unique<BatchWriter>(*store_, 1);
  std::atomic<int> answered{0};
  slow->Submit([](Transaction&) -> Status {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    return {};
  }, [&](Status done) { if (done.ok()) ++answered; });
  slow->Submit(Insert(200, "queued"), [&](Status done) { if (done.ok()) ++answered; });
  slow.reset();  // finishes queued jobs, then stops
  EXPECT_EQ(answered.load(), 2);
  EXPECT_EQ(Count("id = 200"), 1);
}

// The writer commits without waiting for the flush; what it acknowledges
// is durable all the same: no answer, to Run or to Submit, before the store
// says the commit is on stable storage. (On SQLite the store's syncer is
// held for this; PostgreSQL commits durably, and answers come at once.)
TEST_P(BatchWriterTest, JobsAreAnsweredOnlyOnceTheStoreSaysTheirCommitIsDurable) {
  const bool sqlite = GetParam() == "sqlite";
  auto writer = std::make_unique<BatchWriter>(*store_, 64);
  internal::PauseWalSyncForTest(Unwrapped(*store_), true);
  std::mutex mutex;
  std::condition_variable changed;
  std::optional<Status> submitted;
  writer->Submit(Insert(1, "submitted"), [&](Status done) {
    std::lock_guard lock(mutex);
    submitted = done;
    changed.notify_all();
  });
  std::atomic<bool> ran{false};
  std::thread waiting([&] {
    EXPECT_TRUE(writer->Run(Insert(2, "waited")).ok());
    ran = true;
  });
  {
    std::unique_lock lock(mutex);
    if (sqlite) {
      // Committed, and visible to readers, but not yet durable: unanswered.
      for (int i = 0; i < 200 && Count() < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      EXPECT_EQ(Count(), 2);
      EXPECT_FALSE(changed.wait_for(lock, std::chrono::milliseconds(150), [&] { return submitted.has_value(); }));
      EXPECT_FALSE(ran.load());
      // A reader's own WhenDurable waits as well.
      std::atomic<bool> told{false};
      store_->WhenDurable([&] { told = true; });
      EXPECT_FALSE(told.load());
      lock.unlock();
      internal::PauseWalSyncForTest(Unwrapped(*store_), false);
      lock.lock();
      EXPECT_TRUE(changed.wait_for(lock, std::chrono::seconds(10), [&] { return submitted.has_value() && told; }));
    } else {
      EXPECT_TRUE(changed.wait_for(lock, std::chrono::seconds(10), [&] { return submitted.has_value(); }));
    }
    ASSERT_TRUE(submitted.has_value());
    EXPECT_TRUE(submitted->ok());
  }
  waiting.join();
  EXPECT_TRUE(ran.load());
  // With nothing owed, WhenDurable answers at once, on the caller's thread.
  bool at_once = false;
  store_->WhenDurable([&] { at_once = true; });
  EXPECT_TRUE(at_once);
  writer.reset();
  EXPECT_EQ(Count(), 2);
}

// A writer being destroyed waits for its last answers, which the store gives
// from its own thread.
TEST_P(BatchWriterTest, AWriterStopsOnlyOnceItsLastBatchIsAnswered) {
  auto writer = std::make_unique<BatchWriter>(*store_, 64);
  internal::PauseWalSyncForTest(Unwrapped(*store_), true);
  std::atomic<int> answered{0};
  for (int64_t id = 0; id < 10; ++id) writer->Submit(Insert(id, "last"), [&](Status) { ++answered; });
  std::thread resume([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    internal::PauseWalSyncForTest(Unwrapped(*store_), false);
  });
  writer.reset();
  EXPECT_EQ(answered.load(), 10);
  resume.join();
}

TEST_P(BatchWriterTest, ARefusalRollsBackOnlyItsOwnJob) {
  BatchWriter writer(*store_);
  ASSERT_TRUE(writer.Run(Insert(1, "first")).ok());
  // Writes a row, then refuses: the row must not survive.
  Status refused = writer.Run([](Transaction& tx) -> Status {
    auto done = tx.Execute("INSERT INTO item (id, owner) VALUES (2, 'refused')");
    if (!done.ok()) return done.error();
    return Error("test.refused");
  });
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "test.refused");
  EXPECT_EQ(Count("owner = 'refused'"), 0);
  EXPECT_EQ(Count(), 1);
}

// A batch runs without savepoints while its refusals change nothing. One
// that refuses after writing makes the batch run again with a savepoint per
// job: its row goes, the others' stay, and the next batches keep the
// savepoints, so a second such refusal costs no second run.
TEST_P(BatchWriterTest, ARefusalAfterWritingRunsItsBatchAgainWithSavepoints) {
  BatchWriter writer(*store_, 64);
  std::map<std::string, std::atomic<int>> runs;
  for (const char* name : {"a", "clean", "dirty", "d", "a2", "dirty2"}) runs[name] = 0;
  auto counted = [&](std::string name, BatchWriter::Job job) -> BatchWriter::Job {
    return [&runs, name, job](Transaction& tx) {
      ++runs[name];
      return job(tx);
    };
  };
  auto dirty = [](int64_t id) -> BatchWriter::Job {
    return [id](Transaction& tx) -> Status {
      LAHZA_TRY(Insert(id, "dirty")(tx));
      return Error("test.refused");
    };
  };
  // Runs `jobs` as one batch: a gate job holds the writer until all are queued.
  auto one_batch = [&](std::vector<BatchWriter::Job> jobs) {
    std::mutex mutex;
    std::condition_variable changed;
    bool started = false, open = false;
    std::vector<std::string> answers(jobs.size(), "?");
    int answered = 0;
    writer.Submit([&](Transaction&) -> Status {
      std::unique_lock lock(mutex);
      started = true;
      changed.notify_all();
      changed.wait(lock, [&] { return open; });
      return {};
    }, [](Status) {});
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return started; });
    for (size_t i = 0; i < jobs.size(); ++i) {
      writer.Submit(jobs[i], [&, i](Status done) {
        std::lock_guard inner(mutex);
        answers[i] = done.ok() ? "" : done.error().code;
        ++answered;
        changed.notify_all();
      });
    }
    open = true;
    changed.notify_all();
    changed.wait(lock, [&] { return answered == static_cast<int>(jobs.size()); });
    return answers;
  };
  const BatchWriter::Stats before = writer.stats();
  auto answers = one_batch({counted("a", Insert(1, "a")), counted("clean", Insert(1, "taken")),
                            counted("dirty", dirty(2)), counted("d", Insert(3, "d"))});
  EXPECT_EQ(answers, (std::vector<std::string>{"", "test.taken", "test.refused", ""}));
  EXPECT_EQ(writer.stats().batches - before.batches, 2);  // the gate's, then this one
  EXPECT_EQ(Count("id = 1 AND owner = 'a'"), 1);
  EXPECT_EQ(Count("id = 2"), 0);
  EXPECT_EQ(Count("id = 3"), 1);
  // The clean refusal did not stop the first run; the dirty one did, and the
  // job after it ran only in the second.
  EXPECT_EQ(runs["a"].load(), 2);
  EXPECT_EQ(runs["clean"].load(), 2);
  EXPECT_EQ(runs["dirty"].load(), 2);
  EXPECT_EQ(runs["d"].load(), 1);

  answers = one_batch({counted("a2", Insert(4, "a2")), counted("dirty2", dirty(5))});
  EXPECT_EQ(answers, (std::vector<std::string>{"", "test.refused"}));
  EXPECT_EQ(runs["a2"].load(), 1);
  EXPECT_EQ(runs["dirty2"].load(), 1);
  EXPECT_EQ(Count("id = 4"), 1);
  EXPECT_EQ(Count("id = 5"), 0);
}

TEST_P(BatchWriterTest, AnSqlErrorFailsItsJobAndTheOthersStillCommit) {
  BatchWriter writer(*store_);
  std::vector<std::thread> threads;
  std::atomic<int> sql_errors{0}, ok{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        int64_t id = t * 100 + i;
        if (i % 5 == 0) {
          // A plain INSERT of a taken key is an SQL error (poisons the batch).
          Status broken = writer.Run([](Transaction& tx) -> Status {
            auto done = tx.Execute("INSERT INTO item (id, owner) VALUES (-1, 'dup')");
            if (!done.ok()) return done.error();
            auto again = tx.Execute("INSERT INTO item (id, owner) VALUES (-1, 'dup')");
            if (!again.ok()) return again.error();
            return {};
          });
          if (!broken.ok()) ++sql_errors;
          continue;
        }
        if (writer.Run(Insert(id, "ok")).ok()) ++ok;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(ok.load(), 8 * 16);
  EXPECT_EQ(sql_errors.load(), 8 * 4);
  EXPECT_EQ(Count("owner = 'ok'"), 8 * 16);
  EXPECT_EQ(Count("owner = 'dup'"), 0);
}

// The finish hook does once per transaction what the jobs left for it, in
// the same commit; when it fails, the jobs are re-run alone with it.
TEST_P(BatchWriterTest, TheFinishHookWritesOncePerTransactionWithItsJobs) {
  std::vector<int64_t> pending;  // writer thread only
  std::atomic<int> finishes{0};
  std::atomic<bool> refuse_batches{false};
  BatchWriter writer(*store_, 64,
                     BatchWriter::Hooks{[&] { pending.clear(); },
                                        [&](Transaction& tx) -> Status {
                                          ++finishes;
                                          if (refuse_batches && pending.size() > 1) return Error("test.too_many");
                                          std::vector<Row> rows;
                                          for (int64_t id : pending) rows.push_back(Row{Value(id + 1000), Value("hook")});
                                          auto done = tx.InsertMany("item", std::vector<std::string>{"id", "owner"}, rows);
                                          if (!done.ok()) return done.error();
                                          return {};
                                        }});
  auto job = [&](int64_t id) {
    return [&, id](Transaction& tx) -> Status {
      LAHZA_TRY(Insert(id, "job")(tx));
      pending.push_back(id);
      return {};
    };
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) EXPECT_TRUE(writer.Run(job(t * 100 + i)).ok());
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(Count("owner = 'job'"), 160);
  EXPECT_EQ(Count("owner = 'hook'"), 160);  // each job's row, written once by the hook
  EXPECT_LT(finishes.load(), 160 + 1);

  // A hook that fails a whole batch: every job is re-run alone, hook included.
  refuse_batches = true;
  threads.clear();
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) EXPECT_TRUE(writer.Run(job(10'000 + t * 100 + i)).ok());
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(Count("owner = 'job'"), 200);
  EXPECT_EQ(Count("owner = 'hook'"), 200);
}

TEST_P(BatchWriterTest, QueuedJobsFinishBeforeTheWriterStops) {
  std::atomic<int> ok{0};
  {
    BatchWriter writer(*store_, 4);
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 10; ++i) {
          if (writer.Run(Insert(t * 10 + i, "x")).ok()) ++ok;
        }
      });
    }
    for (auto& thread : threads) thread.join();
  }
  EXPECT_EQ(ok.load(), 80);
  EXPECT_EQ(Count(), 80);
}

TEST_P(BatchWriterTest, StatsCountEveryJobAndBatchAndTheTimeSpent) {
  BatchWriter writer(*store_, 8);
  EXPECT_EQ(writer.stats().jobs, 0);
  EXPECT_EQ(writer.stats().batches, 0);
  // One at a time: each job is its own batch.
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(writer.Run(Insert(i, "alone")).ok());
  BatchWriter::Stats alone = writer.stats();
  EXPECT_EQ(alone.jobs, 3);
  EXPECT_EQ(alone.batches, 3);
  EXPECT_GT(alone.busy_ns, 0);
  // The writer's CPU time is part of its wall time: not more, but for the
  // two clocks' different sources (a microsecond's slack).
  constexpr int64_t kClockSlackNs = 1'000;
  EXPECT_GT(alone.cpu_ns, 0);
  EXPECT_LE(alone.cpu_ns, alone.busy_ns + kClockSlackNs);
  // Concurrent, refusals included: every job counts once, batches at most 8.
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) (void)writer.Run(Insert(100 + (t * 10 + i) % 60, "many"));
    });
  }
  for (auto& thread : threads) thread.join();
  BatchWriter::Stats after = writer.stats();
  EXPECT_EQ(after.jobs, 83);
  EXPECT_GE(after.batches, alone.batches + 10);  // 80 jobs, at most 8 per batch
  EXPECT_LE(after.batches, alone.batches + 80);
  EXPECT_GT(after.busy_ns, alone.busy_ns);
  EXPECT_GT(after.cpu_ns, alone.cpu_ns);
  EXPECT_LE(after.cpu_ns, after.busy_ns + kClockSlackNs);
}

INSTANTIATE_TEST_SUITE_P(Backends, BatchWriterTest, ::testing::ValuesIn(TestBackends()), BackendTestName);

}  // namespace
}  // namespace lahza::store
