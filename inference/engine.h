// The engine's front door: diagnose an assessment against a compiled rule base, and explain.
//
//   ASSIGN_OR_RETURN(auto rules, LoadRuleBase("rules/"));
//   Engine engine(rules);
//   ASSIGN_OR_RETURN(Assessment assessment,
//                    ReadAssessmentFile("examples/assessments/healthy.yaml", &rules->schema()));
//   ASSIGN_OR_RETURN(proto::Diagnosis diagnosis, engine.Diagnose(assessment));
//
// A caller that reads a few conclusions, or explains only some, can skip writing the whole
// diagnosis:
//
//   ASSIGN_OR_RETURN(Consultation consultation, engine.Consult(assessment));
//   for (int node : consultation.concluded()) { ... consultation.Explain(node) ... }
//
// An Engine is immutable and thread-safe; keep one per rule base and share it.
#ifndef ALIGN_INFERENCE_ENGINE_H_
#define ALIGN_INFERENCE_ENGINE_H_

#include "absl/strings/string_view.h"
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "inference/eval/evaluation_pool.h"
#include "inference/portfolio/portfolio.h"
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
  // Rules waiting for unknowns ("would fire if ..."), those the assessment answers in part
  // first, nearest to firing first (WaitingRules); -1 lists every one, 0 none. A large rule
  // base read against a sparse assessment has thousands (at 10,000 rules, 2.6 MB of answer,
  // most of gRPC's default 4 MiB limit), so the default is a few; the diagnosis says when the
  // list was cut (would_fire_truncated; never with 0, which looks for none).
  static constexpr int kDefaultMaxWouldFire = 10;
  int max_would_fire = kDefaultMaxWouldFire;
  // Attach the HOW explanation to every conclusion.
  bool include_explanations = true;
  // Nodes to explain WHY NOT if they were not concluded.
  std::vector<std::string> why_not;
  // Written as Diagnosis.decision_id: the key a caller that logs its decisions (alignd) gave
  // this one. The engine makes none; empty leaves the field out.
  std::string decision_id;
};

// The wire form of the options (alignment.v1.DiagnoseOptions) as the engine takes them;
// max_questions absent means 5, max_would_fire absent means kDefaultMaxWouldFire and -1 all.
// InvalidArgument naming the field for a negative limit (below -1 for max_would_fire).
absl::StatusOr<DiagnoseOptions> DiagnoseOptionsFromProto(const proto::DiagnoseOptions& options);

// A conclusion as a diagnosis lists it: its node and its certainty as reported (rounded to four
// decimal places).
struct ListedConclusion {
  int node;
  double certainty;
};

// One assessment evaluated against the rule base, before anything is written out. Every rule's
// premise and contribution is kept, so the HOW or WHY-NOT of any node can be rendered on
// demand, and writing a full diagnosis is a separate, optional step. What could still change
// once unknowns are known (conclusions' ranges, rules blocked by an unknown) is worked out the
// first time an explanation or a diagnosis asks for it: a caller that reads only conclusions
// never pays for it. Holds a pooled evaluation until destroyed: keep it for one request, on one
// thread. Movable, not copyable.
class Consultation {
 public:
  Consultation(Consultation&&) noexcept = default;
  Consultation& operator=(Consultation&&) = delete;

  const RuleBase& rule_base() const { return *rule_base_; }
  // Concluded nodes of every kind (certainty above the firing threshold), most certain first,
  // ties by id.
  const std::vector<int>& concluded() const { return concluded_; }
  double certainty(int node) const { return evaluation_->certainty[node]; }
  // HOW `node` was concluded, or WHY NOT, listing every rule that could conclude it.
  // Internal only if the engine wrote bytes that do not parse (a bug). Not const: the first
  // explanation brings the ranges up to date.
  absl::StatusOr<proto::Explanation> Explain(int node);
  // The diagnosis as the API returns it (`out` is cleared first; it may live on an arena):
  // the bytes of WriteDiagnosisWire, parsed. `why_not_nodes`: nodes to explain if they were
  // not concluded. Internal only if those bytes do not parse (a bug).
  absl::Status WriteDiagnosis(const DiagnoseOptions& options, absl::Span<const int> why_not_nodes,
                      proto::Diagnosis* out);
  // Works out now what could still change once unknowns are known (conclusions' ranges, rules
  // blocked by an unknown), which Explain and WriteDiagnosis otherwise do when first called: for
  // a caller that wants that cost paid here, before handing the consultation on. Later calls do
  // nothing.
  void EnsureRanges();
  // Whether EnsureRanges has run (Consult leaves it to the first explanation).
  bool ranges_ready() const { return !evaluation_->ranges_stale; }
  // The same diagnosis as the serialised bytes of alignment.v1.Diagnosis, appended to `out`
  // without building the message: what a service sends. They are what the generated
  // serialiser would write for the same message, byte for byte.
  void WriteDiagnosisWire(const DiagnoseOptions& options, absl::Span<const int> why_not_nodes,
                          std::string* out);
  // The conclusions of `kind` that the diagnosis lists under `options`, in its order (most
  // certain first, cut at the kind's limit). Empty for indicators.
  std::vector<ListedConclusion> Listed(NodeKind kind, const DiagnoseOptions& options) const;

 private:
  friend class Engine;
  // `portfolio`: nullopt for an assessment without service areas.
  Consultation(EvaluationPool& pool, std::optional<PortfolioAnalysis> portfolio,
               std::string organisation, std::string date);
  const PortfolioAnalysis& portfolio() const;
  void Conclude();

  // The lease keeps the pool, and so the rule base, alive for as long as the consultation.
  const RuleBase* rule_base_;
  const EvaluationPool* pool_;
  EvaluationPool::Lease evaluation_;
  // Absent for an assessment without service areas, whose analysis is always the same.
  std::optional<PortfolioAnalysis> portfolio_;
  std::string organisation_, date_;
  std::vector<int> concluded_;
};

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
  // The same, written into `out` (cleared first; left as it was on an error). With `out` on a
  // protobuf arena, building the answer costs far fewer allocations.
  absl::Status DiagnoseInto(const proto::Assessment& assessment, const DiagnoseOptions& options,
                            proto::Diagnosis* out) const;

  // The diagnosis as the serialised bytes of alignment.v1.Diagnosis, written into `out`
  // (replaced) without building the message. Same errors as Diagnose; `out` is left empty on
  // an error.
  absl::Status DiagnoseToWire(const proto::Assessment& assessment, const DiagnoseOptions& options,
                              std::string* out) const;
  // The same, appending to `out`, and handing back the consultation behind the bytes (a
  // service logs from it; a caller may explain more nodes with it). Nothing is appended on an
  // error.
  absl::StatusOr<Consultation> ConsultToWire(const proto::Assessment& assessment,
                                             const DiagnoseOptions& options,
                                             std::string* out) const;
  // The node indices of `ids` (why-not lists); NotFound with suggestions for an unknown id.
  absl::StatusOr<std::vector<int>> FindNodes(absl::Span<const std::string> ids) const;

  // Evaluates the assessment and keeps the outcome for questions and explanations, without
  // writing a diagnosis: what a caller needs that reads a few conclusions, or explains on
  // demand. Same errors as Diagnose for a bad assessment. The consultation keeps what it
  // needs alive, and may outlive this engine.
  absl::StatusOr<Consultation> Consult(const proto::Assessment& assessment) const;

  // The node index of a declared id; NotFound with suggestions otherwise.
  absl::StatusOr<int> FindNode(absl::string_view node_id) const;

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
