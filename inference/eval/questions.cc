#include "inference/eval/questions.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "inference/util/format.h"

namespace align::inference {
namespace {

std::vector<Fact> Candidates(const RuleBase& rule_base, int node) {
  const NodeInfo& info = rule_base.node(node);
  std::vector<Fact> facts;
  Fact fact;
  fact.known = true;
  switch (info.type) {
    case ValueType::kNumber:
      for (double v : rule_base.TrialNumbers(node)) {
        fact.number = v;
        facts.push_back(fact);
      }
      break;
    case ValueType::kBool:
      for (bool v : {false, true}) {
        fact.flag = v;
        facts.push_back(fact);
      }
      break;
    case ValueType::kChoice:
      for (size_t i = 0; i < info.choices.size(); ++i) {
        fact.choice = static_cast<int>(i);
        facts.push_back(fact);
      }
      break;
  }
  return facts;
}

}  // namespace

std::vector<proto::OpenQuestion> RankOpenQuestions(const RuleBase& rule_base,
                                                   Evaluation& evaluation, size_t limit) {
  // What the search found for one indicator; the question itself is worded only for those
  // that make the cut.
  struct Scored {
    double impact;
    int node;
    Fact best_value;
    int best_cause;
    double best_after;
    std::vector<double> cause_impact;  // per entry of CausesOf(node)
  };
  if (limit == 0) return {};
  std::vector<Scored> scored;
  // Answers are tried on `evaluation` itself; each trial is undone before the next. A
  // conclusion is re-evaluated only when something it reads changed: `mark` flags them.
  std::vector<uint8_t>& stale = evaluation.mark;
  std::vector<int> flagged;                     // nodes whose flag this trial set
  std::vector<std::pair<int, double>> touched;  // conclusion, certainty before the trial
  std::vector<double> cause_before;
  auto flag_readers = [&](int node) {
    for (int reader : rule_base.ReaderConclusions(node)) {
      if (stale[reader] != 0) continue;
      stale[reader] = 1;
      flagged.push_back(reader);
    }
  };
  for (int node : rule_base.AskableIndicators()) {
    if (evaluation.facts[node].known) continue;
    const std::vector<int>& downstream = rule_base.ToCauses(node);
    const std::vector<int>& causes = rule_base.CausesOf(node);
    const Fact unknown = evaluation.facts[node];
    cause_before.clear();
    for (int cause : causes) cause_before.push_back(evaluation.certainty[cause]);

    // The answer that moves a cause most.
    Scored entry{0, node, {}, -1, 0, std::vector<double>(causes.size(), 0.0)};
    for (const Fact& candidate : Candidates(rule_base, node)) {
      evaluation.facts[node] = candidate;
      flag_readers(node);
      // In evaluation order, so that everything a conclusion reads is final first.
      for (int d : downstream) {
        if (stale[d] == 0) continue;
        const double before = evaluation.certainty[d];
        EvaluateCertainty(rule_base, d, evaluation);
        touched.emplace_back(d, before);
        if (evaluation.certainty[d] != before) flag_readers(d);
      }
      for (size_t c = 0; c < causes.size(); ++c) {
        double before = cause_before[c];
        double after = evaluation.certainty[causes[c]];
        double change = std::fabs(after - before);
        entry.cause_impact[c] = std::max(entry.cause_impact[c], change);
        if (change > entry.impact + 1e-12) {
          entry.impact = change;
          entry.best_value = candidate;
          entry.best_cause = causes[c];
          entry.best_after = after;
        }
      }
      // Back to the real evaluation before the next value.
      for (auto [d, before] : touched) evaluation.certainty[d] = before;
      for (int n : flagged) stale[n] = 0;
      touched.clear();
      flagged.clear();
    }
    evaluation.facts[node] = unknown;
    if (entry.impact > 1e-9) scored.push_back(std::move(entry));
  }
  // By impact as reported (to four places), ties by id: a strict order, so that the few kept
  // are the same however the rest are arranged.
  auto reported = [](double impact) { return std::llround(impact * 1e4); };
  auto more_impact = [&](const Scored& a, const Scored& b) {
    if (reported(a.impact) != reported(b.impact)) return reported(a.impact) > reported(b.impact);
    return rule_base.node(a.node).id < rule_base.node(b.node).id;
  };
  const size_t kept = std::min(limit, scored.size());
  std::partial_sort(scored.begin(), scored.begin() + kept, scored.end(), more_impact);

  std::vector<proto::OpenQuestion> result(kept);
  for (size_t i = 0; i < kept; ++i) {
    const Scored& entry = scored[i];
    const NodeInfo& info = rule_base.node(entry.node);
    const std::vector<int>& causes = rule_base.CausesOf(entry.node);
    const NodeInfo& cause = rule_base.node(entry.best_cause);
    const Fact& value = entry.best_value;
    const std::string best_why = absl::StrCat(
        "if it were ", info.type == ValueType::kNumber ? FormatNumber(value.number)
                       : info.type == ValueType::kBool ? (value.flag ? "true" : "false")
                                                       : info.choices[value.choice],
        ", ", cause.title, " (", cause.id, ") would move from ",
        FormatHundredths(evaluation.certainty[entry.best_cause]), " to ",
        FormatHundredths(entry.best_after));
    proto::OpenQuestion& q = result[i];
    q.set_indicator(info.id);
    q.set_question(info.question.empty() ? absl::StrCat("What is ", info.title, "?")
                                         : info.question);
    q.set_impact(std::round(entry.impact * 1e4) / 1e4);
    std::vector<size_t> order(causes.size());
    for (size_t c = 0; c < order.size(); ++c) order[c] = c;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return entry.cause_impact[a] > entry.cause_impact[b];
    });
    for (size_t c : order) {
      if (entry.cause_impact[c] > 1e-9) q.add_affects(rule_base.node(causes[c]).id);
    }
    q.set_why(absl::StrCat("The answer could change a cause's certainty by up to ",
                           FormatHundredths(entry.impact), ": ", best_why, "."));
  }
  return result;
}

}  // namespace align::inference
