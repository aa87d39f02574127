#include "bench/compare/workload.h"

#include <set>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "inference/rulebase/compiler.h"

namespace align::bench {
namespace {

using ::testing::SizeIs;

WorkloadSpec Small() { return {.rules = 60, .observations_per_case = 20, .cases = 30, .seed = 42}; }

std::string Describe(const SyntheticRule& rule) {
  std::string text = rule.premise_finding >= 0 ? FindingId(rule.premise_finding) + " and " : "";
  for (const IndicatorTest& test : rule.tests) {
    text += IndicatorId(test.indicator) + " " + std::string(ComparisonText(test.op)) + " " +
            std::to_string(test.threshold) + "; ";
  }
  return text + "-> " + FindingId(rule.conclusion);
}

TEST(Workload, SameSpecGivesTheSameWorkload) {
  const Workload a = GenerateWorkload(Small());
  const Workload b = GenerateWorkload(Small());
  ASSERT_THAT(b.rules, SizeIs(a.rules.size()));
  for (size_t r = 0; r < a.rules.size(); ++r) EXPECT_EQ(Describe(a.rules[r]), Describe(b.rules[r]));
  EXPECT_EQ(RuleFiles(a)[3].text, RuleFiles(b)[3].text);
}

// Pinned values: a standard library that drew differently would show here first.
TEST(Workload, Seed42IsTheSameOnEveryStandardLibrary) {
  const Workload workload = GenerateWorkload(Small());
  EXPECT_EQ(Describe(workload.rules[0]), "i38 >= 68; i31 < 97; -> finding.f15");
  EXPECT_EQ(Describe(workload.rules[3]), "finding.f26 and i26 < 65; -> finding.f29");
  EXPECT_EQ(workload.cases[0][0].indicator, 16);
  EXPECT_EQ(workload.cases[0][0].value, 31);
  EXPECT_EQ(workload.cases[0][1].indicator, 2);
  EXPECT_EQ(workload.cases[0][1].value, 51);
}

TEST(Workload, ShapeFollowsTheSpec) {
  const Workload workload =
      GenerateWorkload({.rules = 1000, .observations_per_case = 50, .cases = 40, .seed = 7});
  EXPECT_EQ(workload.indicators, 666);
  EXPECT_EQ(workload.findings, 500);
  int chained = 0;
  for (const SyntheticRule& rule : workload.rules) {
    for (const IndicatorTest& test : rule.tests) {
      EXPECT_GE(test.threshold, 1);
      EXPECT_LE(test.threshold, 99);
    }
    if (rule.premise_finding >= 0) {
      ++chained;
      ASSERT_THAT(rule.tests, SizeIs(1));
      EXPECT_LT(rule.premise_finding, rule.conclusion) << "findings must stay acyclic";
    } else {
      ASSERT_THAT(rule.tests, SizeIs(2));
      EXPECT_NE(rule.tests[0].indicator, rule.tests[1].indicator);
    }
  }
  EXPECT_EQ(chained, 250);
  EXPECT_GE(workload.max_chain_depth, 3);
  ASSERT_THAT(workload.cases, SizeIs(40));
  for (const Case& c : workload.cases) {
    std::set<int> indicators;
    for (const Observed& o : c) {
      indicators.insert(o.indicator);
      EXPECT_GE(o.value, 0);
      EXPECT_LE(o.value, 100);
    }
    EXPECT_THAT(indicators, SizeIs(50));
  }
}

TEST(Workload, RuleFilesCompileWithoutErrors) {
  const inference::CompileResult compiled =
      inference::CompileRuleBase(RuleFiles(GenerateWorkload(Small())));
  ASSERT_NE(compiled.rule_base, nullptr) << compiled.diagnostics.Format();
  EXPECT_THAT(compiled.rule_base->rules(), SizeIs(60));
}

// The cause layer: one cause per 20 findings (at least 3), three rules each, the first
// reading one finding and the others two; it compiles beside the workload's files and leaves
// every finding's rules as they were.
TEST(Workload, CauseLayerAddsThreeRulesPerCause) {
  const Workload small = GenerateWorkload(Small());
  EXPECT_EQ(CauseCount(small), 3);
  EXPECT_EQ(CauseCount(GenerateWorkload({.rules = 1000, .cases = 1})), 25);
  EXPECT_EQ(CauseCount(GenerateWorkload({.rules = 10000, .cases = 1})), 250);

  const inference::SourceFile layer = CauseLayerFile(small);
  EXPECT_EQ(layer.path, "synthetic/40-causes.rules");
  EXPECT_EQ(CauseLayerFile(small).text, layer.text);  // deterministic
  EXPECT_TRUE(absl::StartsWith(layer.text,
                               "cause cause.c0\n  title: \"Cause 0\"\n  category: \"synthetic\"\n\n"
                               "rule c0_0:\n  when finding.f1 > 0.5\n  then cause.c0 cf 0.6\n"
                               "  because \"A finding.\"\n\n"
                               "rule c0_1:\n  when finding.f28 > 0.5 and finding.f2 > 0.5\n"
                               "  then cause.c0 cf 0.5\n  because \"Two findings.\"\n\n"))
      << layer.text;

  std::vector<inference::SourceFile> files = RuleFiles(small);
  files.push_back(layer);
  const inference::CompileResult compiled = inference::CompileRuleBase(files);
  ASSERT_NE(compiled.rule_base, nullptr) << compiled.diagnostics.Format();
  EXPECT_THAT(compiled.rule_base->rules(), SizeIs(60 + 3 * 3));
  EXPECT_EQ(compiled.rule_base->CountOf(inference::NodeKind::kCause), 3);
}

TEST(Workload, IdsGiveBackTheirIndex) {
  EXPECT_EQ(FindingIndex(FindingId(7)), 7);
  EXPECT_EQ(RuleIndex(RuleId(42)), 42);
  EXPECT_EQ(FindingIndex("i3"), -1);
  EXPECT_EQ(RuleIndex("rx"), -1);
}

TEST(Workload, TouchedRulesCountReadersOfObservationsAndConclusions) {
  Workload workload;
  workload.indicators = 3;
  workload.findings = 2;
  workload.rules = {
      {.conclusion = 0, .tests = {{0, Comparison::kGreater, 50}, {1, Comparison::kLess, 20}}},
      {.conclusion = 1, .premise_finding = 0, .tests = {{2, Comparison::kLess, 9}}}};
  EXPECT_EQ(TouchedRules(workload, {{1, 5}}, {false, false}), 1);
  EXPECT_EQ(TouchedRules(workload, {{1, 5}}, {true, false}), 2);
  EXPECT_EQ(TouchedRules(workload, {{2, 5}}, {false, false}), 1);
}

}  // namespace
}  // namespace align::bench
