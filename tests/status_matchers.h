// StatusIs(code, message) for absl::Status and absl::StatusOr in tests.
#ifndef ALIGN_TESTS_STATUS_MATCHERS_H_
#define ALIGN_TESTS_STATUS_MATCHERS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"

namespace align::testing {

inline const absl::Status& GetStatus(const absl::Status& status) { return status; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

MATCHER_P2(StatusIs, code, message_matcher,
           "has code " + std::string(absl::StatusCodeToString(code))) {
  const absl::Status& status = GetStatus(arg);
  if (status.code() != code) {
    *result_listener << "code is " << absl::StatusCodeToString(status.code()) << ": "
                     << status.message();
    return false;
  }
  return ::testing::ExplainMatchResult(message_matcher, std::string(status.message()),
                                       result_listener);
}

}  // namespace align::testing

#endif  // ALIGN_TESTS_STATUS_MATCHERS_H_
