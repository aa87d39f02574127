// load_bench's results, summarised over rounds (median and range), as a text table for the
// terminal and as a Markdown section for bench/RESULTS.md.
#ifndef ALIGN_BENCH_SERVED_BENCH_REPORT_H_
#define ALIGN_BENCH_SERVED_BENCH_REPORT_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "bench/served/load_generator.h"

namespace align::bench {

// The workloads every level measures, in the order they run.
enum WorkloadKind { kHealth = 0, kDiagnose = 1, kDiagnoseLean = 2, kWorkloadCount = 3 };

// What each row calls a workload: "Health/Check", "Diagnose", "Diagnose (omit_explanations)".
const char* WorkloadLabel(WorkloadKind kind);

// One run of one workload at one level, with the CPU both sides spent on it.
struct Measurement {
  LoadResult load;
  double elapsed_seconds = 0;                  // the whole run: warm-up, window and drain
  std::optional<double> server_cpu_seconds;    // alignd's, when load_bench started it
  double client_cpu_seconds = 0;               // load_bench's
  std::optional<double> machine_busy_seconds;  // every process's, these two included
};

// One concurrency level: a measurement per workload per round.
struct LevelResults {
  int concurrency = 1;
  std::vector<Measurement> rounds[kWorkloadCount];
};

// alignd's resident memory through the run (spawn mode only).
struct MemoryReport {
  int64_t after_start_bytes = 0;
  int64_t after_load_bytes = 0;
  std::vector<std::pair<int, int64_t>> after_reloads;  // (reloads so far, bytes)
  double reload_ms_median = 0;                         // SIGHUP until the new base serves
};

struct BenchReport {
  std::string started_at;    // RFC 3339 UTC
  int cores = 0;             // of the machine
  std::string load_average;  // the 1-minute load average when the run began: was it idle?
  std::string grpc_version;  // grpc::Version()
  std::string server;        // what was measured, e.g. "alignd started by load_bench (…)"
  std::string pinning;       // e.g. "alignd on core 0, load_bench on core 1"
  int channels = 1;
  int rounds = 1;
  absl::Duration duration, warmup;
  std::string assessment;  // file name
  int64_t request_bytes = 0;
  int64_t response_bytes = 0, lean_response_bytes = 0;
  std::vector<LevelResults> levels;
  std::optional<MemoryReport> memory;
};

// Median (the mean of the middle two for an even count), least and greatest.
struct Spread {
  double median = 0, min = 0, max = 0;
};
Spread SpreadOf(std::vector<double> values);

// Failed calls over every workload, level and round.
int64_t TotalErrors(const BenchReport& report);

// "INVALID_ARGUMENT" for grpc::INVALID_ARGUMENT.
std::string GrpcCodeName(grpc::StatusCode code);

// The results as aligned text: the set-up, one row per level and workload, the first error of
// each workload that had any, the memory readings.
std::string FormatText(const BenchReport& report);

// The same as a Markdown section ("## Served: alignd under load") with tables.
std::string FormatMarkdown(const BenchReport& report);

}  // namespace align::bench

#endif  // ALIGN_BENCH_SERVED_BENCH_REPORT_H_
