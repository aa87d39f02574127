// load_bench: alignd under a closed-loop gRPC load, against the Health/Check floor of the same
// server. See BenchUsage() in bench_options.cc for the flags.
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "bench/served/bench_options.h"
#include "bench/served/bench_report.h"
#include "bench/served/served_bench.h"

int main(int argc, char** argv) {
  namespace bench = align::bench;
  // Debian's Abseil is built with its debug checks, so every absl::Mutex lock (gRPC's too)
  // updates a process-wide lock graph: several per cent of the client's time under load. The
  // load generator is the instrument, not what is measured, so it goes without.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  const std::vector<std::string> args(argv + 1, argv + argc);
  absl::StatusOr<bench::BenchOptions> options = bench::ParseBenchFlags(args);
  if (!options.ok()) {
    std::cerr << "load_bench: " << options.status().message() << "\n";
    return 2;
  }
  if (options->help) {
    std::cout << bench::BenchUsage();
    return 0;
  }
  absl::StatusOr<bench::BenchReport> report = bench::RunServedBench(*options, std::cerr);
  if (!report.ok()) {
    std::cerr << "load_bench: " << report.status().message() << "\n";
    return 1;
  }
  std::cout << "\n" << bench::FormatText(*report);
  if (!options->markdown_path.empty()) {
    std::ofstream markdown(options->markdown_path, std::ios::trunc);
    markdown << bench::FormatMarkdown(*report);
    if (!markdown.flush()) {
      std::cerr << "load_bench: cannot write " << options->markdown_path << "\n";
      return 1;
    }
  }
  if (int64_t errors = bench::TotalErrors(*report); errors > 0) {
    std::cerr << "load_bench: " << errors << " calls failed\n";
    return 1;
  }
  return 0;
}
