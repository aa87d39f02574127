#include "service/auth.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace align::service {
namespace {

constexpr absl::string_view kBearer = "Bearer ";

}  // namespace

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  // Comparing fixed-size digests hides the lengths too; CRYPTO_memcmp does not stop early.
  unsigned char digest_a[SHA256_DIGEST_LENGTH], digest_b[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(a.data()), a.size(), digest_a);
  SHA256(reinterpret_cast<const unsigned char*>(b.data()), b.size(), digest_b);
  return CRYPTO_memcmp(digest_a, digest_b, SHA256_DIGEST_LENGTH) == 0;
}

absl::StatusOr<AdminAuth> AdminAuth::WithToken(std::string token) {
  if (token.empty()) return absl::InvalidArgumentError("the admin token is empty");
  return AdminAuth(std::move(token));
}

absl::StatusOr<AdminAuth> AdminAuth::FromTokenFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int error = errno;
    std::string message = absl::StrCat(path, ": cannot read the admin token file: ",
                                       std::strerror(error));
    if (error == ENOENT) return absl::NotFoundError(message);
    if (error == EACCES) return absl::PermissionDeniedError(message);
    return absl::FailedPreconditionError(message);
  }
  std::ostringstream text;
  text << in.rdbuf();
  std::string token(absl::StripAsciiWhitespace(text.str()));
  if (token.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": the admin token file is empty; put the token in it"));
  }
  return AdminAuth(std::move(token));
}

absl::Status AdminAuth::Check(std::optional<absl::string_view> authorization) const {
  if (!token_.has_value()) {
    return absl::PermissionDeniedError(
        "ReloadRules is disabled: alignd was started without --admin-token-file");
  }
  // The scheme name is case-insensitive (RFC 7235); the token is not.
  if (!authorization.has_value() || authorization->size() <= kBearer.size() ||
      !absl::StartsWithIgnoreCase(*authorization, kBearer)) {
    return absl::UnauthenticatedError("ReloadRules needs 'authorization: Bearer <token>' metadata");
  }
  absl::string_view presented = absl::StripAsciiWhitespace(authorization->substr(kBearer.size()));
  if (presented.empty()) {
    return absl::UnauthenticatedError("ReloadRules needs 'authorization: Bearer <token>' metadata");
  }
  if (!ConstantTimeEquals(presented, *token_)) {
    return absl::PermissionDeniedError("admin token does not match");
  }
  return absl::OkStatus();
}

}  // namespace align::service
