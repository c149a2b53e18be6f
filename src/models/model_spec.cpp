#include "geoprosp/models/model_spec.hpp"

#include "geoprosp/core/error.hpp"
#include "geoprosp/features/context.hpp"

namespace geoprosp {

void CheckModelSpec(const ModelSpec& spec, const std::string& prefix) {
  if (spec.arch != "resgcn" && spec.arch != "resgat")
    throw UsageError(prefix + "arch", "expects resgcn|resgat, got '" + spec.arch + "'");
  if (spec.hidden < 2 || spec.hidden > 4096) throw UsageError(prefix + "hidden", "must lie in [2, 4096]");
  if (spec.layers < 0 || spec.layers > 64) throw UsageError(prefix + "layers", "must lie in [0, 64]");
  if (spec.heads < 1 || spec.hidden % spec.heads != 0) {
    throw UsageError(prefix + "heads", "must divide " + prefix + "hidden (" + std::to_string(spec.hidden) + ")");
  }
  if (spec.dropout < 0 || spec.dropout >= 1) throw UsageError(prefix + "dropout", "must lie in [0, 1)");
  if (spec.node_features < 1 || spec.node_features > 1 + 2 * kMaxContextScales || spec.node_features % 2 == 0)
    throw UsageError(prefix + "node_features", "must be 1, 3 or 5 (the value, and a mean and SD per context scale)");
}

}  // namespace geoprosp
