// ToGrpcStatus: every absl code becomes the gRPC code of the same name, message kept.
#include "service/status.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace align::service {
namespace {

struct CodePair {
  absl::StatusCode absl_code;
  grpc::StatusCode grpc_code;
};

const std::vector<CodePair>& EveryCode() {
  static const std::vector<CodePair> codes = {
      {absl::StatusCode::kCancelled, grpc::StatusCode::CANCELLED},
      {absl::StatusCode::kUnknown, grpc::StatusCode::UNKNOWN},
      {absl::StatusCode::kInvalidArgument, grpc::StatusCode::INVALID_ARGUMENT},
      {absl::StatusCode::kDeadlineExceeded, grpc::StatusCode::DEADLINE_EXCEEDED},
      {absl::StatusCode::kNotFound, grpc::StatusCode::NOT_FOUND},
      {absl::StatusCode::kAlreadyExists, grpc::StatusCode::ALREADY_EXISTS},
      {absl::StatusCode::kPermissionDenied, grpc::StatusCode::PERMISSION_DENIED},
      {absl::StatusCode::kResourceExhausted, grpc::StatusCode::RESOURCE_EXHAUSTED},
      {absl::StatusCode::kFailedPrecondition, grpc::StatusCode::FAILED_PRECONDITION},
      {absl::StatusCode::kAborted, grpc::StatusCode::ABORTED},
      {absl::StatusCode::kOutOfRange, grpc::StatusCode::OUT_OF_RANGE},
      {absl::StatusCode::kUnimplemented, grpc::StatusCode::UNIMPLEMENTED},
      {absl::StatusCode::kInternal, grpc::StatusCode::INTERNAL},
      {absl::StatusCode::kUnavailable, grpc::StatusCode::UNAVAILABLE},
      {absl::StatusCode::kDataLoss, grpc::StatusCode::DATA_LOSS},
      {absl::StatusCode::kUnauthenticated, grpc::StatusCode::UNAUTHENTICATED},
  };
  return codes;
}

TEST(ToGrpcStatus, OkIsOkWithNoMessage) {
  grpc::Status status = ToGrpcStatus(absl::OkStatus());
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::OK);
  EXPECT_EQ(status.error_message(), "");
}

TEST(ToGrpcStatus, EveryErrorCodeKeepsItsCodeAndMessage) {
  for (const CodePair& pair : EveryCode()) {
    const std::string message =
        "observations[\"capacity.utilisation\"]: expected a number in [0, 100]%, got 150 (" +
        absl::StatusCodeToString(pair.absl_code) + ")";
    grpc::Status status = ToGrpcStatus(absl::Status(pair.absl_code, message));
    EXPECT_EQ(status.error_code(), pair.grpc_code) << absl::StatusCodeToString(pair.absl_code);
    EXPECT_EQ(static_cast<int>(status.error_code()), static_cast<int>(pair.absl_code));
    EXPECT_EQ(status.error_message(), message);
  }
}

TEST(ToGrpcStatus, CoversAllSixteenErrorCodes) {
  EXPECT_EQ(EveryCode().size(), 16u);
}

TEST(ToGrpcStatus, MultiLineAndNonAsciiMessagesPassUnchanged) {
  const std::string message =
      "rule base refused, still serving alignment.standard 1.0.0:\n"
      "rules/a.rules:3:7: error: unknown indicator 'capacity.utilisaton' [unknown-identifier]\n"
      "  hint: did you mean 'capacity.utilisation'? — ‘quoted’";
  grpc::Status status = ToGrpcStatus(absl::InvalidArgumentError(message));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), message);
}

TEST(ToGrpcStatus, CodeGrpcDoesNotKnowBecomesUnknownKeepingTheMessage) {
  grpc::Status status = ToGrpcStatus(absl::Status(static_cast<absl::StatusCode>(42), "odd"));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNKNOWN);
  EXPECT_EQ(status.error_message(), "odd");
}

}  // namespace
}  // namespace align::service
