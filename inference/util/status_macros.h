// RETURN_IF_ERROR / ASSIGN_OR_RETURN: the Abseil of Debian 12 ships no status macros.
#ifndef ALIGN_INFERENCE_UTIL_STATUS_MACROS_H_
#define ALIGN_INFERENCE_UTIL_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define ALIGN_CONCAT_INNER_(a, b) a##b
#define ALIGN_CONCAT_(a, b) ALIGN_CONCAT_INNER_(a, b)

#define RETURN_IF_ERROR(expr)                  \
  do {                                         \
    ::absl::Status align_status_ = (expr);     \
    if (!align_status_.ok()) return align_status_; \
  } while (0)

#define ASSIGN_OR_RETURN(lhs, expr) \
  ALIGN_ASSIGN_OR_RETURN_IMPL_(ALIGN_CONCAT_(align_statusor_, __LINE__), lhs, expr)

#define ALIGN_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                 \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()

#endif  // ALIGN_INFERENCE_UTIL_STATUS_MACROS_H_
