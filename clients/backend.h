// Where alignctl's answers come from: the engine in process (--local) or an alignd server
// (--server). Both return the same messages, so every report reads the same either way.
#ifndef ALIGN_CLIENTS_BACKEND_H_
#define ALIGN_CLIENTS_BACKEND_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "alignment/v1/advisor.pb.h"
#include "alignment/v1/rulebase.pb.h"
#include "inference/io/assessment_reader.h"
#include "inference/util/proto_alias.h"

namespace grpc {
class Channel;
}  // namespace grpc

namespace align::clients {

class Backend {
 public:
  virtual ~Backend() = default;

  virtual absl::StatusOr<proto::Diagnosis> Diagnose(const proto::DiagnoseRequest& request) = 0;
  virtual absl::StatusOr<proto::ExplainResponse> Explain(const proto::ExplainRequest& request) = 0;
  virtual absl::StatusOr<proto::RuleBaseInfo> GetRuleBase() = 0;
  virtual absl::StatusOr<proto::Graph> GetDependencyGraph(const std::string& focus) = 0;
  // Admin: swaps the server's rule base. The local engine has nothing to reload.
  virtual absl::StatusOr<proto::ReloadRulesResponse> ReloadRules(
      const proto::ReloadRulesRequest& request) = 0;
};

// The engine in process, with the rule base in `rules_path`. InvalidArgument listing every
// error when the rule base does not compile; NotFound when the path does not exist.
absl::StatusOr<std::unique_ptr<Backend>> LocalBackend(const std::string& rules_path);

// An alignd server over `channel`; `token` (may be empty) goes with admin calls as a bearer
// token; `target` names the server in messages.
std::unique_ptr<Backend> RemoteBackend(std::shared_ptr<grpc::Channel> channel,
                                       std::string target, std::string token);

// The observation schema a rule base describes, to check assessment files before sending them.
inference::ObservationSchema SchemaFromInfo(const proto::RuleBaseInfo& info);

}  // namespace align::clients

#endif  // ALIGN_CLIENTS_BACKEND_H_
