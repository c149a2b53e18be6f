// The fused kernel for x86-64-v4 CPUs (AVX-512): 16 cells per chunk.
#include "fused_kernels.hpp"

#ifdef GEOPROSP_FUSED_X86
GEOPROSP_BEGIN_TARGET("arch=x86-64-v4")
namespace geoprosp::fused::avx512 {

// 32 vector registers: 4 x 4 accumulators plus their operands.
constexpr int kLanes = 16, kRows = 4, kCols = 4, kMixCols = 16;
constexpr const char* kKernelName = "avx512";
typedef float Lanes __attribute__((vector_size(kLanes * sizeof(float))));

inline Lanes Fma(Lanes a, Lanes b, Lanes c) { return (Lanes)_mm512_fmadd_ps((__m512)a, (__m512)b, (__m512)c); }
// vmaxps and vminps return their second operand unless the first is greater (less): a > b ? a : b.
// The _mask forms: GCC 12 warns on the others.
inline Lanes Max(Lanes a, Lanes b) { return (Lanes)_mm512_mask_max_ps((__m512)a, 0xffff, (__m512)a, (__m512)b); }
inline Lanes Min(Lanes a, Lanes b) { return (Lanes)_mm512_mask_min_ps((__m512)a, 0xffff, (__m512)a, (__m512)b); }
// Loads v once into a register: GCC would otherwise fold a load into every FMA that uses it, and the
// loads, not the FMAs, would bound the products.
inline Lanes InRegister(Lanes v) {
  asm("" : "+v"(v));
  return v;
}
inline Lanes RoundToInteger(Lanes t) {
  return (Lanes)_mm512_mask_roundscale_ps((__m512)t, 0xffff, (__m512)t, _MM_FROUND_TO_NEAREST_INT);
}
inline Lanes TimesTwoTo(Lanes y, Lanes n) {
  return (Lanes)_mm512_mask_scalef_ps((__m512)y, 0xffff, (__m512)y, (__m512)n);  // vscalefps: y 2^n
}

#include "fused_kernel_body.hpp"

}  // namespace geoprosp::fused::avx512
GEOPROSP_END_TARGET
#endif
