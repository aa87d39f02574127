// A compiled rule base as data: what it declares, its dependency graph (with Graphviz DOT),
// and compile diagnostics as a validation report. Used by the service and the CLI alike.
#ifndef ALIGN_INFERENCE_RULEBASE_DESCRIBE_H_
#define ALIGN_INFERENCE_RULEBASE_DESCRIBE_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "alignment/v1/rulebase.pb.h"
#include "inference/rulebase/compiler.h"
#include "inference/rulebase/rule_base.h"
#include "inference/util/proto_alias.h"

namespace align::inference {

proto::NodeKind ToProto(NodeKind kind);

// Identity, counts, and every indicator (with type, range, choices and question text),
// conclusion and rule. `loaded_at` is left for the caller to set.
proto::RuleBaseInfo DescribeRuleBase(const RuleBase& rule_base);

// The dependency graph: every node and edge (each edge with the rules behind it) and the same
// as Graphviz DOT, coloured by kind. With a `focus` id, only that node, everything it depends on
// and everything that depends on it. NotFound (with suggestions) for an unknown focus.
absl::StatusOr<proto::Graph> DescribeGraph(const RuleBase& rule_base, absl::string_view focus);

// The diagnostics of a compilation as data; `ok` when the rule base would load.
proto::ValidationReport ToValidationReport(const CompileResult& result);

}  // namespace align::inference

#endif  // ALIGN_INFERENCE_RULEBASE_DESCRIBE_H_
