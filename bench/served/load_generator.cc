#include "bench/served/load_generator.h"

#include <grpcpp/generic/generic_stub.h>

#include <algorithm>
#include <chrono>
#include <cmath>

namespace align::bench {
namespace {

using Clock = std::chrono::steady_clock;

// One of the N calls in flight; its address is the completion queue tag.
struct CallSlot {
  grpc::GenericStub* stub = nullptr;
  std::unique_ptr<grpc::ClientContext> context;                    // a context serves one call only
  std::unique_ptr<grpc::GenericClientAsyncResponseReader> reader;  // goes before `context`
  grpc::ByteBuffer response;
  grpc::Status status;
  Clock::time_point start;
};

}  // namespace

double Quantile(std::vector<double>& values, double quantile) {
  if (values.empty()) return 0;
  const double rank = std::ceil(quantile * static_cast<double>(values.size()));
  const size_t index = std::min(values.size() - 1, static_cast<size_t>(std::max(rank, 1.0)) - 1);
  std::nth_element(values.begin(), values.begin() + static_cast<ptrdiff_t>(index), values.end());
  return values[index];
}

grpc::Status CallOnce(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                      const std::string& request, std::string* response, absl::Duration timeout) {
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue queue;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + absl::ToChronoNanoseconds(timeout));
  grpc::Slice request_slice(request);
  const grpc::ByteBuffer request_buffer(&request_slice, 1);
  grpc::ByteBuffer answer;
  grpc::Status status;
  auto reader = stub.PrepareUnaryCall(&context, method, request_buffer, &queue);
  reader->StartCall();
  reader->Finish(&answer, &status, &answer);
  void* tag = nullptr;
  bool ok = false;
  // The deadline bounds the call, so its completion always comes.
  queue.Next(&tag, &ok);
  queue.Shutdown();
  while (queue.Next(&tag, &ok)) {
  }
  if (!status.ok()) return status;
  std::vector<grpc::Slice> slices;
  if (!answer.Dump(&slices).ok()) {
    return grpc::Status(grpc::StatusCode::INTERNAL, "cannot read the response bytes");
  }
  response->clear();
  for (const grpc::Slice& slice : slices) {
    response->append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return status;
}

LoadResult RunLoad(const std::vector<std::shared_ptr<grpc::Channel>>& channels,
                   const Workload& workload, const LoadSettings& settings) {
  std::vector<std::unique_ptr<grpc::GenericStub>> stubs;
  for (const auto& channel : channels)
    stubs.push_back(std::make_unique<grpc::GenericStub>(channel));
  grpc::CompletionQueue queue;
  // The slices are shared by reference, so one buffer serves every call.
  grpc::Slice request_slice(workload.request);
  const grpc::ByteBuffer request(&request_slice, 1);
  const auto call_timeout = absl::ToChronoNanoseconds(settings.call_timeout);

  auto start_call = [&](CallSlot& slot) {
    // The reader lives in the finished call's arena, which its context holds: reader first.
    slot.reader.reset();
    slot.context = std::make_unique<grpc::ClientContext>();
    slot.status = grpc::Status();
    slot.start = Clock::now();
    slot.context->set_deadline(std::chrono::system_clock::now() + call_timeout);
    slot.reader = slot.stub->PrepareUnaryCall(slot.context.get(), workload.method, request, &queue);
    slot.reader->StartCall();
    slot.reader->Finish(&slot.response, &slot.status, &slot);
  };

  const Clock::time_point begin = Clock::now();
  const Clock::time_point window_start = begin + absl::ToChronoNanoseconds(settings.warmup);
  const Clock::time_point window_end = window_start + absl::ToChronoNanoseconds(settings.duration);

  LoadResult result;
  std::vector<double> latencies_us;
  latencies_us.reserve(1 << 16);
  std::vector<CallSlot> slots(static_cast<size_t>(settings.concurrency));
  for (size_t i = 0; i < slots.size(); ++i) {
    slots[i].stub = stubs[i % stubs.size()].get();
    start_call(slots[i]);
  }
  size_t in_flight = slots.size();
  while (in_flight > 0) {
    void* tag = nullptr;
    bool ok = false;
    if (!queue.Next(&tag, &ok)) break;  // only after Shutdown, which comes later
    const Clock::time_point now = Clock::now();
    --in_flight;
    ++result.finished;
    CallSlot& slot = *static_cast<CallSlot*>(tag);
    if (!ok && slot.status.ok()) {
      slot.status = grpc::Status(grpc::StatusCode::INTERNAL, "the completion queue said !ok");
    }
    if (!slot.status.ok()) {
      if (result.errors++ == 0) result.first_error = slot.status;
    } else {
      result.response_bytes = static_cast<int64_t>(slot.response.Length());
      if (now >= window_start && now < window_end) {
        latencies_us.push_back(std::chrono::duration<double, std::micro>(now - slot.start).count());
      }
    }
    if (now < window_end) {
      start_call(slot);
      ++in_flight;
    }
  }
  queue.Shutdown();
  void* tag = nullptr;
  bool ok = false;
  while (queue.Next(&tag, &ok)) {
  }

  result.calls = static_cast<int64_t>(latencies_us.size());
  result.qps = static_cast<double>(result.calls) / absl::ToDoubleSeconds(settings.duration);
  result.p50_us = Quantile(latencies_us, 0.50);
  result.p99_us = Quantile(latencies_us, 0.99);
  result.p999_us = Quantile(latencies_us, 0.999);
  return result;
}

}  // namespace align::bench
