// Scenario tests for rule bases: the file format, its errors, table rows, running scenarios,
// coverage, and `alignctl rules test` as a rule author sees it.
#include "inference/scenario/scenario.h"

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "clients/cli.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "inference/engine.h"
#include "inference/rulebase/compiler.h"
#include "tests/status_matchers.h"

namespace align::inference {
namespace {

namespace fs = std::filesystem;
using ::align::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

const std::string kSource = ALIGN_SOURCE_DIR;

constexpr char kRules[] = R"(rulebase tiny.test version "0.1.0"
  title: "Tiny test rules"

indicator load: number
  title: "Load"
  unit: "%"
  range: 0 .. 100
indicator tired: bool
  title: "Tired"
  question: "Are people tired?"

finding finding.busy
  title: "Busy"
cause cause.overload
  title: "Overload"
action action.hire
  title: "Hire"

rule busy.high_load:
  when load > 80
  then finding.busy cf 0.8
  because "Load above 80% keeps people busy."
rule busy.low_load:
  when load < 40
  then finding.busy cf -0.5
  because "Little load means nobody is busy."
rule overload.busy_and_tired:
  when finding.busy and tired
  then cause.overload cf 0.9
  because "Busy and tired people are overloaded."
rule hire.overload:
  when cause.overload
  then action.hire cf 0.7
  because "Overload calls for more people."
)";

std::shared_ptr<const RuleBase> Tiny() {
  static const std::shared_ptr<const RuleBase> rules = [] {
    CompileResult result = CompileRuleBase({{"tiny.rules", kRules}});
    EXPECT_EQ(result.diagnostics.Format(), "");
    return result.rule_base;
  }();
  return rules;
}

absl::StatusOr<std::vector<Scenario>> Parse(const std::string& text) {
  return ParseScenarios(text, "t.yaml", fs::path("."), *Tiny());
}

std::vector<Scenario> ParseOk(const std::string& text) {
  absl::StatusOr<std::vector<Scenario>> scenarios = Parse(text);
  EXPECT_TRUE(scenarios.ok()) << scenarios.status();
  return scenarios.ok() ? *scenarios : std::vector<Scenario>{};
}

// A temporary folder for files a test writes.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = fs::temp_directory_path() /
            absl::StrCat("scenario_test_", info->test_suite_name(), "_", info->name());
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string Write(const std::string& name, const std::string& text) const {
    const fs::path file = path_ / name;
    fs::create_directories(file.parent_path());
    std::ofstream(file) << text;
    return file.string();
  }
  std::string path() const { return path_.string(); }

 private:
  fs::path path_;
};

// ---------------------------------------------------------------------------------------------
// The format.

TEST(ScenarioFormat, ReadsEveryExpectationWithItsPosition) {
  std::vector<Scenario> scenarios = ParseOk(R"(scenario: tired and busy
assessment: {observations: {load: 90, tired: true}}
expect:
  top_cause: cause.overload
  certainty: {finding.busy: [0.75, 0.85], cause.overload: 0.72}
  concluded: {action.hire: true, finding.busy: false}
  absent: [cause.overload]
  fired: [busy.high_load]
  first_question: none
)");
  ASSERT_THAT(scenarios, SizeIs(1));
  const Scenario& s = scenarios[0];
  EXPECT_EQ(s.name, "tired and busy");
  EXPECT_EQ(s.location.line, 1);
  EXPECT_EQ(s.assessment.observations().at("load").number(), 90);
  EXPECT_TRUE(s.assessment.observations().at("tired").flag());
  ASSERT_THAT(s.expectations, SizeIs(8));

  const Expectation& top = s.expectations[0];
  EXPECT_EQ(top.kind, ExpectationKind::kTop);
  EXPECT_EQ(top.subject, "cause");
  EXPECT_EQ(top.value, "cause.overload");
  EXPECT_EQ(top.location.file, "t.yaml");
  EXPECT_EQ(top.location.line, 4);
  EXPECT_EQ(top.location.column, 14);

  const Expectation& range = s.expectations[1];
  EXPECT_EQ(range.kind, ExpectationKind::kCertainty);
  EXPECT_EQ(range.subject, "finding.busy");
  EXPECT_EQ(range.range.lo, 0.75);
  EXPECT_EQ(range.range.hi, 0.85);
  EXPECT_EQ(range.range.text, "[0.75, 0.85]");
  EXPECT_EQ(range.location.line, 5);
  EXPECT_EQ(range.location.column, 15);

  const Expectation& number = s.expectations[2];
  EXPECT_DOUBLE_EQ(number.range.lo, 0.715);
  EXPECT_DOUBLE_EQ(number.range.hi, 0.725);

  EXPECT_EQ(s.expectations[3].kind, ExpectationKind::kConcluded);
  EXPECT_EQ(s.expectations[4].kind, ExpectationKind::kAbsent);  // concluded: {id: false}
  EXPECT_EQ(s.expectations[4].subject, "finding.busy");
  EXPECT_EQ(s.expectations[5].kind, ExpectationKind::kAbsent);
  EXPECT_EQ(s.expectations[6].kind, ExpectationKind::kFired);
  EXPECT_EQ(s.expectations[7].kind, ExpectationKind::kFirstQuestion);
  EXPECT_EQ(s.expectations[7].value, "");
}

TEST(ScenarioFormat, DocumentsAndTopLevelListsBothHoldScenarios) {
  std::vector<Scenario> scenarios = ParseOk(R"(scenario: one
assessment: {observations: {load: 10}}
expect: {absent: [finding.busy]}
---
- scenario: two
  assessment: {observations: {load: 20}}
  expect: {absent: [finding.busy]}
- scenario: three
  assessment: {observations: {load: 30}}
  expect: {absent: [finding.busy]}
---
)");
  ASSERT_THAT(scenarios, SizeIs(3));
  EXPECT_EQ(scenarios[0].name, "one");
  EXPECT_EQ(scenarios[1].name, "two");
  EXPECT_EQ(scenarios[1].location.line, 5);
  EXPECT_EQ(scenarios[2].name, "three");
}

TEST(ScenarioFormat, AssessmentPathsAreRelativeToTheScenarioFile) {
  TempDir dir;
  dir.Write("assessments/busy.yaml", "observations: {load: 95, tired: true}\n");
  const std::string file = dir.Write("tests/t.yaml", R"(scenario: from a file
assessment: ../assessments/busy.yaml
observations: {tired: false}
expect: {absent: [cause.overload]}
)");
  absl::StatusOr<std::vector<Scenario>> scenarios = ReadScenarioFile(file, *Tiny());
  ASSERT_TRUE(scenarios.ok()) << scenarios.status();
  const proto::Assessment& assessment = (*scenarios)[0].assessment;
  EXPECT_EQ(assessment.observations().at("load").number(), 95);
  // `observations` overrides what the file says.
  EXPECT_FALSE(assessment.observations().at("tired").flag());
}

TEST(ScenarioFormat, ErrorsNameFileLineAndColumnWithSuggestions) {
  EXPECT_THAT(Parse(R"(scenario: typos
assessment: {observations: {load: 90}}
expect:
  top_cause: cause.overlaod
  top_action: cause.overload
  concluded: [finding.bussy, load]
  fired: [busy.high_loads]
  certainty: {finding.busy: [0.9, 0.1]}
  count: {cause: 1}
  first_question: finding.busy
  regions: {Nowhere: aligned}
  top_causes: cause.overload
colour: blue
)"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "t.yaml:4:14: top_cause: unknown node 'cause.overlaod'; did you mean "
                       "'cause.overload'?\n"
                       "t.yaml:5:15: top_action: 'cause.overload' is a cause, not an action\n"
                       "t.yaml:6:15: concluded: unknown node 'finding.bussy'; did you mean "
                       "'finding.busy'?\n"
                       "t.yaml:6:30: concluded: 'load' is an indicator; expectations name "
                       "findings, patterns, causes or actions\n"
                       "t.yaml:7:11: fired: unknown rule 'busy.high_loads'; did you mean "
                       "'busy.high_load' or 'busy.low_load'?\n"
                       "t.yaml:8:29: certainty finding.busy: the range [0.9, 0.1] is empty; "
                       "write [low, high]\n"
                       "t.yaml:9:11: count: expected findings, patterns, causes or actions, got "
                       "'cause'; did you mean 'causes'?\n"
                       "t.yaml:10:19: first_question: 'finding.busy' is a finding, not an "
                       "indicator\n"
                       "t.yaml:11:13: regions: the assessment has no service area named "
                       "'Nowhere'\n"
                       "t.yaml:12:15: unknown expectation 'top_causes'; did you mean "
                       "'top_cause'?\n"
                       "t.yaml:13:1: unknown key 'colour'"));
}

TEST(ScenarioFormat, InlineAssessmentErrorsPointIntoTheScenarioFile) {
  EXPECT_THAT(Parse(R"(scenario: bad observations
assessment:
  organisation: Test
  observations:
    lod: 90
    tired: maybe
    load: 101
expect: {absent: [finding.busy]}
)"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "t.yaml:5:5: observations[\"lod\"]: undeclared indicator; did you mean "
                       "'load'?\n"
                       "t.yaml:6:12: observations[\"tired\"]: expected true or false, got "
                       "\"maybe\"\n"
                       "t.yaml:7:11: observations[\"load\"]: expected a number in [0, 100] %, "
                       "got 101"));
}

TEST(ScenarioFormat, MissingFilesAndMissingKeysAreErrors) {
  EXPECT_THAT(Parse("scenario: no file\nassessment: nowhere.yaml\nexpect: {top_cause: none}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "t.yaml:2:13: assessment: nowhere.yaml: no such file"));
  EXPECT_THAT(Parse("scenario: nothing expected\nassessment: {organisation: x}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "t.yaml:1:1: a scenario needs 'expect'"));
  EXPECT_THAT(Parse("- 42\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "t.yaml:1:3: expected a scenario (a map with scenario, assessment and "
                       "expect), got \"42\""));
  EXPECT_THAT(Parse("# only a comment\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, "t.yaml: no scenarios"));
  EXPECT_THAT(ReadScenarioFile("/nonexistent/t.yaml", *Tiny()),
              StatusIs(absl::StatusCode::kNotFound, "/nonexistent/t.yaml: no such file"));
}

TEST(ScenarioFormat, MalformedYamlIsAnErrorNotACrash) {
  EXPECT_THAT(Parse("scenario: [unclosed\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("t.yaml:2:1: ")));
  // yaml-cpp's LoadAll loops forever on this; the scenario reader must not.
  EXPECT_THAT(Parse(","), StatusIs(absl::StatusCode::kInvalidArgument, "t.yaml:1:1: unexpected ','"));
  EXPECT_THAT(Parse("scenario: x\nscenario: y\nassessment: {}\nexpect: {top_cause: none}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "t.yaml:2:1: scenario: given twice, first at line 1"));
}

// ---------------------------------------------------------------------------------------------
// Table rows.

TEST(ScenarioRows, EachRowIsAScenarioWithItsValuesSubstituted) {
  std::vector<Scenario> scenarios = ParseOk(R"(scenario: load drives busyness
assessment:
  organisation: "Team $$${team}"
  observations: {load: $load}
rows:
  - {team: A, load: 90, busy: true, certainty: [0.7, 0.9]}
  - {team: B, load: 30, busy: false, certainty: -0.5}
expect:
  concluded: {finding.busy: $busy}
  certainty: {finding.busy: $certainty}
)");
  ASSERT_THAT(scenarios, SizeIs(2));
  EXPECT_EQ(scenarios[0].name,
            "load drives busyness [team=A, load=90, busy=true, certainty=[0.7, 0.9]]");
  EXPECT_EQ(scenarios[0].location.line, 6);
  EXPECT_EQ(scenarios[0].assessment.organisation(), "Team $A");
  EXPECT_EQ(scenarios[0].assessment.observations().at("load").number(), 90);
  EXPECT_EQ(scenarios[0].expectations[0].kind, ExpectationKind::kConcluded);
  EXPECT_EQ(scenarios[0].expectations[1].range.text, "[0.7, 0.9]");
  // Expectations keep the position where they are written, not the row's.
  EXPECT_EQ(scenarios[0].expectations[0].location.line, 9);

  EXPECT_EQ(scenarios[1].name, "load drives busyness [team=B, load=30, busy=false, certainty=-0.5]");
  EXPECT_EQ(scenarios[1].assessment.observations().at("load").number(), 30);
  EXPECT_EQ(scenarios[1].expectations[0].kind, ExpectationKind::kAbsent);
  EXPECT_DOUBLE_EQ(scenarios[1].expectations[1].range.lo, -0.505);
}

TEST(ScenarioRows, NamesWithPlaceholdersNameTheirRows) {
  std::vector<Scenario> scenarios = ParseOk(R"(scenario: load at $load%
assessment: {observations: $facts}
rows:
  - {load: 90, facts: {load: 90, tired: true}}
  - {load: 20, facts: {load: 20}}
expect: {certainty: {finding.busy: [-1, 1]}}
)");
  ASSERT_THAT(scenarios, SizeIs(2));
  EXPECT_EQ(scenarios[0].name, "load at 90%");
  EXPECT_TRUE(scenarios[0].assessment.observations().at("tired").flag());
  EXPECT_EQ(scenarios[1].name, "load at 20%");
  EXPECT_EQ(scenarios[1].assessment.observations().count("tired"), 0);
}

TEST(ScenarioRows, ValueErrorsPointAtTheRow) {
  // The bad value comes from row 2, so the error points there.
  EXPECT_THAT(Parse(R"(scenario: rows
assessment: {observations: {load: $load}}
rows:
  - {load: 90}
  - {load: high}
expect: {top_cause: none}
)"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "t.yaml:5:12: observations[\"load\"]: expected a number in [0, 100] %, "
                       "got \"high\""));
}

TEST(ScenarioRows, MissingAndUnusedValuesAreErrors) {
  EXPECT_THAT(Parse(R"(scenario: rows
assessment: {observations: {load: $load}}
rows:
  - {load: 90, lod: 1}
  - {lad: 3}
expect: {concluded: [$node]}
)"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "t.yaml:2:35: $load: row 2 gives no value for it; did you mean 'lad'?\n"
                       "t.yaml:4:16: rows: lod is not used by the scenario (no $lod)\n"
                       "t.yaml:5:6: rows: lad is not used by the scenario (no $lad)\n"
                       "t.yaml:6:22: $node: row 1 gives no value for it; did you mean 'lod'?\n"
                       "t.yaml:6:22: $node: row 2 gives no value for it"));
  EXPECT_THAT(Parse("scenario: $x\nassessment: {}\nexpect: {top_cause: none}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "t.yaml:1:11: $x: placeholders take their values from 'rows', and this "
                       "scenario has none; write $$ for a literal $"));
}

// ---------------------------------------------------------------------------------------------
// Running.

ScenarioResult RunOne(const std::string& text, ScenarioCoverage* coverage = nullptr) {
  std::vector<Scenario> scenarios = ParseOk(text);
  EXPECT_THAT(scenarios, SizeIs(1));
  Engine engine(Tiny());
  absl::StatusOr<ScenarioResult> result = RunScenario(engine, scenarios.at(0), coverage);
  EXPECT_TRUE(result.ok()) << result.status();
  return *result;
}

TEST(RunScenario, PassesWhenEveryExpectationHolds) {
  ScenarioResult result = RunOne(R"(scenario: busy and tired
assessment: {observations: {load: 90, tired: true}}
expect:
  top_cause: cause.overload
  top_pattern: none
  certainty: {finding.busy: 0.8, cause.overload: 0.72, action.hire: [0.5, 0.51]}
  order: [finding.busy, cause.overload, action.hire]
  count: {causes: 1, patterns: 0, actions: [1, 3]}
  fired: {busy.high_load: true, busy.low_load: false}
  first_question: none
)");
  EXPECT_TRUE(result.passed());
  EXPECT_THAT(result.failures, IsEmpty());
}

TEST(RunScenario, AFailureShowsExpectedActualAndWhyNot) {
  ScenarioResult result = RunOne(R"(scenario: busy but rested
assessment: {observations: {load: 90, tired: false}}
expect:
  concluded: [cause.overload]
)");
  ASSERT_THAT(result.failures, SizeIs(1));
  const ScenarioFailure& failure = result.failures[0];
  EXPECT_EQ(failure.location.line, 4);
  EXPECT_EQ(failure.location.column, 15);
  EXPECT_EQ(failure.message,
            "concluded cause.overload: expected certainty above 0.2, got 0");
  EXPECT_EQ(failure.explanation,
            "Overload (cause.overload) was not concluded (certainty 0).\n"
            "- rule overload.busy_and_tired did not fire: it needs tired to be true, the "
            "assessment says false. Because: Busy and tired people are overloaded.");
}

TEST(RunScenario, OpenQuestionsAndWaitingRules) {
  ScenarioResult result = RunOne(R"(scenario: tiredness unknown
assessment: {observations: {load: 90}}
expect:
  first_question: tired
  questions: [tired]
  would_fire: [overload.busy_and_tired]
  not_fired: [overload.busy_and_tired]
  top_cause: cause.overload
)");
  ASSERT_THAT(result.failures, SizeIs(1));
  EXPECT_EQ(result.failures[0].message,
            "top_cause: expected cause.overload, got none (no cause concluded)");
  EXPECT_THAT(result.failures[0].explanation,
              HasSubstr("rule overload.busy_and_tired would fire if tired were known"));
}

TEST(RunScenario, RuleAndRegionFailures) {
  ScenarioResult result = RunOne(R"(scenario: wrong guesses
assessment:
  observations: {load: 30}
  service_areas:
    - {name: Payroll, strategic_intent: true, demand: high, opportunity: true,
       capability: {level: high}}
expect:
  fired: [busy.high_load]
  regions: {Payroll: unmet_demand}
  portfolio: {alignment_index: 50, intent_coverage: 100}
)");
  ASSERT_THAT(result.failures, SizeIs(3));
  EXPECT_EQ(result.failures[0].message,
            "fired busy.high_load: expected the rule to fire, but it did not fire (premise -1)");
  EXPECT_EQ(result.failures[0].explanation,
            "rule busy.high_load did not fire: it needs load above 80%, the assessment says "
            "30%. Because: Load above 80% keeps people busy.");
  EXPECT_EQ(result.failures[1].message,
            "regions \"Payroll\": expected unmet_demand, got aligned");
  EXPECT_EQ(result.failures[1].explanation,
            "\"Payroll\" is in aligned: strategic intent yes, market space no, demand high, "
            "opportunity yes, capability high.");
  EXPECT_EQ(result.failures[2].message, "portfolio alignment_index: expected 50, got 100");
}

// ---------------------------------------------------------------------------------------------
// Coverage.

TEST(ScenarioCoverage, CountsRulesConditionsAndConclusions) {
  ScenarioCoverage coverage(*Tiny());
  EXPECT_EQ(coverage.rule_count(), 4);
  EXPECT_EQ(coverage.condition_count(), 5);

  // Tiredness unknown: its leaf and the cause's leaf downstream count as neither.
  RunOne("scenario: a\nassessment: {observations: {load: 90}}\nexpect: {top_cause: none}\n",
      &coverage);
  EXPECT_EQ(coverage.scenario_count(), 1);
  EXPECT_EQ(coverage.rules_fired(), 1);
  EXPECT_DOUBLE_EQ(coverage.rule_percent(), 25);
  EXPECT_EQ(coverage.conditions_covered(), 0);
  EXPECT_THAT(coverage.NeverFired(),
              ElementsAre("busy.low_load", "hire.overload", "overload.busy_and_tired"));
  EXPECT_THAT(coverage.NeverConcluded(), ElementsAre("action.hire", "cause.overload"));
  const ConditionCoverage& load = coverage.conditions()[0];
  EXPECT_EQ(load.text, "load > 80");
  EXPECT_TRUE(load.seen_true);
  EXPECT_FALSE(load.seen_false);

  RunOne("scenario: b\nassessment: {observations: {load: 90, tired: true}}\n"
      "expect: {top_cause: cause.overload}\n",
      &coverage);
  EXPECT_EQ(coverage.rules_fired(), 3);
  EXPECT_THAT(coverage.NeverConcluded(), IsEmpty());
  EXPECT_EQ(coverage.conditions_covered(), 0);

  RunOne("scenario: c\nassessment: {observations: {load: 30, tired: false}}\n"
      "expect: {top_cause: none}\n",
      &coverage);
  EXPECT_EQ(coverage.rules_fired(), 4);
  EXPECT_DOUBLE_EQ(coverage.rule_percent(), 100);
  EXPECT_EQ(coverage.conditions_covered(), 5);
  EXPECT_DOUBLE_EQ(coverage.condition_percent(), 100);
  EXPECT_THAT(coverage.NeverFired(), IsEmpty());
}

// ---------------------------------------------------------------------------------------------
// `alignctl rules test`.

struct CliRun {
  int code;
  std::string out;
  std::string err;
};

CliRun Alignctl(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  const int code = clients::RunAlignctl(args, out, err);
  return {code, out.str(), err.str()};
}

TEST(RulesTestCommand, PrintsEachFailureWithItsWhyNotAndTheCoverage) {
  TempDir dir;
  dir.Write("tiny.rules", kRules);
  dir.Write("tests/overload.yaml", R"(scenario: busy and tired people are overloaded
assessment: {observations: {load: 90, tired: true}}
expect: {top_cause: cause.overload}
---
scenario: busy but rested
assessment: {observations: {load: 90, tired: false}}
expect:
  concluded: [cause.overload]
)");
  CliRun run = Alignctl({"rules", "test", dir.path()});
  EXPECT_EQ(run.code, 1);
  EXPECT_EQ(run.err, "");
  EXPECT_EQ(absl::StrReplaceAll(run.out, {{dir.path(), "DIR"}}),
            "PASS busy and tired people are overloaded\n"
            "FAIL busy but rested\n"
            "  DIR/tests/overload.yaml:8:15: concluded cause.overload: expected certainty above "
            "0.2, got 0\n"
            "    Overload (cause.overload) was not concluded (certainty 0).\n"
            "    - rule overload.busy_and_tired did not fire: it needs tired to be true, the "
            "assessment says false. Because: Busy and tired people are overloaded.\n"
            "\n"
            "2 scenarios, 1 passed, 1 failed\n"
            "rules: 3/4 fired (75.0%)\n"
            "conditions: 2/5 seen both true and false (40.0%)\n"
            "never fired: busy.low_load\n");
}

TEST(RulesTestCommand, CoverageBelowTheThresholdFailsTheRun) {
  TempDir dir;
  dir.Write("tiny.rules", kRules);
  dir.Write("tests/t.yaml", R"(scenario: busy and tired
assessment: {observations: {load: 90, tired: true}}
expect: {top_cause: cause.overload}
)");
  CliRun pass = Alignctl({"rules", "test", dir.path(), "--coverage-threshold", "75"});
  EXPECT_EQ(pass.code, 0) << pass.out;
  CliRun fail = Alignctl({"rules", "test", dir.path(), "--coverage-threshold=80"});
  EXPECT_EQ(fail.code, 1);
  EXPECT_THAT(fail.out, HasSubstr("PASS busy and tired\n"));
  EXPECT_THAT(fail.out,
              HasSubstr("FAIL coverage: 75.0% of the rules of tiny.test fired, below the "
                        "threshold of 80%\n"));
}

TEST(RulesTestCommand, BrokenFilesAreReportedAndTheOthersStillRun) {
  TempDir dir;
  dir.Write("tiny.rules", kRules);
  dir.Write("tests/a.yaml", "scenario: typo\nassessment: {}\nexpect: {top_cause: cause.overlod}\n");
  dir.Write("tests/b.yaml",
            "scenario: fine\nassessment: {observations: {load: 10}}\nexpect: {top_cause: none}\n");
  CliRun run = Alignctl({"rules", "test", dir.path()});
  EXPECT_EQ(run.code, 1);
  EXPECT_THAT(absl::StrReplaceAll(run.out, {{dir.path(), "DIR"}}),
              HasSubstr("ERROR DIR/tests/a.yaml\n"
                        "  DIR/tests/a.yaml:3:21: top_cause: unknown node 'cause.overlod'; did "
                        "you mean 'cause.overload'?\n"
                        "PASS fine\n\n"
                        "1 scenario, 1 passed, 0 failed, 1 file with errors\n"));
}

TEST(RulesTestCommand, JsonReportsScenariosAndCoverage) {
  TempDir dir;
  dir.Write("tiny.rules", kRules);
  dir.Write("elsewhere/t.yaml", R"(scenario: busy and tired
assessment: {observations: {load: 90, tired: true}}
expect: {top_cause: cause.overload}
)");
  CliRun run = Alignctl({"rules", "test", dir.path(), "--scenarios", dir.path() + "/elsewhere",
                         "--format", "json"});
  EXPECT_EQ(run.code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("\"name\": \"busy and tired\""));
  EXPECT_THAT(run.out, HasSubstr("\"summary\": {\"scenarios\": 1, \"passed\": 1, \"failed\": 0"));
  EXPECT_THAT(run.out,
              HasSubstr("\"rules\": {\"fired\": 3, \"total\": 4, \"percent\": 75.0}"));
  EXPECT_THAT(run.out, HasSubstr("\"never_fired\": [\"busy.low_load\"]"));
}

TEST(RulesTestCommand, UsageErrors) {
  CliRun no_dir = Alignctl({"rules", "test"});
  EXPECT_EQ(no_dir.code, 2);
  EXPECT_THAT(no_dir.err, HasSubstr("alignctl: rules test takes one rule folder\n"));
  CliRun threshold = Alignctl({"rules", "test", "rules", "--coverage-threshold", "lots"});
  EXPECT_EQ(threshold.code, 2);
  EXPECT_EQ(threshold.err,
            "alignctl: --coverage-threshold expects a percentage from 0 to 100, got 'lots'\n");
  CliRun format = Alignctl({"rules", "test", "rules", "--format", "dot"});
  EXPECT_EQ(format.code, 2);
  CliRun missing = Alignctl({"rules", "test", "/nonexistent"});
  EXPECT_EQ(missing.code, 1);
  EXPECT_EQ(missing.err, "alignctl: /nonexistent: no such file or folder\n");
}

TEST(RulesTestCommand, TheStandardRuleBasePassesItsScenariosWithFullRuleCoverage) {
  CliRun run = Alignctl({"rules", "test", kSource + "/rules", "--coverage-threshold", "90"});
  EXPECT_EQ(run.code, 0) << run.out;
  EXPECT_THAT(run.out, HasSubstr(" 0 failed\nrules: 155/155 fired (100.0%)\n"));
}

}  // namespace
}  // namespace align::inference
