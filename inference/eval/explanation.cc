#include "inference/eval/explanation.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
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

// Field numbers of the messages written here (proto/alignment/v1/diagnosis.proto).
namespace explanation_field {
constexpr int kNodeId = 1, kKind = 2, kTitle = 3, kConcluded = 4, kCertainty = 5, kRules = 6,
              kText = 7;
}
namespace rule_field {
constexpr int kRuleId = 1, kOutcome = 2, kRuleCf = 3, kPremise = 4, kContribution = 5,
              kCondition = 6, kBecause = 7, kSource = 8, kConditions = 9, kFirstFailing = 10,
              kMissing = 11, kFirstFailingNegated = 12;
}
namespace condition_field {
constexpr int kText = 1, kSubject = 2, kOutcome = 3, kDegree = 4, kActual = 5, kExpected = 6,
              kWording = 7;
}

// The sentence for a leaf that kept a rule from firing.
void AppendLeafSentence(absl::string_view wording, bool negated, int outcome,
                        absl::string_view actual, std::string* out) {
  if (negated) {
    AppendPieces(out, {"the opposite of (", wording, ")"});
  } else {
    out->append(wording.data(), wording.size());
  }
  if (outcome == proto::CONDITION_UNKNOWN) {
    // An unknown indicator, or a conclusion that waits for unknowns further up.
    if (actual == "unknown") {
      out->append(", which the assessment does not give");
    } else {
      AppendPieces(out, {", which is still open: ", actual});
    }
  } else if (absl::StartsWith(actual, "certainty")) {
    // A conclusion's value comes from other rules, not from the assessment.
    AppendPieces(out, {", and it stands at ", actual});
  } else {
    AppendPieces(out, {", the assessment says ", actual});
  }
}

}  // namespace

void AppendValue(const RuleBase& rule_base, const Evaluation& evaluation, int node,
                 std::string* out) {
  const NodeInfo& info = rule_base.node(node);
  if (info.kind != NodeKind::kIndicator) {
    out->append("certainty ");
    AppendHundredths(evaluation.certainty[node], out);
    const Interval& range = evaluation.range[node];
    if (range.lo != range.hi) {
      AppendPieces(out, {", between ", Certainty(range.lo), " and ", Certainty(range.hi),
                         " once unknowns are known"});
    }
    return;
  }
  const Fact& fact = evaluation.facts[node];
  if (!fact.known) {
    out->append("unknown");
    return;
  }
  switch (info.type) {
    case ValueType::kNumber:
      AppendHundredths(fact.number, out);
      if (!info.unit.empty() && info.unit[0] == '%') {
        out->append(info.unit);
      } else if (!info.unit.empty()) {
        AppendPieces(out, {" ", info.unit});
      }
      break;
    case ValueType::kBool:
      out->append(fact.flag ? "true" : "false");
      break;
    case ValueType::kChoice:
      out->append(info.choices[fact.choice]);
      break;
  }
  if (fact.confidence < 1) {
    AppendPieces(out, {" (confidence ", FormatNumber(fact.confidence), ")"});
  }
}

namespace {

// Calls `visit(indicator)` for each unknown indicator a rule waits for: those it reads, and those
// behind any conclusion it reads whose certainty is still open (an indicator may come more than
// once). Stops, returning true, as soon as `visit` returns true.
template <typename Visit>
bool VisitUnknownsBehind(const RuleBase& rule_base, const Evaluation& evaluation, int rule_index,
                         Visit visit) {
  for (int read : rule_base.rules()[rule_index].reads) {
    if (rule_base.node(read).kind == NodeKind::kIndicator) {
      if (!evaluation.facts[read].known && visit(read)) return true;
      continue;
    }
    const Interval& range = evaluation.range[read];
    if (range.lo == range.hi) continue;
    for (int upstream : rule_base.IndicatorsBehind(read)) {
      if (!evaluation.facts[upstream].known && visit(upstream)) return true;
    }
  }
  return false;
}

}  // namespace

void MissingIndicators(const RuleBase& rule_base, const Evaluation& evaluation, int rule_index,
                       std::vector<int>* missing_out) {
  // Node indices follow id order, so sorting indices sorts ids.
  std::vector<int>& missing = *missing_out;
  missing.clear();
  VisitUnknownsBehind(rule_base, evaluation, rule_index, [&](int node) {
    missing.push_back(node);
    return false;
  });
  std::sort(missing.begin(), missing.end());
  missing.erase(std::unique(missing.begin(), missing.end()), missing.end());
}

bool WaitsForUnknown(const RuleBase& rule_base, const Evaluation& evaluation, int rule_index) {
  return VisitUnknownsBehind(rule_base, evaluation, rule_index, [](int) { return true; });
}

std::vector<int> WaitingRules(const RuleBase& rule_base, const Evaluation& evaluation, int limit,
                              bool* truncated) {
  std::vector<int> listed;
  bool more = false;
  if (truncated != nullptr) *truncated = false;
  if (limit == 0) return listed;  // looks for none
  const size_t room = limit < 0 ? rule_base.rules().size() : static_cast<size_t>(limit);
  // Lists a rule that waits for an unknown, or notes that one more waits than there is room
  // for; false once the list is full.
  auto take = [&](int rule) {
    if (!WaitsForUnknown(rule_base, evaluation, rule)) return true;
    if (listed.size() == room) {
      more = true;
      return false;
    }
    listed.push_back(rule);
    return true;
  };
  // Rules the assessment answers in part: those reading a node it answered (an indicator it
  // gives or a conclusion it moved; VisitAnsweredNodes). Each is keyed by how far it is from
  // firing:
  // open conclusions read, then unknown indicators read, then rule index, packed into one word
  // so that sorting compares integers.
  std::vector<uint64_t> partly;
  auto rule_of = [](uint64_t key) { return static_cast<int>(key & 0xffffffff); };
  auto consider = [&](int rule) {
    if (evaluation.rules[rule].status() != RuleStatus::kBlocked) return;
    uint64_t open_conclusions = 0, unknown_indicators = 0;
    rule_base.VisitReads(rule, [&](int node, bool conclusion) {
      if (conclusion) {
        open_conclusions += evaluation.range[node].lo != evaluation.range[node].hi;
      } else {
        unknown_indicators += evaluation.facts[node].known ? 0 : 1;
      }
    });
    // A rule reads a few nodes: the counts stay far below 2^16, and rule indices below 2^32.
    partly.push_back(open_conclusions << 48 | unknown_indicators << 32 |
                     static_cast<uint32_t>(rule));
  };
  VisitAnsweredNodes(evaluation, [&](int node) {
    for (int rule : rule_base.ReaderRules(node)) consider(rule);
  });
  std::sort(partly.begin(), partly.end());
  // A rule reading two given or moved nodes came twice, with the same key.
  partly.erase(std::unique(partly.begin(), partly.end()), partly.end());
  for (uint64_t key : partly) {
    if (!take(rule_of(key))) break;
  }
  if (!more) {
    // Every rule the assessment answers in part is listed. Every indicator the rest read is
    // unknown, so the compiler's order by what they read is their distance from firing.
    std::vector<int> seen;
    seen.reserve(partly.size());
    for (uint64_t key : partly) seen.push_back(rule_of(key));
    std::sort(seen.begin(), seen.end());
    for (int rule : rule_base.RulesByReads()) {
      if (evaluation.rules[rule].status() != RuleStatus::kBlocked ||
          std::binary_search(seen.begin(), seen.end(), rule)) {
        continue;
      }
      if (!take(rule)) break;
    }
  }
  if (truncated != nullptr) *truncated = more;
  return listed;
}

// One RuleTrace, and its sentence appended to text_.
void ExplanationWriter::WriteRule(int rule_index, WireWriter& out) {
  namespace f = rule_field;
  namespace c = condition_field;
  const Rule& rule = rule_base_.rules()[rule_index];
  const RuleState& state = evaluation_.rules[rule_index];
  absl::Span<const Op> plan = rule_base_.Plan(rule);
  // Degrees as they stand; outcomes and blame over what the unknowns could still change. Only
  // conclusions are read differently for what is possible: a rule reading facts alone has one
  // trace for both.
  TracePlan(rule_base_, rule, evaluation_, /*possible=*/false, now_);
  if (rule_base_.ConclusionsReadBy(rule_base_.Core(rule_index)).empty()) {
    possible_ = now_;
  } else {
    TracePlan(rule_base_, rule, evaluation_, /*possible=*/true, possible_);
  }

  const RuleStatus status = state.status();
  const double contribution = state.contribution(rule.cf);
  const auto outcome = status == RuleStatus::kFired     ? proto::RULE_FIRED
                       : status == RuleStatus::kBlocked ? proto::RULE_BLOCKED_BY_UNKNOWN
                                                        : proto::RULE_FAILED;
  out.String(f::kRuleId, rule.id);
  out.Int(f::kOutcome, outcome);
  out.Double(f::kRuleCf, rule.cf);
  out.Double(f::kPremise, state.premise.lo);
  out.Double(f::kContribution, contribution);
  out.String(f::kCondition, rule.condition);
  out.String(f::kBecause, rule.because);
  out.String(f::kSource, rule.source);

  absl::InlinedVector<int, 8> leaf_ops(rule.leaves.size(), -1);
  for (size_t i = 0; i < plan.size(); ++i) {
    if (plan[i].leaf >= 0) leaf_ops[plan[i].leaf] = static_cast<int>(i);
  }
  if (actual_.size() < rule.leaves.size()) actual_.resize(rule.leaves.size());
  outcome_.resize(rule.leaves.size());
  for (size_t l = 0; l < rule.leaves.size(); ++l) {
    const Leaf& leaf = rule.leaves[l];
    std::string& actual = actual_[l];
    actual.clear();
    AppendValue(rule_base_, evaluation_, leaf.node, &actual);
    outcome_[l] = OutcomeOf(possible_[leaf_ops[l]]);
    const size_t condition = out.Begin(f::kConditions);
    out.String(c::kText, leaf.text);
    out.String(c::kSubject, rule_base_.node(leaf.node).id);
    out.Int(c::kOutcome, outcome_[l]);
    out.Double(c::kDegree, now_[leaf_ops[l]].lo);
    out.String(c::kActual, actual);
    out.String(c::kExpected, leaf.expected);
    out.String(c::kWording, leaf.wording);
    out.End(condition);
  }
  auto [blamed, polarity] = status == RuleStatus::kFired
                                ? std::pair<int, int>{-1, 0}
                                : Blame(plan, possible_, static_cast<int>(plan.size()) - 1, +1);
  // A leaf that holds, only too weakly (a low-confidence observation, a gentle ramp), is not a
  // failing condition: the sentence then says the premise is too weak instead.
  if (blamed >= 0 && possible_[blamed].lo == possible_[blamed].hi &&
      polarity * possible_[blamed].lo > 0) {
    blamed = -1;
  }
  const int first_failing = blamed >= 0 ? plan[blamed].leaf : -1;
  const bool negated = blamed >= 0 && polarity < 0;
  out.Int(f::kFirstFailing, first_failing);
  missing_.clear();
  if (status != RuleStatus::kFired) {
    MissingIndicators(rule_base_, evaluation_, rule_index, &missing_);
    for (int node : missing_) out.Bytes(f::kMissing, rule_base_.node(node).id);
  }
  out.Bool(f::kFirstFailingNegated, negated);

  // The same in a sentence.
  text_.append("\n- ");
  if (outcome == proto::RULE_FIRED) {
    AppendPieces(&text_, {"rule ", rule.id, " fired (premise "});
    AppendHundredths(state.premise.lo, &text_);
    AppendPieces(&text_, {" x cf ", rule.cf_text, " = "});
    AppendHundredths(contribution, &text_);
    text_.append("): ");
    for (size_t l = 0; l < rule.leaves.size(); ++l) {
      AppendPieces(&text_, {l == 0 ? "" : "; ", rule_base_.node(rule.leaves[l].node).id, " is ",
                            actual_[l]});
    }
    text_.push_back('.');
  } else {
    AppendPieces(&text_, {"rule ", rule.id});
    if (outcome == proto::RULE_BLOCKED_BY_UNKNOWN) {
      text_.append(" would fire if ");
      for (size_t i = 0; i < missing_.size(); ++i) {
        AppendPieces(&text_, {i == 0 ? "" : ", ", rule_base_.node(missing_[i]).id});
      }
      text_.append(" were known");
    } else {
      text_.append(" did not fire");
    }
    if (first_failing >= 0) {
      text_.append(": it needs ");
      AppendLeafSentence(rule.leaves[first_failing].wording, negated, outcome_[first_failing],
                         actual_[first_failing], &text_);
      text_.push_back('.');
    } else {
      AppendPieces(&text_, {": its premise is only ", Certainty(state.premise.lo),
                            " (needs more than ", FormatNumber(kFiringThreshold), ")."});
    }
  }
  if (!rule.because.empty()) AppendPieces(&text_, {" Because: ", rule.because});
}

void ExplanationWriter::Write(int node, bool all_rules, WireWriter& out) {
  namespace f = explanation_field;
  const NodeInfo& info = rule_base_.node(node);
  out.String(f::kNodeId, info.id);
  out.String(f::kKind, KindName(info.kind));
  out.String(f::kTitle, info.title);
  text_.clear();
  if (info.kind == NodeKind::kIndicator) {
    const bool known = evaluation_.facts[node].known;
    out.Bool(f::kConcluded, known);
    AppendPieces(&text_, {info.title, " (", info.id, ") is an indicator: "});
    if (info.builtin) {
      if (known) {
        text_.append("computed from the service areas: ");
        AppendValue(rule_base_, evaluation_, node, &text_);
      } else {
        text_.append(
            "unknown, since the assessment lists no service areas it can be computed from");
      }
    } else if (known) {
      text_.append("the assessment gives ");
      AppendValue(rule_base_, evaluation_, node, &text_);
    } else {
      text_.append("the assessment does not give it");
    }
    text_.push_back('.');
    out.String(f::kText, text_);
    return;
  }
  const double certainty = evaluation_.certainty[node];
  const bool concluded = certainty > kFiringThreshold;
  out.Bool(f::kConcluded, concluded);
  out.Double(f::kCertainty, certainty);
  AppendPieces(&text_,
               {info.title, " (", info.id, ") ",
                concluded ? "was concluded with certainty " : "was not concluded (certainty ",
                Certainty(certainty), concluded ? "." : ")."});
  if (info.rules.empty()) text_.append("\n- no rule concludes it.");
  for (int index : info.rules) {
    const bool fired = evaluation_.rules[index].status() == RuleStatus::kFired;
    if (concluded && !fired && !all_rules) continue;
    const size_t trace = out.Begin(f::kRules);
    WriteRule(index, out);
    out.End(trace);
  }
  out.String(f::kText, text_);
}

absl::StatusOr<proto::Explanation> ExplainNode(const RuleBase& rule_base,
                                               const Evaluation& evaluation, int node,
                                               bool all_rules) {
  std::string bytes;
  WireWriter out(&bytes);
  ExplanationWriter(rule_base, evaluation).Write(node, all_rules, out);
  out.Finish();
  proto::Explanation explanation;
  if (!explanation.ParseFromString(bytes)) {
    return absl::InternalError(absl::StrCat("the explanation of ", rule_base.node(node).id,
                                            " was written as bytes that do not parse"));
  }
  return explanation;
}

}  // namespace align::inference
