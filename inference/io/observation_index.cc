#include "inference/io/observation_index.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "inference/util/absl_view.h"

namespace align::inference {

ObservationIndex::ObservationIndex(const ObservationSchema& schema) {
  size_t total = 0;
  for (const auto& [id, unused] : schema) total += id.size();
  ids_ = std::make_unique<char[]>(total + 1);
  entries_.reserve(schema.size());
  char* next = ids_.get();
  for (const auto& [id, declared] : schema) {
    std::memcpy(next, id.data(), id.size());
    constexpr double kNoBound = std::numeric_limits<double>::infinity();
    entries_.emplace(absl::string_view(next, id.size()),
                     Entry{declared.type, declared.node, declared.min.value_or(-kNoBound),
                           declared.max.value_or(kNoBound)});
    next += id.size();
  }
}

int ObservationIndex::NodeIfFits(std::string_view id,
                                 const proto::Observation& observation) const {
  auto it = entries_.find(AbslView(id));
  if (it == entries_.end()) return -1;
  const Entry& entry = it->second;
  switch (observation.value_case()) {
    case proto::Observation::kNumber: {
      const double number = observation.number();
      const bool fits = entry.type == IndicatorSchema::Type::kNumber && std::isfinite(number) &&
                        number >= entry.min && number <= entry.max;
      return fits ? entry.node : -1;
    }
    case proto::Observation::kFlag:
      return entry.type == IndicatorSchema::Type::kBool ? entry.node : -1;
    case proto::Observation::kChoice:
    case proto::Observation::VALUE_NOT_SET:
      break;
  }
  return -1;
}

}  // namespace align::inference
