// The dependency model: which node's value feeds which conclusion. A thin wrapper over a
// Boost.Graph adjacency list so that the rest of the engine sees plain node indices.
#ifndef ALIGN_INFERENCE_GRAPH_DEPENDENCY_GRAPH_H_
#define ALIGN_INFERENCE_GRAPH_DEPENDENCY_GRAPH_H_

#include <memory>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace align::inference {

class DependencyGraph {
 public:
  explicit DependencyGraph(int node_count);
  ~DependencyGraph();
  DependencyGraph(DependencyGraph&&) noexcept;
  DependencyGraph& operator=(DependencyGraph&&) noexcept;

  // Records that a rule concluding `to` reads `from`. Repeated edges are kept once.
  void AddEdge(int from, int to);

  int node_count() const { return node_count_; }
  // Distinct edges (from, to), sorted; built on each call.
  std::vector<std::pair<int, int>> edges() const;

  // Every cycle as the sorted member list of a strongly connected component (a node with a
  // self-edge counts); components ordered by their smallest member. Empty for a DAG.
  std::vector<std::vector<int>> Cycles() const;

  // All nodes, each after everything it depends on; ties broken by smaller index first so the
  // order is deterministic. FailedPrecondition when the graph has a cycle.
  absl::StatusOr<std::vector<int>> TopologicalOrder() const;

  // Nodes reachable from `start` along edges (what a change of `start` can affect),
  // `start` excluded, sorted by index.
  std::vector<int> Downstream(int start) const;

  // Nodes from which `target` is reachable (what it depends on), `target` excluded, sorted.
  std::vector<int> Upstream(int target) const;

 private:
  struct Impl;
  int node_count_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace align::inference

#endif  // ALIGN_INFERENCE_GRAPH_DEPENDENCY_GRAPH_H_
