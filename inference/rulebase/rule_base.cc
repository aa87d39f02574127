#include "inference/rulebase/rule_base.h"

#include <algorithm>
#include <tuple>

#include "absl/strings/string_view.h"

namespace align::inference {

absl::string_view KindName(NodeKind kind) {
  switch (kind) {
    case NodeKind::kIndicator: return "indicator";
    case NodeKind::kFinding: return "finding";
    case NodeKind::kPattern: return "pattern";
    case NodeKind::kCause: return "cause";
    case NodeKind::kAction: return "action";
  }
  return "?";
}

std::vector<int> OperandsOf(absl::Span<const Op> plan, int index) {
  std::vector<int> operands;
  int end = index - 1;
  int count = plan[index].code == OpCode::kNot ? 1 : plan[index].arity;
  for (int k = 0; k < count; ++k) {
    operands.push_back(end);
    end -= plan[end].subtree;
  }
  std::reverse(operands.begin(), operands.end());
  return operands;
}

std::optional<int> RuleBase::FindNode(absl::string_view id) const {
  auto it = node_index_.find(id);
  if (it == node_index_.end()) return std::nullopt;
  return it->second;
}

std::optional<int> RuleBase::FindRule(absl::string_view id) const {
  auto it = rule_index_.find(id);
  if (it == rule_index_.end()) return std::nullopt;
  return it->second;
}

void RuleBase::IndexForEvaluation() {
  cores_.clear();
  conclusions_read_.clear();
  for (const Rule& rule : rules_) {
    RuleCore core;
    core.first_op = rule.first_op;
    core.op_count = rule.op_count;
    core.conclusions_begin = static_cast<uint32_t>(conclusions_read_.size());
    for (int read : rule.reads) {
      if (nodes_[read].kind != NodeKind::kIndicator) conclusions_read_.push_back(read);
    }
    core.conclusions_end = static_cast<uint32_t>(conclusions_read_.size());
    core.conclusion = rule.conclusion;
    core.cf = rule.cf;
    const absl::Span<const Op> plan = Plan(rule);
    const Op& last = plan.back();
    if (plan.size() == 1) {
      core.shape = PlanShape::kLeaf;
    } else if ((last.code == OpCode::kAnd || last.code == OpCode::kOr) &&
               static_cast<size_t>(last.arity) + 1 == plan.size()) {
      core.shape = last.code == OpCode::kAnd ? PlanShape::kAndOfLeaves : PlanShape::kOrOfLeaves;
    }
    const size_t leaf_count = core.shape == PlanShape::kLeaf ? 1 : plan.size() - 1;
    // The kinds an InlineLeaf can hold; EvaluateLeaf's InlineLeaf branch handles exactly these.
    auto fits_inline = [](const Op& op) {
      return op.code == OpCode::kCompare || op.code == OpCode::kIsFlag ||
             op.code == OpCode::kKnown || op.code == OpCode::kCertainty ||
             op.code == OpCode::kCompareCertainty;
    };
    if (core.shape != PlanShape::kGeneral && leaf_count <= 2 &&
        std::all_of(plan.begin(), plan.begin() + leaf_count, fits_inline)) {
      core.inline_leaves = static_cast<uint8_t>(leaf_count);
      for (size_t i = 0; i < leaf_count; ++i) {
        core.leaves[i] = {plan[i].code, plan[i].compare, plan[i].flag, plan[i].node, plan[i].a};
      }
    }
    cores_.push_back(core);
  }
  value_types_.clear();
  for (const NodeInfo& node : nodes_) value_types_.push_back(node.type);
  // Compressed rows: node n's entries are [start[n], start[n + 1]).
  auto pack = [this](auto&& row, std::vector<int>& flat, std::vector<int>& start) {
    flat.clear();
    start.assign(1, 0);
    for (size_t n = 0; n < nodes_.size(); ++n) {
      const auto& entries = row(n);
      flat.insert(flat.end(), entries.begin(), entries.end());
      start.push_back(static_cast<int>(flat.size()));
    }
  };
  pack([this](size_t n) -> const std::vector<int>& { return nodes_[n].rules; }, rules_of_,
       rules_of_start_);
  rule_cfs_of_.clear();
  for (int rule : rules_of_) rule_cfs_of_.push_back(cores_[rule].cf);
  std::vector<std::vector<int>> reader_rules(nodes_.size());
  for (size_t r = 0; r < rules_.size(); ++r) {
    for (int read : rules_[r].reads) reader_rules[read].push_back(static_cast<int>(r));
  }
  pack([&](size_t n) -> const std::vector<int>& { return reader_rules[n]; }, reader_rules_,
       reader_rules_start_);
  // Conclusions read, then indicators read, then rule index: the sort's whole key.
  std::vector<std::tuple<size_t, size_t, int>> by_reads;
  by_reads.reserve(rules_.size());
  for (size_t r = 0; r < rules_.size(); ++r) {
    const size_t conclusions = cores_[r].conclusions_end - cores_[r].conclusions_begin;
    by_reads.emplace_back(conclusions, rules_[r].reads.size() - conclusions, static_cast<int>(r));
  }
  std::sort(by_reads.begin(), by_reads.end());
  rules_by_reads_.clear();
  for (const auto& [conclusions, indicators, rule] : by_reads) rules_by_reads_.push_back(rule);
}

int RuleBase::CountOf(NodeKind kind) const {
  return static_cast<int>(std::count_if(nodes_.begin(), nodes_.end(),
                                        [kind](const NodeInfo& n) { return n.kind == kind; }));
}

}  // namespace align::inference
