#include "inference/engine.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "inference/eval/certainty.h"
#include "inference/eval/evaluation_pool.h"
#include "inference/eval/evaluator.h"
#include "inference/eval/explanation.h"
#include "inference/eval/questions.h"
#include "inference/io/assessment_reader.h"
#include "inference/portfolio/portfolio.h"
#include "inference/util/status_macros.h"
#include "inference/util/format.h"
#include "inference/util/wire_writer.h"
#include "inference/util/suggest.h"

namespace align::inference {
namespace {

absl::StatusOr<int> ResolveNode(const RuleBase& rule_base, absl::string_view id) {
  if (auto node = rule_base.FindNode(id)) return *node;
  std::vector<absl::string_view> ids;
  for (const NodeInfo& node : rule_base.nodes()) ids.push_back(node.id);
  return absl::NotFoundError(absl::StrCat("unknown node '", id, "'",
                                          DidYouMean(ClosestNames(id, ids))));
}

}  // namespace

absl::StatusOr<DiagnoseOptions> DiagnoseOptionsFromProto(const proto::DiagnoseOptions& in) {
  const std::pair<const char*, int32_t> limits[] = {{"max_patterns", in.max_patterns()},
                                                    {"max_causes", in.max_causes()},
                                                    {"max_actions", in.max_actions()}};
  for (const auto& [field, value] : limits) {
    if (value < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("options.", field, ": must be 0 (all) or more, got ", value));
    }
  }
  if (in.has_max_questions() && in.max_questions() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("options.max_questions: must be 0 or more, got ", in.max_questions()));
  }
  if (in.has_max_would_fire() && in.max_would_fire() < -1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "options.max_would_fire: must be -1 (all), 0 (none) or more, got ", in.max_would_fire()));
  }
  DiagnoseOptions out;
  out.max_patterns = in.max_patterns();
  out.max_causes = in.max_causes();
  out.max_actions = in.max_actions();
  out.max_questions = in.has_max_questions() ? in.max_questions() : 5;
  out.max_would_fire =
      in.has_max_would_fire() ? in.max_would_fire() : DiagnoseOptions::kDefaultMaxWouldFire;
  out.include_explanations = !in.omit_explanations();
  out.why_not.assign(in.why_not().begin(), in.why_not().end());
  return out;
}

Engine::Engine(std::shared_ptr<const RuleBase> rule_base)
    : rule_base_(std::move(rule_base)), pool_(std::make_shared<EvaluationPool>(rule_base_)) {}

absl::StatusOr<proto::Diagnosis> Engine::Diagnose(const proto::Assessment& assessment,
                                                  const DiagnoseOptions& options) const {
  proto::Diagnosis diagnosis;
  RETURN_IF_ERROR(DiagnoseInto(assessment, options, &diagnosis));
  return diagnosis;
}

namespace {

// The analysis of an assessment without service areas, made once: every figure unknown.
const PortfolioAnalysis& NoServiceAreas() {
  static const PortfolioAnalysis* const analysis =
      new PortfolioAnalysis(AnalysePortfolio(proto::Assessment()));
  return *analysis;
}

// Its summary as wire bytes, so that writing it touches no shared message.
const std::string& NoServiceAreasSummary() {
  static const std::string* const bytes =
      new std::string(NoServiceAreas().summary.SerializeAsString());
  return *bytes;
}

}  // namespace

const PortfolioAnalysis& Consultation::portfolio() const {
  return portfolio_.has_value() ? *portfolio_ : NoServiceAreas();
}

Consultation::Consultation(EvaluationPool& pool, std::optional<PortfolioAnalysis> portfolio,
                           std::string organisation, std::string date)
    : rule_base_(&pool.rule_base()),
      pool_(&pool),
      evaluation_(pool.Acquire()),
      portfolio_(std::move(portfolio)),
      organisation_(std::move(organisation)),
      date_(std::move(date)) {}

void Consultation::Conclude() {
  Evaluation& evaluation = *evaluation_;
  // Only the conclusions re-combined can differ from the baseline's (before EvaluateRanges,
  // each is listed once).
  for (const auto& changed : evaluation.conclusions_before) {
    if (evaluation.certainty[changed.node] > kFiringThreshold) concluded_.push_back(changed.node);
    evaluation.mark[changed.node] = 1;
  }
  for (int node : pool_->baseline_concluded()) {
    if (evaluation.mark[node] == 0) concluded_.push_back(node);
  }
  for (const auto& changed : evaluation.conclusions_before) evaluation.mark[changed.node] = 0;
  // Most certain first, ties by id (nodes are indexed in id order).
  std::sort(concluded_.begin(), concluded_.end(), [&](int a, int b) {
    if (evaluation.certainty[a] != evaluation.certainty[b]) {
      return evaluation.certainty[a] > evaluation.certainty[b];
    }
    return a < b;
  });
}

void Consultation::EnsureRanges() { EvaluateRanges(*rule_base_, *evaluation_); }

absl::StatusOr<proto::Explanation> Consultation::Explain(int node) {
  EnsureRanges();
  return ExplainNode(*rule_base_, *evaluation_, node, /*all_rules=*/true);
}

namespace {

// One way of writing a diagnosis: the wire writer's bytes, parsed into `out`. Internal if they
// do not parse, which would be a bug.
absl::Status ParseDiagnosis(const std::string& bytes, proto::Diagnosis* out) {
  if (!out->ParseFromString(bytes)) {
    out->Clear();
    return absl::InternalError("the diagnosis was written as bytes that do not parse");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status Consultation::WriteDiagnosis(const DiagnoseOptions& options,
                                          absl::Span<const int> why_not_nodes,
                                          proto::Diagnosis* out) {
  std::string bytes;
  WriteDiagnosisWire(options, why_not_nodes, &bytes);
  return ParseDiagnosis(bytes, out);
}

std::vector<ListedConclusion> Consultation::Listed(NodeKind kind,
                                                   const DiagnoseOptions& options) const {
  int limit = 0;
  switch (kind) {
    case NodeKind::kPattern: limit = options.max_patterns; break;
    case NodeKind::kCause: limit = options.max_causes; break;
    case NodeKind::kAction: limit = options.max_actions; break;
    case NodeKind::kFinding: break;
    case NodeKind::kIndicator: return {};
  }
  std::vector<ListedConclusion> listed;
  for (int node : concluded_) {
    if (rule_base_->node(node).kind != kind) continue;
    if (limit > 0 && static_cast<int>(listed.size()) >= limit) break;
    listed.push_back({node, std::round(evaluation_->certainty[node] * 1e4) / 1e4});
  }
  return listed;
}

void Consultation::WriteDiagnosisWire(const DiagnoseOptions& options,
                                      absl::Span<const int> why_not_nodes, std::string* bytes) {
  // Field numbers of proto/alignment/v1/diagnosis.proto, written in field order as the
  // serialiser does, so that the bytes are the same.
  enum DiagnosisField {
    kRuleBase = 1, kOrganisation = 2, kDate = 3, kPortfolio = 4, kPatterns = 5, kCauses = 6,
    kActions = 7, kFindings = 8, kWouldFire = 9, kOpenQuestions = 10, kWhyNot = 11,
    kDecisionId = 12, kWouldFireTruncated = 13
  };
  enum ConclusionField {
    kId = 1, kKind = 2, kTitle = 3, kCategory = 4, kDescription = 5, kSource = 6,
    kCertainty = 7, kExplanation = 8
  };
  enum PendingRuleField { kRuleId = 1, kConclusion = 2, kMissing = 3, kText = 4 };
  EnsureRanges();
  const RuleBase& rules = *rule_base_;
  Evaluation& evaluation = *evaluation_;
  WireWriter out(bytes);
  ExplanationWriter explanations(rules, evaluation);

  const size_t rule_base = out.Begin(kRuleBase);
  out.String(1, rules.id());
  out.String(2, rules.version());
  out.String(3, rules.digest());
  out.End(rule_base);
  out.String(kOrganisation, organisation_);
  out.String(kDate, date_);
  if (portfolio_.has_value()) {
    out.Message(kPortfolio, portfolio_->summary);
  } else {
    out.Bytes(kPortfolio, NoServiceAreasSummary());  // a message field: present even if empty
  }

  const std::pair<NodeKind, int> lists[] = {{NodeKind::kPattern, kPatterns},
                                            {NodeKind::kCause, kCauses},
                                            {NodeKind::kAction, kActions},
                                            {NodeKind::kFinding, kFindings}};
  for (const auto& [kind, field] : lists) {
    for (const ListedConclusion& listed : Listed(kind, options)) {
      const NodeInfo& info = rules.node(listed.node);
      const size_t conclusion = out.Begin(field);
      out.String(kId, info.id);
      out.String(kKind, KindName(info.kind));
      out.String(kTitle, info.title);
      out.String(kCategory, info.category);
      out.String(kDescription, info.description);
      out.String(kSource, info.source);
      out.Double(kCertainty, listed.certainty);
      if (options.include_explanations) {
        const size_t explanation = out.Begin(kExplanation);
        explanations.Write(listed.node, /*all_rules=*/false, out);
        out.End(explanation);
      }
      out.End(conclusion);
    }
  }

  bool would_fire_truncated = false;
  std::string text;
  std::vector<int> missing;
  for (int r : WaitingRules(rules, evaluation, options.max_would_fire, &would_fire_truncated)) {
    MissingIndicators(rules, evaluation, r, &missing);
    const Rule& rule = rules.rules()[r];
    const std::string& conclusion = rules.node(rule.conclusion).id;
    const size_t pending = out.Begin(kWouldFire);
    out.String(kRuleId, rule.id);
    out.String(kConclusion, conclusion);
    text.clear();
    AppendPieces(&text, {"rule ", rule.id,
                         rule.cf >= 0 ? " would support " : " would count against ", conclusion,
                         " (cf ", rule.cf_text, ") if "});
    for (size_t i = 0; i < missing.size(); ++i) {
      const std::string& id = rules.node(missing[i]).id;
      out.Bytes(kMissing, id);
      AppendPieces(&text, {i == 0 ? "" : ", ", id});
    }
    AppendPieces(&text, {" were known: ", rule.condition});
    out.String(kText, text);
    out.End(pending);
  }

  if (options.max_questions > 0) {
    const std::vector<int> worth_asking =
        IndicatorsWorthAsking(evaluation, pool_->question_reach());
    for (const proto::OpenQuestion& question :
         RankOpenQuestions(rules, evaluation, worth_asking,
                           static_cast<size_t>(options.max_questions))) {
      out.Message(kOpenQuestions, question);
    }
  }
  for (int node : why_not_nodes) {
    if (evaluation.certainty[node] > kFiringThreshold) continue;
    const size_t explanation = out.Begin(kWhyNot);
    explanations.Write(node, /*all_rules=*/true, out);
    out.End(explanation);
  }
  out.String(kDecisionId, options.decision_id);
  out.Bool(kWouldFireTruncated, would_fire_truncated);
}

absl::StatusOr<Consultation> Engine::Consult(const proto::Assessment& assessment) const {
  const RuleBase& rules = *rule_base_;
  std::vector<ResolvedObservation> observations;
  RETURN_IF_ERROR(
      ValidateAssessment(assessment, rules.schema(), rules.observation_index(), &observations));
  Consultation consultation(*pool_,
                            assessment.service_areas().empty()
                                ? std::nullopt
                                : std::optional<PortfolioAnalysis>(AnalysePortfolio(assessment)),
                            assessment.organisation(), assessment.date());
  Evaluation& evaluation = *consultation.evaluation_;
  LoadFacts(rules, observations, consultation.portfolio(), evaluation);
  EvaluateCertainties(rules, evaluation);  // the ranges wait until something asks (EnsureRanges)
  consultation.Conclude();
  return consultation;
}

absl::StatusOr<std::vector<int>> Engine::FindNodes(absl::Span<const std::string> ids) const {
  std::vector<int> nodes;
  nodes.reserve(ids.size());
  for (const std::string& id : ids) {
    ASSIGN_OR_RETURN(int node, ResolveNode(*rule_base_, id));
    nodes.push_back(node);
  }
  return nodes;
}

absl::Status Engine::DiagnoseInto(const proto::Assessment& assessment,
                                  const DiagnoseOptions& options, proto::Diagnosis* out) const {
  std::string bytes;
  RETURN_IF_ERROR(DiagnoseToWire(assessment, options, &bytes));
  return ParseDiagnosis(bytes, out);
}

absl::Status Engine::DiagnoseToWire(const proto::Assessment& assessment,
                                    const DiagnoseOptions& options, std::string* out) const {
  out->clear();
  return ConsultToWire(assessment, options, out).status();
}

absl::StatusOr<Consultation> Engine::ConsultToWire(const proto::Assessment& assessment,
                                                   const DiagnoseOptions& options,
                                                   std::string* out) const {
  ASSIGN_OR_RETURN(std::vector<int> why_not_nodes, FindNodes(options.why_not));
  ASSIGN_OR_RETURN(Consultation consultation, Consult(assessment));
  consultation.WriteDiagnosisWire(options, why_not_nodes, out);
  return consultation;
}

absl::StatusOr<proto::Explanation> Engine::Explain(const proto::Assessment& assessment,
                                                   absl::string_view node_id) const {
  ASSIGN_OR_RETURN(int node, ResolveNode(*rule_base_, node_id));
  ASSIGN_OR_RETURN(Consultation consultation, Consult(assessment));
  return consultation.Explain(node);
}

absl::StatusOr<int> Engine::FindNode(absl::string_view node_id) const {
  return ResolveNode(*rule_base_, node_id);
}

}  // namespace align::inference
