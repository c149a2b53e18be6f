#pragma once
// The graph of each cell: elements are nodes, an edge joins two elements whose Pearson |r| exceeds
// alpha, and Â = D^-1/2 (A + I) D^-1/2 is what the GNN layers multiply by.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace geoprosp {

enum class GraphMode { Global, Window };
enum class EdgeWeight { Binary, AbsR };
std::string ToString(GraphMode mode);
std::string ToString(EdgeWeight weight);
GraphMode ParseGraphMode(const std::string& text);
EdgeWeight ParseEdgeWeight(const std::string& text);

struct GraphSpec {
  GraphMode mode = GraphMode::Global;
  int window = 5;  // k of the k x k neighbourhood, odd
  double alpha = 0.6;
  EdgeWeight edge_weight = EdgeWeight::Binary;
  int halo() const { return mode == GraphMode::Window ? window / 2 : 0; }
};

// Pearson r between the columns of cell-major data (n x E) over `rows` (all when empty).
std::vector<double> Correlation(const float* cells, size_t n, int n_elements, const std::vector<size_t>& rows);

// Â (E x E, row-major) from a correlation matrix.
void NormalisedAdjacency(const double* correlation, int n_elements, double alpha, EdgeWeight weight, float* out);
std::vector<float> NormalisedAdjacency(const std::vector<double>& correlation, int n_elements, double alpha,
                                       EdgeWeight weight);

// Window mode: Â of the cell at (col, row) of a window (cell-major features, width x height),
// from r over its k x k neighbourhood's valid cells. Fewer than 3 valid neighbours give no edges.
void WindowAdjacency(const float* features, const uint8_t* valid, int width, int height, int n_elements, int col,
                     int row, const GraphSpec& spec, float* out);

}  // namespace geoprosp
