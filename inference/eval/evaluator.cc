#include "inference/eval/evaluator.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <iterator>
#include <type_traits>
#include <utility>

#include "absl/base/attributes.h"
#include "absl/base/macros.h"
#include "absl/container/fixed_array.h"
#include "inference/eval/certainty.h"

namespace align::inference {
namespace {

constexpr Interval kUnknownTruth{-1, 1};

ABSL_ATTRIBUTE_ALWAYS_INLINE inline Interval Truth(bool holds, double confidence) {
  double value = holds ? confidence : -confidence;
  return {value, value};
}

// Each operator as the orderings of x against y it accepts: bit 0 less, bit 1 equal, bit 2
// greater, bit 3 unordered (a NaN, which only != accepts). Indexed by ast::CompareOp.
constexpr uint8_t kAcceptedOrderings[] = {0b0001, 0b0011, 0b0100, 0b0110, 0b0010, 0b1101};
static_assert(static_cast<int>(ast::CompareOp::kLess) == 0 &&
              static_cast<int>(ast::CompareOp::kLessEqual) == 1 &&
              static_cast<int>(ast::CompareOp::kGreater) == 2 &&
              static_cast<int>(ast::CompareOp::kGreaterEqual) == 3 &&
              static_cast<int>(ast::CompareOp::kEqual) == 4 &&
              static_cast<int>(ast::CompareOp::kNotEqual) == 5);

// A lookup rather than a switch on `op`: a rule base mixes every operator, so the switch's
// jump went the wrong way on most comparisons.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline bool Compare(double x, ast::CompareOp op, double y) {
  ABSL_ASSERT(static_cast<size_t>(op) < std::size(kAcceptedOrderings));
  const int ordering = 3 - 3 * (x < y) - 2 * (x == y) - (x > y);
  return (kAcceptedOrderings[static_cast<uint8_t>(op)] >> ordering) & 1;
}

// Compares every value in `range` at once: true or false when all agree, else undecided.
Interval CompareRange(const Interval& range, ast::CompareOp op, double threshold) {
  bool at_lo = Compare(range.lo, op, threshold);
  bool at_hi = Compare(range.hi, op, threshold);
  if (range.lo == range.hi) return Truth(at_lo, 1);
  bool inside = threshold >= range.lo && threshold <= range.hi;
  switch (op) {
    case ast::CompareOp::kEqual: return inside ? kUnknownTruth : Truth(false, 1);
    case ast::CompareOp::kNotEqual: return inside ? kUnknownTruth : Truth(true, 1);
    default: return at_lo == at_hi ? Truth(at_lo, 1) : kUnknownTruth;
  }
}

// The leaves, comparisons and plan runner are forced inline: they are the innermost loop of
// every diagnosis, and inlined into EvaluateRule the `possible` flag folds away.
// `Leaf` is an Op or an InlineLeaf, which holds the kinds tested before the switch and flags.
template <typename Leaf>
ABSL_ATTRIBUTE_ALWAYS_INLINE inline Interval EvaluateLeaf(const Leaf& op,
                                                          const Evaluation& evaluation,
                                                          bool possible) {
  if (op.code == OpCode::kCompare) {  // the most common leaf, tested first
    const Fact& fact = evaluation.facts[op.node];
    if (!fact.known) return kUnknownTruth;
    return Truth(Compare(fact.number, op.compare, op.a), fact.confidence);
  }
  if (op.code == OpCode::kCertainty) {
    if (possible) return evaluation.range[op.node];
    double cf = evaluation.certainty[op.node];
    return {cf, cf};
  }
  if (op.code == OpCode::kCompareCertainty) {
    if (possible) return CompareRange(evaluation.range[op.node], op.compare, op.a);
    return Truth(Compare(evaluation.certainty[op.node], op.compare, op.a), 1);
  }
  const Fact& fact = evaluation.facts[op.node];
  if (op.code == OpCode::kKnown) return Truth(fact.known, 1);
  if (!fact.known) return op.code == OpCode::kRamp ? Interval{0, 1} : kUnknownTruth;
  if constexpr (std::is_same_v<Leaf, InlineLeaf>) {
    // kIsFlag, the one kind left of those IndexForEvaluation inlines (its `fits_inline`).
    ABSL_ASSERT(op.code == OpCode::kIsFlag);
    return Truth(fact.flag == op.flag, fact.confidence);
  } else {
    switch (op.code) {
      case OpCode::kBetween:
        return Truth(fact.number >= op.a && fact.number <= op.b, fact.confidence);
      case OpCode::kIsFlag:
        return Truth(fact.flag == op.flag, fact.confidence);
      case OpCode::kInChoices:
        return Truth(fact.choice >= 0 && ((op.choice_mask >> fact.choice) & 1) != 0,
                     fact.confidence);
      case OpCode::kRamp: {
        double degree = std::clamp((fact.number - op.a) / (op.b - op.a), 0.0, 1.0);
        return {degree * fact.confidence, degree * fact.confidence};
      }
      default:
        return kUnknownTruth;
    }
  }
}

// Folds one more operand into an and (min) or an or (max) of intervals.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void Join(bool is_and, const Interval& operand,
                                              Interval& result) {
  result.lo = is_and ? std::min(result.lo, operand.lo) : std::max(result.lo, operand.lo);
  result.hi = is_and ? std::min(result.hi, operand.hi) : std::max(result.hi, operand.hi);
}

// Applies one op to the value stack (a std::vector or an absl::InlinedVector); a leaf's value is
// `leaf_value(op)`.
template <typename Stack, typename LeafValue>
void Step(const Op& op, Stack& stack, LeafValue leaf_value) {
  switch (op.code) {
    case OpCode::kNot: {
      Interval& top = stack.back();
      top = {-top.hi, -top.lo};
      return;
    }
    case OpCode::kAnd:
    case OpCode::kOr: {
      const bool is_and = op.code == OpCode::kAnd;
      Interval result = stack[stack.size() - op.arity];
      for (size_t i = stack.size() - op.arity + 1; i < stack.size(); ++i) {
        Join(is_and, stack[i], result);
      }
      stack.resize(stack.size() - op.arity + 1);
      stack.back() = result;
      return;
    }
    default:
      stack.push_back(leaf_value(op));
  }
}

// A leaf's value as the evaluation has it (RunPlanWith's usual `leaf_value`).
struct LeafAsEvaluated {
  const Evaluation& evaluation;
  bool possible;
  template <typename Leaf>
  ABSL_ATTRIBUTE_ALWAYS_INLINE Interval operator()(const Leaf& leaf) const {
    return EvaluateLeaf(leaf, evaluation, possible);
  }
};

template <typename Stack>
void Step(const Op& op, const Evaluation& evaluation, bool possible, Stack& stack) {
  Step(op, stack, LeafAsEvaluated{evaluation, possible});
}

// The premise of a rule, each leaf's value being `leaf_value(leaf)` (an Op or an InlineLeaf).
template <typename LeafValue>
ABSL_ATTRIBUTE_ALWAYS_INLINE inline Interval RunPlanWith(const RuleBase& rule_base,
                                                        const RuleCore& rule,
                                                        Evaluation& evaluation,
                                                        LeafValue leaf_value) {
  if (rule.inline_leaves != 0) {
    Interval result = leaf_value(rule.leaves[0]);
    if (rule.inline_leaves == 2) {
      const bool is_and = rule.shape == PlanShape::kAndOfLeaves;
      Join(is_and, leaf_value(rule.leaves[1]), result);
    }
    return result;
  }
  absl::Span<const Op> plan = rule_base.Plan(rule);
  if (rule.shape == PlanShape::kLeaf) return leaf_value(plan[0]);
  if (rule.shape != PlanShape::kGeneral) {
    const bool is_and = rule.shape == PlanShape::kAndOfLeaves;
    Interval result = leaf_value(plan[0]);
    for (size_t i = 1; i + 1 < plan.size(); ++i) Join(is_and, leaf_value(plan[i]), result);
    return result;
  }
  evaluation.stack.clear();
  for (const Op& op : plan) Step(op, evaluation.stack, leaf_value);
  return evaluation.stack.back();
}

ABSL_ATTRIBUTE_ALWAYS_INLINE inline Interval RunPlan(const RuleBase& rule_base,
                                                    const RuleCore& rule, bool possible,
                                                    Evaluation& evaluation) {
  return RunPlanWith(rule_base, rule, evaluation, LeafAsEvaluated{evaluation, possible});
}

// Whether the rule reads a conclusion that is still waiting for an unknown.
bool ReadsUndecided(const RuleBase& rule_base, const RuleCore& rule,
                    const Evaluation& evaluation) {
  for (int read : rule_base.ConclusionsReadBy(rule)) {
    const Interval& r = evaluation.range[read];
    if (r.lo != r.hi) return true;
  }
  return false;
}

// Brings one rule's state up to date from what it reads.
void EvaluateRule(const RuleBase& rule_base, int index, Evaluation& evaluation) {
  const RuleCore& rule = rule_base.Core(index);
  RuleState state;
  state.premise = RunPlan(rule_base, rule, /*possible=*/false, evaluation);
  state.possible = ReadsUndecided(rule_base, rule, evaluation)
                       ? RunPlan(rule_base, rule, /*possible=*/true, evaluation)
                       : state.premise;
  SetRuleState(evaluation, index, state);
}

// What one rule could still contribute, as the ends of an interval (see Combine).
ABSL_ATTRIBUTE_ALWAYS_INLINE inline std::pair<double, double> PossibleContribution(
    double cf, const Interval& possible) {
  double a = 0, b = 0;
  if (possible.lo > kFiringThreshold) {
    a = cf * possible.lo;
    b = cf * possible.hi;
  } else if (possible.hi > kFiringThreshold) {
    b = cf * possible.hi;
  }
  return {std::min(a, b), std::max(a, b)};
}

// Whether nothing unknown stands behind the rule's premise: a point, the same now as it could
// still become.
bool Decided(const RuleState& state) {
  return state.possible.lo == state.possible.hi && state.premise.lo == state.possible.lo &&
         state.premise.hi == state.possible.hi;
}

// A conclusion's certainty, what its rules contribute on what is known now.
double CombinedCertainty(const RuleBase& rule_base, int node, const Evaluation& evaluation) {
  const absl::Span<const int> rules = rule_base.RulesOf(node);
  const double* const cfs = rule_base.CfsOfRulesOf(node).data();
  // The nonzero contributions, on the stack: most conclusions have a handful of rules.
  const size_t n = rules.size();
  absl::FixedArray<double, 8> now(n);
  size_t now_count = 0;
  for (size_t i = 0; i < n; ++i) {
    if (const double contribution = evaluation.rules[rules[i]].contribution(cfs[i]);
        contribution != 0) {
      now[now_count++] = contribution;
    }
  }
  return CombineContributions({now.data(), now_count});
}

// A conclusion's range from its rules' states and its certainty, which must be up to date.
Interval CombinedRange(const RuleBase& rule_base, int node, const Evaluation& evaluation) {
  const absl::Span<const int> rules = rule_base.RulesOf(node);
  const double* const cfs = rule_base.CfsOfRulesOf(node).data();
  // Each end of what is still possible, side by side in one buffer on the stack.
  const size_t n = rules.size();
  absl::FixedArray<double, 2 * 8> buffer(2 * n);
  double* const lowest = buffer.data();
  double* const highest = lowest + n;
  size_t lowest_count = 0, highest_count = 0;
  // While every premise is decided (a point, nothing unknown behind it), what the rules could
  // still contribute is what they contribute now, and the range is the certainty itself.
  bool decided = true;
  for (size_t i = 0; i < n; ++i) {
    const RuleState& state = evaluation.rules[rules[i]];
    decided = decided && Decided(state);
    // What this rule could still contribute; the combination is monotone in each argument,
    // so combining the ends gives the ends of the conclusion's range.
    const auto [low, high] = PossibleContribution(cfs[i], state.possible);
    if (low != 0) lowest[lowest_count++] = low;
    if (high != 0) highest[highest_count++] = high;
  }
  if (decided) return {evaluation.certainty[node], evaluation.certainty[node]};
  return {CombineContributions({lowest, lowest_count}),
          CombineContributions({highest, highest_count})};
}

// A conclusion's certainty and range from the states of the rules that conclude it.
void Combine(const RuleBase& rule_base, int node, Evaluation& evaluation) {
  evaluation.certainty[node] = CombinedCertainty(rule_base, node, evaluation);
  evaluation.range[node] = CombinedRange(rule_base, node, evaluation);
}

void EvaluateNode(const RuleBase& rule_base, int node, Evaluation& evaluation) {
  for (int index : rule_base.RulesOf(node)) EvaluateRule(rule_base, index, evaluation);
  Combine(rule_base, node, evaluation);
}

}  // namespace

double NowContribution(const RuleBase& rule_base, int rule, Evaluation& evaluation) {
  const RuleCore& core = rule_base.Core(rule);
  return Contribution(core.cf, RunPlan(rule_base, core, /*possible=*/false, evaluation));
}

bool MayFireOnAnswer(const RuleBase& rule_base, int rule, int indicator,
                     Evaluation& evaluation) {
  // Each op's interval is worked out as usual, but with the indicator's leaves turned end for
  // end: and, or and not treat the two ends apart and are monotone, so the low end at the top
  // is then the premise with those leaves at the value that favours firing most (their high end
  // unnegated, their low end under a not) and every other unknown at the value that favours it
  // least. The high end that comes out means nothing.
  const Interval favoured = RunPlanWith(
      rule_base, rule_base.Core(rule), evaluation, [&](const auto& leaf) {
        const Interval value = EvaluateLeaf(leaf, evaluation, /*possible=*/false);
        return leaf.node == indicator ? Interval{value.hi, value.lo} : value;
      });
  return favoured.lo > kFiringThreshold;
}

void AppendLeavesReading(const RuleBase& rule_base, int rule, int indicator,
                         const Evaluation& evaluation, std::vector<double>* values) {
  for (const Op& op : rule_base.Plan(rule_base.Core(rule))) {
    if (op.leaf >= 0 && op.node == indicator) {
      values->push_back(EvaluateLeaf(op, evaluation, /*possible=*/false).lo);
    }
  }
}

void EvaluateCertainty(const RuleBase& rule_base, int node, Evaluation& evaluation) {
  CertaintyAccumulator now;
  for (int index : rule_base.RulesOf(node)) {
    now.Add(NowContribution(rule_base, index, evaluation));
  }
  evaluation.certainty[node] = now.Result();
}

Evaluation::Evaluation(const RuleBase& rule_base)
    : facts(rule_base.nodes().size()),
      certainty(rule_base.nodes().size(), 0.0),
      range(rule_base.nodes().size()),
      rules(rule_base.rules().size()),
      fires((rule_base.rules().size() + 63) / 64, 0),
      mark(rule_base.nodes().size(), 0),
      queued_ranks((rule_base.evaluation_order().size() + 63) / 64, 0),
      range_ranks(queued_ranks.size(), 0),
      rule_mark(rule_base.rules().size(), 0) {
  stack.reserve(64);
}

void LoadFacts(const RuleBase& rule_base, const proto::Assessment& assessment,
               const PortfolioAnalysis& portfolio, Evaluation& evaluation) {
  std::vector<ResolvedObservation> observations;
  observations.reserve(assessment.observations_size());
  for (const auto& [id, observation] : assessment.observations()) {
    if (auto node = rule_base.FindNode(id)) observations.push_back({*node, &observation});
  }
  LoadFacts(rule_base, observations, portfolio, evaluation);
}

void LoadFacts(const RuleBase& rule_base, absl::Span<const ResolvedObservation> observations,
               const PortfolioAnalysis& portfolio, Evaluation& evaluation) {
  for (const auto& [node, observed] : observations) {
    const proto::Observation& observation = *observed;
    const ValueType type = rule_base.TypeOf(node);
    Fact& fact = evaluation.facts[node];
    evaluation.written_facts.push_back({node, fact});
    switch (observation.value_case()) {
      case proto::Observation::kNumber:
        fact.number = observation.number();
        fact.known = type == ValueType::kNumber;
        break;
      case proto::Observation::kFlag:
        fact.flag = observation.flag();
        fact.known = type == ValueType::kBool;
        break;
      case proto::Observation::kChoice: {
        const std::vector<std::string>& choices = rule_base.node(node).choices;
        auto it = std::find(choices.begin(), choices.end(), observation.choice());
        fact.choice = it == choices.end() ? -1 : static_cast<int>(it - choices.begin());
        fact.known = type == ValueType::kChoice && fact.choice >= 0;
        break;
      }
      case proto::Observation::VALUE_NOT_SET:
        break;
    }
    fact.confidence = observation.confidence() > 0 ? observation.confidence() : 1.0;
  }
  const std::vector<int>& nodes = rule_base.portfolio_nodes();
  for (size_t i = 0; i < nodes.size() && i < portfolio.figures.size(); ++i) {
    Fact& fact = evaluation.facts[nodes[i]];
    evaluation.written_facts.push_back({nodes[i], fact});
    fact.known = portfolio.figures[i].has_value();
    fact.number = portfolio.figures[i].value_or(0);
    fact.confidence = 1;
  }
}

void EvaluateAll(const RuleBase& rule_base, Evaluation& evaluation) {
  EvaluateNodes(rule_base, rule_base.evaluation_order(), evaluation);
}

namespace {

// Per node, while EvaluateCertainties runs.
constexpr uint8_t kQueued = 1;             // its rank is queued
constexpr uint8_t kContributionMoved = 2;  // what a rule of it contributes now changed
constexpr uint8_t kRulesWait = 4;          // a rule of it waits to run in rank order
// Per node, while EvaluateRanges runs.
constexpr uint8_t kRangeQueued = 8;    // its rank is queued
constexpr uint8_t kStateMoved = 16;    // a rule of it moved: its range must be combined
constexpr uint8_t kPossibleWait = 32;  // a rule of it must work out what is possible
// Per rule reading a conclusion (those reading facts alone re-run at once, unmarked).
constexpr uint8_t kRunWhenFinal = 1;   // its inputs changed: its premise runs in rank order
constexpr uint8_t kPossibleStale = 2;  // what is possible for it waits for EvaluateRanges

// Bit for bit: a state that moved only from +0.0 to -0.0 has moved, and its conclusion must be
// re-combined, or the result would differ from EvaluateAll's in the sign of a zero (which
// answers print).
bool SameBits(double a, double b) {
  return std::bit_cast<uint64_t>(a) == std::bit_cast<uint64_t>(b);
}
bool SameInterval(const Interval& a, const Interval& b) {
  return SameBits(a.lo, b.lo) && SameBits(a.hi, b.hi);
}

void SetRankBit(std::vector<uint64_t>& ranks, int rank) {
  ranks[rank / 64] |= uint64_t{1} << (rank % 64);
}

// Queues `node` for a sweep over `ranks`, with `flags`; `queued` is that sweep's kQueued.
void Queue(const RuleBase& rule_base, int node, uint8_t queued, uint8_t flags,
           std::vector<uint64_t>& ranks, Evaluation& evaluation) {
  uint8_t& mark = evaluation.mark[node];
  if ((mark & queued) == 0) SetRankBit(ranks, rule_base.evaluation_rank()[node]);
  mark |= queued | flags;
}
void QueueCertainty(const RuleBase& rule_base, int node, uint8_t flags, Evaluation& evaluation) {
  Queue(rule_base, node, kQueued, flags, evaluation.queued_ranks, evaluation);
}
void QueueRange(const RuleBase& rule_base, int node, uint8_t flags, Evaluation& evaluation) {
  Queue(rule_base, node, kRangeQueued, flags, evaluation.range_ranks, evaluation);
}

// Stores a re-run rule's new premise, with `possible` beside it, unless the premise did not
// move; saves what the rule held for Undo. Whether what the rule contributes changed. Inline:
// the certainty sweep's innermost step.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline bool StorePremise(int rule, double cf,
                                                      const Interval& premise,
                                                      const Interval& possible,
                                                      Evaluation& evaluation) {
  const RuleState& stored = evaluation.rules[rule];
  if (SameInterval(stored.premise, premise)) return false;
  evaluation.rules_before.push_back({rule, stored});
  const bool contribution_moved =
      !SameBits(Contribution(cf, stored.premise), Contribution(cf, premise));
  SetRuleState(evaluation, rule, {premise, possible});
  return contribution_moved;
}

// The rules reading `node` have changed inputs. One that reads facts alone re-runs at once
// (every fact is loaded, so its inputs are final; what is possible for it is its premise) and
// queues its conclusion only if what it contributes changed. One that reads a conclusion waits
// for the sweep, and leaves what is possible for it to EvaluateRanges. Nothing is queued for
// EvaluateRanges here: it finds its work in what was saved and marked.
void MarkReadersOf(const RuleBase& rule_base, int node, Evaluation& evaluation) {
  for (int rule : rule_base.ReaderRules(node)) {
    // Only rules reading a conclusion are marked: one reading facts alone and two of them
    // observed re-runs twice, the second time to the same state, which is cheaper than marking
    // every rule and clearing the marks.
    if (evaluation.rule_mark[rule] != 0) continue;
    const RuleCore& core = rule_base.Core(rule);
    if (core.conclusions_begin != core.conclusions_end) {
      evaluation.rule_mark[rule] = kRunWhenFinal | kPossibleStale;
      evaluation.marked_rules.push_back(rule);
      QueueCertainty(rule_base, core.conclusion, kRulesWait, evaluation);
      continue;
    }
    const Interval premise = RunPlan(rule_base, core, /*possible=*/false, evaluation);
    // Nearly every rule re-run fires neither before nor after: it contributes nothing either
    // way, and its state (not even read here) is left to EvaluateRanges.
    if (!FiresOn(premise) && !Fires(evaluation, rule)) {
      evaluation.premises_pending.push_back({rule, premise});
      continue;
    }
    // What is possible for a rule reading facts alone is its premise.
    if (StorePremise(rule, core.cf, premise, premise, evaluation)) {
      QueueCertainty(rule_base, core.conclusion, kContributionMoved, evaluation);
    }
  }
}

// Re-runs the premise of a rule that reads a conclusion; whether what it contributes changed.
bool RerunPremise(const RuleBase& rule_base, int rule, Evaluation& evaluation) {
  const RuleCore& core = rule_base.Core(rule);
  const Interval premise = RunPlan(rule_base, core, /*possible=*/false, evaluation);
  return StorePremise(rule, core.cf, premise, evaluation.rules[rule].possible, evaluation);
}

// Works out what is possible for a rule that reads a conclusion; whether that moved.
bool RerunPossible(const RuleBase& rule_base, int rule, Evaluation& evaluation) {
  const RuleCore& core = rule_base.Core(rule);
  RuleState& stored = evaluation.rules[rule];
  const Interval possible = ReadsUndecided(rule_base, core, evaluation)
                                ? RunPlan(rule_base, core, /*possible=*/true, evaluation)
                                : stored.premise;
  if (SameInterval(stored.possible, possible)) return false;
  evaluation.rules_before.push_back({rule, stored});
  stored.possible = possible;
  return true;
}

// Works off `ranks` lowest first, calling `visit(node)` for each: everything a conclusion reads
// is final before it is visited. A conclusion queued while visiting ranks after the one that
// queued it, so its bit is set ahead of the sweep, in the word being worked off or a later one.
template <typename Visit>
void SweepRanks(const RuleBase& rule_base, std::vector<uint64_t>& ranks, Visit visit) {
  for (size_t word = 0; word < ranks.size(); ++word) {
    while (ranks[word] != 0) {
      const int rank = static_cast<int>(64 * word) + std::countr_zero(ranks[word]);
      ranks[word] &= ranks[word] - 1;  // the lowest bit, taken
      visit(rule_base.evaluation_order()[rank]);
    }
  }
}

// What both sweeps do first with the node they take: clear its flags (only conclusions of lower
// rank queue it, and they are done), and re-run those of its rules marked `rule_flag` if the node
// is flagged `wait_flag`. Whether it was flagged `moved_flag` or a rule re-run moved.
template <typename Rerun>
bool TakeNode(const RuleBase& rule_base, int node, uint8_t moved_flag, uint8_t wait_flag,
              uint8_t rule_flag, Evaluation& evaluation, Rerun rerun) {
  const uint8_t flags = evaluation.mark[node];
  evaluation.mark[node] = 0;
  bool moved = (flags & moved_flag) != 0;
  if ((flags & wait_flag) != 0) {
    for (int rule : rule_base.RulesOf(node)) {
      if ((evaluation.rule_mark[rule] & rule_flag) != 0) moved = rerun(rule) || moved;
    }
  }
  return moved;
}

void ClearRuleMarks(Evaluation& evaluation) {
  for (int rule : evaluation.marked_rules) evaluation.rule_mark[rule] = 0;
  evaluation.marked_rules.clear();
}

}  // namespace

void EvaluateCertainties(const RuleBase& rule_base, Evaluation& evaluation) {
  evaluation.ranges_stale = true;
  for (const auto& written : evaluation.written_facts) {
    MarkReadersOf(rule_base, written.node, evaluation);
  }
  SweepRanks(rule_base, evaluation.queued_ranks, [&](int node) {
    const bool contribution_moved =
        TakeNode(rule_base, node, kContributionMoved, kRulesWait, kRunWhenFinal, evaluation,
                 [&](int rule) { return RerunPremise(rule_base, rule, evaluation); });
    // The certainty is a function of what the rules contribute: when none of that moved,
    // neither did it (though the range may have; that is the range sweep's).
    if (!contribution_moved) return;
    const double certainty = evaluation.certainty[node];
    evaluation.conclusions_before.push_back({node, certainty, evaluation.range[node]});
    evaluation.certainty[node] = CombinedCertainty(rule_base, node, evaluation);
    if (!SameBits(evaluation.certainty[node], certainty)) {
      MarkReadersOf(rule_base, node, evaluation);
    }
  });
}

void EvaluateRanges(const RuleBase& rule_base, Evaluation& evaluation) {
  if (!evaluation.ranges_stale) return;
  evaluation.ranges_interrupted = true;
  // The work EvaluateCertainties left: the conclusions of the rules it moved (all saved so far),
  // the rules it re-ran but did not store, and the rules reading a conclusion it marked, whose
  // `possible` it never worked out.
  for (const auto& saved : evaluation.rules_before) {
    QueueRange(rule_base, rule_base.Core(saved.rule).conclusion, kStateMoved, evaluation);
  }
  for (const auto& [rule, premise] : evaluation.premises_pending) {
    // Firing neither before nor after, so its bit in `fires` stays. A rule two observations
    // reach is listed twice, with the same premise: the second finds it stored. Its `possible`
    // is its premise, so the premise says whether it moved.
    RuleState& stored = evaluation.rules[rule];
    if (SameInterval(stored.premise, premise)) continue;
    evaluation.rules_before.push_back({rule, stored});
    stored = {premise, premise};
    QueueRange(rule_base, rule_base.Core(rule).conclusion, kStateMoved, evaluation);
  }
  evaluation.premises_pending.clear();
  for (int rule : evaluation.marked_rules) {
    if ((evaluation.rule_mark[rule] & kPossibleStale) != 0) {
      QueueRange(rule_base, rule_base.Core(rule).conclusion, kPossibleWait, evaluation);
    }
  }
  SweepRanks(rule_base, evaluation.range_ranks, [&](int node) {
    const bool moved =
        TakeNode(rule_base, node, kStateMoved, kPossibleWait, kPossibleStale, evaluation,
                 [&](int rule) { return RerunPossible(rule_base, rule, evaluation); });
    // The range is a function of the rules' states and the certainty, which only moves when a
    // rule's state does.
    if (!moved) return;
    const Interval range = evaluation.range[node];
    evaluation.conclusions_before.push_back({node, evaluation.certainty[node], range});
    evaluation.range[node] = CombinedRange(rule_base, node, evaluation);
    if (SameInterval(evaluation.range[node], range)) return;
    for (int rule : rule_base.ReaderRules(node)) {
      uint8_t& rule_mark = evaluation.rule_mark[rule];
      if ((rule_mark & kPossibleStale) != 0) continue;
      if (rule_mark == 0) evaluation.marked_rules.push_back(rule);
      rule_mark |= kPossibleStale;
      QueueRange(rule_base, rule_base.Core(rule).conclusion, kPossibleWait, evaluation);
    }
  });
  ClearRuleMarks(evaluation);
  evaluation.ranges_stale = false;
  evaluation.ranges_interrupted = false;
}

void EvaluateChanged(const RuleBase& rule_base, Evaluation& evaluation) {
  EvaluateCertainties(rule_base, evaluation);
  EvaluateRanges(rule_base, evaluation);
}

void Undo(Evaluation& evaluation) {
  // What EvaluateRanges would have worked off, had it run.
  ClearRuleMarks(evaluation);
  evaluation.premises_pending.clear();
  evaluation.ranges_stale = false;
  if (evaluation.ranges_interrupted) {
    std::fill(evaluation.mark.begin(), evaluation.mark.end(), 0);
    std::fill(evaluation.range_ranks.begin(), evaluation.range_ranks.end(), 0);
    evaluation.ranges_interrupted = false;
  }
  // Newest first, so that whatever was overwritten twice ends at its oldest value.
  for (auto it = evaluation.written_facts.rbegin(); it != evaluation.written_facts.rend(); ++it) {
    evaluation.facts[it->node] = it->fact;
  }
  for (auto it = evaluation.conclusions_before.rbegin(); it != evaluation.conclusions_before.rend();
       ++it) {
    evaluation.certainty[it->node] = it->certainty;
    evaluation.range[it->node] = it->range;
  }
  for (auto it = evaluation.rules_before.rbegin(); it != evaluation.rules_before.rend(); ++it) {
    SetRuleState(evaluation, it->rule, it->state);
  }
  evaluation.written_facts.clear();
  evaluation.rules_before.clear();
  evaluation.conclusions_before.clear();
}

void EvaluateNodes(const RuleBase& rule_base, absl::Span<const int> nodes,
                   Evaluation& evaluation) {
  for (int node : nodes) EvaluateNode(rule_base, node, evaluation);
}

std::vector<Interval> TracePlan(const RuleBase& rule_base, const Rule& rule,
                                const Evaluation& evaluation, bool possible) {
  PlanValues values;
  TracePlan(rule_base, rule, evaluation, possible, values);
  return std::vector<Interval>(values.begin(), values.end());
}

void TracePlan(const RuleBase& rule_base, const Rule& rule, const Evaluation& evaluation,
               bool possible, PlanValues& values) {
  values.clear();
  PlanValues stack;
  for (const Op& op : rule_base.Plan(rule)) {
    Step(op, evaluation, possible, stack);
    values.push_back(stack.back());
  }
}

}  // namespace align::inference
