#include "inference/portfolio/portfolio.h"

#include <array>
#include <cmath>

namespace align::inference {
namespace {

constexpr int kFirstRegion = proto::REGION_ALIGNED;
constexpr int kLastRegion = proto::REGION_OUTSIDE;
constexpr size_t kRegionCount = kLastRegion - kFirstRegion + 1;

// Indexed by the Region value; index 0 is REGION_UNSPECIFIED.
constexpr std::array<std::string_view, kRegionCount + 1> kRegionNames = {
    "unspecified",       "aligned",
    "wasted_capability", "unrecognised_demand",
    "unmet_demand",      "orphan_opportunity",
    "unwanted_offer",    "off_strategy",
    "uncovered_intent",  "outside",
};

// Positions in PortfolioIndicatorIds() and PortfolioAnalysis::figures.
constexpr size_t kAlignmentIndexFigure = 0;
constexpr size_t kIntentCoverageFigure = 1;
constexpr size_t kCapabilityUtilisationFigure = 2;
constexpr size_t kFirstShareFigure = 3;

bool Present(proto::Level level) {
  return level == proto::LEVEL_LOW || level == proto::LEVEL_MEDIUM || level == proto::LEVEL_HIGH;
}

double EffectiveWeight(const proto::ServiceArea& area) {
  if (!area.has_weight()) return 1.0;
  const double weight = area.weight();
  return std::isfinite(weight) && weight > 0 ? weight : 0.0;
}

// Contribution of a region to the alignment index: served demand that misses one layer
// (no qualified offer, or outside the strategy) still delivers half the value.
double AlignmentScore(proto::Region region) {
  switch (region) {
    case proto::REGION_ALIGNED:
      return 1.0;
    case proto::REGION_UNRECOGNISED_DEMAND:
    case proto::REGION_OFF_STRATEGY:
      return 0.5;
    default:
      return 0.0;
  }
}

}  // namespace

proto::Region ClassifyArea(const proto::ServiceArea& area) {
  const bool demand = Present(area.demand());
  const bool capability = Present(area.capability().level());
  const bool opportunity = area.opportunity();
  const bool intent = area.strategic_intent();
  if (demand && capability) {
    if (!opportunity) return proto::REGION_UNRECOGNISED_DEMAND;
    return intent ? proto::REGION_ALIGNED : proto::REGION_OFF_STRATEGY;
  }
  if (demand) return proto::REGION_UNMET_DEMAND;
  if (capability) {
    return opportunity ? proto::REGION_UNWANTED_OFFER : proto::REGION_WASTED_CAPABILITY;
  }
  if (opportunity) return proto::REGION_ORPHAN_OPPORTUNITY;
  return intent ? proto::REGION_UNCOVERED_INTENT : proto::REGION_OUTSIDE;
}

std::string_view RegionName(proto::Region region) {
  const int index = static_cast<int>(region);
  if (index < kFirstRegion || index > kLastRegion) return kRegionNames[0];
  return kRegionNames[index];
}

std::optional<proto::Region> RegionFromName(std::string_view name) {
  for (int index = kFirstRegion; index <= kLastRegion; ++index) {
    if (kRegionNames[index] == name) return static_cast<proto::Region>(index);
  }
  return std::nullopt;
}

const std::vector<std::string>& PortfolioIndicatorIds() {
  static const std::vector<std::string>* const ids = [] {
    auto* result = new std::vector<std::string>{
        "portfolio.alignment_index",
        "portfolio.intent_coverage",
        "portfolio.capability_utilisation",
    };
    for (int index = kFirstRegion; index <= kLastRegion; ++index) {
      result->push_back("portfolio.share." + std::string(kRegionNames[index]));
    }
    return result;
  }();
  return *ids;
}

PortfolioAnalysis AnalysePortfolio(const proto::Assessment& assessment) {
  PortfolioAnalysis analysis;
  proto::PortfolioSummary& summary = analysis.summary;

  std::array<double, kRegionCount> region_weight{};
  double total = 0;
  double scored = 0;
  double intent_weight = 0;
  double aligned_intent_weight = 0;
  double utilisation_weight = 0;
  double weighted_utilisation = 0;
  for (const proto::ServiceArea& area : assessment.service_areas()) {
    const proto::Region region = ClassifyArea(area);
    const double weight = EffectiveWeight(area);
    proto::AreaPlacement* placement = summary.add_areas();
    placement->set_name(area.name());
    placement->set_region(region);
    placement->set_weight(weight);

    region_weight[region - kFirstRegion] += weight;
    total += weight;
    scored += weight * AlignmentScore(region);
    if (area.strategic_intent()) {
      intent_weight += weight;
      if (region == proto::REGION_ALIGNED) aligned_intent_weight += weight;
    }
    if (Present(area.capability().level()) && area.capability().has_utilisation() &&
        std::isfinite(area.capability().utilisation())) {
      utilisation_weight += weight;
      weighted_utilisation += weight * area.capability().utilisation();
    }
  }

  summary.set_total_weight(total);
  for (size_t i = 0; i < kRegionCount; ++i) {
    proto::RegionShare* share = summary.add_shares();
    share->set_region(static_cast<proto::Region>(kFirstRegion + static_cast<int>(i)));
    share->set_weight(region_weight[i]);
    share->set_share(total > 0 ? 100 * region_weight[i] / total : 0);
  }
  summary.set_alignment_index(total > 0 ? 100 * scored / total : 0);
  summary.set_intent_coverage(intent_weight > 0 ? 100 * aligned_intent_weight / intent_weight : 0);

  analysis.figures.assign(PortfolioIndicatorIds().size(), std::nullopt);
  // Without any weight there is no portfolio to measure: every figure stays unknown.
  if (total <= 0) return analysis;
  analysis.figures[kAlignmentIndexFigure] = summary.alignment_index();
  if (intent_weight > 0) analysis.figures[kIntentCoverageFigure] = summary.intent_coverage();
  if (utilisation_weight > 0) {
    analysis.figures[kCapabilityUtilisationFigure] = weighted_utilisation / utilisation_weight;
  }
  for (size_t i = 0; i < kRegionCount; ++i) {
    analysis.figures[kFirstShareFigure + i] = summary.shares(static_cast<int>(i)).share();
  }
  return analysis;
}

}  // namespace align::inference
