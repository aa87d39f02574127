// The declared indicators laid out for the lookup every diagnosis makes once per observation.
//
//   ObservationIndex index(schema);
//   int node = index.NodeIfFits(id, observation);  // -1: ask the schema (a miss, a bad value)
#ifndef ALIGN_INFERENCE_IO_OBSERVATION_INDEX_H_
#define ALIGN_INFERENCE_IO_OBSERVATION_INDEX_H_

#include <cstdint>
#include <memory>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "inference/io/assessment_reader.h"
#include "inference/util/proto_alias.h"

namespace align::inference {

// What ValidateAssessment needs of a declared indicator in the usual case, a number or a flag
// of the declared type and within bounds: the ids back to back in one block of text, and a
// 40-byte slot per id. The schema's own map keeps 136-byte slots with the messages' texts, which
// on a large rule base cost a diagnosis three or four cache misses per observation.
class ObservationIndex {
 public:
  ObservationIndex() = default;
  explicit ObservationIndex(const ObservationSchema& schema);
  // The map's keys view `ids_`: a copy would view the original's.
  ObservationIndex(const ObservationIndex&) = delete;
  ObservationIndex& operator=(const ObservationIndex&) = delete;
  ObservationIndex(ObservationIndex&&) = default;
  ObservationIndex& operator=(ObservationIndex&&) = default;

  // The indicator's node when `id` is declared and `observation` is a number or a flag that
  // fits its declaration; -1 otherwise, including for every choice (the schema decides those,
  // and words what is wrong).
  int NodeIfFits(std::string_view id, const proto::Observation& observation) const;

 private:
  struct Entry {
    IndicatorSchema::Type type;
    int32_t node;
    double min, max;  // -inf and +inf where the declaration sets no bound
  };
  std::unique_ptr<char[]> ids_;  // not a std::string: a move must not relocate short ones
  absl::flat_hash_map<absl::string_view, Entry> entries_;
};

}  // namespace align::inference

#endif  // ALIGN_INFERENCE_IO_OBSERVATION_INDEX_H_
