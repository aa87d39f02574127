// Numbers as people read them in messages and reports.
#ifndef ALIGN_INFERENCE_UTIL_FORMAT_H_
#define ALIGN_INFERENCE_UTIL_FORMAT_H_

#include <string>

#include "absl/strings/string_view.h"

namespace align::inference {

// At most six significant digits, no trailing zeros: 85, 0.7, 12.5, -0.35.
std::string FormatNumber(double value);

// FormatNumber(std::round(value * 100) / 100) without its general-purpose conversions: the value
// to two decimals, "0.44", "-1", "12.5". Explanations print many certainties this way.
std::string FormatHundredths(double value);

// `text` as a JSON string literal, quotes included; UTF-8 passes through unchanged.
std::string JsonQuote(absl::string_view text);

}  // namespace align::inference

#endif  // ALIGN_INFERENCE_UTIL_FORMAT_H_
