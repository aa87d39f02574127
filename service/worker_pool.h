// A fixed set of threads that run submitted tasks in order of submission.
#ifndef ALIGN_SERVICE_WORKER_POOL_H_
#define ALIGN_SERVICE_WORKER_POOL_H_

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace align::service {

class WorkerPool {
 public:
  // `threads` below 1 counts as 1.
  explicit WorkerPool(int threads);
  // Runs every task already submitted, then joins the threads.
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void Submit(std::function<void()> task) ABSL_LOCKS_EXCLUDED(mu_);

  int size() const { return static_cast<int>(threads_.size()); }

 private:
  void Work();
  bool ReadyToWork() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace align::service

#endif  // ALIGN_SERVICE_WORKER_POOL_H_
