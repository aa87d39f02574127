// Runs a unary RPC's work on a worker pool (all cores, and gRPC's own threads never block on
// the engine), holds the call to a deadline cap, finishes it CANCELLED when the client gives up,
// and writes its request log line. The service methods only say what the work is.
//
//   return runner_.Run(context, "GetRuleBase", rules->label, response,
//                      [rules](proto::RuleBaseInfo& out, CallNotes&) -> absl::Status { … });
#ifndef ALIGN_SERVICE_UNARY_CALL_H_
#define ALIGN_SERVICE_UNARY_CALL_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "service/logging.h"
#include "service/worker_pool.h"

namespace align::service {

// What a call's log line says beyond method, status and timing; the work may fill in more.
struct CallNotes {
  std::string rule_base;    // "id@version" the call used
  std::string decision_id;  // Diagnose only
  // Runs once it is certain the answer will be sent (after the deadline check), before it is
  // sent. Diagnose writes its decision log line here.
  std::function<void()> on_commit;
};

namespace internal {

// Hands the work's result to gRPC's response: a ByteBuffer by swapping (a copy would take a
// new reference to every slice), a message by moving.
inline void MoveResponse(grpc::ByteBuffer& from, grpc::ByteBuffer* to) { to->Swap(&from); }
template <typename Message>
void MoveResponse(Message& from, Message* to) {
  *to = std::move(from);
}

// One call's state, shared by its reactor, its worker task and its deadline alarm; whichever
// finishes the call first wins, and the others leave it alone.
class UnaryCall {
 public:
  UnaryCall(grpc::CallbackServerContext* context, std::string method, CallNotes notes,
            absl::Duration max_deadline, LogSink log);

  // The deadline passed / gRPC cancelled the call: finish so, unless someone already has.
  void Expire();
  void Cancel();

  // For the worker: false (and the call finished) when it is no use starting the work.
  bool ShouldStart();
  // True exactly once: the caller may then write the response and must call Finish.
  bool Claim() { return !finished_.exchange(true); }
  // After a successful Claim: sends `status`, logs the call.
  void Finish(absl::Status status, const CallNotes& notes);
  // Claim, and Finish with `status` if that succeeded.
  void TryFinish(absl::Status status);

  bool PastDeadline() const { return std::chrono::system_clock::now() >= deadline_; }
  absl::Status DeadlineStatus() const;

  grpc::ServerUnaryReactor* reactor() const { return reactor_; }
  void set_reactor(grpc::ServerUnaryReactor* reactor) { reactor_ = reactor; }
  std::chrono::system_clock::time_point deadline() const { return deadline_; }
  const CallNotes& notes() const { return notes_; }

 private:
  std::atomic<bool> finished_{false};
  grpc::ServerUnaryReactor* reactor_;  // valid until Finish
  const std::string method_;
  const CallNotes notes_;
  const std::string peer_;
  const absl::Time start_;
  std::chrono::system_clock::time_point deadline_;
  bool capped_;  // the server's cap, not the client's deadline, set `deadline_`
  const absl::Duration max_deadline_;
  const LogSink log_;
};

}  // namespace internal

class CallRunner {
 public:
  // `threads` workers; calls are held to `max_deadline`; log lines go to `log`.
  CallRunner(int threads, absl::Duration max_deadline, LogSink log);

  // Starts `work` on a worker and returns the reactor for the handler to return. `work` fills
  // its response and may add notes; its status becomes the call's. It must own everything it
  // reads: the call's request is gone once the call ends early.
  // `rule_base` ("id@version") is what the log line names unless the work changes it.
  template <typename Response>
  grpc::ServerUnaryReactor* Run(grpc::CallbackServerContext* context, std::string method,
                                std::string rule_base, Response* response,
                                std::function<absl::Status(Response&, CallNotes&)> work) {
    CallNotes notes;
    notes.rule_base = std::move(rule_base);
    std::shared_ptr<internal::UnaryCall> call = Start(context, std::move(method), std::move(notes));
    if (!call->ShouldStart()) return call->reactor();
    grpc::ServerUnaryReactor* reactor = call->reactor();
    pool_.Submit([call = std::move(call), response, work = std::move(work)] {
      if (!call->ShouldStart()) return;
      Response result;
      CallNotes notes = call->notes();
      absl::Status status = work(result, notes);
      if (call->PastDeadline()) status = call->DeadlineStatus();
      if (!call->Claim()) return;  // cancelled or expired meanwhile: `response` may be gone
      if (status.ok()) {
        if (notes.on_commit) notes.on_commit();
        internal::MoveResponse(result, response);
      }
      call->Finish(std::move(status), notes);
    });
    return reactor;
  }

  absl::Duration max_deadline() const { return max_deadline_; }
  int threads() const { return pool_.size(); }

 private:
  std::shared_ptr<internal::UnaryCall> Start(grpc::CallbackServerContext* context,
                                             std::string method, CallNotes notes);

  const absl::Duration max_deadline_;
  const LogSink log_;
  WorkerPool pool_;  // last: joined first, while the rest is still there
};

}  // namespace align::service

#endif  // ALIGN_SERVICE_UNARY_CALL_H_
