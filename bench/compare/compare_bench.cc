// compare_bench: our engine against CLIPS 6.30 on generated workloads of 60, 1,000 and 10,000
// rules, ours run four ways (HOW written as wire bytes, parsed into a Diagnosis on the heap or
// on an arena, or kept and rendered on demand). Exits 1 without timings when any way of ours
// disagrees with CLIPS on any case or cannot explain a finding it concluded, 2 on bad flags.
//
//   compare_bench [--sizes 60,1000,10000] [--rounds 5] [--cases N] [--seed 42]
//                 [--markdown FILE] [--write DIR] [--clips-layout obs|template]
//                 [--clips-assert api|string] [--default-rounds 1] [--causes-rounds 1]
//                 [--quick]
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "bench/compare/comparison.h"
#include "bench/compare/workload.h"

namespace align::bench {
namespace {

struct Flags {
  std::vector<int> sizes = {60, 1000, 10000};
  std::optional<int> cases;
  uint64_t seed = 42;
  std::string markdown;
  std::string write;
  ComparisonOptions comparison;
};

// Observations per case and default case count for each size of the workload's spec.
WorkloadSpec SpecFor(int rules, const Flags& flags) {
  WorkloadSpec spec;
  spec.rules = rules;
  spec.observations_per_case = rules <= 60 ? 20 : rules <= 1000 ? 50 : 100;
  spec.cases = flags.cases.value_or(rules >= 10000 ? 100 : 200);
  spec.seed = flags.seed;
  return spec;
}

constexpr char kUsage[] =
    "usage: compare_bench [--sizes 60,1000,10000] [--rounds N] [--cases N] [--seed N]\n"
    "                     [--markdown FILE] [--write DIR] [--clips-layout obs|template]\n"
    "                     [--clips-assert api|string] [--default-rounds N]\n"
    "                     [--causes-rounds N] [--quick]\n";

bool ParseFlags(int argc, char** argv, Flags& flags, std::string& error) {
  auto positive = [&](absl::string_view name, absl::string_view text, int& out) {
    if (absl::SimpleAtoi(text, &out) && out > 0) return true;
    error = absl::StrCat(name, ": expected a positive number, got '", text, "'");
    return false;
  };
  for (int i = 1; i < argc; ++i) {
    const absl::string_view flag = argv[i];
    if (flag == "--quick") {
      flags.sizes = {60};
      flags.cases = 5;
      flags.comparison.rounds = 1;
      flags.comparison.compile_runs = 1;
      continue;
    }
    if (flag == "--help") return false;
    if (i + 1 >= argc) {
      error = absl::StrCat("unknown flag or missing value: ", flag);
      return false;
    }
    const absl::string_view value = argv[++i];
    int number = 0;
    if (flag == "--sizes") {
      flags.sizes.clear();
      for (absl::string_view size : absl::StrSplit(value, ',')) {
        if (!positive(flag, size, number)) return false;
        flags.sizes.push_back(number);
      }
    } else if (flag == "--rounds") {
      if (!positive(flag, value, flags.comparison.rounds)) return false;
    } else if (flag == "--cases") {
      if (!positive(flag, value, number)) return false;
      flags.cases = number;
    } else if (flag == "--default-rounds" || flag == "--causes-rounds") {
      int& rounds = flag == "--default-rounds" ? flags.comparison.default_options_rounds
                                               : flags.comparison.causes_rounds;
      if (!absl::SimpleAtoi(value, &rounds) || rounds < 0) {
        error = absl::StrCat(flag, ": expected 0 or more, got '", value, "'");
        return false;
      }
    } else if (flag == "--seed") {
      if (!absl::SimpleAtoi(value, &flags.seed)) {
        error = absl::StrCat(flag, ": expected a number, got '", value, "'");
        return false;
      }
    } else if (flag == "--markdown") {
      flags.markdown = std::string(value);
    } else if (flag == "--write") {
      flags.write = std::string(value);
    } else if (flag == "--clips-layout" && (value == "obs" || value == "template")) {
      flags.comparison.clips_layout =
          value == "obs" ? ClipsLayout::kSlotPerObservation : ClipsLayout::kTemplatePerIndicator;
    } else if (flag == "--clips-assert" && (value == "api" || value == "string")) {
      flags.comparison.clips_assert = value == "api" ? ClipsAssert::kFactApi : ClipsAssert::kString;
    } else {
      error = absl::StrCat("unknown flag or value: ", flag, " ", value);
      return false;
    }
  }
  return true;
}

int Run(const Flags& flags) {
  std::vector<SizeResult> results;
  for (int rules : flags.sizes) {
    const WorkloadSpec spec = SpecFor(rules, flags);
    if (!flags.write.empty()) {
      const std::filesystem::path dir =
          std::filesystem::path(flags.write) / absl::StrCat(rules, "-rules");
      if (absl::Status s =
              WriteWorkload(GenerateWorkload(spec), flags.comparison.clips_layout, dir);
          !s.ok()) {
        std::cerr << "compare_bench: " << s << "\n";
        return 1;
      }
      std::cerr << "wrote " << dir.string() << "\n";
    }
    std::cerr << rules << " rules, " << spec.cases << " cases: gate and measurement...\n";
    absl::StatusOr<SizeResult> result = CompareOnWorkload(spec, flags.comparison);
    if (!result.ok()) {
      std::cerr << "compare_bench: " << rules << " rules: " << result.status() << "\n";
      return 1;
    }
    if (!result->disagreements.empty()) {
      std::cout << "GATE FAILED at " << rules << " rules (seed " << spec.seed << ", "
                << spec.cases << " cases): " << result->disagreements.size()
                << " disagreement(s) with CLIPS or unexplained finding(s):\n"
                << FormatDisagreements(*result);
      return 1;
    }
    results.push_back(*std::move(result));
  }
  std::cout << FormatTable(results, flags.comparison);
  if (!flags.markdown.empty()) {
    std::ofstream out(flags.markdown);
    out << FormatMarkdown(results, flags.comparison);
    if (!out) {
      std::cerr << "compare_bench: cannot write " << flags.markdown << "\n";
      return 1;
    }
  }
  return 0;
}

}  // namespace
}  // namespace align::bench

int main(int argc, char** argv) {
  align::bench::Flags flags;
  std::string error;
  if (!align::bench::ParseFlags(argc, argv, flags, error)) {
    if (!error.empty()) std::cerr << "compare_bench: " << error << "\n";
    std::cerr << align::bench::kUsage;
    return 2;
  }
  return align::bench::Run(flags);
}
