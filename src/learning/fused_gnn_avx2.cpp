// The fused trainer's kernel for x86-64-v3 CPUs (AVX2 and FMA): 8 cells per chunk, one register each.
#include "fused_gnn_kernels.hpp"

#ifdef GEOPROSP_FUSED_X86
GEOPROSP_BEGIN_TARGET("arch=x86-64-v3")
namespace geoprosp::learning::avx2 {

// 16 vector registers: 3 x 4 accumulators plus their operands.
constexpr int kLanes = kTrainingLanes, kRows = 3, kCols = 4, kMixCols = 8, kSumRows = 2, kSumCols = 4;
#include "geoprosp/models/lanes_avx2.hpp"
inline Lanes SumOperand(Lanes v) {
  asm("" : "+x"(v));
  return v;
}

#include "fused_gnn_body.hpp"

}  // namespace geoprosp::learning::avx2
GEOPROSP_END_TARGET
#endif
