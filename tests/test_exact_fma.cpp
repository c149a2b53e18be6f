// The portable kernels' fused multiply-add (models/exact_fma.hpp) against std::fma, bit for bit:
// random operands over the whole exponent range, products that nearly cancel c, sums that fall on or
// next to the midpoint between two floats (where rounding the double sum to nearest would be wrong),
// subnormal results, zeros of both signs, overflow, infinities and NaN.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "geoprosp/models/exact_fma.hpp"

namespace geoprosp {
namespace {

typedef float Floats8 __attribute__((vector_size(8 * sizeof(float))));  // the trainer's lanes
using exact_fma::Floats4;                                               // the scorer's

struct Operands {
  float a, b, c;
};

uint32_t Bits(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof(bits));
  return bits;
}
float FromBits(uint32_t bits) {
  float x;
  std::memcpy(&x, &bits, sizeof(x));
  return x;
}
// Same bits, or both NaN (NaN's sign and payload are not promised).
bool Same(float x, float y) { return Bits(x) == Bits(y) || (std::isnan(x) && std::isnan(y)); }

// What a plain double computation gives: a * b + c rounded to double, then to float. It differs from
// std::fma where the double sum lands on a midpoint between two floats that p + c was not on.
float RoundedTwice(const Operands& o) { return static_cast<float>(double(o.a) * double(o.b) + double(o.c)); }

std::string Describe(const Operands& o, float got, float expected) {
  std::ostringstream out;
  out.precision(9);
  out << "fma(" << o.a << ", " << o.b << ", " << o.c << ") [bits " << std::hex << Bits(o.a) << " " << Bits(o.b) << " "
      << Bits(o.c) << "]: " << got << " [" << Bits(got) << "], std::fma " << expected << " [" << Bits(expected) << "]";
  return out.str();
}

// Runs every case through the 8-lane and the 4-lane forms of FmaThroughDouble and through
// FusedMultiplyAdd, each case in a different lane of each, and expects std::fma's bits. Returns how
// many cases rounding twice gets wrong.
int ExpectStdFmaBits(const std::vector<Operands>& cases, const std::string& what) {
  int failures = 0, rounded_twice_wrong = 0;
  const size_t n = cases.size();
  for (size_t first = 0; first < n; first += 8) {
    Floats8 a8, b8, c8;
    for (size_t k = 0; k < 8; ++k) {
      const Operands& o = cases[(first + k) % n];
      a8[k] = o.a, b8[k] = o.b, c8[k] = o.c;
    }
    const Floats8 wide = exact_fma::FmaThroughDouble(a8, b8, c8), chosen = FusedMultiplyAdd(a8, b8, c8);
    // The 4-lane form, on the same cases moved by one lane.
    Floats4 a4, b4, c4, narrow[2];
    for (int half = 0; half < 2; ++half) {
      for (int k = 0; k < 4; ++k) {
        const int lane = (half * 4 + k + 1) % 8;
        a4[k] = a8[lane], b4[k] = b8[lane], c4[k] = c8[lane];
      }
      narrow[half] = exact_fma::FmaThroughDouble(a4, b4, c4);
    }
    for (size_t k = 0; k < 8 && first + k < n; ++k) {
      const Operands& o = cases[first + k];
      const float expected = std::fma(o.a, o.b, o.c);
      const int moved = static_cast<int>((k + 7) % 8);
      const float got[] = {wide[k], chosen[k], narrow[moved / 4][moved % 4]};
      for (float g : got) {
        if (!Same(g, expected) && ++failures <= 10) ADD_FAILURE() << what << ": " << Describe(o, g, expected);
      }
      if (!Same(RoundedTwice(o), expected)) ++rounded_twice_wrong;
    }
  }
  EXPECT_EQ(failures, 0) << what << ": of " << n << " cases";
  return rounded_twice_wrong;
}

// A float with a random sign and significand and the given binary exponent (-126..127: normal).
float RandomFloat(std::mt19937& rng, int exponent) {
  const uint32_t significand = rng() & 0x7fffff, sign = rng() & 0x80000000u;
  return FromBits(sign | uint32_t(exponent + 127) << 23 | significand);
}

TEST(ExactFma, RandomOperandsOverTheWholeExponentRange) {
  std::mt19937 rng(1);
  std::vector<Operands> everywhere, comparable;
  for (int i = 0; i < 200000; ++i) {
    // Any finite float, subnormals included: products overflow, underflow and everything between.
    uint32_t bits[3];
    for (uint32_t& b : bits) {
      b = rng();
      while ((b & 0x7f800000u) == 0x7f800000u) b = rng();  // not inf or NaN
    }
    everywhere.push_back({FromBits(bits[0]), FromBits(bits[1]), FromBits(bits[2])});
    // Product and c of similar size, so that both matter to the sum.
    const int ea = int(rng() % 200) - 100, eb = int(rng() % 200) - 100;
    const int ec = std::clamp(ea + eb + int(rng() % 61) - 30, -126, 127);
    if (ea + eb > -126 && ea + eb < 127)
      comparable.push_back({RandomFloat(rng, ea), RandomFloat(rng, eb), RandomFloat(rng, ec)});
  }
  ExpectStdFmaBits(everywhere, "any finite floats");
  ExpectStdFmaBits(comparable, "product and c of similar size");
}

// c cancels the top k bits of a * b (k = 1..24), leaving a result of 48 - k bits, which is rounded.
TEST(ExactFma, ProductsThatNearlyCancel) {
  std::mt19937 rng(2);
  std::vector<Operands> cases;
  for (int i = 0; i < 100000; ++i) {
    const float a = RandomFloat(rng, int(rng() % 120) - 60), b = RandomFloat(rng, int(rng() % 120) - 60);
    const double p = double(a) * double(b);
    const int keep = 1 + int(rng() % 24);
    int exponent;
    std::frexp(p, &exponent);
    const double unit = std::ldexp(1.0, exponent - keep);
    float c = -static_cast<float>(std::trunc(p / unit) * unit);  // exact: keep <= 24 bits
    if (rng() % 4 == 0) c = std::nextafter(c, rng() % 2 ? INFINITY : -INFINITY);
    cases.push_back({a, b, c});
    cases.push_back({a, b, -static_cast<float>(p)});  // the product's rounding error, exactly
  }
  ExpectStdFmaBits(cases, "nearly cancelling");
}

// p + c within a tiny distance of the midpoint between two floats, or on it. p = 2^k (1 + e) with
// a = x, b = 1/x rounded (|e| < 2^-23, its bits down to 2^-47), placed at half an ulp of c, so that
// p + c needs up to 72 bits: rounding the double sum to nearest lands on the midpoint, and then on
// the even float, where p + c was on one side of it. Also exact midpoints (p a power of two: ties
// to even) and the same at the bottom of the subnormal range (c's ulp 2^-149).
TEST(ExactFma, HalfwayCasesForTheFinalRounding) {
  std::mt19937 rng(3);
  std::vector<Operands> cases, subnormal;
  for (int i = 0; i < 100000; ++i) {
    const int ec = int(rng() % 200) - 80;  // c's exponent; half its ulp is 2^(ec - 24)
    const float c = RandomFloat(rng, ec);
    const float x = FromBits(0x3f800000u | (rng() & 0x7fffff));  // [1, 2)
    const int half_ulp = ec - 24;
    // a = x 2^j, b = (1/x) 2^(half_ulp - j): j keeps both normal.
    const int j = half_ulp / 2;
    const float sign = rng() % 2 ? 1.0f : -1.0f;
    const float a = std::ldexp(x, j) * sign, b = std::ldexp(1.0f / x, half_ulp - j);
    cases.push_back({a, b, c});
    cases.push_back({std::ldexp(sign, j), std::ldexp(1.0f, half_ulp - j), c});  // an exact midpoint
    // Subnormal c (its ulp 2^-149, half of it 2^-150) and p = 2^-150 (1 + e).
    const float tiny = FromBits(rng() & 0x807fffffu);
    subnormal.push_back({std::ldexp(x, -75) * sign, std::ldexp(1.0f / x, -75), tiny});
    subnormal.push_back({std::ldexp(sign, -75), std::ldexp(1.0f, -75), tiny});
  }
  const int wrong = ExpectStdFmaBits(cases, "halfway");
  const int wrong_subnormal = ExpectStdFmaBits(subnormal, "halfway, subnormal");
  // The cases must include ones where rounding twice is wrong, or they would test nothing.
  EXPECT_GT(wrong, 1000) << "of " << cases.size();
  EXPECT_GT(wrong_subnormal, 100) << "of " << subnormal.size();
  std::printf("rounding twice is wrong in %d of %zu halfway cases, %d of %zu subnormal ones\n", wrong, cases.size(),
              wrong_subnormal, subnormal.size());
}

TEST(ExactFma, SubnormalResults) {
  std::mt19937 rng(4);
  std::vector<Operands> cases;
  for (int i = 0; i < 100000; ++i) {
    // Products from 2^-160 to 2^-110 (full 48-bit ones) plus subnormal or small normal c.
    const int ea = -55 - int(rng() % 25), eb = -55 - int(rng() % 25);
    const float c = rng() % 2 ? FromBits(rng() & 0x807fffffu) : RandomFloat(rng, -126 + int(rng() % 4));
    cases.push_back({RandomFloat(rng, ea), RandomFloat(rng, eb), c});
    // A difference of two nearly equal normals that underflows.
    const float a = RandomFloat(rng, -60), b = RandomFloat(rng, -66);
    cases.push_back({a, b, -std::nextafter(a * b, rng() % 2 ? INFINITY : -INFINITY)});
  }
  int subnormal_results = 0;
  for (const Operands& o : cases) subnormal_results += std::fpclassify(std::fma(o.a, o.b, o.c)) == FP_SUBNORMAL;
  EXPECT_GT(subnormal_results, 50000) << "the cases must mostly give subnormals";
  ExpectStdFmaBits(cases, "subnormal results");
}

TEST(ExactFma, ZerosOfBothSigns) {
  const float tiny = std::ldexp(1.0f, -100), values[] = {0.0f, -0.0f, 1.5f, -1.5f, tiny, -tiny};
  std::vector<Operands> cases;
  for (float a : values) {
    for (float b : values) {
      for (float c : {0.0f, -0.0f, 2.25f, -2.25f}) cases.push_back({a, b, c});
      cases.push_back({a, b, -a * b});  // exact cancellation: +0
    }
  }
  cases.push_back({3.0f, 5.0f, -15.0f});
  cases.push_back({-3.0f, 5.0f, 15.0f});
  // Products below half the smallest subnormal, to zeros of their sign.
  cases.push_back({tiny, -tiny, 0.0f});
  cases.push_back({-tiny, -tiny, -0.0f});
  ExpectStdFmaBits(cases, "zeros");
  int negative_zeros = 0;
  for (const Operands& o : cases) negative_zeros += Bits(std::fma(o.a, o.b, o.c)) == 0x80000000u;
  EXPECT_GT(negative_zeros, 5);
}

// Results beyond the largest float round to infinity exactly as std::fma's do, also near the
// threshold (the midpoint between FLT_MAX and 2^128); a product above FLT_MAX with a c that brings
// the sum back into range is finite; infinities and NaN pass through.
TEST(ExactFma, OverflowInfinitiesAndNaN) {
  std::mt19937 rng(5);
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  const float max = std::numeric_limits<float>::max();
  std::vector<Operands> cases;
  for (int i = 0; i < 20000; ++i) {
    const float x = FromBits(0x3f800000u | (rng() & 0x7fffff));
    cases.push_back({std::ldexp(x, 64), std::ldexp(1.0f / x, 63), max});                    // near FLT_MAX + 2^127
    cases.push_back({std::ldexp(x, 60), std::ldexp(1.0f / x, 43), max});                    // near the threshold
    cases.push_back({std::ldexp(x, 60), -std::ldexp(1.0f / x, 43), -max});                  // and below -FLT_MAX
    cases.push_back({RandomFloat(rng, 64), RandomFloat(rng, 64), -max});                    // back into range
    cases.push_back({RandomFloat(rng, 100), RandomFloat(rng, 90), RandomFloat(rng, 127)});  // overflow
  }
  for (float special : {inf, -inf, nan}) {
    for (float other : {0.0f, -0.0f, 1.0f, -3.0f, max, inf, -inf, nan}) {
      cases.push_back({special, other, 1.0f});
      cases.push_back({other, special, -1.0f});
      cases.push_back({2.0f, other, special});
      cases.push_back({other, 2.0f, special});
    }
  }
  int infinite = 0, finite_from_overflowing_product = 0;
  for (const Operands& o : cases) {
    const float r = std::fma(o.a, o.b, o.c);
    infinite += std::isinf(r);
    finite_from_overflowing_product += std::isinf(o.a * o.b) && std::isfinite(r);
  }
  EXPECT_GT(infinite, 20000);
  EXPECT_GT(finite_from_overflowing_product, 2000);
  ExpectStdFmaBits(cases, "overflow, infinities, NaN");
}

}  // namespace
}  // namespace geoprosp
