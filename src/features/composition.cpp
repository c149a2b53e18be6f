#include "geoprosp/features/composition.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "geoprosp/core/error.hpp"
#include "geoprosp/core/options.hpp"
#include "geoprosp/io/raster_stack.hpp"

namespace geoprosp {

std::string ToString(Transform transform) {
  switch (transform) {
    case Transform::Clr:
      return "clr";
    case Transform::Log:
      return "log";
    case Transform::None:
      return "none";
  }
  return "clr";
}

Transform ParseTransform(const std::string& text) {
  if (text == "clr") return Transform::Clr;
  if (text == "log") return Transform::Log;
  if (text == "none") return Transform::None;
  throw UsageError("--transform", "expects clr|log|none, got '" + text + "'");
}

int64_t ReplacementCounts::total() const {
  int64_t sum = 0;
  for (auto count : replaced) sum += count;
  return sum;
}

void ReplacementCounts::Add(const ReplacementCounts& other) {
  if (replaced.size() < other.replaced.size()) replaced.resize(other.replaced.size(), 0);
  for (size_t e = 0; e < other.replaced.size(); ++e) replaced[e] += other.replaced[e];
}

std::vector<double> ZeroReplacementValues(const std::string& rule, const float* raw, size_t n, int n_elements,
                                          const std::vector<size_t>& rows,
                                          const std::vector<std::string>& element_names) {
  if (rule != "half-min") {
    OptionSpec spec;
    spec.name = "zero-replace";
    spec.min = std::numeric_limits<double>::min();
    return std::vector<double>(n_elements, ParseFloatOption(spec, rule));
  }
  std::vector<double> smallest(n_elements, std::numeric_limits<double>::infinity());
  const size_t count = rows.empty() ? n : rows.size();
  for (size_t i = 0; i < count; ++i) {
    const float* cell = raw + (rows.empty() ? i : rows[i]) * n_elements;
    for (int e = 0; e < n_elements; ++e) {
      if (cell[e] > 0 && cell[e] < smallest[e]) smallest[e] = cell[e];
    }
  }
  for (int e = 0; e < n_elements; ++e) {
    if (!std::isfinite(smallest[e])) {
      throw Error(element_names.at(e),
                  "has no positive concentration in the training cells, so it cannot be log-ratio transformed");
    }
    smallest[e] *= 0.5;
  }
  return smallest;
}

namespace {
// One cell, in place: replacement, transform, and standardisation when the constants exist.
void TransformCell(const CompositionParams& p, float* x, int n_elements, int64_t* replaced) {
  double logs[256];
  double mean_log = 0;
  for (int e = 0; e < n_elements; ++e) {
    double value = x[e];
    if (value <= 0) {
      value = p.zero_replacement[e];
      if (replaced) ++replaced[e];
    }
    logs[e] = p.transform == Transform::None ? value : std::log(value);
    mean_log += logs[e];
  }
  mean_log /= n_elements;
  const bool centre = p.transform == Transform::Clr;
  const bool standardise = !p.mean.empty();
  for (int e = 0; e < n_elements; ++e) {
    double t = centre ? logs[e] - mean_log : logs[e];
    if (standardise) t = (t - p.mean[e]) / p.sd[e];
    x[e] = static_cast<float>(t);
  }
}
}  // namespace

CompositionParams FitComposition(Transform transform, const std::string& zero_rule, const float* raw, size_t n,
                                 int n_elements, const std::vector<size_t>& rows,
                                 const std::vector<std::string>& element_names) {
  if (n_elements < 2 || n_elements > 256)
    throw Error("inputs", "need 2 to 256 elements, got " + std::to_string(n_elements));
  CompositionParams params;
  params.transform = transform;
  params.zero_rule = zero_rule;
  params.zero_replacement = ZeroReplacementValues(zero_rule, raw, n, n_elements, rows, element_names);
  const size_t count = rows.empty() ? n : rows.size();
  if (count < 2) throw Error("training cells", "fewer than 2 valid cells to fit the transform on");
  std::vector<double> sum(n_elements, 0), sum_sq(n_elements, 0);
  std::vector<float> cell(n_elements);
  for (size_t i = 0; i < count; ++i) {
    const float* source = raw + (rows.empty() ? i : rows[i]) * n_elements;
    cell.assign(source, source + n_elements);
    TransformCell(params, cell.data(), n_elements, nullptr);
    for (int e = 0; e < n_elements; ++e) {
      sum[e] += cell[e];
      sum_sq[e] += double(cell[e]) * cell[e];
    }
  }
  params.mean.resize(n_elements);
  params.sd.resize(n_elements);
  for (int e = 0; e < n_elements; ++e) {
    params.mean[e] = sum[e] / count;
    const double variance = std::max(0.0, sum_sq[e] / count - params.mean[e] * params.mean[e]);
    params.sd[e] = variance > 1e-24 ? std::sqrt(variance) : 1.0;  // a constant element stays at 0
  }
  return params;
}

void TransformCells(const CompositionParams& params, float* cells, size_t n, int n_elements,
                    ReplacementCounts* counts) {
  if (counts) counts->replaced.resize(n_elements, 0);
  for (size_t i = 0; i < n; ++i) {
    TransformCell(params, cells + i * n_elements, n_elements, counts ? counts->replaced.data() : nullptr);
  }
}

void TransformWindow(const CompositionParams& params, const StackWindow& window, std::vector<float>& features,
                     ReplacementCounts& counts) {
  const int n_elements = window.n_elements;
  const int64_t cells = static_cast<int64_t>(window.cells());
  features.resize(size_t(cells) * n_elements);
  counts.replaced.resize(n_elements, 0);
  // Cells are independent, and the counts are integer sums: any split gives the same result.
#pragma omp parallel
  {
    std::vector<int64_t> replaced(n_elements, 0);
#pragma omp for schedule(static)
    for (int64_t c = 0; c < cells; ++c) {
      float* x = features.data() + c * n_elements;
      if (!window.valid[c]) {
        std::fill_n(x, n_elements, 0.0f);
        continue;
      }
      for (int e = 0; e < n_elements; ++e) x[e] = window.values[size_t(e) * cells + c];
      TransformCell(params, x, n_elements, replaced.data());
    }
#pragma omp critical
    for (int e = 0; e < n_elements; ++e) counts.replaced[e] += replaced[e];
  }
}

}  // namespace geoprosp
