#include "inference/eval/explanation.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "inference/eval/certainty.h"
#include "inference/util/format.h"

namespace align::inference {
namespace {

std::string Certainty(double value) { return FormatHundredths(value); }


// Whether a value with this polarity surely meets the firing threshold (polarity -1 asks for
// the negation to fire, as under a 'not').
bool Satisfied(const Interval& v, int polarity) {
  return polarity > 0 ? v.lo > kFiringThreshold : -v.hi > kFiringThreshold;
}
bool CannotSatisfy(const Interval& v, int polarity) {
  return polarity > 0 ? v.hi <= kFiringThreshold : -v.lo <= kFiringThreshold;
}

// The leaf op most responsible for op `index` not meeting the threshold with `polarity`, and
// the polarity the leaf is needed with; {-1, 0} when the op meets it.
std::pair<int, int> Blame(absl::Span<const Op> plan, const PlanValues& values,
                          int index, int polarity) {
  if (Satisfied(values[index], polarity)) return {-1, 0};
  const Op& op = plan[index];
  if (op.leaf >= 0) return {index, polarity};
  if (op.code == OpCode::kNot) return Blame(plan, values, index - 1, -polarity);
  std::vector<int> operands = OperandsOf(plan, index);
  const bool needs_all = (op.code == OpCode::kAnd) == (polarity > 0);
  if (needs_all) {
    // A definite failure explains more than an unknown: knowing the unknown would not help.
    for (int operand : operands) {
      if (CannotSatisfy(values[operand], polarity)) return Blame(plan, values, operand, polarity);
    }
    for (int operand : operands) {
      if (!Satisfied(values[operand], polarity)) return Blame(plan, values, operand, polarity);
    }
    return {-1, 0};
  }
  // Any operand would do; point at the first one that still could.
  for (int operand : operands) {
    if (!CannotSatisfy(values[operand], polarity)) return Blame(plan, values, operand, polarity);
  }
  return Blame(plan, values, operands.front(), polarity);
}

// Whether the condition holds (a positive degree, however weak) or not, once that is decided
// either way, even if unknowns could still move its degree.
proto::ConditionOutcome OutcomeOf(const Interval& v) {
  if (v.lo > 0) return proto::CONDITION_TRUE;
  if (v.hi <= 0) return proto::CONDITION_FALSE;
  return proto::CONDITION_UNKNOWN;
}

// The sentences append to the explanation's text as they go: explanations are built for every
// conclusion of every diagnosis, and temporaries were most of their cost.
void AppendLeafSentence(const proto::ConditionTrace& c, bool negated, std::string* out) {
  const std::string& words = c.wording();
  if (negated) {
    absl::StrAppend(out, "the opposite of (", words, ")");
  } else {
    out->append(words);
  }
  if (c.outcome() == proto::CONDITION_UNKNOWN) {
    // An unknown indicator, or a conclusion that waits for unknowns further up.
    if (c.actual() == "unknown") {
      out->append(", which the assessment does not give");
    } else {
      absl::StrAppend(out, ", which is still open: ", c.actual());
    }
  } else if (absl::StartsWith(c.actual(), "certainty")) {
    // A conclusion's value comes from other rules, not from the assessment.
    absl::StrAppend(out, ", and it stands at ", c.actual());
  } else {
    absl::StrAppend(out, ", the assessment says ", c.actual());
  }
}

void AppendRuleSentence(const proto::RuleTrace& rule, std::string* out) {
  switch (rule.outcome()) {
    case proto::RULE_FIRED: {
      absl::StrAppend(out, "rule ", rule.rule_id(), " fired (premise ", Certainty(rule.premise()),
                      " x cf ", FormatNumber(rule.rule_cf()), " = ",
                      Certainty(rule.contribution()), "): ");
      for (int i = 0; i < rule.conditions_size(); ++i) {
        const proto::ConditionTrace& c = rule.conditions(i);
        absl::StrAppend(out, i == 0 ? "" : "; ", c.subject(), " is ", c.actual());
      }
      out->push_back('.');
      break;
    }
    case proto::RULE_FAILED:
    case proto::RULE_BLOCKED_BY_UNKNOWN: {
      absl::StrAppend(out, "rule ", rule.rule_id());
      if (rule.outcome() == proto::RULE_BLOCKED_BY_UNKNOWN) {
        absl::StrAppend(out, " would fire if ", absl::StrJoin(rule.missing(), ", "), " were known");
      } else {
        out->append(" did not fire");
      }
      if (rule.first_failing() >= 0) {
        out->append(": it needs ");
        AppendLeafSentence(rule.conditions(rule.first_failing()), rule.first_failing_negated(),
                           out);
        out->push_back('.');
      } else {
        absl::StrAppend(out, ": its premise is only ", Certainty(rule.premise()),
                        " (needs more than ", FormatNumber(kFiringThreshold), ").");
      }
      break;
    }
    default:
      break;
  }
  if (!rule.because().empty()) absl::StrAppend(out, " Because: ", rule.because());
}

}  // namespace

std::string ShowValue(const RuleBase& rule_base, const Evaluation& evaluation, int node) {
  const NodeInfo& info = rule_base.node(node);
  if (info.kind != NodeKind::kIndicator) {
    std::string value = absl::StrCat("certainty ", Certainty(evaluation.certainty[node]));
    const Interval& range = evaluation.range[node];
    if (range.lo != range.hi) {
      absl::StrAppend(&value, ", between ", Certainty(range.lo), " and ", Certainty(range.hi),
                      " once unknowns are known");
    }
    return value;
  }
  const Fact& fact = evaluation.facts[node];
  if (!fact.known) return "unknown";
  std::string value;
  switch (info.type) {
    case ValueType::kNumber:
      value = FormatHundredths(fact.number);
      if (!info.unit.empty() && info.unit[0] == '%') {
        absl::StrAppend(&value, info.unit);
      } else if (!info.unit.empty()) {
        absl::StrAppend(&value, " ", info.unit);
      }
      break;
    case ValueType::kBool:
      value = fact.flag ? "true" : "false";
      break;
    case ValueType::kChoice:
      value = info.choices[fact.choice];
      break;
  }
  if (fact.confidence < 1) absl::StrAppend(&value, " (confidence ", FormatNumber(fact.confidence), ")");
  return value;
}

proto::RuleTrace TraceRule(const RuleBase& rule_base, const Evaluation& evaluation,
                           int rule_index) {
  proto::RuleTrace trace;
  TraceRule(rule_base, evaluation, rule_index, &trace);
  return trace;
}

void TraceRule(const RuleBase& rule_base, const Evaluation& evaluation, int rule_index,
               proto::RuleTrace* out) {
  proto::RuleTrace& trace = *out;
  const Rule& rule = rule_base.rules()[rule_index];
  const RuleState& state = evaluation.rules[rule_index];
  absl::Span<const Op> plan = rule_base.Plan(rule);
  // Degrees as they stand; outcomes and blame over what the unknowns could still change.
  PlanValues now, values;
  TracePlan(rule_base, rule, evaluation, /*possible=*/false, now);
  TracePlan(rule_base, rule, evaluation, /*possible=*/true, values);

  trace.set_rule_id(rule.id);
  trace.set_outcome(state.status == RuleStatus::kFired     ? proto::RULE_FIRED
                    : state.status == RuleStatus::kBlocked ? proto::RULE_BLOCKED_BY_UNKNOWN
                                                           : proto::RULE_FAILED);
  trace.set_rule_cf(rule.cf);
  trace.set_premise(state.premise.lo);
  trace.set_contribution(state.contribution);
  trace.set_condition(rule.condition);
  trace.set_because(rule.because);
  trace.set_source(rule.source);
  absl::InlinedVector<int, 8> leaf_ops(rule.leaves.size(), -1);
  for (size_t i = 0; i < plan.size(); ++i) {
    if (plan[i].leaf >= 0) leaf_ops[plan[i].leaf] = static_cast<int>(i);
  }
  for (size_t l = 0; l < rule.leaves.size(); ++l) {
    const Leaf& leaf = rule.leaves[l];
    const Interval& v = values[leaf_ops[l]];
    proto::ConditionTrace* c = trace.add_conditions();
    c->set_text(leaf.text);
    c->set_subject(rule_base.node(leaf.node).id);
    c->set_outcome(OutcomeOf(v));
    c->set_degree(now[leaf_ops[l]].lo);
    c->set_actual(ShowValue(rule_base, evaluation, leaf.node));
    c->set_expected(leaf.expected);
    c->set_wording(leaf.wording);
  }
  auto [blamed, polarity] = state.status == RuleStatus::kFired
                                ? std::pair<int, int>{-1, 0}
                                : Blame(plan, values, static_cast<int>(plan.size()) - 1, +1);
  // A leaf that holds, only too weakly (a low-confidence observation, a gentle ramp), is not a
  // failing condition: the sentence then says the premise is too weak instead.
  if (blamed >= 0 && values[blamed].lo == values[blamed].hi && polarity * values[blamed].lo > 0) {
    blamed = -1;
  }
  trace.set_first_failing(blamed >= 0 ? plan[blamed].leaf : -1);
  trace.set_first_failing_negated(blamed >= 0 && polarity < 0);
  if (state.status != RuleStatus::kFired) {
    for (std::string& id : MissingIndicators(rule_base, evaluation, rule_index)) {
      trace.add_missing(std::move(id));
    }
  }
}

std::vector<std::string> MissingIndicators(const RuleBase& rule_base, const Evaluation& evaluation,
                                           int rule_index) {
  // Node indices follow id order, so sorting indices sorts ids.
  std::vector<int> missing;
  for (int read : rule_base.rules()[rule_index].reads) {
    if (rule_base.node(read).kind == NodeKind::kIndicator) {
      if (!evaluation.facts[read].known) missing.push_back(read);
      continue;
    }
    // A conclusion still waiting for unknowns: name the unknown indicators behind it.
    const Interval& range = evaluation.range[read];
    if (range.lo == range.hi) continue;
    for (int upstream : rule_base.IndicatorsBehind(read)) {
      if (!evaluation.facts[upstream].known) missing.push_back(upstream);
    }
  }
  std::sort(missing.begin(), missing.end());
  missing.erase(std::unique(missing.begin(), missing.end()), missing.end());
  std::vector<std::string> ids;
  ids.reserve(missing.size());
  for (int node : missing) ids.push_back(rule_base.node(node).id);
  return ids;
}

proto::Explanation ExplainNode(const RuleBase& rule_base, const Evaluation& evaluation, int node,
                               bool all_rules) {
  proto::Explanation explanation;
  ExplainNode(rule_base, evaluation, node, all_rules, &explanation);
  return explanation;
}

void ExplainNode(const RuleBase& rule_base, const Evaluation& evaluation, int node, bool all_rules,
                 proto::Explanation* out) {
  const NodeInfo& info = rule_base.node(node);
  proto::Explanation& explanation = *out;
  explanation.set_node_id(info.id);
  explanation.set_kind(std::string(KindName(info.kind)));
  explanation.set_title(info.title);
  if (info.kind == NodeKind::kIndicator) {
    const bool known = evaluation.facts[node].known;
    explanation.set_concluded(known);
    std::string where;
    if (info.builtin) {
      where = known ? absl::StrCat("computed from the service areas: ",
                                   ShowValue(rule_base, evaluation, node))
                    : "unknown, since the assessment lists no service areas it can be computed from";
    } else {
      where = known ? absl::StrCat("the assessment gives ", ShowValue(rule_base, evaluation, node))
                    : "the assessment does not give it";
    }
    explanation.set_text(absl::StrCat(info.title, " (", info.id, ") is an indicator: ", where, "."));
    return;
  }
  const double certainty = evaluation.certainty[node];
  const bool concluded = certainty > kFiringThreshold;
  explanation.set_concluded(concluded);
  explanation.set_certainty(certainty);
  std::string text = absl::StrCat(info.title, " (", info.id, ") ",
                                  concluded ? "was concluded with certainty "
                                            : "was not concluded (certainty ",
                                  Certainty(certainty), concluded ? "." : ").");
  if (info.rules.empty()) absl::StrAppend(&text, "\n- no rule concludes it.");
  for (int index : info.rules) {
    const bool fired = evaluation.rules[index].status == RuleStatus::kFired;
    if (concluded && !fired && !all_rules) continue;
    proto::RuleTrace* trace = explanation.add_rules();
    TraceRule(rule_base, evaluation, index, trace);
    text.append("\n- ");
    AppendRuleSentence(*trace, &text);
  }
  explanation.set_text(std::move(text));
}

}  // namespace align::inference
