// The engine's front door: diagnose an assessment against a compiled rule base, and explain.
//
//   ASSIGN_OR_RETURN(auto rules, LoadRuleBase("rules/"));
//   Engine engine(rules);
//   ASSIGN_OR_RETURN(Assessment assessment,
//                    ReadAssessmentFile("examples/assessments/healthy.yaml", &rules->schema()));
//   ASSIGN_OR_RETURN(proto::Diagnosis diagnosis, engine.Diagnose(assessment));
//
// An Engine is immutable and thread-safe; keep one per rule base and share it.
#ifndef ALIGN_INFERENCE_ENGINE_H_
#define ALIGN_INFERENCE_ENGINE_H_

#include "absl/strings/string_view.h"
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "inference/eval/evaluation_pool.h"
#include "inference/rulebase/rule_base.h"
#include "alignment/v1/advisor.pb.h"
#include "inference/util/proto_alias.h"

namespace align::inference {

struct DiagnoseOptions {
  // How many of each to return, most certain first; 0 returns all that were concluded.
  int max_patterns = 0;
  int max_causes = 0;
  int max_actions = 0;
  int max_questions = 5;
  // Rules waiting for unknowns ("would fire if ..."), in rule id order; -1 lists every one.
  // A large rule base with a sparse assessment has thousands: services usually want a few.
  int max_would_fire = -1;
  // Attach the HOW explanation to every conclusion.
  bool include_explanations = true;
  // Nodes to explain WHY NOT if they were not concluded.
  std::vector<std::string> why_not;
};

// The wire form of the options (alignment.v1.DiagnoseOptions) as the engine takes them;
// max_questions absent means 5. InvalidArgument naming the field for a negative limit.
absl::StatusOr<DiagnoseOptions> DiagnoseOptionsFromProto(const proto::DiagnoseOptions& options);

class Engine {
 public:
  explicit Engine(std::shared_ptr<const RuleBase> rule_base);

  const RuleBase& rule_base() const { return *rule_base_; }
  std::shared_ptr<const RuleBase> shared_rule_base() const { return rule_base_; }

  // Diagnoses the assessment. InvalidArgument (naming the field path) when an observation is
  // undeclared, of the wrong type or out of range, or a service area is malformed; NotFound
  // when a `why_not` id is not declared.
  absl::StatusOr<proto::Diagnosis> Diagnose(const proto::Assessment& assessment,
                                            const DiagnoseOptions& options = {}) const;
  // The same, written into `out` (cleared first). With `out` on a protobuf arena, as the
  // server's response messages are, building the answer costs far fewer allocations.
  absl::Status DiagnoseInto(const proto::Assessment& assessment, const DiagnoseOptions& options,
                            proto::Diagnosis* out) const;

  // HOW `node_id` was concluded, or WHY NOT, listing every rule that could conclude it.
  // NotFound (with suggestions) for an id the rule base does not declare; InvalidArgument for
  // a bad assessment.
  absl::StatusOr<proto::Explanation> Explain(const proto::Assessment& assessment,
                                             absl::string_view node_id) const;

 private:
  std::shared_ptr<const RuleBase> rule_base_;
  // Evaluations to reuse, starting from the baseline; shared by copies of this engine.
  std::shared_ptr<EvaluationPool> pool_;
};

}  // namespace align::inference

#endif  // ALIGN_INFERENCE_ENGINE_H_
