// The one place where an absl::Status from the engine becomes a grpc::Status on the wire.
#ifndef ALIGN_SERVICE_STATUS_H_
#define ALIGN_SERVICE_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace align::service {

// The same code (absl and gRPC number their codes alike) and the same message, so a client can
// show the message as is. A code gRPC does not know becomes UNKNOWN.
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace align::service

#endif  // ALIGN_SERVICE_STATUS_H_
