// How a diagnosis reads for a consultant: a plain-text report.
#ifndef ALIGN_CLIENTS_REPORT_H_
#define ALIGN_CLIENTS_REPORT_H_

#include <string>

#include "absl/strings/string_view.h"

#include "alignment/v1/rulebase.pb.h"
#include "inference/util/proto_alias.h"

namespace align::clients {

// The whole diagnosis as a readable report: portfolio, patterns, causes, actions (each with how
// it was reached), rules waiting on unknowns, and the questions worth asking next.
std::string RenderDiagnosisText(const proto::Diagnosis& diagnosis);

// What a rule base declares: identity, counts, indicators (with type, range and question),
// conclusions by kind, and rules.
std::string RenderRuleBaseText(const proto::RuleBaseInfo& info);

// Any message as protobuf JSON (the canonical mapping), indented, ending with a newline.
std::string RenderJson(const google::protobuf::Message& message);

}  // namespace align::clients

#endif  // ALIGN_CLIENTS_REPORT_H_
