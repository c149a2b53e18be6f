// The fused kernel for x86-64-v4 CPUs (AVX-512): 16 cells per chunk.
#include "fused_kernels.hpp"

#ifdef GEOPROSP_FUSED_X86
GEOPROSP_BEGIN_TARGET("arch=x86-64-v4")
namespace geoprosp::fused::avx512 {

// 32 vector registers: 4 x 4 accumulators plus their operands.
constexpr int kLanes = 16, kRows = 4, kCols = 4, kMixCols = 16;
constexpr const char* kKernelName = "avx512";
#include "geoprosp/models/lanes_avx512.hpp"

#include "fused_kernel_body.hpp"

}  // namespace geoprosp::fused::avx512
GEOPROSP_END_TARGET
#endif
