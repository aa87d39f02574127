#include "inference/lang/diagnostics.h"

#include <algorithm>
#include <ostream>
#include <tuple>

#include "absl/strings/str_cat.h"

namespace align::inference {

const std::string& FileName::Empty() {
  static const std::string* const empty = new std::string();
  return *empty;
}

std::ostream& operator<<(std::ostream& out, const FileName& name) { return out << name.str(); }

std::string FormatDiagnostic(const Diagnostic& d) {
  std::string out = absl::StrCat(d.location.file.str(), ":", d.location.line, ":",
                                 d.location.column, ": ",
                                 d.severity == Severity::kError ? "error" : "warning",
                                 ": ", d.message);
  if (!d.check.empty()) absl::StrAppend(&out, " [", d.check, "]");
  if (!d.hint.empty()) absl::StrAppend(&out, "\n  hint: ", d.hint);
  return out;
}

void Diagnostics::Error(const SourceLocation& at, std::string check, std::string message,
                        std::string hint) {
  items_.push_back({Severity::kError, at, std::move(message), std::move(hint), std::move(check)});
  ++error_count_;
}

void Diagnostics::Warning(const SourceLocation& at, std::string check, std::string message,
                          std::string hint) {
  items_.push_back(
      {Severity::kWarning, at, std::move(message), std::move(hint), std::move(check)});
}

std::vector<Diagnostic> Diagnostics::Sorted() const {
  std::vector<Diagnostic> sorted = items_;
  std::stable_sort(sorted.begin(), sorted.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.location.file, a.location.line, a.location.column, a.message) <
           std::tie(b.location.file, b.location.line, b.location.column, b.message);
  });
  return sorted;
}

std::string Diagnostics::Format() const {
  std::string out;
  for (const Diagnostic& d : Sorted()) absl::StrAppend(&out, FormatDiagnostic(d), "\n");
  return out;
}

}  // namespace align::inference
