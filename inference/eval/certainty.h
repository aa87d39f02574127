// MYCIN certainty-factor algebra.
#ifndef ALIGN_INFERENCE_EVAL_CERTAINTY_H_
#define ALIGN_INFERENCE_EVAL_CERTAINTY_H_

#include "absl/container/inlined_vector.h"

namespace align::inference {

// A premise at or below this does not fire; a conclusion at or below it is not concluded.
inline constexpr double kFiringThreshold = 0.2;

// Combines two pieces of evidence for one conclusion:
// both positive x + y(1 - x); both negative x + y(1 + x); mixed (x + y) / (1 - min(|x|, |y|)).
double CombineCertainty(double x, double y);

// Combines any number of contributions so that the result does not depend on their order,
// not even in the last bit: positives and negatives are each combined (both associative) in
// sorted order, then the two are combined.
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
