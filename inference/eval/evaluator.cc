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

// Applies one op to the value stack (a std::vector or an absl::InlinedVector).
template <typename Stack>
void Step(const Op& op, const Evaluation& evaluation, bool possible, Stack& stack) {
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
      stack.push_back(EvaluateLeaf(op, evaluation, possible));
  }
}

ABSL_ATTRIBUTE_ALWAYS_INLINE inline Interval RunPlan(const RuleBase& rule_base,
                                                    const RuleCore& rule, bool possible,
                                                    Evaluation& evaluation) {
  if (rule.inline_leaves != 0) {
    Interval result = EvaluateLeaf(rule.leaves[0], evaluation, possible);
    if (rule.inline_leaves == 2) {
      const bool is_and = rule.shape == PlanShape::kAndOfLeaves;
      Join(is_and, EvaluateLeaf(rule.leaves[1], evaluation, possible), result);
    }
    return result;
  }
  absl::Span<const Op> plan = rule_base.Plan(rule);
  if (rule.shape == PlanShape::kLeaf) return EvaluateLeaf(plan[0], evaluation, possible);
  if (rule.shape != PlanShape::kGeneral) {
    const bool is_and = rule.shape == PlanShape::kAndOfLeaves;
    Interval result = EvaluateLeaf(plan[0], evaluation, possible);
    for (size_t i = 1; i + 1 < plan.size(); ++i) {
      Join(is_and, EvaluateLeaf(plan[i], evaluation, possible), result);
    }
    return result;
  }
  evaluation.stack.clear();
  for (const Op& op : plan) Step(op, evaluation, possible, evaluation.stack);
  return evaluation.stack.back();
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

// One rule's state from what it reads, as it stands in `evaluation`.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline RuleState EvaluatedRule(const RuleBase& rule_base, int index,
                                                            Evaluation& evaluation) {
  const RuleCore& rule = rule_base.Core(index);
  RuleState state;
  state.premise = RunPlan(rule_base, rule, /*possible=*/false, evaluation);
  state.possible = ReadsUndecided(rule_base, rule, evaluation)
                       ? RunPlan(rule_base, rule, /*possible=*/true, evaluation)
                       : state.premise;
  return state;
}

// Brings one rule's state up to date from what it reads.
void EvaluateRule(const RuleBase& rule_base, int index, Evaluation& evaluation) {
  evaluation.rules[index] = EvaluatedRule(rule_base, index, evaluation);
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

// A conclusion's certainty and range from the states of the rules that conclude it.
void Combine(const RuleBase& rule_base, int node, Evaluation& evaluation) {
  const absl::Span<const int> rules = rule_base.RulesOf(node);
  const double* const cfs = rule_base.CfsOfRulesOf(node).data();
  // The nonzero contributions, now and at each end of what is still possible, side by side in
  // one buffer on the stack: most conclusions have a handful of rules.
  const size_t n = rules.size();
  absl::FixedArray<double, 3 * 8> buffer(3 * n);
  double* const now = buffer.data();
  double* const lowest = now + n;
  double* const highest = lowest + n;
  size_t now_count = 0, lowest_count = 0, highest_count = 0;
  // While every premise is decided (a point, nothing unknown behind it), what the rules could
  // still contribute is what they contribute now, and the range is the certainty itself.
  bool decided = true;
  for (size_t i = 0; i < n; ++i) {
    const RuleState& state = evaluation.rules[rules[i]];
    if (const double contribution = state.contribution(cfs[i]); contribution != 0) {
      now[now_count++] = contribution;
    }
    decided = decided && Decided(state);
    // What this rule could still contribute; the combination is monotone in each argument,
    // so combining the ends gives the ends of the conclusion's range.
    const auto [low, high] = PossibleContribution(cfs[i], state.possible);
    if (low != 0) lowest[lowest_count++] = low;
    if (high != 0) highest[highest_count++] = high;
  }
  const double certainty = CombineContributions({now, now_count});
  evaluation.certainty[node] = certainty;
  evaluation.range[node] = decided ? Interval{certainty, certainty}
                                   : Interval{CombineContributions({lowest, lowest_count}),
                                              CombineContributions({highest, highest_count})};
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
      mark(rule_base.nodes().size(), 0),
      queued_ranks((rule_base.evaluation_order().size() + 63) / 64, 0),
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

// Per node, while EvaluateChanged runs.
constexpr uint8_t kQueued = 1;     // its evaluation rank is queued
constexpr uint8_t kRuleMoved = 2;  // a rule of it already re-ran to a different state
constexpr uint8_t kRulesWait = 4;  // a rule of it waits to run in rank order (kRunWhenFinal)
// Per rule.
constexpr uint8_t kMarked = 1;        // re-run (or already re-run): its inputs changed
constexpr uint8_t kRunWhenFinal = 2;  // marked, and reads a conclusion: run it in rank order

// Bit for bit: a state that moved only from +0.0 to -0.0 has moved, and its conclusion must be
// re-combined, or the result would differ from EvaluateAll's in the sign of a zero (which
// answers print).
bool SameBits(double a, double b) {
  return std::bit_cast<uint64_t>(a) == std::bit_cast<uint64_t>(b);
}
// The status and the contribution follow from the intervals (and the rule's fixed cf).
bool SameState(const RuleState& a, const RuleState& b) {
  return SameBits(a.premise.lo, b.premise.lo) && SameBits(a.premise.hi, b.premise.hi) &&
         SameBits(a.possible.lo, b.possible.lo) && SameBits(a.possible.hi, b.possible.hi);
}

// Re-runs a rule; whether its state moved. A state that moved is saved for Undo. Should that
// save throw, the change is not in the log: a pool drops an evaluation handed back while an
// exception unwinds (EvaluationPool::Lease), so it never serves again.
bool Rerun(const RuleBase& rule_base, int rule, Evaluation& evaluation) {
  // Worked out beside the stored state and compared with it, so that a rule that did not move
  // (about half of those re-run) is neither copied nor written.
  const RuleState now = EvaluatedRule(rule_base, rule, evaluation);
  RuleState& stored = evaluation.rules[rule];
  if (SameState(stored, now)) return false;
  evaluation.rules_before.push_back({rule, stored});
  stored = now;
  return true;
}

// The rules reading `node` have changed inputs. One that reads facts alone re-runs at once
// (every fact is loaded, so its inputs are final) and queues its conclusion only if its state
// moved: a comparison that still holds next to a condition still unknown changes nothing
// downstream. One that reads a conclusion waits for the queue. A conclusion to re-evaluate has
// the bit of its rank set in `queued_ranks`.
void MarkReadersOf(const RuleBase& rule_base, int node, Evaluation& evaluation) {
  for (int rule : rule_base.ReaderRules(node)) {
    if (evaluation.rule_mark[rule] != 0) continue;
    evaluation.rerun_rules.push_back(rule);  // now, or when its conclusion's turn comes
    const RuleCore& core = rule_base.Core(rule);
    uint8_t node_flags = kQueued;
    if (core.conclusions_begin == core.conclusions_end) {
      evaluation.rule_mark[rule] = kMarked;
      if (!Rerun(rule_base, rule, evaluation)) continue;
      node_flags |= kRuleMoved;
    } else {
      evaluation.rule_mark[rule] = kMarked | kRunWhenFinal;
      node_flags |= kRulesWait;
    }
    uint8_t& mark = evaluation.mark[core.conclusion];
    if (mark == 0) {
      const int rank = rule_base.evaluation_rank()[core.conclusion];
      evaluation.queued_ranks[rank / 64] |= uint64_t{1} << (rank % 64);
    }
    mark |= node_flags;
  }
}

}  // namespace

void EvaluateChanged(const RuleBase& rule_base, Evaluation& evaluation) {
  for (const auto& written : evaluation.written_facts) {
    MarkReadersOf(rule_base, written.node, evaluation);
  }
  // Lowest rank first: everything a conclusion reads is final before it is evaluated. A
  // conclusion reached through one that changed ranks after it, so its bit is set ahead of the
  // sweep, in the word being worked off or a later one. Rules nothing changed for keep their
  // baseline state.
  std::vector<uint64_t>& queued = evaluation.queued_ranks;
  for (size_t word = 0; word < queued.size(); ++word) {
    while (queued[word] != 0) {
      const int rank = static_cast<int>(64 * word) + std::countr_zero(queued[word]);
      queued[word] &= queued[word] - 1;  // the lowest bit, taken
      const int node = rule_base.evaluation_order()[rank];
      // Cleared as it is taken: only conclusions of lower rank mark it, and they are done.
      const uint8_t node_mark = evaluation.mark[node];
      evaluation.mark[node] = 0;
      bool rule_moved = (node_mark & kRuleMoved) != 0;
      if ((node_mark & kRulesWait) != 0) {
        for (int index : rule_base.RulesOf(node)) {
          if ((evaluation.rule_mark[index] & kRunWhenFinal) != 0) {
            rule_moved = Rerun(rule_base, index, evaluation) || rule_moved;
          }
        }
      }
      // The conclusion is a function of its rules' states alone: when none moved, neither did
      // it.
      if (!rule_moved) continue;
      const double certainty = evaluation.certainty[node];
      const Interval range = evaluation.range[node];
      evaluation.conclusions_before.push_back({node, certainty, range});
      Combine(rule_base, node, evaluation);
      if (!SameBits(evaluation.certainty[node], certainty) ||
          !SameBits(evaluation.range[node].lo, range.lo) ||
          !SameBits(evaluation.range[node].hi, range.hi)) {
        MarkReadersOf(rule_base, node, evaluation);
      }
    }
  }
  for (int rule : evaluation.rerun_rules) evaluation.rule_mark[rule] = 0;
  evaluation.rerun_rules.clear();
}

void Undo(Evaluation& evaluation) {
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
    evaluation.rules[it->rule] = it->state;
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
