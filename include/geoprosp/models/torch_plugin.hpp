#pragma once
// The LibTorch scorer is a plugin, libgeoprosp_torch_scorer.so (built from src/training/), that
// MakeScorer opens only for --engine torch or --device cuda: the tools that only map link no LibTorch
// and start without loading it.
#include <cstddef>

namespace geoprosp {

class Scorer;
struct Bundle;

constexpr char kTorchPluginFile[] = "libgeoprosp_torch_scorer.so";
// A path to the plugin that replaces the search beside the executable.
constexpr char kTorchPluginVariable[] = "GEOPROSP_TORCH_PLUGIN";
constexpr char kTorchPluginEntry[] = "geoprosp_make_torch_scorer";

// The plugin's one entry point. Returns a new scorer, or nullptr with the problem in `error`: no
// exception crosses the plugin's boundary. `version` and `bundle_size` (GEOPROSP_VERSION and
// sizeof(Bundle) of the caller) must match the plugin's, since both sides share Bundle's layout.
using MakeTorchScorerFunction = Scorer* (*)(const char* version, size_t bundle_size, const Bundle* bundle, bool cuda,
                                            int threads, char* error, size_t error_size);

}  // namespace geoprosp
