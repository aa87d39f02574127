// Admin authorisation for ReloadRules: a bearer token from a file, compared in constant time.
//
//   ASSIGN_OR_RETURN(AdminAuth auth, AdminAuth::FromTokenFile("/etc/alignd/admin.token"));
//   RETURN_IF_ERROR(auth.Check(authorization_metadata_value));
#ifndef ALIGN_SERVICE_AUTH_H_
#define ALIGN_SERVICE_AUTH_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace align::service {

class AdminAuth {
 public:
  // No token: every admin call is refused.
  static AdminAuth Disabled() { return AdminAuth(std::nullopt); }
  // InvalidArgument for an empty token.
  static absl::StatusOr<AdminAuth> WithToken(std::string token);
  // The token is the file's contents with surrounding whitespace trimmed. NotFound,
  // PermissionDenied or FailedPrecondition when the file cannot be read; InvalidArgument when
  // it holds only whitespace.
  static absl::StatusOr<AdminAuth> FromTokenFile(const std::string& path);

  bool enabled() const { return token_.has_value(); }

  // `authorization` is the request's "authorization" metadata, if any. OK for
  // "Bearer <the token>"; PermissionDenied when disabled or the token differs;
  // Unauthenticated when the metadata is missing or not a bearer token.
  absl::Status Check(std::optional<absl::string_view> authorization) const;

 private:
  explicit AdminAuth(std::optional<std::string> token) : token_(std::move(token)) {}

  std::optional<std::string> token_;
};

// Whether a == b, in time that depends on neither their contents nor their lengths.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

}  // namespace align::service

#endif  // ALIGN_SERVICE_AUTH_H_
