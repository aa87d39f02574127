// Turns rule files into a RuleBase: resolves names, checks types and ranges, builds the
// dependency graph, refuses cycles, and compiles every condition into a flat plan.
#ifndef ALIGN_INFERENCE_RULEBASE_COMPILER_H_
#define ALIGN_INFERENCE_RULEBASE_COMPILER_H_

#include <memory>
#include <string>
#include <vector>

#include "inference/lang/diagnostics.h"
#include "inference/rulebase/rule_base.h"

namespace align::inference {

struct SourceFile {
  std::string path;  // as it should appear in diagnostics
  std::string text;
};

struct CompileResult {
  // Null when any error was found: a rule base with errors is never used.
  std::shared_ptr<const RuleBase> rule_base;
  // Every error and warning, from every file.
  Diagnostics diagnostics;
};

// Compiles the files as one rule base (one namespace). The result does not depend on the
// order of `files` or of declarations within them.
CompileResult CompileRuleBase(const std::vector<SourceFile>& files);

}  // namespace align::inference

#endif  // ALIGN_INFERENCE_RULEBASE_COMPILER_H_
