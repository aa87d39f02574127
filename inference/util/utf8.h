// Whether text is well-formed UTF-8, which every string in the API must be (proto3 rejects
// anything else when parsing).
#ifndef ALIGN_INFERENCE_UTIL_UTF8_H_
#define ALIGN_INFERENCE_UTIL_UTF8_H_

#include "absl/strings/string_view.h"

namespace align::inference {

// Shortest forms only; no surrogates, nothing above U+10FFFF.
bool IsValidUtf8(absl::string_view text);

}  // namespace align::inference

#endif  // ALIGN_INFERENCE_UTIL_UTF8_H_
