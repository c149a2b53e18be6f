// The fused trainer's kernel for x86-64-v4 CPUs (AVX-512): 8 cells per chunk in AVX registers, of
// which AVX-512 has 32, for larger register blocks than AVX2's.
#include "fused_gnn_kernels.hpp"

#ifdef GEOPROSP_FUSED_X86
GEOPROSP_BEGIN_TARGET("arch=x86-64-v4")
namespace geoprosp::learning::avx512 {

// 32 vector registers: 4 x 4 accumulators plus their operands.
constexpr int kLanes = kTrainingLanes, kRows = 4, kCols = 4, kMixCols = 16, kSumRows = 4, kSumCols = 4;
#include "geoprosp/models/lanes_avx2.hpp"
// An operand of the weight-gradient sums, loaded once into a register (GCC would fold the load into
// each FMA that uses it, and the loads would bound the sums).
inline Lanes SumOperand(Lanes v) {
  asm("" : "+v"(v));
  return v;
}

#include "fused_gnn_body.hpp"

}  // namespace geoprosp::learning::avx512
GEOPROSP_END_TARGET
#endif
