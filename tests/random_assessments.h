// Seeded random assessments over a rule base's declared indicators, for tests that compare two
// ways of computing the same answer. The same seed gives the same assessments everywhere: the
// numbers come from mt19937_64 directly, not through a library distribution.
#ifndef ALIGN_TESTS_RANDOM_ASSESSMENTS_H_
#define ALIGN_TESTS_RANDOM_ASSESSMENTS_H_

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "inference/rulebase/rule_base.h"
#include "inference/util/proto_alias.h"

namespace align::inference {

class RandomAssessments {
 public:
  RandomAssessments(const RuleBase& rules, uint64_t seed)
      : rules_(rules), random_(seed), areas_random_(seed ^ 0x5eed5eed5eed5eed) {
    for (size_t node = 0; node < rules.nodes().size(); ++node) {
      const NodeInfo& info = rules.node(static_cast<int>(node));
      if (info.kind == NodeKind::kIndicator && !info.builtin) {
        indicators_.push_back(static_cast<int>(node));
      }
    }
  }

  // The declared indicators (not those computed from service areas).
  const std::vector<int>& indicators() const { return indicators_; }

  // About a third of the indicators observed, different ones each time, with values anywhere
  // in their range; one observation in five at confidence 0.5. Every other assessment lists one
  // to five service areas, from which the built-in portfolio indicators are computed; they are
  // drawn from a generator of their own, so the observations are those the seed always gave.
  proto::Assessment Next() {
    proto::Assessment assessment;
    AddServiceAreas(assessment);
    for (int node : indicators_) {
      if (random_() % 3 != 0) continue;
      const NodeInfo& info = rules_.node(node);
      // A choice with no listed values takes any text: nothing to draw from.
      if (info.type == ValueType::kChoice && info.choices.empty()) continue;
      proto::Observation& observation = (*assessment.mutable_observations())[info.id];
      switch (info.type) {
        case ValueType::kNumber: {
          double low = info.min.value_or(0), high = info.max.value_or(100);
          observation.set_number(low + static_cast<double>(random_() % 1001) / 1000 * (high - low));
          break;
        }
        case ValueType::kBool: observation.set_flag(random_() % 2 == 0); break;
        case ValueType::kChoice:
          observation.set_choice(info.choices[random_() % info.choices.size()]);
          break;
      }
      if (random_() % 5 == 0) observation.set_confidence(0.5);
    }
    return assessment;
  }

 private:
  // Valid areas only: distinct names, positive weights, levels and utilisation in range.
  void AddServiceAreas(proto::Assessment& assessment) {
    std::mt19937_64& draw = areas_random_;
    if (draw() % 2 != 0) return;
    const int areas = 1 + static_cast<int>(draw() % 5);
    for (int i = 0; i < areas; ++i) {
      proto::ServiceArea& area = *assessment.add_service_areas();
      area.set_name("area " + std::to_string(i));
      if (draw() % 3 == 0) area.set_weight(0.5 + static_cast<double>(draw() % 10) / 2);
      area.set_strategic_intent(draw() % 2 == 0);
      area.set_market_space(draw() % 2 == 0);
      area.set_opportunity(draw() % 2 == 0);
      area.set_demand(static_cast<proto::Level>(draw() % 5));  // LEVEL_UNSPECIFIED .. HIGH
      area.mutable_capability()->set_level(static_cast<proto::Level>(draw() % 5));
      if (draw() % 2 == 0) {
        area.mutable_capability()->set_utilisation(static_cast<double>(draw() % 101));
      }
    }
  }

  const RuleBase& rules_;
  std::mt19937_64 random_;
  std::mt19937_64 areas_random_;
  std::vector<int> indicators_;
};

}  // namespace align::inference

#endif  // ALIGN_TESTS_RANDOM_ASSESSMENTS_H_
