// Test helpers for driving the real alignd binary: a child process with its output captured,
// temporary folders, gRPC status matchers, and hand-encoded calls to the standard health and
// reflection services (this project generates no stubs for them).
//
//   TempDir dir("alignd_test");
//   AligndProcess alignd({"--rules", rules_dir}, dir.path());
//   ASSERT_TRUE(alignd.WaitUntilServing()) << alignd.Output();
//   auto channel = ConnectInsecure(alignd.address());
//   EXPECT_EQ(CheckHealth(channel, "").serving_status, kServing);
//   alignd.Signal(SIGTERM);
//   EXPECT_EQ(alignd.WaitForExit(absl::Seconds(15)), 0);
#ifndef ALIGN_TESTS_ALIGND_TEST_SUPPORT_H_
#define ALIGN_TESTS_ALIGND_TEST_SUPPORT_H_

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"

extern char** environ;

namespace grpc {
// Readable failure messages for EXPECT_THAT(status, ...).
inline void PrintTo(const Status& status, std::ostream* os) {
  *os << "grpc::Status(" << static_cast<int>(status.error_code()) << ", \""
      << status.error_message() << "\")";
}
}  // namespace grpc

namespace align::testing {

namespace fs = std::filesystem;

inline std::string GrpcCodeName(grpc::StatusCode code) {
  // gRPC's codes are Abseil's, number for number.
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

// GrpcStatusIs(grpc::NOT_FOUND, HasSubstr("unknown node")) for a grpc::Status.
MATCHER_P2(GrpcStatusIs, code, message_matcher,
           std::string("has code ") + GrpcCodeName(code)) {
  if (arg.error_code() != code) {
    *result_listener << "code is " << GrpcCodeName(arg.error_code()) << ": "
                     << arg.error_message();
    return false;
  }
  return ::testing::ExplainMatchResult(message_matcher, arg.error_message(), result_listener);
}

MATCHER(GrpcOk, "is OK") {
  if (arg.ok()) return true;
  *result_listener << "code is " << GrpcCodeName(arg.error_code()) << ": " << arg.error_message();
  return false;
}

inline std::string ReadTextFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

inline void WriteTextFile(const fs::path& path, absl::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
}

// A fresh folder under the system temporary folder, removed with everything in it at the end.
class TempDir {
 public:
  explicit TempDir(absl::string_view prefix) {
    std::string pattern = (fs::temp_directory_path() / absl::StrCat(prefix, "_XXXXXX")).string();
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    if (mkdtemp(buffer.data()) == nullptr) {
      ADD_FAILURE() << "mkdtemp(" << pattern << "): " << std::strerror(errno);
    }
    path_ = buffer.data();
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const fs::path& path() const { return path_; }
  std::string operator/(absl::string_view name) const { return (path_ / std::string(name)).string(); }

 private:
  fs::path path_;
};

// The real alignd binary as a child process. Appends "--port-file <dir>/alignd-N.port" to the
// arguments; stdout and stderr both go to <dir>/alignd-N.log. Killed (SIGKILL) on destruction
// if still running.
class AligndProcess {
 public:
  AligndProcess(std::vector<std::string> args, const fs::path& dir) {
    static std::atomic<int> counter{0};
    int n = counter++;
    log_ = dir / absl::StrCat("alignd-", n, ".log");
    port_file_ = dir / absl::StrCat("alignd-", n, ".port");
    args.insert(args.begin(), ALIGND_PATH);
    args.push_back("--port-file");
    args.push_back(port_file_.string());
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    // The child starts with default signal dispositions and an empty mask, whatever the test
    // runner's threads did.
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attributes, &none);
    posix_spawnattr_setsigdefault(&attributes, &all);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    int error = posix_spawn(&pid_, argv[0], &actions, &attributes, argv.data(), environ);
    posix_spawnattr_destroy(&attributes);
    posix_spawn_file_actions_destroy(&actions);
    if (error != 0) {
      ADD_FAILURE() << "posix_spawn(" << argv[0] << "): " << std::strerror(error);
      pid_ = -1;
    }
  }
  ~AligndProcess() {
    if (pid_ > 0 && !exit_code_.has_value()) {
      kill(pid_, SIGKILL);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
  }
  AligndProcess(const AligndProcess&) = delete;
  AligndProcess& operator=(const AligndProcess&) = delete;

  // Waits until the port file holds "<port>\n". False when alignd exits first or time runs out.
  bool WaitUntilServing(absl::Duration timeout = absl::Seconds(20)) {
    const absl::Time give_up = absl::Now() + timeout;
    while (absl::Now() < give_up) {
      std::string text = ReadTextFile(port_file_);
      if (!text.empty() && text.back() == '\n' &&
          absl::SimpleAtoi(absl::string_view(text).substr(0, text.size() - 1), &port_) &&
          port_ > 0) {
        return true;
      }
      if (!Running()) return false;
      absl::SleepFor(absl::Milliseconds(10));
    }
    return false;
  }

  int port() const { return port_; }
  std::string address() const { return absl::StrCat("127.0.0.1:", port_); }
  pid_t pid() const { return pid_; }

  void Signal(int signal) {
    if (pid_ > 0 && !exit_code_.has_value()) kill(pid_, signal);
  }

  bool Running() {
    Reap(/*block=*/false);
    return pid_ > 0 && !exit_code_.has_value();
  }

  // The exit code (128 + N when killed by signal N); nullopt when still running at the end.
  std::optional<int> WaitForExit(absl::Duration timeout) {
    const absl::Time give_up = absl::Now() + timeout;
    while (Running() && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(10));
    return exit_code_;
  }

  // Everything alignd wrote to stdout and stderr so far.
  std::string Output() const { return ReadTextFile(log_); }

  // Waits until the output contains `text`.
  bool WaitForOutput(absl::string_view text, absl::Duration timeout = absl::Seconds(10)) {
    const absl::Time give_up = absl::Now() + timeout;
    while (true) {
      if (Output().find(std::string(text)) != std::string::npos) return true;
      if (absl::Now() >= give_up) return false;
      absl::SleepFor(absl::Milliseconds(10));
    }
  }

 private:
  void Reap(bool block) {
    if (pid_ <= 0 || exit_code_.has_value()) return;
    int status = 0;
    pid_t done = waitpid(pid_, &status, block ? 0 : WNOHANG);
    if (done != pid_) return;
    if (WIFEXITED(status)) {
      exit_code_ = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
      exit_code_ = 128 + WTERMSIG(status);
    }
  }

  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  fs::path log_, port_file_;
  int port_ = 0;
};

// A channel that does not share connections with other channels, and never uses a proxy.
inline std::shared_ptr<grpc::Channel> Connect(
    const std::string& address, std::shared_ptr<grpc::ChannelCredentials> credentials,
    const std::string& tls_target_name = "") {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_ENABLE_HTTP_PROXY, 0);
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetMaxReceiveMessageSize(64 << 20);
  args.SetMaxSendMessageSize(64 << 20);
  if (!tls_target_name.empty()) args.SetSslTargetNameOverride(tls_target_name);
  return grpc::CreateCustomChannel(address, credentials, args);
}

inline std::shared_ptr<grpc::Channel> ConnectInsecure(const std::string& address) {
  return Connect(address, grpc::InsecureChannelCredentials());
}

// A channel that is connected before it is handed back. Load tests start here so that a
// connection attempt that fails and backs off (rare, on a busy machine) is not counted as a
// failed call; calls on the connection once it is up still count. Adds a test failure and hands
// the channel back anyway when it does not connect in time.
inline std::shared_ptr<grpc::Channel> ConnectedInsecure(const std::string& address,
                                                        absl::Duration timeout = absl::Seconds(20)) {
  std::shared_ptr<grpc::Channel> channel = ConnectInsecure(address);
  const absl::Time give_up = absl::Now() + timeout;
  // A failed attempt leaves the channel in TRANSIENT_FAILURE until its back-off ends;
  // WaitForConnected keeps asking it to connect until the deadline.
  if (!channel->WaitForConnected(absl::ToChronoTime(give_up))) {
    ADD_FAILURE() << "no connection to " << address << " within " << timeout;
  }
  return channel;
}

inline std::chrono::system_clock::time_point DeadlineIn(absl::Duration timeout) {
  return std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout);
}

// --- grpc.health.v1 and grpc.reflection.v1alpha, encoded by hand ---------------------------

inline void AppendVarint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

// A length-delimited field (string, bytes, message): tag, length, bytes.
inline std::string EncodeStringField(int field, absl::string_view value) {
  std::string out;
  AppendVarint(out, (static_cast<uint64_t>(field) << 3) | 2);
  AppendVarint(out, value.size());
  out.append(value.data(), value.size());
  return out;
}

inline grpc::ByteBuffer ToByteBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

inline std::string FromByteBuffer(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  for (const grpc::Slice& slice : slices) {
    out.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return out;
}

// grpc.health.v1.HealthCheckResponse.ServingStatus.
constexpr int kServingUnknown = 0;
constexpr int kServing = 1;
constexpr int kNotServing = 2;
constexpr int kServiceUnknown = 3;

// HealthCheckResponse is one enum field (1); absent means UNKNOWN. -1 when malformed.
inline int DecodeServingStatus(const std::string& bytes) {
  if (bytes.empty()) return kServingUnknown;
  if (bytes[0] != 0x08 || bytes.size() < 2) return -1;
  uint64_t value = 0;
  int shift = 0;
  for (size_t i = 1; i < bytes.size(); ++i) {
    value |= static_cast<uint64_t>(bytes[i] & 0x7f) << shift;
    if ((bytes[i] & 0x80) == 0) return static_cast<int>(value);
    shift += 7;
  }
  return -1;
}

struct HealthResult {
  grpc::Status status;
  int serving_status = -1;  // when status is OK
};

// A unary call by method name with raw bytes: the status, and the answer's bytes when OK.
inline std::pair<grpc::Status, std::string> CallUnary(const std::shared_ptr<grpc::Channel>& channel,
                                                      const std::string& method,
                                                      const std::string& bytes,
                                                      absl::Duration timeout) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(DeadlineIn(timeout));
  grpc::ByteBuffer request = ToByteBuffer(bytes);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                 [&done](grpc::Status status) { done.set_value(std::move(status)); });
  grpc::Status status = done.get_future().get();
  return {status, status.ok() ? FromByteBuffer(response) : ""};
}

// grpc.health.v1.Health/Check for `service` ("" for the server as a whole).
inline HealthResult CheckHealth(const std::shared_ptr<grpc::Channel>& channel,
                                absl::string_view service,
                                absl::Duration timeout = absl::Seconds(5)) {
  auto [status, answer] = CallUnary(channel, "/grpc.health.v1.Health/Check",
                                    EncodeStringField(1, service), timeout);
  HealthResult result;
  result.status = status;
  if (status.ok()) result.serving_status = DecodeServingStatus(answer);
  return result;
}

// A streaming call by method name with raw bytes: one request, then half-close, then read the
// responses. Every wait is bounded.
class GenericStream {
 public:
  GenericStream(const std::shared_ptr<grpc::Channel>& channel, std::string method,
                absl::Duration deadline = absl::Seconds(60))
      : stub_(channel), method_(std::move(method)) {
    context_.set_deadline(DeadlineIn(deadline));
  }
  ~GenericStream() {
    context_.TryCancel();
    void* tag;
    bool ok;
    while (pending_ > 0) {
      cq_.Next(&tag, &ok);
      --pending_;
    }
    if (call_ != nullptr && !finished_) {
      grpc::Status ignored;
      call_->Finish(&ignored, &finish_tag_);
      cq_.Next(&tag, &ok);
    }
    cq_.Shutdown();
    while (cq_.Next(&tag, &ok)) {
    }
  }
  GenericStream(const GenericStream&) = delete;
  GenericStream& operator=(const GenericStream&) = delete;

  // Starts the call, sends `request` and half-closes. False when any step fails.
  bool Start(const std::string& request, absl::Duration timeout = absl::Seconds(10)) {
    call_ = stub_.PrepareCall(&context_, method_, &cq_);
    if (call_ == nullptr) return false;
    call_->StartCall(&start_tag_);
    if (!Await(timeout)) return false;
    request_ = ToByteBuffer(request);
    call_->Write(request_, &write_tag_);
    if (!Await(timeout)) return false;
    call_->WritesDone(&writes_done_tag_);
    return Await(timeout);
  }

  // The next response; nullopt when the stream ended. Sets timed_out() when nothing came.
  std::optional<std::string> Read(absl::Duration timeout = absl::Seconds(10)) {
    if (call_ == nullptr || ended_ || timed_out_) return std::nullopt;
    call_->Read(&response_, &read_tag_);
    if (!Await(timeout)) {
      if (!timed_out_) ended_ = true;
      return std::nullopt;
    }
    return FromByteBuffer(response_);
  }

  // The call's status, once Read returned nullopt without timing out.
  grpc::Status Finish(absl::Duration timeout = absl::Seconds(10)) {
    if (call_ == nullptr) return grpc::Status(grpc::StatusCode::INTERNAL, "not started");
    if (timed_out_) return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "test timed out");
    grpc::Status status;
    call_->Finish(&status, &finish_tag_);
    finished_ = true;
    if (!Await(timeout)) return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "no status");
    return status;
  }

  bool timed_out() const { return timed_out_; }

 private:
  // Waits for the one outstanding operation; false when it failed or did not complete.
  bool Await(absl::Duration timeout) {
    ++pending_;
    void* tag = nullptr;
    bool ok = false;
    grpc::CompletionQueue::NextStatus next = cq_.AsyncNext(&tag, &ok, DeadlineIn(timeout));
    if (next != grpc::CompletionQueue::GOT_EVENT) {
      timed_out_ = true;
      return false;
    }
    --pending_;
    return ok;
  }

  grpc::GenericStub stub_;
  std::string method_;
  grpc::ClientContext context_;
  grpc::CompletionQueue cq_;
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call_;
  grpc::ByteBuffer request_, response_;
  int pending_ = 0;
  bool timed_out_ = false, ended_ = false, finished_ = false;
  char start_tag_, write_tag_, writes_done_tag_, read_tag_, finish_tag_;
};

}  // namespace align::testing

#endif  // ALIGN_TESTS_ALIGND_TEST_SUPPORT_H_
