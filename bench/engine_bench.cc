// Engine micro-benchmarks: one diagnosis of each example assessment with the standard rule base,
// with and without explanations, and the rule base compile. Run: build/bench/engine_bench.
#include <filesystem>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

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

void BM_Diagnose(benchmark::State& state, const std::string& example, bool explanations) {
  const Engine& engine = StandardEngine();
  auto assessment = ReadAssessmentFile(kSource / "examples/assessments" / example,
                                       &engine.rule_base().schema());
  if (!assessment.ok()) {
    state.SkipWithError(std::string(assessment.status().message()).c_str());
    return;
  }
  DiagnoseOptions options;
  options.include_explanations = explanations;
  for (auto _ : state) {
    auto diagnosis = engine.Diagnose(*assessment, options);
    benchmark::DoNotOptimize(diagnosis);
  }
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
    for (bool explanations : {true, false}) {
      benchmark::RegisterBenchmark(
          (std::string("BM_Diagnose/") + example + (explanations ? "/how" : "/bare")).c_str(),
          [=](benchmark::State& state) { BM_Diagnose(state, example, explanations); })
          ->Unit(benchmark::kMicrosecond);
    }
  }
  return 0;
}
const int kRegistered = Register();

}  // namespace
}  // namespace align::inference

BENCHMARK_MAIN();
