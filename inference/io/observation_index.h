// The declared indicators laid out for the lookup every diagnosis makes once per observation.
//
//   ObservationIndex index(schema);
//   int node = index.NodeIfFits(id, observation);  // -1: ask the schema (a miss, a bad value)
#ifndef ALIGN_INFERENCE_IO_OBSERVATION_INDEX_H_
#define ALIGN_INFERENCE_IO_OBSERVATION_INDEX_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "inference/io/assessment_reader.h"
#include "inference/util/proto_alias.h"

namespace align::inference {

// What ValidateAssessment needs of a declared indicator in the usual case, a number or a flag
// of the declared type and within bounds: the ids back to back in one block of text, and an
// open-addressed table of 32-byte slots, at least twice as many as ids, aligned so that no slot
// straddles two cache lines. The schema's own map keeps 136-byte slots with the messages'
// texts, which on a large rule base cost a diagnosis three or four cache misses per
// observation.
//
// The table is this class's own rather than an absl::flat_hash_map: ids are short, and a lookup
// that hashes a few words, compares a stored hash and then the bytes in place takes a third of
// the instructions of the general map's (hash state, group match, a memcmp call), once per
// observation of every diagnosis.
class ObservationIndex {
 public:
  ObservationIndex() = default;
  explicit ObservationIndex(const ObservationSchema& schema);

  // The indicator's node when `id` is declared and `observation` is a number or a flag that
  // fits its declaration; -1 otherwise, including for every choice (the schema decides those,
  // and words what is wrong).
  int NodeIfFits(std::string_view id, const proto::Observation& observation) const;

  // The hash the table files `id` under, and the byte comparison that settles a matching hash
  // (exposed for tests: ids that collide, and a comparison no real collision would reach).
  static uint64_t Hash(std::string_view id);
  static bool SameBytes(const char* a, const char* b, size_t size);

 private:
  struct alignas(32) Slot {
    uint32_t hash_tag = 0;   // the hash's high half; its low bits chose the slot
    uint32_t id_offset = 0;  // into ids_
    uint16_t id_size = 0;    // 0: an empty slot (a declared id is never empty)
    uint8_t type = 0;        // an IndicatorSchema::Type
    int32_t node = -1;
    double min = 0, max = 0;  // -inf and +inf where the declaration sets no bound
  };
  static_assert(sizeof(Slot) == 32);
  std::string ids_;
  std::vector<Slot> slots_;  // a power of two, at most half full; empty when nothing is declared
};

}  // namespace align::inference

#endif  // ALIGN_INFERENCE_IO_OBSERVATION_INDEX_H_
