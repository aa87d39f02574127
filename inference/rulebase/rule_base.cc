#include "absl/strings/string_view.h"
#include "inference/rulebase/rule_base.h"

#include <algorithm>

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

int RuleBase::CountOf(NodeKind kind) const {
  return static_cast<int>(std::count_if(nodes_.begin(), nodes_.end(),
                                        [kind](const NodeInfo& n) { return n.kind == kind; }));
}

}  // namespace align::inference
