#include "service/unary_call.h"

#include <algorithm>

#include <grpcpp/alarm.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "service/status.h"

namespace align::service {
namespace internal {
namespace {

// Deletes itself when gRPC is done with the call. Owns the deadline alarm, so that destroying
// it cancels the alarm; the alarm's callback holds only the shared call state.
class Reactor final : public grpc::ServerUnaryReactor {
 public:
  void Bind(std::shared_ptr<UnaryCall> call) { call_ = std::move(call); }
  void OnCancel() override { call_->Cancel(); }
  void OnDone() override { delete this; }

  grpc::Alarm alarm;

 private:
  std::shared_ptr<UnaryCall> call_;
};

}  // namespace

UnaryCall::UnaryCall(grpc::CallbackServerContext* context, std::string method, CallNotes notes,
                     absl::Duration max_deadline, LogSink log)
    : reactor_(nullptr),
      method_(std::move(method)),
      notes_(std::move(notes)),
      peer_(context->peer()),
      start_(absl::Now()),
      max_deadline_(max_deadline),
      log_(std::move(log)) {
  const auto cap = std::chrono::system_clock::now() + absl::ToChronoMilliseconds(max_deadline);
  const auto asked = context->deadline();  // time_point::max() when the client set none
  capped_ = cap < asked;
  deadline_ = std::min(cap, asked);
}

absl::Status UnaryCall::DeadlineStatus() const {
  if (capped_) {
    return absl::DeadlineExceededError(
        absl::StrCat("deadline exceeded: alignd ends every call after ",
                     absl::ToInt64Milliseconds(max_deadline_), " ms (--max-deadline-ms)"));
  }
  return absl::DeadlineExceededError("deadline exceeded: the call ran past the client's deadline");
}

void UnaryCall::Expire() { TryFinish(DeadlineStatus()); }

void UnaryCall::Cancel() {
  // gRPC cancels a call whose client deadline passed; report that as what it is. Its timer runs
  // on another clock and may fire a little before `deadline_` by the system clock.
  constexpr auto kClockSlack = std::chrono::milliseconds(50);
  const bool expired = std::chrono::system_clock::now() + kClockSlack >= deadline_;
  TryFinish(expired ? DeadlineStatus()
                    : absl::CancelledError("the call was cancelled before it finished"));
}

bool UnaryCall::ShouldStart() {
  if (finished_.load()) return false;
  if (PastDeadline()) {
    Expire();
    return false;
  }
  return true;
}

void UnaryCall::TryFinish(absl::Status status) {
  if (Claim()) Finish(std::move(status), notes_);
}

void UnaryCall::Finish(absl::Status status, const CallNotes& notes) {
  RequestLogEntry entry;
  entry.time = absl::Now();
  entry.method = method_;
  entry.code = status.code();
  entry.latency_us = absl::ToInt64Microseconds(entry.time - start_);
  entry.rule_base = notes.rule_base;
  entry.decision_id = status.ok() ? notes.decision_id : "";
  entry.peer = peer_;
  reactor_->Finish(ToGrpcStatus(status));
  // Past Finish gRPC may free the reactor, the request and the response at any moment.
  log_(FormatRequestLog(entry));
}

}  // namespace internal

CallRunner::CallRunner(int threads, absl::Duration max_deadline, LogSink log)
    : max_deadline_(max_deadline), log_(std::move(log)), pool_(threads) {}

std::shared_ptr<internal::UnaryCall> CallRunner::Start(grpc::CallbackServerContext* context,
                                                       std::string method, CallNotes notes) {
  auto call = std::make_shared<internal::UnaryCall>(context, std::move(method), std::move(notes),
                                                    max_deadline_, log_);
  auto* reactor = new internal::Reactor();
  reactor->Bind(call);
  call->set_reactor(reactor);
  if (context->IsCancelled()) {
    call->Cancel();
    return call;
  }
  reactor->alarm.Set(call->deadline(), [call](bool fired) {
    if (fired) call->Expire();
  });
  return call;
}

}  // namespace align::service
