#include "inference/eval/evaluation_pool.h"

#include "inference/eval/certainty.h"

namespace align::inference {

EvaluationPool::EvaluationPool(const RuleBase& rule_base)
    : rule_base_(rule_base), baseline_(rule_base) {
  EvaluateAll(rule_base, baseline_);
  for (int node : rule_base.evaluation_order()) {
    if (baseline_.certainty[node] > kFiringThreshold) baseline_concluded_.push_back(node);
  }
}

EvaluationPool::Lease EvaluationPool::Acquire() {
  {
    absl::MutexLock lock(&mutex_);
    if (!free_.empty()) {
      std::unique_ptr<Evaluation> evaluation = std::move(free_.back());
      free_.pop_back();
      return Lease(this, std::move(evaluation));
    }
  }
  return Lease(this, std::make_unique<Evaluation>(baseline_));
}

void EvaluationPool::Release(std::unique_ptr<Evaluation> evaluation) {
  ResetTo(rule_base_, baseline_, *evaluation);
  absl::MutexLock lock(&mutex_);
  free_.push_back(std::move(evaluation));
}

EvaluationPool::Lease::~Lease() {
  if (evaluation_ != nullptr) pool_->Release(std::move(evaluation_));
}

}  // namespace align::inference
