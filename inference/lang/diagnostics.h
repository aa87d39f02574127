// Problems found in rule files, collected (never just the first) and printed like a compiler.
#ifndef ALIGN_INFERENCE_LANG_DIAGNOSTICS_H_
#define ALIGN_INFERENCE_LANG_DIAGNOSTICS_H_

#include <compare>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace align::inference {

// A source file's name as locations hold it. Parsing a large rule base makes a dozen locations
// per rule, and copying the name into each (a heap string once it outgrows the short-string
// buffer) was a fifth of the allocations of a compile; copies of a FileName share one string.
class FileName {
 public:
  FileName() = default;
  FileName(std::string name) : name_(std::make_shared<const std::string>(std::move(name))) {}
  FileName(std::string_view name) : FileName(std::string(name)) {}
  FileName(const char* name) : FileName(std::string(name)) {}

  const std::string& str() const { return name_ != nullptr ? *name_ : Empty(); }
  bool empty() const { return str().empty(); }

  friend bool operator==(const FileName& a, const FileName& b) { return a.str() == b.str(); }
  friend bool operator==(const FileName& a, const std::string& b) { return a.str() == b; }
  friend bool operator==(const FileName& a, const char* b) { return a.str() == b; }
  friend auto operator<=>(const FileName& a, const FileName& b) { return a.str() <=> b.str(); }
  // As text, for test failures and logs.
  friend std::ostream& operator<<(std::ostream& out, const FileName& name);

 private:
  static const std::string& Empty();
  std::shared_ptr<const std::string> name_;  // null for no file
};

// A position in a rule file; line and column count from 1.
struct SourceLocation {
  FileName file;
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
