// Reusable evaluations for one rule base. A diagnosis starts from the baseline (the rule base
// evaluated with no facts at all) and changes only what its facts reach; handing the
// evaluation back undoes just those changes. So a diagnosis neither allocates nor clears
// state in proportion to the size of the rule base.
//
//   auto pool = std::make_shared<EvaluationPool>(rule_base);
//   EvaluationPool::Lease lease = pool->Acquire();  // equals pool->baseline()
//   LoadFacts(rule_base, assessment, portfolio, *lease);
//   EvaluateChanged(rule_base, *lease);
//   ...                                              // back to the pool when `lease` goes
//
// Thread-safe: each thread leases its own evaluation.
#ifndef ALIGN_INFERENCE_EVAL_EVALUATION_POOL_H_
#define ALIGN_INFERENCE_EVAL_EVALUATION_POOL_H_

#include <memory>
#include <mutex>
#include <vector>

#include "inference/eval/evaluator.h"
#include "inference/eval/questions.h"
#include "inference/rulebase/rule_base.h"

namespace align::inference {

class EvaluationPool : public std::enable_shared_from_this<EvaluationPool> {
 public:
  // Evaluations kept for reuse at most; more are freed on return (a burst of concurrent
  // diagnoses should not pin its peak memory for good).
  static constexpr size_t kMaxIdle = 64;

  // Create it with std::make_shared: leases keep the pool, and the pool the rule base, alive.
  explicit EvaluationPool(std::shared_ptr<const RuleBase> rule_base);
  EvaluationPool(const EvaluationPool&) = delete;
  EvaluationPool& operator=(const EvaluationPool&) = delete;

  // Every conclusion evaluated with no facts: what an empty assessment concludes.
  const Evaluation& baseline() const { return baseline_; }
  // The conclusions the baseline concludes (certainty above the firing threshold), in
  // evaluation order: usually none, but `not known(x)` rules conclude without facts.
  const std::vector<int>& baseline_concluded() const { return baseline_concluded_; }
  // Which indicators open questions can be about, from the baseline: a diagnosis tries those
  // the assessment reached and those an answer alone moves (IndicatorsWorthAsking), not every
  // indicator of the rule base.
  const QuestionReach& question_reach() const { return question_reach_; }

  // An evaluation on loan; it goes back to the pool, reset to the baseline, when destroyed.
  class Lease {
   public:
    Lease(Lease&& other) noexcept
        : pool_(std::move(other.pool_)), evaluation_(std::move(other.evaluation_)) {}
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Lease& operator=(Lease&&) = delete;
    ~Lease();

    Evaluation& operator*() const { return *evaluation_; }
    Evaluation* operator->() const { return evaluation_.get(); }

   private:
    friend class EvaluationPool;
    Lease(std::shared_ptr<EvaluationPool> pool, std::unique_ptr<Evaluation> evaluation)
        : pool_(std::move(pool)), evaluation_(std::move(evaluation)) {}
    std::shared_ptr<EvaluationPool> pool_;
    std::unique_ptr<Evaluation> evaluation_;
  };

  Lease Acquire();

  const RuleBase& rule_base() const { return *rule_base_; }

 private:
  void Release(std::unique_ptr<Evaluation> evaluation);

  const std::shared_ptr<const RuleBase> rule_base_;
  Evaluation baseline_;
  std::vector<int> baseline_concluded_;
  QuestionReach question_reach_;  // from baseline_, which is declared first
  // Taken twice per diagnosis. A plain std::mutex: Debian's Abseil is built with its
  // debugging on, and its Mutex records every acquisition in a process-wide deadlock graph
  // unless the program turns that off.
  std::mutex mutex_;
  std::vector<std::unique_ptr<Evaluation>> free_;  // guarded by mutex_
};

}  // namespace align::inference

#endif  // ALIGN_INFERENCE_EVAL_EVALUATION_POOL_H_
