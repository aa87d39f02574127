#include "clients/backend.h"

#include <chrono>
#include <utility>

#include <grpcpp/grpcpp.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "alignment/v1/advisor.grpc.pb.h"
#include "inference/engine.h"
#include "inference/rulebase/describe.h"
#include "inference/rulebase/loader.h"
#include "inference/util/status_macros.h"

namespace align::clients {
namespace {

class Local final : public Backend {
 public:
  explicit Local(std::shared_ptr<const inference::RuleBase> rules)
      : engine_(std::move(rules)), loaded_at_(absl::FormatTime(absl::RFC3339_sec, absl::Now(),
                                                               absl::UTCTimeZone())) {}

  absl::StatusOr<proto::Diagnosis> Diagnose(const proto::DiagnoseRequest& request) override {
    ASSIGN_OR_RETURN(inference::DiagnoseOptions options,
                     inference::DiagnoseOptionsFromProto(request.options()));
    return engine_.Diagnose(request.assessment(), options);
  }

  absl::StatusOr<proto::ExplainResponse> Explain(const proto::ExplainRequest& request) override {
    proto::ExplainResponse response;
    response.mutable_rule_base()->set_id(engine_.rule_base().id());
    response.mutable_rule_base()->set_version(engine_.rule_base().version());
    response.mutable_rule_base()->set_digest(engine_.rule_base().digest());
    for (const std::string& id : request.node_ids()) {
      ASSIGN_OR_RETURN(*response.add_explanations(), engine_.Explain(request.assessment(), id));
    }
    return response;
  }

  absl::StatusOr<proto::RuleBaseInfo> GetRuleBase() override {
    proto::RuleBaseInfo info = inference::DescribeRuleBase(engine_.rule_base());
    info.set_loaded_at(loaded_at_);
    return info;
  }

  absl::StatusOr<proto::Graph> GetDependencyGraph(const std::string& focus) override {
    return inference::DescribeGraph(engine_.rule_base(), focus);
  }

  absl::StatusOr<proto::ReloadRulesResponse> ReloadRules(const proto::ReloadRulesRequest&) override {
    return absl::FailedPreconditionError(
        "reload talks to a running server; use --server HOST:PORT instead of --local");
  }

 private:
  inference::Engine engine_;
  std::string loaded_at_;
};

// Turns a failed call into a message a person can act on, keeping the code.
absl::Status FromGrpc(const grpc::Status& status, const std::string& target) {
  const std::string& message = status.error_message();
  auto code = static_cast<absl::StatusCode>(status.error_code());
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
      if (absl::StrContains(message, "andshake") || absl::StrContains(message, "CERTIFICATE") ||
          absl::StrContains(message, "SSL") || absl::StrContains(message, "TLS")) {
        return absl::UnavailableError(absl::StrCat(
            "TLS with ", target, " failed: the server's certificate is not trusted by --tls-ca, "
            "or the server wants a client certificate (", message, ")"));
      }
      return absl::UnavailableError(
          absl::StrCat("cannot reach alignd at ", target, ": is it running? (", message, ")"));
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return absl::DeadlineExceededError(
          absl::StrCat("alignd at ", target, " did not answer in time"));
    case grpc::StatusCode::UNAUTHENTICATED:
      return absl::UnauthenticatedError(
          absl::StrCat(message, "; pass the admin token with --token-file FILE"));
    default:
      return absl::Status(code, message);
  }
}

class Remote final : public Backend {
 public:
  Remote(std::shared_ptr<grpc::Channel> channel, std::string target, std::string token)
      : stub_(proto::AlignmentAdvisor::NewStub(std::move(channel))),
        target_(std::move(target)),
        token_(std::move(token)) {}

  absl::StatusOr<proto::Diagnosis> Diagnose(const proto::DiagnoseRequest& request) override {
    return Call(&proto::AlignmentAdvisor::Stub::Diagnose, request, proto::Diagnosis());
  }
  absl::StatusOr<proto::ExplainResponse> Explain(const proto::ExplainRequest& request) override {
    return Call(&proto::AlignmentAdvisor::Stub::Explain, request, proto::ExplainResponse());
  }
  absl::StatusOr<proto::RuleBaseInfo> GetRuleBase() override {
    return Call(&proto::AlignmentAdvisor::Stub::GetRuleBase, proto::GetRuleBaseRequest(),
                proto::RuleBaseInfo());
  }
  absl::StatusOr<proto::Graph> GetDependencyGraph(const std::string& focus) override {
    proto::GetDependencyGraphRequest request;
    request.set_focus(focus);
    return Call(&proto::AlignmentAdvisor::Stub::GetDependencyGraph, request, proto::Graph());
  }
  absl::StatusOr<proto::ReloadRulesResponse> ReloadRules(
      const proto::ReloadRulesRequest& request) override {
    return Call(&proto::AlignmentAdvisor::Stub::ReloadRules, request,
                proto::ReloadRulesResponse());
  }

 private:
  template <typename Method, typename Request, typename Response>
  absl::StatusOr<Response> Call(Method method, const Request& request, Response response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    if (!token_.empty()) context.AddMetadata("authorization", absl::StrCat("Bearer ", token_));
    grpc::Status status = (stub_.get()->*method)(&context, request, &response);
    if (!status.ok()) return FromGrpc(status, target_);
    return response;
  }

  std::unique_ptr<proto::AlignmentAdvisor::Stub> stub_;
  std::string target_;
  std::string token_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Backend>> LocalBackend(const std::string& rules_path) {
  ASSIGN_OR_RETURN(auto rules, inference::LoadRuleBase(rules_path));
  return std::unique_ptr<Backend>(new Local(std::move(rules)));
}

std::unique_ptr<Backend> RemoteBackend(std::shared_ptr<grpc::Channel> channel,
                                       std::string target, std::string token) {
  return std::make_unique<Remote>(std::move(channel), std::move(target), std::move(token));
}

inference::ObservationSchema SchemaFromInfo(const proto::RuleBaseInfo& info) {
  inference::ObservationSchema schema;
  for (const proto::IndicatorInfo& indicator : info.indicators()) {
    if (indicator.builtin()) continue;
    inference::IndicatorSchema entry;
    switch (indicator.type()) {
      case proto::VALUE_TYPE_BOOL: entry.type = inference::IndicatorSchema::Type::kBool; break;
      case proto::VALUE_TYPE_CHOICE: entry.type = inference::IndicatorSchema::Type::kChoice; break;
      default: entry.type = inference::IndicatorSchema::Type::kNumber; break;
    }
    if (indicator.has_min()) entry.min = indicator.min();
    if (indicator.has_max()) entry.max = indicator.max();
    entry.choices.assign(indicator.choices().begin(), indicator.choices().end());
    entry.unit = indicator.unit();
    schema.emplace(indicator.id(), std::move(entry));
  }
  return schema;
}

}  // namespace align::clients
