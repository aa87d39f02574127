// HOW and WHY-NOT: structured traces of the rules behind a node, and the same in sentences.
#ifndef ALIGN_INFERENCE_EVAL_EXPLANATION_H_
#define ALIGN_INFERENCE_EVAL_EXPLANATION_H_

#include <string>
#include <vector>

#include "inference/eval/evaluator.h"
#include "inference/rulebase/rule_base.h"
#include "inference/util/proto_alias.h"

namespace align::inference {

// A node's value as people read it: "55%", "true", "worsening", "unknown", "certainty 0.35".
std::string ShowValue(const RuleBase& rule_base, const Evaluation& evaluation, int node);

// How one rule came out: every leaf condition with its actual and expected value, and the
// first leaf that kept it from firing.
proto::RuleTrace TraceRule(const RuleBase& rule_base, const Evaluation& evaluation,
                           int rule_index);
// The same, written into `trace` (which may live on an arena).
void TraceRule(const RuleBase& rule_base, const Evaluation& evaluation, int rule_index,
               proto::RuleTrace* trace);

// The unknown indicators a rule that did not fire waits for: those it reads, and those behind
// any conclusion it reads whose certainty is still open. Sorted by id.
std::vector<std::string> MissingIndicators(const RuleBase& rule_base, const Evaluation& evaluation,
                                           int rule_index);

// HOW the node was concluded (its fired rules) or WHY NOT (every rule that could conclude it,
// each with its first failing or unknown condition). With `all_rules`, a concluded node also
// lists the rules that did not fire. Indicators get an explanation of where the value came from.
proto::Explanation ExplainNode(const RuleBase& rule_base, const Evaluation& evaluation, int node,
                               bool all_rules);
// The same, written into `explanation` (which may live on an arena).
void ExplainNode(const RuleBase& rule_base, const Evaluation& evaluation, int node, bool all_rules,
                 proto::Explanation* explanation);

}  // namespace align::inference

#endif  // ALIGN_INFERENCE_EVAL_EXPLANATION_H_
