// Static checks on a rule base that compiles: mistakes a rule author makes that are not errors
// of the language — dead or always-true conditions, duplicate, conflicting and overlapping
// rules, unused indicators, causes without actions and actions without causes, and missing
// metadata. Each finding names its check; `allow: "<check>: <reason>"` on a declaration
// silences that check there.
#ifndef ALIGN_INFERENCE_LINT_LINTER_H_
#define ALIGN_INFERENCE_LINT_LINTER_H_

#include <string>
#include <vector>

#include "inference/lang/diagnostics.h"
#include "inference/rulebase/compiler.h"
#include "inference/rulebase/rule_base.h"

namespace align::inference {

// The names of every lint check, for documentation and for 'allow'.
const std::vector<std::string>& LintCheckNames();

// Adds the findings to `diagnostics`: `never-true` is an error (the rule can never fire); the
// others are warnings.
void LintRuleBase(const RuleBase& rule_base, Diagnostics& diagnostics);

// Lints a successful compilation in place, as `alignctl rules lint` and ValidateRules do; a lint
// error (a rule that can never fire) makes the result unusable like a compile error.
void LintCompileResult(CompileResult& result);

}  // namespace align::inference

#endif  // ALIGN_INFERENCE_LINT_LINTER_H_
