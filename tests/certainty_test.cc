// MYCIN certainty-factor algebra: CombineCertainty and CertaintyAccumulator.
#include "inference/eval/certainty.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace align::inference {
namespace {

// Dyadic fractions (0.5, 0.25, 0.75 …) are exact in binary, so these results are exact too.

TEST(CombineCertainty, BothPositiveIsXPlusYTimesOneMinusX) {
  EXPECT_EQ(CombineCertainty(0.5, 0.5), 0.75);    // 0.5 + 0.5 × 0.5
  EXPECT_EQ(CombineCertainty(0.75, 0.5), 0.875);  // 0.75 + 0.5 × 0.25
  EXPECT_EQ(CombineCertainty(0.25, 1.0), 1.0);    // 0.25 + 1 × 0.75
  EXPECT_DOUBLE_EQ(CombineCertainty(0.6, 0.5), 0.8);
  EXPECT_DOUBLE_EQ(CombineCertainty(0.7, 0.3), 0.79);
}

TEST(CombineCertainty, BothNegativeIsXPlusYTimesOnePlusX) {
  EXPECT_EQ(CombineCertainty(-0.5, -0.5), -0.75);    // -0.5 + -0.5 × 0.5
  EXPECT_EQ(CombineCertainty(-0.75, -0.5), -0.875);  // -0.75 + -0.5 × 0.25
  EXPECT_DOUBLE_EQ(CombineCertainty(-0.6, -0.5), -0.8);
}

TEST(CombineCertainty, MixedIsSumOverOneMinusSmallerMagnitude) {
  EXPECT_EQ(CombineCertainty(0.75, -0.5), 0.5);    // 0.25 / (1 - 0.5)
  EXPECT_EQ(CombineCertainty(-0.75, 0.5), -0.5);   // -0.25 / (1 - 0.5)
  EXPECT_EQ(CombineCertainty(0.5, -0.75), -0.5);   // -0.25 / (1 - 0.5)
  EXPECT_EQ(CombineCertainty(0.5, -0.5), 0.0);     // equal and opposite cancel
  EXPECT_DOUBLE_EQ(CombineCertainty(0.8, -0.5), 0.6);  // 0.3 / 0.5
}

TEST(CombineCertainty, MixedWithOneFullCertaintyKeepsTheFullCertainty) {
  EXPECT_EQ(CombineCertainty(1.0, -0.5), 1.0);   // 0.5 / (1 - 0.5)
  EXPECT_EQ(CombineCertainty(-0.5, 1.0), 1.0);
  EXPECT_EQ(CombineCertainty(-1.0, 0.25), -1.0);  // -0.75 / 0.75
}

TEST(CombineCertainty, FullCertaintyForAndAgainstIsAContradictionGivingZero) {
  EXPECT_EQ(CombineCertainty(1.0, -1.0), 0.0);
  EXPECT_EQ(CombineCertainty(-1.0, 1.0), 0.0);
}

TEST(CombineCertainty, ZeroIsTheIdentity) {
  EXPECT_EQ(CombineCertainty(0.0, 0.35), 0.35);
  EXPECT_EQ(CombineCertainty(0.35, 0.0), 0.35);
  EXPECT_EQ(CombineCertainty(0.0, -0.35), -0.35);
  EXPECT_EQ(CombineCertainty(-0.35, 0.0), -0.35);
  EXPECT_EQ(CombineCertainty(0.0, 0.0), 0.0);
}

TEST(CombineCertainty, FullCertaintyAbsorbsFurtherEvidenceOfTheSameSign) {
  EXPECT_EQ(CombineCertainty(1.0, 0.4), 1.0);
  EXPECT_EQ(CombineCertainty(-1.0, -0.4), -1.0);
}

TEST(CertaintyAccumulator, EmptyIsZero) {
  CertaintyAccumulator accumulator;
  EXPECT_EQ(accumulator.Result(), 0.0);
}

TEST(CertaintyAccumulator, SingleContributionIsItself) {
  CertaintyAccumulator positive;
  positive.Add(0.35);
  EXPECT_EQ(positive.Result(), 0.35);
  CertaintyAccumulator negative;
  negative.Add(-0.35);
  EXPECT_EQ(negative.Result(), -0.35);
}

TEST(CertaintyAccumulator, CombinesPositivesAndNegativesSeparatelyThenTogether) {
  // Positives 0.5, 0.5 → 0.75; negatives -0.5 → -0.5; together (0.75 - 0.5) / 0.5 = 0.5.
  CertaintyAccumulator accumulator;
  accumulator.Add(0.5);
  accumulator.Add(-0.5);
  accumulator.Add(0.5);
  EXPECT_EQ(accumulator.Result(), 0.5);
}

TEST(CertaintyAccumulator, IgnoresZeroContributions) {
  CertaintyAccumulator with_zeros;
  with_zeros.Add(0.0);
  with_zeros.Add(0.5);
  with_zeros.Add(0.0);
  with_zeros.Add(-0.25);
  with_zeros.Add(-0.0);
  CertaintyAccumulator without_zeros;
  without_zeros.Add(0.5);
  without_zeros.Add(-0.25);
  EXPECT_EQ(with_zeros.Result(), without_zeros.Result());
  EXPECT_EQ(with_zeros.Result(), 0.25 / 0.75);
}

TEST(CertaintyAccumulator, ContradictionAfterAccumulationGivesZero) {
  CertaintyAccumulator accumulator;
  accumulator.Add(1.0);
  accumulator.Add(0.3);
  accumulator.Add(-1.0);
  EXPECT_EQ(accumulator.Result(), 0.0);
}

// Every permutation of `contributions` must give the same bits: a diagnosis may not depend on
// the order in which rules happen to be evaluated.
void ExpectOrderIndependent(std::vector<double> contributions) {
  std::sort(contributions.begin(), contributions.end());
  std::set<double> results;
  int permutations = 0;
  do {
    CertaintyAccumulator accumulator;
    for (double c : contributions) accumulator.Add(c);
    results.insert(accumulator.Result());
    ++permutations;
  } while (std::next_permutation(contributions.begin(), contributions.end()));
  std::string shown;
  for (double r : results) absl::StrAppend(&shown, " ", absl::StrFormat("%.17g", r));
  EXPECT_EQ(results.size(), 1u) << permutations << " orders give distinct results:" << shown;
}

// Two and three contributions are ordered by a fixed network rather than by insertion: every
// order must give the bits of the fold over the values in ascending order, positives and
// negatives each combined on their own side and then the two combined.
TEST(CertaintyAccumulator, TwoOrThreeInAnyOrderGiveTheAscendingFold) {
  // Each of the first four folds to other bits in descending order, so a network that sorted
  // the wrong way round would be caught, not just one that depended on the order given.
  const std::vector<std::vector<double>> lists = {
      {0.01, 0.04}, {-0.01, -0.06}, {0.1, 0.2, 0.3}, {0.1, 0.3, 0.42}, {0.3, -0.2},
      {0.3, 0.3, -0.2}, {-0.14, 0.28, -0.35}, {0.7, 0.7, 0.7}};
  for (std::vector<double> values : lists) {
    std::sort(values.begin(), values.end());
    double positive = 0, negative = 0;
    for (double v : values) {
      if (v > 0) {
        positive = CombineCertainty(positive, v);
      } else {
        negative = CombineCertainty(negative, v);
      }
    }
    const double expected = CombineCertainty(positive, negative);
    do {
      CertaintyAccumulator accumulator;
      for (double v : values) accumulator.Add(v);
      EXPECT_EQ(std::bit_cast<uint64_t>(accumulator.Result()), std::bit_cast<uint64_t>(expected))
          << absl::StrFormat("%.17g %.17g", values[0], values[1]);
    } while (std::next_permutation(values.begin(), values.end()));
  }
}

TEST(CertaintyAccumulator, OrderIndependentOnDyadicValues) {
  ExpectOrderIndependent({0.5, 0.25, -0.5, 0.75, -0.125});
}

TEST(CertaintyAccumulator, OrderIndependentOnAMixedList) {
  ExpectOrderIndependent({0.3, 0.6, 0.45, -0.2, -0.7});
}

// x + y(1 - x) is associative only in exact arithmetic: in doubles, folding these in different
// orders gives 0.93951999999999991, 0.93952000000000002 and 0.93952000000000013. Combining in
// sorted order makes every order give the same bits.
TEST(CertaintyAccumulator, OrderIndependentBitForBitOnDecimalPositives) {
  ExpectOrderIndependent({0.1, 0.2, 0.3, 0.4, 0.5, 0.6});
}

// As above, with mixed signs: folded as they come, 0.87838053667262972 or 0.87838053667262994.
TEST(CertaintyAccumulator, OrderIndependentBitForBitOnDecimalMixedList) {
  ExpectOrderIndependent({0.56, 0.42, 0.63, 0.28, -0.35, -0.14});
}

// Past the eight contributions kept inline, and past the sixteen sorted by insertion (more go
// through std::sort), the result is the same to the last bit whatever the order they come in;
// Result may be asked again, and more added after.
TEST(CertaintyAccumulator, ManyContributionsInAnyOrder) {
  const std::vector<double> values = {0.3,  -0.2, 0.7,  0.1,   -0.9, 0.45, 0.05, -0.33, 0.6, 0.25,
                                      -0.1, 0.8,  0.15, -0.55, 0.35, 0.9,  -0.4, 0.65,  0.2, -0.7};
  ASSERT_GT(values.size(), 16u);
  CertaintyAccumulator forward;
  for (double v : values) forward.Add(v);
  const double result = forward.Result();
  EXPECT_EQ(std::bit_cast<uint64_t>(result), std::bit_cast<uint64_t>(forward.Result()));

  std::mt19937 random(20261127);
  std::vector<double> shuffled = values;
  for (int round = 0; round < 20; ++round) {
    std::shuffle(shuffled.begin(), shuffled.end(), random);
    CertaintyAccumulator accumulator;
    for (double v : shuffled) accumulator.Add(v);
    EXPECT_EQ(std::bit_cast<uint64_t>(accumulator.Result()), std::bit_cast<uint64_t>(result))
        << "round " << round;
  }

  std::vector<double> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  double positive = 0, negative = 0;
  for (double v : sorted) {
    if (v > 0) positive = CombineCertainty(positive, v);
    else negative = CombineCertainty(negative, v);
  }
  EXPECT_EQ(result, CombineCertainty(positive, negative));

  CertaintyAccumulator backward;
  for (auto it = values.rbegin(); it != values.rend(); ++it) backward.Add(*it);
  forward.Add(0.5);
  backward.Add(0.5);
  EXPECT_EQ(forward.Result(), backward.Result());
  EXPECT_NE(forward.Result(), result);
}

}  // namespace
}  // namespace align::inference
