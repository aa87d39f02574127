#include "bench/served/served_bench.h"

#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "alignment/v1/advisor.grpc.pb.h"
#include "bench/served/alignd_process.h"
#include "bench/served/cpu_affinity.h"
#include "bench/served/load_generator.h"
#include "bench/served/process_cpu.h"
#include "inference/io/assessment_reader.h"
#include "inference/rulebase/loader.h"
#include "inference/util/proto_alias.h"
#include "inference/util/status_macros.h"

namespace align::bench {
namespace {

const std::string kHealthCheck = "/grpc.health.v1.Health/Check";
constexpr absl::Duration kServingTimeout = absl::Seconds(20);
constexpr absl::Duration kReloadTimeout = absl::Seconds(10);
constexpr absl::Duration kStopTimeout = absl::Seconds(30);
constexpr int kReloadsPerReading = 10;

std::string AdvisorMethod(absl::string_view name) {
  return absl::StrCat("/", proto::AlignmentAdvisor::service_full_name(), "/", name);
}

absl::Status FromGrpc(const grpc::Status& status, absl::string_view what) {
  return absl::Status(
      static_cast<absl::StatusCode>(status.error_code()),
      absl::StrCat(what, ": ", GrpcCodeName(status.error_code()), ": ", status.error_message()));
}

// Separate connections (no shared subchannel pool), never through a proxy.
std::vector<std::shared_ptr<grpc::Channel>> Connect(const std::string& address, int count) {
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < count; ++i) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_ENABLE_HTTP_PROXY, 0);
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetMaxReceiveMessageSize(64 << 20);
    channels.push_back(
        grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
  }
  return channels;
}

// Polls Health/Check for the whole server until it says SERVING (field 1 = 1).
absl::Status AwaitServing(const std::shared_ptr<grpc::Channel>& channel,
                          const std::string& address) {
  const absl::Time give_up = absl::Now() + kServingTimeout;
  grpc::Status last;
  std::string answer;
  while (absl::Now() < give_up) {
    last = CallOnce(channel, kHealthCheck, "", &answer, absl::Seconds(2));
    if (last.ok() && answer == std::string("\x08\x01", 2)) return absl::OkStatus();
    absl::SleepFor(absl::Milliseconds(20));
  }
  return absl::UnavailableError(absl::StrCat(
      address, " did not report SERVING on grpc.health.v1.Health/Check within ",
      absl::FormatDuration(kServingTimeout), "; last answer: ",
      last.ok() ? "not SERVING"
                : absl::StrCat(GrpcCodeName(last.error_code()), ": ", last.error_message())));
}

// Diagnose once, so that a broken set-up fails before any load; the answer's size in bytes.
absl::StatusOr<int64_t> ProbeDiagnose(const std::shared_ptr<grpc::Channel>& channel,
                                      const std::string& request) {
  std::string answer;
  grpc::Status status = CallOnce(channel, AdvisorMethod("Diagnose"), request, &answer);
  if (!status.ok()) return FromGrpc(status, "the first Diagnose failed");
  proto::Diagnosis diagnosis;
  if (!diagnosis.ParseFromString(answer)) {
    return absl::InternalError("the first Diagnose answer is not an alignment.v1.Diagnosis");
  }
  return static_cast<int64_t>(answer.size());
}

absl::StatusOr<std::string> LoadedAt(proto::AlignmentAdvisor::Stub& advisor) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  proto::RuleBaseInfo info;
  grpc::Status status = advisor.GetRuleBase(&context, proto::GetRuleBaseRequest(), &info);
  if (!status.ok()) return FromGrpc(status, "GetRuleBase");
  return info.loaded_at();
}

// SIGHUP, then GetRuleBase until the serving base's load time changes; the time that took.
absl::StatusOr<absl::Duration> ReloadOnce(AligndProcess& alignd,
                                          proto::AlignmentAdvisor::Stub& advisor) {
  ASSIGN_OR_RETURN(const std::string before, LoadedAt(advisor));
  const absl::Time start = absl::Now();
  RETURN_IF_ERROR(alignd.Signal(SIGHUP));
  while (absl::Now() - start < kReloadTimeout) {
    ASSIGN_OR_RETURN(const std::string now, LoadedAt(advisor));
    if (now != before) return absl::Now() - start;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return absl::DeadlineExceededError(absl::StrCat(
      "alignd did not serve a reloaded rule base within ", absl::FormatDuration(kReloadTimeout),
      " of SIGHUP; its output:\n", alignd.OutputTail()));
}

absl::StatusOr<MemoryReport> WatchReloads(AligndProcess& alignd,
                                          const std::shared_ptr<grpc::Channel>& channel,
                                          int reloads, MemoryReport memory,
                                          std::ostream& progress) {
  auto advisor = proto::AlignmentAdvisor::NewStub(channel);
  std::vector<double> reload_ms;
  for (int i = 1; i <= reloads; ++i) {
    ASSIGN_OR_RETURN(absl::Duration took, ReloadOnce(alignd, *advisor));
    reload_ms.push_back(absl::ToDoubleMilliseconds(took));
    if (i % kReloadsPerReading == 0 || i == reloads) {
      ASSIGN_OR_RETURN(int64_t rss, alignd.ResidentBytes());
      memory.after_reloads.emplace_back(i, rss);
      progress << absl::StrFormat("after %d reloads: VmRSS %.1f MB\n", i, rss / (1024.0 * 1024.0));
    }
  }
  memory.reload_ms_median = SpreadOf(reload_ms).median;
  return memory;
}

// Pins this thread (and every thread it starts later) as asked, when there are cores enough
// for alignd and load_bench to have one each.
absl::Status PinClient(const BenchOptions& options, bool enough_cores) {
  if (!options.client_cpu.has_value() || !enough_cores) return absl::OkStatus();
  return PinCallingThread(*options.client_cpu);
}

// Where alignd and load_bench run, as the kernel has it rather than as the options asked.
std::string DescribePinning(const AligndProcess* alignd, bool enough_cores) {
  const std::string server = alignd != nullptr
                                 ? DescribeCpus("alignd", CpusOf(alignd->pid()))
                                 : std::string("alignd started elsewhere (its cores unknown)");
  return absl::StrCat(server, ", ", DescribeCpus("load_bench", AllowedCpus()),
                      enough_cores ? "" : " (one core: nothing was pinned)");
}

// The first field of /proc/loadavg; "unknown" when it cannot be read.
std::string OneMinuteLoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string average;
  return in >> average ? average : "unknown";
}

absl::StatusOr<proto::Assessment> ReadAssessment(const BenchOptions& options) {
  if (options.rules_dir.empty()) return inference::ReadAssessmentFile(options.assessment);
  ASSIGN_OR_RETURN(std::shared_ptr<const inference::RuleBase> rules,
                   inference::LoadRuleBase(options.rules_dir));
  return inference::ReadAssessmentFile(options.assessment, &rules->schema());
}

// Every round measures every level, and every level every workload in turn, so that each
// comparison is between neighbours in time.
// One workload at one level, with the CPU alignd (when `server_pid` is set) and this process
// spent over the whole run.
Measurement Measure(const std::vector<std::shared_ptr<grpc::Channel>>& channels,
                    const Workload& workload, const LoadSettings& settings,
                    std::optional<pid_t> server_pid) {
  auto server_cpu = [&]() -> std::optional<double> {
    if (!server_pid.has_value()) return std::nullopt;
    absl::StatusOr<double> seconds = ProcessCpuSeconds(*server_pid);
    return seconds.ok() ? std::optional<double>(*seconds) : std::nullopt;
  };
  auto client_cpu = [] { return ProcessCpuSeconds(getpid()).value_or(0); };
  auto machine_busy = []() -> std::optional<double> {
    absl::StatusOr<double> seconds = MachineBusyCpuSeconds();
    return seconds.ok() ? std::optional<double>(*seconds) : std::nullopt;
  };
  const std::optional<double> machine_before = machine_busy();
  const std::optional<double> server_before = server_cpu();
  const double client_before = client_cpu();
  const absl::Time start = absl::Now();
  Measurement measured;
  measured.load = RunLoad(channels, workload, settings);
  measured.elapsed_seconds = absl::ToDoubleSeconds(absl::Now() - start);
  measured.client_cpu_seconds = client_cpu() - client_before;
  if (const std::optional<double> server_after = server_cpu();
      server_before.has_value() && server_after.has_value()) {
    measured.server_cpu_seconds = *server_after - *server_before;
  }
  if (const std::optional<double> machine_after = machine_busy();
      machine_before.has_value() && machine_after.has_value()) {
    measured.machine_busy_seconds = *machine_after - *machine_before;
  }
  return measured;
}

std::vector<LevelResults> MeasureLevels(const std::vector<std::shared_ptr<grpc::Channel>>& channels,
                                        const Workload (&workloads)[kWorkloadCount],
                                        const BenchOptions& options,
                                        std::optional<pid_t> server_pid, std::ostream& progress) {
  std::vector<LevelResults> levels;
  for (int concurrency : options.concurrency) levels.push_back(LevelResults{concurrency, {}});
  for (int round = 1; round <= options.rounds; ++round) {
    for (LevelResults& level : levels) {
      for (int k = 0; k < kWorkloadCount; ++k) {
        LoadSettings settings{level.concurrency, options.warmup, options.duration};
        Measurement measured = Measure(channels, workloads[k], settings, server_pid);
        const LoadResult& result = measured.load;
        progress << absl::StrFormat(
            "round %d/%d, %3d in flight, %-28s %8.0f QPS  p50 %7.0f µs  p99 %7.0f µs  %d errors\n",
            round, options.rounds, level.concurrency, workloads[k].name, result.qps, result.p50_us,
            result.p99_us, result.errors);
        level.rounds[k].push_back(std::move(measured));
      }
    }
  }
  return levels;
}

}  // namespace

absl::StatusOr<BenchReport> RunServedBench(const BenchOptions& options, std::ostream& progress) {
  BenchReport report;
  report.started_at = absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone());
  report.cores = static_cast<int>(std::thread::hardware_concurrency());
  report.load_average = OneMinuteLoadAverage();
  report.grpc_version = grpc::Version();
  // Decided before this thread is pinned, which narrows what AllowedCpus() reports; alignd is
  // started (and pinned) before that too, so that its core is one this process may still give.
  const bool enough_cores = AllowedCpus().size() >= 2;
  const bool pin_server = options.server_cpu.has_value() && enough_cores;
  report.channels = options.channels;
  report.rounds = options.rounds;
  report.duration = options.duration;
  report.warmup = options.warmup;
  report.assessment = std::filesystem::path(options.assessment).filename().string();

  ASSIGN_OR_RETURN(proto::Assessment assessment, ReadAssessment(options));
  proto::DiagnoseRequest request;
  *request.mutable_assessment() = std::move(assessment);
  const std::string full_request = request.SerializeAsString();
  request.mutable_options()->set_omit_explanations(true);
  const std::string lean_request = request.SerializeAsString();
  report.request_bytes = static_cast<int64_t>(full_request.size());

  // The folder outlives the process that writes into it.
  std::unique_ptr<ScratchDir> scratch;
  std::unique_ptr<AligndProcess> alignd;
  std::string address = options.server;
  if (!options.alignd_path.empty()) {
    scratch = std::make_unique<ScratchDir>("load_bench");
    if (scratch->path().empty()) return absl::InternalError("cannot make a temporary folder");
    AligndProcess::Options spawn{options.alignd_path, options.rules_dir, scratch->path(),
                                 pin_server ? options.server_cpu : std::nullopt};
    ASSIGN_OR_RETURN(alignd, AligndProcess::Start(spawn));
    address = alignd->address();
    report.server =
        absl::StrCat("alignd started by load_bench on ", address, " (", options.alignd_path,
                     " --rules ", options.rules_dir, "; its request log goes to a file)");
  } else {
    report.server = absl::StrCat("alignd at ", address, " (already running)");
  }

  // Before any gRPC thread exists in this process: they inherit the calling thread's core.
  RETURN_IF_ERROR(PinClient(options, enough_cores));
  report.pinning = DescribePinning(alignd.get(), enough_cores);
  std::vector<std::shared_ptr<grpc::Channel>> channels = Connect(address, options.channels);
  RETURN_IF_ERROR(AwaitServing(channels.front(), address));
  MemoryReport memory;
  if (alignd != nullptr) {
    ASSIGN_OR_RETURN(memory.after_start_bytes, alignd->ResidentBytes());
  }
  ASSIGN_OR_RETURN(report.response_bytes, ProbeDiagnose(channels.front(), full_request));
  ASSIGN_OR_RETURN(report.lean_response_bytes, ProbeDiagnose(channels.front(), lean_request));

  const Workload workloads[kWorkloadCount] = {
      {WorkloadLabel(kHealth), kHealthCheck, ""},
      {WorkloadLabel(kDiagnose), AdvisorMethod("Diagnose"), full_request},
      {WorkloadLabel(kDiagnoseLean), AdvisorMethod("Diagnose"), lean_request},
  };
  const std::optional<pid_t> server_pid =
      alignd != nullptr ? std::optional<pid_t>(alignd->pid()) : std::nullopt;
  report.levels = MeasureLevels(channels, workloads, options, server_pid, progress);

  if (alignd != nullptr) {
    ASSIGN_OR_RETURN(memory.after_load_bytes, alignd->ResidentBytes());
    ASSIGN_OR_RETURN(report.memory, WatchReloads(*alignd, channels.front(), options.reloads,
                                                 std::move(memory), progress));
    // Our connections go first: alignd's shutdown waits for every client to acknowledge it.
    channels.clear();
    ASSIGN_OR_RETURN(int exit_code, alignd->Stop(kStopTimeout));
    if (exit_code != 0) {
      return absl::InternalError(absl::StrCat("alignd exited with code ", exit_code,
                                              " after SIGTERM; its output:\n",
                                              alignd->OutputTail()));
    }
  }
  return report;
}

}  // namespace align::bench
