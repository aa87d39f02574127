#include "inference/graph/dependency_graph.h"

#include <algorithm>
#include <functional>
#include <map>
#include <queue>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/reverse_graph.hpp>
#include <boost/graph/strong_components.hpp>

#include "absl/strings/str_cat.h"

namespace align::inference {

using Graph = boost::adjacency_list<boost::setS, boost::vecS, boost::bidirectionalS>;
using Vertex = boost::graph_traits<Graph>::vertex_descriptor;

struct DependencyGraph::Impl {
  explicit Impl(int n) : graph(n) {}
  Graph graph;
};

DependencyGraph::DependencyGraph(int node_count)
    : node_count_(node_count), impl_(std::make_unique<Impl>(node_count)) {}
DependencyGraph::~DependencyGraph() = default;
DependencyGraph::DependencyGraph(DependencyGraph&&) noexcept = default;
DependencyGraph& DependencyGraph::operator=(DependencyGraph&&) noexcept = default;

void DependencyGraph::AddEdge(int from, int to) { boost::add_edge(from, to, impl_->graph); }

std::vector<std::pair<int, int>> DependencyGraph::edges() const {
  // Out-edges are kept in a set ordered by target, so walking the vertices in index order
  // yields the edges sorted, without a sorted copy to maintain on every insertion.
  const Graph& g = impl_->graph;
  std::vector<std::pair<int, int>> edges;
  edges.reserve(boost::num_edges(g));
  for (int v = 0; v < node_count_; ++v) {
    for (auto [it, end] = boost::out_edges(v, g); it != end; ++it) {
      edges.emplace_back(v, static_cast<int>(boost::target(*it, g)));
    }
  }
  return edges;
}

std::vector<std::vector<int>> DependencyGraph::Cycles() const {
  const Graph& g = impl_->graph;
  std::vector<int> component(node_count_);
  int count = boost::strong_components(
      g, boost::make_iterator_property_map(component.begin(), boost::get(boost::vertex_index, g)));
  std::vector<std::vector<int>> members(count);
  for (int v = 0; v < node_count_; ++v) members[component[v]].push_back(v);
  std::vector<std::vector<int>> cycles;
  for (auto& group : members) {
    bool self_loop = group.size() == 1 && boost::edge(group[0], group[0], g).second;
    if (group.size() > 1 || self_loop) cycles.push_back(std::move(group));
  }
  std::sort(cycles.begin(), cycles.end());
  return cycles;
}

absl::StatusOr<std::vector<int>> DependencyGraph::TopologicalOrder() const {
  // Kahn's algorithm with a min-heap, so equal-rank nodes come out by index.
  const Graph& g = impl_->graph;
  std::vector<int> in_degree(node_count_);
  for (int v = 0; v < node_count_; ++v) in_degree[v] = static_cast<int>(boost::in_degree(v, g));
  std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
  for (int v = 0; v < node_count_; ++v) {
    if (in_degree[v] == 0) ready.push(v);
  }
  std::vector<int> order;
  order.reserve(node_count_);
  while (!ready.empty()) {
    int v = ready.top();
    ready.pop();
    order.push_back(v);
    for (auto [it, end] = boost::out_edges(v, g); it != end; ++it) {
      int w = static_cast<int>(boost::target(*it, g));
      if (--in_degree[w] == 0) ready.push(w);
    }
  }
  if (static_cast<int>(order.size()) != node_count_) {
    // Nodes left over include those downstream of a cycle; count only the cycles' members.
    size_t members = 0;
    for (const auto& cycle : Cycles()) members += cycle.size();
    return absl::FailedPreconditionError(absl::StrCat(
        "dependency graph has a cycle through ", members, members == 1 ? " node" : " nodes"));
  }
  return order;
}

namespace {

// Collects every vertex a breadth-first search discovers.
class CollectVisitor : public boost::default_bfs_visitor {
 public:
  explicit CollectVisitor(std::vector<int>* found) : found_(found) {}
  template <typename V, typename G>
  void discover_vertex(V v, const G&) const {
    found_->push_back(static_cast<int>(v));
  }

 private:
  std::vector<int>* found_;
};

template <typename G>
std::vector<int> Reachable(const G& g, int start) {
  std::vector<int> found;
  boost::breadth_first_search(g, boost::vertex(start, g), boost::visitor(CollectVisitor(&found)));
  found.erase(std::remove(found.begin(), found.end(), start), found.end());
  std::sort(found.begin(), found.end());
  return found;
}

}  // namespace

std::vector<int> DependencyGraph::Downstream(int start) const {
  return Reachable(impl_->graph, start);
}

std::vector<int> DependencyGraph::Upstream(int target) const {
  return Reachable(boost::make_reverse_graph(impl_->graph), target);
}

}  // namespace align::inference
