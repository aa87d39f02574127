#include "inference/eval/certainty.h"

#include <algorithm>
#include <cmath>

namespace align::inference {

void CertaintyAccumulator::Add(double contribution) {
  if (contribution != 0) contributions_.push_back(contribution);
}

double CertaintyAccumulator::Result() {
  return CombineContributions(absl::MakeSpan(contributions_));
}

namespace {

// Puts the smaller of two values first, without a branch: most conclusions have two or three
// rules, and which contribution is smaller is a coin toss the branch predictor loses.
inline void Order(double& a, double& b) {
  const double low = std::min(a, b);
  b = std::max(a, b);
  a = low;
}

}  // namespace

double CombineSeveralContributions(absl::Span<double> contributions) {
  const size_t n = contributions.size();
  // Floating-point combination is not associative; a fixed order makes it exact-repeatable.
  double* c = contributions.data();
  if (n == 2) {
    Order(c[0], c[1]);
  } else if (n == 3) {
    Order(c[0], c[1]);
    Order(c[1], c[2]);
    Order(c[0], c[1]);
  } else if (n <= 16) {
    // A handful: insertion sort beats std::sort's set-up there.
    for (size_t i = 1; i < n; ++i) {
      const double value = c[i];
      size_t j = i;
      for (; j > 0 && value < c[j - 1]; --j) c[j] = c[j - 1];
      c[j] = value;
    }
  } else {
    std::sort(contributions.begin(), contributions.end());
  }
  // Sorted, the negatives come first. Each side is CombineCertainty's same-sign case, spelled
  // out: the signs are known here.
  double positive = 0;
  double negative = 0;
  for (size_t i = 0; i < n; ++i) {
    const double value = c[i];
    if (value > 0) {
      positive = positive + value * (1 - positive);
    } else {
      negative = negative + value * (1 + negative);
    }
  }
  return CombineCertainty(positive, negative);
}

}  // namespace align::inference
