#include "bench/served/bench_options.h"

#include <cmath>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace align::bench {
namespace {

const std::set<std::string, std::less<>> kValuedFlags = {
    "server",   "alignd", "rules",   "assessment", "concurrency", "channels", "rounds",
    "duration", "warmup", "reloads", "server-cpu", "client-cpu",  "markdown"};
const std::set<std::string, std::less<>> kSwitches = {"quick", "help"};

absl::Status BadValue(absl::string_view flag, absl::string_view expected, absl::string_view value) {
  return absl::InvalidArgumentError(
      absl::StrCat("--", flag, ": expected ", expected, ", got '", value, "'"));
}

absl::StatusOr<int> ParseCount(absl::string_view flag, absl::string_view value, int least) {
  int number = 0;
  if (!absl::SimpleAtoi(value, &number) || number < least) {
    return BadValue(flag, absl::StrCat("a whole number of at least ", least), value);
  }
  return number;
}

absl::StatusOr<absl::Duration> ParseSeconds(absl::string_view flag, absl::string_view value,
                                            bool allow_zero) {
  double seconds = 0;
  if (!absl::SimpleAtod(value, &seconds) || !std::isfinite(seconds) || seconds < 0 ||
      (seconds == 0 && !allow_zero)) {
    return BadValue(flag, allow_zero ? "seconds, 0 or more" : "seconds, more than 0", value);
  }
  return absl::Seconds(seconds);
}

absl::StatusOr<std::vector<int>> ParseLevels(absl::string_view value) {
  std::vector<int> levels;
  for (absl::string_view part : absl::StrSplit(value, ',')) {
    int level = 0;
    if (!absl::SimpleAtoi(part, &level) || level < 1) {
      return BadValue("concurrency", "a list of whole numbers of at least 1, like 1,16,64", value);
    }
    levels.push_back(level);
  }
  return levels;
}

}  // namespace

std::string BenchUsage() {
  return R"(Usage: load_bench (--server HOST:PORT | --alignd PATH --rules DIR) [flags]

Offers alignd a closed-loop load (N calls kept in flight on gRPC's async client) and reports
QPS, p50/p99/p99.9 latency and errors for grpc.health.v1.Health/Check (the floor: an empty call
on the same server) and alignment.v1.AlignmentAdvisor/Diagnose, alternating per level and round.

  --server HOST:PORT     measure an alignd that is already running
  --alignd PATH          start this alignd on 127.0.0.1 (port 0), stop it with SIGTERM at the end,
                         and measure its memory across --reloads SIGHUP reloads
  --rules DIR            the rule base for --alignd; also checks the assessment locally
  --assessment FILE      what Diagnose is asked (default examples/assessments/overloaded-it.yaml)
  --concurrency LIST     calls in flight, per level (default 1,16,64)
  --channels N           connections the calls are spread over (default 1)
  --rounds N             times every level is measured; medians and ranges over them (default 3)
  --duration S           measured seconds per workload and level (default 3)
  --warmup S             unmeasured seconds before each measurement (default 0.5)
  --reloads N            SIGHUP reloads for the memory check, 0 for none (default 100)
  --server-cpu N         pin the started alignd to core N (needs 2 or more cores)
  --client-cpu N         pin load_bench to core N (needs 2 or more cores)
  --markdown FILE        also write the results as a Markdown section
  --quick                smoke run: levels 1,4, 0.3 s, 1 round, 10 reloads

Exit codes: 0 when every call succeeded, 1 on any failed call or failed set-up, 2 bad command
line.
)";
}

absl::StatusOr<BenchOptions> ParseBenchFlags(const std::vector<std::string>& args) {
  BenchOptions options;
#ifdef ALIGN_SOURCE_DIR
  options.assessment = ALIGN_SOURCE_DIR "/examples/assessments/overloaded-it.yaml";
#endif
  std::set<std::string, std::less<>> given;
  for (size_t i = 0; i < args.size(); ++i) {
    absl::string_view arg = args[i];
    if (arg == "-h") arg = "--help";
    if (!absl::ConsumePrefix(&arg, "--")) {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected argument '", args[i], "'; flags start with --"));
    }
    std::string name(arg);
    std::optional<std::string> value;
    if (size_t equals = name.find('='); equals != std::string::npos) {
      value = name.substr(equals + 1);
      name.resize(equals);
    }
    if (kSwitches.contains(name)) {
      if (value.has_value()) {
        return absl::InvalidArgumentError(absl::StrCat("--", name, " takes no value"));
      }
      if (name == "quick") options.quick = true;
      if (name == "help") options.help = true;
      continue;
    }
    if (!kValuedFlags.contains(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag '", args[i], "'; run load_bench --help"));
    }
    if (!value.has_value()) {
      if (i + 1 >= args.size()) {
        return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value"));
      }
      value = args[++i];
    }
    given.insert(name);
    if (name == "server") options.server = *value;
    if (name == "alignd") options.alignd_path = *value;
    if (name == "rules") options.rules_dir = *value;
    if (name == "assessment") options.assessment = *value;
    if (name == "markdown") options.markdown_path = *value;
    if (name == "concurrency") {
      absl::StatusOr<std::vector<int>> levels = ParseLevels(*value);
      if (!levels.ok()) return levels.status();
      options.concurrency = *std::move(levels);
    }
    if (name == "channels" || name == "rounds" || name == "reloads" || name == "server-cpu" ||
        name == "client-cpu") {
      const int least = name == "channels" || name == "rounds" ? 1 : 0;
      absl::StatusOr<int> number = ParseCount(name, *value, least);
      if (!number.ok()) return number.status();
      if (name == "channels") options.channels = *number;
      if (name == "rounds") options.rounds = *number;
      if (name == "reloads") options.reloads = *number;
      if (name == "server-cpu") options.server_cpu = *number;
      if (name == "client-cpu") options.client_cpu = *number;
    }
    if (name == "duration" || name == "warmup") {
      absl::StatusOr<absl::Duration> seconds =
          ParseSeconds(name, *value, /*allow_zero=*/name == "warmup");
      if (!seconds.ok()) return seconds.status();
      (name == "duration" ? options.duration : options.warmup) = *seconds;
    }
  }
  if (options.help) return options;

  if (options.quick) {
    if (!given.contains("concurrency")) options.concurrency = {1, 4};
    if (!given.contains("duration")) options.duration = absl::Milliseconds(300);
    if (!given.contains("warmup")) options.warmup = absl::Milliseconds(100);
    if (!given.contains("rounds")) options.rounds = 1;
    if (!given.contains("reloads")) options.reloads = 10;
  }
  if (options.server.empty() == options.alignd_path.empty()) {
    return absl::InvalidArgumentError(
        "give either --server HOST:PORT (a running alignd) or --alignd PATH --rules DIR");
  }
  if (!options.alignd_path.empty() && options.rules_dir.empty()) {
    return absl::InvalidArgumentError("--alignd needs --rules DIR: the rule base it serves");
  }
  if (options.server_cpu.has_value() && options.alignd_path.empty()) {
    return absl::InvalidArgumentError(
        "--server-cpu pins an alignd that load_bench starts; it needs --alignd");
  }
  if (options.server_cpu.has_value() && options.server_cpu == options.client_cpu) {
    return absl::InvalidArgumentError(absl::StrCat("--server-cpu and --client-cpu are both ",
                                                   *options.server_cpu,
                                                   "; give them different cores"));
  }
  if (options.assessment.empty()) {
    return absl::InvalidArgumentError("--assessment FILE is required");
  }
  return options;
}

}  // namespace align::bench
