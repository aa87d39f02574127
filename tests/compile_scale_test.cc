// CompileRuleBase on a generated rule base of some size: the tables it precomputes for the
// engine agree with their definitions over the dependency graph, node by node.
#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "inference/rulebase/compiler.h"
#include "inference/rulebase/rule_base.h"

namespace align::inference {
namespace {

using ::testing::IsEmpty;
using ::testing::Not;

// Layers of conclusions, each reading indicators and the layers below it, so the graph has
// long chains, shared inputs, repeated reads and several rules per conclusion, and no cycle.
struct Layer {
  const char* keyword;
  int count;
};
constexpr Layer kLayers[] = {{"finding", 120}, {"pattern", 40}, {"cause", 20}, {"action", 10}};
constexpr int kIndicators = 150;
constexpr int kRulesPerConclusion = 3;

std::string ConclusionId(int layer, int index) {
  return absl::StrCat(kLayers[layer].keyword, ".n", index);
}

// The same text every run: a fixed linear congruential sequence picks the inputs.
std::vector<SourceFile> GeneratedRuleBase() {
  uint64_t state = 42;
  auto next = [&state](int bound) {
    state = state * 6364136223846793005u + 1442695040888963407u;
    return static_cast<int>((state >> 33) % static_cast<uint64_t>(bound));
  };
  std::string declarations = "rulebase scale.test version \"1\"\n  title: \"Scale\"\n\n";
  for (int i = 0; i < kIndicators; ++i) {
    absl::StrAppend(&declarations, "indicator in", i, ": number\n  title: \"Indicator ", i,
                    "\"\n  range: 0 .. 100\n\n");
  }
  for (int layer = 0; layer < 4; ++layer) {
    for (int i = 0; i < kLayers[layer].count; ++i) {
      absl::StrAppend(&declarations, kLayers[layer].keyword, " ", ConclusionId(layer, i),
                      "\n  title: \"", kLayers[layer].keyword, " ", i, "\"\n\n");
    }
  }
  std::string rules;
  int rule_count = 0;
  for (int layer = 0; layer < 4; ++layer) {
    for (int i = 0; i < kLayers[layer].count; ++i) {
      for (int r = 0; r < kRulesPerConclusion; ++r) {
        std::vector<std::string> terms;
        const int inputs = 1 + next(3);
        for (int k = 0; k < inputs; ++k) {
          // Within the first layer a finding may read an earlier finding.
          const int below = layer == 0 ? (i > 0 ? 1 : 0) : layer;
          if (below > 0 && next(3) != 0) {
            const int from = next(below);
            const int limit = from == layer ? i : kLayers[from].count;
            terms.push_back(ConclusionId(from, next(limit)));
          } else {
            terms.push_back(absl::StrCat("in", next(kIndicators), " > ", 10 + next(80)));
          }
        }
        absl::StrAppend(&rules, "rule r", rule_count++, ": when ", terms[0]);
        for (size_t k = 1; k < terms.size(); ++k) {
          absl::StrAppend(&rules, next(2) == 0 ? " and " : " or ", terms[k]);
        }
        absl::StrAppend(&rules, " then ", ConclusionId(layer, i), " cf 0.5\n");
      }
    }
  }
  return {{"scale/rules.rules", rules}, {"scale/declarations.rules", declarations}};
}

class CompileScale : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    result_ = new CompileResult(CompileRuleBase(GeneratedRuleBase()));
  }
  static void TearDownTestSuite() {
    delete result_;
    result_ = nullptr;
  }

  const RuleBase& rule_base() const { return *result_->rule_base; }
  bool IsIndicator(int node) const {
    return rule_base().node(node).kind == NodeKind::kIndicator;
  }
  bool IsCause(int node) const { return rule_base().node(node).kind == NodeKind::kCause; }
  bool LeadsToCause(int node) const {
    if (IsCause(node)) return true;
    for (int next : rule_base().graph().Downstream(node)) {
      if (IsCause(next)) return true;
    }
    return false;
  }

  static CompileResult* result_;
};

CompileResult* CompileScale::result_ = nullptr;

TEST_F(CompileScale, CompilesWithoutDiagnostics) {
  EXPECT_EQ(result_->diagnostics.Format(), "");
  ASSERT_NE(result_->rule_base, nullptr);
  EXPECT_EQ(rule_base().rules().size(), static_cast<size_t>(190 * kRulesPerConclusion));
}

TEST_F(CompileScale, EdgesAreTheDistinctReadsOfEveryRule) {
  ASSERT_NE(result_->rule_base, nullptr);
  std::set<std::pair<int, int>> reads;
  for (const Rule& rule : rule_base().rules()) {
    for (int read : rule.reads) reads.emplace(read, rule.conclusion);
  }
  EXPECT_EQ(rule_base().graph().edges(),
            (std::vector<std::pair<int, int>>(reads.begin(), reads.end())));
}

TEST_F(CompileScale, IndicatorsBehindAConclusionAreTheIndicatorsUpstreamOfIt) {
  ASSERT_NE(result_->rule_base, nullptr);
  int beyond_direct_reads = 0;  // conclusions with indicators behind them through others
  for (size_t node = 0; node < rule_base().nodes().size(); ++node) {
    std::vector<int> expected;
    if (!IsIndicator(node)) {
      for (int up : rule_base().graph().Upstream(node)) {
        if (IsIndicator(up)) expected.push_back(up);
      }
      std::set<int> direct;
      for (int rule : rule_base().node(node).rules) {
        for (int read : rule_base().rules()[rule].reads) {
          if (IsIndicator(read)) direct.insert(read);
        }
      }
      beyond_direct_reads += expected.size() > direct.size();
    }
    EXPECT_EQ(rule_base().IndicatorsBehind(node), expected) << rule_base().node(node).id;
  }
  EXPECT_GT(beyond_direct_reads, 100);
}

TEST_F(CompileScale, ReaderRulesAreTheRulesThatReadANode) {
  ASSERT_NE(result_->rule_base, nullptr);
  std::vector<std::vector<int>> readers(rule_base().nodes().size());
  for (size_t r = 0; r < rule_base().rules().size(); ++r) {
    for (int read : rule_base().rules()[r].reads) readers[read].push_back(static_cast<int>(r));
  }
  size_t read_somewhere = 0;
  for (size_t node = 0; node < readers.size(); ++node) {
    const auto actual = rule_base().ReaderRules(static_cast<int>(node));
    EXPECT_EQ(std::vector<int>(actual.begin(), actual.end()), readers[node])
        << rule_base().node(static_cast<int>(node)).id;
    read_somewhere += !readers[node].empty();
  }
  EXPECT_GT(read_somewhere, 200u);
}

TEST_F(CompileScale, EachIndicatorsCausesAndWhatLeadsToACause) {
  ASSERT_NE(result_->rule_base, nullptr);
  std::vector<int> askable;
  size_t conclusions = 0, leading = 0;
  for (size_t node = 0; node < rule_base().nodes().size(); ++node) {
    std::vector<int> causes;
    if (IsIndicator(node)) {
      for (int down : rule_base().graph().Downstream(node)) {
        if (IsCause(down)) causes.push_back(down);
      }
      std::sort(causes.begin(), causes.end());
      if (!rule_base().node(node).builtin && !causes.empty()) askable.push_back(node);
    }
    EXPECT_EQ(rule_base().CausesOf(node), causes) << rule_base().node(node).id;
    if (IsIndicator(node)) continue;
    ++conclusions;
    EXPECT_EQ(rule_base().LeadsToCause(node), LeadsToCause(node)) << rule_base().node(node).id;
    leading += LeadsToCause(node);
  }
  // Some conclusions lead to a cause and some do not: both answers are checked.
  EXPECT_EQ(conclusions, 190u);
  EXPECT_EQ(leading, 157u);
  EXPECT_THAT(askable, Not(IsEmpty()));
  EXPECT_EQ(rule_base().AskableIndicators(), askable);
}

TEST_F(CompileScale, ThresholdsAreTheDistinctValuesEachIndicatorIsComparedWith) {
  ASSERT_NE(result_->rule_base, nullptr);
  std::vector<std::set<double>> values(rule_base().nodes().size());
  for (const Rule& rule : rule_base().rules()) {
    for (const Op& op : rule_base().Plan(rule)) {
      if (op.code == OpCode::kCompare) values[op.node].insert(op.a);
    }
  }
  for (size_t node = 0; node < values.size(); ++node) {
    EXPECT_EQ(rule_base().Thresholds(node),
              std::vector<double>(values[node].begin(), values[node].end()))
        << rule_base().node(node).id;
  }
}

}  // namespace
}  // namespace align::inference
