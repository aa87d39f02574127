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
//
// Begin/End also frame a string field whose text is appended to buffer() in place.
#ifndef ALIGN_INFERENCE_UTIL_WIRE_WRITER_H_
#define ALIGN_INFERENCE_UTIL_WIRE_WRITER_H_

#include <cstdint>
#include <cstring>
#include <string>

#include "absl/strings/string_view.h"

namespace align::inference {

class WireWriter {
 public:
  // Appends to `out`, which must outlive the writer.
  explicit WireWriter(std::string* out) : out_(*out) {}

  // proto3 scalars: nothing is written for "", 0, false or +0.0, as the serialiser does.
  void String(int field, absl::string_view value) {
    if (!value.empty()) Bytes(field, value);
  }
  // A repeated string element: written even when empty.
  void Bytes(int field, absl::string_view value) {
    Tag(field, kLengthDelimited);
    Varint(value.size());
    out_.append(value.data(), value.size());
  }
  void Double(int field, double value) {
    uint64_t bits;
    std::memcpy(&bits, &value, sizeof bits);
    if (bits == 0) return;  // -0.0 is written, like the serialiser does
    Tag(field, kFixed64);
    char little_endian[8];
    for (int i = 0; i < 8; ++i) little_endian[i] = static_cast<char>(bits >> (8 * i));
    out_.append(little_endian, 8);
  }
  // int32, int64 and enum fields; a negative value takes ten bytes, sign-extended.
  void Int(int field, int64_t value) {
    if (value == 0) return;
    Tag(field, kVarint);
    Varint(static_cast<uint64_t>(value));
  }
  void Bool(int field, bool value) {
    if (!value) return;
    Tag(field, kVarint);
    out_.push_back(1);
  }

  // Opens a length-delimited field (a message, or a string appended in place); returns the mark
  // to close it with.
  size_t Begin(int field) {
    Tag(field, kLengthDelimited);
    const size_t mark = out_.size();
    out_.append(kReserved, '\0');
    return mark;
  }
  // Closes the field opened at `mark`: writes its length, shortest form.
  void End(size_t mark);

  std::string& buffer() { return out_; }

 private:
  enum WireType { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2 };
  // Bytes set aside for a length at Begin: two hold up to 16383, which most parts fit.
  static constexpr size_t kReserved = 2;

  void Tag(int field, WireType type) { Varint((static_cast<uint64_t>(field) << 3) | type); }
  void Varint(uint64_t value) {
    while (value >= 0x80) {
      out_.push_back(static_cast<char>(value | 0x80));
      value >>= 7;
    }
    out_.push_back(static_cast<char>(value));
  }

  std::string& out_;
};

}  // namespace align::inference

#endif  // ALIGN_INFERENCE_UTIL_WIRE_WRITER_H_
