// Engine micro-benchmarks: one diagnosis of each example assessment with the standard rule base,
// with and without explanations, and the rule base compile. Run: build/bench/engine_bench.
// Besides Google Benchmark's mean per iteration, each diagnosis is timed on its own so that the
// counters p50_us and p99_us give the distribution, not just the mean.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <google/protobuf/arena.h>

#include "inference/engine.h"
#include "inference/io/assessment_reader.h"
#include "inference/rulebase/compiler.h"
#include "inference/rulebase/loader.h"

namespace align::inference {
namespace {

const std::filesystem::path kSource = ALIGN_SOURCE_DIR;

const Engine& StandardEngine() {
  static const Engine* engine = new Engine(*LoadRuleBase(kSource / "rules"));
  return *engine;
}

// What the answer is: the serialised Diagnosis in a new string, as a service sends it
// (Engine::DiagnoseToWire); a Diagnosis message on the heap (Engine::Diagnose) or on a reused
// protobuf arena (Engine::DiagnoseInto), which parse those bytes; or the consultation that keeps
// every rule's outcome and renders HOW trees on demand, with no Diagnosis written
// (Engine::Consult).
enum class Answer { kWire, kHeap, kArena, kKept };

// What the answer holds. `how`: default options, so the HOW tree of every conclusion, five open
// questions and the first 10 would-fire rules; `how-only`: the HOW trees and nothing else (no
// questions, no would-fire list), what compare_bench's written lines hold; `bare`: default
// options without explanations.
enum class Content { kHow, kHowOnly, kBare };

void BM_Diagnose(benchmark::State& state, const std::string& example, Content content,
                 Answer answer) {
  const Engine& engine = StandardEngine();
  auto assessment = ReadAssessmentFile(kSource / "examples/assessments" / example,
                                       &engine.rule_base().schema());
  if (!assessment.ok()) {
    state.SkipWithError(std::string(assessment.status().message()).c_str());
    return;
  }
  DiagnoseOptions options;
  options.include_explanations = content != Content::kBare;
  if (content == Content::kHowOnly) {
    options.max_questions = 0;
    options.max_would_fire = 0;
  }
  std::vector<char> first_block(1 << 20);
  google::protobuf::ArenaOptions arena_options;
  arena_options.initial_block = first_block.data();
  arena_options.initial_block_size = first_block.size();
  google::protobuf::Arena arena(arena_options);
  std::vector<double> micros;
  micros.reserve(1 << 16);
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    if (answer == Answer::kWire) {
      std::string bytes;
      absl::Status status = engine.DiagnoseToWire(*assessment, options, &bytes);
      benchmark::DoNotOptimize(status);
      benchmark::DoNotOptimize(bytes);
    } else if (answer == Answer::kHeap) {
      auto diagnosis = engine.Diagnose(*assessment, options);
      benchmark::DoNotOptimize(diagnosis);
    } else if (answer == Answer::kKept) {
      auto consultation = engine.Consult(*assessment);
      benchmark::DoNotOptimize(consultation);
    } else {
      auto* diagnosis = google::protobuf::Arena::CreateMessage<proto::Diagnosis>(&arena);
      absl::Status status = engine.DiagnoseInto(*assessment, options, diagnosis);
      benchmark::DoNotOptimize(status);
      arena.Reset();
    }  // freeing the answer is part of its cost
    const auto end = std::chrono::steady_clock::now();
    if (micros.size() < micros.capacity()) {
      micros.push_back(std::chrono::duration<double, std::micro>(end - start).count());
    }
  }
  if (micros.empty()) return;
  std::sort(micros.begin(), micros.end());
  state.counters["p50_us"] = micros[micros.size() / 2];
  state.counters["p99_us"] = micros[std::min(micros.size() - 1, micros.size() * 99 / 100)];
}

void BM_CompileStandardRuleBase(benchmark::State& state) {
  auto files = ReadRuleFiles(kSource / "rules");
  for (auto _ : state) {
    CompileResult result = CompileRuleBase(*files);
    benchmark::DoNotOptimize(result);
  }
}

BENCHMARK(BM_CompileStandardRuleBase)->Unit(benchmark::kMicrosecond);

int Register() {
  for (const char* example : {"overloaded-it.yaml", "idle-platform.yaml", "missed-market-shift.yaml",
                              "it-last-to-know.yaml", "healthy.yaml", "sparse.yaml",
                              "retail-bank.json"}) {
    for (Content content : {Content::kHow, Content::kHowOnly, Content::kBare}) {
      for (Answer answer : {Answer::kWire, Answer::kHeap, Answer::kArena, Answer::kKept}) {
        // Consult writes nothing, so the contents are the same work: measure it once. The
        // how-only content is measured as wire bytes only.
        if (answer == Answer::kKept && content != Content::kHow) continue;
        if (content == Content::kHowOnly && answer != Answer::kWire) continue;
        std::string name = std::string("BM_Diagnose/") + example +
                           (content == Content::kHow       ? "/how"
                            : content == Content::kHowOnly ? "/how-only"
                                                           : "/bare") +
                           (answer == Answer::kWire    ? "/wire"
                            : answer == Answer::kArena ? "/arena"
                            : answer == Answer::kKept  ? "/kept"
                                                       : "/heap");
        benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& state) {
          BM_Diagnose(state, example, content, answer);
        })->Unit(benchmark::kMicrosecond);
      }
    }
  }
  return 0;
}
const int kRegistered = Register();

// Prints as usual and keeps every repetition, to write the Markdown table bench/run.sh pastes
// into bench/RESULTS.md: median and min–max over repetitions, not just the mean.
class MarkdownReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.run_type != Run::RT_Iteration || run.error_occurred) continue;
      Row& row = rows_[run.benchmark_name()];
      row.cpu_us.push_back(run.GetAdjustedCPUTime());
      if (auto it = run.counters.find("p50_us"); it != run.counters.end()) row.p50.push_back(it->second);
      if (auto it = run.counters.find("p99_us"); it != run.counters.end()) row.p99.push_back(it->second);
    }
    ConsoleReporter::ReportRuns(runs);
  }

  bool Write(const std::string& path) const {
    std::ofstream out(path);
    out << "| benchmark | CPU µs per call, median [min–max] | p50 µs | p99 µs |\n"
        << "| --- | --- | --- | --- |\n";
    for (const auto& [name, row] : rows_) {
      out << "| " << name << " | " << Median(row.cpu_us) << " [" << Min(row.cpu_us) << "–"
          << Max(row.cpu_us) << "] | " << (row.p50.empty() ? "" : Median(row.p50)) << " | "
          << (row.p99.empty() ? "" : Median(row.p99)) << " |\n";
    }
    return static_cast<bool>(out);
  }

 private:
  struct Row {
    std::vector<double> cpu_us, p50, p99;
  };
  static std::string Show(double v) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, v < 10 ? "%.2f" : v < 100 ? "%.1f" : "%.0f", v);
    return buffer;
  }
  static std::string Median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return Show(v[v.size() / 2]);
  }
  static std::string Min(const std::vector<double>& v) { return Show(*std::min_element(v.begin(), v.end())); }
  static std::string Max(const std::vector<double>& v) { return Show(*std::max_element(v.begin(), v.end())); }

  std::map<std::string, Row> rows_;
};

}  // namespace
}  // namespace align::inference

// Google Benchmark's flags, plus --markdown FILE for bench/run.sh.
int main(int argc, char** argv) {
  std::string markdown;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--markdown" && i + 1 < argc) {
      markdown = argv[++i];
    } else if (arg.rfind("--markdown=", 0) == 0) {
      markdown = arg.substr(11);
    } else {
      args.push_back(argv[i]);
    }
  }
  int count = static_cast<int>(args.size());
  benchmark::Initialize(&count, args.data());
  if (benchmark::ReportUnrecognizedArguments(count, args.data())) return 2;
  align::inference::MarkdownReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  if (!markdown.empty() && !reporter.Write(markdown)) {
    std::fprintf(stderr, "engine_bench: cannot write %s\n", markdown.c_str());
    return 1;
  }
  return 0;
}
