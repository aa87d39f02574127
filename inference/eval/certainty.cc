#include "inference/eval/certainty.h"

#include <algorithm>
#include <cmath>

namespace align::inference {

double CombineCertainty(double x, double y) {
  if (x >= 0 && y >= 0) return x + y * (1 - x);
  if (x <= 0 && y <= 0) return x + y * (1 + x);
  double denominator = 1 - std::min(std::fabs(x), std::fabs(y));
  // Full certainty on both sides (+1 and -1) is a contradiction; MYCIN leaves it undefined.
  // Treat it as no net evidence rather than dividing by zero.
  if (denominator <= 0) return 0;
  return (x + y) / denominator;
}

void CertaintyAccumulator::Add(double contribution) {
  if (contribution != 0) contributions_.push_back(contribution);
}

double CertaintyAccumulator::Result() {
  // One piece of evidence combines to itself exactly (x + 0 and 0 + y are exact): the common
  // case needs no sorting.
  if (contributions_.empty()) return 0;
  if (contributions_.size() == 1) return contributions_[0];
  // Floating-point combination is not associative; a fixed order makes it exact-repeatable.
  // Two, the next most common case, need one comparison rather than a sort.
  if (contributions_.size() == 2) {
    if (contributions_[1] < contributions_[0]) std::swap(contributions_[0], contributions_[1]);
  } else {
    std::sort(contributions_.begin(), contributions_.end());
  }
  double positive = 0;
  double negative = 0;
  for (double c : contributions_) {
    if (c > 0) {
      positive = CombineCertainty(positive, c);
    } else {
      negative = CombineCertainty(negative, c);
    }
  }
  return CombineCertainty(positive, negative);
}

}  // namespace align::inference
