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

double CombineContributions(absl::Span<double> contributions) {
  // One piece of evidence combines to itself exactly (x + 0 and 0 + y are exact): the common
  // case needs no sorting.
  if (contributions.empty()) return 0;
  if (contributions.size() == 1) return contributions[0];
  // Floating-point combination is not associative; a fixed order makes it exact-repeatable.
  // A conclusion has a handful of rules: insertion sort beats std::sort's set-up there.
  if (contributions.size() <= 16) {
    for (size_t i = 1; i < contributions.size(); ++i) {
      const double c = contributions[i];
      size_t j = i;
      for (; j > 0 && c < contributions[j - 1]; --j) contributions[j] = contributions[j - 1];
      contributions[j] = c;
    }
  } else {
    std::sort(contributions.begin(), contributions.end());
  }
  // Sorted, the negatives come first. Each side is CombineCertainty's same-sign case, spelled
  // out: the signs are known here.
  double positive = 0;
  double negative = 0;
  for (double c : contributions) {
    if (c > 0) {
      positive = positive + c * (1 - positive);
    } else {
      negative = negative + c * (1 + negative);
    }
  }
  return CombineCertainty(positive, negative);
}

}  // namespace align::inference
