#include "inference/eval/questions.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "inference/util/format.h"

namespace align::inference {
namespace {

// Values worth trying for a number indicator: each threshold the rules compare it with, and
// a little either side, clamped to the declared range.
std::vector<double> NumberCandidates(const RuleBase& rule_base, int node) {
  const NodeInfo& info = rule_base.node(node);
  std::vector<double> thresholds;
  for (const Rule& rule : rule_base.rules()) {
    if (!std::binary_search(rule.reads.begin(), rule.reads.end(), node)) continue;
    for (const Op& op : rule_base.Plan(rule)) {
      if (op.node != node) continue;
      if (op.code == OpCode::kCompare) thresholds.push_back(op.a);
      if (op.code == OpCode::kBetween || op.code == OpCode::kRamp) {
        thresholds.push_back(op.a);
        thresholds.push_back(op.b);
      }
    }
  }
  std::vector<double> candidates;
  for (double t : thresholds) {
    double step = std::max(std::fabs(t) * 1e-3, 1e-3);
    for (double v : {t - step, t, t + step}) {
      if (info.min) v = std::max(v, *info.min);
      if (info.max) v = std::min(v, *info.max);
      candidates.push_back(v);
    }
  }
  if (info.min) candidates.push_back(*info.min);
  if (info.max) candidates.push_back(*info.max);
  // Rules that only ask whether it is known still need one value to try.
  if (candidates.empty()) candidates.push_back(0);
  std::sort(candidates.begin(), candidates.end());
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  return candidates;
}

std::vector<Fact> Candidates(const RuleBase& rule_base, int node) {
  const NodeInfo& info = rule_base.node(node);
  std::vector<Fact> facts;
  Fact fact;
  fact.known = true;
  switch (info.type) {
    case ValueType::kNumber:
      for (double v : NumberCandidates(rule_base, node)) {
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
                                                   const Evaluation& evaluation, size_t limit) {
  struct Scored {
    double impact;
    int node;
    proto::OpenQuestion question;
  };
  std::vector<Scored> scored;
  Evaluation trial = evaluation;
  const std::vector<int>& rank = rule_base.evaluation_rank();
  for (size_t node = 0; node < rule_base.nodes().size(); ++node) {
    const NodeInfo& info = rule_base.node(node);
    if (info.kind != NodeKind::kIndicator || info.builtin || evaluation.facts[node].known) {
      continue;
    }
    std::vector<int> downstream = rule_base.graph().Downstream(static_cast<int>(node));
    std::vector<int> causes;
    for (int d : downstream) {
      if (rule_base.node(d).kind == NodeKind::kCause) causes.push_back(d);
    }
    if (causes.empty()) continue;
    std::sort(downstream.begin(), downstream.end(),
              [&](int a, int b) { return rank[a] < rank[b]; });

    std::vector<double> cause_impact(causes.size(), 0.0);
    double best = 0;
    std::string best_why;
    for (const Fact& candidate : Candidates(rule_base, static_cast<int>(node))) {
      trial.facts[node] = candidate;
      EvaluateNodes(rule_base, downstream, trial);
      for (size_t c = 0; c < causes.size(); ++c) {
        double before = evaluation.certainty[causes[c]];
        double after = trial.certainty[causes[c]];
        double change = std::fabs(after - before);
        cause_impact[c] = std::max(cause_impact[c], change);
        if (change > best + 1e-12) {
          best = change;
          best_why = absl::StrCat(
              "if it were ", info.type == ValueType::kNumber ? FormatNumber(candidate.number)
                             : info.type == ValueType::kBool ? (candidate.flag ? "true" : "false")
                                                             : info.choices[candidate.choice],
              ", ", rule_base.node(causes[c]).title, " (", rule_base.node(causes[c]).id,
              ") would move from ", FormatNumber(std::round(before * 100) / 100), " to ",
              FormatNumber(std::round(after * 100) / 100));
        }
      }
    }
    // Restore the trial to the real evaluation for the next indicator.
    trial.facts[node] = evaluation.facts[node];
    for (int d : downstream) {
      trial.certainty[d] = evaluation.certainty[d];
      trial.range[d] = evaluation.range[d];
      for (int r : rule_base.node(d).rules) trial.rules[r] = evaluation.rules[r];
    }
    if (best <= 1e-9) continue;

    Scored entry{best, static_cast<int>(node), {}};
    proto::OpenQuestion& q = entry.question;
    q.set_indicator(info.id);
    q.set_question(info.question.empty() ? absl::StrCat("What is ", info.title, "?")
                                         : info.question);
    q.set_impact(std::round(best * 1e4) / 1e4);
    std::vector<size_t> order(causes.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return cause_impact[a] > cause_impact[b]; });
    for (size_t i : order) {
      if (cause_impact[i] > 1e-9) q.add_affects(rule_base.node(causes[i]).id);
    }
    q.set_why(absl::StrCat("The answer could change a cause's certainty by up to ",
                           FormatNumber(std::round(best * 100) / 100), ": ", best_why, "."));
    scored.push_back(std::move(entry));
  }
  std::sort(scored.begin(), scored.end(), [&](const Scored& a, const Scored& b) {
    if (std::fabs(a.impact - b.impact) > 1e-9) return a.impact > b.impact;
    return rule_base.node(a.node).id < rule_base.node(b.node).id;
  });
  std::vector<proto::OpenQuestion> result;
  for (size_t i = 0; i < scored.size() && i < limit; ++i) {
    result.push_back(std::move(scored[i].question));
  }
  return result;
}

}  // namespace align::inference
