// The fused kernel for any CPU: 4 cells per chunk in the baseline's vectors (SSE2 on x86-64), every
// multiply-add a std::fma of one lane. Without an FMA unit std::fma is a slow library call; it is the
// fallback for CPUs without AVX2, and gives the bytes of the other kernels.
#include "fused_kernels.hpp"

namespace geoprosp::fused::scalar {

constexpr int kLanes = 4, kRows = 3, kCols = 4, kMixCols = 8;
constexpr const char* kKernelName = "scalar";
typedef float Lanes __attribute__((vector_size(kLanes * sizeof(float))));
typedef int32_t LaneInts __attribute__((vector_size(kLanes * sizeof(int32_t))));

inline Lanes Fma(Lanes a, Lanes b, Lanes c) {
  Lanes out;
  for (int i = 0; i < kLanes; ++i) out[i] = std::fma(a[i], b[i], c[i]);
  return out;
}
inline Lanes Max(Lanes a, Lanes b) { return a > b ? a : b; }
inline Lanes Min(Lanes a, Lanes b) { return a < b ? a : b; }
inline Lanes InRegister(Lanes v) { return v; }
inline Lanes RoundToInteger(Lanes t) { return (t + 12582912.0f) - 12582912.0f; }  // exact for |t| < 2^22
inline Lanes TimesTwoTo(Lanes y, Lanes n) {
  return y * (Lanes)((__builtin_convertvector(n, LaneInts) + 127) << 23);  // the bits of 2^n
}

#include "fused_kernel_body.hpp"

}  // namespace geoprosp::fused::scalar
