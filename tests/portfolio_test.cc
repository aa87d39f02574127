#include "inference/portfolio/portfolio.h"

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace align::inference {
namespace {

using ::testing::ElementsAre;
using ::testing::Optional;

proto::ServiceArea Area(const std::string& text_proto) {
  proto::ServiceArea area;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text_proto, &area)) << text_proto;
  return area;
}

proto::Assessment Assessment(const std::string& text_proto) {
  proto::Assessment assessment;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text_proto, &assessment)) << text_proto;
  return assessment;
}

// The figure for the indicator `id`.
std::optional<double> Figure(const PortfolioAnalysis& analysis, std::string_view id) {
  const std::vector<std::string>& ids = PortfolioIndicatorIds();
  const auto it = std::find(ids.begin(), ids.end(), id);
  EXPECT_NE(it, ids.end()) << id;
  if (it == ids.end()) return std::nullopt;
  return analysis.figures.at(static_cast<size_t>(it - ids.begin()));
}

// --- Classification --------------------------------------------------------------------------

TEST(ClassifyArea, AllFourLayersAreAligned) {
  EXPECT_EQ(ClassifyArea(Area(R"pb(strategic_intent: true
                                   demand: LEVEL_HIGH
                                   opportunity: true
                                   capability { level: LEVEL_LOW })pb")),
            proto::REGION_ALIGNED);
}

TEST(ClassifyArea, ServedOfferOutsideIntentIsOffStrategy) {
  EXPECT_EQ(ClassifyArea(Area(R"pb(demand: LEVEL_MEDIUM
                                   opportunity: true
                                   capability { level: LEVEL_HIGH })pb")),
            proto::REGION_OFF_STRATEGY);
}

TEST(ClassifyArea, DemandAndCapabilityWithoutOfferIsUnrecognisedDemand) {
  EXPECT_EQ(ClassifyArea(Area(R"pb(strategic_intent: true
                                   demand: LEVEL_LOW
                                   capability { level: LEVEL_MEDIUM })pb")),
            proto::REGION_UNRECOGNISED_DEMAND);
  EXPECT_EQ(ClassifyArea(Area(R"pb(demand: LEVEL_LOW
                                   capability { level: LEVEL_MEDIUM })pb")),
            proto::REGION_UNRECOGNISED_DEMAND);
}

TEST(ClassifyArea, DemandWithoutCapabilityIsUnmetDemand) {
  EXPECT_EQ(ClassifyArea(Area(R"pb(demand: LEVEL_HIGH)pb")), proto::REGION_UNMET_DEMAND);
  EXPECT_EQ(ClassifyArea(Area(R"pb(strategic_intent: true
                                   demand: LEVEL_HIGH
                                   opportunity: true
                                   capability { level: LEVEL_NONE })pb")),
            proto::REGION_UNMET_DEMAND);
}

TEST(ClassifyArea, CapabilityAndOfferWithoutDemandIsUnwantedOffer) {
  EXPECT_EQ(ClassifyArea(Area(R"pb(strategic_intent: true
                                   opportunity: true
                                   capability { level: LEVEL_HIGH })pb")),
            proto::REGION_UNWANTED_OFFER);
}

TEST(ClassifyArea, CapabilityAloneIsWastedCapability) {
  EXPECT_EQ(ClassifyArea(Area(R"pb(demand: LEVEL_NONE
                                   capability { level: LEVEL_LOW })pb")),
            proto::REGION_WASTED_CAPABILITY);
}

TEST(ClassifyArea, OfferAloneIsOrphanOpportunity) {
  EXPECT_EQ(ClassifyArea(Area(R"pb(opportunity: true)pb")), proto::REGION_ORPHAN_OPPORTUNITY);
  EXPECT_EQ(ClassifyArea(Area(R"pb(strategic_intent: true opportunity: true)pb")),
            proto::REGION_ORPHAN_OPPORTUNITY);
}

TEST(ClassifyArea, IntentAloneIsUncoveredIntent) {
  EXPECT_EQ(ClassifyArea(Area(R"pb(strategic_intent: true market_space: true)pb")),
            proto::REGION_UNCOVERED_INTENT);
}

TEST(ClassifyArea, NoLayerIsOutside) {
  EXPECT_EQ(ClassifyArea(Area(R"pb(market_space: true
                                   demand: LEVEL_NONE
                                   capability { level: LEVEL_NONE utilisation: 50 })pb")),
            proto::REGION_OUTSIDE);
  EXPECT_EQ(ClassifyArea(proto::ServiceArea()), proto::REGION_OUTSIDE);
}

TEST(ClassifyArea, LevelOutsideTheEnumCountsAsAbsent) {
  proto::ServiceArea area;
  area.set_demand(static_cast<proto::Level>(17));
  EXPECT_EQ(ClassifyArea(area), proto::REGION_OUTSIDE);
}

// --- Names and ids ---------------------------------------------------------------------------

TEST(RegionName, NamesEveryRegionAndReadsItBack) {
  const std::vector<std::pair<proto::Region, std::string_view>> expected = {
      {proto::REGION_ALIGNED, "aligned"},
      {proto::REGION_WASTED_CAPABILITY, "wasted_capability"},
      {proto::REGION_UNRECOGNISED_DEMAND, "unrecognised_demand"},
      {proto::REGION_UNMET_DEMAND, "unmet_demand"},
      {proto::REGION_ORPHAN_OPPORTUNITY, "orphan_opportunity"},
      {proto::REGION_UNWANTED_OFFER, "unwanted_offer"},
      {proto::REGION_OFF_STRATEGY, "off_strategy"},
      {proto::REGION_UNCOVERED_INTENT, "uncovered_intent"},
      {proto::REGION_OUTSIDE, "outside"},
  };
  for (const auto& [region, name] : expected) {
    EXPECT_EQ(RegionName(region), name);
    EXPECT_THAT(RegionFromName(name), Optional(region)) << name;
  }
}

TEST(RegionName, UnspecifiedAndUnknownValuesAreUnspecified) {
  EXPECT_EQ(RegionName(proto::REGION_UNSPECIFIED), "unspecified");
  EXPECT_EQ(RegionName(static_cast<proto::Region>(42)), "unspecified");
  EXPECT_EQ(RegionName(static_cast<proto::Region>(-1)), "unspecified");
}

TEST(RegionFromName, RejectsUnknownNames) {
  EXPECT_EQ(RegionFromName("unspecified"), std::nullopt);
  EXPECT_EQ(RegionFromName("REGION_ALIGNED"), std::nullopt);
  EXPECT_EQ(RegionFromName("Aligned"), std::nullopt);
  EXPECT_EQ(RegionFromName(""), std::nullopt);
}

TEST(PortfolioIndicatorIds, ListsFiguresInFixedOrder) {
  EXPECT_THAT(
      PortfolioIndicatorIds(),
      ElementsAre("portfolio.alignment_index", "portfolio.intent_coverage",
                  "portfolio.capability_utilisation", "portfolio.share.aligned",
                  "portfolio.share.wasted_capability", "portfolio.share.unrecognised_demand",
                  "portfolio.share.unmet_demand", "portfolio.share.orphan_opportunity",
                  "portfolio.share.unwanted_offer", "portfolio.share.off_strategy",
                  "portfolio.share.uncovered_intent", "portfolio.share.outside"));
  EXPECT_EQ(&PortfolioIndicatorIds(), &PortfolioIndicatorIds());
}

// --- Analysis --------------------------------------------------------------------------------

// Weights 4 + 2 + 1 + 1 + 1 + 1 = 10, so shares are easy to read.
constexpr char kMixedPortfolio[] = R"pb(
  service_areas {
    name: "Customer analytics"
    weight: 4
    strategic_intent: true
    demand: LEVEL_HIGH
    opportunity: true
    capability { level: LEVEL_MEDIUM utilisation: 80 }
  }
  service_areas {
    name: "Reporting"
    weight: 2
    strategic_intent: true
    demand: LEVEL_LOW
    capability { level: LEVEL_HIGH utilisation: 50 }
  }
  service_areas {
    name: "Mainframe"
    weight: 1
    demand: LEVEL_MEDIUM
    opportunity: true
    capability { level: LEVEL_HIGH }
  }
  service_areas {
    name: "Print room"
    capability { level: LEVEL_LOW utilisation: 30 }
  }
  service_areas { name: "Machine learning" strategic_intent: true }
  service_areas {
    name: "Fax"
    capability { level: LEVEL_NONE utilisation: 90 }
  }
)pb";

TEST(AnalysePortfolio, PlacesAreasInInputOrderWithDefaultWeightOne) {
  const PortfolioAnalysis analysis = AnalysePortfolio(Assessment(kMixedPortfolio));
  const auto& areas = analysis.summary.areas();
  ASSERT_EQ(areas.size(), 6);
  const std::vector<std::tuple<std::string, proto::Region, double>> expected = {
      {"Customer analytics", proto::REGION_ALIGNED, 4},
      {"Reporting", proto::REGION_UNRECOGNISED_DEMAND, 2},
      {"Mainframe", proto::REGION_OFF_STRATEGY, 1},
      {"Print room", proto::REGION_WASTED_CAPABILITY, 1},
      {"Machine learning", proto::REGION_UNCOVERED_INTENT, 1},
      {"Fax", proto::REGION_OUTSIDE, 1},
  };
  for (int i = 0; i < areas.size(); ++i) {
    EXPECT_EQ(areas[i].name(), std::get<0>(expected[i]));
    EXPECT_EQ(areas[i].region(), std::get<1>(expected[i])) << areas[i].name();
    EXPECT_EQ(areas[i].weight(), std::get<2>(expected[i])) << areas[i].name();
  }
}

TEST(AnalysePortfolio, SharesCoverEveryRegionInEnumOrder) {
  const PortfolioAnalysis analysis = AnalysePortfolio(Assessment(kMixedPortfolio));
  EXPECT_DOUBLE_EQ(analysis.summary.total_weight(), 10);
  const std::vector<std::tuple<proto::Region, double, double>> expected = {
      {proto::REGION_ALIGNED, 4, 40},
      {proto::REGION_WASTED_CAPABILITY, 1, 10},
      {proto::REGION_UNRECOGNISED_DEMAND, 2, 20},
      {proto::REGION_UNMET_DEMAND, 0, 0},
      {proto::REGION_ORPHAN_OPPORTUNITY, 0, 0},
      {proto::REGION_UNWANTED_OFFER, 0, 0},
      {proto::REGION_OFF_STRATEGY, 1, 10},
      {proto::REGION_UNCOVERED_INTENT, 1, 10},
      {proto::REGION_OUTSIDE, 1, 10},
  };
  const auto& shares = analysis.summary.shares();
  ASSERT_EQ(shares.size(), 9);
  for (int i = 0; i < shares.size(); ++i) {
    EXPECT_EQ(shares[i].region(), std::get<0>(expected[i]));
    EXPECT_DOUBLE_EQ(shares[i].weight(), std::get<1>(expected[i]))
        << RegionName(shares[i].region());
    EXPECT_DOUBLE_EQ(shares[i].share(), std::get<2>(expected[i])) << RegionName(shares[i].region());
  }
}

TEST(AnalysePortfolio, IndexScoresAlignedFullyAndNearMissesHalf) {
  const PortfolioAnalysis analysis = AnalysePortfolio(Assessment(kMixedPortfolio));
  // (4 aligned + 0.5 * 2 unrecognised + 0.5 * 1 off-strategy) / 10.
  EXPECT_DOUBLE_EQ(analysis.summary.alignment_index(), 55);
  // Intent areas weigh 4 + 2 + 1; the aligned 4 of them are covered.
  EXPECT_DOUBLE_EQ(analysis.summary.intent_coverage(), 400.0 / 7);
}

TEST(AnalysePortfolio, FiguresFollowIndicatorIds) {
  const PortfolioAnalysis analysis = AnalysePortfolio(Assessment(kMixedPortfolio));
  ASSERT_EQ(analysis.figures.size(), PortfolioIndicatorIds().size());
  const std::vector<double> expected = {
      55,         // alignment_index
      400.0 / 7,  // intent_coverage
      // Capability low or above with a measurement: 4 x 80, 2 x 50, 1 x 30. Fax (capability
      // none) and Mainframe (not measured) do not count.
      450.0 / 7,                        // capability_utilisation
      40, 10, 20, 0, 0, 0, 10, 10, 10,  // shares
  };
  for (size_t i = 0; i < expected.size(); ++i) {
    ASSERT_TRUE(analysis.figures[i].has_value()) << PortfolioIndicatorIds()[i];
    EXPECT_DOUBLE_EQ(*analysis.figures[i], expected[i]) << PortfolioIndicatorIds()[i];
  }
}

TEST(AnalysePortfolio, NoAreasLeavesEveryFigureUnknown) {
  const PortfolioAnalysis analysis = AnalysePortfolio(Assessment(R"pb(organisation: "Acme")pb"));
  ASSERT_EQ(analysis.figures.size(), 12u);
  for (size_t i = 0; i < analysis.figures.size(); ++i) {
    EXPECT_EQ(analysis.figures[i], std::nullopt) << PortfolioIndicatorIds()[i];
  }
  EXPECT_EQ(analysis.summary.areas_size(), 0);
  EXPECT_EQ(analysis.summary.total_weight(), 0);
  EXPECT_EQ(analysis.summary.alignment_index(), 0);
  EXPECT_EQ(analysis.summary.intent_coverage(), 0);
  ASSERT_EQ(analysis.summary.shares_size(), 9);
  for (const proto::RegionShare& share : analysis.summary.shares()) {
    EXPECT_EQ(share.weight(), 0);
    EXPECT_EQ(share.share(), 0);
  }
}

TEST(AnalysePortfolio, NoIntentLeavesCoverageUnknownAndNoMeasurementLeavesUtilisationUnknown) {
  const PortfolioAnalysis analysis = AnalysePortfolio(Assessment(R"pb(
    service_areas {
      name: "Hosting"
      weight: 3
      demand: LEVEL_HIGH
      opportunity: true
      capability { level: LEVEL_HIGH }
    }
    service_areas { name: "Helpdesk" demand: LEVEL_LOW }
  )pb"));
  EXPECT_THAT(Figure(analysis, "portfolio.alignment_index"),
              Optional(37.5));  // 0.5 x 3 off-strategy of 4
  EXPECT_EQ(Figure(analysis, "portfolio.intent_coverage"), std::nullopt);
  EXPECT_EQ(Figure(analysis, "portfolio.capability_utilisation"), std::nullopt);
  EXPECT_EQ(analysis.summary.intent_coverage(), 0);
  EXPECT_THAT(Figure(analysis, "portfolio.share.off_strategy"), Optional(75.0));
  EXPECT_THAT(Figure(analysis, "portfolio.share.unmet_demand"), Optional(25.0));
}

TEST(AnalysePortfolio, IntentWithNothingAlignedHasZeroCoverage) {
  const PortfolioAnalysis analysis =
      AnalysePortfolio(Assessment(R"pb(service_areas { name: "AI" strategic_intent: true })pb"));
  EXPECT_THAT(Figure(analysis, "portfolio.intent_coverage"), Optional(0.0));
  EXPECT_THAT(Figure(analysis, "portfolio.alignment_index"), Optional(0.0));
  EXPECT_THAT(Figure(analysis, "portfolio.share.uncovered_intent"), Optional(100.0));
}

TEST(AnalysePortfolio, InvalidWeightCountsAsZero) {
  const PortfolioAnalysis analysis = AnalysePortfolio(Assessment(R"pb(
    service_areas { name: "a" weight: -5 demand: LEVEL_HIGH }
    service_areas { name: "b" weight: 1 strategic_intent: true }
  )pb"));
  EXPECT_EQ(analysis.summary.areas(0).weight(), 0);
  EXPECT_EQ(analysis.summary.total_weight(), 1);
  EXPECT_THAT(Figure(analysis, "portfolio.share.unmet_demand"), Optional(0.0));
  EXPECT_THAT(Figure(analysis, "portfolio.share.uncovered_intent"), Optional(100.0));
}

TEST(AnalysePortfolio, OnlyZeroWeightsLeaveEveryFigureUnknown) {
  const PortfolioAnalysis analysis =
      AnalysePortfolio(Assessment(R"pb(service_areas { name: "a" weight: 0 })pb"));
  EXPECT_EQ(analysis.summary.areas_size(), 1);
  for (const std::optional<double>& figure : analysis.figures) EXPECT_EQ(figure, std::nullopt);
}

}  // namespace
}  // namespace align::inference
