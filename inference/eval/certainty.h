// MYCIN certainty-factor algebra.
#ifndef ALIGN_INFERENCE_EVAL_CERTAINTY_H_
#define ALIGN_INFERENCE_EVAL_CERTAINTY_H_

namespace align::inference {

// A premise at or below this does not fire; a conclusion at or below it is not concluded.
inline constexpr double kFiringThreshold = 0.2;

// Combines two pieces of evidence for one conclusion:
// both positive x + y(1 - x); both negative x + y(1 + x); mixed (x + y) / (1 - min(|x|, |y|)).
double CombineCertainty(double x, double y);

// Combines any number of contributions so that the result does not depend on their order:
// positives and negatives are each combined (both associative), then the two are combined.
class CertaintyAccumulator {
 public:
  void Add(double contribution);
  double Result() const;

 private:
  double positive_ = 0;
  double negative_ = 0;
};

}  // namespace align::inference

#endif  // ALIGN_INFERENCE_EVAL_CERTAINTY_H_
