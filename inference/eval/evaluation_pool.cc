#include "inference/eval/evaluation_pool.h"

#include <exception>

#include "inference/eval/certainty.h"

namespace align::inference {

namespace {

// The baseline: every conclusion evaluated with no facts.
Evaluation& EvaluatedWithNoFacts(const RuleBase& rule_base, Evaluation& evaluation) {
  EvaluateAll(rule_base, evaluation);
  return evaluation;
}

}  // namespace

EvaluationPool::EvaluationPool(std::shared_ptr<const RuleBase> rule_base)
    : rule_base_(std::move(rule_base)),
      baseline_(*rule_base_),
      question_reach_(*rule_base_, EvaluatedWithNoFacts(*rule_base_, baseline_)) {
  for (int node : rule_base_->evaluation_order()) {
    if (baseline_.certainty[node] > kFiringThreshold) baseline_concluded_.push_back(node);
  }
}

EvaluationPool::Lease EvaluationPool::Acquire() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!free_.empty()) {
      std::unique_ptr<Evaluation> evaluation = std::move(free_.back());
      free_.pop_back();
      return Lease(shared_from_this(), std::move(evaluation));
    }
  }
  return Lease(shared_from_this(), std::make_unique<Evaluation>(baseline_));
}

void EvaluationPool::Release(std::unique_ptr<Evaluation> evaluation) {
  Undo(*evaluation);
  std::lock_guard<std::mutex> lock(mutex_);
  if (free_.size() < kMaxIdle) free_.push_back(std::move(evaluation));
}

EvaluationPool::Lease::~Lease() {
  if (evaluation_ == nullptr) return;
  // Unwinding (say, bad_alloc mid-trial) may leave changes Undo does not know of: drop the
  // evaluation rather than hand a damaged one to the next diagnosis.
  if (std::uncaught_exceptions() > 0) return;
  pool_->Release(std::move(evaluation_));
}

}  // namespace align::inference
