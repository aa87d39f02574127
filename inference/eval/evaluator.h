// Runs a compiled rule base over the facts of one assessment: every conclusion once, in
// topological order, with MYCIN certainty factors and three-valued logic for unknowns.
#ifndef ALIGN_INFERENCE_EVAL_EVALUATOR_H_
#define ALIGN_INFERENCE_EVAL_EVALUATOR_H_

#include <cstdint>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/types/span.h"
#include "inference/eval/certainty.h"
#include "inference/portfolio/portfolio.h"
#include "inference/io/assessment_reader.h"
#include "inference/rulebase/rule_base.h"
#include "inference/util/proto_alias.h"

namespace align::inference {

// One indicator's observed value.
struct Fact {  // 24 bytes: the flags and the choice share the first eight
  bool known = false;
  bool flag = false;
  int choice = -1;  // index into NodeInfo::choices
  double number = 0;
  double confidence = 1;
};

// The certainty a condition can still take: [lo, hi]. Known conditions have lo == hi; a
// condition on an unknown indicator spans every value it could take once known.
struct Interval {
  double lo = 0;
  double hi = 0;
};

enum class RuleStatus : uint8_t {
  kFailed,   // premise known to be at or below the firing threshold
  kFired,    // premise above the threshold whatever the unknowns turn out to be
  kBlocked,  // would fire if unknown indicators came out favourably
};

// Whether a rule with this premise fires: what is known now puts it above the threshold.
inline bool FiresOn(const Interval& premise) { return premise.lo > kFiringThreshold; }

// What a rule with this premise contributes to its conclusion: cf x premise when it fires,
// else nothing.
inline double Contribution(double cf, const Interval& premise) {
  return FiresOn(premise) ? cf * premise.lo : 0;
}

// Half a cache line, aligned: a diagnosis reads the states of the rules it touches and of
// their conclusions' other rules at random, and a state that straddled two lines (as a 48-byte
// one with the status and contribution stored did, every other time) cost two misses. The
// status and the contribution are functions of the two intervals, worked out when asked.
struct alignas(32) RuleState {
  // The premise on what is known now: conclusions at their current certainty.
  Interval premise;
  // The premise over everything the unknowns could still make of it, conclusions read at
  // their possible range. Equal to `premise` when nothing upstream waits for an unknown.
  Interval possible;

  RuleStatus status() const {
    return FiresOn(premise)                 ? RuleStatus::kFired
           : possible.hi > kFiringThreshold ? RuleStatus::kBlocked
                                            : RuleStatus::kFailed;
  }
  // What the rule contributes to its conclusion; `cf` is the rule's.
  double contribution(double cf) const { return Contribution(cf, premise); }
};
static_assert(sizeof(RuleState) == 32);

// Everything one diagnosis computes; indexed by node and rule index of the rule base.
struct Evaluation {
  explicit Evaluation(const RuleBase& rule_base);

  std::vector<Fact> facts;        // indicators
  std::vector<double> certainty;  // conclusions: what the known facts support; 0 until evaluated
  // Conclusions: the certainty they could still reach once the unknowns are known. A conclusion
  // that waits for an unknown is never simply 0: downstream rules read this range.
  std::vector<Interval> range;
  std::vector<RuleState> rules;
  // One bit per rule, set while its premise is above the firing threshold (it contributes):
  // EvaluateCertainties tells from a bit, without reading the rule's state, that a rule which
  // fires neither before nor after an observation contributes nothing either way. Written with
  // every state (SetRuleState).
  std::vector<uint64_t> fires;
  std::vector<Interval> stack;    // scratch for premise evaluation

  // What changed since the baseline, so that EvaluateCertainties and EvaluateRanges touch only
  // what the facts reach and Undo undoes only that, each with what it overwrote, saved as it was
  // overwritten: undoing then touches only memory the diagnosis already had in cache, never the
  // baseline's copy (on a large rule base, reading that back was a third of a diagnosis's cache
  // misses).
  // `mark`, `rule_mark` and the rank bits are all zero between diagnoses. A rule or conclusion
  // changed by both sweeps is saved twice; Undo puts back the older.
  struct SavedFact {
    int node;
    Fact fact;
  };
  struct SavedRule {
    int rule;
    RuleState state;
  };
  struct SavedConclusion {
    int node;
    double certainty;
    Interval range;
  };
  std::vector<SavedFact> written_facts;             // indicators LoadFacts set, as they were
  std::vector<SavedRule> rules_before;              // rules the sweeps moved
  std::vector<SavedConclusion> conclusions_before;  // conclusions the sweeps re-combined
  // Rules reading facts alone that EvaluateCertainties re-ran and found firing neither before
  // nor after, with their new premise: only their range can have moved, and EvaluateRanges
  // stores them (saving what they held in `rules_before`).
  struct PendingPremise {
    int rule;
    Interval premise;
  };
  std::vector<PendingPremise> premises_pending;
  std::vector<int> marked_rules;  // scratch: the rules with a rule_mark, to unmark
  std::vector<uint8_t> mark;  // per node: scratch flags of the two sweeps (see evaluator.cc)
  // Scratch: the conclusions to re-evaluate, one bit per evaluation rank. Worked off lowest
  // rank first; a conclusion reached through one that changed always ranks higher, so it is
  // picked up by the same sweep. All zero between calls.
  std::vector<uint64_t> queued_ranks;
  std::vector<uint64_t> range_ranks;  // the same for EvaluateRanges
  // Set by EvaluateCertainties until EvaluateRanges (or Undo) has run: where the certainty sweep
  // went, the ranges, `possible` and the premises in `premises_pending` are still the
  // baseline's.
  bool ranges_stale = false;
  // Set while EvaluateRanges runs: should it end in an exception, Undo clears every scratch flag
  // and rank bit it may have left (the lists alone do not say which).
  bool ranges_interrupted = false;
  std::vector<uint8_t> rule_mark;  // per rule reading a conclusion: what waits for the sweeps
};

// Writes a rule's state and its bit in `fires`.
inline void SetRuleState(Evaluation& evaluation, int rule, const RuleState& state) {
  evaluation.rules[rule] = state;
  const uint64_t bit = uint64_t{1} << (rule % 64);
  uint64_t& word = evaluation.fires[rule / 64];
  word = FiresOn(state.premise) ? word | bit : word & ~bit;
}
inline bool Fires(const Evaluation& evaluation, int rule) {
  return (evaluation.fires[rule / 64] >> (rule % 64)) & 1;
}

// Sets the facts from a validated assessment (see ValidateAssessment) and its portfolio
// figures. Observations of ids the rule base does not declare are ignored here.
void LoadFacts(const RuleBase& rule_base, const proto::Assessment& assessment,
               const PortfolioAnalysis& portfolio, Evaluation& evaluation);
// The same from the observations ValidateAssessment resolved to their nodes.
void LoadFacts(const RuleBase& rule_base, absl::Span<const ResolvedObservation> observations,
               const PortfolioAnalysis& portfolio, Evaluation& evaluation);

// Evaluates every conclusion.
void EvaluateAll(const RuleBase& rule_base, Evaluation& evaluation);

// Brings every certainty, every firing bit and the premise of every rule that fires up to date
// after LoadFacts on an evaluation that held the baseline (the evaluation of no facts at all,
// see EvaluationPool): only the conclusions downstream of a written fact whose inputs actually
// changed are re-evaluated, so the cost follows what the assessment reaches, not the size of
// the rule base. What is concluded, with what certainty and by which rules, is then final.
// What could still change once unknowns are known (each conclusion's range, each rule's
// `possible`, and so the blocked status), and the premises of rules that fire neither before
// nor after, are left to EvaluateRanges, which WHY-NOT, open questions and the would-fire list
// need and a caller that only reads conclusions does not: on the generated workloads nearly
// every rule re-run moves only what is possible, and about one conclusion in seventy changes
// its certainty.
void EvaluateCertainties(const RuleBase& rule_base, Evaluation& evaluation);
// Brings the rest up to date after EvaluateCertainties; then the evaluation equals
// EvaluateAll's, bit for bit. Later calls do nothing.
void EvaluateRanges(const RuleBase& rule_base, Evaluation& evaluation);
// Both, one after the other.
void EvaluateChanged(const RuleBase& rule_base, Evaluation& evaluation);

// Calls visit(node) for each node an assessment answered in `evaluation`, brought from the
// baseline through LoadFacts and EvaluateCertainties: each fact LoadFacts made known, and each
// conclusion whose certainty the sweep moved, read from what it saved for Undo (an evaluation
// made by EvaluateAll has saved nothing). A node may come more than once. The rules reading
// these are the ones the assessment touched: the would-fire list and the open questions start
// from them.
template <typename Visit>
void VisitAnsweredNodes(const Evaluation& evaluation, Visit visit) {
  for (const auto& written : evaluation.written_facts) {
    if (evaluation.facts[written.node].known) visit(written.node);
  }
  for (const auto& saved : evaluation.conclusions_before) {
    // The range sweep saves too, with the certainty as it stands: not a move.
    if (evaluation.certainty[saved.node] != saved.certainty) visit(saved.node);
  }
}

// Undoes LoadFacts and EvaluateCertainties (and EvaluateRanges, if it ran): `evaluation` is
// again what it was before LoadFacts (for a pooled evaluation, the baseline). Anything else that
// writes to the evaluation must put back what it wrote itself.
void Undo(Evaluation& evaluation);

// Re-evaluates only `nodes` (conclusions, in evaluation order), every rule of each.
void EvaluateNodes(const RuleBase& rule_base, absl::Span<const int> nodes,
                   Evaluation& evaluation);

// What one rule contributes to its conclusion on what is known now: cf x premise if it fires,
// else 0. Equals RuleState::contribution(core.cf) after a full evaluation; reads, never
// writes, the rule's state.
double NowContribution(const RuleBase& rule_base, int rule, Evaluation& evaluation);

// Whether some answer about `indicator`, unknown now, could make the rule fire on what is known
// now (the conclusions it reads at their certainty). An answer narrows the indicator's leaves to
// one value each, so the premise's low end afterwards is at most what it is with each of those
// leaves at its most favourable value and every other unknown at its least; false when even that
// does not pass the firing threshold. Not for known(…), which no value of the indicator decides.
bool MayFireOnAnswer(const RuleBase& rule_base, int rule, int indicator, Evaluation& evaluation);

// Appends the value of each leaf of the rule that reads `indicator`, in plan order: two values
// of a known indicator alike here are alike to the rule, whatever else it reads. (A known fact
// gives each leaf one value; the low end is appended.)
void AppendLeavesReading(const RuleBase& rule_base, int rule, int indicator,
                         const Evaluation& evaluation, std::vector<double>* values);

// Brings one conclusion's certainty up to date from what is known now (no rule states, no
// ranges): the step of trying out an answer.
void EvaluateCertainty(const RuleBase& rule_base, int node, Evaluation& evaluation);

// The value of every op of the rule's plan, for explanations; parallel to RuleBase::Plan.
// With `possible`, conclusions are read at their possible range rather than their certainty.
std::vector<Interval> TracePlan(const RuleBase& rule_base, const Rule& rule,
                                const Evaluation& evaluation, bool possible);
// The same without allocating for plans of up to 16 ops, which is nearly every rule.
using PlanValues = absl::InlinedVector<Interval, 16>;
void TracePlan(const RuleBase& rule_base, const Rule& rule, const Evaluation& evaluation,
               bool possible, PlanValues& values);

}  // namespace align::inference

#endif  // ALIGN_INFERENCE_EVAL_EVALUATOR_H_
