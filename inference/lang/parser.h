// Parses one rule file into its AST. Syntax errors are collected with positions; after an
// error the parser skips to the next declaration keyword in column 1 and carries on.
#ifndef ALIGN_INFERENCE_LANG_PARSER_H_
#define ALIGN_INFERENCE_LANG_PARSER_H_

#include "absl/strings/string_view.h"
#include <string>
#include <string_view>

#include "inference/lang/ast.h"
#include "inference/lang/diagnostics.h"

namespace align::inference {

// Parses `text`, reported in diagnostics as `path`. Returns whatever parsed cleanly, so that
// later checks can still run on the declarations that were not broken.
ast::File ParseRuleFile(absl::string_view text, const std::string& path,
                        Diagnostics& diagnostics);

}  // namespace align::inference

#endif  // ALIGN_INFERENCE_LANG_PARSER_H_
