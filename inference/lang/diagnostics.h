// Problems found in rule files, collected (never just the first) and printed like a compiler.
#ifndef ALIGN_INFERENCE_LANG_DIAGNOSTICS_H_
#define ALIGN_INFERENCE_LANG_DIAGNOSTICS_H_

#include <string>
#include <string_view>
#include <vector>

namespace align::inference {

// A position in a rule file; line and column count from 1.
struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;
};

enum class Severity { kError, kWarning };

struct Diagnostic {
  Severity severity = Severity::kError;
  SourceLocation location;
  std::string message;
  std::string hint;   // optional advice printed on its own line
  std::string check;  // name of the check that found it, e.g. "unknown-identifier"
};

// "rules/a.rules:12:5: error: message [check]" and, when there is a hint, "  hint: …".
std::string FormatDiagnostic(const Diagnostic& diagnostic);

class Diagnostics {
 public:
  void Error(const SourceLocation& at, std::string check, std::string message,
             std::string hint = "");
  void Warning(const SourceLocation& at, std::string check, std::string message,
               std::string hint = "");

  bool HasErrors() const { return error_count_ > 0; }
  int error_count() const { return error_count_; }
  int warning_count() const { return static_cast<int>(items_.size()) - error_count_; }

  // Sorted by file, line, column, then message, so the output does not depend on check order.
  std::vector<Diagnostic> Sorted() const;
  // Every diagnostic, sorted, one FormatDiagnostic per line.
  std::string Format() const;

 private:
  std::vector<Diagnostic> items_;
  int error_count_ = 0;
};

}  // namespace align::inference

#endif  // ALIGN_INFERENCE_LANG_DIAGNOSTICS_H_
