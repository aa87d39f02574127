// alignment.v1.AlignmentAdvisor over the engine: each method checks its request, takes one
// snapshot of the serving rule base, and converts between proto messages and engine calls.
// Diagnose, the hot one, takes and gives the raw bytes: it parses its request itself and sends
// the answer the engine writes in wire form, never building a Diagnosis message.
// Threads, deadlines and request logs are CallRunner's business.
#ifndef ALIGN_SERVICE_ADVISOR_SERVICE_H_
#define ALIGN_SERVICE_ADVISOR_SERVICE_H_

#include <filesystem>

#include <grpcpp/grpcpp.h>

#include "alignment/v1/advisor.grpc.pb.h"
#include "inference/util/proto_alias.h"
#include "service/auth.h"
#include "service/decision_log.h"
#include "service/engine_holder.h"
#include "service/logging.h"
#include "service/unary_call.h"

namespace align::service {

struct AdvisorServiceOptions {
  // Where ReloadRules without files reads the rule files from.
  std::filesystem::path rules_path;
  // Who may call ReloadRules; disabled unless a token is given.
  AdminAuth admin = AdminAuth::Disabled();
  // Where each diagnosis is recorded; null for none. Not owned.
  DecisionLog* decision_log = nullptr;
  // Where a failure to write the decision log is reported.
  LogSink warnings = StderrLogSink();
};

class AdvisorService final : public proto::AlignmentAdvisor::WithRawCallbackMethod_Diagnose<
                                 proto::AlignmentAdvisor::CallbackService> {
 public:
  // `holder` and `runner` must outlive the service.
  AdvisorService(EngineHolder& holder, CallRunner& runner, AdvisorServiceOptions options);

  // An alignment.v1.DiagnoseRequest in, an alignment.v1.Diagnosis out, as bytes.
  // INVALID_ARGUMENT for bytes that are not a DiagnoseRequest, and naming the field for a bad
  // assessment or option; NOT_FOUND for an unknown why_not id. Sets decision_id, and writes the
  // decision log line.
  grpc::ServerUnaryReactor* Diagnose(grpc::CallbackServerContext* context,
                                     const grpc::ByteBuffer* request,
                                     grpc::ByteBuffer* response) override;
  // INVALID_ARGUMENT for no node_ids or a bad assessment; NOT_FOUND for an unknown node id.
  grpc::ServerUnaryReactor* Explain(grpc::CallbackServerContext* context,
                                    const proto::ExplainRequest* request,
                                    proto::ExplainResponse* response) override;
  grpc::ServerUnaryReactor* GetRuleBase(grpc::CallbackServerContext* context,
                                        const proto::GetRuleBaseRequest* request,
                                        proto::RuleBaseInfo* response) override;
  // NOT_FOUND for an unknown focus.
  grpc::ServerUnaryReactor* GetDependencyGraph(grpc::CallbackServerContext* context,
                                               const proto::GetDependencyGraphRequest* request,
                                               proto::Graph* response) override;
  // INVALID_ARGUMENT for no files. A report with errors is still an OK answer.
  grpc::ServerUnaryReactor* ValidateRules(grpc::CallbackServerContext* context,
                                          const proto::ValidateRulesRequest* request,
                                          proto::ValidationReport* response) override;
  // Admin: PERMISSION_DENIED / UNAUTHENTICATED (see AdminAuth::Check). INVALID_ARGUMENT, with
  // the errors, when the new rule base is refused; the old one keeps serving.
  grpc::ServerUnaryReactor* ReloadRules(grpc::CallbackServerContext* context,
                                        const proto::ReloadRulesRequest* request,
                                        proto::ReloadRulesResponse* response) override;

 private:
  // Diagnose's work, on a worker: `request` holds the request's bytes.
  absl::Status DiagnoseBytes(const ServingRuleBase& rules, grpc::ByteBuffer& request,
                             grpc::ByteBuffer& response, CallNotes& notes) const;

  EngineHolder& holder_;
  CallRunner& runner_;
  const AdvisorServiceOptions options_;
};

}  // namespace align::service

#endif  // ALIGN_SERVICE_ADVISOR_SERVICE_H_
