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

// Vectors throughout: a rule base adds each edge once and never removes one, so the graph is
// a few contiguous arrays rather than a tree node per edge end. AddEdge keeps edges distinct.
using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS,
                                    boost::no_property, boost::no_property, boost::no_property,
                                    boost::vecS>;
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

void DependencyGraph::AddEdge(int from, int to) {
  // Look for the edge among the shorter of from's out-edges and to's in-edges, so that a node
  // read by many rules, or a conclusion with many inputs, does not make insertion quadratic.
  Graph& g = impl_->graph;
  if (boost::out_degree(from, g) <= boost::in_degree(to, g)) {
    for (auto [it, end] = boost::out_edges(from, g); it != end; ++it) {
      if (static_cast<int>(boost::target(*it, g)) == to) return;
    }
  } else {
    for (auto [it, end] = boost::in_edges(to, g); it != end; ++it) {
      if (static_cast<int>(boost::source(*it, g)) == from) return;
    }
  }
  boost::add_edge(from, to, g);
}

std::vector<std::pair<int, int>> DependencyGraph::edges() const {
  std::vector<std::pair<int, int>> edges;
  if (impl_ == nullptr) return edges;  // moved from
  const Graph& g = impl_->graph;
  edges.reserve(boost::num_edges(g));
  for (int v = 0; v < node_count_; ++v) {
    // Out-edges are kept in insertion order; each node's run is sorted here.
    const size_t first = edges.size();
    for (auto [it, end] = boost::out_edges(v, g); it != end; ++it) {
      edges.emplace_back(v, static_cast<int>(boost::target(*it, g)));
    }
    std::sort(edges.begin() + first, edges.end());
  }
  return edges;
}

std::vector<std::vector<int>> DependencyGraph::Cycles() const {
  const Graph& g = impl_->graph;
  std::vector<int> component(node_count_);
  int count = boost::strong_components(
      g, boost::make_iterator_property_map(component.begin(), boost::get(boost::vertex_index, g)));
  // Gather members only for components that are cycles: in a rule base nearly every component
  // is a single node.
  std::vector<int> size(count, 0);
  for (int v = 0; v < node_count_; ++v) ++size[component[v]];
  std::vector<int> cycle_of(count, -1);
  std::vector<std::vector<int>> cycles;
  for (int v = 0; v < node_count_; ++v) {
    const int c = component[v];
    if (size[c] == 1 && !boost::edge(v, v, g).second) continue;
    if (cycle_of[c] < 0) {
      cycle_of[c] = static_cast<int>(cycles.size());
      cycles.emplace_back();
    }
    cycles[cycle_of[c]].push_back(v);
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
