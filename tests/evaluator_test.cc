// The evaluator: condition degrees, three-valued logic over unknowns, the firing threshold,
// MYCIN combination, chained conclusions and the built-in portfolio figures.
#include "inference/eval/evaluator.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "inference/eval/certainty.h"
#include "inference/portfolio/portfolio.h"
#include "inference/rulebase/compiler.h"
#include "inference/util/proto_alias.h"

namespace align::inference {
namespace {

// Indicators and conclusions the tests' rules use. Conclusions a test leaves alone only draw
// "never concluded" warnings, which do not matter here.
constexpr char kDeclarations[] = R"(rulebase eval.test version "1"
  title: "Evaluator test rules"

indicator load: number
  title: "Load"
  unit: "%"
  range: 0 .. 100
indicator backlog: number
  title: "Backlog"
indicator t: bool
  title: "A flag given as true"
indicator f: bool
  title: "A flag given as false"
indicator u: bool
  title: "A flag never given"
indicator trend: choice {improving, flat, worsening}
  title: "Trend"

finding finding.f
  title: "Finding"
cause cause.a
  title: "A"
cause cause.b
  title: "B"
cause cause.c
  title: "C"
cause cause.d
  title: "D"
cause cause.e
  title: "E"
cause cause.g
  title: "G"
)";

std::shared_ptr<const RuleBase> CompileOrDie(const std::vector<SourceFile>& files) {
  CompileResult result = CompileRuleBase(files);
  EXPECT_EQ(result.diagnostics.error_count(), 0) << result.diagnostics.Format();
  return result.rule_base;
}

std::shared_ptr<const RuleBase> Rules(const std::string& rules) {
  return CompileOrDie({{"rules/declarations.rules", kDeclarations}, {"rules/test.rules", rules}});
}

proto::Observation& Observe(proto::Assessment& assessment, const std::string& id) {
  return (*assessment.mutable_observations())[id];
}
void SetNumber(proto::Assessment& a, const std::string& id, double value, double confidence = 0) {
  Observe(a, id).set_number(value);
  Observe(a, id).set_confidence(confidence);
}
void SetFlag(proto::Assessment& a, const std::string& id, bool value) {
  Observe(a, id).set_flag(value);
}
void SetChoice(proto::Assessment& a, const std::string& id, const std::string& value) {
  Observe(a, id).set_choice(value);
}

// t is true, f is false, u is never given; the caller adds the rest.
proto::Assessment BaseAssessment() {
  proto::Assessment assessment;
  SetFlag(assessment, "t", true);
  SetFlag(assessment, "f", false);
  return assessment;
}

// One diagnosis' worth of evaluation, with lookups by id.
class Evaluated {
 public:
  Evaluated(std::shared_ptr<const RuleBase> rules, const proto::Assessment& assessment)
      : rules_(std::move(rules)), evaluation_(*rules_) {
    LoadFacts(*rules_, assessment, AnalysePortfolio(assessment), evaluation_);
    EvaluateAll(*rules_, evaluation_);
  }

  double Certainty(const std::string& id) const {
    return evaluation_.certainty[Node(id)];
  }
  const RuleState& StateOf(const std::string& id) const {
    auto index = rules_->FindRule(id);
    EXPECT_TRUE(index.has_value()) << id;
    return evaluation_.rules[index.value_or(0)];
  }
  // The rule's contribution to its conclusion, from its state and its cf.
  double ContributionOf(const std::string& id) const {
    auto index = rules_->FindRule(id);
    EXPECT_TRUE(index.has_value()) << id;
    return StateOf(id).contribution(rules_->Core(index.value_or(0)).cf);
  }
  const Fact& FactOf(const std::string& id) const { return evaluation_.facts[Node(id)]; }
  const Evaluation& evaluation() const { return evaluation_; }

 private:
  int Node(const std::string& id) const {
    auto node = rules_->FindNode(id);
    EXPECT_TRUE(node.has_value()) << id;
    return node.value_or(0);
  }

  std::shared_ptr<const RuleBase> rules_;
  Evaluation evaluation_;
};

MATCHER_P2(PremiseIs, lo, hi, "") {
  *result_listener << "premise [" << arg.premise.lo << ", " << arg.premise.hi << "]";
  return arg.premise.lo == lo && arg.premise.hi == hi;
}

// --- Degrees of single conditions ------------------------------------------------------------

TEST(Evaluator, ComparisonDegreeIsPlusOrMinusTheConfidence) {
  auto rules = Rules("rule r: when load > 50 then cause.a cf 0.5\n");
  proto::Assessment high = BaseAssessment();
  SetNumber(high, "load", 60, 0.8);
  Evaluated fired(rules, high);
  EXPECT_THAT(fired.StateOf("r"), PremiseIs(0.8, 0.8));
  EXPECT_EQ(fired.StateOf("r").status(), RuleStatus::kFired);
  EXPECT_EQ(fired.ContributionOf("r"), 0.5 * 0.8);
  EXPECT_EQ(fired.Certainty("cause.a"), 0.5 * 0.8);

  proto::Assessment low = BaseAssessment();
  SetNumber(low, "load", 40, 0.8);
  Evaluated failed(rules, low);
  EXPECT_THAT(failed.StateOf("r"), PremiseIs(-0.8, -0.8));
  EXPECT_EQ(failed.StateOf("r").status(), RuleStatus::kFailed);
  EXPECT_EQ(failed.ContributionOf("r"), 0.0);
  EXPECT_EQ(failed.Certainty("cause.a"), 0.0);

  // A confidence of 0 (not given) counts as 1.
  proto::Assessment sure = BaseAssessment();
  SetNumber(sure, "load", 60);
  EXPECT_THAT(Evaluated(rules, sure).StateOf("r"), PremiseIs(1.0, 1.0));
}

// Below, at and above the threshold, for every operator: each one accepts exactly its own
// orderings. -0.0 is equal to 0, and a comparison of a conclusion's certainty works the same.
TEST(Evaluator, EveryComparisonOperatorBelowAtAndAbove) {
  auto rules = Rules(R"(rule lt: when load < 50 then cause.a
rule le: when load <= 50 then cause.a
rule gt: when load > 50 then cause.a
rule ge: when load >= 50 then cause.a
rule eq: when load = 50 then cause.a
rule ne: when load != 50 then cause.a
)");
  struct Case {
    double load;
    bool lt, le, gt, ge, eq, ne;
  };
  for (const Case& c : {Case{49, true, true, false, false, false, true},
                        Case{50, false, true, false, true, true, false},
                        Case{51, false, false, true, true, false, true}}) {
    proto::Assessment assessment = BaseAssessment();
    SetNumber(assessment, "load", c.load);
    Evaluated e(rules, assessment);
    auto truth = [](bool holds) { return holds ? 1.0 : -1.0; };
    EXPECT_THAT(e.StateOf("lt"), PremiseIs(truth(c.lt), truth(c.lt))) << c.load;
    EXPECT_THAT(e.StateOf("le"), PremiseIs(truth(c.le), truth(c.le))) << c.load;
    EXPECT_THAT(e.StateOf("gt"), PremiseIs(truth(c.gt), truth(c.gt))) << c.load;
    EXPECT_THAT(e.StateOf("ge"), PremiseIs(truth(c.ge), truth(c.ge))) << c.load;
    EXPECT_THAT(e.StateOf("eq"), PremiseIs(truth(c.eq), truth(c.eq))) << c.load;
    EXPECT_THAT(e.StateOf("ne"), PremiseIs(truth(c.ne), truth(c.ne))) << c.load;
  }

  auto zero = Rules(R"(rule eq: when backlog = 0 then cause.a
rule ne: when backlog != 0 then cause.a
rule lt: when backlog < 0 then cause.a
rule ge: when backlog >= 0 then cause.a
)");
  proto::Assessment assessment = BaseAssessment();
  SetNumber(assessment, "backlog", -0.0);
  Evaluated e(zero, assessment);
  EXPECT_THAT(e.StateOf("eq"), PremiseIs(1.0, 1.0));
  EXPECT_THAT(e.StateOf("ne"), PremiseIs(-1.0, -1.0));
  EXPECT_THAT(e.StateOf("lt"), PremiseIs(-1.0, -1.0));
  EXPECT_THAT(e.StateOf("ge"), PremiseIs(1.0, 1.0));
}

TEST(Evaluator, EveryComparisonOfACertaintyBelowAtAndAbove) {
  auto rules = Rules(R"(rule make_finding: when load > 50 then finding.f cf 0.6
rule lt: when finding.f < 0.6 then cause.a
rule le: when finding.f <= 0.6 then cause.a
rule gt: when finding.f > 0.6 then cause.a
rule ge: when finding.f >= 0.6 then cause.a
rule eq: when finding.f = 0.6 then cause.a
rule ne: when finding.f != 0.6 then cause.a
rule below: when finding.f > 0.5 then cause.b
rule above: when finding.f < 0.7 then cause.b
)");
  proto::Assessment assessment = BaseAssessment();
  SetNumber(assessment, "load", 60);  // finding.f is 0.6 exactly
  Evaluated e(rules, assessment);
  ASSERT_EQ(e.Certainty("finding.f"), 0.6);
  EXPECT_THAT(e.StateOf("lt"), PremiseIs(-1.0, -1.0));
  EXPECT_THAT(e.StateOf("le"), PremiseIs(1.0, 1.0));
  EXPECT_THAT(e.StateOf("gt"), PremiseIs(-1.0, -1.0));
  EXPECT_THAT(e.StateOf("ge"), PremiseIs(1.0, 1.0));
  EXPECT_THAT(e.StateOf("eq"), PremiseIs(1.0, 1.0));
  EXPECT_THAT(e.StateOf("ne"), PremiseIs(-1.0, -1.0));
  EXPECT_THAT(e.StateOf("below"), PremiseIs(1.0, 1.0));
  EXPECT_THAT(e.StateOf("above"), PremiseIs(1.0, 1.0));
  // Unknown load: finding.f could be 0 or 0.6, so only what holds for both is decided.
  Evaluated unknown(rules, BaseAssessment());
  EXPECT_THAT(unknown.StateOf("le"), PremiseIs(1.0, 1.0));
  EXPECT_THAT(unknown.StateOf("gt"), PremiseIs(-1.0, -1.0));
  EXPECT_EQ(unknown.StateOf("ge").possible.lo, -1.0);
  EXPECT_EQ(unknown.StateOf("ge").possible.hi, 1.0);
  EXPECT_EQ(unknown.StateOf("ne").possible.lo, -1.0);
  EXPECT_EQ(unknown.StateOf("ne").possible.hi, 1.0);
}

TEST(Evaluator, BetweenIsInclusive) {
  auto rules = Rules("rule r: when load between 40 and 70 then cause.a\n");
  for (auto [load, degree] : std::vector<std::pair<double, double>>{
           {39.9, -1}, {40, 1}, {55, 1}, {70, 1}, {70.1, -1}}) {
    SCOPED_TRACE(load);
    proto::Assessment assessment = BaseAssessment();
    SetNumber(assessment, "load", load);
    EXPECT_THAT(Evaluated(rules, assessment).StateOf("r"), PremiseIs(degree, degree));
  }
}

TEST(Evaluator, RampRisesLinearlyFromZeroAtTheStartToOneAtTheEnd) {
  auto rules = Rules("rule r: when ramp(load, 20, 70) then cause.a\n");
  for (auto [load, degree] : std::vector<std::pair<double, double>>{
           {0, 0}, {20, 0}, {32.5, 0.25}, {45, 0.5}, {70, 1}, {100, 1}}) {
    SCOPED_TRACE(load);
    proto::Assessment assessment = BaseAssessment();
    SetNumber(assessment, "load", load);
    EXPECT_THAT(Evaluated(rules, assessment).StateOf("r"), PremiseIs(degree, degree));
  }
}

TEST(Evaluator, RampFallsWhenItsStartIsAboveItsEnd) {
  auto rules = Rules("rule r: when ramp(load, 70, 20) then cause.a\n");
  for (auto [load, degree] : std::vector<std::pair<double, double>>{
           {100, 0}, {70, 0}, {57.5, 0.25}, {45, 0.5}, {20, 1}, {0, 1}}) {
    SCOPED_TRACE(load);
    proto::Assessment assessment = BaseAssessment();
    SetNumber(assessment, "load", load);
    EXPECT_THAT(Evaluated(rules, assessment).StateOf("r"), PremiseIs(degree, degree));
  }
}

TEST(Evaluator, RampDegreeIsScaledByConfidence) {
  auto rules = Rules("rule r: when ramp(load, 20, 70) then cause.a\n");
  proto::Assessment assessment = BaseAssessment();
  SetNumber(assessment, "load", 45, 0.5);
  EXPECT_THAT(Evaluated(rules, assessment).StateOf("r"), PremiseIs(0.25, 0.25));
}

TEST(Evaluator, BoolConditions) {
  auto rules = Rules(R"(rule bare: when t then cause.a
rule is_true: when t = true then cause.a
rule is_false: when f = false then cause.a
rule not_true: when f != true then cause.a
rule wrong: when t = false then cause.a
)");
  Evaluated e(rules, BaseAssessment());
  EXPECT_THAT(e.StateOf("bare"), PremiseIs(1.0, 1.0));
  EXPECT_THAT(e.StateOf("is_true"), PremiseIs(1.0, 1.0));
  EXPECT_THAT(e.StateOf("is_false"), PremiseIs(1.0, 1.0));
  EXPECT_THAT(e.StateOf("not_true"), PremiseIs(1.0, 1.0));
  EXPECT_THAT(e.StateOf("wrong"), PremiseIs(-1.0, -1.0));
}

TEST(Evaluator, ChoiceMembership) {
  auto rules = Rules(R"(rule in_set: when trend in {flat, worsening} then cause.a
rule equal: when trend = worsening then cause.b
rule not_equal: when trend != flat then cause.c
)");
  proto::Assessment flat = BaseAssessment();
  SetChoice(flat, "trend", "flat");
  Evaluated on_flat(rules, flat);
  EXPECT_THAT(on_flat.StateOf("in_set"), PremiseIs(1.0, 1.0));
  EXPECT_THAT(on_flat.StateOf("equal"), PremiseIs(-1.0, -1.0));
  EXPECT_THAT(on_flat.StateOf("not_equal"), PremiseIs(-1.0, -1.0));

  proto::Assessment improving = BaseAssessment();
  SetChoice(improving, "trend", "improving");
  Evaluated on_improving(rules, improving);
  EXPECT_THAT(on_improving.StateOf("in_set"), PremiseIs(-1.0, -1.0));
  EXPECT_THAT(on_improving.StateOf("equal"), PremiseIs(-1.0, -1.0));
  EXPECT_THAT(on_improving.StateOf("not_equal"), PremiseIs(1.0, 1.0));
}

TEST(Evaluator, KnownIsDefiniteEvenForAnUnknownIndicator) {
  auto rules = Rules(R"(rule given: when known(load) then cause.a
rule not_given: when known(backlog) then cause.b
)");
  proto::Assessment assessment = BaseAssessment();
  SetNumber(assessment, "load", 10, 0.5);
  Evaluated e(rules, assessment);
  EXPECT_THAT(e.StateOf("given"), PremiseIs(1.0, 1.0));  // confidence does not weaken known()
  EXPECT_EQ(e.StateOf("given").status(), RuleStatus::kFired);
  EXPECT_THAT(e.StateOf("not_given"), PremiseIs(-1.0, -1.0));
  EXPECT_EQ(e.StateOf("not_given").status(), RuleStatus::kFailed);
}

// --- Unknowns --------------------------------------------------------------------------------

TEST(Evaluator, UnknownIndicatorBlocksTheRuleWithTheFullInterval) {
  auto rules = Rules(R"(rule compare: when backlog > 10 then cause.a
rule ramped: when ramp(backlog, 10, 20) then cause.b
rule flag: when u then cause.c
rule on_choice: when trend = flat then cause.d
)");
  Evaluated e(rules, BaseAssessment());
  EXPECT_FALSE(e.FactOf("backlog").known);
  EXPECT_THAT(e.StateOf("compare"), PremiseIs(-1.0, 1.0));
  EXPECT_EQ(e.StateOf("compare").status(), RuleStatus::kBlocked);
  EXPECT_EQ(e.ContributionOf("compare"), 0.0);
  EXPECT_EQ(e.Certainty("cause.a"), 0.0);
  EXPECT_THAT(e.StateOf("ramped"), PremiseIs(0.0, 1.0));  // a ramp's degree lies in [0, 1]
  EXPECT_EQ(e.StateOf("ramped").status(), RuleStatus::kBlocked);
  EXPECT_THAT(e.StateOf("flag"), PremiseIs(-1.0, 1.0));
  EXPECT_EQ(e.StateOf("flag").status(), RuleStatus::kBlocked);
  EXPECT_THAT(e.StateOf("on_choice"), PremiseIs(-1.0, 1.0));
  EXPECT_EQ(e.StateOf("on_choice").status(), RuleStatus::kBlocked);
}

TEST(Evaluator, ThreeValuedLogic) {
  auto rules = Rules(R"(rule false_and_unknown: when f and u then cause.a
rule true_and_unknown: when t and u then cause.b
rule true_or_unknown: when t or u then cause.c
rule false_or_unknown: when f or u then cause.d
rule not_unknown: when not u then cause.e
rule not_false: when not f then cause.g
)");
  Evaluated e(rules, BaseAssessment());
  EXPECT_THAT(e.StateOf("false_and_unknown"), PremiseIs(-1.0, -1.0));
  EXPECT_EQ(e.StateOf("false_and_unknown").status(), RuleStatus::kFailed);
  EXPECT_THAT(e.StateOf("true_and_unknown"), PremiseIs(-1.0, 1.0));
  EXPECT_EQ(e.StateOf("true_and_unknown").status(), RuleStatus::kBlocked);
  EXPECT_THAT(e.StateOf("true_or_unknown"), PremiseIs(1.0, 1.0));
  EXPECT_EQ(e.StateOf("true_or_unknown").status(), RuleStatus::kFired);
  EXPECT_THAT(e.StateOf("false_or_unknown"), PremiseIs(-1.0, 1.0));
  EXPECT_EQ(e.StateOf("false_or_unknown").status(), RuleStatus::kBlocked);
  EXPECT_THAT(e.StateOf("not_unknown"), PremiseIs(-1.0, 1.0));
  EXPECT_EQ(e.StateOf("not_unknown").status(), RuleStatus::kBlocked);
  EXPECT_THAT(e.StateOf("not_false"), PremiseIs(1.0, 1.0));
  EXPECT_EQ(e.StateOf("not_false").status(), RuleStatus::kFired);
  EXPECT_EQ(e.Certainty("cause.c"), 1.0);
  EXPECT_EQ(e.Certainty("cause.b"), 0.0);
}

TEST(Evaluator, AndIsMinimumOrIsMaximumOfDegrees) {
  auto rules = Rules(R"(rule both: when ramp(load, 0, 100) and t then cause.a
rule either: when ramp(load, 0, 100) or f then cause.b
)");
  proto::Assessment assessment = BaseAssessment();
  SetNumber(assessment, "load", 75);
  Evaluated e(rules, assessment);
  EXPECT_THAT(e.StateOf("both"), PremiseIs(0.75, 0.75));
  EXPECT_THAT(e.StateOf("either"), PremiseIs(0.75, 0.75));
}

// --- Firing and combination ------------------------------------------------------------------

TEST(Evaluator, PremiseOfExactlyPointTwoDoesNotFire) {
  auto rules = Rules("rule r: when ramp(load, 0, 100) then cause.a\n");
  proto::Assessment at = BaseAssessment();
  SetNumber(at, "load", 20);
  Evaluated at_threshold(rules, at);
  EXPECT_THAT(at_threshold.StateOf("r"), PremiseIs(0.2, 0.2));
  EXPECT_EQ(at_threshold.StateOf("r").status(), RuleStatus::kFailed);
  EXPECT_EQ(at_threshold.Certainty("cause.a"), 0.0);

  proto::Assessment above = BaseAssessment();
  SetNumber(above, "load", 21);
  Evaluated above_threshold(rules, above);
  EXPECT_THAT(above_threshold.StateOf("r"), PremiseIs(0.21, 0.21));
  EXPECT_EQ(above_threshold.StateOf("r").status(), RuleStatus::kFired);
  EXPECT_EQ(above_threshold.Certainty("cause.a"), 0.21);
}

TEST(Evaluator, ConfidenceOfExactlyPointTwoDoesNotFire) {
  auto rules = Rules("rule r: when load > 50 then cause.a\n");
  proto::Assessment at = BaseAssessment();
  SetNumber(at, "load", 60, 0.2);
  EXPECT_EQ(Evaluated(rules, at).StateOf("r").status(), RuleStatus::kFailed);
  proto::Assessment above = BaseAssessment();
  SetNumber(above, "load", 60, 0.21);
  EXPECT_EQ(Evaluated(rules, above).StateOf("r").status(), RuleStatus::kFired);
  EXPECT_EQ(Evaluated(rules, above).Certainty("cause.a"), 0.21);
}

TEST(Evaluator, ConclusionIsCfTimesPremise) {
  auto rules = Rules("rule r: when ramp(load, 20, 70) then cause.a cf 0.7\n");
  proto::Assessment assessment = BaseAssessment();
  SetNumber(assessment, "load", 45);
  Evaluated e(rules, assessment);
  EXPECT_EQ(e.ContributionOf("r"), 0.7 * 0.5);
  EXPECT_EQ(e.Certainty("cause.a"), 0.7 * 0.5);
  EXPECT_DOUBLE_EQ(e.Certainty("cause.a"), 0.35);
}

TEST(Evaluator, TwoRulesForOneConclusionCombinePerMycin) {
  auto rules = Rules(R"(rule one: when t then cause.a cf 0.6
rule two: when not f then cause.a cf 0.5
)");
  Evaluated e(rules, BaseAssessment());
  EXPECT_EQ(e.ContributionOf("one"), 0.6);
  EXPECT_EQ(e.ContributionOf("two"), 0.5);
  EXPECT_EQ(e.Certainty("cause.a"), CombineCertainty(0.6, 0.5));
  EXPECT_DOUBLE_EQ(e.Certainty("cause.a"), 0.8);  // 0.6 + 0.5 × 0.4
}

TEST(Evaluator, NegativeCfLowersTheCertainty) {
  auto rules = Rules(R"(rule for: when t then cause.a cf 0.8
rule against: when not f then cause.a cf -0.5
rule only_against: when t then cause.b cf -0.5
)");
  Evaluated e(rules, BaseAssessment());
  EXPECT_EQ(e.StateOf("against").status(), RuleStatus::kFired);
  EXPECT_EQ(e.ContributionOf("against"), -0.5);
  EXPECT_DOUBLE_EQ(e.Certainty("cause.a"), 0.6);  // (0.8 - 0.5) / (1 - 0.5)
  EXPECT_EQ(e.Certainty("cause.b"), -0.5);
}

TEST(Evaluator, ChainedConclusionUsesTheFindingsCertainty) {
  auto rules = Rules(R"(rule make_finding: when load > 50 then finding.f cf 0.6
rule use_finding: when finding.f then cause.a cf 0.5
rule threshold: when finding.f > 0.5 then cause.b cf 0.9
)");
  proto::Assessment assessment = BaseAssessment();
  SetNumber(assessment, "load", 60);
  Evaluated e(rules, assessment);
  EXPECT_EQ(e.Certainty("finding.f"), 0.6);
  EXPECT_THAT(e.StateOf("use_finding"), PremiseIs(0.6, 0.6));
  EXPECT_EQ(e.Certainty("cause.a"), 0.5 * 0.6);
  EXPECT_THAT(e.StateOf("threshold"), PremiseIs(1.0, 1.0));  // a comparison of a certainty is ±1
  EXPECT_EQ(e.Certainty("cause.b"), 0.9);
}

TEST(Evaluator, WeakFindingDoesNotFireTheRulesThatReadIt) {
  auto rules = Rules(R"(rule make_finding: when load > 50 then finding.f cf 0.15
rule use_finding: when finding.f then cause.a
)");
  proto::Assessment assessment = BaseAssessment();
  SetNumber(assessment, "load", 60);
  Evaluated e(rules, assessment);
  EXPECT_EQ(e.Certainty("finding.f"), 0.15);
  EXPECT_THAT(e.StateOf("use_finding"), PremiseIs(0.15, 0.15));
  EXPECT_EQ(e.StateOf("use_finding").status(), RuleStatus::kFailed);
  EXPECT_EQ(e.Certainty("cause.a"), 0.0);
}

// ENGINE BUG: a conclusion's certainty is a single number, so a finding that is undecided only
// because `backlog` is unknown reads as certainty 0 downstream: the rule that builds on it is
// kFailed ("did not fire") rather than kBlocked, although knowing `backlog` could make it fire.
// rules/README.md: an unknown is "never false or zero", and such a rule should be listed
// under "would fire if …".
TEST(Evaluator, RuleOnAFindingThatWaitsForAnUnknownIsBlocked) {
  auto rules = Rules(R"(rule make_finding: when backlog > 10 then finding.f
rule use_finding: when finding.f then cause.a
)");
  Evaluated e(rules, BaseAssessment());
  EXPECT_EQ(e.StateOf("make_finding").status(), RuleStatus::kBlocked);
  EXPECT_EQ(e.Certainty("finding.f"), 0.0);
  EXPECT_EQ(e.StateOf("use_finding").status(), RuleStatus::kBlocked);
}

// --- Facts -----------------------------------------------------------------------------------

TEST(Evaluator, ObservationOfTheWrongTypeOrAnUndeclaredIdStaysUnknown) {
  auto rules = Rules("rule r: when load > 50 then cause.a\n");
  proto::Assessment assessment = BaseAssessment();
  SetFlag(assessment, "load", true);
  SetNumber(assessment, "not.declared", 1);
  Evaluated e(rules, assessment);
  EXPECT_FALSE(e.FactOf("load").known);
  EXPECT_EQ(e.StateOf("r").status(), RuleStatus::kBlocked);
}

TEST(Evaluator, BuiltInPortfolioFiguresAreReadableByRules) {
  auto rules = Rules(R"(rule wasted: when portfolio.share.wasted_capability >= 25 then cause.a
rule index: when portfolio.alignment_index < 80 then cause.b
rule used: when portfolio.capability_utilisation between 64 and 66 then cause.c
rule intent: when portfolio.intent_coverage = 100 then cause.d
)");
  proto::Assessment assessment = BaseAssessment();
  proto::ServiceArea* aligned = assessment.add_service_areas();
  aligned->set_name("Analytics");
  aligned->set_weight(3);
  aligned->set_strategic_intent(true);
  aligned->set_demand(proto::LEVEL_HIGH);
  aligned->set_opportunity(true);
  aligned->mutable_capability()->set_level(proto::LEVEL_HIGH);
  aligned->mutable_capability()->set_utilisation(80);
  proto::ServiceArea* wasted = assessment.add_service_areas();
  wasted->set_name("Mainframe");
  wasted->mutable_capability()->set_level(proto::LEVEL_MEDIUM);
  wasted->mutable_capability()->set_utilisation(20);

  Evaluated e(rules, assessment);
  EXPECT_TRUE(e.FactOf("portfolio.share.wasted_capability").known);
  EXPECT_EQ(e.FactOf("portfolio.share.wasted_capability").number, 25.0);
  EXPECT_EQ(e.FactOf("portfolio.share.aligned").number, 75.0);
  EXPECT_EQ(e.FactOf("portfolio.alignment_index").number, 75.0);
  EXPECT_EQ(e.FactOf("portfolio.capability_utilisation").number, 65.0);  // (3×80 + 20) / 4
  EXPECT_EQ(e.FactOf("portfolio.intent_coverage").number, 100.0);
  EXPECT_EQ(e.StateOf("wasted").status(), RuleStatus::kFired);
  EXPECT_EQ(e.StateOf("index").status(), RuleStatus::kFired);
  EXPECT_EQ(e.StateOf("used").status(), RuleStatus::kFired);
  EXPECT_EQ(e.StateOf("intent").status(), RuleStatus::kFired);
}

TEST(Evaluator, PortfolioFiguresAreUnknownWithoutServiceAreas) {
  auto rules = Rules("rule wasted: when portfolio.share.wasted_capability >= 25 then cause.a\n");
  Evaluated e(rules, BaseAssessment());
  EXPECT_FALSE(e.FactOf("portfolio.share.wasted_capability").known);
  EXPECT_EQ(e.StateOf("wasted").status(), RuleStatus::kBlocked);
}

TEST(Evaluator, EvaluateNodesRecomputesOnlyTheGivenNodes) {
  auto rules = Rules(R"(rule make_finding: when load > 50 then finding.f cf 0.6
rule use_finding: when finding.f then cause.a cf 0.5
rule other: when load > 50 then cause.b
)");
  proto::Assessment assessment = BaseAssessment();
  SetNumber(assessment, "load", 60);
  Evaluated e(rules, assessment);
  Evaluation changed = e.evaluation();
  changed.facts[*rules->FindNode("load")].number = 10;
  EvaluateNodes(*rules, {*rules->FindNode("finding.f"), *rules->FindNode("cause.a")}, changed);
  EXPECT_EQ(changed.certainty[*rules->FindNode("finding.f")], 0.0);
  EXPECT_EQ(changed.certainty[*rules->FindNode("cause.a")], 0.0);
  EXPECT_EQ(changed.certainty[*rules->FindNode("cause.b")], 1.0);  // not asked: unchanged
}

// MayFireOnAnswer: whether one answer about an unknown indicator could make a rule fire, with
// the rest of what the rule reads as it is. load and backlog are unknown here.
TEST(Evaluator, MayFireOnAnswerOnlyWhenOneAnswerCanMakeTheRuleFire) {
  auto rules = Rules(R"(rule both_unknown: when load > 50 and backlog > 10 then cause.a
rule with_true: when load > 50 and t then cause.b
rule with_false: when load > 50 and f then cause.c
rule either: when load > 50 or backlog > 10 then cause.d
rule not_both: when not (load > 50 and backlog > 10) then cause.e
rule ramp_and_true: when ramp(load, 40, 60) and t then cause.g
rule same_twice: when load > 50 and load < 20 then finding.f
rule not_unknown: when load > 50 and not u then finding.f
)");
  Evaluation evaluation = Evaluated(rules, BaseAssessment()).evaluation();
  auto may_fire = [&](const std::string& rule, const std::string& indicator) {
    return MayFireOnAnswer(*rules, *rules->FindRule(rule), *rules->FindNode(indicator),
                           evaluation);
  };
  // `x and y` fires only once both are known: neither answer alone can do it.
  EXPECT_FALSE(may_fire("both_unknown", "load"));
  EXPECT_FALSE(may_fire("both_unknown", "backlog"));
  EXPECT_TRUE(may_fire("with_true", "load"));
  EXPECT_FALSE(may_fire("with_false", "load"));
  EXPECT_TRUE(may_fire("either", "load"));
  EXPECT_TRUE(may_fire("either", "backlog"));
  // Under a not, the answer that helps is the one that makes the leaf false: load at 50 or less
  // makes `not (load > 50 and …)` fire whatever backlog is.
  EXPECT_TRUE(may_fire("not_both", "load"));
  EXPECT_TRUE(may_fire("ramp_and_true", "load"));
  // Leaf by leaf, each of load's leaves can hold, though no one value holds both: the answer is
  // a bound, and the trial itself finds that nothing moves.
  EXPECT_TRUE(may_fire("same_twice", "load"));
  EXPECT_FALSE(may_fire("not_unknown", "load"));
  EXPECT_FALSE(may_fire("not_unknown", "u"));
}

TEST(Evaluator, RuleFilesInAnyOrderGiveIdenticalCertainties) {
  // Decimal cfs, whose MYCIN combination in doubles depends on the order of the terms.
  const SourceFile declarations{"rules/declarations.rules", kDeclarations};
  const SourceFile one{"rules/one.rules", R"(rule r1: when t then cause.a cf 0.1
rule r4: when load > 10 then cause.a cf 0.4
rule r7: when ramp(load, 0, 80) then finding.f cf 0.7
)"};
  const SourceFile two{"rules/two.rules", R"(rule r2: when not f then cause.a cf 0.2
rule r5: when finding.f then cause.a cf 0.5
rule r8: when t and load < 90 then cause.a cf -0.35
)"};
  const SourceFile three{"rules/three.rules", R"(rule r3: when load between 0 and 70 then cause.a cf 0.3
rule r6: when trend in {flat} or t then cause.a cf 0.6
rule r9: when finding.f then cause.b cf -0.14
)"};
  proto::Assessment assessment = BaseAssessment();
  SetNumber(assessment, "load", 55, 0.9);

  std::vector<SourceFile> files = {declarations, one, three, two};
  std::sort(files.begin(), files.end(),
            [](const SourceFile& a, const SourceFile& b) { return a.path < b.path; });
  std::vector<double> reference;
  int orders = 0;
  do {
    auto rules = CompileOrDie(files);
    ASSERT_NE(rules, nullptr);
    Evaluated e(rules, assessment);
    if (reference.empty()) {
      reference = e.evaluation().certainty;
      EXPECT_DOUBLE_EQ(e.Certainty("finding.f"), 0.433125);  // 0.7 × 55/80 × 0.9
      EXPECT_DOUBLE_EQ(e.Certainty("cause.b"), -0.0606375);  // -0.14 × 0.433125
      EXPECT_NEAR(e.Certainty("cause.a"), 0.84611045839416, 1e-13);
    } else {
      EXPECT_EQ(e.evaluation().certainty, reference);  // bitwise, not approximately
    }
    ++orders;
  } while (std::next_permutation(
      files.begin(), files.end(),
      [](const SourceFile& a, const SourceFile& b) { return a.path < b.path; }));
  EXPECT_EQ(orders, 24);
}

}  // namespace
}  // namespace align::inference
