// Which unknown indicators are worth asking about: those whose answer could most change the
// certainty of a cause, found by re-evaluating only the downstream part of the graph.
#ifndef ALIGN_INFERENCE_EVAL_QUESTIONS_H_
#define ALIGN_INFERENCE_EVAL_QUESTIONS_H_

#include <vector>

#include "absl/types/span.h"
#include "inference/eval/evaluator.h"
#include "inference/rulebase/rule_base.h"
#include "inference/util/proto_alias.h"

namespace align::inference {

// Unknown, observable indicators ranked by impact: the largest change in any cause's certainty
// over the values the indicator could take (each side of every threshold the rules use).
// Ties break by id. Indicators that could change nothing are left out. At most `limit`.
// `evaluation` must be complete and up to date (EvaluateAll, or LoadFacts and EvaluateChanged):
// the search reads the certainties, the ranges and each rule's contribution. Answers are tried
// out on it, and it is as it was again on return.
//
// `stats`, when given, receives what the search did: it lets tests see that answers which
// change no rule re-evaluate nothing and that indicators which cannot rank are left untried.
struct QuestionSearchStats {
  int indicators_tried = 0;
  int indicators_untried = 0;     // ruled out by their bound once `limit` were kept
  int answers_tried = 0;          // one per value tried for an indicator a reader could fire on
  int conclusions_evaluated = 0;  // by all the trials together
};
// `indicators`: the ones to consider, sorted; those known or not askable are passed over.
// RuleBase::AskableIndicators() considers every one; a consultation passes
// IndicatorsWorthAsking, which leaves out those no answer could move.
std::vector<proto::OpenQuestion> RankOpenQuestions(const RuleBase& rule_base,
                                                   Evaluation& evaluation,
                                                   absl::Span<const int> indicators, size_t limit,
                                                   QuestionSearchStats* stats = nullptr);

// Which indicators an open question could be about at all, worked out once per rule base from
// its baseline (the evaluation of an empty assessment; EvaluationPool builds it).
class QuestionReach {
 public:
  // `baseline` is as it was on return. Costs one rule evaluation per value tried of each
  // askable indicator, for each rule reading it.
  QuestionReach(const RuleBase& rule_base, Evaluation& baseline);

  // The askable indicators of which some answer alone changes what a rule reading them
  // contributes in the baseline, every other indicator unknown. Sorted.
  const std::vector<int>& moving_the_baseline() const { return moving_the_baseline_; }
  // For a node: the askable indicators outside moving_the_baseline() that a rule reading the
  // node reads (the node itself among them if it is one). Sorted.
  absl::Span<const int> PartnersOf(int node) const {
    return absl::MakeConstSpan(partners_.data() + partners_start_[node],
                               partners_.data() + partners_start_[node + 1]);
  }

 private:
  std::vector<int> moving_the_baseline_;
  std::vector<int> partners_, partners_start_;  // node n's are [start[n], start[n + 1])
};

// The unknown askable indicators an answer to which could change anything in `evaluation`,
// which must have come from the baseline through LoadFacts, EvaluateCertainties and
// EvaluateRanges (what a consultation does; see VisitAnsweredNodes). Sorted. Those read by a
// rule the assessment touched (one reading a node it answered), and the unknown ones of
// reach.moving_the_baseline(). Any other is read only by rules that see what the baseline
// saw, where no answer to it alone changes a contribution, so its trials would move nothing.
// On a large rule base read against a sparse assessment this is the difference between
// trying what the assessment reached and trying every indicator. Costs a look at the partners
// (QuestionReach::PartnersOf) of each fact written and conclusion moved.
std::vector<int> IndicatorsWorthAsking(const Evaluation& evaluation, const QuestionReach& reach);

}  // namespace align::inference

#endif  // ALIGN_INFERENCE_EVAL_QUESTIONS_H_
