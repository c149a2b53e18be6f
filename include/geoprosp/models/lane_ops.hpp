// Lane primitives shared by the fused inference kernels (models/fused_kernel_body.hpp) and the fused
// trainer (learning/fused_gnn_body.hpp): one cell per SIMD lane, weights broadcast to every lane.
//
// Included (without an include guard) inside an instruction set's namespace, after it has defined
//   Lanes                           kLanes floats (GCC/Clang vector extension)
//   kRows, kCols, kMixCols          the register blocks of the products
//   Fma(a, b, c)                    a * b + c with one rounding
//   Max(a, b), Min(a, b)            a > b ? a : b and a < b ? a : b, lane by lane (NaN and -0 too)
//   InRegister(v)                   v, loaded once into a register
//   RoundToInteger(t)               t rounded to the nearest integer, ties to even
//   TimesTwoTo(y, n)                y 2^n for integral n in [-126, 127]
// Every lane runs the same arithmetic in the same order whatever the width, so results do not depend
// on the instruction set (the build has -ffp-contract=off: a multiply-add is fused only in Fma).

// Arrays of Lanes allocate through this. The standard library's code is compiled for the baseline,
// where GCC takes a wide vector type to be 16-byte aligned, so std::allocator<Lanes> would not align
// them for this kernel's aligned loads and stores.
template <class T>
struct LaneAllocator {
  using value_type = T;
  static constexpr std::align_val_t kAlignment{sizeof(Lanes)};
  LaneAllocator() = default;
  template <class U>
  LaneAllocator(const LaneAllocator<U>&) {}
  T* allocate(size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), kAlignment)); }
  void deallocate(T* p, size_t) { ::operator delete(p, kAlignment); }
  bool operator==(const LaneAllocator&) const { return true; }
  bool operator!=(const LaneAllocator&) const { return false; }
};
using LaneVector = std::vector<Lanes, LaneAllocator<Lanes>>;

inline Lanes Broadcast(float v) { return v - Lanes{}; }  // v - 0 is v, even for -0

// e^x for every lane: 2^n e^r with n = round(x / ln 2) and r = x - n ln 2, e^r = 1 + r + r^2 P(r) with
// P fitted on |r| <= ln 2 / 2 (relative error 1.3e-7). Only absolute errors reach the outputs (softmax
// weights, ELU, the final sigmoid), so one rounded ln 2 suffices for the reduction. The clamp keeps 2^n
// a normal float, so every way of scaling by it is exact and gives the same bits (e^x below -87.3 is
// 1.2e-38 instead of 0, above 88.3 a finite 2.2e38 instead of inf). The bound comes first in Max and
// Min, so that NaN passes through: a broken model's NaN must reach the output, where it is an error,
// instead of becoming a plausible probability here.
inline Lanes Exp(Lanes x) {
  x = Max(Broadcast(-87.3f), Min(Broadcast(88.3f), x));
  const Lanes n = RoundToInteger(x * 1.44269504088896341f);
  const Lanes r = Fma(n, Broadcast(-0.693147181f), x);
  const Lanes p = Fma(Fma(Fma(Broadcast(8.36916e-3f), r, Broadcast(4.190082e-2f)), r, Broadcast(1.6666516e-1f)), r,
                      Broadcast(4.999912e-1f));
  return TimesTwoTo(Fma(p, r * r, r) + 1.0f, n);
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
      for (int r = 0; r < R; ++r) acc[r][c] = Fma(a[r], w, acc[r][c]);
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
      for (int r = 0; r < R; ++r) acc[r][c] = Fma(w[r], v, acc[r][c]);
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
