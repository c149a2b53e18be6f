// The fused kernel for x86-64-v3 CPUs (AVX2 and FMA): 8 cells per chunk.
#include "fused_kernels.hpp"

#ifdef GEOPROSP_FUSED_X86
GEOPROSP_BEGIN_TARGET("arch=x86-64-v3")
namespace geoprosp::fused::avx2 {

// 16 vector registers: 3 x 4 accumulators plus their operands.
constexpr int kLanes = 8, kRows = 3, kCols = 4, kMixCols = 8;
constexpr const char* kKernelName = "avx2";
#include "geoprosp/models/lanes_avx2.hpp"

#include "fused_kernel_body.hpp"

}  // namespace geoprosp::fused::avx2
GEOPROSP_END_TARGET
#endif
