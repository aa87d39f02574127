// MYCIN certainty-factor algebra.
#ifndef ALIGN_INFERENCE_EVAL_CERTAINTY_H_
#define ALIGN_INFERENCE_EVAL_CERTAINTY_H_

#include <algorithm>
#include <cmath>

#include "absl/container/inlined_vector.h"
#include "absl/types/span.h"

namespace align::inference {

// A premise at or below this does not fire; a conclusion at or below it is not concluded.
inline constexpr double kFiringThreshold = 0.2;

// Combines two pieces of evidence for one conclusion:
// both positive x + y(1 - x); both negative x + y(1 + x); mixed (x + y) / (1 - min(|x|, |y|)).
// Inline: the evaluator combines in its innermost loop.
inline double CombineCertainty(double x, double y) {
  if (x >= 0 && y >= 0) return x + y * (1 - x);
  if (x <= 0 && y <= 0) return x + y * (1 + x);
  const double denominator = 1 - std::min(std::fabs(x), std::fabs(y));
  // Full certainty on both sides (+1 and -1) is a contradiction; MYCIN leaves it undefined.
  // Treat it as no net evidence rather than dividing by zero.
  if (denominator <= 0) return 0;
  return (x + y) / denominator;
}

// CombineContributions for two or more.
double CombineSeveralContributions(absl::Span<double> contributions);

// Combines any number of contributions so that the result does not depend on their order,
// not even in the last bit: positives and negatives are each combined (both associative) in
// sorted order, then the two are combined. `contributions` must hold no zeros (a zero is no
// evidence) and no NaNs (which have no place in a sorted order); it is sorted in place.
// Inline for none and one, the usual cases, which need no sorting: one piece of evidence
// combines to itself exactly (x + 0 and 0 + y are exact).
inline double CombineContributions(absl::Span<double> contributions) {
  if (contributions.empty()) return 0;
  if (contributions.size() == 1) return contributions[0];
  return CombineSeveralContributions(contributions);
}

// Collects contributions, skipping zeros, for CombineContributions.
class CertaintyAccumulator {
 public:
  void Add(double contribution);
  double Result();
  void Clear() { contributions_.clear(); }

 private:
  absl::InlinedVector<double, 8> contributions_;
};

}  // namespace align::inference

#endif  // ALIGN_INFERENCE_EVAL_CERTAINTY_H_
