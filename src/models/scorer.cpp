#include "geoprosp/models/scorer.hpp"

#include <dlfcn.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "geoprosp/core/error.hpp"
#include "geoprosp/core/file_tree.hpp"
#include "geoprosp/models/bundle.hpp"
#include "geoprosp/models/torch_plugin.hpp"

namespace geoprosp {
namespace {

// $GEOPROSP_TORCH_PLUGIN, else GEOPROSP_PLUGIN_DIR beside the executable (lib/geoprosp/ next to
// bin/ when installed; the build tree has the same layout).
std::string TorchPluginPath() {
  if (const char* path = std::getenv(kTorchPluginVariable); path && *path) return path;
  return BesideExecutable(std::string(GEOPROSP_PLUGIN_DIR) + "/" + kTorchPluginFile);
}

// Opens the plugin once per process (and keeps it: its scorers' code lives there). `subject` is the
// option that asked for LibTorch, so that the error names it.
MakeTorchScorerFunction TorchPlugin(const std::string& subject) {
  static std::mutex mutex;
  static MakeTorchScorerFunction entry = nullptr;
  const std::lock_guard<std::mutex> lock(mutex);
  if (entry) return entry;
  const std::string path = TorchPluginPath();
  const std::string how = std::string("needs LibTorch, through the plugin ") + path;
  const std::string remedy = " (install geoprosp's LibTorch plugin, or set " + std::string(kTorchPluginVariable) +
                             " to its path; the default engine, --engine fused, needs no LibTorch)";
  if (path.empty() || access(path.c_str(), R_OK) != 0) throw Error(subject, how + ", which does not exist" + remedy);
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) throw Error(subject, how + ", which failed to load: " + dlerror() + remedy);
  entry = reinterpret_cast<MakeTorchScorerFunction>(dlsym(handle, kTorchPluginEntry));
  if (!entry) throw Error(subject, how + ", which has no " + kTorchPluginEntry + ": " + dlerror() + remedy);
  return entry;
}

}  // namespace

// The CPUs this process may run on (a Slurm task or taskset gets fewer than the machine has).
int DefaultThreadCount() {
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof(allowed), &allowed) == 0) return std::max(1, CPU_COUNT(&allowed));
  return std::max(1u, std::thread::hardware_concurrency());
}

std::unique_ptr<Scorer> MakeScorer(const Bundle& bundle, const ScorerSettings& settings) {
  if (settings.device != "cpu" && settings.device != "cuda") {
    throw UsageError("--device", "expects cpu|cuda, got '" + settings.device + "'");
  }
  if (settings.engine != "auto" && settings.engine != "fused" && settings.engine != "torch") {
    throw UsageError("--engine", "expects auto|fused|torch, got '" + settings.engine + "'");
  }
  // CUDA only when asked for: its results agree with the CPU's to ~1e-7, but depend on the chunking,
  // so only the CPU's fused engine gives tiles that mosaic byte for byte.
  const bool use_cuda = settings.device == "cuda";
  if (settings.engine == "fused" && use_cuda)
    throw UsageError("--engine fused", "runs on the CPU only; use --device cpu");
  const int threads = settings.threads > 0 ? settings.threads : DefaultThreadCount();
  if (!use_cuda && settings.engine != "torch") return MakeFusedScorer(bundle, threads);
  const std::string subject = use_cuda ? "--device cuda" : "--engine torch";
  const MakeTorchScorerFunction make = TorchPlugin(subject);
  char problem[1024] = "";
  Scorer* scorer = make(GEOPROSP_VERSION, sizeof(Bundle), &bundle, use_cuda, threads, problem, sizeof(problem));
  if (!scorer) throw Error(subject, problem);
  return std::unique_ptr<Scorer>(scorer);
}

void RequireFiniteProbabilities(const float* probability, int64_t n, const std::string& model) {
  const int64_t bad = std::count_if(probability, probability + n, [](float p) { return !std::isfinite(p); });
  if (bad > 0) {
    throw Error(model, "gave NaN or infinite probabilities for " + std::to_string(bad) + " of " + std::to_string(n) +
                           " cells: the model is broken, and no map is made from it");
  }
}

}  // namespace geoprosp
