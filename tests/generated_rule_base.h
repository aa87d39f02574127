// A rule base drawn at random from every kind of leaf and every shape of condition, over
// three layers of conclusions with several rules each and cfs of both signs: for tests that
// compare two ways of computing the same answer on rule bases nobody wrote by hand. Number
// indicators n0..n11 (range 0 .. 100) and flags b0..b2; a seed gives the same text everywhere.
#ifndef ALIGN_TESTS_GENERATED_RULE_BASE_H_
#define ALIGN_TESTS_GENERATED_RULE_BASE_H_

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "inference/rulebase/compiler.h"

namespace align::inference {

inline std::string GeneratedRuleBase(uint32_t seed) {
  std::mt19937 random(seed);
  auto pick = [&random](int n) { return static_cast<int>(random() % static_cast<uint32_t>(n)); };
  constexpr int kNumbers = 12, kFlags = 3;
  std::string text = "rulebase generated version \"" + std::to_string(seed) +
                     "\"\n  title: \"Generated\"\n";
  for (int i = 0; i < kNumbers; ++i) {
    text += "indicator n" + std::to_string(i) + ": number\n  title: \"N\"\n  range: 0 .. 100\n";
  }
  for (int i = 0; i < kFlags; ++i) {
    text += "indicator b" + std::to_string(i) + ": bool\n  title: \"B\"\n";
  }
  const std::vector<std::pair<std::string, int>> layers = {
      {"finding", 8}, {"pattern", 5}, {"cause", 4}};
  std::vector<std::string> lower;  // conclusions of the layers below
  const char* ops[] = {">", "<", ">=", "<=", "=", "!="};
  const char* cfs[] = {"1", "0.8", "0.5", "0.35", "-0.4", "-0.7"};
  int rule = 0;
  for (const auto& [kind, count] : layers) {
    std::vector<std::string> declared;
    for (int c = 0; c < count; ++c) {
      const std::string id = kind + ".c" + std::to_string(c);
      text += kind + " " + id + "\n  title: \"C\"\n";
      declared.push_back(id);
    }
    for (const std::string& id : declared) {
      for (int r = 1 + pick(4); r > 0; --r) {
        auto number = [&] { return "n" + std::to_string(pick(kNumbers)); };
        auto threshold = [&] { return std::to_string(10 * pick(11)); };
        auto two_thresholds = [&](bool ordered) {  // distinct, low first when `ordered`
          int a = pick(11), b = pick(10);
          if (b >= a) ++b;
          if (ordered && a > b) std::swap(a, b);
          return std::to_string(10 * a) + (ordered ? " and " : ", ") + std::to_string(10 * b);
        };
        auto leaf = [&]() -> std::string {
          switch (lower.empty() ? pick(5) : pick(7)) {
            case 0: return number() + " " + ops[pick(6)] + " " + threshold();
            case 1: return number() + " between " + two_thresholds(true);
            case 2: return "ramp(" + number() + ", " + two_thresholds(false) + ")";
            case 3: return "b" + std::to_string(pick(kFlags)) + (pick(2) ? " = true" : "");
            case 4: return "known(" + number() + ")";
            case 5: return lower[pick(static_cast<int>(lower.size()))];
            default: return lower[pick(static_cast<int>(lower.size()))] + " > 0.4";
          }
        };
        std::string condition;
        switch (pick(6)) {
          case 0: condition = leaf(); break;
          case 1: condition = leaf() + " and " + leaf(); break;
          case 2: condition = leaf() + " or " + leaf() + " or " + leaf(); break;
          case 5: condition = leaf() + " or " + leaf(); break;
          case 3: condition = "not (" + leaf() + " and " + leaf() + ")"; break;
          default: condition = "(" + leaf() + " or " + leaf() + ") and not " + leaf(); break;
        }
        text += "rule r" + std::to_string(rule++) + ": when " + condition + " then " + id +
                " cf " + cfs[pick(6)] + "\n  because \"Generated.\"\n";
      }
    }
    lower.insert(lower.end(), declared.begin(), declared.end());
  }
  return text;
}

// GeneratedRuleBase(seed), compiled. A seed that does not compile fails the calling test, with
// the compiler's diagnostics, and gives null.
inline std::shared_ptr<const RuleBase> CompileGeneratedRuleBase(uint32_t seed) {
  CompileResult compiled = CompileRuleBase({{"generated.rules", GeneratedRuleBase(seed)}});
  EXPECT_NE(compiled.rule_base, nullptr) << "seed " << seed << "\n"
                                         << compiled.diagnostics.Format();
  return compiled.rule_base;
}

}  // namespace align::inference

#endif  // ALIGN_TESTS_GENERATED_RULE_BASE_H_
