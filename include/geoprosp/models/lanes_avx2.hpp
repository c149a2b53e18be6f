// Lanes of 8 floats in one AVX register, and what models/lane_ops.hpp needs of them. Included (without
// an include guard) inside an instruction set's namespace, within a GEOPROSP_BEGIN_TARGET region of
// x86-64-v3 or wider.

typedef float Lanes __attribute__((vector_size(8 * sizeof(float))));

inline Lanes Fma(Lanes a, Lanes b, Lanes c) { return (Lanes)_mm256_fmadd_ps((__m256)a, (__m256)b, (__m256)c); }
// vmaxps and vminps return their second operand unless the first is greater (less): a > b ? a : b.
inline Lanes Max(Lanes a, Lanes b) { return (Lanes)_mm256_max_ps((__m256)a, (__m256)b); }
inline Lanes Min(Lanes a, Lanes b) { return (Lanes)_mm256_min_ps((__m256)a, (__m256)b); }
inline Lanes InRegister(Lanes v) { return v; }
inline Lanes RoundToInteger(Lanes t) {
  return (Lanes)_mm256_round_ps((__m256)t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}
inline Lanes TimesTwoTo(Lanes y, Lanes n) {
  const __m256i exponent =
      _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32((__m256)n), _mm256_set1_epi32(127)), 23);
  return (Lanes)_mm256_mul_ps((__m256)y, _mm256_castsi256_ps(exponent));  // y times the bits of 2^n
}
