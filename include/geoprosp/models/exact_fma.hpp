#pragma once
// a * b + c with one rounding (a fused multiply-add), lane by lane, for vectors of floats: the Fma of
// the portable kernels (models/lanes_generic.hpp). Where the target has an FMA instruction
// (__FP_FAST_FMAF: aarch64, x86-64 built with -mfma) it is std::fma of each lane, one instruction.
// Elsewhere, as on x86-64's baseline, std::fma is a library call (without an FMA unit, glibc's takes
// tens of nanoseconds), so it is computed in double instead, with the same bits:
//
//   p = a * b in double is exact (24 + 24 significant bits <= 53), and s = p + c rounded to odd
//   (Boldo and Melquiond, "Emulation of FMA and correctly rounded sums: proved algorithms using
//   rounding to odd", IEEE Trans. Computers 57(4), 2008) rounds to the float nearest p + c, because
//   double has at least 2 x 24 + 2 bits. Round to odd: if s = p + c rounded to nearest is inexact and
//   its last bit is even, take its neighbour on the side of the exact sum. The error of s is exact by
//   TwoSum (Knuth; 6 flops, no branch), and so is its sign.
//
// The argument holds for float subnormals and overflow too (the float grid there has fewer bits, and
// p + c, a multiple of 2^-298 below 2^257, is a normal double or 0), and zeros keep the sign std::fma
// gives them (double arithmetic follows the same rules). Infinities and NaN come out as std::fma's
// (their error is NaN, and s is left as it is), but not NaN's sign or payload. Floating-point
// exceptions (flags) are not those of std::fma. This needs double arithmetic rounded to double (no
// x87 excess precision, no -ffast-math reassociation, no contraction: the build has -ffp-contract=off).
// tests/test_bundle_models.cpp (ExactFma) compares it with std::fma bit for bit.
#include <cfloat>
#include <cmath>
#include <cstdint>

namespace geoprosp::exact_fma {

typedef float Floats4 __attribute__((vector_size(4 * sizeof(float))));
typedef double Doubles2 __attribute__((vector_size(2 * sizeof(double))));  // one SSE2 or NEON register
typedef double Doubles4 __attribute__((vector_size(4 * sizeof(double))));
typedef uint64_t DoubleBits2 __attribute__((vector_size(2 * sizeof(uint64_t))));

// p + c rounded to odd, for finite p and c that cannot overflow; inf or NaN pass as p + c.
inline Doubles2 SumRoundedToOdd(Doubles2 p, Doubles2 c) {
  static_assert(FLT_EVAL_METHOD == 0, "TwoSum needs double arithmetic rounded to double");
  const Doubles2 s = p + c;
  const Doubles2 c_in_s = s - p;  // TwoSum: error = p + c - s, exactly
  const Doubles2 error = (p - (s - c_in_s)) + (c - c_in_s);
  const DoubleBits2 s_bits = (DoubleBits2)s, error_bits = (DoubleBits2)error;
  const Doubles2 error_size = (Doubles2)(error_bits & 0x7fffffffffffffffULL);
  const DoubleBits2 inexact = (DoubleBits2)(error_size > 0.0);  // all ones, or 0 (also for NaN)
  const DoubleBits2 toward_zero = (s_bits ^ error_bits) >> 63;  // 1: p + c lies between s and 0
  // Inexact: the odd one of s and its neighbour on p + c's side. Toward zero that is (s - 1) | 1 in
  // bits (the magnitude one ulp smaller; s itself when s is odd), away from zero s | 1.
  return (Doubles2)((s_bits - (toward_zero & inexact)) | (inexact & 1));
}

// Four lanes: two halves of two doubles each.
inline Floats4 FmaThroughDouble(Floats4 a, Floats4 b, Floats4 c) {
  const Doubles4 wide_a = __builtin_convertvector(a, Doubles4), wide_b = __builtin_convertvector(b, Doubles4),
                 wide_c = __builtin_convertvector(c, Doubles4);
  const Doubles2 low = SumRoundedToOdd(__builtin_shufflevector(wide_a, wide_a, 0, 1) *  // exact products
                                           __builtin_shufflevector(wide_b, wide_b, 0, 1),
                                       __builtin_shufflevector(wide_c, wide_c, 0, 1));
  const Doubles2 high =
      SumRoundedToOdd(__builtin_shufflevector(wide_a, wide_a, 2, 3) * __builtin_shufflevector(wide_b, wide_b, 2, 3),
                      __builtin_shufflevector(wide_c, wide_c, 2, 3));
  return __builtin_convertvector(__builtin_shufflevector(low, high, 0, 1, 2, 3), Floats4);
}

// Any multiple of four lanes, four at a time. The copies split a vector wider than the baseline's
// registers (which GCC keeps in memory anyway) into register-sized pieces.
template <class Floats>
inline Floats FmaThroughDouble(Floats a, Floats b, Floats c) {
  static_assert(sizeof(Floats) % sizeof(Floats4) == 0, "a multiple of four float lanes");
  constexpr int kPieces = sizeof(Floats) / sizeof(Floats4);
  Floats4 piece_a[kPieces], piece_b[kPieces], piece_c[kPieces], piece_out[kPieces];
  __builtin_memcpy(piece_a, &a, sizeof(a));
  __builtin_memcpy(piece_b, &b, sizeof(b));
  __builtin_memcpy(piece_c, &c, sizeof(c));
  for (int i = 0; i < kPieces; ++i) piece_out[i] = FmaThroughDouble(piece_a[i], piece_b[i], piece_c[i]);
  Floats out;
  __builtin_memcpy(&out, piece_out, sizeof(out));
  return out;
}

}  // namespace geoprosp::exact_fma

namespace geoprosp {

// a * b + c with one rounding, lane by lane: one instruction where the target has FMA, else in double.
template <class Floats>
inline Floats FusedMultiplyAdd(Floats a, Floats b, Floats c) {
#if defined(__FP_FAST_FMAF)
  Floats out;
  for (int i = 0; i < static_cast<int>(sizeof(Floats) / sizeof(float)); ++i) out[i] = std::fma(a[i], b[i], c[i]);
  return out;
#else
  return exact_fma::FmaThroughDouble(a, b, c);
#endif
}

}  // namespace geoprosp
