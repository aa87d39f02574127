// The served benchmark from start to end: pin, start (or reach) alignd, check that it answers,
// measure Health/Check and Diagnose level by level and round by round, then (for an alignd it
// started) watch its memory across reloads, and stop it.
//
//   ASSIGN_OR_RETURN(BenchOptions options, ParseBenchFlags(args));
//   ASSIGN_OR_RETURN(BenchReport report, RunServedBench(options, std::cerr));
//   std::cout << FormatText(report);
#ifndef ALIGN_BENCH_SERVED_SERVED_BENCH_H_
#define ALIGN_BENCH_SERVED_SERVED_BENCH_H_

#include <ostream>

#include "absl/status/statusor.h"
#include "bench/served/bench_options.h"
#include "bench/served/bench_report.h"

namespace align::bench {

// Runs the benchmark, writing a line per measurement to `progress`. Pins the calling thread
// first, so call it before anything in the process starts threads. A report may hold failed
// calls (see TotalErrors); a set-up failure is an error instead: the assessment's or the rule
// base's (InvalidArgument, NotFound, …), AligndProcess::Start's, Unavailable when the server
// does not say SERVING, the code of a first Diagnose that fails, DeadlineExceeded when a reload
// does not take effect, Internal when the started alignd exits with a code other than 0.
absl::StatusOr<BenchReport> RunServedBench(const BenchOptions& options, std::ostream& progress);

}  // namespace align::bench

#endif  // ALIGN_BENCH_SERVED_SERVED_BENCH_H_
