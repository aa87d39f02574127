// Debian's Abseil is built with its own absl::string_view, a different type from
// std::string_view that it does not convert to: the bridge, for code that works in
// std::string_view and calls Abseil.
#ifndef ALIGN_INFERENCE_UTIL_ABSL_VIEW_H_
#define ALIGN_INFERENCE_UTIL_ABSL_VIEW_H_

#include <string_view>

#include "absl/strings/string_view.h"

namespace align::inference {

inline absl::string_view AbslView(std::string_view text) {
  return absl::string_view(text.data(), text.size());
}

}  // namespace align::inference

#endif  // ALIGN_INFERENCE_UTIL_ABSL_VIEW_H_
