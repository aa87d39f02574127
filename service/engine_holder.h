// The rule base alignd serves, swapped atomically on reload. Each RPC takes one snapshot at
// its start and uses only it, so a call in flight finishes on the base it started with; an old
// base is freed when its last call ends.
//
//   EngineHolder holder(rule_base);
//   std::shared_ptr<const ServingRuleBase> rules = holder.Get();
//   rules->engine.Diagnose(assessment);
//   holder.ReloadFromFolder("rules/");  // refused, with the errors, if the new base has any
#ifndef ALIGN_SERVICE_ENGINE_HOLDER_H_
#define ALIGN_SERVICE_ENGINE_HOLDER_H_

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "alignment/v1/advisor.pb.h"
#include "inference/engine.h"
#include "inference/rulebase/compiler.h"
#include "inference/util/proto_alias.h"

namespace align::service {

// One loaded rule base, ready to serve.
struct ServingRuleBase {
  ServingRuleBase(std::shared_ptr<const inference::RuleBase> rule_base, absl::Time loaded_at);

  inference::Engine engine;
  proto::RuleBaseRef ref;  // id, version, digest
  std::string label;       // "alignment.standard@1.0.0", for logs
  std::string loaded_at;   // RFC 3339 UTC
};

class EngineHolder {
 public:
  explicit EngineHolder(std::shared_ptr<const inference::RuleBase> initial);

  // The base serving now. Never null.
  std::shared_ptr<const ServingRuleBase> Get() const ABSL_LOCKS_EXCLUDED(mu_);

  // Swaps in a compiled rule base unless it has errors. A refusal keeps the old base and is
  // InvalidArgument: "rule base refused, still serving <id> <version>:\n" and then every error,
  // formatted as a compiler prints it. A failed `compiled` (the files could not be read) is
  // refused the same way, keeping its code.
  absl::StatusOr<proto::ReloadRulesResponse> Install(
      const absl::StatusOr<inference::CompileResult>& compiled) ABSL_LOCKS_EXCLUDED(mu_);

  // Compiles the *.rules files under `path` (off to the side) and installs them.
  absl::StatusOr<proto::ReloadRulesResponse> ReloadFromFolder(const std::filesystem::path& path);
  // Compiles in-memory files and installs them.
  absl::StatusOr<proto::ReloadRulesResponse> ReloadFromFiles(
      const std::vector<inference::SourceFile>& files);

 private:
  mutable absl::Mutex mu_;
  std::shared_ptr<const ServingRuleBase> current_ ABSL_GUARDED_BY(mu_);
};

}  // namespace align::service

#endif  // ALIGN_SERVICE_ENGINE_HOLDER_H_
