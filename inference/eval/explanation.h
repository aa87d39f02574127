// HOW and WHY-NOT: structured traces of the rules behind a node, and the same in sentences.
#ifndef ALIGN_INFERENCE_EVAL_EXPLANATION_H_
#define ALIGN_INFERENCE_EVAL_EXPLANATION_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

#include "inference/eval/evaluator.h"
#include "inference/rulebase/rule_base.h"
#include "inference/util/wire_writer.h"
#include "inference/util/proto_alias.h"

namespace align::inference {

// A node's value as people read it, appended to `out`: "55%", "true", "worsening", "unknown",
// "certainty 0.35".
void AppendValue(const RuleBase& rule_base, const Evaluation& evaluation, int node,
                 std::string* out);

// The unknown indicators a rule that did not fire waits for: those it reads, and those behind
// any conclusion it reads whose certainty is still open. Node indices, in id order, into
// `missing_out` (cleared first: callers listing many rules reuse one vector).
void MissingIndicators(const RuleBase& rule_base, const Evaluation& evaluation, int rule_index,
                       std::vector<int>* missing_out);

// Whether MissingIndicators would name any indicator, without listing them: the first unknown
// one settles it.
bool WaitsForUnknown(const RuleBase& rule_base, const Evaluation& evaluation, int rule_index);

// The rules a diagnosis lists as waiting for unknowns ("would fire if ..."): blocked, and
// waiting for an indicator (WaitsForUnknown). At most `limit` of them (any negative: every one;
// 0: none), in this order:
//  - first those the assessment answers in part, reading an indicator it gives or a conclusion
//    it moved, the nearest to firing first: fewer conclusions read that are still open, then
//    fewer unknown indicators read, then rule order;
//  - then the rest, in RuleBase::RulesByReads order: fewer conclusions read, then fewer
//    indicators read (all of them unknown), then rule order.
// `truncated` (may be null): whether more rules wait than are listed; never with a limit of 0,
// which looks for none. The first part costs what the assessment reaches; the second stops at
// the limit. `evaluation` must have come from the baseline through LoadFacts, EvaluateCertainties
// and EvaluateRanges (what a consultation does): what the assessment gave and moved is read from
// what they saved for Undo.
std::vector<int> WaitingRules(const RuleBase& rule_base, const Evaluation& evaluation, int limit,
                              bool* truncated);

// Writes explanations as the wire bytes of alignment.v1.Explanation. One writer serves every
// node of a diagnosis and keeps its scratch space between them.
//
// HOW a node was concluded (its fired rules) or WHY NOT (every rule that could conclude it,
// each with its first failing or unknown condition). With `all_rules`, a concluded node also
// lists the rules that did not fire. Indicators get an explanation of where the value came from.
// Every rule is traced: every leaf condition with its actual and expected value, and the
// first leaf that kept it from firing; the text says the same in sentences.
class ExplanationWriter {
 public:
  ExplanationWriter(const RuleBase& rule_base, const Evaluation& evaluation)
      : rule_base_(rule_base), evaluation_(evaluation) {}

  // The fields of the node's Explanation; the caller frames them (WireWriter::Begin/End).
  void Write(int node, bool all_rules, WireWriter& out);

 private:
  void WriteRule(int rule_index, WireWriter& out);

  const RuleBase& rule_base_;
  const Evaluation& evaluation_;
  // Scratch, reused: the explanation's sentences, and per leaf of the rule being traced its
  // value as shown and its outcome.
  std::string text_;
  std::vector<std::string> actual_;
  std::vector<int> outcome_;
  std::vector<int> missing_;
  PlanValues now_, possible_;
};

// The explanation as a message (parsed from what ExplanationWriter writes). Internal if those
// bytes do not parse, which would be a bug: every text in them is checked UTF-8.
absl::StatusOr<proto::Explanation> ExplainNode(const RuleBase& rule_base,
                                               const Evaluation& evaluation, int node,
                                               bool all_rules);

}  // namespace align::inference

#endif  // ALIGN_INFERENCE_EVAL_EXPLANATION_H_
