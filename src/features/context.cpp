#include "geoprosp/features/context.hpp"

#include <algorithm>
#include <cmath>

#include "geoprosp/core/error.hpp"
#include "geoprosp/core/options.hpp"
#include "window_cells.hpp"

namespace geoprosp {

int ContextSpec::halo() const {
  int halo = 0;
  for (int k : windows) halo = std::max(halo, k / 2);
  return halo;
}

namespace {
// What is wrong with `windows`, or "".
std::string ContextProblem(const std::vector<int>& windows) {
  if (windows.size() > size_t(kMaxContextScales)) return "takes one or two window sizes, e.g. 3 or 3,7";
  for (size_t i = 0; i < windows.size(); ++i) {
    const int k = windows[i];
    if (k < 3 || k > kMaxContextWindow || k % 2 == 0)
      return "window sizes must be odd numbers in [3, " + std::to_string(kMaxContextWindow) + "], got " +
             std::to_string(k);
    if (i > 0 && k <= windows[i - 1]) return "window sizes must increase, e.g. 3,7";
  }
  return "";
}
}  // namespace

ContextSpec ParseContext(const std::string& text, const std::string& option) {
  ContextSpec spec;
  if (text.empty() || text == "none") return spec;
  OptionSpec number;
  number.name = option.substr(option.find_first_not_of('-'));
  number.min = 0;
  number.max = 1000;
  for (const auto& item : SplitList(text)) spec.windows.push_back(static_cast<int>(ParseIntOption(number, item)));
  const std::string problem = ContextProblem(spec.windows);
  if (!problem.empty()) throw UsageError(option, problem);
  return spec;
}

std::string ToString(const ContextSpec& spec) {
  if (!spec.active()) return "none";
  std::string out;
  for (int k : spec.windows) out += (out.empty() ? "" : ",") + std::to_string(k);
  return out;
}

void CheckContext(const ContextSpec& spec, const std::string& subject) {
  const std::string problem = ContextProblem(spec.windows);
  if (!problem.empty()) throw Error(subject, "declares a spatial context whose " + problem);
}

void NodeFeatures(const float* features, const uint8_t* valid, int width, int height, int n_elements, int col, int row,
                  const ContextSpec& spec, float* out) {
  const int n = n_elements;
  const float* own = features + (size_t(row) * width + col) * n;
  std::copy_n(own, n, out);
  double sum[256], squares[256];  // E <= 256 (as the window graphs)
  for (size_t s = 0; s < spec.windows.size(); ++s) {
    const WindowCells window(valid, width, height, col, row, spec.windows[s] / 2);
    std::fill_n(sum, n, 0.0);
    std::fill_n(squares, n, 0.0);
    const int count = window.ForEachValid([&](size_t cell) {
      const float* f = features + cell * n;
      for (int e = 0; e < n; ++e) sum[e] += f[e];
    });
    for (int e = 0; e < n; ++e) sum[e] /= std::max(count, 1);  // the means
    window.ForEachValid([&](size_t cell) {
      const float* f = features + cell * n;
      for (int e = 0; e < n; ++e) squares[e] += (f[e] - sum[e]) * (f[e] - sum[e]);
    });
    float* mean = out + (1 + 2 * s) * n;
    float* sd = mean + n;
    for (int e = 0; e < n; ++e) {
      mean[e] = static_cast<float>(sum[e]);
      sd[e] = static_cast<float>(std::sqrt(squares[e] / std::max(count, 1)));
    }
  }
}

}  // namespace geoprosp
