#include "service/advisor_service.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "inference/rulebase/compiler.h"
#include "inference/lint/linter.h"
#include "inference/rulebase/describe.h"
#include "inference/util/status_macros.h"

namespace align::service {
namespace {

std::vector<inference::SourceFile> ToSourceFiles(
    const google::protobuf::RepeatedPtrField<proto::SourceFile>& files) {
  std::vector<inference::SourceFile> out;
  out.reserve(files.size());
  for (const proto::SourceFile& file : files) out.push_back({file.path(), file.text()});
  return out;
}

std::optional<std::string> AuthorizationOf(const grpc::CallbackServerContext& context) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) return std::nullopt;
  return std::string(it->second.data(), it->second.size());
}

}  // namespace

AdvisorService::AdvisorService(EngineHolder& holder, CallRunner& runner,
                               AdvisorServiceOptions options)
    : holder_(holder), runner_(runner), options_(std::move(options)) {}

grpc::ServerUnaryReactor* AdvisorService::Diagnose(grpc::CallbackServerContext* context,
                                                   const proto::DiagnoseRequest* request,
                                                   proto::Diagnosis* response) {
  std::shared_ptr<const ServingRuleBase> rules = holder_.Get();
  std::function<absl::Status(proto::Diagnosis&, CallNotes&)> work =
      [this, rules, request = *request](proto::Diagnosis& out, CallNotes& notes) -> absl::Status {
    ASSIGN_OR_RETURN(inference::DiagnoseOptions options, inference::DiagnoseOptionsFromProto(request.options()));
    ASSIGN_OR_RETURN(out, rules->engine.Diagnose(request.assessment(), options));
    out.set_decision_id(NewDecisionId());
    notes.decision_id = out.decision_id();
    if (DecisionLog* log = options_.decision_log) {
      notes.on_commit = [log, warnings = options_.warnings,
                         line = DecisionRecord(out, AssessmentDigest(request.assessment()),
                                               absl::Now())] {
        // The answer still goes out: a full disk should not stop diagnoses, but say so loudly.
        if (absl::Status written = log->Write(line); !written.ok()) {
          warnings(absl::StrCat("alignd: ", written.message()));
        }
      };
    }
    return absl::OkStatus();
  };
  return runner_.Run(context, "Diagnose", rules->label, response, std::move(work));
}

grpc::ServerUnaryReactor* AdvisorService::Explain(grpc::CallbackServerContext* context,
                                                  const proto::ExplainRequest* request,
                                                  proto::ExplainResponse* response) {
  std::shared_ptr<const ServingRuleBase> rules = holder_.Get();
  std::function<absl::Status(proto::ExplainResponse&, CallNotes&)> work =
      [rules, request = *request](proto::ExplainResponse& out, CallNotes&) -> absl::Status {
    if (request.node_ids().empty()) {
      return absl::InvalidArgumentError("node_ids: give at least one node id");
    }
    *out.mutable_rule_base() = rules->ref;
    for (const std::string& id : request.node_ids()) {
      ASSIGN_OR_RETURN(*out.add_explanations(), rules->engine.Explain(request.assessment(), id));
    }
    return absl::OkStatus();
  };
  return runner_.Run(context, "Explain", rules->label, response, std::move(work));
}

grpc::ServerUnaryReactor* AdvisorService::GetRuleBase(grpc::CallbackServerContext* context,
                                                      const proto::GetRuleBaseRequest*,
                                                      proto::RuleBaseInfo* response) {
  std::shared_ptr<const ServingRuleBase> rules = holder_.Get();
  std::function<absl::Status(proto::RuleBaseInfo&, CallNotes&)> work =
      [rules](proto::RuleBaseInfo& out, CallNotes&) -> absl::Status {
    out = inference::DescribeRuleBase(rules->engine.rule_base());
    out.set_loaded_at(rules->loaded_at);
    return absl::OkStatus();
  };
  return runner_.Run(context, "GetRuleBase", rules->label, response, std::move(work));
}

grpc::ServerUnaryReactor* AdvisorService::GetDependencyGraph(
    grpc::CallbackServerContext* context, const proto::GetDependencyGraphRequest* request,
    proto::Graph* response) {
  std::shared_ptr<const ServingRuleBase> rules = holder_.Get();
  std::function<absl::Status(proto::Graph&, CallNotes&)> work =
      [rules, focus = request->focus()](proto::Graph& out, CallNotes&) -> absl::Status {
    ASSIGN_OR_RETURN(out, inference::DescribeGraph(rules->engine.rule_base(), focus));
    return absl::OkStatus();
  };
  return runner_.Run(context, "GetDependencyGraph", rules->label, response,
                     std::move(work));
}

grpc::ServerUnaryReactor* AdvisorService::ValidateRules(grpc::CallbackServerContext* context,
                                                        const proto::ValidateRulesRequest* request,
                                                        proto::ValidationReport* response) {
  std::function<absl::Status(proto::ValidationReport&, CallNotes&)> work =
      [files = request->files()](proto::ValidationReport& out, CallNotes&) -> absl::Status {
    if (files.empty()) return absl::InvalidArgumentError("files: give at least one rule file");
    // The report is the answer, errors or not: the call itself went fine.
    // The same diagnostics as `alignctl rules lint`: compile errors, then the lint checks.
    inference::CompileResult result = inference::CompileRuleBase(ToSourceFiles(files));
    inference::LintCompileResult(result);
    out = inference::ToValidationReport(result);
    return absl::OkStatus();
  };
  return runner_.Run(context, "ValidateRules", holder_.Get()->label, response,
                     std::move(work));
}

grpc::ServerUnaryReactor* AdvisorService::ReloadRules(grpc::CallbackServerContext* context,
                                                      const proto::ReloadRulesRequest* request,
                                                      proto::ReloadRulesResponse* response) {
  std::function<absl::Status(proto::ReloadRulesResponse&, CallNotes&)> work =
      [this, authorization = AuthorizationOf(*context), files = request->files()](
          proto::ReloadRulesResponse& out, CallNotes& notes) -> absl::Status {
    RETURN_IF_ERROR(options_.admin.Check(authorization));
    ASSIGN_OR_RETURN(out, files.empty() ? holder_.ReloadFromFolder(options_.rules_path)
                                        : holder_.ReloadFromFiles(ToSourceFiles(files)));
    notes.rule_base = absl::StrCat(out.current().id(), "@", out.current().version());
    return absl::OkStatus();
  };
  return runner_.Run(context, "ReloadRules", holder_.Get()->label, response,
                     std::move(work));
}

}  // namespace align::service
