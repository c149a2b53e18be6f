#include "geoprosp/features/element_graph.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "geoprosp/core/error.hpp"
#include "window_cells.hpp"

namespace geoprosp {

std::string ToString(GraphMode mode) {
  switch (mode) {
    case GraphMode::Global:
      return "global";
    case GraphMode::Window:
      return "window";
    case GraphMode::Hybrid:
      return "hybrid";
  }
  return "global";
}
std::string ToString(EdgeWeight weight) { return weight == EdgeWeight::Binary ? "binary" : "abs-r"; }
std::string ToString(EdgeRule rule) { return rule == EdgeRule::Threshold ? "threshold" : "top-k"; }

GraphMode ParseGraphMode(const std::string& text) {
  if (text == "global") return GraphMode::Global;
  if (text == "window") return GraphMode::Window;
  if (text == "hybrid") return GraphMode::Hybrid;
  throw UsageError("--graph", "expects global|window|hybrid, got '" + text + "'");
}

EdgeRule ParseEdgeRule(const std::string& text) {
  if (text == "threshold") return EdgeRule::Threshold;
  if (text == "top-k") return EdgeRule::TopK;
  throw UsageError("--edge-rule", "expects threshold|top-k, got '" + text + "'");
}

EdgeWeight ParseEdgeWeight(const std::string& text) {
  if (text == "binary") return EdgeWeight::Binary;
  if (text == "abs-r") return EdgeWeight::AbsR;
  throw UsageError("--edge-weight", "expects binary|abs-r, got '" + text + "'");
}

namespace {
// The per-cell graphs (WindowAdjacency) are compiled for x86-64-v4 (AVX-512) and v3 (AVX2) besides
// the baseline, and the CPU picks one when the program loads (GCC's target_clones). Every version
// gives the same bits: products, sums, square roots and divisions are IEEE in any lane width, and
// the build contracts nothing into FMAs. The helpers marked GEOPROSP_INLINE go into each version.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define GEOPROSP_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define GEOPROSP_CLONES
#endif
#define GEOPROSP_INLINE inline __attribute__((always_inline))

// out[j] = numerator[j] / sqrt(left * right[j]) where that root exceeds `floor`, else 0. Vectorised
// (this file has -fno-math-errno -fno-trapping-math, which change no value).
GEOPROSP_INLINE void RatioToRootProduct(const double* numerator, double left, const double* right, int n, double floor,
                                        double* out) {
  for (int j = 0; j < n; ++j) {
    const double root = std::sqrt(left * right[j]);
    out[j] = root > floor ? numerator[j] / root : 0.0;
  }
}

// r from centred sums; a constant column correlates with nothing.
GEOPROSP_INLINE void CorrelationFromCentred(const double* cross, int n_elements, double* r) {
  double diagonal[256];
  for (int i = 0; i < n_elements; ++i) diagonal[i] = cross[i * n_elements + i];
  for (int i = 0; i < n_elements; ++i) {
    RatioToRootProduct(cross + i * n_elements, diagonal[i], diagonal, n_elements, 1e-30, r + i * n_elements);
    r[i * n_elements + i] = 1.0;
  }
}

typedef double Doubles8 __attribute__((vector_size(8 * sizeof(double))));  // GCC/Clang vector extension

// cross[a][b] = sum over the rows of centred[a] * centred[b], rows in order; `stride` is n rounded up
// to 8, zero-padded. An 8 x 8 block of sums stays in registers; only blocks on or above the diagonal
// are summed, the rest mirrored (the same products in the same order).
GEOPROSP_INLINE void CrossProducts(const double* centred, int rows, int n, int stride, double* cross) {
  for (int a0 = 0; a0 < n; a0 += 8) {
    for (int b0 = a0; b0 < n; b0 += 8) {
      Doubles8 sum[8] = {};
      for (int m = 0; m < rows; ++m) {
        const double* c = centred + size_t(m) * stride;
        Doubles8 right;
        std::memcpy(&right, c + b0, sizeof(right));
        for (int i = 0; i < 8; ++i) sum[i] += c[a0 + i] * right;
      }
      for (int i = 0; i < 8 && a0 + i < n; ++i) {
        for (int j = 0; j < 8 && b0 + j < n; ++j) cross[(a0 + i) * n + b0 + j] = sum[i][j];
      }
    }
  }
  for (int a = 0; a < n; ++a) {
    for (int b = 0; b < a; ++b) cross[a * n + b] = cross[b * n + a];
  }
}

int PaddedTo8(int n) { return (n + 7) / 8 * 8; }

// Per-thread scratch, so that the per-cell WindowAdjacency allocates nothing.
struct Scratch {
  std::vector<double> centred, cross, r;
};
thread_local Scratch scratch;
}  // namespace

std::vector<double> Correlation(const float* cells, size_t n, int n_elements, const std::vector<size_t>& rows) {
  const size_t count = rows.empty() ? n : rows.size();
  std::vector<double> mean(n_elements, 0.0), cross(size_t(n_elements) * n_elements, 0.0);
  for (size_t i = 0; i < count; ++i) {
    const float* x = cells + (rows.empty() ? i : rows[i]) * n_elements;
    for (int e = 0; e < n_elements; ++e) mean[e] += x[e];
  }
  for (auto& m : mean) m /= std::max<size_t>(count, 1);
  std::vector<double> centred(n_elements);
  for (size_t i = 0; i < count; ++i) {
    const float* x = cells + (rows.empty() ? i : rows[i]) * n_elements;
    for (int e = 0; e < n_elements; ++e) centred[e] = x[e] - mean[e];
    for (int a = 0; a < n_elements; ++a) {
      for (int b = a; b < n_elements; ++b) cross[a * n_elements + b] += centred[a] * centred[b];
    }
  }
  for (int a = 0; a < n_elements; ++a) {
    for (int b = 0; b < a; ++b) cross[a * n_elements + b] = cross[b * n_elements + a];
  }
  std::vector<double> r(size_t(n_elements) * n_elements);
  CorrelationFromCentred(cross.data(), n_elements, r.data());
  return r;
}

namespace {

// Each element's `k` strongest |r| to the others, as a symmetric 0/1 mask (an edge when either end
// picks it); ties go to the lower index, so the mask is the same on every platform.
void TopKMask(const double* correlation, int n_elements, int k, uint8_t* mask) {
  std::fill_n(mask, size_t(n_elements) * n_elements, uint8_t{0});
  std::vector<int> order(n_elements);
  for (int i = 0; i < n_elements; ++i) {
    int m = 0;
    for (int j = 0; j < n_elements; ++j) {
      if (j != i) order[m++] = j;
    }
    const int keep = std::min(k, m);
    std::partial_sort(order.begin(), order.begin() + keep, order.begin() + m, [&](int a, int b) {
      const double ra = std::abs(correlation[i * n_elements + a]), rb = std::abs(correlation[i * n_elements + b]);
      return ra != rb ? ra > rb : a < b;
    });
    for (int t = 0; t < keep; ++t) mask[i * n_elements + order[t]] = mask[order[t] * n_elements + i] = 1;
  }
}

// A (self-loops on the diagonal) to D^-1/2 A D^-1/2.
GEOPROSP_INLINE void Normalise(double* adjacency, int n_elements, float* out) {
  double degree[256], row[256];
  for (int i = 0; i < n_elements; ++i) {
    degree[i] = 0;
    for (int j = 0; j < n_elements; ++j) degree[i] += adjacency[i * n_elements + j];
  }
  for (int i = 0; i < n_elements; ++i) {
    RatioToRootProduct(adjacency + i * n_elements, degree[i], degree, n_elements, 0.0, row);
    for (int j = 0; j < n_elements; ++j) out[i * n_elements + j] = static_cast<float>(row[j]);
  }
}

// The edges the spec's rule keeps, weighted by its edge weight, with self-loops: 1 or |r| per edge.
GEOPROSP_INLINE void RuleAdjacency(const double* correlation, int n_elements, const GraphSpec& spec,
                                   double* adjacency) {
  std::vector<uint8_t> mask;
  if (spec.rule == EdgeRule::TopK) {
    mask.resize(size_t(n_elements) * n_elements);
    TopKMask(correlation, n_elements, spec.top_k, mask.data());
  }
  for (int i = 0; i < n_elements; ++i) {
    double* a = adjacency + i * n_elements;
    for (int j = 0; j < n_elements; ++j) {
      const double r = std::abs(correlation[i * n_elements + j]);
      const bool edge = spec.rule == EdgeRule::TopK ? mask[i * n_elements + j] != 0 : r > spec.alpha;
      a[j] = edge ? (spec.edge_weight == EdgeWeight::Binary ? 1.0 : r) : 0.0;
    }
    a[i] = 1.0;  // self-loop
  }
}

// Â from r: GraphAdjacency, and inlined into each version of WindowAdjacency.
GEOPROSP_INLINE void AdjacencyFromCorrelation(const double* correlation, int n_elements, const GraphSpec& spec,
                                              float* out) {
  double on_stack[64 * 64];  // up to 64 elements on the stack; larger sets use the heap
  std::vector<double> heap;
  double* adjacency = on_stack;
  if (n_elements > 64) {
    heap.resize(size_t(n_elements) * n_elements);
    adjacency = heap.data();
  }
  RuleAdjacency(correlation, n_elements, spec, adjacency);
  Normalise(adjacency, n_elements, out);
}

}  // namespace

void GraphAdjacency(const double* correlation, int n_elements, const GraphSpec& spec, float* out) {
  AdjacencyFromCorrelation(correlation, n_elements, spec, out);
}

std::vector<float> GraphAdjacency(const std::vector<double>& correlation, int n_elements, const GraphSpec& spec) {
  std::vector<float> out(size_t(n_elements) * n_elements);
  GraphAdjacency(correlation.data(), n_elements, spec, out.data());
  return out;
}

int CountEdges(const std::vector<double>& correlation, int n_elements, const GraphSpec& spec) {
  std::vector<double> adjacency(size_t(n_elements) * n_elements);
  RuleAdjacency(correlation.data(), n_elements, spec, adjacency.data());
  int edges = 0;
  for (int i = 0; i < n_elements; ++i) {
    for (int j = i + 1; j < n_elements; ++j) edges += adjacency[i * n_elements + j] != 0 ? 1 : 0;
  }
  return edges;
}

void NormalisedAdjacency(const double* correlation, int n_elements, double alpha, EdgeWeight weight, float* out) {
  GraphSpec spec;
  spec.alpha = alpha;
  spec.edge_weight = weight;
  GraphAdjacency(correlation, n_elements, spec, out);
}

std::vector<float> NormalisedAdjacency(const std::vector<double>& correlation, int n_elements, double alpha,
                                       EdgeWeight weight) {
  std::vector<float> out(size_t(n_elements) * n_elements);
  NormalisedAdjacency(correlation.data(), n_elements, alpha, weight, out.data());
  return out;
}

GEOPROSP_CLONES void WindowAdjacency(const float* features, const uint8_t* valid, int width, int height, int n_elements,
                                     int col, int row, const GraphSpec& spec, float* out,
                                     const double* global_correlation) {
  const int stride = PaddedTo8(n_elements);
  const WindowCells window(valid, width, height, col, row, spec.window / 2);
  Scratch& s = scratch;
  s.centred.assign(window.size() * stride, 0.0);
  s.cross.resize(size_t(n_elements) * n_elements);
  s.r.assign(size_t(n_elements) * n_elements, 0.0);
  double mean[256] = {0};
  // The visits are inlined into each clone of this function (a call would be built for the baseline).
  const int count = window.ForEachValid([&](size_t cell) __attribute__((always_inline)) {
    const float* f = features + cell * n_elements;
    for (int e = 0; e < n_elements; ++e) mean[e] += f[e];
  });
  if (count >= 3) {
    for (int e = 0; e < n_elements; ++e) mean[e] /= count;
    int m = 0;
    window.ForEachValid([&](size_t cell) __attribute__((always_inline)) {
      const float* f = features + cell * n_elements;
      double* c = s.centred.data() + size_t(m++) * stride;
      for (int e = 0; e < n_elements; ++e) c[e] = f[e] - mean[e];
    });
    CrossProducts(s.centred.data(), count, n_elements, stride, s.cross.data());
    CorrelationFromCentred(s.cross.data(), n_elements, s.r.data());
  } else {
    for (int e = 0; e < n_elements; ++e) s.r[e * n_elements + e] = 1.0;
  }
  if (spec.mode == GraphMode::Hybrid && global_correlation) {
    const double share = spec.global_share;
    for (size_t i = 0; i < s.r.size(); ++i) s.r[i] = share * global_correlation[i] + (1 - share) * s.r[i];
  }
  AdjacencyFromCorrelation(s.r.data(), n_elements, spec, out);
}

}  // namespace geoprosp
