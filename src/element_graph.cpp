#include "geoprosp/element_graph.hpp"

#include <algorithm>
#include <cmath>

#include "geoprosp/error.hpp"

namespace geoprosp {

std::string ToString(GraphMode mode) { return mode == GraphMode::Global ? "global" : "window"; }
std::string ToString(EdgeWeight weight) { return weight == EdgeWeight::Binary ? "binary" : "abs-r"; }

GraphMode ParseGraphMode(const std::string& text) {
  if (text == "global") return GraphMode::Global;
  if (text == "window") return GraphMode::Window;
  throw UsageError("--graph", "expects global|window, got '" + text + "'");
}

EdgeWeight ParseEdgeWeight(const std::string& text) {
  if (text == "binary") return EdgeWeight::Binary;
  if (text == "abs-r") return EdgeWeight::AbsR;
  throw UsageError("--edge-weight", "expects binary|abs-r, got '" + text + "'");
}

namespace {
// r from centred sums; a constant column correlates with nothing.
void CorrelationFromCentred(const std::vector<double>& cross, int n_elements, double* r) {
  for (int i = 0; i < n_elements; ++i) {
    for (int j = 0; j < n_elements; ++j) {
      const double denominator = std::sqrt(cross[i * n_elements + i] * cross[j * n_elements + j]);
      r[i * n_elements + j] = i == j ? 1.0 : (denominator > 1e-30 ? cross[i * n_elements + j] / denominator : 0.0);
    }
  }
}
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
  CorrelationFromCentred(cross, n_elements, r.data());
  return r;
}

void NormalisedAdjacency(const double* correlation, int n_elements, double alpha, EdgeWeight weight, float* out) {
  double degree[256];
  double a[256 * 256 / 16];  // up to 64 elements on the stack; larger sets use the heap below
  std::vector<double> heap;
  double* adjacency = a;
  if (n_elements > 64) {
    heap.resize(size_t(n_elements) * n_elements);
    adjacency = heap.data();
  }
  for (int i = 0; i < n_elements; ++i) {
    degree[i] = 0;
    for (int j = 0; j < n_elements; ++j) {
      const double r = std::abs(correlation[i * n_elements + j]);
      double value = 0;
      if (i == j) {
        value = 1.0;  // self-loop
      } else if (r > alpha) {
        value = weight == EdgeWeight::Binary ? 1.0 : r;
      }
      adjacency[i * n_elements + j] = value;
      degree[i] += value;
    }
  }
  for (int i = 0; i < n_elements; ++i) {
    for (int j = 0; j < n_elements; ++j) {
      out[i * n_elements + j] = static_cast<float>(adjacency[i * n_elements + j] / std::sqrt(degree[i] * degree[j]));
    }
  }
}

std::vector<float> NormalisedAdjacency(const std::vector<double>& correlation, int n_elements, double alpha,
                                       EdgeWeight weight) {
  std::vector<float> out(size_t(n_elements) * n_elements);
  NormalisedAdjacency(correlation.data(), n_elements, alpha, weight, out.data());
  return out;
}

void WindowAdjacency(const float* features, const uint8_t* valid, int width, int height, int n_elements, int col,
                     int row, const GraphSpec& spec, float* out) {
  const int half = spec.window / 2;
  double mean[256] = {0};
  int count = 0;
  const int r0 = std::max(row - half, 0), r1 = std::min(row + half, height - 1);
  const int c0 = std::max(col - half, 0), c1 = std::min(col + half, width - 1);
  for (int y = r0; y <= r1; ++y) {
    for (int x = c0; x <= c1; ++x) {
      const size_t cell = size_t(y) * width + x;
      if (!valid[cell]) continue;
      const float* f = features + cell * n_elements;
      for (int e = 0; e < n_elements; ++e) mean[e] += f[e];
      ++count;
    }
  }
  std::vector<double> cross(size_t(n_elements) * n_elements, 0.0);
  std::vector<double> r(size_t(n_elements) * n_elements, 0.0);
  if (count >= 3) {
    for (int e = 0; e < n_elements; ++e) mean[e] /= count;
    double centred[256];
    for (int y = r0; y <= r1; ++y) {
      for (int x = c0; x <= c1; ++x) {
        const size_t cell = size_t(y) * width + x;
        if (!valid[cell]) continue;
        const float* f = features + cell * n_elements;
        for (int e = 0; e < n_elements; ++e) centred[e] = f[e] - mean[e];
        for (int a = 0; a < n_elements; ++a) {
          for (int b = a; b < n_elements; ++b) cross[a * n_elements + b] += centred[a] * centred[b];
        }
      }
    }
    for (int a = 0; a < n_elements; ++a) {
      for (int b = 0; b < a; ++b) cross[a * n_elements + b] = cross[b * n_elements + a];
    }
    CorrelationFromCentred(cross, n_elements, r.data());
  } else {
    for (int e = 0; e < n_elements; ++e) r[e * n_elements + e] = 1.0;
  }
  NormalisedAdjacency(r.data(), n_elements, spec.alpha, spec.edge_weight, out);
}

}  // namespace geoprosp
