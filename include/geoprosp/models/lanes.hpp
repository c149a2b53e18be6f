#pragma once
// SIMD helpers of the fused trainer (learning/): one cell per lane, so that every lane runs the same
// instructions and a cell's result never depends on its batch or on its place in the batch. (The fused
// inference kernels have their own copy of these, compiled per instruction set and chosen at run time:
// models/fused_kernel_body.hpp.)
//
// Lanes is a GCC/Clang vector extension of the build's target: SSE registers in the default portable
// build (so that a model trains to the same bytes on every x86-64 machine), AVX-512 with
// GEOPROSP_NATIVE on a machine that has it. Include this header only from translation units built with
// the same target options (the learning layer), so that every definition of Lanes is the same.
#ifdef __AVX512F__
#include <immintrin.h>
#endif

#include <cstdint>
#include <type_traits>
#include <utility>
#include <vector>

namespace geoprosp::simd {

// Cells per chunk: one SIMD register of floats. Register blocks of the products: accumulators plus
// operands must fit the register file (32 registers with AVX-512, 16 otherwise). A block of the
// reductions (kSumRows x kSumCols accumulators) reduces to one register of sums.
#if defined(__AVX512F__)
constexpr int kLanes = 16, kRows = 4, kCols = 4, kMixCols = 16, kSumRows = 4, kSumCols = 4;
#elif defined(__AVX__)
constexpr int kLanes = 8, kRows = 3, kCols = 4, kMixCols = 8, kSumRows = 2, kSumCols = 4;
#else
constexpr int kLanes = 4, kRows = 3, kCols = 4, kMixCols = 8, kSumRows = 2, kSumCols = 2;
#endif
static_assert(kSumRows * kSumCols == kLanes, "a block of reductions fills one register of sums");
typedef float Lanes __attribute__((vector_size(kLanes * sizeof(float))));
typedef int32_t LaneInts __attribute__((vector_size(kLanes * sizeof(int32_t))));
typedef uint32_t LaneBits __attribute__((vector_size(kLanes * sizeof(uint32_t))));

inline Lanes Broadcast(float v) { return v - Lanes{}; }  // v - 0 is v, even for -0
// Loads v once into a register: GCC would otherwise fold a load into every FMA that uses it, and the
// loads, not the FMAs, would bound the products.
inline Lanes InRegister(Lanes v) {
#if defined(__AVX512F__) && defined(__GNUC__)
  asm("" : "+v"(v));
#endif
  return v;
}
inline Lanes Max(Lanes a, Lanes b) { return a > b ? a : b; }
inline Lanes Min(Lanes a, Lanes b) { return a < b ? a : b; }

// e^x for every lane: 2^n e^r with n = round(x / ln 2) and r = x - n ln 2, e^r = 1 + r + r^2 P(r) with
// P fitted on |r| <= ln 2 / 2 (relative error 1.3e-7). Only absolute errors reach the outputs (softmax
// weights, ELU, the final sigmoid), so one rounded ln 2 suffices for the reduction.
inline Lanes Exp(Lanes x) {
#ifdef __AVX512F__
  // vscalefps makes 2^n and saturates to 0 and inf; the clamp only keeps -inf from giving NaN.
  x = Max(x, Broadcast(-104.0f));
  const __m512 t = (__m512)(x * 1.44269504088896341f);  // the _mask forms: GCC 12 warns on the others
  const Lanes n = (Lanes)_mm512_mask_roundscale_ps(t, 0xffff, t, _MM_FROUND_TO_NEAREST_INT);
#else
  x = Max(Min(x, Broadcast(88.3f)), Broadcast(-87.3f));
  const Lanes n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;  // round to nearest
#endif
  const Lanes r = x - n * 0.693147181f;
  const Lanes p = ((8.36916e-3f * r + 4.190082e-2f) * r + 1.6666516e-1f) * r + 4.999912e-1f;
  const Lanes y = p * (r * r) + r + 1.0f;
#ifdef __AVX512F__
  return (Lanes)_mm512_mask_scalef_ps((__m512)y, 0xffff, (__m512)y, (__m512)n);
#else
  const LaneInts exponent = (__builtin_convertvector(n, LaneInts) + 127) << 23;
  return y * (Lanes)exponent;  // the bits of 2^n
#endif
}

// Calls block(std::integral_constant<int, N>, first) over [0, count) in blocks of N = Size, then
// once for the remainder, so that every block size is a compile-time constant.
template <int N, class Block>
void Remainder(int rest, int first, Block& block) {
  if constexpr (N > 0) {
    if (rest == N) return block(std::integral_constant<int, N>(), first);
    Remainder<N - 1>(rest, first, block);
  }
}
template <int Size, class Block>
void ForBlocks(int count, Block&& block) {
  int first = 0;
  for (; first + Size <= count; first += Size) block(std::integral_constant<int, Size>(), first);
  Remainder<Size - 1>(count - first, first, block);
}

// out[r][c] = epilogue(bias[c] + sum_k in[r][k] * weight[k][c]), R x C accumulators in registers.
template <int R, int C, class Epilogue>
inline void ProductBlock(const Lanes* in, int in_stride, int inner, const float* weight, int weight_stride,
                         const float* bias, Lanes* out, int out_stride, Epilogue& epilogue) {
  Lanes acc[R][C];
  for (int c = 0; c < C; ++c) {
    for (int r = 0; r < R; ++r) acc[r][c] = Broadcast(bias ? bias[c] : 0.0f);
  }
  for (int k = 0; k < inner; ++k) {
    Lanes a[R];
    for (int r = 0; r < R; ++r) a[r] = InRegister(in[r * in_stride + k]);
    for (int c = 0; c < C; ++c) {
      const Lanes w = InRegister(Broadcast(weight[k * weight_stride + c]));
      for (int r = 0; r < R; ++r) acc[r][c] += a[r] * w;
    }
  }
  for (int r = 0; r < R; ++r) {
    for (int c = 0; c < C; ++c) epilogue(out[r * out_stride + c], acc[r][c]);
  }
}

// The rows x cols result of in (rows x inner) times weight (inner x cols, row-major). Blocks of fewer
// rows get more columns, keeping about kRows x kCols accumulators.
template <class Epilogue>
void Product(const Lanes* in, int in_stride, int rows, int inner, const float* weight, int cols, const float* bias,
             Lanes* out, int out_stride, Epilogue epilogue) {
  ForBlocks<kRows>(rows, [&](auto block_rows, int r0) {
    constexpr int R = decltype(block_rows)::value;
    ForBlocks<kRows * kCols / R>(cols, [&](auto block_cols, int c0) {
      ProductBlock<R, decltype(block_cols)::value>(in + r0 * in_stride, in_stride, inner, weight + c0, cols,
                                                   bias ? bias + c0 : nullptr, out + r0 * out_stride + c0, out_stride,
                                                   epilogue);
    });
  });
}

// out[r][c] = epilogue(sum over j in `from` of weight[r][j] * in[j][c]) for R nodes that share the
// neighbour list `from`; per-lane weights (a per-cell Â, or attention), R x C sums in registers.
template <int R, int C, class Epilogue>
inline void MixBlock(const std::vector<int>& from, const Lanes* weight, int n, const Lanes* in, int in_stride,
                     Lanes* out, int out_stride, Epilogue& epilogue) {
  Lanes acc[R][C] = {};
  for (int j : from) {
    Lanes w[R];
    for (int r = 0; r < R; ++r) w[r] = InRegister(weight[r * n + j]);
    for (int c = 0; c < C; ++c) {
      const Lanes v = R > 1 ? InRegister(in[j * in_stride + c]) : in[j * in_stride + c];  // one use: a memory operand
      for (int r = 0; r < R; ++r) acc[r][c] += w[r] * v;
    }
  }
  for (int r = 0; r < R; ++r) {
    for (int c = 0; c < C; ++c) epilogue(out[r * out_stride + c], acc[r][c]);
  }
}

// out[i][c] = epilogue(sum over j in neighbours[i] of weight[i][j] * in[j][c]) for every node i. Column
// blocks are outermost, so that a block of `in` stays in L1 while every node reads it. When every
// node has every neighbour (`dense`), blocks of nodes share each load of `in`.
template <class Epilogue>
void Mix(const std::vector<std::vector<int>>& neighbours, bool dense, const Lanes* weight, const Lanes* in,
         int in_stride, int cols, Lanes* out, int out_stride, Epilogue epilogue) {
  const int n = static_cast<int>(neighbours.size());
  if (dense) {
    ForBlocks<kCols>(cols, [&](auto block_cols, int c0) {
      ForBlocks<kRows>(n, [&](auto block_rows, int r0) {
        MixBlock<decltype(block_rows)::value, decltype(block_cols)::value>(
            neighbours[0], weight + r0 * n, n, in + c0, in_stride, out + r0 * out_stride + c0, out_stride, epilogue);
      });
    });
    return;
  }
  ForBlocks<kMixCols>(cols, [&](auto block_cols, int c0) {
    for (int i = 0; i < n; ++i) {
      MixBlock<1, decltype(block_cols)::value>(neighbours[i], weight + i * n, n, in + c0, in_stride,
                                               out + i * out_stride + c0, out_stride, epilogue);
    }
  });
}

inline constexpr auto kStore = [](Lanes& out, Lanes v) { out = v; };
inline constexpr auto kAdd = [](Lanes& out, Lanes v) { out += v; };
inline constexpr auto kRelu = [](Lanes& out, Lanes v) { out = Max(v, Lanes{}); };
inline constexpr auto kAddRelu = [](Lanes& out, Lanes v) { out += Max(v, Lanes{}); };
inline constexpr auto kAddElu = [](Lanes& out, Lanes v) { out += v > 0 ? v : Exp(v) - 1.0f; };

// Lane m of a + b pairs lanes m and m ^ S: of a where bit S of m is clear, of b where it is set.
template <int S, int... M>
inline Lanes PairSums(Lanes a, Lanes b, std::integer_sequence<int, M...>) {
  return __builtin_shufflevector(a, b, ((M & S) ? kLanes + M : M)...) +
         __builtin_shufflevector(a, b, ((M & S) ? kLanes + (M ^ S) : (M ^ S))...);
}

// Lane m of the result: the sum of the lanes of v[m] (kLanes - 1 pair sums, a butterfly). The order of
// the additions is fixed, so the result does not depend on anything but the inputs.
template <int Count = kLanes>
inline Lanes LaneSums(Lanes* v) {
  if constexpr (Count == 1) {
    return v[0];
  } else {
    constexpr int half = Count / 2;
    for (int n = 0; n < half; ++n) v[n] = PairSums<half>(v[n], v[n + half], std::make_integer_sequence<int, kLanes>());
    return LaneSums<half>(v);
  }
}

// Unaligned loads and stores of kLanes floats (memcpy compiles to one vector move).
inline Lanes LoadLanes(const float* p) {
  Lanes v;
  __builtin_memcpy(&v, p, sizeof(v));
  return v;
}
inline void StoreLanes(float* p, Lanes v) { __builtin_memcpy(p, &v, sizeof(v)); }

// out[k] += the sum of the lanes of value(k), for k < count.
template <class Value>
inline void AddLaneSumsOf(int count, Value value, float* out) {
  for (int k0 = 0; k0 < count; k0 += kLanes) {
    Lanes block[kLanes] = {};
    const int size = count - k0 < kLanes ? count - k0 : kLanes;
    for (int k = 0; k < size; ++k) block[k] = value(k0 + k);
    const Lanes sums = LaneSums(block);
    if (size == kLanes) {
      StoreLanes(out + k0, LoadLanes(out + k0) + sums);
    } else {
      for (int k = 0; k < size; ++k) out[k0 + k] += sums[k];
    }
  }
}
inline void AddLaneSums(const Lanes* v, int count, float* out) {
  AddLaneSumsOf(
      count, [v](int k) { return v[k]; }, out);
}

// out[r][c] += sum over i < n and over the lanes of a[i][r] * b[i][c], for r < rows, c < cols: the
// weight gradient of a product, summed over the nodes and the cells of a chunk. Blocks of kSumRows x
// kSumCols accumulators reduce to one register of sums; partial blocks reduce zeros in the rest.
inline void AddProductSums(const Lanes* a, int a_stride, int rows, const Lanes* b, int b_stride, int cols, int n,
                           float* out, int out_stride) {
  for (int r0 = 0; r0 < rows; r0 += kSumRows) {
    for (int c0 = 0; c0 < cols; c0 += kSumCols) {
      Lanes acc[kSumRows * kSumCols] = {};
      if (r0 + kSumRows <= rows && c0 + kSumCols <= cols) {
        for (int i = 0; i < n; ++i) {
          Lanes x[kSumRows], y[kSumCols];
          for (int r = 0; r < kSumRows; ++r) x[r] = InRegister(a[i * a_stride + r0 + r]);
          for (int c = 0; c < kSumCols; ++c) y[c] = InRegister(b[i * b_stride + c0 + c]);
          for (int r = 0; r < kSumRows; ++r) {
            for (int c = 0; c < kSumCols; ++c) acc[r * kSumCols + c] += x[r] * y[c];
          }
        }
      } else {
        for (int i = 0; i < n; ++i) {
          for (int r = 0; r < kSumRows && r0 + r < rows; ++r) {
            for (int c = 0; c < kSumCols && c0 + c < cols; ++c)
              acc[r * kSumCols + c] += a[i * a_stride + r0 + r] * b[i * b_stride + c0 + c];
          }
        }
      }
      const Lanes sums = LaneSums(acc);
      for (int r = 0; r < kSumRows && r0 + r < rows; ++r) {
        for (int c = 0; c < kSumCols && c0 + c < cols; ++c)
          out[(r0 + r) * out_stride + c0 + c] += sums[r * kSumCols + c];
      }
    }
  }
}

}  // namespace geoprosp::simd
