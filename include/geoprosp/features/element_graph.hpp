#pragma once
// The graph of each cell: elements are nodes, an edge joins two elements whose Pearson |r| exceeds
// alpha, and Â = D^-1/2 (A + I) D^-1/2 is what the GNN layers multiply by.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace geoprosp {

// Global: one graph from the training cells' r. Window: each cell's graph from r over its k x k
// neighbourhood. Hybrid: each cell's graph from a blend of both r (local structure, steadied by the
// regional one).
enum class GraphMode { Global, Window, Hybrid };
enum class EdgeWeight { Binary, AbsR };
// Threshold: an edge where |r| > alpha. TopK: each element's k strongest |r| (an edge when either end
// picks it), so that the graph is never empty whatever the data's correlations.
enum class EdgeRule { Threshold, TopK };
std::string ToString(GraphMode mode);
std::string ToString(EdgeWeight weight);
std::string ToString(EdgeRule rule);
GraphMode ParseGraphMode(const std::string& text);
EdgeWeight ParseEdgeWeight(const std::string& text);
EdgeRule ParseEdgeRule(const std::string& text);

struct GraphSpec {
  GraphMode mode = GraphMode::Global;
  int window = 5;  // k of the k x k neighbourhood, odd
  double alpha = 0.6;
  EdgeWeight edge_weight = EdgeWeight::Binary;
  EdgeRule rule = EdgeRule::Threshold;
  int top_k = 3;
  double global_share = 0.5;  // hybrid: r = share x global r + (1 - share) x window r
  bool per_cell() const { return mode != GraphMode::Global; }
  int halo() const { return per_cell() ? window / 2 : 0; }
};

// Pearson r between the columns of cell-major data (n x E) over `rows` (all when empty).
std::vector<double> Correlation(const float* cells, size_t n, int n_elements, const std::vector<size_t>& rows);

// Â (E x E, row-major) from a correlation matrix.
void NormalisedAdjacency(const double* correlation, int n_elements, double alpha, EdgeWeight weight, float* out);
std::vector<float> NormalisedAdjacency(const std::vector<double>& correlation, int n_elements, double alpha,
                                       EdgeWeight weight);

// Â under the spec's edge rule (threshold at alpha, or top-k) and edge weight.
void GraphAdjacency(const double* correlation, int n_elements, const GraphSpec& spec, float* out);
std::vector<float> GraphAdjacency(const std::vector<double>& correlation, int n_elements, const GraphSpec& spec);

// Edges (pairs of distinct elements) the spec's rule keeps.
int CountEdges(const std::vector<double>& correlation, int n_elements, const GraphSpec& spec);

// Window and hybrid modes: Â of the cell at (col, row) of a window (cell-major features, width x
// height), from r over its k x k neighbourhood's valid cells (blended with `global_correlation` in
// hybrid mode). Fewer than 3 valid neighbours give no window edges.
void WindowAdjacency(const float* features, const uint8_t* valid, int width, int height, int n_elements, int col,
                     int row, const GraphSpec& spec, float* out, const double* global_correlation = nullptr);

}  // namespace geoprosp
