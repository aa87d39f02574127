// "Did you mean …?" suggestions for unknown names.
#ifndef ALIGN_INFERENCE_UTIL_SUGGEST_H_
#define ALIGN_INFERENCE_UTIL_SUGGEST_H_

#include "absl/strings/string_view.h"
#include <string>
#include <string_view>
#include <string_view>
#include <vector>

namespace align::inference {

// Returns up to `max_results` candidates closest to `word` by edit distance, nearest first
// (ties by name). Candidates further than about a third of the word's length are dropped, except
// that a candidate whose last dotted part equals the word's is always kept.
std::vector<std::string> ClosestNames(absl::string_view word,
                                      const std::vector<absl::string_view>& candidates,
                                      size_t max_results = 3);

#ifndef ABSL_USES_STD_STRING_VIEW
// The same for std::string_view callers (Debian's Abseil has its own string_view type).
std::vector<std::string> ClosestNames(std::string_view word,
                                      const std::vector<std::string_view>& candidates,
                                      size_t max_results = 3);
#endif

// "; did you mean 'a', 'b' or 'c'?" or "" when there is nothing to suggest.
std::string DidYouMean(const std::vector<std::string>& names);

}  // namespace align::inference

#endif  // ALIGN_INFERENCE_UTIL_SUGGEST_H_
