// Which unknown indicators are worth asking about: those whose answer could most change the
// certainty of a cause, found by re-evaluating only the downstream part of the graph.
#ifndef ALIGN_INFERENCE_EVAL_QUESTIONS_H_
#define ALIGN_INFERENCE_EVAL_QUESTIONS_H_

#include <vector>

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
std::vector<proto::OpenQuestion> RankOpenQuestions(const RuleBase& rule_base,
                                                   Evaluation& evaluation, size_t limit,
                                                   QuestionSearchStats* stats = nullptr);

}  // namespace align::inference

#endif  // ALIGN_INFERENCE_EVAL_QUESTIONS_H_
