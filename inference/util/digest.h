// Content digests for rule bases and assessments.
#ifndef ALIGN_INFERENCE_UTIL_DIGEST_H_
#define ALIGN_INFERENCE_UTIL_DIGEST_H_

#include "absl/strings/string_view.h"
#include <string>
#include <string_view>

namespace align::inference {

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(absl::string_view data);

}  // namespace align::inference

#endif  // ALIGN_INFERENCE_UTIL_DIGEST_H_
