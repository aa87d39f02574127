// Reads a rule base from disk: every *.rules file under a folder, compiled as one namespace.
#ifndef ALIGN_INFERENCE_RULEBASE_LOADER_H_
#define ALIGN_INFERENCE_RULEBASE_LOADER_H_

#include <filesystem>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "inference/rulebase/compiler.h"

namespace align::inference {

// The *.rules files under `path` (searched recursively, sorted by path), or `path` itself when
// it is a file. NotFound when `path` does not exist; InvalidArgument when it holds no rule
// file; FailedPrecondition when a file cannot be read.
absl::StatusOr<std::vector<SourceFile>> ReadRuleFiles(const std::filesystem::path& path);

// Reads and compiles. The diagnostics hold warnings even when the result is usable.
absl::StatusOr<CompileResult> CompileRuleFiles(const std::filesystem::path& path);

// Reads and compiles, and refuses a rule base with errors: InvalidArgument whose message lists
// every error, one "file:line:col: error: …" per line.
absl::StatusOr<std::shared_ptr<const RuleBase>> LoadRuleBase(const std::filesystem::path& path);

}  // namespace align::inference

#endif  // ALIGN_INFERENCE_RULEBASE_LOADER_H_
