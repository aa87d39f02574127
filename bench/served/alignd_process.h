// An alignd started by the benchmark: a child process serving on a free loopback port, pinned
// to one core if asked, its output in a log file; and a scratch folder to keep such files in.
//
//   ScratchDir dir("load_bench");
//   ASSIGN_OR_RETURN(auto alignd, AligndProcess::Start({.binary = "build/service/alignd",
//                                                       .rules_dir = "rules",
//                                                       .work_dir = dir.path()}));
//   … connect to alignd->address(), read alignd->ResidentBytes() …
//   ASSIGN_OR_RETURN(int exit_code, alignd->Stop(absl::Seconds(30)));
#ifndef ALIGN_BENCH_SERVED_ALIGND_PROCESS_H_
#define ALIGN_BENCH_SERVED_ALIGND_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace align::bench {

// A fresh folder under the system temporary folder, removed with its contents at the end.
class ScratchDir {
 public:
  // Makes <temp>/<prefix>_XXXXXX.
  explicit ScratchDir(absl::string_view prefix);
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  // Empty when the folder could not be made.
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

class AligndProcess {
 public:
  struct Options {
    std::string binary;              // the alignd executable
    std::string rules_dir;           // --rules
    std::filesystem::path work_dir;  // for the port file and the log
    std::optional<int> cpu;          // pin alignd (all its threads) to this core
  };

  // Starts alignd with --listen 127.0.0.1:0 and a port file in `work_dir`, and waits until the
  // port file names the bound port. FailedPrecondition (with the end of alignd's output) when
  // alignd exits first; DeadlineExceeded when no port shows within `timeout`; InvalidArgument
  // for a core this process may not use; errno-derived codes when the log or the process
  // cannot be made.
  static absl::StatusOr<std::unique_ptr<AligndProcess>> Start(
      const Options& options, absl::Duration timeout = absl::Seconds(30));

  // Kills alignd (SIGKILL) if it is still running.
  ~AligndProcess();
  AligndProcess(const AligndProcess&) = delete;
  AligndProcess& operator=(const AligndProcess&) = delete;

  pid_t pid() const { return pid_; }
  std::string address() const;  // "127.0.0.1:PORT"

  // Sends `signal`. FailedPrecondition when alignd is no longer running.
  absl::Status Signal(int signal);

  // SIGTERM, then waits for alignd to exit; its exit code (128 + N when killed by signal N).
  // DeadlineExceeded, after a SIGKILL, when it does not exit within `timeout`.
  absl::StatusOr<int> Stop(absl::Duration timeout);

  // VmRSS from /proc/PID/status, in bytes. FailedPrecondition when alignd is no longer running;
  // NotFound / Internal when the file cannot be read or has no VmRSS line.
  absl::StatusOr<int64_t> ResidentBytes();

  // The last `max_bytes` of what alignd wrote to stdout and stderr.
  std::string OutputTail(size_t max_bytes = 4000) const;

  // Reaps alignd if it exited; true while it runs.
  bool Running();

 private:
  AligndProcess(pid_t pid, std::filesystem::path log, std::filesystem::path port_file)
      : pid_(pid), log_(std::move(log)), port_file_(std::move(port_file)) {}

  // Waits for the port file: "PORT\n", written with a rename once alignd serves.
  absl::Status AwaitPort(absl::Duration timeout);

  pid_t pid_;
  std::optional<int> exit_code_;
  std::filesystem::path log_, port_file_;
  int port_ = 0;
};

}  // namespace align::bench

#endif  // ALIGN_BENCH_SERVED_ALIGND_PROCESS_H_
