// Evaluating from the baseline (EvaluationPool, then EvaluateCertainties and EvaluateRanges)
// must give exactly what a full evaluation gives, and handing an evaluation back must leave it
// equal to the baseline. The certainty sweep alone must already give every certainty, which
// rules fire and their premises, and an evaluation handed back before its ranges were brought up
// to date must be the baseline again too.
#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "inference/engine.h"
#include "inference/eval/evaluation_pool.h"
#include "inference/eval/evaluator.h"
#include "inference/eval/explanation.h"
#include "inference/io/assessment_reader.h"
#include "inference/portfolio/portfolio.h"
#include "inference/rulebase/compiler.h"
#include "inference/rulebase/loader.h"
#include "inference/util/format.h"
#include "inference/util/proto_alias.h"
#include "tests/generated_rule_base.h"
#include "tests/random_assessments.h"

namespace align::inference {
namespace {

const std::filesystem::path kSource = ALIGN_SOURCE_DIR;

std::shared_ptr<const RuleBase> StandardRules() {
  static const auto* rules = new std::shared_ptr<const RuleBase>(*LoadRuleBase(kSource / "rules"));
  return *rules;
}

// The bits of a double: EXPECT_EQ on doubles takes -0.0 for +0.0, and answers print the sign.
uint64_t Bits(double value) { return std::bit_cast<uint64_t>(value); }

// Field by field, bit for bit: the incremental path may not round differently, nor leave a zero
// of the other sign behind.
void ExpectSameEvaluation(const RuleBase& rules, const Evaluation& expected,
                          const Evaluation& actual, const std::string& label) {
  for (size_t node = 0; node < rules.nodes().size(); ++node) {
    const std::string& id = rules.node(static_cast<int>(node)).id;
    // Every field, known or not: a fact handed back must be the baseline's to the bit.
    EXPECT_EQ(expected.facts[node].known, actual.facts[node].known) << label << " " << id;
    EXPECT_EQ(Bits(expected.facts[node].number), Bits(actual.facts[node].number))
        << label << " " << id;
    EXPECT_EQ(expected.facts[node].flag, actual.facts[node].flag) << label << " " << id;
    EXPECT_EQ(expected.facts[node].choice, actual.facts[node].choice) << label << " " << id;
    EXPECT_EQ(Bits(expected.facts[node].confidence), Bits(actual.facts[node].confidence))
        << label << " " << id;
    EXPECT_EQ(Bits(expected.certainty[node]), Bits(actual.certainty[node])) << label << " " << id;
    EXPECT_EQ(Bits(expected.range[node].lo), Bits(actual.range[node].lo)) << label << " " << id;
    EXPECT_EQ(Bits(expected.range[node].hi), Bits(actual.range[node].hi)) << label << " " << id;
  }
  EXPECT_EQ(expected.fires, actual.fires) << label;
  for (size_t r = 0; r < rules.rules().size(); ++r) {
    const std::string& id = rules.rules()[r].id;
    const RuleState& want = expected.rules[r];
    const RuleState& got = actual.rules[r];
    // The status and the contribution follow from these four, bit for bit.
    EXPECT_EQ(Bits(want.premise.lo), Bits(got.premise.lo)) << label << " " << id;
    EXPECT_EQ(Bits(want.premise.hi), Bits(got.premise.hi)) << label << " " << id;
    EXPECT_EQ(Bits(want.possible.lo), Bits(got.possible.lo)) << label << " " << id;
    EXPECT_EQ(Bits(want.possible.hi), Bits(got.possible.hi)) << label << " " << id;
  }
}

// Rules of one or two simple leaves are evaluated from the copy in their RuleCore; TracePlan
// always runs the whole plan. The two must agree on every premise, bit for bit.
void ExpectPlansAgree(const RuleBase& rules, const Evaluation& evaluation,
                      const std::string& label) {
  for (size_t r = 0; r < rules.rules().size(); ++r) {
    const Rule& rule = rules.rules()[r];
    const Interval premise = TracePlan(rules, rule, evaluation, /*possible=*/false).back();
    const Interval possible = TracePlan(rules, rule, evaluation, /*possible=*/true).back();
    const RuleState& state = evaluation.rules[r];
    EXPECT_EQ(Bits(premise.lo), Bits(state.premise.lo)) << label << " " << rule.id;
    EXPECT_EQ(Bits(premise.hi), Bits(state.premise.hi)) << label << " " << rule.id;
    EXPECT_EQ(Bits(possible.lo), Bits(state.possible.lo)) << label << " " << rule.id;
    EXPECT_EQ(Bits(possible.hi), Bits(state.possible.hi)) << label << " " << rule.id;
  }
}

// What EvaluateCertainties settles: every certainty, which rules fire, and the premise of every
// rule that fires (what it contributes, and what its HOW shows).
void ExpectSameCertainties(const RuleBase& rules, const Evaluation& expected,
                           const Evaluation& actual, const std::string& label) {
  for (size_t node = 0; node < rules.nodes().size(); ++node) {
    EXPECT_EQ(Bits(expected.certainty[node]), Bits(actual.certainty[node]))
        << label << " " << rules.node(static_cast<int>(node)).id;
  }
  EXPECT_EQ(expected.fires, actual.fires) << label;
  for (size_t r = 0; r < rules.rules().size(); ++r) {
    const std::string& id = rules.rules()[r].id;
    const int rule = static_cast<int>(r);
    EXPECT_EQ(Fires(actual, rule), actual.rules[r].premise.lo > kFiringThreshold)
        << label << " " << id;
    if (!Fires(expected, rule)) continue;
    EXPECT_EQ(Bits(expected.rules[r].premise.lo), Bits(actual.rules[r].premise.lo))
        << label << " " << id;
    EXPECT_EQ(Bits(expected.rules[r].premise.hi), Bits(actual.rules[r].premise.hi))
        << label << " " << id;
  }
}

// The scratch state every evaluation in a pool holds between diagnoses.
void ExpectNoScratch(const Evaluation& evaluation, const std::string& label) {
  EXPECT_THAT(evaluation.mark, testing::Each(0)) << label;
  EXPECT_THAT(evaluation.rule_mark, testing::Each(0)) << label;
  EXPECT_THAT(evaluation.queued_ranks, testing::Each(0)) << label;
  EXPECT_THAT(evaluation.range_ranks, testing::Each(0)) << label;
  EXPECT_TRUE(evaluation.marked_rules.empty()) << label;
  EXPECT_FALSE(evaluation.ranges_stale) << label;
  EXPECT_TRUE(evaluation.premises_pending.empty()) << label;
}

// The baseline again, as the pool hands it out.
void ExpectBaseline(const RuleBase& rules, EvaluationPool& pool, const std::string& label) {
  EvaluationPool::Lease again = pool.Acquire();
  ExpectSameEvaluation(rules, pool.baseline(), *again, label);
  ExpectNoScratch(*again, label);
  EXPECT_TRUE(again->written_facts.empty()) << label;
  EXPECT_TRUE(again->rules_before.empty()) << label;
  EXPECT_TRUE(again->conclusions_before.empty()) << label;
}

void CheckBothWays(const RuleBase& rules, EvaluationPool& pool, const proto::Assessment& assessment,
                   const std::string& label) {
  PortfolioAnalysis portfolio = AnalysePortfolio(assessment);
  Evaluation full(rules);
  LoadFacts(rules, assessment, portfolio, full);
  EvaluateAll(rules, full);
  ExpectPlansAgree(rules, full, label);
  {
    EvaluationPool::Lease lease = pool.Acquire();
    LoadFacts(rules, assessment, portfolio, *lease);
    EvaluateCertainties(rules, *lease);
    ExpectSameCertainties(rules, full, *lease, label + " (certainties)");
    EvaluateRanges(rules, *lease);
    ExpectSameEvaluation(rules, full, *lease, label);
    ExpectNoScratch(*lease, label);
    // Again: nothing left to do, nothing more saved.
    const size_t rules_saved = lease->rules_before.size();
    const size_t conclusions_saved = lease->conclusions_before.size();
    EvaluateRanges(rules, *lease);
    EXPECT_EQ(lease->rules_before.size(), rules_saved) << label;
    EXPECT_EQ(lease->conclusions_before.size(), conclusions_saved) << label;
  }
  // Handed back: the next lease is the baseline again.
  ExpectBaseline(rules, pool, label + " (after reset)");
  {
    // Handed back with the ranges never brought up to date, as a caller that only reads
    // conclusions does.
    EvaluationPool::Lease lease = pool.Acquire();
    LoadFacts(rules, assessment, portfolio, *lease);
    EvaluateCertainties(rules, *lease);
  }
  ExpectBaseline(rules, pool, label + " (after reset, certainties only)");
  {
    EvaluationPool::Lease lease = pool.Acquire();
    LoadFacts(rules, assessment, portfolio, *lease);
    EvaluateChanged(rules, *lease);
    ExpectSameEvaluation(rules, full, *lease, label + " (both at once)");
  }
}

TEST(IncrementalEvaluation, EveryExampleMatchesFullEvaluation) {
  std::shared_ptr<const RuleBase> rules = StandardRules();
  auto pool = std::make_shared<EvaluationPool>(rules);
  int examples = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kSource / "examples/assessments")) {
    const std::string ext = entry.path().extension().string();
    if (ext != ".yaml" && ext != ".json") continue;
    auto assessment = ReadAssessmentFile(entry.path(), &rules->schema());
    ASSERT_TRUE(assessment.ok()) << assessment.status();
    CheckBothWays(*rules, *pool, *assessment, entry.path().filename().string());
    ++examples;
  }
  EXPECT_EQ(examples, 7);
}

// EvaluateRanges ended by an exception (out of memory) leaves flags and rank bits that no list
// records; handing the evaluation back must still give the pool the baseline.
TEST(IncrementalEvaluation, HandedBackAfterAnInterruptedRangeSweep) {
  std::shared_ptr<const RuleBase> rules = StandardRules();
  auto pool = std::make_shared<EvaluationPool>(rules);
  auto assessment = ReadAssessmentFile(kSource / "examples/assessments/overloaded-it.yaml",
                                       &rules->schema());
  ASSERT_TRUE(assessment.ok()) << assessment.status();
  {
    EvaluationPool::Lease lease = pool->Acquire();
    LoadFacts(*rules, *assessment, AnalysePortfolio(*assessment), *lease);
    EvaluateCertainties(*rules, *lease);
    // As the sweep leaves them when a push_back throws half way: flags (any) on a node it had
    // queued and taken no further, its rank bit, and the sweep marked as running.
    const int node = rules->evaluation_order().back();
    lease->mark[node] = 0xff;
    lease->range_ranks.back() |= uint64_t{1} << ((rules->evaluation_order().size() - 1) % 64);
    lease->ranges_interrupted = true;
  }
  ExpectBaseline(*rules, *pool, "after an interrupted range sweep");
}

TEST(IncrementalEvaluation, RandomAssessmentsMatchFullEvaluation) {
  std::shared_ptr<const RuleBase> rules = StandardRules();
  auto pool = std::make_shared<EvaluationPool>(rules);
  RandomAssessments random(*rules, 20261127);
  ASSERT_EQ(random.indicators().size(), 41u);  // the declared ones; the portfolio figures come from areas
  // The rules reading the portfolio figures are exercised both ways: with the figure computed
  // from the areas, and unknown for an assessment that lists none.
  const std::vector<int>& figures = rules->portfolio_nodes();
  const size_t utilisation =
      std::find(figures.begin(), figures.end(),
                *rules->FindNode("portfolio.capability_utilisation")) - figures.begin();
  ASSERT_LT(utilisation, figures.size());
  int utilisation_known = 0;
  for (int round = 0; round < 200; ++round) {
    const proto::Assessment assessment = random.Next();
    utilisation_known += AnalysePortfolio(assessment).figures[utilisation].has_value() ? 1 : 0;
    CheckBothWays(*rules, *pool, assessment, "round " + std::to_string(round));
    if (testing::Test::HasFailure()) return;
  }
  EXPECT_EQ(utilisation_known, 64);  // of 200: about half list areas, most of those measure it
}

// Generated rule bases (tests/generated_rule_base.h): what the incremental path skips (rules
// reading facts alone that keep their state, conclusions none of whose rules moved) must never
// change a result.
TEST(IncrementalEvaluation, GeneratedRuleBasesMatchFullEvaluation) {
  for (uint32_t seed = 1; seed <= 8; ++seed) {
    std::shared_ptr<const RuleBase> rules = CompileGeneratedRuleBase(seed);
    ASSERT_NE(rules, nullptr);
    auto pool = std::make_shared<EvaluationPool>(rules);
    std::mt19937 random(seed);
    for (int round = 0; round < 150; ++round) {
      proto::Assessment assessment;
      auto& observations = *assessment.mutable_observations();
      for (int i = 0; i < 12; ++i) {
        if (random() % 3 == 0) continue;  // a third unknown
        proto::Observation& observed = observations["n" + std::to_string(i)];
        observed.set_number(5 * static_cast<int>(random() % 21));  // on and between thresholds
        if (random() % 4 == 0) observed.set_confidence(0.6);
      }
      for (int i = 0; i < 3; ++i) {
        if (random() % 2 == 0) observations["b" + std::to_string(i)].set_flag(random() % 2 == 0);
      }
      CheckBothWays(*rules, *pool, assessment,
                    "seed " + std::to_string(seed) + " round " + std::to_string(round));
      if (testing::Test::HasFailure()) return;
    }
  }
}

// Which rules are evaluated from the leaves kept in their RuleCore, and that those agree with
// the plan on every kind and shape kept there (ExpectPlansAgree, over every value around the
// thresholds).
TEST(IncrementalEvaluation, RulesOfOneOrTwoSimpleLeavesAreKeptInTheirCore) {
  CompileResult compiled = CompileRuleBase({{"rules/inline.rules", R"(rulebase inline.test version "1"
  title: "Inline leaves"
indicator n0: number
  title: "N0"
  range: 0 .. 100
indicator b0: bool
  title: "B0"
finding finding.f
  title: "F"
cause cause.c
  title: "C"
rule r_leaf: when n0 > 10 then finding.f
  because "One comparison."
rule r_and: when n0 >= 10 and b0 then finding.f cf 0.5
  because "Two leaves."
rule r_or: when n0 = 10 or known(n0) then finding.f cf 0.7
  because "Or of two."
rule r_three: when n0 > 10 and b0 and known(n0) then finding.f cf 0.4
  because "Three leaves."
rule r_ramp: when ramp(n0, 10, 20) and b0 then finding.f cf 0.3
  because "A ramp."
rule r_not: when not n0 > 10 then finding.f cf -0.5
  because "A not."
rule r_read: when finding.f > 0.4 or finding.f then cause.c
  because "Conclusions read."
rule r_flag_or: when n0 != 10 or b0 = false then cause.c cf 0.6
  because "Or of two, a flag."
)"}});
  ASSERT_NE(compiled.rule_base, nullptr) << compiled.diagnostics.Format();
  const RuleBase& rules = *compiled.rule_base;
  const std::vector<std::pair<std::string, int>> expected = {
      {"r_leaf", 1}, {"r_and", 2},  {"r_or", 2},   {"r_three", 0},
      {"r_ramp", 0}, {"r_not", 0},  {"r_read", 2}, {"r_flag_or", 2}};
  for (const auto& [id, inline_leaves] : expected) {
    const std::optional<int> rule = rules.FindRule(id);
    ASSERT_TRUE(rule.has_value()) << id;
    EXPECT_EQ(rules.Core(*rule).inline_leaves, inline_leaves) << id;
  }
  auto pool = std::make_shared<EvaluationPool>(compiled.rule_base);
  for (double n0 : {-1.0, 0.0, 5.0, 10.0, 10.5, 15.0, 20.0, 100.0}) {  // -1: not observed
    for (int b0 : {-1, 0, 1}) {
      for (double confidence : {0.0, 0.6}) {  // 0: not given
        proto::Assessment assessment;
        auto& observations = *assessment.mutable_observations();
        if (n0 >= 0) {
          observations["n0"].set_number(n0);
          observations["n0"].set_confidence(confidence);
        }
        if (b0 >= 0) observations["b0"].set_flag(b0 == 1);
        CheckBothWays(rules, *pool, assessment,
                      absl::StrCat("n0 ", n0, " b0 ", b0, " confidence ", confidence));
      }
    }
  }
}

// A rule whose premise moves only from +0.0 to -0.0 keeps its status: the pooled evaluation
// must still be handed back exactly, or the same request answers differently (the sign of a
// zero is printed) depending on what the evaluation served before.
TEST(IncrementalEvaluation, TheSignOfAZeroDoesNotOutliveADiagnosis) {
  CompileResult compiled = CompileRuleBase({{"rules/zero.rules", R"(rulebase zero.test version "1"
  title: "Signed zeros"
indicator n0: number
  title: "N0"
  range: 0 .. 100
indicator n1: number
  title: "N1"
  range: 0 .. 100
finding finding.f
  title: "F"
rule r: when not ramp(n0, 10, 20) or ramp(n1, 10, 20) then finding.f
  because "Signed zeros."
)"}});
  ASSERT_NE(compiled.rule_base, nullptr) << compiled.diagnostics.Format();
  Engine engine(compiled.rule_base);
  DiagnoseOptions options;
  options.why_not = {"finding.f"};
  const proto::Assessment empty;
  std::string before, after, with_n0;
  ASSERT_TRUE(engine.DiagnoseToWire(empty, options, &before).ok());
  proto::Assessment low;
  (*low.mutable_observations())["n0"].set_number(5);  // not ramp(...) is -0.0 here
  ASSERT_TRUE(engine.DiagnoseToWire(low, options, &with_n0).ok());
  ASSERT_TRUE(engine.DiagnoseToWire(empty, options, &after).ok());
  EXPECT_EQ(after, before);
}

// A rule that fires on the absence of a fact concludes in the baseline; a diagnosis that gives
// the fact must drop it, and one that does not must still report it.
TEST(IncrementalEvaluation, BaselineConclusionsComeAndGo) {
  CompileResult compiled = CompileRuleBase({{"rules/test.rules", R"(rulebase absent.test version "1"
  title: "Conclusions from absence"
indicator survey.done: bool
  title: "Survey done"
finding finding.no_survey
  title: "No survey"
cause cause.blind
  title: "Flying blind"
rule no_survey: when not known(survey.done) then finding.no_survey
  because "Nobody asked."
rule blind: when finding.no_survey then cause.blind cf 0.6
  because "Without a survey, demand is guessed."
)"}});
  ASSERT_NE(compiled.rule_base, nullptr) << compiled.diagnostics.Format();
  Engine engine(compiled.rule_base);
  proto::Assessment without;
  auto empty = engine.Diagnose(without);
  ASSERT_TRUE(empty.ok()) << empty.status();
  ASSERT_EQ(empty->causes_size(), 1);
  EXPECT_EQ(empty->causes(0).id(), "cause.blind");
  EXPECT_EQ(empty->causes(0).certainty(), 0.6);
  ASSERT_EQ(empty->findings_size(), 1);
  EXPECT_EQ(empty->findings(0).id(), "finding.no_survey");

  proto::Assessment with;
  (*with.mutable_observations())["survey.done"].set_flag(true);
  auto given = engine.Diagnose(with);
  ASSERT_TRUE(given.ok()) << given.status();
  EXPECT_EQ(given->causes_size(), 0);
  EXPECT_EQ(given->findings_size(), 0);

  // And back: the pooled evaluation forgot the fact.
  auto again = engine.Diagnose(without);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->SerializeAsString(), empty->SerializeAsString());
}

// Consult keeps the outcome: the same conclusions, in the same order, as the written diagnosis,
// and an explanation on demand equal to Explain's.
TEST(Consultation, AgreesWithTheWrittenDiagnosis) {
  Engine engine(StandardRules());
  auto assessment = ReadAssessmentFile(kSource / "examples/assessments/overloaded-it.yaml",
                                       &engine.rule_base().schema());
  ASSERT_TRUE(assessment.ok()) << assessment.status();
  auto diagnosis = engine.Diagnose(*assessment);
  ASSERT_TRUE(diagnosis.ok()) << diagnosis.status();
  auto consultation = engine.Consult(*assessment);
  ASSERT_TRUE(consultation.ok()) << consultation.status();

  std::vector<std::string> written, kept;
  for (const auto* list : {&diagnosis->patterns(), &diagnosis->causes(), &diagnosis->actions(),
                           &diagnosis->findings()}) {
    for (const proto::Conclusion& c : *list) written.push_back(c.id());
  }
  for (NodeKind kind : {NodeKind::kPattern, NodeKind::kCause, NodeKind::kAction, NodeKind::kFinding}) {
    for (int node : consultation->concluded()) {
      if (consultation->rule_base().node(node).kind == kind) {
        kept.push_back(consultation->rule_base().node(node).id);
      }
    }
  }
  EXPECT_EQ(kept, written);
  ASSERT_EQ(diagnosis->causes_size(), 2);
  const int top = *engine.FindNode(diagnosis->causes(0).id());
  EXPECT_EQ(std::round(consultation->certainty(top) * 1e4) / 1e4, diagnosis->causes(0).certainty());
  auto explained = engine.Explain(*assessment, diagnosis->causes(0).id());
  ASSERT_TRUE(explained.ok());
  EXPECT_EQ(consultation->Explain(top)->SerializeAsString(), explained->SerializeAsString());
  EXPECT_EQ(engine.FindNode("cause.overwrok").status().message(),
            "unknown node 'cause.overwrok'; did you mean 'cause.overwork'?");
}

// A consultation works out the ranges only when first asked. Its explanations, the first and
// the later ones, must be those of a full evaluation, for every conclusion, HOW and WHY NOT.
TEST(Consultation, ExplainsAsAFullEvaluationDoes) {
  std::shared_ptr<const RuleBase> rules = StandardRules();
  Engine engine(rules);
  RandomAssessments random(*rules, 20261128);
  int explained = 0;
  for (int round = 0; round < 60; ++round) {
    const proto::Assessment assessment = random.Next();
    absl::StatusOr<Consultation> consultation = engine.Consult(assessment);
    ASSERT_TRUE(consultation.ok()) << consultation.status();
    EXPECT_FALSE(consultation->ranges_ready());
    // Every third consultation is handed back unexplained, its ranges never worked out: the
    // next one reuses its evaluation.
    if (round % 3 == 2) continue;
    Evaluation full(*rules);
    LoadFacts(*rules, assessment, AnalysePortfolio(assessment), full);
    EvaluateAll(*rules, full);
    for (size_t node = 0; node < rules->nodes().size(); ++node) {
      if (rules->RulesOf(static_cast<int>(node)).empty()) continue;
      absl::StatusOr<proto::Explanation> want =
          ExplainNode(*rules, full, static_cast<int>(node), /*all_rules=*/true);
      absl::StatusOr<proto::Explanation> got = consultation->Explain(static_cast<int>(node));
      ASSERT_TRUE(want.ok() && got.ok()) << rules->node(static_cast<int>(node)).id;
      ASSERT_EQ(got->SerializeAsString(), want->SerializeAsString())
          << "round " << round << " " << rules->node(static_cast<int>(node)).id;
      EXPECT_TRUE(consultation->ranges_ready());
      ++explained;
    }
  }
  EXPECT_EQ(explained, 40 * 55);  // the standard base concludes 55 nodes
}

// A consultation keeps its pool and rule base alive: the engine may go first.
TEST(Consultation, OutlivesItsEngine) {
  auto assessment = ReadAssessmentFile(kSource / "examples/assessments/overloaded-it.yaml",
                                       &StandardRules()->schema());
  ASSERT_TRUE(assessment.ok()) << assessment.status();
  absl::StatusOr<Consultation> consultation = Engine(StandardRules()).Consult(*assessment);
  ASSERT_TRUE(consultation.ok()) << consultation.status();
  ASSERT_FALSE(consultation->concluded().empty());
  const int top = consultation->concluded().front();
  EXPECT_EQ(consultation->rule_base().node(top).id, "pattern.capability_shortfall");
  EXPECT_TRUE(consultation->Explain(top)->concluded());
}

// max_would_fire keeps the first N waiting rules of the full list and says when it cut it; -1
// lists all of them, 0 none; by default, 10.
TEST(DiagnoseOptions, WouldFireIsCapped) {
  Engine engine(StandardRules());
  auto assessment = ReadAssessmentFile(kSource / "examples/assessments/sparse.yaml",
                                       &engine.rule_base().schema());
  ASSERT_TRUE(assessment.ok()) << assessment.status();
  auto diagnose = [&](int max_would_fire) {
    DiagnoseOptions options;
    options.max_would_fire = max_would_fire;
    absl::StatusOr<proto::Diagnosis> diagnosis = engine.Diagnose(*assessment, options);
    EXPECT_TRUE(diagnosis.ok()) << diagnosis.status();
    return diagnosis.value_or(proto::Diagnosis());
  };
  const proto::Diagnosis every = diagnose(-1);
  ASSERT_EQ(every.would_fire_size(), 125);
  EXPECT_FALSE(every.would_fire_truncated());
  EXPECT_EQ(DiagnoseOptions().max_would_fire, 10);
  for (const auto& [limit, listed, truncated] :
       {std::tuple{3, 3, true}, {10, 10, true}, {124, 124, true}, {125, 125, false},
        {126, 125, false}, {0, 0, false}}) {
    const proto::Diagnosis capped = diagnose(limit);
    ASSERT_EQ(capped.would_fire_size(), listed) << limit;
    EXPECT_EQ(capped.would_fire_truncated(), truncated) << limit;
    for (int i = 0; i < listed; ++i) {
      EXPECT_EQ(capped.would_fire(i).SerializeAsString(), every.would_fire(i).SerializeAsString());
    }
    // Everything else is the same answer.
    proto::Diagnosis rest = every, capped_rest = capped;
    rest.clear_would_fire();
    capped_rest.clear_would_fire();
    capped_rest.clear_would_fire_truncated();
    EXPECT_EQ(capped_rest.SerializeAsString(), rest.SerializeAsString()) << limit;
  }
  // The wire options: absent is the default, and a limit is taken as given.
  proto::DiagnoseOptions wire;
  EXPECT_EQ(DiagnoseOptionsFromProto(wire)->max_would_fire, 10);
  wire.set_max_would_fire(0);
  EXPECT_EQ(DiagnoseOptionsFromProto(wire)->max_would_fire, 0);
}

// Every rule waiting for an unknown, in the order a diagnosis lists them, worked out from the
// whole of an evaluation and the baseline's certainties: those the assessment answers in part
// (reading a known indicator, or a conclusion whose certainty differs from the baseline's)
// first, by open conclusions read, then unknown indicators read, then rule; then the rest by
// conclusions read, then indicators read (all unknown), then rule. `ranked`: how many of the
// first kind.
std::vector<int> ReferenceWaitingOrder(const RuleBase& rules, const Evaluation& evaluation,
                                       const Evaluation& baseline, size_t* ranked) {
  std::vector<std::tuple<int, int, int>> partly, rest;
  std::vector<int> missing;
  for (int r = 0; r < static_cast<int>(rules.rules().size()); ++r) {
    if (evaluation.rules[r].status() != RuleStatus::kBlocked) continue;
    MissingIndicators(rules, evaluation, r, &missing);
    if (missing.empty()) continue;
    int open = 0, unknown = 0, conclusions = 0, indicators = 0;
    bool answered = false;
    for (int read : rules.rules()[r].reads) {
      if (rules.node(read).kind == NodeKind::kIndicator) {
        ++indicators;
        if (evaluation.facts[read].known) {
          answered = true;
        } else {
          ++unknown;
        }
        continue;
      }
      ++conclusions;
      if (evaluation.certainty[read] != baseline.certainty[read]) answered = true;
      if (evaluation.range[read].lo != evaluation.range[read].hi) ++open;
    }
    if (answered) {
      partly.emplace_back(open, unknown, r);
    } else {
      rest.emplace_back(conclusions, indicators, r);
    }
  }
  std::sort(partly.begin(), partly.end());
  std::sort(rest.begin(), rest.end());
  *ranked = partly.size();
  std::vector<int> order;
  for (const auto& [open, unknown, rule] : partly) order.push_back(rule);
  for (const auto& [conclusions, indicators, rule] : rest) order.push_back(rule);
  return order;
}

// WaitingRules at every limit against the reference order, on an evaluation brought from the
// pool's baseline as a consultation brings it: a prefix of the order, cut where the limit says,
// and truncated exactly when more wait. With max_would_fire -1, a diagnosis lists the same.
// The evaluation of an empty assessment, which every consultation starts from.
Evaluation BaselineOf(const RuleBase& rules) {
  Evaluation baseline(rules);
  LoadFacts(rules, proto::Assessment(), AnalysePortfolio(proto::Assessment()), baseline);
  EvaluateAll(rules, baseline);
  return baseline;
}

void ExpectWaitingRulesInOrder(const Engine& engine, EvaluationPool& pool,
                               const Evaluation& baseline, const proto::Assessment& assessment,
                               const std::string& label) {
  const RuleBase& rules = engine.rule_base();
  EvaluationPool::Lease evaluation = pool.Acquire();
  LoadFacts(rules, assessment, AnalysePortfolio(assessment), *evaluation);
  EvaluateCertainties(rules, *evaluation);
  EvaluateRanges(rules, *evaluation);
  size_t ranked = 0;
  const std::vector<int> all = ReferenceWaitingOrder(rules, *evaluation, baseline, &ranked);
  const int total = static_cast<int>(all.size());
  const int partly = static_cast<int>(ranked);
  for (int limit : {-1, 0, 1, 3, 10, partly - 1, partly, partly + 1, total - 1, total,
                    total + 1}) {
    if (limit < -1) continue;
    // Never truncated at 0, which looks for none. Set to the opposite, to see it written.
    const bool more = limit > 0 && total > limit;
    bool truncated = !more;
    const std::vector<int> listed = WaitingRules(rules, *evaluation, limit, &truncated);
    const size_t expected_size = limit < 0 ? all.size() : std::min<size_t>(all.size(), limit);
    EXPECT_EQ(listed, std::vector<int>(all.begin(), all.begin() + expected_size))
        << label << " limit " << limit;
    EXPECT_EQ(truncated, more) << label << " limit " << limit;
    EXPECT_EQ(WaitingRules(rules, *evaluation, limit, nullptr), listed) << label;
  }
  DiagnoseOptions every;
  every.max_would_fire = -1;
  absl::StatusOr<proto::Diagnosis> diagnosis = engine.Diagnose(assessment, every);
  ASSERT_TRUE(diagnosis.ok()) << label << ": " << diagnosis.status();
  ASSERT_EQ(diagnosis->would_fire_size(), total) << label;
  for (int i = 0; i < total; ++i) {
    EXPECT_EQ(diagnosis->would_fire(i).rule_id(), rules.rules()[all[i]].id) << label << " " << i;
  }
}

TEST(WaitingRules, AnsweredInPartFirstEachPartNearestToFiringFirst) {
  Engine standard(StandardRules());
  auto pool = std::make_shared<EvaluationPool>(standard.shared_rule_base());
  const Evaluation baseline = BaselineOf(standard.rule_base());
  for (const char* example : {"sparse.yaml", "overloaded-it.yaml", "it-last-to-know.yaml",
                              "missed-market-shift.yaml", "healthy.yaml"}) {
    auto assessment = ReadAssessmentFile(kSource / "examples/assessments" / example,
                                         &standard.rule_base().schema());
    ASSERT_TRUE(assessment.ok()) << assessment.status();
    ExpectWaitingRulesInOrder(standard, *pool, baseline, *assessment, example);
  }
  RandomAssessments random(standard.rule_base(), 20261128);
  for (int round = 0; round < 100; ++round) {
    ExpectWaitingRulesInOrder(standard, *pool, baseline, random.Next(),
                              "round " + std::to_string(round));
    if (testing::Test::HasFailure()) return;
  }
  for (uint32_t seed = 1; seed <= 8; ++seed) {
    std::shared_ptr<const RuleBase> rules = CompileGeneratedRuleBase(seed);
    ASSERT_NE(rules, nullptr);
    Engine generated(rules);
    auto generated_pool = std::make_shared<EvaluationPool>(rules);
    const Evaluation generated_baseline = BaselineOf(*rules);
    std::mt19937 draw(seed);
    for (int round = 0; round < 25; ++round) {
      proto::Assessment assessment;
      for (int i = 0; i < 12; ++i) {
        if (draw() % 2 == 0) continue;  // half unknown
        (*assessment.mutable_observations())["n" + std::to_string(i)].set_number(
            5 * static_cast<int>(draw() % 21));
      }
      ExpectWaitingRulesInOrder(generated, *generated_pool, generated_baseline, assessment,
                                "seed " + std::to_string(seed) + " round " +
                                    std::to_string(round));
      if (testing::Test::HasFailure()) return;
    }
  }
}

// The sparse example: the rules it answers in part come first, the four waiting for one
// indicator ahead of the rest.
TEST(WaitingRules, SparseExampleListsWhatItAnswersInPartFirst) {
  Engine engine(StandardRules());
  auto assessment = ReadAssessmentFile(kSource / "examples/assessments/sparse.yaml",
                                       &engine.rule_base().schema());
  ASSERT_TRUE(assessment.ok()) << assessment.status();
  absl::StatusOr<proto::Diagnosis> diagnosis = engine.Diagnose(*assessment);
  ASSERT_TRUE(diagnosis.ok()) << diagnosis.status();
  ASSERT_EQ(diagnosis->would_fire_size(), 10);
  EXPECT_TRUE(diagnosis->would_fire_truncated());
  // Rules that read what the assessment gives and wait for one indicator come first.
  EXPECT_EQ(diagnosis->would_fire(0).rule_id(), "it_not_strategic.support_only_scope");
  EXPECT_THAT(diagnosis->would_fire(0).missing(),
              ::testing::ElementsAre("samm.scope_architecture"));
  for (int i = 1; i < 4; ++i) {
    EXPECT_EQ(diagnosis->would_fire(i).missing_size(), 1) << diagnosis->would_fire(i).text();
  }
  EXPECT_GT(diagnosis->would_fire(4).missing_size(), 1) << diagnosis->would_fire(4).text();
}

// The engine writes a caller's decision id in its place among the fields: the serialiser's
// bytes, with the truncation flag (field 13) after it.
TEST(DiagnoseOptions, DecisionIdIsWrittenInFieldOrder) {
  Engine engine(StandardRules());
  auto assessment = ReadAssessmentFile(kSource / "examples/assessments/sparse.yaml",
                                       &engine.rule_base().schema());
  ASSERT_TRUE(assessment.ok()) << assessment.status();
  DiagnoseOptions options;
  options.decision_id = "0123456789abcdef0123456789abcdef";
  std::string with_id, without_id;
  ASSERT_TRUE(engine.DiagnoseToWire(*assessment, options, &with_id).ok());
  ASSERT_TRUE(engine.DiagnoseToWire(*assessment, DiagnoseOptions(), &without_id).ok());
  proto::Diagnosis parsed;
  ASSERT_TRUE(parsed.ParseFromString(with_id));
  EXPECT_EQ(parsed.decision_id(), options.decision_id);
  EXPECT_TRUE(parsed.would_fire_truncated());
  EXPECT_TRUE(with_id == parsed.SerializeAsString());
  parsed.clear_decision_id();
  EXPECT_TRUE(without_id == parsed.SerializeAsString());
}

// The formatting shortcuts print exactly what the general conversion prints.
std::string ReferenceFormat(double value) {
  if (value == 0) return "0";
  char buffer[64];
  auto rounded = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::general, 6);
  double shown = 0;
  std::from_chars(buffer, rounded.ptr, shown);
  auto result = std::to_chars(buffer, buffer + sizeof buffer, shown);
  return std::string(buffer, result.ptr);
}

TEST(FormatNumber, ShortcutsAgreeWithTheGeneralConversion) {
  std::vector<double> values = {0.0001, 0.00012, 0.001, 0.01, 0.1, 0.2, 0.3, 0.35, 0.44, 1, 7, 12.5,
                                85, 99.99, 100, 9999, 9999.99, 10000, 10000.5, 20000, 99999,
                                100000, 123456, 1234567, 1e15, 1e-7, 0.1 + 0.2, 2.0 / 3, 1e300};
  std::mt19937_64 random(7);
  for (int i = 0; i < 20000; ++i) {
    const double magnitude = std::pow(10.0, static_cast<double>(random() % 15) - 6);
    values.push_back(magnitude * static_cast<double>(random() % 100000) / 997);
    values.push_back(static_cast<double>(static_cast<int64_t>(random() % 2000001) - 1000000) / 100);
  }
  for (double v : values) {
    for (double value : {v, -v}) {
      ASSERT_EQ(FormatNumber(value), ReferenceFormat(value)) << value;
      ASSERT_EQ(FormatHundredths(value), ReferenceFormat(std::round(value * 100) / 100)) << value;
    }
  }
}

}  // namespace
}  // namespace align::inference
