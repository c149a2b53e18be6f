#pragma once
// De-closure of each cell's composition: below-detection replacement, then clr (or log, or none),
// then standardisation with constants fitted on training cells.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace geoprosp {

struct StackWindow;

enum class Transform { Clr, Log, None };
std::string ToString(Transform transform);
Transform ParseTransform(const std::string& text);  // throws UsageError

struct CompositionParams {
  Transform transform = Transform::Clr;
  std::string zero_rule = "half-min";    // "half-min", or a fixed concentration
  std::vector<double> zero_replacement;  // per element: what zero or negative values become
  std::vector<double> mean, sd;          // per element, of the transformed values
};

struct ReplacementCounts {
  std::vector<int64_t> replaced;  // per element
  int64_t total() const;
  void Add(const ReplacementCounts& other);
};

// Replacement values for `rule`: "half-min" is half the smallest positive value of each element
// over `rows` (all rows when empty); a number is used as is. `element_names` name errors.
std::vector<double> ZeroReplacementValues(const std::string& rule, const float* raw, size_t n, int n_elements,
                                          const std::vector<size_t>& rows,
                                          const std::vector<std::string>& element_names);

// Fits replacement, transform and standardisation on raw cell-major concentrations (n x E).
CompositionParams FitComposition(Transform transform, const std::string& zero_rule, const float* raw, size_t n,
                                 int n_elements, const std::vector<size_t>& rows,
                                 const std::vector<std::string>& element_names);

// Transforms cells in place (cell-major n x E); counts replacements when `counts` is given.
void TransformCells(const CompositionParams& params, float* cells, size_t n, int n_elements, ReplacementCounts* counts);

// The standardised features of a window, cell-major (cells x E); invalid cells are left at 0.
void TransformWindow(const CompositionParams& params, const StackWindow& window, std::vector<float>& features,
                     ReplacementCounts& counts);

}  // namespace geoprosp
