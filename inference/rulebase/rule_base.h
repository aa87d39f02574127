// A compiled, immutable rule base: the declared nodes, the rules as flat evaluation plans, and
// the dependency graph with its topological order. Built once by CompileRuleBase (compiler.h);
// shared read-only by every diagnosis, so it is safe to use from many threads.
#ifndef ALIGN_INFERENCE_RULEBASE_RULE_BASE_H_
#define ALIGN_INFERENCE_RULEBASE_RULE_BASE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "inference/graph/dependency_graph.h"
#include "inference/io/assessment_reader.h"
#include "inference/io/observation_index.h"
#include "inference/lang/ast.h"
#include "inference/lang/diagnostics.h"

namespace align::inference {

enum class NodeKind { kIndicator, kFinding, kPattern, kCause, kAction };

// "indicator", "finding", "pattern", "cause", "action".
absl::string_view KindName(NodeKind kind);

enum class ValueType : uint8_t { kNumber, kBool, kChoice };

// A declared indicator or conclusion.
struct NodeInfo {
  std::string id;
  NodeKind kind = NodeKind::kIndicator;
  bool builtin = false;  // a portfolio figure computed by the engine
  SourceLocation location;
  std::string title, description, category, source;
  // Indicators only.
  ValueType type = ValueType::kNumber;
  std::optional<double> min, max;
  std::vector<std::string> choices;
  std::string unit, question;
  // Conclusions only: rules that conclude this node, by rule index (sorted by rule id).
  std::vector<int> rules;
  // Lint checks silenced for this declaration ('allow: "<check>: <reason>"').
  std::vector<std::string> allowed_checks;
};

enum class OpCode : uint8_t {
  kCompare,           // number indicator vs a
  kBetween,           // a <= number <= b
  kIsFlag,            // bool indicator == flag
  kInChoices,         // choice index in mask
  kRamp,              // linear degree from a (0) to b (1)
  kKnown,             // indicator given
  kCertainty,         // a conclusion's certainty as degree
  kCompareCertainty,  // a conclusion's certainty vs a
  kNot,
  kAnd,
  kOr,
};

// One step of a rule's evaluation plan, in postfix order.
struct Op {
  OpCode code = OpCode::kKnown;
  ast::CompareOp compare = ast::CompareOp::kEqual;
  bool flag = false;
  int node = -1;       // the node a leaf reads
  int arity = 0;       // kAnd/kOr operand count
  int subtree = 1;     // ops in this op's subtree, itself included
  int leaf = -1;       // index into Rule::leaves, -1 for logic ops
  double a = 0, b = 0;
  uint64_t choice_mask = 0;
};

// How a leaf condition reads in explanations.
struct Leaf {
  std::string text;      // as written: "work.unplanned > 50"
  std::string expected;  // "> 50", "between 40 and 70", "in {flat, worsening}"
  std::string wording;   // in the rule base's own titles and units: "unplanned work above 50%"
  int node = -1;
};

// Op indices of the direct operands of the logic op at `index` of a plan, in source order.
std::vector<int> OperandsOf(absl::Span<const Op> plan, int index);

struct Rule {
  std::string id;
  SourceLocation location;
  int conclusion = -1;
  double cf = 1.0;
  std::string cf_text;    // the certainty factor as explanations print it: "0.7"
  std::string condition;  // as written, whitespace collapsed
  std::string because, source;
  uint32_t first_op = 0, op_count = 0;  // the plan, in RuleBase::ops()
  std::vector<Leaf> leaves;             // in source order
  std::vector<int> reads;               // distinct nodes read, sorted
  std::vector<std::string> allowed_checks;  // lint checks silenced for this rule
};

// What evaluating a rule needs, packed: the evaluation loop reads one of these per rule rather
// than the whole Rule with its texts, which matters once a rule base outgrows the caches.
// How a plan is run: most conditions are one comparison, or an and/or of comparisons, which
// need no value stack.
enum class PlanShape : uint8_t { kLeaf, kAndOfLeaves, kOrOfLeaves, kGeneral };

// A leaf of the kinds that need one number at most (a comparison, a flag, known(…), a
// conclusion read), as the evaluator reads it.
struct InlineLeaf {
  OpCode code = OpCode::kKnown;
  ast::CompareOp compare = ast::CompareOp::kEqual;
  bool flag = false;
  int32_t node = -1;
  double a = 0;
};

// One cache line per rule. Most rules are one or two such leaves, kept here too
// (`inline_leaves`), so evaluating them reads nothing else of the rule base: on a rule base
// that outgrows the caches, the plan array was the evaluator's most frequent miss.
struct alignas(64) RuleCore {
  uint32_t first_op = 0, op_count = 0;  // the plan, in RuleBase::ops()
  // The conclusions among Rule::reads, in one flat array: what can still be undecided. A rule
  // with none reads facts alone.
  uint32_t conclusions_begin = 0, conclusions_end = 0;
  int32_t conclusion = -1;
  PlanShape shape = PlanShape::kGeneral;
  uint8_t inline_leaves = 0;  // 1 or 2: the plan's leaves, in order; 0: run the plan
  double cf = 1.0;
  InlineLeaf leaves[2];
};
static_assert(sizeof(RuleCore) == 64);

class RuleBase {
 public:
  const std::string& id() const { return id_; }
  const std::string& version() const { return version_; }
  const std::string& title() const { return title_; }
  // sha256 over the files' names and contents, hex.
  const std::string& digest() const { return digest_; }

  const std::vector<NodeInfo>& nodes() const { return nodes_; }
  const NodeInfo& node(int index) const { return nodes_[index]; }
  std::optional<int> FindNode(absl::string_view id) const;

  const std::vector<Rule>& rules() const { return rules_; }
  // The rules that conclude `node` (a conclusion), by rule index, sorted by rule id.
  absl::Span<const int> RulesOf(int node) const {
    return Row(rules_of_, rules_of_start_[node], rules_of_start_[node + 1]);
  }
  // The cfs of RulesOf(node), in the same order: combining a conclusion reads them beside the
  // rule indices instead of a cache line of each rule's core.
  absl::Span<const double> CfsOfRulesOf(int node) const {
    return Row(rule_cfs_of_, rules_of_start_[node], rules_of_start_[node + 1]);
  }
  const RuleCore& Core(int rule) const { return cores_[rule]; }
  absl::Span<const Op> Plan(const RuleCore& core) const {
    return Row(ops_, core.first_op, core.first_op + core.op_count);
  }
  // Calls visit(node, is_conclusion) once for each node the rule reads. From the rule's core
  // when its leaves are kept there (most rules; a diagnosis has just read it), which spares a
  // cold read of the whole Rule; else from Rule::reads.
  template <typename Visit>
  void VisitReads(int rule, Visit visit) const {
    const RuleCore& core = cores_[rule];
    if (core.inline_leaves == 0) {
      for (int read : rules_[rule].reads) visit(read, nodes_[read].kind != NodeKind::kIndicator);
      return;
    }
    for (int i = 0; i < core.inline_leaves; ++i) {
      const InlineLeaf& leaf = core.leaves[i];
      if (i == 1 && leaf.node == core.leaves[0].node) break;  // a node counts once
      visit(static_cast<int>(leaf.node),
            leaf.code == OpCode::kCertainty || leaf.code == OpCode::kCompareCertainty);
    }
  }
  // The conclusions the rule with this core reads.
  absl::Span<const int> ConclusionsReadBy(const RuleCore& core) const {
    return Row(conclusions_read_, core.conclusions_begin, core.conclusions_end);
  }
  std::optional<int> FindRule(absl::string_view id) const;
  absl::Span<const Op> Plan(const Rule& rule) const {
    return Row(ops_, rule.first_op, rule.first_op + rule.op_count);
  }

  // Conclusion nodes, each after everything it reads.
  const std::vector<int>& evaluation_order() const { return evaluation_order_; }
  // Position of each node in evaluation_order(), -1 for indicators.
  const std::vector<int>& evaluation_rank() const { return evaluation_rank_; }
  const DependencyGraph& graph() const { return graph_; }
  // Node index of each built-in portfolio indicator, parallel to PortfolioIndicatorIds().
  const std::vector<int>& portfolio_nodes() const { return portfolio_nodes_; }
  // The declared (not built-in) indicators, for checking observations.
  const ObservationSchema& schema() const { return schema_; }
  // The same declarations laid out for the lookup of every observation of a diagnosis.
  const ObservationIndex& observation_index() const { return observation_index_; }

  // For each indicator: the causes it can change, by node index (id order). Empty for
  // conclusions. Precomputed so that ranking questions does no graph search per diagnosis.
  const std::vector<int>& CausesOf(int indicator) const { return causes_of_[indicator]; }
  // Whether the node is a cause or a conclusion that some cause reads, directly or through
  // other conclusions (false for indicators): what an open question's trial re-evaluates.
  bool LeadsToCause(int node) const { return leads_to_cause_[node] != 0; }
  // For each number indicator: every value the rules compare it with (thresholds, between and
  // ramp ends), sorted and distinct. Empty for other nodes.
  const std::vector<double>& Thresholds(int indicator) const { return thresholds_[indicator]; }
  // For each number indicator: the values an open question tries, sorted and distinct. The
  // comparisons change only at a threshold, so: each threshold, one value inside every gap
  // between them (ramps also vary between their ends: midpoints) and one beyond each end, held
  // to the declared range; one value when no rule compares it. Empty for other nodes.
  const std::vector<double>& TrialNumbers(int indicator) const {
    return trial_numbers_[indicator];
  }
  // Whether a rule asks if the indicator is known (known(…)). Answering such an indicator
  // changes more than its value: conclusions can leave the ranges the evaluation keeps,
  // which span the values of unknowns, not whether they are known.
  bool ReadThroughKnown(int indicator) const { return read_through_known_[indicator] != 0; }
  // For each conclusion: the indicators it depends on, sorted. Empty for indicators.
  const std::vector<int>& IndicatorsBehind(int conclusion) const {
    return indicators_behind_[conclusion];
  }
  // NodeInfo::type, one byte per node: loading a fact needs only this of its NodeInfo.
  ValueType TypeOf(int node) const { return value_types_[node]; }
  // For each node: the rules that read it, by rule index.
  absl::Span<const int> ReaderRules(int node) const {
    return Row(reader_rules_, reader_rules_start_[node], reader_rules_start_[node + 1]);
  }
  // The observable indicators whose answer can reach a cause: the candidates for questions.
  const std::vector<int>& AskableIndicators() const { return askable_indicators_; }
  bool Askable(int node) const { return askable_[node] != 0; }
  // Every rule index, ordered by what the rule reads: fewer conclusions first, then fewer
  // indicators, then rule order. For a rule an assessment leaves untouched (no indicator of it
  // given, no conclusion of it moved) every indicator it reads is unknown, so this approximates
  // how near it is to firing (a conclusion it reads may already be settled): the would-fire
  // list takes such rules in this order (WaitingRules).
  const std::vector<int>& RulesByReads() const { return rules_by_reads_; }

  int CountOf(NodeKind kind) const;

 private:
  // Entries [begin, end) of a packed table. The bounds come from the compiler's own offsets,
  // so the evaluation loop skips Span::subspan's range check.
  template <typename T>
  static absl::Span<const T> Row(const std::vector<T>& table, size_t begin, size_t end) {
    return absl::Span<const T>(table.data() + begin, end - begin);
  }

  friend class RuleBaseCompiler;
  explicit RuleBase(int node_count) : graph_(node_count) {}
  // Packs rules, reads, rules per node (with each one's cf) and reader rules per node into flat
  // arrays (RuleCore and the spans above). The compiler calls it last, once the rules are final.
  void IndexForEvaluation();

  std::string id_, version_, title_, digest_;
  std::vector<NodeInfo> nodes_;
  absl::flat_hash_map<std::string, int> node_index_;
  std::vector<Rule> rules_;
  absl::flat_hash_map<std::string, int> rule_index_;
  std::vector<Op> ops_;
  std::vector<int> evaluation_order_;
  std::vector<int> evaluation_rank_;
  DependencyGraph graph_;
  std::vector<int> portfolio_nodes_;
  ObservationSchema schema_;
  ObservationIndex observation_index_;  // built from schema_ once it is final
  std::vector<std::vector<int>> causes_of_, indicators_behind_;
  std::vector<int> askable_indicators_;
  std::vector<char> askable_;  // per node: whether it is in askable_indicators_
  std::vector<char> leads_to_cause_;  // per node: LeadsToCause
  std::vector<RuleCore> cores_;
  std::vector<ValueType> value_types_;
  std::vector<int> conclusions_read_;
  std::vector<int> rules_of_, rules_of_start_;  // rules per node, as offsets into rules_of_
  std::vector<double> rule_cfs_of_;              // the cf of each rule in rules_of_
  std::vector<int> reader_rules_, reader_rules_start_;  // rules reading each node, likewise
  std::vector<int> rules_by_reads_;
  std::vector<std::vector<double>> thresholds_;
  std::vector<std::vector<double>> trial_numbers_;
  std::vector<char> read_through_known_;  // per node
};

}  // namespace align::inference

#endif  // ALIGN_INFERENCE_RULEBASE_RULE_BASE_H_
