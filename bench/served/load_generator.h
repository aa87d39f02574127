// A closed-loop load on gRPC's async client: N unary calls kept in flight on one completion
// queue, each restarted as soon as it finishes, for a warm-up and then a measured window.
//
//   Workload health{"Health/Check", "/grpc.health.v1.Health/Check", ""};
//   LoadResult result = RunLoad(channels, health, {.concurrency = 16});
//   … result.qps, result.p99_us, result.errors …
#ifndef ALIGN_BENCH_SERVED_LOAD_GENERATOR_H_
#define ALIGN_BENCH_SERVED_LOAD_GENERATOR_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace align::bench {

// One kind of call, sent as raw bytes so that every workload takes the same client path and
// the client spends nothing on (de)serialising in the loop.
struct Workload {
  std::string name;     // for reports: "Diagnose"
  std::string method;   // "/package.Service/Method"
  std::string request;  // the serialised request message
};

struct LoadSettings {
  int concurrency = 1;  // calls in flight
  absl::Duration warmup = absl::Milliseconds(500);
  absl::Duration duration = absl::Seconds(3);
  absl::Duration call_timeout = absl::Seconds(30);  // each call's deadline
};

struct LoadResult {
  int64_t calls = 0;  // successful calls that finished inside the measured window
  double qps = 0;     // calls per second of the window
  double p50_us = 0, p99_us = 0, p999_us = 0;  // latency of those calls, start to Finish
  int64_t finished = 0;        // every call that finished, warm-up, drain and failures included
  int64_t errors = 0;          // failed calls in the whole run, warm-up included
  grpc::Status first_error;    // OK when there were none
  int64_t response_bytes = 0;  // size of the last successful response
};

// Runs `workload` at `settings.concurrency` over `channels` (calls spread round-robin) on the
// calling thread. Calls still in flight when the window ends are awaited but not counted.
LoadResult RunLoad(const std::vector<std::shared_ptr<grpc::Channel>>& channels,
                   const Workload& workload, const LoadSettings& settings);

// One call to `method` with the serialised `request`, waited for; its status, and on success
// the serialised answer in `response`.
grpc::Status CallOnce(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                      const std::string& request, std::string* response,
                      absl::Duration timeout = absl::Seconds(10));

// The nearest-rank `quantile` (0 < q <= 1) of `values`, which it reorders; 0 when empty.
double Quantile(std::vector<double>& values, double quantile);

}  // namespace align::bench

#endif  // ALIGN_BENCH_SERVED_LOAD_GENERATOR_H_
