#include "bench/compare/clips_peer.h"

#include <algorithm>

#include "bench/compare/comparison.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/status_matchers.h"

namespace align::bench {
namespace {

using ::align::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// i0 > 50 and i1 < 20 -> f0; f0 and i2 >= 10 -> f1.
Workload Chain() {
  Workload workload;
  workload.indicators = 3;
  workload.findings = 2;
  workload.rules = {
      {.conclusion = 0, .tests = {{0, Comparison::kGreater, 50}, {1, Comparison::kLess, 20}}},
      {.conclusion = 1, .premise_finding = 0, .tests = {{2, Comparison::kGreaterOrEqual, 10}}}};
  return workload;
}

std::vector<std::string> Sorted(std::vector<std::string> ids) {
  std::sort(ids.begin(), ids.end());
  return ids;
}

TEST(ClipsPeer, ConcludesThroughAChainInEveryLayout) {
  for (ClipsLayout layout :
       {ClipsLayout::kSlotPerObservation, ClipsLayout::kTemplatePerIndicator}) {
    for (ClipsAssert how : {ClipsAssert::kFactApi, ClipsAssert::kString}) {
      SCOPED_TRACE(std::string(ClipsLayoutName(layout)) + ", " + std::string(ClipsAssertName(how)));
      const Workload workload = Chain();
      auto peer = ClipsPeer::Create(ClipsConstructs(workload, layout), layout, 3, how);
      ASSERT_TRUE(peer.ok()) << peer.status();
      std::vector<std::string> findings;

      absl::StatusOr<int64_t> fired = (*peer)->Run({{0, 60}, {1, 10}, {2, 10}}, &findings);
      ASSERT_TRUE(fired.ok()) << fired.status();
      EXPECT_EQ(*fired, 2);
      EXPECT_THAT(Sorted(findings), ElementsAre("finding.f0", "finding.f1"));

      // A reset forgets the previous case; 50 is not above 50.
      fired = (*peer)->Run({{0, 50}, {1, 10}, {2, 10}}, &findings);
      ASSERT_TRUE(fired.ok()) << fired.status();
      EXPECT_EQ(*fired, 0);
      EXPECT_THAT(findings, IsEmpty());
    }
  }
}

TEST(ClipsPeer, RefusesABadConstructQuotingIt) {
  EXPECT_THAT(ClipsPeer::Create({"(defrule broken (obs) =>"}, ClipsLayout::kSlotPerObservation, 0),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("(defrule broken")));
}

TEST(Comparison, BothEnginesConcludeTheSameFindingsOnTheSmallWorkload) {
  ComparisonOptions options;
  options.rounds = 1;
  options.compile_runs = 1;
  options.default_options_rounds = 0;
  for (ClipsLayout layout :
       {ClipsLayout::kSlotPerObservation, ClipsLayout::kTemplatePerIndicator}) {
    options.clips_layout = layout;
    absl::StatusOr<SizeResult> result = CompareOnWorkload(
        {.rules = 60, .observations_per_case = 20, .cases = 50, .seed = 3}, options);
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_THAT(result->disagreements, IsEmpty()) << FormatDisagreements(*result);
    EXPECT_EQ(result->clips_fired_per_case, result->ours_fired_per_case);
    EXPECT_GT(result->findings_per_case, 0);
  }
}

}  // namespace
}  // namespace align::bench
