// Reads assessments from YAML or JSON and checks them, reporting every problem with its position.
#ifndef ALIGN_INFERENCE_IO_ASSESSMENT_READER_H_
#define ALIGN_INFERENCE_IO_ASSESSMENT_READER_H_

#include <cmath>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "inference/util/proto_alias.h"

namespace align::inference {

// Schema of one declared indicator, as the rule base declares it; used to check observations.
struct IndicatorSchema {
  enum class Type { kNumber, kBool, kChoice };
  Type type = Type::kNumber;
  std::optional<double> min, max;    // numbers: declared range, inclusive
  std::vector<std::string> choices;  // choice: allowed values; empty allows any
  std::string unit;                  // numbers: appended to the range in messages, e.g. "%"
  int node = -1;                     // the indicator's node in its rule base
};
// Whether a number observed for an indicator declared with these inclusive bounds (-inf and
// +inf where none is declared) fits them. Shared by the schema's check and ObservationIndex.
inline bool NumberFits(double number, double min, double max) {
  return std::isfinite(number) && number >= min && number <= max;
}

// Declared indicators by id. Built-in (derived) indicators are not in it: observing one is an
// error too.
using ObservationSchema = absl::flat_hash_map<std::string, IndicatorSchema>;

// Parses an assessment from YAML or JSON text (JSON is read as YAML flow style). Fields may use
// proto names or lowerCamelCase JSON names. `origin` names the source in errors (a file path).
// When `schema` is given, every observation is also checked against it.
// Errors: InvalidArgument listing every problem found (at most 50, then "… and N more"), sorted
// by position, one per line:
//   "<origin>:<line>:<col>: <field path>: <what was expected>, got <what was found>"
// e.g. "a.yaml:9:20: service_areas[2].capability.utilisation: expected a number in [0, 100],
// got \"high\"". Malformed text gives "<origin>:<line>:<col>: <parser message>"; an empty
// document "<origin>: empty assessment". Internal only if something unforeseen is thrown.
absl::StatusOr<proto::Assessment> ParseAssessment(std::string_view text, std::string_view origin,
                                                  const ObservationSchema* schema = nullptr);

// Reads a .yaml, .yml or .json file and parses it as ParseAssessment, with the path as origin.
// NotFound if it does not exist; FailedPrecondition if it is not a regular file;
// InvalidArgument for another extension or a file over 64 MiB; PermissionDenied or another
// errno-derived code if it cannot be read.
absl::StatusOr<proto::Assessment> ReadAssessmentFile(const std::filesystem::path& path,
                                                     const ObservationSchema* schema = nullptr);

// Checks an assessment that did not come from text (e.g. over the wire) with the same checks as
// the parser, reporting field paths without positions, e.g.
//   "observations[\"capacity.utilisaton\"]: undeclared indicator; did you mean
//   'capacity.utilisation'?"
// Proto defaults mean "not given": a level of LEVEL_UNSPECIFIED, an empty date and a confidence
// of 0 pass. Errors: InvalidArgument listing every problem (capped as above), in field order,
// observations sorted by id.
absl::Status ValidateAssessment(const proto::Assessment& assessment,
                                const ObservationSchema& schema);

// An observation of a declared indicator, with the indicator's node.
struct ResolvedObservation {
  int node;
  const proto::Observation* observation;
};
class ObservationIndex;
// The same checks and messages, each id looked up in `index` (built from `schema`) first and
// in `schema` only when the index cannot settle it (an empty index settles nothing): what the
// engine calls per diagnosis. When they pass, `resolved` (cleared first; may be null) lists
// every observation with its node, so that loading the facts needs no second lookup by id.
absl::Status ValidateAssessment(const proto::Assessment& assessment,
                                const ObservationSchema& schema, const ObservationIndex& index,
                                std::vector<ResolvedObservation>* resolved);

}  // namespace align::inference

#endif  // ALIGN_INFERENCE_IO_ASSESSMENT_READER_H_
