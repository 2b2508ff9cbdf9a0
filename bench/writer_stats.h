// Prints what the switch's group-commit writer did during a benchmark run:
// the one thread every send queues on, so its utilisation says whether it
// is the bottleneck and its batch size how well commits are shared.
#pragma once

#include <cstdio>

#include "store/batch_writer.h"

namespace lahza::bench {

inline void PrintWriterStats(const store::BatchWriter::Stats& before, const store::BatchWriter::Stats& after,
                             double elapsed_seconds) {
  const double batches = static_cast<double>(after.batches - before.batches);
  const double jobs = static_cast<double>(after.jobs - before.jobs);
  const double busy_seconds = static_cast<double>(after.busy_ns - before.busy_ns) / 1e9;
  const double cpu_seconds = static_cast<double>(after.cpu_ns - before.cpu_ns) / 1e9;
  if (batches <= 0 || jobs <= 0) return;
  std::printf("switch writer: %.0f commits, %.1f jobs per commit, busy %.0f %% of the run, %.0f us per job (%.0f us of CPU)\n",
              batches, jobs / batches, 100.0 * busy_seconds / elapsed_seconds, busy_seconds * 1e6 / jobs,
              cpu_seconds * 1e6 / jobs);
}

}  // namespace lahza::bench
