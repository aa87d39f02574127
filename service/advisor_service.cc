#include "service/advisor_service.h"

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <google/protobuf/arena.h>
#include <grpcpp/support/proto_buffer_reader.h>

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

// Parses `bytes` without copying them: straight from the slice when there is one (the usual
// case), else through gRPC's zero-copy reader over the slices.
bool ParseFromByteBuffer(grpc::ByteBuffer& bytes, google::protobuf::MessageLite* message) {
  grpc::Slice slice;
  if (bytes.TrySingleSlice(&slice).ok()) {
    return message->ParseFromArray(slice.begin(), static_cast<int>(slice.size()));
  }
  grpc::ProtoBufferReader reader(&bytes);
  return reader.status().ok() && message->ParseFromZeroCopyStream(&reader) &&
         reader.status().ok();
}

// The answer's bytes, without a copy: gRPC frees the string once it has sent it.
grpc::ByteBuffer ToByteBuffer(std::unique_ptr<std::string> body) {
  std::string* owned = body.release();
  grpc::Slice slice(owned->data(), owned->size(),
                    [](void* string) { delete static_cast<std::string*>(string); }, owned);
  return grpc::ByteBuffer(&slice, 1);
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
                                                   const grpc::ByteBuffer* request,
                                                   grpc::ByteBuffer* response) {
  std::shared_ptr<const ServingRuleBase> rules = holder_.Get();
  // A copy of a ByteBuffer shares the request's slices: no bytes are copied, and they stay
  // alive for the work even if the call ends first.
  std::function<absl::Status(grpc::ByteBuffer&, CallNotes&)> work =
      [this, rules, request = *request](grpc::ByteBuffer& out, CallNotes& notes) mutable {
        return DiagnoseBytes(*rules, request, out, notes);
      };
  return runner_.Run(context, "Diagnose", rules->label, response, std::move(work));
}

absl::Status AdvisorService::DiagnoseBytes(const ServingRuleBase& rules,
                                           grpc::ByteBuffer& request_bytes,
                                           grpc::ByteBuffer& response,
                                           CallNotes& notes) const {
  // The request lives on an arena whose first block is on this stack: a usual request parses
  // with no malloc but for the text of strings too long to be held inline.
  alignas(std::max_align_t) char first_block[8192];
  google::protobuf::ArenaOptions arena_options;
  arena_options.initial_block = first_block;
  arena_options.initial_block_size = sizeof first_block;
  google::protobuf::Arena arena(arena_options);
  auto* request = google::protobuf::Arena::CreateMessage<proto::DiagnoseRequest>(&arena);
  if (!ParseFromByteBuffer(request_bytes, request)) {
    return absl::InvalidArgumentError("request: not a valid alignment.v1.DiagnoseRequest");
  }

  ASSIGN_OR_RETURN(inference::DiagnoseOptions options,
                   inference::DiagnoseOptionsFromProto(request->options()));
  // The engine writes the id in its place among the fields; the notes get it only for an
  // answer, so that a failed call logs none.
  options.decision_id = NewDecisionId();
  auto bytes = std::make_unique<std::string>();
  ASSIGN_OR_RETURN(inference::Consultation consultation,
                   rules.engine.ConsultToWire(request->assessment(), options, bytes.get()));
  notes.decision_id = options.decision_id;

  if (options_.decision_log != nullptr) {
    notes.on_commit = [this, line = DecisionRecord(consultation, options, notes.decision_id,
                                                   AssessmentDigest(request->assessment()),
                                                   absl::Now())] {
      // The answer still goes out: a full disk should not stop diagnoses, but say so loudly.
      if (absl::Status written = options_.decision_log->Write(line); !written.ok()) {
        options_.warnings(absl::StrCat("alignd: ", written.message()));
      }
    };
  }
  grpc::ByteBuffer answer = ToByteBuffer(std::move(bytes));
  response.Swap(&answer);
  return absl::OkStatus();
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
