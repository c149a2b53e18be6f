// Lanes of 16 floats in one AVX-512 register, and what models/lane_ops.hpp needs of them. Included
// (without an include guard) inside an instruction set's namespace, within a GEOPROSP_BEGIN_TARGET(
// "arch=x86-64-v4") region.

typedef float Lanes __attribute__((vector_size(16 * sizeof(float))));

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
