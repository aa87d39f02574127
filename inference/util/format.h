// Numbers as people read them in messages and reports.
#ifndef ALIGN_INFERENCE_UTIL_FORMAT_H_
#define ALIGN_INFERENCE_UTIL_FORMAT_H_

#include <string>

namespace align::inference {

// At most six significant digits, no trailing zeros: 85, 0.7, 12.5, -0.35.
std::string FormatNumber(double value);

}  // namespace align::inference

#endif  // ALIGN_INFERENCE_UTIL_FORMAT_H_
