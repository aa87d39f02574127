#include "inference/eval/questions.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <queue>
#include <utility>

#include "absl/strings/str_cat.h"
#include "inference/util/format.h"

namespace align::inference {
namespace {

// The values an open question tries for `node`, into `facts` (replaced). Reads the node's
// NodeInfo only for a choice: the search calls this for every indicator it tries.
void Candidates(const RuleBase& rule_base, int node, std::vector<Fact>* facts) {
  Fact fact;
  fact.known = true;
  switch (rule_base.TypeOf(node)) {
    case ValueType::kNumber: {
      const std::vector<double>& values = rule_base.TrialNumbers(node);
      facts->assign(values.size(), fact);
      for (size_t i = 0; i < values.size(); ++i) (*facts)[i].number = values[i];
      break;
    }
    case ValueType::kBool:
      facts->assign(2, fact);
      (*facts)[1].flag = true;  // false, then true
      break;
    case ValueType::kChoice: {
      const size_t count = rule_base.node(node).choices.size();
      facts->assign(count, fact);
      for (size_t i = 0; i < count; ++i) (*facts)[i].choice = static_cast<int>(i);
      break;
    }
  }
}

// The most an answer about `indicator` could move one of its causes. A trial leaves every
// conclusion inside the range the evaluation gives it (each leaf's value stays inside the
// interval spanned for it, and premises and combination are monotone), so no cause can move
// further than the far end of its range. Not so for known(…), which the ranges do not span:
// then any move, up to 2 (one end of -1..1 to the other).
double ImpactBound(const RuleBase& rule_base, const Evaluation& evaluation, int indicator) {
  if (rule_base.ReadThroughKnown(indicator)) return 2;
  double bound = 0;
  for (int cause : rule_base.CausesOf(indicator)) {
    const Interval& range = evaluation.range[cause];
    const double now = evaluation.certainty[cause];
    bound = std::max({bound, range.hi - now, now - range.lo});
  }
  return bound;
}

// Whether some answer about `indicator` could change what `rule`, which reads it, contributes
// on `evaluation`. An answer narrows the indicator's leaves from every value to one, so a rule
// whose premise cannot pass the firing threshold now contributes nothing before and after any
// answer; nor does one that could fire only if another unknown it reads were known too (x and
// y, both unknown, the usual reader on a large base): MayFireOnAnswer. Not so through
// known(…), which turns from false to true.
bool AnswerCanMove(const RuleBase& rule_base, int rule, int indicator, Evaluation& evaluation) {
  return rule_base.ReadThroughKnown(indicator) ||
         (evaluation.rules[rule].premise.hi > kFiringThreshold &&
          MayFireOnAnswer(rule_base, rule, indicator, evaluation));
}

// Impact as reported, to four places: what the ranking compares.
int64_t Reported(double impact) { return std::llround(impact * 1e4); }

// An indicator whose answers move no cause by more than this is not worth asking about.
constexpr double kNoImpact = 1e-9;
// The bound is padded against rounding: a trial and the range are computed by different code,
// and may differ in the last bit.
constexpr double kRoundingSlack = 1e-9;

}  // namespace

QuestionReach::QuestionReach(const RuleBase& rule_base, Evaluation& baseline) {
  std::vector<Fact> candidates;
  std::vector<int> live_readers;
  for (int node : rule_base.AskableIndicators()) {
    // Only the readers an answer could move are tried (in the baseline most read a second
    // unknown).
    live_readers.clear();
    for (int rule : rule_base.ReaderRules(node)) {
      if (AnswerCanMove(rule_base, rule, node, baseline)) live_readers.push_back(rule);
    }
    if (live_readers.empty()) continue;
    const Fact unknown = baseline.facts[node];
    Candidates(rule_base, node, &candidates);
    const bool moves = std::any_of(candidates.begin(), candidates.end(), [&](const Fact& answer) {
      baseline.facts[node] = answer;
      return std::any_of(live_readers.begin(), live_readers.end(), [&](int rule) {
        return NowContribution(rule_base, rule, baseline) !=
               baseline.rules[rule].contribution(rule_base.Core(rule).cf);
      });
    });
    baseline.facts[node] = unknown;
    if (moves) moving_the_baseline_.push_back(node);
  }

  // Each rule's askable reads outside the list are partners of every node it reads: gathered
  // as (node, partner) pairs, sorted once, and packed into rows.
  const size_t n = rule_base.nodes().size();
  std::vector<char> moving(n, 0);
  for (int node : moving_the_baseline_) moving[node] = 1;
  std::vector<std::pair<int, int>> pairs;
  std::vector<int> outside;
  for (const Rule& rule : rule_base.rules()) {
    outside.clear();
    for (int read : rule.reads) {
      if (rule_base.Askable(read) && moving[read] == 0) outside.push_back(read);
    }
    for (int read : rule.reads) {
      for (int partner : outside) pairs.emplace_back(read, partner);
    }
  }
  std::sort(pairs.begin(), pairs.end());
  pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
  partners_.reserve(pairs.size());
  partners_start_.assign(n + 1, 0);
  for (const auto& [node, partner] : pairs) {
    partners_.push_back(partner);
    ++partners_start_[node + 1];
  }
  for (size_t node = 0; node < n; ++node) partners_start_[node + 1] += partners_start_[node];
}

std::vector<int> IndicatorsWorthAsking(const Evaluation& evaluation, const QuestionReach& reach) {
  std::vector<int> worth;
  auto add_unknown = [&](absl::Span<const int> indicators) {
    for (int indicator : indicators) {
      if (!evaluation.facts[indicator].known) worth.push_back(indicator);
    }
  };
  // What the assessment touched. A fact written but left unknown is not among the answered
  // nodes, and need not be: it reads as the baseline's, which knows none.
  VisitAnsweredNodes(evaluation, [&](int node) { add_unknown(reach.PartnersOf(node)); });
  add_unknown(reach.moving_the_baseline());
  std::sort(worth.begin(), worth.end());
  worth.erase(std::unique(worth.begin(), worth.end()), worth.end());
  return worth;
}

std::vector<proto::OpenQuestion> RankOpenQuestions(const RuleBase& rule_base,
                                                   Evaluation& evaluation,
                                                   absl::Span<const int> indicators, size_t limit,
                                                   QuestionSearchStats* stats) {
  QuestionSearchStats unwanted;
  QuestionSearchStats& counted = stats != nullptr ? *stats : unwanted;
  counted = {};
  // What the search found for one indicator; the question itself is worded only for those
  // that make the cut.
  struct Scored {
    double impact;
    int node;
    Fact best_value;
    int best_cause;
    double best_after;
    size_t first_cause_impact;  // its entries of `cause_impact` start here, one per cause
  };
  if (limit == 0) return {};

  // Indicators by how far an answer could move a cause at most, so that once `limit` of them
  // are scored, the rest can be left untried as soon as even their bound ranks below the
  // last kept.
  std::vector<std::pair<double, int>> by_bound;
  for (int node : indicators) {
    if (evaluation.facts[node].known || !rule_base.Askable(node)) continue;
    const double bound = ImpactBound(rule_base, evaluation, node) + kRoundingSlack;
    if (bound > kNoImpact) by_bound.emplace_back(bound, node);
  }
  std::sort(by_bound.begin(), by_bound.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });

  std::vector<Scored> scored;
  // Per scored indicator and cause of it, the largest change any answer made; one array for
  // all, so that scoring an indicator allocates nothing.
  std::vector<double> cause_impact;
  // The reported impacts of the best `limit` so far, lowest on top.
  std::priority_queue<int64_t, std::vector<int64_t>, std::greater<>> best_reported;
  // Answers are tried on `evaluation` itself; each trial is undone before the next. A
  // conclusion is re-evaluated only when a rule of it that reads something the trial changed
  // now contributes otherwise than in the real evaluation (its RuleState, which trials leave
  // alone), and only if it leads to a cause: `mark` flags them, and `due` holds them by
  // evaluation rank, so that everything a conclusion reads is final before it is re-evaluated.
  // Most answers change no rule, so most trials stop at the rules that read the indicator. A
  // rule that reads two changed nodes is checked again after the later one, so its last check
  // sees the trial's final values.
  std::vector<uint8_t>& stale = evaluation.mark;
  const std::vector<int>& rank = rule_base.evaluation_rank();
  std::vector<int> flagged;  // nodes whose flag this trial set
  std::priority_queue<std::pair<int, int>, std::vector<std::pair<int, int>>, std::greater<>> due;
  std::vector<std::pair<int, double>> touched;  // conclusion, certainty before the trial
  std::vector<std::pair<size_t, double>> moved_causes;  // index into causes, change
  std::vector<Fact> candidates;
  std::vector<int> live_readers;  // of the indicator being tried: those an answer could change
  // Of the indicator being tried: the readers that also read a conclusion, and per answer
  // tried, what the answer means to the readers (below).
  std::vector<int> chained_readers;
  std::vector<double> signatures;
  auto flag_if_moved = [&](int rule, double contribution) {
    const RuleCore& core = rule_base.Core(rule);
    const int conclusion = core.conclusion;
    if (stale[conclusion] != 0 || contribution == evaluation.rules[rule].contribution(core.cf)) {
      return;
    }
    stale[conclusion] = 1;
    flagged.push_back(conclusion);
    due.emplace(rank[conclusion], conclusion);
  };
  auto flag_rules = [&](absl::Span<const int> rules) {
    for (int rule : rules) {
      const int conclusion = rule_base.Core(rule).conclusion;
      if (stale[conclusion] != 0 || !rule_base.LeadsToCause(conclusion)) continue;
      flag_if_moved(rule, NowContribution(rule_base, rule, evaluation));
    }
  };
  for (size_t i = 0; i < by_bound.size(); ++i) {
    const auto [bound, node] = by_bound[i];
    // Ties on the reported impact break by id, so only a bound strictly below the last kept
    // rules an indicator out; every later one has a bound as low or lower.
    if (best_reported.size() == limit && Reported(bound) < best_reported.top()) {
      counted.indicators_untried = static_cast<int>(by_bound.size() - i);
      break;
    }
    ++counted.indicators_tried;
    // The readers an answer could move (AnswerCanMove), of those whose conclusion leads to a
    // cause: no other can move one.
    live_readers.clear();
    chained_readers.clear();
    for (int rule : rule_base.ReaderRules(node)) {
      const RuleCore& core = rule_base.Core(rule);
      if (!rule_base.LeadsToCause(core.conclusion)) continue;
      if (!rule_base.ConclusionsReadBy(core).empty()) chained_readers.push_back(rule);
      if (AnswerCanMove(rule_base, rule, node, evaluation)) live_readers.push_back(rule);
    }
    if (live_readers.empty()) continue;
    const std::vector<int>& causes = rule_base.CausesOf(node);
    const Fact unknown = evaluation.facts[node];

    // The answer that moves a cause most.
    Scored entry{0, node, {}, -1, 0, cause_impact.size()};
    cause_impact.resize(cause_impact.size() + causes.size(), 0.0);
    double* const impact_of = &cause_impact[entry.first_cause_impact];
    Candidates(rule_base, node, &candidates);
    signatures.clear();
    for (const Fact& candidate : candidates) {
      ++counted.answers_tried;
      evaluation.facts[node] = candidate;
      // What this answer means to the readers: what each live one contributes now, and the
      // leaves on the indicator of each that reads a conclusion too (a conclusion the trial
      // moves can make such a rule see the answer otherwise). The other readers read facts
      // alone and contribute nothing on any answer. Two answers alike here move every
      // conclusion alike, so the second (which the first already scored, and which cannot
      // score higher) is not followed.
      const size_t first = signatures.size();
      for (int rule : live_readers) {
        signatures.push_back(NowContribution(rule_base, rule, evaluation));
      }
      for (int rule : chained_readers) {
        AppendLeavesReading(rule_base, rule, node, evaluation, &signatures);
      }
      const auto answer = signatures.begin() + static_cast<ptrdiff_t>(first);
      const auto stride = signatures.end() - answer;  // the same for every answer
      bool seen = false;
      for (auto earlier = signatures.begin(); earlier != answer && !seen; earlier += stride) {
        seen = std::equal(answer, signatures.end(), earlier);
      }
      if (seen) {
        signatures.resize(first);
        continue;
      }
      for (size_t r = 0; r < live_readers.size(); ++r) {
        flag_if_moved(live_readers[r], answer[static_cast<ptrdiff_t>(r)]);
      }
      // Most answers change no rule that reads the indicator: then no conclusion moves, and
      // neither does any cause.
      if (flagged.empty()) continue;
      while (!due.empty()) {
        const int d = due.top().second;
        due.pop();
        const double before = evaluation.certainty[d];
        EvaluateCertainty(rule_base, d, evaluation);
        touched.emplace_back(d, before);
        if (evaluation.certainty[d] != before) flag_rules(rule_base.ReaderRules(d));
      }
      // The causes that moved, in the order of `causes`, which settles ties; the others
      // changed by 0, which changes nothing below.
      moved_causes.clear();
      for (auto [d, before] : touched) {
        const double change = std::fabs(evaluation.certainty[d] - before);
        if (change == 0 || rule_base.node(d).kind != NodeKind::kCause) continue;
        const size_t c = std::lower_bound(causes.begin(), causes.end(), d) - causes.begin();
        moved_causes.emplace_back(c, change);
      }
      std::sort(moved_causes.begin(), moved_causes.end());
      for (auto [c, change] : moved_causes) {
        impact_of[c] = std::max(impact_of[c], change);
        if (change > entry.impact + 1e-12) {
          entry.impact = change;
          entry.best_value = candidate;
          entry.best_cause = causes[c];
          entry.best_after = evaluation.certainty[causes[c]];
        }
      }
      // Back to the real evaluation before the next value.
      counted.conclusions_evaluated += static_cast<int>(touched.size());
      for (auto [d, before] : touched) evaluation.certainty[d] = before;
      for (int n : flagged) stale[n] = 0;
      touched.clear();
      flagged.clear();
    }
    evaluation.facts[node] = unknown;
    if (entry.impact <= kNoImpact) {
      cause_impact.resize(entry.first_cause_impact);  // not kept: its room is reused
      continue;
    }
    best_reported.push(Reported(entry.impact));
    if (best_reported.size() > limit) best_reported.pop();
    scored.push_back(entry);
  }
  // By impact as reported (to four places), ties by id: a strict order, so that the few kept
  // are the same however the rest are arranged.
  auto more_impact = [&](const Scored& a, const Scored& b) {
    if (Reported(a.impact) != Reported(b.impact)) return Reported(a.impact) > Reported(b.impact);
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
    q.set_impact(static_cast<double>(Reported(entry.impact)) / 1e4);
    const double* const impact_of = &cause_impact[entry.first_cause_impact];
    std::vector<size_t> order(causes.size());
    for (size_t c = 0; c < order.size(); ++c) order[c] = c;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return impact_of[a] > impact_of[b];
    });
    for (size_t c : order) {
      if (impact_of[c] > kNoImpact) q.add_affects(rule_base.node(causes[c]).id);
    }
    q.set_why(absl::StrCat("The answer could change a cause's certainty by up to ",
                           FormatHundredths(entry.impact), ": ", best_why, "."));
  }
  return result;
}

}  // namespace align::inference
