#include "inference/util/wire_writer.h"

namespace align::inference {

void WireWriter::End(size_t mark) {
  const size_t start = mark + kReserved;
  const uint64_t length = out_.size() - start;
  char varint[10];
  size_t size = 0;
  for (uint64_t rest = length;; rest >>= 7) {
    varint[size++] = static_cast<char>(rest >= 0x80 ? (rest & 0x7f) | 0x80 : rest);
    if (rest < 0x80) break;
  }
  // Shift the content when the length needs fewer or more bytes than were set aside.
  if (size < kReserved) {
    out_.erase(mark + size, kReserved - size);
  } else if (size > kReserved) {
    out_.insert(start, size - kReserved, '\0');
  }
  std::memcpy(&out_[mark], varint, size);
}

}  // namespace align::inference
