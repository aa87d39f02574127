#include "inference/io/observation_index.h"

#include <bit>
#include <cstring>
#include <limits>

namespace align::inference {
namespace {

// Spreads every bit of `x` over all of the result (splitmix64's finaliser).
uint64_t Mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9;
  x ^= x >> 27;
  x *= 0x94d049bb133111eb;
  return x ^ (x >> 31);
}

uint64_t Load64(const char* at) {
  uint64_t word;
  std::memcpy(&word, at, sizeof word);
  return word;
}

uint32_t Load32(const char* at) {
  uint32_t word;
  std::memcpy(&word, at, sizeof word);
  return word;
}

// An empty id is never found, nor one too long for a slot's size field: the schema decides
// those, and words what is wrong.
bool Indexable(std::string_view id) {
  return !id.empty() && id.size() <= std::numeric_limits<uint16_t>::max();
}

}  // namespace

// Whether `size` bytes at `a` and `b` are the same, with loads that overlap instead of a call:
// ids are a few words long.
bool ObservationIndex::SameBytes(const char* a, const char* b, size_t size) {
  if (size >= 8) {
    for (size_t i = 0; i + 8 < size; i += 8) {
      if (Load64(a + i) != Load64(b + i)) return false;
    }
    return Load64(a + size - 8) == Load64(b + size - 8);
  }
  if (size >= 4) {
    return Load32(a) == Load32(b) && Load32(a + size - 4) == Load32(b + size - 4);
  }
  for (size_t i = 0; i < size; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

uint64_t ObservationIndex::Hash(std::string_view id) {
  const char* at = id.data();
  size_t left = id.size();
  uint64_t hash = 0x9e3779b97f4a7c15 ^ left;  // the size first: "ab" and "ab\0" differ
  for (; left > 8; left -= 8, at += 8) hash = Mix(hash ^ Load64(at));
  // The last one to eight bytes as one word, every byte in it at least once: for a given size,
  // different tails give different words.
  uint64_t tail = 0;
  if (left >= 4) {
    tail = (uint64_t{Load32(at)} << 32) | Load32(at + left - 4);
  } else if (left > 0) {
    tail = (uint64_t{static_cast<uint8_t>(at[0])} << 16) |
           (uint64_t{static_cast<uint8_t>(at[left / 2])} << 8) |
           static_cast<uint8_t>(at[left - 1]);
  }
  return Mix(hash ^ tail);
}

ObservationIndex::ObservationIndex(const ObservationSchema& schema) {
  size_t declared = 0;
  for (const auto& [id, unused] : schema) {
    if (Indexable(id)) {
      ids_ += id;
      ++declared;
    }
  }
  if (declared == 0) return;
  slots_.resize(std::bit_ceil(2 * declared));
  const size_t mask = slots_.size() - 1;
  constexpr double kNoBound = std::numeric_limits<double>::infinity();
  uint32_t offset = 0;
  for (const auto& [id, indicator] : schema) {
    if (!Indexable(id)) continue;
    const uint64_t hash = Hash(id);
    size_t at = hash & mask;
    while (slots_[at].id_size != 0) at = (at + 1) & mask;
    slots_[at] = Slot{static_cast<uint32_t>(hash >> 32),
                      offset,
                      static_cast<uint16_t>(id.size()),
                      static_cast<uint8_t>(indicator.type),
                      indicator.node,
                      indicator.min.value_or(-kNoBound),
                      indicator.max.value_or(kNoBound)};
    offset += static_cast<uint32_t>(id.size());
  }
}

int ObservationIndex::NodeIfFits(std::string_view id,
                                 const proto::Observation& observation) const {
  if (slots_.empty() || !Indexable(id)) return -1;
  const uint64_t hash = Hash(id);
  const uint32_t hash_tag = static_cast<uint32_t>(hash >> 32);
  const size_t mask = slots_.size() - 1;
  size_t at = hash & mask;
  const Slot* slot;
  while (true) {
    slot = &slots_[at];
    if (slot->id_size == 0) return -1;  // an empty slot ends the probe: not declared
    if (slot->hash_tag == hash_tag && slot->id_size == id.size() &&
        SameBytes(ids_.data() + slot->id_offset, id.data(), id.size())) {
      break;
    }
    at = (at + 1) & mask;
  }
  switch (observation.value_case()) {
    case proto::Observation::kNumber: {
      const double number = observation.number();
      const bool fits = slot->type == static_cast<uint8_t>(IndicatorSchema::Type::kNumber) &&
                        NumberFits(number, slot->min, slot->max);
      return fits ? slot->node : -1;
    }
    case proto::Observation::kFlag:
      return slot->type == static_cast<uint8_t>(IndicatorSchema::Type::kBool) ? slot->node : -1;
    case proto::Observation::kChoice:
    case proto::Observation::VALUE_NOT_SET:
      break;
  }
  return -1;
}

}  // namespace align::inference
