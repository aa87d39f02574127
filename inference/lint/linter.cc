#include "inference/lint/linter.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "inference/util/format.h"

namespace align::inference {
namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

// A set of numbers [lo, hi] with open or closed ends.
struct Range {
  double lo = -kInfinity, hi = kInfinity;
  bool lo_open = false, hi_open = false;

  bool Empty() const { return lo > hi || (lo == hi && (lo_open || hi_open)); }
  void Intersect(const Range& other) {
    if (other.lo > lo || (other.lo == lo && other.lo_open)) {
      lo = other.lo;
      lo_open = other.lo_open;
    }
    if (other.hi < hi || (other.hi == hi && other.hi_open)) {
      hi = other.hi;
      hi_open = other.hi_open;
    }
  }
  bool Covers(const Range& other) const {
    bool low_ok = lo < other.lo || (lo == other.lo && (!lo_open || other.lo_open));
    bool high_ok = hi > other.hi || (hi == other.hi && (!hi_open || other.hi_open));
    return low_ok && high_ok;
  }
};

Range DeclaredRange(const NodeInfo& node) {
  Range r;
  if (node.min) r.lo = *node.min;
  if (node.max) r.hi = *node.max;
  return r;
}

// The values a number leaf accepts; nullopt for leaves that are not a plain number test.
std::optional<Range> Accepted(const Op& op) {
  Range r;
  if (op.code == OpCode::kBetween) {
    r.lo = op.a;
    r.hi = op.b;
    return r;
  }
  if (op.code != OpCode::kCompare) return std::nullopt;
  switch (op.compare) {
    case ast::CompareOp::kLess: r.hi = op.a; r.hi_open = true; break;
    case ast::CompareOp::kLessEqual: r.hi = op.a; break;
    case ast::CompareOp::kGreater: r.lo = op.a; r.lo_open = true; break;
    case ast::CompareOp::kGreaterEqual: r.lo = op.a; break;
    case ast::CompareOp::kEqual: r.lo = r.hi = op.a; break;
    case ast::CompareOp::kNotEqual: return std::nullopt;
  }
  return r;
}

class Linter {
 public:
  Linter(const RuleBase& rule_base, Diagnostics& diagnostics)
      : rules_(rule_base), diagnostics_(diagnostics) {}

  void Run() {
    for (size_t r = 0; r < rules_.rules().size(); ++r) {
      canonical_.push_back(CanonicalRoot(rules_.rules()[r]));
    }
    for (size_t r = 0; r < rules_.rules().size(); ++r) CheckRule(static_cast<int>(r));
    CheckRulePairs();
    CheckNodes();
  }

 private:
  bool Allowed(const std::vector<std::string>& allowed, const std::string& check) const {
    return std::find(allowed.begin(), allowed.end(), check) != allowed.end();
  }
  void Report(const Rule& rule, const std::string& check, std::string message,
              std::string hint = "", bool error = false) {
    if (Allowed(rule.allowed_checks, check)) return;
    if (error) {
      diagnostics_.Error(rule.location, check, std::move(message), std::move(hint));
    } else {
      diagnostics_.Warning(rule.location, check, std::move(message), std::move(hint));
    }
  }
  void Report(const NodeInfo& node, const std::string& check, std::string message,
              std::string hint = "") {
    if (node.builtin || Allowed(node.allowed_checks, check)) return;
    diagnostics_.Warning(node.location, check, std::move(message), std::move(hint));
  }


  // A text for the op's subtree that ignores operand order and spacing.
  std::string Canonical(const Rule& rule, absl::Span<const Op> plan, int index) const {
    const Op& op = plan[index];
    if (op.leaf >= 0) return rule.leaves[op.leaf].text;
    std::vector<std::string> parts;
    for (int operand : OperandsOf(plan, index)) parts.push_back(Canonical(rule, plan, operand));
    if (op.code == OpCode::kNot) return absl::StrCat("not(", parts[0], ")");
    std::sort(parts.begin(), parts.end());
    return absl::StrCat(op.code == OpCode::kAnd ? "and(" : "or(", absl::StrJoin(parts, ","), ")");
  }

  // The rule's top-level conjuncts, each in canonical form.
  std::set<std::string> CanonicalRoot(const Rule& rule) const {
    absl::Span<const Op> plan = rules_.Plan(rule);
    int root = static_cast<int>(plan.size()) - 1;
    std::set<std::string> conjuncts;
    if (plan[root].code == OpCode::kAnd) {
      for (int operand : OperandsOf(plan, root)) conjuncts.insert(Canonical(rule, plan, operand));
    } else {
      conjuncts.insert(Canonical(rule, plan, root));
    }
    return conjuncts;
  }

  void CheckRule(int index) {
    const Rule& rule = rules_.rules()[index];
    if (rule.because.empty() || rule.source.empty()) {
      Report(rule, "missing-metadata",
             absl::StrCat("rule '", rule.id, "' has no ",
                          rule.because.empty() && rule.source.empty()
                              ? "'because' text and no source"
                              : rule.because.empty() ? "'because' text" : "source"),
             "explanations quote 'because'; 'source:' lets a consultant check the threshold");
    }
    // Numbers tested by the top-level conjunction: their accepted values must overlap.
    absl::Span<const Op> plan = rules_.Plan(rule);
    int root = static_cast<int>(plan.size()) - 1;
    std::vector<int> conjuncts =
        plan[root].code == OpCode::kAnd ? OperandsOf(plan, root) : std::vector<int>{root};
    std::map<int, Range> accepted;
    std::map<int, std::vector<std::string>> texts;
    for (int c : conjuncts) {
      const Op& op = plan[c];
      if (op.leaf < 0) continue;
      auto range = Accepted(op);
      if (!range) continue;
      const NodeInfo& node = rules_.node(op.node);
      const Range declared = DeclaredRange(node);
      Range alone = declared;
      alone.Intersect(*range);
      const std::string& text = rule.leaves[op.leaf].text;
      if (alone.Empty()) {
        Report(rule, "never-true",
               absl::StrCat("rule '", rule.id, "' can never fire: '", text,
                            "' cannot hold for '", node.id, "', declared ",
                            FormatNumber(declared.lo), " .. ", FormatNumber(declared.hi)),
               "", /*error=*/true);
        continue;
      }
      if (range->Covers(declared) && std::isfinite(declared.lo) && std::isfinite(declared.hi)) {
        Report(rule, "always-true",
               absl::StrCat("'", text, "' in rule '", rule.id, "' holds for every value of '",
                            node.id, "' (", FormatNumber(declared.lo), " .. ",
                            FormatNumber(declared.hi), ")"),
               "it only tests that the indicator is known; say known(…) if that is meant");
      }
      auto [it, inserted] = accepted.emplace(op.node, declared);
      it->second.Intersect(*range);
      texts[op.node].push_back(text);
      if (it->second.Empty() && texts[op.node].size() > 1) {
        Report(rule, "never-true",
               absl::StrCat("rule '", rule.id, "' can never fire: '",
                            absl::StrJoin(texts[op.node], "' and '"),
                            "' cannot both hold"),
               "", /*error=*/true);
        accepted.erase(it);
      }
    }
  }

  void CheckRulePairs() {
    for (const NodeInfo& node : rules_.nodes()) {
      for (size_t i = 0; i < node.rules.size(); ++i) {
        for (size_t j = i + 1; j < node.rules.size(); ++j) {
          ComparePair(node.rules[i], node.rules[j]);
        }
      }
    }
  }

  void ComparePair(int a, int b) {
    const Rule& ra = rules_.rules()[a];
    const Rule& rb = rules_.rules()[b];
    const std::set<std::string>& ca = canonical_[a];
    const std::set<std::string>& cb = canonical_[b];
    // Report at the later of the two in the source, naming the earlier.
    const bool a_first = std::tie(ra.location.file, ra.location.line) <
                         std::tie(rb.location.file, rb.location.line);
    const Rule& first = a_first ? ra : rb;
    const Rule& second = a_first ? rb : ra;
    const std::string where = absl::StrCat(first.location.file.str(), ":", first.location.line, ":",
                                           first.location.column);
    const bool same_sign = (ra.cf >= 0) == (rb.cf >= 0);
    if (ca == cb) {
      if (same_sign) {
        Report(second, "duplicate-rule",
               absl::StrCat("rule '", second.id, "' repeats the condition of rule '", first.id,
                            "' for the same conclusion; their evidence is counted twice"),
               absl::StrCat("'", first.id, "' is at ", where));
      } else {
        Report(second, "conflicting-rules",
               absl::StrCat("rules '", first.id, "' and '", second.id,
                            "' have the same condition but opposite certainty (cf ",
                            FormatNumber(first.cf), " and ", FormatNumber(second.cf), ")"),
               absl::StrCat("'", first.id, "' is at ", where));
      }
      return;
    }
    // One condition includes every conjunct of the other: whenever the narrower rule fires,
    // the broader fires too.
    const bool a_in_b = std::includes(cb.begin(), cb.end(), ca.begin(), ca.end());
    const bool b_in_a = std::includes(ca.begin(), ca.end(), cb.begin(), cb.end());
    if (!a_in_b && !b_in_a) return;
    const Rule& broad = a_in_b ? ra : rb;
    const Rule& narrow = a_in_b ? rb : ra;
    if (same_sign && std::fabs(narrow.cf) <= std::fabs(broad.cf)) {
      Report(narrow, "shadowed-rule",
             absl::StrCat("rule '", narrow.id, "' only fires when rule '", broad.id,
                          "' fires too, yet its certainty is no higher (cf ",
                          FormatNumber(narrow.cf), " vs ", FormatNumber(broad.cf), ")"),
             absl::StrCat("a narrower case usually deserves more certainty: raise its cf or drop "
                          "it; if it is deliberate extra evidence on top of '", broad.id,
                          "', say so with allow: \"shadowed-rule: <why>\""));
    } else if (!same_sign) {
      Report(narrow, "conflicting-rules",
             absl::StrCat("rules '", broad.id, "' and '", narrow.id,
                          "' overlap (every case of '", narrow.id, "' is a case of '",
                          broad.id, "') but have opposite certainty"),
             "make the exception explicit in the broader rule with 'not …'");
    }
  }

  void CheckNodes() {
    const DependencyGraph& graph = rules_.graph();
    for (size_t n = 0; n < rules_.nodes().size(); ++n) {
      const NodeInfo& node = rules_.node(static_cast<int>(n));
      if (node.builtin) continue;
      std::vector<std::string> missing;
      if (node.description.empty()) missing.push_back("description");
      if (node.source.empty()) missing.push_back("source");
      if (node.kind == NodeKind::kIndicator && node.question.empty()) missing.push_back("question");
      if (!missing.empty()) {
        Report(node, "missing-metadata",
               absl::StrCat(KindName(node.kind), " '", node.id, "' has no ",
                            absl::StrJoin(missing, ", ")));
      }
      std::vector<int> downstream = graph.Downstream(static_cast<int>(n));
      auto reaches = [&](NodeKind kind) {
        return std::any_of(downstream.begin(), downstream.end(),
                           [&](int d) { return rules_.node(d).kind == kind; });
      };
      if (node.kind == NodeKind::kIndicator && downstream.empty()) {
        Report(node, "unread-indicator",
               absl::StrCat("indicator '", node.id, "' is declared but no rule reads it"),
               "an assessment can still give it, but it changes nothing");
      }
      if (node.kind == NodeKind::kCause && !reaches(NodeKind::kAction)) {
        Report(node, "cause-without-action",
               absl::StrCat("cause '", node.id, "' recommends no action"),
               "add a rule 'when <cause> then <action>'");
      }
      if (node.kind == NodeKind::kAction) {
        std::vector<int> upstream = graph.Upstream(static_cast<int>(n));
        bool from_cause = std::any_of(upstream.begin(), upstream.end(), [&](int u) {
          return rules_.node(u).kind == NodeKind::kCause;
        });
        if (!from_cause) {
          Report(node, "action-without-cause",
                 absl::StrCat("action '", node.id, "' is recommended by no cause"),
                 "an action should answer a cause, so that a consultant can say why it helps");
        }
      }
    }
  }

  const RuleBase& rules_;
  Diagnostics& diagnostics_;
  std::vector<std::set<std::string>> canonical_;
};

}  // namespace

const std::vector<std::string>& LintCheckNames() {
  static const std::vector<std::string> kNames = {
      "action-without-cause", "always-true",      "cause-without-action", "conflicting-rules",
      "duplicate-rule",       "missing-metadata", "never-true",           "shadowed-rule",
      "unread-indicator"};
  return kNames;
}

void LintRuleBase(const RuleBase& rule_base, Diagnostics& diagnostics) {
  Linter(rule_base, diagnostics).Run();
}

void LintCompileResult(CompileResult& result) {
  if (result.rule_base == nullptr) return;
  LintRuleBase(*result.rule_base, result.diagnostics);
  if (result.diagnostics.HasErrors()) result.rule_base = nullptr;
}

}  // namespace align::inference
