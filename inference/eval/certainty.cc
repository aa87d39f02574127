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
  if (contribution > 0) {
    positive_ = CombineCertainty(positive_, contribution);
  } else if (contribution < 0) {
    negative_ = CombineCertainty(negative_, contribution);
  }
}

double CertaintyAccumulator::Result() const { return CombineCertainty(positive_, negative_); }

}  // namespace align::inference
