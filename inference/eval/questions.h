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
  int answers_tried = 0;          // one per value tried for an indicator
  int conclusions_evaluated = 0;  // by all the trials together
};
// `indicators`: the ones to consider, sorted; those known or not askable are passed over.
// RuleBase::AskableIndicators() considers every one; a consultation passes
// IndicatorsWorthAsking, which leaves out those no answer could move.
std::vector<proto::OpenQuestion> RankOpenQuestions(const RuleBase& rule_base,
                                                   Evaluation& evaluation,
                                                   absl::Span<const int> indicators, size_t limit,
                                                   QuestionSearchStats* stats = nullptr);

// The askable indicators of which some answer alone changes what a rule reading them
// contributes, on `baseline`: the rule base evaluated with no facts, every other indicator
// unknown. Sorted. Worked out once per rule base (EvaluationPool); `baseline` is as it was on
// return. Costs one rule evaluation per value tried of each indicator, for each rule reading it.
std::vector<int> IndicatorsMovingTheBaseline(const RuleBase& rule_base, Evaluation& baseline);

// The unknown askable indicators an answer to which could change anything in `evaluation`,
// which must have come from the baseline through LoadFacts, EvaluateCertainties and
// EvaluateRanges (what a consultation does). Sorted. Those read by a rule the assessment
// touched (one reading a fact it wrote or a conclusion it moved), and the unknown ones of
// `moving_the_baseline` (IndicatorsMovingTheBaseline). Any other is read only by rules that
// see what the baseline saw, where no answer to it alone changes a contribution, so its
// trials would move nothing. On a large rule base read against a sparse assessment this is
// the difference between trying what the assessment reached and trying every indicator.
std::vector<int> IndicatorsWorthAsking(const RuleBase& rule_base, const Evaluation& evaluation,
                                       absl::Span<const int> moving_the_baseline);

}  // namespace align::inference

#endif  // ALIGN_INFERENCE_EVAL_QUESTIONS_H_
