#include "inference/rulebase/loader.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "inference/util/status_macros.h"

namespace align::inference {
namespace fs = std::filesystem;

namespace {

absl::StatusOr<SourceFile> ReadOne(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::FailedPreconditionError(absl::StrCat(path.string(), ": cannot be read"));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return SourceFile{path.string(), text.str()};
}

}  // namespace

absl::StatusOr<std::vector<SourceFile>> ReadRuleFiles(const fs::path& path) {
  std::error_code error;
  if (!fs::exists(path, error)) {
    return absl::NotFoundError(absl::StrCat(path.string(), ": no such file or folder"));
  }
  std::vector<fs::path> paths;
  if (fs::is_directory(path, error)) {
    for (fs::recursive_directory_iterator it(path, error), end; !error && it != end;
         it.increment(error)) {
      if (it->is_regular_file(error) && it->path().extension() == ".rules") {
        paths.push_back(it->path());
      }
    }
    if (error) {
      return absl::FailedPreconditionError(
          absl::StrCat(path.string(), ": cannot be listed: ", error.message()));
    }
  } else {
    paths.push_back(path);
  }
  if (paths.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path.string(), ": holds no rule files (*.rules)"));
  }
  std::sort(paths.begin(), paths.end());
  std::vector<SourceFile> files;
  for (const fs::path& p : paths) {
    ASSIGN_OR_RETURN(SourceFile file, ReadOne(p));
    files.push_back(std::move(file));
  }
  return files;
}

absl::StatusOr<CompileResult> CompileRuleFiles(const fs::path& path) {
  ASSIGN_OR_RETURN(std::vector<SourceFile> files, ReadRuleFiles(path));
  return CompileRuleBase(files);
}

absl::StatusOr<std::shared_ptr<const RuleBase>> LoadRuleBase(const fs::path& path) {
  ASSIGN_OR_RETURN(CompileResult result, CompileRuleFiles(path));
  if (result.rule_base == nullptr) {
    std::string message = absl::StrCat(path.string(), ": the rule base has ",
                                       result.diagnostics.error_count(), " error",
                                       result.diagnostics.error_count() == 1 ? "" : "s", ":\n");
    for (const Diagnostic& d : result.diagnostics.Sorted()) {
      if (d.severity == Severity::kError) absl::StrAppend(&message, FormatDiagnostic(d), "\n");
    }
    message.pop_back();
    return absl::InvalidArgumentError(message);
  }
  return result.rule_base;
}

}  // namespace align::inference
