#include "service/engine_holder.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "inference/lang/diagnostics.h"
#include "inference/rulebase/describe.h"
#include "inference/rulebase/loader.h"
#include "service/logging.h"

namespace align::service {
namespace {

std::string Refusal(const ServingRuleBase& serving, absl::string_view why) {
  return absl::StrCat("rule base refused, still serving ", serving.ref.id(), " ",
                      serving.ref.version(), ":\n", why);
}

}  // namespace

ServingRuleBase::ServingRuleBase(std::shared_ptr<const inference::RuleBase> rule_base,
                                 absl::Time loaded)
    : engine(std::move(rule_base)) {
  const inference::RuleBase& rules = engine.rule_base();
  ref.set_id(rules.id());
  ref.set_version(rules.version());
  ref.set_digest(rules.digest());
  label = absl::StrCat(rules.id(), "@", rules.version());
  loaded_at = Rfc3339Utc(loaded);
}

EngineHolder::EngineHolder(std::shared_ptr<const inference::RuleBase> initial)
    : current_(std::make_shared<const ServingRuleBase>(std::move(initial), absl::Now())) {}

std::shared_ptr<const ServingRuleBase> EngineHolder::Get() const {
  absl::MutexLock lock(&mu_);
  return current_;
}

absl::StatusOr<proto::ReloadRulesResponse> EngineHolder::Install(
    const absl::StatusOr<inference::CompileResult>& compiled) {
  if (!compiled.ok()) {
    return absl::Status(compiled.status().code(),
                        Refusal(*Get(), compiled.status().message()));
  }
  if (compiled->rule_base == nullptr) {
    std::vector<std::string> errors;
    for (const inference::Diagnostic& d : compiled->diagnostics.Sorted()) {
      if (d.severity == inference::Severity::kError) {
        errors.push_back(inference::FormatDiagnostic(d));
      }
    }
    return absl::InvalidArgumentError(Refusal(*Get(), absl::StrJoin(errors, "\n")));
  }
  // Built before taking the lock, so the swap itself is only a pointer exchange.
  auto next = std::make_shared<const ServingRuleBase>(compiled->rule_base, absl::Now());
  proto::ReloadRulesResponse response;
  response.set_reloaded(true);
  *response.mutable_current() = next->ref;
  *response.mutable_report() = inference::ToValidationReport(*compiled);
  std::shared_ptr<const ServingRuleBase> previous;
  {
    absl::MutexLock lock(&mu_);
    previous = std::exchange(current_, std::move(next));
  }
  *response.mutable_previous() = previous->ref;
  // `previous` is released here; calls still using it keep it alive until they end.
  return response;
}

absl::StatusOr<proto::ReloadRulesResponse> EngineHolder::ReloadFromFolder(
    const std::filesystem::path& path) {
  return Install(inference::CompileRuleFiles(path));
}

absl::StatusOr<proto::ReloadRulesResponse> EngineHolder::ReloadFromFiles(
    const std::vector<inference::SourceFile>& files) {
  return Install(inference::CompileRuleBase(files));
}

}  // namespace align::service
