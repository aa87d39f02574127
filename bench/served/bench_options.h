// load_bench's command line: where the server is, what load to offer, and what to report.
#ifndef ALIGN_BENCH_SERVED_BENCH_OPTIONS_H_
#define ALIGN_BENCH_SERVED_BENCH_OPTIONS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace align::bench {

struct BenchOptions {
  std::string server;       // --server HOST:PORT: an alignd that is already running
  std::string alignd_path;  // --alignd PATH: start this alignd (needs --rules)
  std::string rules_dir;    // --rules DIR: for the spawned alignd, and to check the assessment
  std::string assessment;   // --assessment FILE (.yaml/.json)
  std::vector<int> concurrency = {1, 16, 64};  // --concurrency 1,16,64: calls kept in flight
  int channels = 1;                            // --channels N: connections the calls share
  int rounds = 3;                              // --rounds N
  absl::Duration duration = absl::Seconds(3);  // --duration S: measured, per workload and level
  absl::Duration warmup = absl::Milliseconds(500);  // --warmup S: before each measurement
  int reloads = 100;              // --reloads N: SIGHUPs for the memory check (spawn mode)
  std::optional<int> server_cpu;  // --server-cpu N: pin the spawned alignd to core N
  std::optional<int> client_cpu;  // --client-cpu N: pin load_bench to core N
  std::string markdown_path;      // --markdown FILE: the results as a Markdown section
  bool quick = false;             // --quick: the ctest smoke run
  bool help = false;              // --help
};

// What `load_bench --help` prints.
std::string BenchUsage();

// Parses the arguments after the program name ("--name value" or "--name=value"). --quick sets
// concurrency 1,4, duration 0.3 s, warm-up 0.1 s, 1 round and 10 reloads, unless those flags
// are given as well. InvalidArgument naming the flag for an unknown flag, a missing or
// malformed value, or a combination that cannot work (neither or both of --server and --alignd,
// --alignd without --rules, --server-cpu without --alignd).
absl::StatusOr<BenchOptions> ParseBenchFlags(const std::vector<std::string>& args);

}  // namespace align::bench

#endif  // ALIGN_BENCH_SERVED_BENCH_OPTIONS_H_
