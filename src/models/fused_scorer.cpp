// The fused engine's dispatch: which kernel (fused_kernel_*.cpp) runs, chosen once per scorer from
// what the CPU supports, or forced with GEOPROSP_KERNEL.
#include <cstdlib>

#include "fused_kernels.hpp"

namespace geoprosp {
namespace {

#ifdef GEOPROSP_FUSED_X86
// The psABI levels the kernels are compiled for. __builtin_cpu_supports also checks that the OS saves
// the wide registers. Clang (before 19) knows only some features, not the levels: every CPU with
// these has the rest of its level.
bool HasX86_64V3() {
#ifdef __clang__
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("bmi") &&
         __builtin_cpu_supports("bmi2");
#else
  return __builtin_cpu_supports("x86-64-v3");
#endif
}
bool HasX86_64V4() {
#ifdef __clang__
  return HasX86_64V3() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
#else
  return __builtin_cpu_supports("x86-64-v4");
#endif
}
#endif

struct KernelEntry {
  FusedKernel kernel;
  const char* needs;  // what the CPU must have, for messages
  bool (*supported)();
  std::unique_ptr<Scorer> (*make)(const Bundle&, int);
};

// Slowest first.
const KernelEntry kKernels[] = {
    {FusedKernel::Scalar, "nothing", [] { return true; }, fused::scalar::MakeScorer},
#ifdef GEOPROSP_FUSED_X86
    {FusedKernel::Avx2, "x86-64-v3 (AVX2 and FMA)", HasX86_64V3, fused::avx2::MakeScorer},
    {FusedKernel::Avx512, "x86-64-v4 (AVX-512)", HasX86_64V4, fused::avx512::MakeScorer},
#endif
};

// The kernel's entry; throws Error(subject, ...) when this build or this CPU cannot run it.
const KernelEntry& Supported(FusedKernel kernel, const std::string& subject) {
  for (const KernelEntry& entry : kKernels) {
    if (entry.kernel != kernel) continue;
    if (!entry.supported())
      throw Error(subject, "asks for the " + ToString(kernel) + " kernel, but this CPU lacks " + entry.needs);
    return entry;
  }
  throw Error(subject, "asks for the " + ToString(kernel) + " kernel, which this build (not x86-64) lacks");
}

}  // namespace

std::string ToString(FusedKernel kernel) {
  switch (kernel) {
    case FusedKernel::Scalar:
      return "scalar";
    case FusedKernel::Avx2:
      return "avx2";
    case FusedKernel::Avx512:
      return "avx512";
  }
  return "scalar";
}

std::vector<FusedKernel> SupportedFusedKernels() {
  std::vector<FusedKernel> out;
  for (const KernelEntry& entry : kKernels) {
    if (entry.supported()) out.push_back(entry.kernel);
  }
  return out;
}

FusedKernel ChosenFusedKernel() {
  const char* value = std::getenv("GEOPROSP_KERNEL");
  const std::string name = value ? value : "";
  if (name.empty() || name == "auto") return SupportedFusedKernels().back();
  for (FusedKernel kernel : {FusedKernel::Scalar, FusedKernel::Avx2, FusedKernel::Avx512}) {
    if (name == ToString(kernel)) return Supported(kernel, "GEOPROSP_KERNEL").kernel;
  }
  throw Error("GEOPROSP_KERNEL", "expects auto|scalar|avx2|avx512, got '" + name + "'");
}

std::unique_ptr<Scorer> MakeFusedScorer(const Bundle& bundle, int threads) {
  return MakeFusedScorer(bundle, threads, ChosenFusedKernel());
}

std::unique_ptr<Scorer> MakeFusedScorer(const Bundle& bundle, int threads, FusedKernel kernel) {
  return Supported(kernel, "fused engine").make(bundle, threads);
}

}  // namespace geoprosp
