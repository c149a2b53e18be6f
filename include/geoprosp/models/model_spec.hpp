#pragma once
// The architecture of a residual GNN: everything needed to rebuild it from its weights.
#include <cstdint>
#include <string>
#include <vector>

namespace geoprosp {

struct ModelSpec {
  std::string arch = "resgcn";  // resgcn | resgat
  int hidden = 64;
  int layers = 3;
  int heads = 4;  // resgat only
  double dropout = 0.5;
  // Values per node before the element's one-hot code: its value, then the mean and standard
  // deviation at each spatial-context scale (features/context.hpp): 1, 3 or 5.
  int node_features = 1;
};

// Throws UsageError for an architecture that cannot be built (e.g. hidden not divisible by heads),
// naming the field as `prefix` + its name ("--hidden"; "architecture.hidden" for a manifest).
void CheckModelSpec(const ModelSpec& spec, const std::string& prefix = "--");

struct NamedTensor {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> values;
};

}  // namespace geoprosp
