#include "inference/util/wire_writer.h"

#include <algorithm>
#include <exception>
#include <utility>

namespace align::inference {
namespace {

// A buffer larger than this after an answer is given back to the allocator, not kept.
constexpr size_t kMaxKeptBuffer = size_t{1} << 20;

struct ThreadScratch {
  std::string buffer;
  bool lent = false;  // a writer on this thread has it (a second one gets a fresh buffer)
};
thread_local ThreadScratch scratch;

}  // namespace

WireWriter::WireWriter(std::string* out)
    : out_(*out), borrowed_(!scratch.lent), exceptions_at_start_(std::uncaught_exceptions()) {
  if (borrowed_) {
    buffer_ = std::move(scratch.buffer);
    scratch.lent = true;
  }
}

WireWriter::~WireWriter() {
  if (std::uncaught_exceptions() == exceptions_at_start_) Finish();
  if (borrowed_) {
    if (buffer_.size() <= kMaxKeptBuffer) scratch.buffer = std::move(buffer_);
    scratch.lent = false;
  }
}

void WireWriter::Finish() {
  if (finished_) return;
  finished_ = true;
  out_.append(buffer_.data(), used_);
}

void WireWriter::Grow(size_t bytes) {
  // Only growth pays for zeroing the new room; a kept buffer is reused as it is.
  buffer_.resize(std::max({used_ + bytes, 2 * buffer_.size(), size_t{4096}}));
}

void WireWriter::Message(int field, const google::protobuf::MessageLite& message) {
  const size_t size = message.ByteSizeLong();
  char* at = Room(2 * kMaxVarint + size);
  at = Varint(at, Tag(field, kLengthDelimited));
  at = Varint(at, size);
  message.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(at));
  used_ = at + size - buffer_.data();
}

void WireWriter::End(size_t mark) {
  const size_t start = mark + kReserved;
  const uint64_t length = used_ - start;
  char varint[kMaxVarint];
  const size_t size = Varint(varint, length) - varint;
  // Shift the content when the length needs fewer or more bytes than were set aside.
  if (size != kReserved) {
    Room(size);  // may move the buffer: take pointers after
    char* base = buffer_.data();
    std::memmove(base + mark + size, base + start, length);
    used_ = mark + size + length;
  }
  std::memcpy(buffer_.data() + mark, varint, size);
}

}  // namespace align::inference
