#include "inference/rulebase/describe.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "inference/util/suggest.h"

namespace align::inference {
namespace {

// Fill colours per kind, shared by every picture of the graph.
const char* FillColour(NodeKind kind) {
  switch (kind) {
    case NodeKind::kIndicator: return "#e8f1fb";
    case NodeKind::kFinding: return "#eeeeee";
    case NodeKind::kPattern: return "#fde9c8";
    case NodeKind::kCause: return "#f9d0d0";
    case NodeKind::kAction: return "#d4f0d4";
  }
  return "#ffffff";
}

const char* Shape(NodeKind kind) {
  switch (kind) {
    case NodeKind::kIndicator: return "ellipse";
    case NodeKind::kAction: return "box";
    default: return "box";
  }
}

std::string DotString(absl::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out + "\"";
}

std::string Location(const SourceLocation& at) {
  return absl::StrCat(at.file.str(), ":", at.line, ":", at.column);
}

}  // namespace

proto::NodeKind ToProto(NodeKind kind) {
  switch (kind) {
    case NodeKind::kIndicator: return proto::NODE_KIND_INDICATOR;
    case NodeKind::kFinding: return proto::NODE_KIND_FINDING;
    case NodeKind::kPattern: return proto::NODE_KIND_PATTERN;
    case NodeKind::kCause: return proto::NODE_KIND_CAUSE;
    case NodeKind::kAction: return proto::NODE_KIND_ACTION;
  }
  return proto::NODE_KIND_UNSPECIFIED;
}

proto::RuleBaseInfo DescribeRuleBase(const RuleBase& rule_base) {
  proto::RuleBaseInfo info;
  info.set_id(rule_base.id());
  info.set_version(rule_base.version());
  info.set_digest(rule_base.digest());
  info.set_title(rule_base.title());
  proto::RuleBaseCounts* counts = info.mutable_counts();
  counts->set_indicators(rule_base.CountOf(NodeKind::kIndicator));
  counts->set_findings(rule_base.CountOf(NodeKind::kFinding));
  counts->set_patterns(rule_base.CountOf(NodeKind::kPattern));
  counts->set_causes(rule_base.CountOf(NodeKind::kCause));
  counts->set_actions(rule_base.CountOf(NodeKind::kAction));
  counts->set_rules(static_cast<int32_t>(rule_base.rules().size()));
  for (const NodeInfo& node : rule_base.nodes()) {
    if (node.kind == NodeKind::kIndicator) {
      proto::IndicatorInfo* indicator = info.add_indicators();
      indicator->set_id(node.id);
      indicator->set_type(node.type == ValueType::kNumber ? proto::VALUE_TYPE_NUMBER
                          : node.type == ValueType::kBool ? proto::VALUE_TYPE_BOOL
                                                          : proto::VALUE_TYPE_CHOICE);
      indicator->set_title(node.title);
      indicator->set_description(node.description);
      indicator->set_unit(node.unit);
      if (node.min) indicator->set_min(*node.min);
      if (node.max) indicator->set_max(*node.max);
      for (const std::string& choice : node.choices) indicator->add_choices(choice);
      indicator->set_question(node.question);
      indicator->set_source(node.source);
      indicator->set_builtin(node.builtin);
      continue;
    }
    proto::NodeInfo* out = info.add_nodes();
    out->set_id(node.id);
    out->set_kind(ToProto(node.kind));
    out->set_title(node.title);
    out->set_category(node.category);
    out->set_description(node.description);
    out->set_source(node.source);
  }
  for (const Rule& rule : rule_base.rules()) {
    proto::RuleInfo* out = info.add_rules();
    out->set_id(rule.id);
    out->set_conclusion(rule_base.node(rule.conclusion).id);
    out->set_cf(rule.cf);
    out->set_condition(rule.condition);
    out->set_because(rule.because);
    out->set_source(rule.source);
    out->set_location(Location(rule.location));
    for (int read : rule.reads) out->add_reads(rule_base.node(read).id);
  }
  return info;
}

absl::StatusOr<proto::Graph> DescribeGraph(const RuleBase& rule_base, absl::string_view focus) {
  std::set<int> shown;
  if (focus.empty()) {
    for (size_t i = 0; i < rule_base.nodes().size(); ++i) shown.insert(static_cast<int>(i));
  } else {
    auto node = rule_base.FindNode(focus);
    if (!node) {
      std::vector<absl::string_view> ids;
      for (const NodeInfo& n : rule_base.nodes()) ids.push_back(n.id);
      return absl::NotFoundError(absl::StrCat("unknown node '", std::string(focus), "'",
                                              DidYouMean(ClosestNames(focus, ids))));
    }
    shown.insert(*node);
    for (int n : rule_base.graph().Upstream(*node)) shown.insert(n);
    for (int n : rule_base.graph().Downstream(*node)) shown.insert(n);
  }
  // Rules behind each edge.
  std::map<std::pair<int, int>, std::vector<std::string>> edge_rules;
  for (const Rule& rule : rule_base.rules()) {
    for (int read : rule.reads) edge_rules[{read, rule.conclusion}].push_back(rule.id);
  }
  proto::Graph graph;
  std::string dot = absl::StrCat("digraph ", DotString(rule_base.id()),
                                 " {\n  rankdir=LR;\n  node [style=filled, fontname=\"Helvetica\"];\n");
  for (int n : shown) {
    const NodeInfo& node = rule_base.node(n);
    // Built-in figures that no rule reads only clutter the picture.
    if (node.builtin && rule_base.graph().Downstream(n).empty()) continue;
    proto::GraphNode* out = graph.add_nodes();
    out->set_id(node.id);
    out->set_kind(ToProto(node.kind));
    out->set_title(node.title);
    absl::StrAppend(&dot, "  ", DotString(node.id), " [label=",
                    DotString(absl::StrCat(node.title, "\n", node.id)), ", shape=", Shape(node.kind),
                    ", fillcolor=\"", FillColour(node.kind), "\"];\n");
  }
  for (const auto& [edge, rules] : edge_rules) {
    if (shown.count(edge.first) == 0 || shown.count(edge.second) == 0) continue;
    proto::GraphEdge* out = graph.add_edges();
    out->set_from(rule_base.node(edge.first).id);
    out->set_to(rule_base.node(edge.second).id);
    for (const std::string& rule : rules) out->add_rules(rule);
    absl::StrAppend(&dot, "  ", DotString(out->from()), " -> ", DotString(out->to()),
                    " [tooltip=", DotString(absl::StrJoin(rules, ", ")), "];\n");
  }
  absl::StrAppend(&dot, "}\n");
  graph.set_dot(dot);
  return graph;
}

proto::ValidationReport ToValidationReport(const CompileResult& result) {
  proto::ValidationReport report;
  report.set_ok(result.rule_base != nullptr);
  report.set_errors(result.diagnostics.error_count());
  report.set_warnings(result.diagnostics.warning_count());
  for (const Diagnostic& d : result.diagnostics.Sorted()) {
    proto::Diagnostic* out = report.add_diagnostics();
    out->set_file(d.location.file.str());
    out->set_line(d.location.line);
    out->set_column(d.location.column);
    out->set_severity(d.severity == Severity::kError ? proto::Diagnostic::SEVERITY_ERROR
                                                     : proto::Diagnostic::SEVERITY_WARNING);
    out->set_check(d.check);
    out->set_message(d.message);
    out->set_hint(d.hint);
    out->set_formatted(FormatDiagnostic(d));
  }
  if (result.rule_base != nullptr) {
    report.set_id(result.rule_base->id());
    report.set_version(result.rule_base->version());
    report.set_digest(result.rule_base->digest());
  }
  return report;
}

}  // namespace align::inference
