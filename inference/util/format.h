// Numbers as people read them in messages and reports.
#ifndef ALIGN_INFERENCE_UTIL_FORMAT_H_
#define ALIGN_INFERENCE_UTIL_FORMAT_H_

#include <initializer_list>
#include <string>

#include "absl/strings/string_view.h"

namespace align::inference {

// At most six significant digits, no trailing zeros: 85, 0.7, 12.5, -0.35.
std::string FormatNumber(double value);

// FormatNumber(std::round(value * 100) / 100) without its general-purpose conversions: the value
// to two decimals, "0.44", "-1", "12.5". Explanations print many certainties this way.
std::string FormatHundredths(double value);
// The same, appended to `out` without a temporary string.
void AppendHundredths(double value, std::string* out);

// Appends the pieces to `out`, growing it at most once. absl::StrAppend does the same, but with
// libstdc++ it zero-fills the room before copying into it, and explanations append thousands of
// pieces per answer.
inline void AppendPieces(std::string* out, std::initializer_list<absl::string_view> pieces) {
  size_t size = out->size();
  for (absl::string_view piece : pieces) size += piece.size();
  out->reserve(size);  // libstdc++ grows geometrically, so this stays amortised
  for (absl::string_view piece : pieces) out->append(piece.data(), piece.size());
}

// `text` as a JSON string literal, quotes included; UTF-8 passes through unchanged.
std::string JsonQuote(absl::string_view text);

}  // namespace align::inference

#endif  // ALIGN_INFERENCE_UTIL_FORMAT_H_
