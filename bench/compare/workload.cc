#include "bench/compare/workload.h"

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <numeric>
#include <random>
#include <system_error>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"

namespace align::bench {
namespace {

constexpr int kMaxValue = 100;  // indicators range over 0 .. kMaxValue

// Draws from the raw std::mt19937_64 output only: the standard fixes that stream, but not what
// the std::uniform_*_distribution classes make of it.
class Random {
 public:
  explicit Random(uint64_t seed) : engine_(seed) {}

  // Uniform in [0, n), n > 0: rejects the top values that would make `% n` uneven.
  int Below(int n) {
    const uint64_t range = static_cast<uint64_t>(n);
    const uint64_t uneven = (0 - range) % range;  // 2^64 mod n
    uint64_t x;
    do {
      x = engine_();
    } while (x < uneven);
    return static_cast<int>(x % range);
  }

  // Uniform in [low, high].
  int Between(int low, int high) { return low + Below(high - low + 1); }

 private:
  std::mt19937_64 engine_;
};

// Thresholds stay inside 1 .. 99 so that no comparison is true or false for every value of
// 0 .. 100 (the compiler refuses `x > 100` on that range as never true).
IndicatorTest RandomTest(Random& random, int indicator) {
  return IndicatorTest{indicator, static_cast<Comparison>(random.Below(4)),
                       random.Between(1, kMaxValue - 1)};
}

int ChainDepth(const Workload& workload) {
  std::vector<int> order(workload.rules.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return workload.rules[a].conclusion < workload.rules[b].conclusion;
  });
  // A chained rule reads a finding of a lower index, so in conclusion order every finding it
  // reads is final before it is used.
  std::vector<int> depth(workload.findings, 0);
  for (int r : order) {
    const SyntheticRule& rule = workload.rules[r];
    const int below = rule.premise_finding < 0 ? 0 : depth[rule.premise_finding];
    depth[rule.conclusion] = std::max(depth[rule.conclusion], below + 1);
  }
  return depth.empty() ? 0 : *std::max_element(depth.begin(), depth.end());
}

std::string Condition(const IndicatorTest& test) {
  return absl::StrCat(IndicatorId(test.indicator), " ", ComparisonText(test.op), " ",
                      test.threshold);
}

std::string ClipsTest(ClipsLayout layout, const IndicatorTest& test, int variable) {
  const std::string value = absl::StrCat("?v", variable, "&:(", ComparisonText(test.op), " ?v",
                                         variable, " ", test.threshold, ")");
  switch (layout) {
    case ClipsLayout::kSlotPerObservation:
      return absl::StrCat("(obs (name ", IndicatorId(test.indicator), ") (value ", value, "))");
    case ClipsLayout::kTemplatePerIndicator:
      return absl::StrCat("(", IndicatorId(test.indicator), " (value ", value, "))");
  }
  return "";
}

std::string ClipsFinding(ClipsLayout layout, int finding) {
  switch (layout) {
    case ClipsLayout::kSlotPerObservation:
      return absl::StrCat("(finding (name ", FindingId(finding), "))");
    case ClipsLayout::kTemplatePerIndicator: return absl::StrCat("(", FindingId(finding), ")");
  }
  return "";
}

absl::Status WriteFile(const std::filesystem::path& path, absl::string_view text) {
  std::ofstream out(path, std::ios::binary);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.close();
  if (!out) {
    return absl::ErrnoToStatus(errno, absl::StrCat("cannot write ", path.string()));
  }
  return absl::OkStatus();
}

int IndexAfter(absl::string_view id, absl::string_view prefix) {
  int index = -1;
  if (!absl::ConsumePrefix(&id, prefix) || !absl::SimpleAtoi(id, &index) || index < 0) return -1;
  return index;
}

}  // namespace

std::string IndicatorId(int indicator) { return absl::StrCat("i", indicator); }
std::string FindingId(int finding) { return absl::StrCat("finding.f", finding); }
std::string RuleId(int rule) { return absl::StrCat("r", rule); }

int FindingIndex(absl::string_view id) { return IndexAfter(id, "finding.f"); }
int RuleIndex(absl::string_view id) { return IndexAfter(id, "r"); }

absl::string_view ComparisonText(Comparison op) {
  switch (op) {
    case Comparison::kGreater: return ">";
    case Comparison::kLess: return "<";
    case Comparison::kGreaterOrEqual: return ">=";
    case Comparison::kLessOrEqual: return "<=";
  }
  return "?";
}

absl::string_view ClipsLayoutName(ClipsLayout layout) {
  switch (layout) {
    case ClipsLayout::kSlotPerObservation:
      return "one obs deftemplate, (obs (name i12) (value 57))";
    case ClipsLayout::kTemplatePerIndicator:
      return "one deftemplate per indicator, (i12 (value 57))";
  }
  return "?";
}

Workload GenerateWorkload(const WorkloadSpec& spec) {
  Workload workload;
  workload.spec = spec;
  workload.indicators = std::max(2, spec.rules * 2 / 3);
  workload.findings = std::max(2, spec.rules / 2);
  // Each size gets its own stream, so sizes do not share rules for the same seed.
  Random random(spec.seed ^ (static_cast<uint64_t>(spec.rules) << 32));

  workload.rules.reserve(spec.rules);
  for (int r = 0; r < spec.rules; ++r) {
    SyntheticRule rule;
    if (r % 4 == 3) {
      // Read what an earlier rule concludes, and conclude a finding of a higher index. The
      // last finding has none above it; should every try land there, f0 keeps it acyclic.
      int premise = 0;
      for (int tries = 0; tries < 64; ++tries) {
        const int drawn = workload.rules[random.Below(r)].conclusion;
        if (drawn < workload.findings - 1) {
          premise = drawn;
          break;
        }
      }
      rule.premise_finding = premise;
      rule.conclusion = random.Between(premise + 1, workload.findings - 1);
      rule.tests.push_back(RandomTest(random, random.Below(workload.indicators)));
    } else {
      rule.conclusion = random.Below(workload.findings);
      const int a = random.Below(workload.indicators);
      int b;
      do {
        b = random.Below(workload.indicators);
      } while (b == a);
      rule.tests.push_back(RandomTest(random, a));
      rule.tests.push_back(RandomTest(random, b));
    }
    workload.rules.push_back(std::move(rule));
  }
  workload.max_chain_depth = ChainDepth(workload);

  const int observed = std::min(spec.observations_per_case, workload.indicators);
  std::vector<int> pool(workload.indicators);
  workload.cases.reserve(spec.cases);
  for (int c = 0; c < spec.cases; ++c) {
    // The first `observed` places of a partial Fisher-Yates shuffle: distinct, uniform.
    std::iota(pool.begin(), pool.end(), 0);
    Case one;
    for (int k = 0; k < observed; ++k) {
      std::swap(pool[k], pool[k + random.Below(workload.indicators - k)]);
      one.push_back(Observed{pool[k], 0});
    }
    for (Observed& o : one) o.value = random.Between(0, kMaxValue);
    workload.cases.push_back(std::move(one));
  }
  return workload;
}

int CauseCount(const Workload& workload) { return std::max(3, workload.findings / 20); }

inference::SourceFile CauseLayerFile(const Workload& workload, absl::string_view prefix) {
  const WorkloadSpec& spec = workload.spec;
  // Its own stream: the rules and cases of the spec stay as they are.
  Random random(spec.seed ^ (static_cast<uint64_t>(spec.rules) << 32) ^ 0xca05e5ull);
  auto above = [](int finding) { return absl::StrCat(FindingId(finding), " > 0.5"); };
  std::string text;
  for (int c = 0; c < CauseCount(workload); ++c) {
    absl::StrAppend(&text, "cause cause.c", c, "\n  title: \"Cause ", c,
                    "\"\n  category: \"synthetic\"\n\n");
    for (int r = 0; r < 3; ++r) {
      const int a = random.Below(workload.findings);
      std::string when = above(a);
      if (r > 0) {
        int b;
        do {
          b = random.Below(workload.findings);
        } while (b == a);
        absl::StrAppend(&when, " and ", above(b));
      }
      absl::StrAppend(&text, "rule c", c, "_", r, ":\n  when ", when, "\n  then cause.c", c,
                      " cf 0.", 6 - r, "\n  because \"",
                      r == 0 ? "A finding." : "Two findings.", "\"\n\n");
    }
  }
  return {absl::StrCat(prefix, "/40-causes.rules"), std::move(text)};
}

std::vector<inference::SourceFile> RuleFiles(const Workload& workload, absl::string_view prefix) {
  const WorkloadSpec& spec = workload.spec;
  const std::string origin =
      absl::StrCat("compare_bench synthetic workload, ", spec.rules, " rules, seed ", spec.seed);
  std::vector<inference::SourceFile> files;

  files.push_back({absl::StrCat(prefix, "/00-rulebase.rules"),
                   absl::StrCat("rulebase bench.synthetic version \"", spec.rules, ".", spec.seed,
                                "\"\n  title: \"Synthetic workload: ", spec.rules, " rules, seed ",
                                spec.seed, "\"\n")});

  std::string indicators;
  for (int i = 0; i < workload.indicators; ++i) {
    absl::StrAppend(&indicators, "indicator ", IndicatorId(i), ": number\n  title: \"Indicator ", i,
                    "\"\n  range: 0 .. ", kMaxValue, "\n\n");
  }
  files.push_back({absl::StrCat(prefix, "/10-indicators.rules"), std::move(indicators)});

  std::string findings;
  for (int f = 0; f < workload.findings; ++f) {
    absl::StrAppend(&findings, "finding ", FindingId(f), "\n  title: \"Finding ", f, "\"\n\n");
  }
  files.push_back({absl::StrCat(prefix, "/20-findings.rules"), std::move(findings)});

  std::string rules;
  for (size_t r = 0; r < workload.rules.size(); ++r) {
    const SyntheticRule& rule = workload.rules[r];
    std::vector<std::string> conditions;
    if (rule.premise_finding >= 0) conditions.push_back(FindingId(rule.premise_finding));
    for (const IndicatorTest& test : rule.tests) conditions.push_back(Condition(test));
    absl::StrAppend(
        &rules, "rule ", RuleId(static_cast<int>(r)), ":\n  when ",
        absl::StrJoin(conditions, " and "), "\n  then ", FindingId(rule.conclusion),
        " cf 1\n  because \"",
        rule.premise_finding >= 0 ? "A concluded finding and a threshold." : "Two thresholds.",
        "\"\n  source: \"", origin, "\"\n\n");
  }
  files.push_back({absl::StrCat(prefix, "/30-rules.rules"), std::move(rules)});
  return files;
}

std::vector<std::string> ClipsConstructs(const Workload& workload, ClipsLayout layout) {
  std::vector<std::string> constructs;
  switch (layout) {
    case ClipsLayout::kSlotPerObservation:
      constructs.push_back("(deftemplate obs (slot name) (slot value))");
      constructs.push_back("(deftemplate finding (slot name))");
      break;
    case ClipsLayout::kTemplatePerIndicator:
      for (int i = 0; i < workload.indicators; ++i) {
        constructs.push_back(absl::StrCat("(deftemplate ", IndicatorId(i), " (slot value))"));
      }
      for (int f = 0; f < workload.findings; ++f) {
        constructs.push_back(absl::StrCat("(deftemplate ", FindingId(f), ")"));
      }
      break;
  }
  for (size_t r = 0; r < workload.rules.size(); ++r) {
    const SyntheticRule& rule = workload.rules[r];
    std::string text = absl::StrCat("(defrule ", RuleId(static_cast<int>(r)));
    if (rule.premise_finding >= 0) {
      absl::StrAppend(&text, " ", ClipsFinding(layout, rule.premise_finding));
    }
    for (size_t t = 0; t < rule.tests.size(); ++t) {
      absl::StrAppend(&text, " ", ClipsTest(layout, rule.tests[t], static_cast<int>(t)));
    }
    absl::StrAppend(&text, " => (assert ", ClipsFinding(layout, rule.conclusion), "))");
    constructs.push_back(std::move(text));
  }
  return constructs;
}

std::string ClipsFact(ClipsLayout layout, const Observed& observed) {
  switch (layout) {
    case ClipsLayout::kSlotPerObservation:
      return absl::StrCat("(obs (name ", IndicatorId(observed.indicator), ") (value ",
                          observed.value, "))");
    case ClipsLayout::kTemplatePerIndicator:
      return absl::StrCat("(", IndicatorId(observed.indicator), " (value ", observed.value, "))");
  }
  return "";
}

proto::Assessment ToAssessment(const Case& c) {
  proto::Assessment assessment;
  for (const Observed& o : c) {
    (*assessment.mutable_observations())[IndicatorId(o.indicator)].set_number(o.value);
  }
  return assessment;
}

std::string AssessmentJson(const Case& c, absl::string_view organisation) {
  std::vector<std::string> entries;
  for (const Observed& o : c) {
    entries.push_back(absl::StrCat("    \"", IndicatorId(o.indicator), "\": ", o.value));
  }
  return absl::StrCat("{\n  \"organisation\": \"", organisation, "\",\n  \"observations\": {\n",
                      absl::StrJoin(entries, ",\n"), "\n  }\n}\n");
}

int TouchedRules(const Workload& workload, const Case& c, const std::vector<bool>& concluded) {
  std::vector<bool> observed(workload.indicators, false);
  for (const Observed& o : c) observed[o.indicator] = true;
  int touched = 0;
  for (const SyntheticRule& rule : workload.rules) {
    bool reads = rule.premise_finding >= 0 && concluded[rule.premise_finding];
    for (const IndicatorTest& test : rule.tests) reads = reads || observed[test.indicator];
    if (reads) ++touched;
  }
  return touched;
}

absl::Status WriteWorkload(const Workload& workload, ClipsLayout layout,
                           const std::filesystem::path& dir) {
  std::error_code error;
  for (const char* sub : {"rules", "cases"}) {
    std::filesystem::create_directories(dir / sub, error);
    if (error) {
      return absl::ErrnoToStatus(error.value(),
                                 absl::StrCat("cannot create ", (dir / sub).string()));
    }
  }
  for (const inference::SourceFile& file : RuleFiles(workload, "rules")) {
    if (absl::Status s = WriteFile(dir / file.path, file.text); !s.ok()) return s;
  }
  std::string clp = absl::StrCat(";; ", workload.spec.rules, " rules, seed ", workload.spec.seed,
                                 "; facts: ", ClipsLayoutName(layout), "\n");
  for (const std::string& construct : ClipsConstructs(workload, layout)) {
    absl::StrAppend(&clp, construct, "\n");
  }
  if (absl::Status s = WriteFile(dir / "workload.clp", clp); !s.ok()) return s;
  for (size_t c = 0; c < workload.cases.size(); ++c) {
    const std::string name = absl::StrFormat("case-%04d", c);
    if (absl::Status s =
            WriteFile(dir / "cases" / (name + ".json"), AssessmentJson(workload.cases[c], name));
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace align::bench
