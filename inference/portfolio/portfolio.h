// The portfolio view: places each service area in one region of the five-layer diagram and
// derives the weighted figures (region shares, alignment index, intent coverage) that rules read.
#ifndef ALIGN_INFERENCE_PORTFOLIO_PORTFOLIO_H_
#define ALIGN_INFERENCE_PORTFOLIO_PORTFOLIO_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "inference/util/proto_alias.h"

namespace align::inference {

// The region of one service area. A layer counts as present when its level is low, medium or
// high (demand, capability) or its flag is set (opportunity, strategic intent).
proto::Region ClassifyArea(const proto::ServiceArea& area);

// "wasted_capability" for REGION_WASTED_CAPABILITY, and so on; "unspecified" for
// REGION_UNSPECIFIED and for values outside the enum.
std::string_view RegionName(proto::Region region);
// The region named by RegionName(), REGION_ALIGNED..REGION_OUTSIDE only; nullopt otherwise.
std::optional<proto::Region> RegionFromName(std::string_view name);

// Ids of the built-in portfolio indicators, in this fixed order: portfolio.alignment_index,
// portfolio.intent_coverage, portfolio.capability_utilisation, then portfolio.share.<region name>
// for REGION_ALIGNED..REGION_OUTSIDE in enum order.
const std::vector<std::string>& PortfolioIndicatorIds();

struct PortfolioAnalysis {
  proto::PortfolioSummary summary;
  // Parallel to PortfolioIndicatorIds(): the value, or nullopt when unknown.
  std::vector<std::optional<double>> figures;
};

// Classifies every service area and computes the summary and the figures. A missing weight
// counts as 1. The assessment is expected to be validated; a weight that is not a positive finite
// number counts as 0 rather than corrupting the totals. With no service areas (or no positive
// weight) every figure is unknown.
PortfolioAnalysis AnalysePortfolio(const proto::Assessment& assessment);

}  // namespace align::inference

#endif  // ALIGN_INFERENCE_PORTFOLIO_PORTFOLIO_H_
