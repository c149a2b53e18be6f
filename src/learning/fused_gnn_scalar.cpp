// The fused trainer's kernel for any CPU: 8 cells per chunk in the baseline's vectors (two SSE2
// registers on x86-64), every multiply-add exact_fma.hpp's (an FMA instruction where the target has
// one, else computed in double). It is the fallback for CPUs without AVX2, and gives the bytes of the
// other kernels.
#include "fused_gnn_kernels.hpp"
#include "geoprosp/models/exact_fma.hpp"

namespace geoprosp::learning::scalar {

constexpr int kLanes = kTrainingLanes, kRows = 3, kCols = 4, kMixCols = 8, kSumRows = 2, kSumCols = 2;
typedef float Lanes __attribute__((vector_size(kLanes * sizeof(float))));
#include "geoprosp/models/lanes_generic.hpp"
inline Lanes Fma(Lanes a, Lanes b, Lanes c) { return FmaOfEachLane(a, b, c); }
inline Lanes InRegister(Lanes v) { return v; }
inline Lanes SumOperand(Lanes v) { return v; }

#include "fused_gnn_body.hpp"

}  // namespace geoprosp::learning::scalar
