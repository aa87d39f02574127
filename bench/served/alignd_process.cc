#include "bench/served/alignd_process.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "bench/served/cpu_affinity.h"

namespace align::bench {
namespace {

namespace fs = std::filesystem;

std::string ReadWholeFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

absl::Status ErrnoStatus(int error, absl::string_view what) {
  return absl::Status(absl::ErrnoToStatusCode(error),
                      absl::StrCat(what, ": ", std::strerror(error)));
}

}  // namespace

ScratchDir::ScratchDir(absl::string_view prefix) {
  std::string pattern = (fs::temp_directory_path() / absl::StrCat(prefix, "_XXXXXX")).string();
  if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
}

ScratchDir::~ScratchDir() {
  if (path_.empty()) return;
  std::error_code ignored;
  fs::remove_all(path_, ignored);
}

absl::StatusOr<std::unique_ptr<AligndProcess>> AligndProcess::Start(const Options& options,
                                                                    absl::Duration timeout) {
  std::optional<cpu_set_t> mask;
  if (options.cpu.has_value()) {
    absl::StatusOr<cpu_set_t> single = SingleCpuMask(*options.cpu);
    if (!single.ok()) return single.status();
    mask = *single;
  }
  const fs::path log = options.work_dir / "alignd.log";
  const fs::path port_file = options.work_dir / "alignd.port";
  std::vector<std::string> args = {options.binary, "--rules",     options.rules_dir, "--listen",
                                   "127.0.0.1:0",  "--port-file", port_file.string()};
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  // Everything the child needs is made before fork: between fork and exec it may only make
  // async-signal-safe calls.
  const int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd < 0) return ErrnoStatus(errno, "/dev/null");
  const int log_fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    const int error = errno;
    close(null_fd);
    return ErrnoStatus(error, log.string());
  }
  sigset_t no_signals;
  sigemptyset(&no_signals);
  const pid_t parent = getpid();

  const pid_t pid = fork();
  if (pid == 0) {
    // The child: default signal handling and no blocked signals, whatever this process set up;
    // output to the log; then alignd, on its core if asked (threads inherit the mask).
    struct sigaction default_action;
    std::memset(&default_action, 0, sizeof default_action);
    default_action.sa_handler = SIG_DFL;
    for (int signal = 1; signal < NSIG; ++signal) sigaction(signal, &default_action, nullptr);
    sigprocmask(SIG_SETMASK, &no_signals, nullptr);
    if (dup2(null_fd, STDIN_FILENO) < 0 || dup2(log_fd, STDOUT_FILENO) < 0 ||
        dup2(log_fd, STDERR_FILENO) < 0) {
      _exit(126);
    }
    if (mask.has_value() && sched_setaffinity(0, sizeof *mask, &*mask) != 0) _exit(126);
    // An interrupted benchmark must not leave alignd running: it gets SIGTERM when we go.
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent) _exit(126);
    execv(argv[0], argv.data());
    const char* why = errno == ENOENT ? ": no such file\n" : ": cannot execute it\n";
    for (const char* text : {"load_bench: cannot start ", static_cast<const char*>(argv[0]), why}) {
      if (write(STDERR_FILENO, text, strlen(text)) < 0) break;
    }
    _exit(127);
  }
  const int fork_error = errno;
  close(null_fd);
  close(log_fd);
  if (pid < 0) return ErrnoStatus(fork_error, "cannot start alignd: fork");

  std::unique_ptr<AligndProcess> process(new AligndProcess(pid, log, port_file));
  if (absl::Status serving = process->AwaitPort(timeout); !serving.ok()) return serving;
  return process;
}

AligndProcess::~AligndProcess() {
  if (!Running()) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
}

std::string AligndProcess::address() const { return absl::StrCat("127.0.0.1:", port_); }

absl::Status AligndProcess::AwaitPort(absl::Duration timeout) {
  const absl::Time give_up = absl::Now() + timeout;
  while (absl::Now() < give_up) {
    std::string text = ReadWholeFile(port_file_);
    absl::string_view line = text;
    if (absl::ConsumeSuffix(&line, "\n") && absl::SimpleAtoi(line, &port_) && port_ > 0) {
      return absl::OkStatus();
    }
    if (!Running()) {
      return absl::FailedPreconditionError(
          absl::StrCat("alignd exited with code ", exit_code_.value_or(-1),
                       " before serving; its output:\n", OutputTail()));
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  return absl::DeadlineExceededError(absl::StrCat("alignd wrote no port to ", port_file_.string(),
                                                  " within ", absl::FormatDuration(timeout),
                                                  "; its output:\n", OutputTail()));
}

bool AligndProcess::Running() {
  if (exit_code_.has_value()) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) != pid_) return true;
  if (WIFEXITED(status)) exit_code_ = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) exit_code_ = 128 + WTERMSIG(status);
  return !exit_code_.has_value();
}

absl::Status AligndProcess::Signal(int signal) {
  if (!Running()) {
    return absl::FailedPreconditionError(
        absl::StrCat("alignd is no longer running (exit code ", *exit_code_, ")"));
  }
  if (kill(pid_, signal) != 0) return ErrnoStatus(errno, "kill");
  return absl::OkStatus();
}

absl::StatusOr<int> AligndProcess::Stop(absl::Duration timeout) {
  if (!Running()) return *exit_code_;
  kill(pid_, SIGTERM);
  const absl::Time give_up = absl::Now() + timeout;
  while (Running()) {
    if (absl::Now() >= give_up) {
      kill(pid_, SIGKILL);
      int status = 0;
      waitpid(pid_, &status, 0);
      exit_code_ = 128 + SIGKILL;
      return absl::DeadlineExceededError(absl::StrCat(
          "alignd did not exit within ", absl::FormatDuration(timeout), " of SIGTERM; killed"));
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  return *exit_code_;
}

absl::StatusOr<int64_t> AligndProcess::ResidentBytes() {
  if (!Running()) {
    return absl::FailedPreconditionError(
        absl::StrCat("alignd is no longer running (exit code ", *exit_code_, ")"));
  }
  const std::string path = absl::StrCat("/proc/", pid_, "/status");
  const std::string status = ReadWholeFile(path);
  if (status.empty()) return absl::NotFoundError(absl::StrCat(path, ": cannot read"));
  for (absl::string_view line : absl::StrSplit(status, '\n')) {
    // "VmRSS:\t   23456 kB"
    if (!absl::ConsumePrefix(&line, "VmRSS:")) continue;
    line = absl::StripAsciiWhitespace(line);
    int64_t kilobytes = 0;
    if (absl::ConsumeSuffix(&line, "kB") &&
        absl::SimpleAtoi(absl::StripAsciiWhitespace(line), &kilobytes)) {
      return kilobytes * 1024;
    }
    break;
  }
  return absl::InternalError(absl::StrCat(path, ": no readable VmRSS line"));
}

std::string AligndProcess::OutputTail(size_t max_bytes) const {
  std::string output = ReadWholeFile(log_);
  if (output.size() > max_bytes) output = "…" + output.substr(output.size() - max_bytes);
  return output;
}

}  // namespace align::bench
