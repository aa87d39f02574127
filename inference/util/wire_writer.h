// Writes protobuf wire format straight into a string, for answers too large and too frequent to
// build as messages first (a diagnosis with its HOW trees: hundreds of strings, each its own
// allocation as a message field). The bytes are what the generated code's serialiser writes for
// the same values, field for field: proto3 fields at their default are left out, a message field
// that is written is present even when empty.
//
//   WireWriter w(&bytes);
//   const size_t rule_base = w.Begin(1);   // Diagnosis.rule_base
//   w.String(1, rules.id());               //   RuleBaseRef.id
//   w.End(rule_base);
//   w.Finish();                            // or let the writer go out of scope
//
// A writer is for one answer on one thread.
#ifndef ALIGN_INFERENCE_UTIL_WIRE_WRITER_H_
#define ALIGN_INFERENCE_UTIL_WIRE_WRITER_H_

#include <cstdint>
#include <cstring>
#include <string>

#include <google/protobuf/message_lite.h>

#include "absl/strings/string_view.h"

namespace align::inference {

class WireWriter {
 public:
  // Appends to `out` at Finish (or in the destructor, unless an exception is unwinding: a
  // message cut short is left out). The bytes are written into a buffer the thread keeps from
  // one answer to the next (up to 1 MiB of it per thread), so that a large answer does not pay
  // for growing and clearing a fresh string each time; `out` gets one copy of them.
  explicit WireWriter(std::string* out);
  ~WireWriter();
  WireWriter(const WireWriter&) = delete;
  WireWriter& operator=(const WireWriter&) = delete;

  // proto3 scalars: nothing is written for "", 0, false or +0.0, as the serialiser does.
  void String(int field, absl::string_view value) {
    if (!value.empty()) Bytes(field, value);
  }
  // A repeated string element: written even when empty.
  void Bytes(int field, absl::string_view value) {
    char* at = Room(2 * kMaxVarint + value.size());
    at = Varint(at, Tag(field, kLengthDelimited));
    at = Varint(at, value.size());
    std::memcpy(at, value.data(), value.size());
    used_ = at + value.size() - buffer_.data();
  }
  void Double(int field, double value) {
    uint64_t bits;
    std::memcpy(&bits, &value, sizeof bits);
    if (bits == 0) return;  // -0.0 is written, as the serialiser does
    char* at = Varint(Room(kMaxVarint + 8), Tag(field, kFixed64));
    for (int i = 0; i < 8; ++i) *at++ = static_cast<char>(bits >> (8 * i));  // little-endian
    used_ = at - buffer_.data();
  }
  // int32, int64 and enum fields; a negative value takes ten bytes, sign-extended.
  void Int(int field, int64_t value) {
    if (value == 0) return;
    char* at = Varint(Room(2 * kMaxVarint), Tag(field, kVarint));
    used_ = Varint(at, static_cast<uint64_t>(value)) - buffer_.data();
  }
  void Bool(int field, bool value) {
    if (value) Int(field, 1);
  }
  // A message field from a message object, for the small parts not worth writing by hand.
  void Message(int field, const google::protobuf::MessageLite& message);

  // Opens a message field; returns the mark to close it with.
  size_t Begin(int field) {
    char* at = Varint(Room(kMaxVarint + kReserved), Tag(field, kLengthDelimited));
    used_ = at - buffer_.data() + kReserved;
    return used_ - kReserved;
  }
  // Closes the field opened at `mark`: writes its length, shortest form.
  void End(size_t mark);

  // Appends what was written to `out`. Nothing may be written after.
  void Finish();

 private:
  enum WireType { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2 };
  static constexpr size_t kMaxVarint = 10;
  // Bytes set aside for a length at Begin: two hold up to 16383, which most parts fit.
  static constexpr size_t kReserved = 2;

  static uint64_t Tag(int field, WireType type) {
    return (static_cast<uint64_t>(field) << 3) | type;
  }
  static char* Varint(char* at, uint64_t value) {
    while (value >= 0x80) {
      *at++ = static_cast<char>(value | 0x80);
      value >>= 7;
    }
    *at++ = static_cast<char>(value);
    return at;
  }
  // Where the next `bytes` bytes go; the buffer grows geometrically, never per field.
  char* Room(size_t bytes) {
    if (used_ + bytes > buffer_.size()) Grow(bytes);
    return buffer_.data() + used_;
  }
  void Grow(size_t bytes);

  std::string& out_;
  std::string buffer_;  // the thread's scratch buffer while this writer has it
  bool borrowed_;       // whether buffer_ goes back to the thread
  size_t used_ = 0;     // bytes of `buffer_` written; the rest is spare room
  bool finished_ = false;
  const int exceptions_at_start_;  // std::uncaught_exceptions() when the writer was made
};

}  // namespace align::inference

#endif  // ALIGN_INFERENCE_UTIL_WIRE_WRITER_H_
