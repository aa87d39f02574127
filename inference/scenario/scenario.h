// Scenario tests for a rule base, like unit tests for knowledge: an assessment plus what its
// diagnosis should say, read from YAML files (format: rules/tests/README.md), run against an
// Engine, with coverage of the rules, conditions and conclusions the scenarios exercise.
//
//   ASSIGN_OR_RETURN(auto rules, LoadRuleBase("rules/"));
//   Engine engine(rules);
//   ScenarioCoverage coverage(*rules);
//   ASSIGN_OR_RETURN(std::vector<Scenario> scenarios,
//                    ReadScenarioFile("rules/tests/examples.yaml", *rules));
//   for (const Scenario& scenario : scenarios) {
//     ASSIGN_OR_RETURN(ScenarioResult result, RunScenario(engine, scenario, &coverage));
//     if (!result.passed()) { /* result.failures: what was expected, what came out, and why */ }
//   }
//   double percent = coverage.rule_percent();
#ifndef ALIGN_INFERENCE_SCENARIO_SCENARIO_H_
#define ALIGN_INFERENCE_SCENARIO_SCENARIO_H_

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "inference/engine.h"
#include "inference/eval/evaluator.h"
#include "inference/lang/diagnostics.h"
#include "inference/rulebase/rule_base.h"
#include "inference/util/proto_alias.h"

namespace align::inference {

enum class ExpectationKind {
  kTop,            // subject: a kind ("cause"); value: the id that must come first, "" for none
  kCertainty,      // subject: a conclusion; range
  kConcluded,      // subject: a conclusion, certainty above 0.2
  kAbsent,         // subject: a conclusion, certainty at most 0.2
  kOrder,          // ids: conclusions, each concluded and more certain than the next
  kCount,          // subject: a kind ("cause"); range: how many of that kind are concluded
  kFirstQuestion,  // value: the indicator asked about first, "" for no open question
  kQuestion,       // subject: an indicator among the open questions
  kFired,          // subject: a rule that fires
  kNotFired,       // subject: a rule that does not fire
  kWouldFire,      // subject: a rule listed under "would fire if …"
  kRegion,         // subject: a service area's name; value: its region's name
  kPortfolio,      // subject: a portfolio figure ("portfolio.alignment_index"); range or unknown
};

// An inclusive range an expected number must fall in.
struct ValueRange {
  double lo = 0;
  double hi = 0;
  bool unknown = false;  // kPortfolio: the figure must be unknown
  std::string text;      // as written: "[0.85, 0.95]", "0.91"
};

struct Expectation {
  ExpectationKind kind = ExpectationKind::kConcluded;
  SourceLocation location;  // where the scenario file states it
  std::string key;          // the key it is written under: "top_cause", "certainty", …
  std::string subject;
  std::string value;
  std::vector<std::string> ids;
  ValueRange range;
};

// One scenario, or one row of a table-driven scenario, ready to run.
struct Scenario {
  std::string name;          // a row's name carries its values: "name [unplanned=55]"
  SourceLocation location;   // the `scenario:` key, or the row
  proto::Assessment assessment;
  std::vector<Expectation> expectations;
};

struct ScenarioFailure {
  SourceLocation location;  // of the expectation
  // "top_cause: expected cause.overwork, got cause.provider_gap (certainty 0.3)"
  std::string message;
  // The HOW / WHY-NOT text of the node concerned (or the rule's line of it); may be empty.
  std::string explanation;
};

struct ScenarioResult {
  std::string name;
  SourceLocation location;
  std::vector<ScenarioFailure> failures;
  bool passed() const { return failures.empty(); }
};

// Parses the scenarios in `text` (YAML; several documents or a top-level list) and checks them
// against the rule base: ids must be declared and of the right kind, assessments valid.
// Assessment paths are relative to `base_dir`. `origin` names the file in errors.
// Errors: InvalidArgument listing every problem, sorted by position, one per line:
//   "<origin>:<line>:<col>: <message>", e.g.
//   "t.yaml:4:14: top_cause: unknown node 'cause.overwrok'; did you mean 'cause.overwork'?"
// Problems in an assessment file read through a path follow its scenario's position.
absl::StatusOr<std::vector<Scenario>> ParseScenarios(std::string_view text,
                                                     const std::string& origin,
                                                     const std::filesystem::path& base_dir,
                                                     const RuleBase& rule_base);

// Reads and parses one scenario file as ParseScenarios, with the path as origin. NotFound if it
// does not exist; FailedPrecondition if it cannot be read.
absl::StatusOr<std::vector<Scenario>> ReadScenarioFile(const std::filesystem::path& path,
                                                       const RuleBase& rule_base);

// The *.yaml and *.yml files under `path` (searched recursively, sorted), or `path` itself when
// it is a file. NotFound when `path` does not exist; FailedPrecondition when it cannot be listed.
absl::StatusOr<std::vector<std::filesystem::path>> FindScenarioFiles(
    const std::filesystem::path& path);

// How one leaf condition of a rule came out over all the scenarios run.
struct ConditionCoverage {
  int rule = -1;     // rule index
  std::string text;  // as written: "work.unplanned > 50"
  bool seen_true = false;
  bool seen_false = false;
};

// What the scenarios run so far exercised of one rule base.
class ScenarioCoverage {
 public:
  explicit ScenarioCoverage(const RuleBase& rule_base);

  // Adds one diagnosis: which rules fired, which leaves came out true or false (leaves waiting
  // for unknowns count as neither), which conclusions were concluded.
  void Record(const Evaluation& evaluation);

  int scenario_count() const { return scenarios_; }
  int rule_count() const { return static_cast<int>(fired_.size()); }
  int rules_fired() const;
  // Percent of rules that fired in at least one scenario; 100 for a rule base without rules.
  double rule_percent() const;
  int condition_count() const { return static_cast<int>(conditions_.size()); }
  // Leaves seen both true and false.
  int conditions_covered() const;
  double condition_percent() const;
  const std::vector<ConditionCoverage>& conditions() const { return conditions_; }
  // Rule ids that never fired, in rule order (sorted by id).
  std::vector<std::string> NeverFired() const;
  // Conclusions (findings, patterns, causes, actions) never concluded, sorted by id.
  std::vector<std::string> NeverConcluded() const;

 private:
  const RuleBase* rule_base_;
  int scenarios_ = 0;
  std::vector<bool> fired_;                    // by rule
  std::vector<bool> concluded_;                // by node
  std::vector<ConditionCoverage> conditions_;  // by rule, then leaf
  std::vector<int> first_condition_;           // by rule: its first entry in conditions_
};

// Diagnoses the scenario's assessment and checks every expectation; records coverage when
// `coverage` is given (it must be for the engine's rule base). Failed expectations are results,
// not errors; InvalidArgument only when the engine refuses the assessment.
absl::StatusOr<ScenarioResult> RunScenario(const Engine& engine, const Scenario& scenario,
                                           ScenarioCoverage* coverage = nullptr);

}  // namespace align::inference

#endif  // ALIGN_INFERENCE_SCENARIO_SCENARIO_H_
