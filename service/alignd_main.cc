// alignd: the Alignment Advisor gRPC server. Parses flags and runs; see service/server.h.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "service/server.h"

int main(int argc, char** argv) {
  // Debian's Abseil keeps a process-wide graph of every mutex acquisition to report deadlocks;
  // under load that bookkeeping costs alignd about a tenth of its CPU (gRPC locks through
  // Abseil too). The server's locks are few and simple; do without it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  using align::service::ServerOptions;
  std::vector<std::string> args(argv + 1, argv + argc);
  absl::StatusOr<ServerOptions> options = align::service::ParseFlags(args);
  if (options.ok() && options->help) {
    std::fputs(align::service::Usage().c_str(), stdout);
    return 0;
  }
  absl::Status valid = options.ok() ? align::service::ValidateOptions(*options) : options.status();
  if (!valid.ok()) {
    std::fprintf(stderr, "alignd: %s\n", std::string(valid.message()).c_str());
    return 2;
  }
  return align::service::RunServer(*options);
}
