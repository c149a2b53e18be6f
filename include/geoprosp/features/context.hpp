#pragma once
// Spatial context as node features: next to its own standardised value, each element's node gets the
// mean and standard deviation of that element's standardised values over a k x k window around the
// cell, at one or two scales. Computed from the same windows (and halo) as the window graphs, so that
// strips and tiles give the same bytes as a whole-raster run.
#include <cstdint>
#include <string>
#include <vector>

namespace geoprosp {

struct ContextSpec {
  std::vector<int> windows;  // k of each scale: odd, >= 3; empty: no context (one value per node)
  bool active() const { return !windows.empty(); }
  // Values per node: the value, then the mean and standard deviation at each scale.
  int node_features() const { return 1 + 2 * static_cast<int>(windows.size()); }
  int halo() const;  // the largest k / 2 (0 without context)
};

constexpr int kMaxContextScales = 2;
constexpr int kMaxContextWindow = 51;

// "3" or "3,7": one or two odd window sizes in [3, 51], increasing; "" or "none": no context.
// Throws UsageError naming `option`.
ContextSpec ParseContext(const std::string& text, const std::string& option = "--context");
std::string ToString(const ContextSpec& spec);  // "3,7", or "none"
// Throws Error(subject, ...) when the windows are not what ParseContext accepts.
void CheckContext(const ContextSpec& spec, const std::string& subject);

// The node features of the cell at (col, row) of a window of standardised features (cell-major,
// width x height cells of E values), F x E values in `out` (F = spec.node_features()): block 0 holds
// the cell's E values; then for each scale, E window means and E window standard deviations. Only
// valid cells count: nodata cells, and cells past the window's edges (the raster's edges, as strips
// read their halo as invalid cells), are skipped. The cell itself is valid, so a window has at least
// one value; a window of one valid cell has standard deviation 0. The sums run in double, in row-major
// order, so every strip or tile gives the same bytes.
void NodeFeatures(const float* features, const uint8_t* valid, int width, int height, int n_elements, int col, int row,
                  const ContextSpec& spec, float* out);

}  // namespace geoprosp
