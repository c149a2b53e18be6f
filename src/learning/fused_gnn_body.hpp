// ResGCN/ResGAT forward and backward passes by hand, one cell per SIMD lane (models/lane_ops.hpp), for
// the architecture of training/torch_model.cpp:
//
//   h0 = [x_e, onehot_e] W_in^T + b_in       (input layer, per node e; x_e: its F node features)
//   GCN layer l: h += dropout(relu((Â h) W_l^T + b_l))
//   GAT layer l: p = h W_l^T, per head k: α_ij = softmax_j∈N(i) leaky_relu(p_i·a_src + p_j·a_dst, 0.2),
//                h += dropout(elu(Σ_j α_ij p_j))
//   readout r = [mean_e h, max_e h]; logits = W_o dropout(relu(W_hh r + b_hh)) + b_o
//
// Masked pre-training (GnnObjective::MaskedValues) keeps the backbone (input and residual layers) and
// replaces the classifier by a per-node regression head: hidden nodes get x_e = 0 plus a learned mask
// token t (h0_e = t + eb_e, i.e. t is the input column of a 0/1 "hidden" flag), and
//   ŷ_e = w_p relu(W_p h_e + b_p) + c_p,   loss = Σ over hidden nodes (ŷ_e - value_e)² / their count.
//
// Two rewrites keep the per-cell work to the products of layers 1.. (as in the fused scorer):
// - Layer 0 reads h0 = Σ_f x_f vw_f + eb (vw_f: the column of W_in of node feature f; eb: the one-hot
//   column plus b_in), so h0 W = Σ_f x_f (vw_f W) + (eb W): tables per step instead of a product per
//   cell. Its backward pass needs only sums over the cells (of dZ·(Âx_f), of Â^T dZ, of x_f Â^T dZ),
//   turned into the gradients of W_0 and W_in once per batch (Fold).
// - GAT: W a_src and W a_dst per head are extra columns of the layer's weights (Wext, h x (h + 2 heads)),
//   so one product gives the projections and both attention terms, forward and backward; the
//   gradient of Wext is folded back into W and the attention vectors once per batch.
// The weight gradients are sums over the nodes and the lanes of a chunk (AddProductSums), added to
// the group's buffer in chunk order.
//
// Compiled once per instruction set: fused_gnn_{scalar,avx2,avx512}.cpp each include this file (so it
// has no include guard) inside their own namespace (the AVX ones inside a `#pragma GCC target`
// region), after defining what models/lane_ops.hpp needs with kLanes = kTrainingLanes floats per
// Lanes, kSumRows x kSumCols (powers of two, kSumCols at most kLanes): the register block of
// AddProductSums, and SumOperand (an operand of those sums, held in a register or not). Sums over a
// chunk's lanes take one fixed order (LaneSums), so every kernel gives the same bytes.

namespace {

#include "geoprosp/models/lane_ops.hpp"

using LaneMask = decltype(Lanes{} < Lanes{});  // a comparison's result: 0 or -1 per lane
typedef uint32_t LaneBits __attribute__((vector_size(kTrainingLanes * sizeof(uint32_t))));
static_assert(kLanes == kTrainingLanes && sizeof(Lanes) == kLanes * sizeof(float), "one chunk of cells per Lanes");

constexpr float kLeakySlope = 0.2f;  // GAT's leaky_relu
constexpr int kMaxGroups = 32;       // gradient buffers per batch: the most threads that can share one
constexpr int kFoldRows = 16;        // rows of layer 0's gradient per task of Fold
constexpr int kFoldNodes = 4;        // nodes per task of Fold's sums
constexpr size_t kSumSlice = 2048;   // floats of a gradient buffer per step of the groups' sum

inline bool SameBits(float a, float b) { return __builtin_memcmp(&a, &b, sizeof(a)) == 0; }

// Lane m of a + b pairs lanes m and m ^ S: of a where bit S of m is clear, of b where it is set.
template <int S, int... M>
inline Lanes PairSums(Lanes a, Lanes b, std::integer_sequence<int, M...>) {
  return __builtin_shufflevector(a, b, ((M & S) ? kLanes + M : M)...) +
         __builtin_shufflevector(a, b, ((M & S) ? kLanes + (M ^ S) : (M ^ S))...);
}

// Folds each of v[0..Count) on itself, pairing lanes m and m ^ S, for S = Size, Size / 2, ... >= Count.
template <int S, int Count>
inline void FoldEach(Lanes* v) {
  if constexpr (S >= Count && S >= 1) {
    for (int n = 0; n < Count; ++n) v[n] = PairSums<S>(v[n], v[n], std::make_integer_sequence<int, kLanes>());
    FoldEach<S / 2, Count>(v);
  }
}

// Lane k < Count (a power of two, at most kLanes) of the result: the sum of the lanes of v[k]. Each
// vector's lanes are added in one fixed order whatever Count (pairs of lanes m and m ^ S for S =
// kLanes / 2, ..., 2, 1: within each vector while S >= Count, then across the vectors, a butterfly),
// so the sums do not depend on the register blocks an instruction set uses.
template <int Count>
inline Lanes Butterfly(Lanes* v) {
  if constexpr (Count == 1) {
    return v[0];
  } else {
    constexpr int half = Count / 2;
    for (int n = 0; n < half; ++n) v[n] = PairSums<half>(v[n], v[n + half], std::make_integer_sequence<int, kLanes>());
    return Butterfly<half>(v);
  }
}
template <int Count = kLanes>
inline Lanes LaneSums(Lanes* v) {
  static_assert(Count >= 1 && Count <= kLanes && (Count & (Count - 1)) == 0, "Count: a power of two <= kLanes");
  FoldEach<kLanes / 2, Count>(v);
  return Butterfly<Count>(v);
}

// Unaligned loads and stores of kLanes floats (memcpy compiles to one vector move).
inline Lanes LoadLanes(const float* p) {
  Lanes v;
  __builtin_memcpy(&v, p, sizeof(v));
  return v;
}
inline void StoreLanes(float* p, Lanes v) { __builtin_memcpy(p, &v, sizeof(v)); }

// out[m] += Σ_k coef[k * coef_stride] * matrix[k * matrix_stride + m] for m < cols, the products added
// in turn (k ascending) as a loop over k of out[m] += coef[k] * matrix[k][m] would; blocks of out
// stay in registers meanwhile.
inline void AddScaledRows(const float* coef, int coef_stride, int count, const float* matrix, int matrix_stride,
                          int cols, float* out) {
  constexpr int kBlock = 4;  // Lanes per block
  int m0 = 0;
  for (; m0 + kBlock * kLanes <= cols; m0 += kBlock * kLanes) {
    Lanes sum[kBlock];
    for (int b = 0; b < kBlock; ++b) sum[b] = LoadLanes(out + m0 + b * kLanes);
    for (int k = 0; k < count; ++k) {
      const Lanes v = Broadcast(coef[size_t(k) * coef_stride]);
      const float* row = matrix + size_t(k) * matrix_stride + m0;
      for (int b = 0; b < kBlock; ++b) sum[b] += v * LoadLanes(row + b * kLanes);
    }
    for (int b = 0; b < kBlock; ++b) StoreLanes(out + m0 + b * kLanes, sum[b]);
  }
  for (; m0 + kLanes <= cols; m0 += kLanes) {
    Lanes sum = LoadLanes(out + m0);
    for (int k = 0; k < count; ++k)
      sum += Broadcast(coef[size_t(k) * coef_stride]) * LoadLanes(matrix + size_t(k) * matrix_stride + m0);
    StoreLanes(out + m0, sum);
  }
  for (int k = 0; k < count; ++k) {
    const float v = coef[size_t(k) * coef_stride];
    const float* row = matrix + size_t(k) * matrix_stride;
    for (int m = m0; m < cols; ++m) out[m] += v * row[m];
  }
}

// out[k] += the sum of the lanes of value(k), for k < count.
template <class Value>
inline void AddLaneSumsOf(int count, Value value, float* out) {
  int k0 = 0;
  for (; k0 + kLanes <= count; k0 += kLanes) {  // constant bounds: the block stays in registers
    Lanes block[kLanes];
    for (int k = 0; k < kLanes; ++k) block[k] = value(k0 + k);
    StoreLanes(out + k0, LoadLanes(out + k0) + LaneSums(block));
  }
  if (k0 == count) return;
  Lanes block[kLanes] = {};
  for (int k = 0; k < count - k0; ++k) block[k] = value(k0 + k);
  const Lanes sums = LaneSums(block);
  for (int k = 0; k < count - k0; ++k) out[k0 + k] += sums[k];
}
inline void AddLaneSums(const Lanes* v, int count, float* out) {
  AddLaneSumsOf(
      count, [v](int k) { return v[k]; }, out);
}

// out[c] += the sum over the lanes of Σ over the nodes i < n of weight[i] * rows[i * stride + c] (one
// Fma chain per lane; weight null: a plain sum), for c < cols: kLanes columns at a time, so that the
// chains run side by side.
inline void AddColumnSums(const Lanes* weight, const Lanes* rows, int stride, int n, int cols, float* out) {
  auto add = [&](const Lanes& v, int i, const Lanes& sum) __attribute__((always_inline)) {
    return weight ? Fma(weight[i], v, sum) : sum + v;
  };
  int c0 = 0;
  for (; c0 + kLanes <= cols; c0 += kLanes) {
    Lanes block[kLanes];
    for (int k = 0; k < kLanes; ++k) block[k] = Lanes{};
    for (int i = 0; i < n; ++i) {
      for (int k = 0; k < kLanes; ++k) block[k] = add(rows[i * stride + c0 + k], i, block[k]);
    }
    StoreLanes(out + c0, LoadLanes(out + c0) + LaneSums(block));
  }
  AddLaneSumsOf(
      cols - c0,
      [&](int k) {
        Lanes sum{};
        for (int i = 0; i < n; ++i) sum = add(rows[i * stride + c0 + k], i, sum);
        return sum;
      },
      out + c0);
}

// out[r][c] += sum over i < n and over the lanes of a[i][r] * b[i][c], for r < rows, c < cols: the
// weight gradient of a product, summed over the nodes and the cells of a chunk. Blocks of kSumRows x
// kSumCols accumulators (SumOperand holds the operands in registers) reduce to registers of sums, a
// piece of at most kLanes accumulators (whole rows) each; partial blocks reduce zeros in the rest.
// Each sum is the same chain of Fmas over i, and each piece's lanes add in the same order, whatever
// the block sizes.
inline void AddProductSums(const Lanes* a, int a_stride, int rows, const Lanes* b, int b_stride, int cols, int n,
                           float* out, int out_stride) {
  constexpr int kBlock = kSumRows * kSumCols, kPiece = kBlock < kLanes ? kBlock : kLanes;
  constexpr int kPieceRows = kPiece / kSumCols;
  static_assert(kSumCols <= kLanes && kBlock % kPiece == 0, "a piece of the sums holds whole rows");
  typedef float SumRow __attribute__((vector_size(kSumCols * sizeof(float))));
  // Adds row r of a piece's sums to out's row `to` (kSumCols floats in one vector).
  auto add_row = [](const Lanes& sums, int r, float* to) __attribute__((always_inline)) {
    SumRow part, row;
    __builtin_memcpy(&part, reinterpret_cast<const float*>(&sums) + r * kSumCols, sizeof(part));
    __builtin_memcpy(&row, to, sizeof(row));
    row += part;
    __builtin_memcpy(to, &row, sizeof(row));
  };
  for (int r0 = 0; r0 < rows; r0 += kSumRows) {
    for (int c0 = 0; c0 < cols; c0 += kSumCols) {
      Lanes acc[kBlock];
      for (int k = 0; k < kBlock; ++k) acc[k] = Lanes{};
      if (r0 + kSumRows <= rows && c0 + kSumCols <= cols) {  // every bound a constant: acc stays in registers
        for (int i = 0; i < n; ++i) {
          Lanes x[kSumRows], y[kSumCols];
          for (int r = 0; r < kSumRows; ++r) x[r] = SumOperand(a[i * a_stride + r0 + r]);
          for (int c = 0; c < kSumCols; ++c) y[c] = SumOperand(b[i * b_stride + c0 + c]);
          for (int r = 0; r < kSumRows; ++r) {
            for (int c = 0; c < kSumCols; ++c) acc[r * kSumCols + c] = Fma(x[r], y[c], acc[r * kSumCols + c]);
          }
        }
        for (int p = 0; p < kBlock / kPiece; ++p) {
          const Lanes sums = LaneSums<kPiece>(acc + p * kPiece);
          for (int r = 0; r < kPieceRows; ++r) add_row(sums, r, out + (r0 + p * kPieceRows + r) * out_stride + c0);
        }
        continue;
      }
      for (int i = 0; i < n; ++i) {
        for (int r = 0; r < kSumRows && r0 + r < rows; ++r) {
          for (int c = 0; c < kSumCols && c0 + c < cols; ++c)
            acc[r * kSumCols + c] = Fma(a[i * a_stride + r0 + r], b[i * b_stride + c0 + c], acc[r * kSumCols + c]);
        }
      }
      for (int p0 = 0; p0 < kSumRows && r0 + p0 < rows; p0 += kPieceRows) {
        const Lanes sums = LaneSums<kPiece>(acc + p0 * kSumCols);
        for (int r = 0; r < kPieceRows && r0 + p0 + r < rows; ++r) {
          if (c0 + kSumCols <= cols) {
            add_row(sums, r, out + (r0 + p0 + r) * out_stride + c0);
            continue;
          }
          for (int c = 0; c < kSumCols && c0 + c < cols; ++c)
            out[(r0 + p0 + r) * out_stride + c0 + c] += sums[r * kSumCols + c];
        }
      }
    }
  }
}

// 32 random bits per lane for (lane key, site): Wellons' lowbias32 of key ^ site * 2^32 / φ.
inline LaneBits Hash(LaneBits key, uint32_t site) {
  LaneBits h = key ^ (site * 0x9e3779b9u);
  h ^= h >> 16;
  h *= 0x7feb352du;
  h ^= h >> 15;
  h *= 0x846ca68bu;
  h ^= h >> 16;
  return h;
}

// out[r][c] += sum over the lanes of a[r] * b[c] (rows x cols, row-major): the weight gradient of a
// one-row product. Cell-major copies turn it into a plain product over the cells, with no
// horizontal sums; each block of an output row stays in registers while the lanes add to it in turn.
void AddOuterSums(const Lanes* a, int rows, const Lanes* b, int cols, std::vector<float>& scratch, float* out) {
  constexpr int kBlock = 4;  // Lanes of an output row per block
  scratch.resize(size_t(kLanes) * (rows + cols));
  float* at = scratch.data();
  float* bt = at + size_t(kLanes) * rows;
  for (int r = 0; r < rows; ++r) {
    for (int lane = 0; lane < kLanes; ++lane) at[lane * rows + r] = a[r][lane];
  }
  for (int c = 0; c < cols; ++c) {
    for (int lane = 0; lane < kLanes; ++lane) bt[lane * cols + c] = b[c][lane];
  }
  const int blocked = cols - cols % (kBlock * kLanes);
  for (int r = 0; r < rows; ++r) {
    float* row = out + size_t(r) * cols;
    for (int c0 = 0; c0 < blocked; c0 += kBlock * kLanes) {
      Lanes sum[kBlock];
      for (int k = 0; k < kBlock; ++k) sum[k] = LoadLanes(row + c0 + k * kLanes);
      for (int lane = 0; lane < kLanes; ++lane) {
        const Lanes v = Broadcast(at[lane * rows + r]);
        const float* from = bt + size_t(lane) * cols + c0;
        for (int k = 0; k < kBlock; ++k) sum[k] += v * LoadLanes(from + k * kLanes);
      }
      for (int k = 0; k < kBlock; ++k) StoreLanes(row + c0 + k * kLanes, sum[k]);
    }
    for (int lane = 0; lane < kLanes; ++lane) {
      const float v = at[lane * rows + r];
      const float* from = bt + size_t(lane) * cols;
      for (int c = blocked; c < cols; ++c) row[c] += v * from[c];
    }
  }
}

double Softplus(double v) { return v > 0 ? v + std::log1p(std::exp(-v)) : std::log1p(std::exp(v)); }

// Per thread: one chunk's inputs, the activations its backward pass reads, and scratch rows.
struct Workspace {
  LaneVector x;                       // inputs x E: node features (x[f E + e]), then the hidden flag
  LaneVector a, at;                   // per-cell mode: this chunk's Â and Â^T (E x E)
  LaneVector ax;                      // GCN: Â x_f (inputs x E)
  LaneVector h, dh;                   // E rows: the state and its gradient
  LaneVector t1, t2;                  // E rows: Z or dZ, dM or dP
  std::vector<LaneVector> saved;      // per layer: GCN Â h (l >= 1); GAT h (l >= 1)
  std::vector<LaneVector> projected;  // GAT, per layer: h Wext (E rows)
  std::vector<LaneVector> attention;  // GAT, per layer: heads x E x E
  std::vector<LaneVector> gate;       // per layer: d(update)/d(pre-activation) x dropout scale
  LaneVector attention_t, dalpha;     // GAT backward: one head's α^T (E x E), dα of one node (E)
  LaneVector readout, q, dropped, head_gate, dq, dr;
  std::vector<float> transposed;  // cell-major copies for AddOuterSums
  Lanes logits[2], dlogits[2], positive_dlogits[2];
  // Masked pre-training: the head's pre-activations (E rows), and per node the prediction, its target,
  // its weight in the loss (1 / hidden nodes of the batch where hidden, else 0) and d loss / d ŷ.
  LaneVector node_hidden, prediction, target, node_weight, dprediction;
  LaneBits keys;
};

struct Kernel final : GnnKernel, GnnLayout {
  int threads;
  // Derived from the parameters at each call.
  std::vector<float> vw, eb;                   // inputs x h; E x h
  std::vector<std::vector<float>> wt, wext_t;  // per layer: W^T or Wext (h x width); GAT Wext^T (width x h)
  std::vector<float> fv, fe;                   // layer 0: vw_f W (inputs x width), eb W (E x width)
  LaneVector fe_lanes;                         // per-cell GCN: fe broadcast (E rows)
  std::vector<float> afe;                      // shared-Â GCN: Â fe + b_0 (E x h)
  std::vector<float> whh_t;                    // W_hh^T (2h x h)
  std::vector<float> wp_t;                     // masked: W_p^T (h x h)
  // The graph of the current call (a copy of the shared Â, to see whether the next call's is the same).
  bool per_cell = false, graph_ready = false;
  std::vector<float> graph;
  LaneVector shared_a, shared_at;
  std::vector<std::vector<int>> nb, nbt;  // neighbours in Â and in Â^T
  bool dense = true, dense_t = true;

  std::vector<std::unique_ptr<Workspace>> workspaces;
  TaskTeam team;
  std::vector<std::vector<float>> groups, positive_groups;
  // The ranges of a group's buffer that the chunks add to (Fold writes the rest), and the same ranges
  // cut into slices (and where the parameters end), each with the number of groups added to its sum.
  std::vector<std::pair<size_t, size_t>> summed, sum_slices;
  struct alignas(64) SliceCount {
    std::atomic<int> value{0};
  };
  std::unique_ptr<SliceCount[]> slice_groups;
  std::vector<float> value_sum, element_sum;  // Fold's d/dh0 sums: inputs x h, E x h
  std::vector<LossParts> chunk_parts;
  std::vector<double> chunk_errors;

  Kernel(const GnnLayout& layout, int thread_count);
  GnnLayout& layout() override { return *this; }
  void Prepare(const SampleSet& samples);
  void PrepareGraph(const SampleSet& samples);
  void PrepareInput();
  void PrepareHead(int half);
  void PrepareLayer(int l);
  void PrepareLayerZero(int c0, int c1);
  void Load(Workspace& ws, const SampleSet& samples, const size_t* index, int count, size_t first_slot,
            uint64_t dropout_key, const uint8_t* hidden_nodes = nullptr, float node_weight = 0) const;
  Lanes Mask(const Workspace& ws, bool dropout, uint32_t site) const;
  void ForwardBackbone(Workspace& ws, bool dropout) const;
  void ForwardHead(Workspace& ws, bool dropout) const;
  void ForwardRegressionHead(Workspace& ws) const;
  double ChunkSquaredError(Workspace& ws, int count) const;
  void BackwardRegressionHead(Workspace& ws, float* buffer) const;
  void ForwardGcn(Workspace& ws, int l, bool dropout) const;
  void ForwardGat(Workspace& ws, int l, bool dropout) const;
  LossParts ChunkLoss(Workspace& ws, const LossWeights& weights, size_t first, int count, bool* has_positive) const;
  void BackwardHead(Workspace& ws, const Lanes* dlogits, float* buffer) const;
  void BackwardBackbone(Workspace& ws, float* buffer) const;
  void BackwardGcn(Workspace& ws, int l, float* buffer) const;
  // The epilogue that adds to ws.dh and writes layer l's dZ (GAT: d mixed), dh x gate, to ws.t1.
  auto AddAndGate(Workspace& ws, int l) const {
    Lanes* dh = ws.dh.data();
    Lanes* dz = ws.t1.data();
    const Lanes* gate = ws.gate[l].data();
    return [=](Lanes & out, Lanes v) __attribute__((always_inline)) {
      out += v;
      const ptrdiff_t at = &out - dh;
      dz[at] = out * gate[at];
    };
  }
  void BackwardGat(Workspace& ws, int l, float* buffer) const;
  void Fold(float* g, float* out);
  void FoldValueSums(const float* g);
  void FoldElementSums(const float* g, int e0, int e1);
  void FoldLayerZero(float* g, float* out, int r0, int r1) const;
  void FoldAttention(const float* g, float* out, int l) const;
  void AddRowProducts(const float* rows, int stride, int count, int cols, const float* matrix, float* out) const;
  void CheckBatch(const SampleSet& samples, const std::vector<size_t>& batch) const;
  // chunk(ws, chunk, first slot, lanes, group buffer, positive group buffer) for every chunk of
  // `count` slots, on the team; then the groups' buffers summed in order and folded into `gradient`
  // and `positive_gradient` (either may be null: no buffer).
  using ChunkTask = std::function<void(Workspace&, int64_t, size_t, int, float*, float*)>;
  void RunChunks(int64_t count, const ChunkTask& chunk, float* gradient, float* positive_gradient);
  LossParts Run(const SampleSet& samples, const std::vector<size_t>& batch, const LossWeights& weights,
                uint64_t dropout_key, float* gradient, float* positive_gradient) override;
  double RunMasked(const SampleSet& samples, const std::vector<size_t>& batch, const std::vector<uint8_t>& hidden_nodes,
                   uint64_t dropout_key, float* gradient) override;
  void AdamStep(const AdamCoefficients& coefficients, const float* gradient, float* m, float* v) override;
};

Kernel::Kernel(const GnnLayout& layout, int thread_count)
    : GnnLayout(layout), threads(thread_count > 0 ? thread_count : DefaultThreadCount()), team(threads) {
  const int h = hidden;
  // Fold writes the input layer (and the mask token), GCN's W_0, GAT's W and attention vectors.
  std::vector<bool> folded(buffer_size, false);
  auto fold_writes = [&](size_t offset, size_t size) { std::fill_n(folded.begin() + offset, size, true); };
  fold_writes(in_w, size_t(h) * (features + n));
  fold_writes(in_b, h);
  if (masked) fold_writes(mask_token, h);
  for (int l = 0; l < layers; ++l) {
    if (gat || l == 0) fold_writes(w[l], size_t(h) * h);
    if (gat) {
      fold_writes(src[l], h);
      fold_writes(dst[l], h);
    }
  }
  vw.assign(size_t(inputs) * h, 0.0f);
  eb.assign(size_t(n) * h, 0.0f);
  wt.assign(layers, std::vector<float>(size_t(h) * width));
  if (gat) wext_t.assign(layers, std::vector<float>(size_t(width) * h));
  fv.assign(size_t(inputs) * width, 0.0f);
  fe.assign(size_t(n) * width, 0.0f);
  fe_lanes.assign(size_t(n) * stride, Lanes{});
  afe.assign(size_t(n) * h, 0.0f);
  (masked ? wp_t : whh_t).assign(size_t(masked ? 1 : 2) * h * h, 0.0f);
  value_sum.assign(size_t(inputs) * h, 0.0f);
  element_sum.assign(size_t(n) * h, 0.0f);
  for (size_t i = 0; i < buffer_size;) {
    if (folded[i]) {
      ++i;
      continue;
    }
    size_t end = i;
    while (end < buffer_size && !folded[end] && (end != params.size() || end == i)) ++end;
    summed.emplace_back(i, end);
    for (size_t slice = i; slice < end; slice += kSumSlice)
      sum_slices.emplace_back(slice, std::min(end, slice + kSumSlice));
    i = end;
  }
  slice_groups = std::make_unique<SliceCount[]>(sum_slices.size());
  for (int t = 0; t < threads; ++t) {
    workspaces.push_back(std::make_unique<Workspace>());
    Workspace& ws = *workspaces.back();
    const size_t rows = size_t(n) * stride;
    ws.x.resize(size_t(inputs) * n);
    ws.a.resize(size_t(n) * n);
    ws.at.resize(size_t(n) * n);
    ws.ax.resize(size_t(inputs) * n);
    for (auto* v : {&ws.h, &ws.dh, &ws.t1, &ws.t2}) v->assign(rows, Lanes{});
    ws.saved.assign(layers, LaneVector(rows));
    ws.gate.assign(layers, LaneVector(rows));
    if (gat) {
      ws.projected.assign(layers, LaneVector(rows));
      ws.attention.assign(layers, LaneVector(size_t(heads) * n * n));
      ws.attention_t.resize(size_t(n) * n);
      ws.dalpha.resize(n);
    }
    ws.readout.resize(2 * h);
    for (auto* v : {&ws.q, &ws.dropped, &ws.head_gate, &ws.dq}) v->resize(h);
    ws.dr.resize(2 * h);
    if (masked) {
      ws.node_hidden.assign(rows, Lanes{});
      for (auto* v : {&ws.prediction, &ws.target, &ws.node_weight, &ws.dprediction}) v->assign(n, Lanes{});
    }
  }
}

// The derived weights (from the current parameters) and the graph's neighbour lists, in one round on
// the team, the longest task first: the input layer's columns, W_0^T and layer 0's tables; then W_l^T
// for l >= 1; then the head's transposed weights in halves. Each value is computed as on one thread,
// so the bytes do not depend on the threads.
void Kernel::Prepare(const SampleSet& samples) {
  PrepareGraph(samples);
  team.Run(std::max(layers, 1) + 2, [&](int task, int) {
    if (task == 0) {
      PrepareInput();
      if (layers > 0) {
        PrepareLayer(0);
        PrepareLayerZero(0, width);
      }
    } else if (task < layers) {
      PrepareLayer(task);
    } else {
      PrepareHead(task - std::max(layers, 1));
    }
  });
}

// vw and eb: the input layer's columns.
void Kernel::PrepareInput() {
  const int h = hidden;
  const float* win = params.data() + in_w;
  const int columns = features + n;
  for (int m = 0; m < h; ++m) {
    for (int f = 0; f < features; ++f) vw[f * h + m] = win[m * columns + f];
    if (masked) vw[features * h + m] = params[mask_token + m];
    for (int e = 0; e < n; ++e) eb[e * h + m] = win[m * columns + features + e] + params[in_b + m];
  }
}

// Half `half` (0 or 1; its output columns) of the head's transposed weights.
void Kernel::PrepareHead(int half) {
  const int h = hidden, c0 = half * h / 2, c1 = (half + 1) * h / 2;
  if (masked) {
    for (int c = c0; c < c1; ++c) {
      for (int m = 0; m < h; ++m) wp_t[m * h + c] = params[p_hw + c * h + m];
    }
  } else {
    for (int c = c0; c < c1; ++c) {
      for (int m = 0; m < 2 * h; ++m) whh_t[m * h + c] = params[hh_w + c * 2 * h + m];
    }
  }
}

// W_l^T (GAT: Wext_l and its transpose).
void Kernel::PrepareLayer(int l) {
  const int h = hidden;
  const float* weight = params.data() + w[l];  // (out x in)
  float* forward = wt[l].data();
  for (int m = 0; m < h; ++m) {
    for (int c = 0; c < h; ++c) forward[m * width + c] = weight[c * h + m];
  }
  if (!gat) return;
  for (int m = 0; m < h; ++m) std::fill_n(forward + m * width + h, 2 * heads, 0.0f);
  for (int row = 0; row < h; ++row) {  // W^T a_src and W^T a_dst per head: row k * head_width + d of W
    const int k = row / head_width;
    const float a_src = params[src[l] + row], a_dst = params[dst[l] + row];
    for (int m = 0; m < h; ++m) {
      forward[m * width + h + k] += weight[row * h + m] * a_src;
      forward[m * width + h + heads + k] += weight[row * h + m] * a_dst;
    }
  }
  for (int m = 0; m < h; ++m) {
    for (int c = 0; c < width; ++c) wext_t[l][c * h + m] = forward[m * width + c];
  }
}

// Layer 0's tables for the columns [c0, c1) (after PrepareInput and PrepareLayer(0)): fv_f = vw_f W, fe = eb W; GCN: Â
// fe + b_0 (shared Â) or fe broadcast (per-cell Â).
void Kernel::PrepareLayerZero(int c0, int c1) {
  const int h = hidden;
  for (int f = 0; f < inputs; ++f) {
    std::fill(fv.begin() + f * width + c0, fv.begin() + f * width + c1, 0.0f);
    AddScaledRows(vw.data() + f * h, 1, h, wt[0].data() + c0, width, c1 - c0, fv.data() + f * width + c0);
  }
  for (int e = 0; e < n; ++e) {
    std::fill(fe.begin() + e * width + c0, fe.begin() + e * width + c1, 0.0f);
    AddScaledRows(eb.data() + e * h, 1, h, wt[0].data() + c0, width, c1 - c0, fe.data() + e * width + c0);
  }
  if (gat) return;
  const int end = std::min(c1, h);
  if (per_cell) {
    for (int e = 0; e < n; ++e) {
      for (int c = c0; c < end; ++c) fe_lanes[e * stride + c] = Broadcast(fe[e * width + c]);
    }
    return;
  }
  const float* shared = graph.data();
  for (int i = 0; i < n; ++i) {
    for (int c = c0; c < end; ++c) {
      float sum = 0;
      for (int j : nb[i]) sum += shared[i * n + j] * fe[j * width + c];
      afe[i * h + c] = sum + params[b[0] + c];
    }
  }
}

// The neighbour lists (and the shared Â in lanes) of the samples' graph, when it differs from the
// last call's.
void Kernel::PrepareGraph(const SampleSet& samples) {
  const bool same = graph_ready && per_cell == samples.per_sample_adjacency &&
                    (per_cell || (graph.size() == samples.adjacency.size() &&
                                  std::equal(graph.begin(), graph.end(), samples.adjacency.begin(),
                                             [](float a, float b) { return SameBits(a, b); })));
  if (same) return;
  graph_ready = true;
  per_cell = samples.per_sample_adjacency;
  if (per_cell) {
    graph.clear();
  } else {
    graph = samples.adjacency;
  }
  nb.assign(n, {});
  nbt.assign(n, {});
  dense = dense_t = true;
  const float* shared = graph.data();
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      if (per_cell || shared[i * n + j] != 0.0f) nb[i].push_back(j);
      if (per_cell || shared[j * n + i] != 0.0f) nbt[i].push_back(j);
    }
    dense = dense && static_cast<int>(nb[i].size()) == n;
    dense_t = dense_t && static_cast<int>(nbt[i].size()) == n;
  }
  if (!per_cell) {
    shared_a.resize(size_t(n) * n);
    shared_at.resize(size_t(n) * n);
    for (int i = 0; i < n; ++i) {
      for (int j = 0; j < n; ++j) {
        shared_a[i * n + j] = Broadcast(shared[i * n + j]);
        shared_at[i * n + j] = Broadcast(shared[j * n + i]);
      }
    }
  }
}

// Lane b: sample index[b]; padding lanes get zero features and the identity for Â. Masked
// pre-training: `hidden_nodes` (count x E, 1 = hidden) zero a hidden node's features and set its flag;
// the targets are the nodes' values, weighted `node_weight` where hidden.
void Kernel::Load(Workspace& ws, const SampleSet& samples, const size_t* index, int count, size_t first_slot,
                  uint64_t dropout_key, const uint8_t* hidden_nodes, float node_weight) const {
  std::fill(ws.x.begin(), ws.x.end(), Lanes{});
  const int row = features * n;
  for (int lane = 0; lane < count; ++lane) {
    const float* values = samples.features_of(index[lane]);
    for (int i = 0; i < row; ++i) ws.x[i][lane] = values[i];
  }
  if (masked) {
    for (int e = 0; e < n; ++e) ws.target[e] = ws.node_weight[e] = Lanes{};
    for (int lane = 0; lane < count; ++lane) {
      const uint8_t* hidden = hidden_nodes + size_t(lane) * n;
      for (int e = 0; e < n; ++e) {
        ws.target[e][lane] = ws.x[e][lane];
        if (!hidden[e]) continue;
        for (int f = 0; f < features; ++f) ws.x[f * n + e][lane] = 0.0f;
        ws.x[features * n + e][lane] = 1.0f;
        ws.node_weight[e][lane] = node_weight;
      }
    }
  }
  for (int lane = 0; lane < kLanes; ++lane)
    ws.keys[lane] = static_cast<uint32_t>(SplitMix64(dropout_key ^ SplitMix64(first_slot + lane)));
  if (!per_cell) return;
  for (int lane = 0; lane < kLanes; ++lane) {
    const float* a = lane < count ? samples.adjacency_of(index[lane]) : nullptr;
    for (int i = 0; i < n; ++i) {
      for (int j = 0; j < n; ++j) {
        const float v = a ? a[i * n + j] : (i == j ? 1.0f : 0.0f);
        ws.a[i * n + j][lane] = v;
        ws.at[j * n + i][lane] = v;
      }
    }
  }
}

// Dropout's factor for one unit: 0 with probability p, else 1 / (1 - p); 1 without dropout.
Lanes Kernel::Mask(const Workspace& ws, bool dropout, uint32_t site) const {
  if (!dropout) return Broadcast(1.0f);
  return Hash(ws.keys, site) >= drop_threshold ? Broadcast(keep_scale) : Lanes{};
}

// The backbone (input layer and residual layers): ws.x -> ws.h, the nodes' states.
void Kernel::ForwardBackbone(Workspace& ws, bool dropout) const {
  const int h = hidden, s = stride;
  for (int e = 0; e < n; ++e) {
    for (int c = 0; c < h; ++c) {
      Lanes sum = ws.x[e] * vw[c] + eb[e * h + c];
      for (int f = 1; f < inputs; ++f) sum += ws.x[f * n + e] * vw[f * h + c];
      ws.h[e * s + c] = sum;
    }
  }
  for (int l = 0; l < layers; ++l) {
    if (gat) {
      ForwardGat(ws, l, dropout);
    } else {
      ForwardGcn(ws, l, dropout);
    }
  }
}

// The classifier: mean || max readout of ws.h, then the MLP head -> ws.logits.
void Kernel::ForwardHead(Workspace& ws, bool dropout) const {
  const int h = hidden, s = stride;
  for (int c = 0; c < h; ++c) {
    Lanes sum = ws.h[c], peak = ws.h[c];
    for (int e = 1; e < n; ++e) {
      sum += ws.h[e * s + c];
      peak = Max(peak, ws.h[e * s + c]);
    }
    ws.readout[c] = sum / static_cast<float>(n);
    ws.readout[h + c] = peak;
  }
  Product(ws.readout.data(), 2 * h, 1, 2 * h, whh_t.data(), h, params.data() + hh_b, ws.q.data(), h, kStore);
  const uint32_t head_site = static_cast<uint32_t>(layers * n * s);
  for (int c = 0; c < h; ++c) {
    const Lanes m = Mask(ws, dropout, head_site + c);
    ws.dropped[c] = Max(ws.q[c], Lanes{}) * m;
    ws.head_gate[c] = ws.q[c] > 0 ? m : Lanes{};
  }
  const float* wo = params.data() + out_w;
  Lanes logit0 = Broadcast(params[out_b]), logit1 = Broadcast(params[out_b + 1]);
  for (int c = 0; c < h; ++c) {
    logit0 += ws.dropped[c] * wo[c];
    logit1 += ws.dropped[c] * wo[h + c];
  }
  ws.logits[0] = logit0;
  ws.logits[1] = logit1;
}

void Kernel::ForwardGcn(Workspace& ws, int l, bool dropout) const {
  const int h = hidden, s = stride;
  const Lanes* a = per_cell ? ws.a.data() : shared_a.data();
  Lanes* state = ws.h.data();
  Lanes* gate = ws.gate[l].data();
  const uint32_t site = static_cast<uint32_t>(l * n * s);
  // h += dropout(relu(z)); the gate keeps relu'(z) x dropout's factor for the backward pass.
  auto update = [&](Lanes & out, Lanes z) __attribute__((always_inline)) {
    const ptrdiff_t at = &out - state;
    const Lanes m = Mask(ws, dropout, site + static_cast<uint32_t>(at));
    gate[at] = z > 0 ? m : Lanes{};
    out += Max(z, Lanes{}) * m;
  };
  if (l > 0) {
    Mix(nb, dense, a, ws.h.data(), s, h, ws.saved[l].data(), s, kStore);
    Product(ws.saved[l].data(), s, n, h, wt[l].data(), width, params.data() + b[l], ws.h.data(), s, update);
    return;
  }
  // (Â h0) W + b = Σ_f (Â x_f) (vw_f W) + Â (eb W) + b
  for (int f = 0; f < inputs; ++f) {
    const Lanes* x = ws.x.data() + f * n;
    for (int i = 0; i < n; ++i) {
      Lanes sum{};
      for (int j : nb[i]) sum += a[i * n + j] * x[j];
      ws.ax[f * n + i] = sum;
    }
  }
  if (per_cell) Mix(nb, dense, a, fe_lanes.data(), s, h, ws.t1.data(), s, kStore);
  const float* bias = params.data() + b[0];
  for (int i = 0; i < n; ++i) {
    for (int c = 0; c < h; ++c) {
      const Lanes element = per_cell ? ws.t1[i * s + c] + bias[c] : Broadcast(afe[i * h + c]);
      Lanes z = ws.ax[i] * fv[c] + element;
      for (int f = 1; f < inputs; ++f) z += ws.ax[f * n + i] * fv[f * width + c];
      update(state[i * s + c], z);
    }
  }
}

void Kernel::ForwardGat(Workspace& ws, int l, bool dropout) const {
  const int h = hidden, s = stride;
  Lanes* projected = ws.projected[l].data();
  if (l == 0) {
    for (int i = 0; i < n; ++i) {
      for (int c = 0; c < width; ++c) {
        Lanes sum = ws.x[i] * fv[c] + fe[i * width + c];
        for (int f = 1; f < inputs; ++f) sum += ws.x[f * n + i] * fv[f * width + c];
        projected[i * s + c] = sum;
      }
    }
  } else {
    std::copy(ws.h.begin(), ws.h.end(), ws.saved[l].begin());
    Product(ws.h.data(), s, n, h, wt[l].data(), width, nullptr, projected, s, kStore);
  }
  const Lanes* a = per_cell ? ws.a.data() : shared_a.data();
  const Lanes minus_infinity = Broadcast(-std::numeric_limits<float>::infinity());
  Lanes* state = ws.h.data();
  Lanes* gate = ws.gate[l].data();
  const uint32_t site = static_cast<uint32_t>(l * n * s);
  // h += dropout(elu(v)); the gate keeps elu'(v) x dropout's factor.
  auto update = [&](Lanes & out, Lanes v) __attribute__((always_inline)) {
    const ptrdiff_t at = &out - state;
    const Lanes m = Mask(ws, dropout, site + static_cast<uint32_t>(at));
    const Lanes e = v > 0 ? v : Exp(v) - 1.0f;
    gate[at] = (v > 0 ? Broadcast(1.0f) : e + 1.0f) * m;
    out += e * m;
  };
  for (int k = 0; k < heads; ++k) {
    Lanes* alpha = ws.attention[l].data() + size_t(k) * n * n;
    for (int i = 0; i < n; ++i) {
      Lanes* row = alpha + i * n;
      const Lanes source = projected[i * s + h + k];
      Lanes peak = minus_infinity;
      for (int j : nb[i]) {
        const Lanes sum = source + projected[j * s + h + heads + k];
        Lanes score = sum > 0 ? sum : kLeakySlope * sum;
        if (per_cell) score = a[i * n + j] > 0 ? score : minus_infinity;
        row[j] = score;
        peak = Max(peak, score);
      }
      Lanes total{};
      for (int j : nb[i]) {
        const Lanes e = Exp(row[j] - peak);
        row[j] = per_cell ? (a[i * n + j] > 0 ? e : Lanes{}) : e;
        total += row[j];
      }
      const Lanes inverse = 1.0f / total;
      for (int j : nb[i]) row[j] *= inverse;
    }
    Mix(nb, dense, alpha, projected + k * head_width, s, head_width, state + k * head_width, s, update);
  }
}

// Cross-entropy terms of each lane, and the gradients of the loss (and of its positive part) with
// respect to the logits.
LossParts Kernel::ChunkLoss(Workspace& ws, const LossWeights& weights, size_t first, int count,
                            bool* has_positive) const {
  LossParts parts;
  *has_positive = false;
  for (int i = 0; i < 2; ++i) ws.dlogits[i] = ws.positive_dlogits[i] = Lanes{};
  for (int lane = 0; lane < count; ++lane) {
    const double a = weights.negative[first + lane], p = weights.positive[first + lane];
    const double d = double(ws.logits[1][lane]) - ws.logits[0][lane];
    const double p1 = 1 / (1 + std::exp(-d)), p0 = 1 / (1 + std::exp(d));
    parts.negative += a * Softplus(d);
    parts.positive += p * Softplus(-d);
    ws.dlogits[0][lane] = static_cast<float>((a + p) * p0 - a);
    ws.dlogits[1][lane] = static_cast<float>((a + p) * p1 - p);
    ws.positive_dlogits[0][lane] = static_cast<float>(p * p0);
    ws.positive_dlogits[1][lane] = static_cast<float>(p * p1 - p);
    *has_positive = *has_positive || p != 0;
  }
  return parts;
}

// ws.dlogits -> ws.dh (the gradient of the nodes' states) and the head's gradients.
void Kernel::BackwardHead(Workspace& ws, const Lanes* dlogits, float* buffer) const {
  const int h = hidden, s = stride;
  AddProductSums(dlogits, 1, 2, ws.dropped.data(), h, h, 1, buffer + out_w, h);
  AddLaneSums(dlogits, 2, buffer + out_b);
  const float* wo = params.data() + out_w;
  for (int c = 0; c < h; ++c) ws.dq[c] = (dlogits[0] * wo[c] + dlogits[1] * wo[h + c]) * ws.head_gate[c];
  AddOuterSums(ws.dq.data(), h, ws.readout.data(), 2 * h, ws.transposed, buffer + hh_w);
  AddLaneSums(ws.dq.data(), h, buffer + hh_b);
  Product(ws.dq.data(), h, 1, h, params.data() + hh_w, 2 * h, nullptr, ws.dr.data(), 2 * h, kStore);
  // The readout: the mean spreads evenly, the max goes to the first node that holds it. The top
  // layer's dZ (GAT: its d mixed) = dh x gate goes to ws.t1 on the way.
  const Lanes* top_gate = layers > 0 ? ws.gate[layers - 1].data() : nullptr;
  for (int c = 0; c < h; ++c) {
    const Lanes spread = ws.dr[c] / static_cast<float>(n), to_peak = ws.dr[h + c], peak = ws.readout[h + c];
    LaneMask taken{};
    for (int e = 0; e < n; ++e) {
      const LaneMask hit = (ws.h[e * s + c] == peak) & ~taken;
      taken |= hit;
      const Lanes d = spread + (hit != 0 ? to_peak : Lanes{});
      ws.dh[e * s + c] = d;
      if (top_gate) ws.t1[e * s + c] = d * top_gate[e * s + c];
    }
  }
}

// ws.dh, and ws.t1 = dh x the top layer's gate -> the gradients of the residual layers and the input layer (in
// part: Fold completes them).
void Kernel::BackwardBackbone(Workspace& ws, float* buffer) const {
  const int h = hidden, s = stride;
  for (int l = layers - 1; l >= 0; --l) {
    if (gat) {
      BackwardGat(ws, l, buffer);
    } else {
      BackwardGcn(ws, l, buffer);
    }
  }
  // The residual path of h0 into the input layer (Fold adds layer 0's share).
  const Lanes* dh = ws.dh.data();
  for (int f = 0; f < inputs; ++f) {
    const Lanes* x = ws.x.data() + f * n;
    AddColumnSums(x, dh, s, n, h, buffer + aux_r1 + f * h);
  }
  for (int e = 0; e < n; ++e) {
    AddLaneSumsOf(
        h, [&](int c) { return dh[e * s + c]; }, buffer + aux_r2 + e * h);
  }
}

void Kernel::BackwardGcn(Workspace& ws, int l, float* buffer) const {
  const int h = hidden, s = stride;
  AddColumnSums(nullptr, ws.t1.data(), s, n, h, buffer + b[l]);  // ws.t1: dZ
  const Lanes* at = per_cell ? ws.at.data() : shared_at.data();
  if (l > 0) {
    AddProductSums(ws.t1.data(), s, h, ws.saved[l].data(), s, h, n, buffer + w[l], h);
    Product(ws.t1.data(), s, n, h, params.data() + w[l], h, nullptr, ws.t2.data(), s, kStore);  // dM = dZ W
    Mix(nbt, dense_t, at, ws.t2.data(), s, h, ws.dh.data(), s, AddAndGate(ws, l - 1));          // dh += Â^T dM
    return;
  }
  Mix(nbt, dense_t, at, ws.t1.data(), s, h, ws.t2.data(), s, kStore);  // Y = Â^T dZ0
  const Lanes *dz = ws.t1.data(), *y = ws.t2.data();
  for (int f = 0; f < inputs; ++f) {
    const Lanes *ax = ws.ax.data() + f * n, *x = ws.x.data() + f * n;
    AddColumnSums(ax, dz, s, n, h, buffer + aux_z1 + f * width);
    AddColumnSums(x, y, s, n, h, buffer + aux_z3 + f * h);
  }
  for (int i = 0; i < n; ++i) {
    AddLaneSumsOf(
        h, [&](int c) { return y[i * s + c]; }, buffer + aux_z2 + i * width);
  }
}

void Kernel::BackwardGat(Workspace& ws, int l, float* buffer) const {
  const int h = hidden, s = stride, d = head_width;
  const Lanes* projected = ws.projected[l].data();
  Lanes* dmixed = ws.t1.data();  // dh x gate, from the layer above (or the head)
  Lanes* dprojected = ws.t2.data();
  for (int i = 0; i < n; ++i) {
    for (int c = h; c < width; ++c) dprojected[i * s + c] = Lanes{};
  }
  for (int k = 0; k < heads; ++k) {
    const Lanes* alpha = ws.attention[l].data() + size_t(k) * n * n;
    for (int i = 0; i < n; ++i) {
      for (int j : nb[i]) ws.attention_t[j * n + i] = alpha[i * n + j];
    }
    // dp_j (head k) = Σ_i α_ij dmixed_i
    Mix(nbt, dense_t, ws.attention_t.data(), dmixed + k * d, s, d, dprojected + k * d, s, kStore);
    for (int i = 0; i < n; ++i) {
      const Lanes* row = alpha + i * n;
      const Lanes* dm = dmixed + i * s + k * d;
      Lanes weighted{};
      for (int j : nb[i]) {
        const Lanes* p = projected + j * s + k * d;
        Lanes dot{};
        for (int c = 0; c < d; ++c) dot += dm[c] * p[c];
        ws.dalpha[j] = dot;
        weighted += row[j] * dot;
      }
      // Softmax, then leaky_relu, back to the two attention terms.
      const Lanes source = projected[i * s + h + k];
      Lanes dsource{};
      for (int j : nb[i]) {
        const Lanes de = row[j] * (ws.dalpha[j] - weighted);
        const Lanes sum = source + projected[j * s + h + heads + k];
        const Lanes dscore = sum > 0 ? de : kLeakySlope * de;
        dsource += dscore;
        dprojected[j * s + h + heads + k] += dscore;
      }
      dprojected[i * s + h + k] += dsource;
    }
  }
  if (l > 0) {
    AddProductSums(ws.saved[l].data(), s, h, dprojected, s, width, n, buffer + aux_ext[l], width);
    Product(dprojected, s, n, width, wext_t[l].data(), h, nullptr, ws.dh.data(), s,
            AddAndGate(ws, l - 1));  // dh += dP Wext^T
    return;
  }
  for (int f = 0; f < inputs; ++f) {
    const Lanes* x = ws.x.data() + f * n;
    AddColumnSums(x, dprojected, s, n, width, buffer + aux_z1 + f * width);
  }
  for (int i = 0; i < n; ++i) {
    AddLaneSumsOf(
        width, [&](int c) { return dprojected[i * s + c]; }, buffer + aux_z2 + i * width);
  }
}

// out[r][m] += Σ_c rows[r][c] matrix[c][m] for r < count, c < cols, m < hidden (rows `stride` apart).
void Kernel::AddRowProducts(const float* rows, int stride, int count, int cols, const float* matrix, float* out) const {
  for (int r = 0; r < count; ++r)
    AddScaledRows(rows + size_t(r) * stride, 1, cols, matrix, hidden, hidden, out + size_t(r) * hidden);
}

// Turns the sums of a batch (the auxiliary sums in g) into the gradients of layer 0, of the input layer
// (and the mask token) and (GAT) of W and the attention vectors, in `out`, on the team: blocks of rows
// in a first round, GAT's dWext -> dW per layer in a second, the input layer last. Every loop runs
// over contiguous rows, so that it vectorises; each value is summed in the same order whatever the
// threads.
void Kernel::Fold(float* g, float* out) {
  const int h = hidden;
  const int row_blocks = (h + kFoldRows - 1) / kFoldRows;
  const int node_blocks = (n + kFoldNodes - 1) / kFoldNodes;
  // d/dh0 summed over the cells: Σ x_f,e dh0_e (per input column f, over the nodes too) and Σ dh0_e
  // (per element), residual path first, then layer 0's share.
  team.Run(1 + node_blocks + (layers > 0 ? row_blocks : 0), [&](int task, int) {
    if (task == 0) {
      std::copy_n(g + aux_r1, size_t(inputs) * h, value_sum.begin());
      if (layers > 0) FoldValueSums(g);
    } else if (task <= node_blocks) {
      const int e0 = (task - 1) * kFoldNodes, e1 = std::min(n, e0 + kFoldNodes);
      std::copy(g + aux_r2 + size_t(e0) * h, g + aux_r2 + size_t(e1) * h, element_sum.begin() + size_t(e0) * h);
      if (layers > 0) FoldElementSums(g, e0, e1);
    } else {
      const int r0 = (task - 1 - node_blocks) * kFoldRows;
      FoldLayerZero(g, out, r0, std::min(h, r0 + kFoldRows));
    }
  });
  if (gat && layers > 0) team.Run(layers, [&](int l, int) { FoldAttention(g, out, l); });
  // The input layer: columns 0..F-1 are the node features, F.. the one-hot codes; the bias sums the
  // latter. Masked: the hidden flag's column is the mask token.
  const int columns = features + n;
  float* dwin = out + in_w;
  float* dbin = out + in_b;
  for (int m = 0; m < h; ++m) {
    float bias = 0;
    for (int e = 0; e < n; ++e) {
      bias += element_sum[e * h + m];
      dwin[m * columns + features + e] = element_sum[e * h + m];
    }
    dbin[m] = bias;
    for (int f = 0; f < inputs; ++f) {
      const float value = value_sum[f * h + m];
      if (f < features) {
        dwin[m * columns + f] = value;
      } else {
        out[mask_token + m] = value;
      }
    }
  }
}

// GCN: (Σ x_f Y) W0; GAT: (Σ x_f dP0) Wext0^T, added to value_sum.
void Kernel::FoldValueSums(const float* g) {
  if (!gat) {
    AddRowProducts(g + aux_z3, hidden, inputs, hidden, params.data() + w[0], value_sum.data());
  } else {
    AddRowProducts(g + aux_z1, width, inputs, width, wext_t[0].data(), value_sum.data());
  }
}

// GCN: (Σ Y) W0; GAT: (Σ dP0) Wext0^T, for the nodes [e0, e1), added to element_sum.
void Kernel::FoldElementSums(const float* g, int e0, int e1) {
  const int h = hidden;
  const float* z2 = g + aux_z2 + size_t(e0) * width;
  if (!gat) {
    AddRowProducts(z2, width, e1 - e0, h, params.data() + w[0], element_sum.data() + size_t(e0) * h);
  } else {
    AddRowProducts(z2, width, e1 - e0, width, wext_t[0].data(), element_sum.data() + size_t(e0) * h);
  }
}

// Rows [r0, r1) of GCN's dW0 (in out) or GAT's dWext0 (in g):
// GCN dW0[c][m] = Σ_f (Σ_i z1[f][i][c]) vw_f[m] + Σ_j z2[j][c] eb[j][m];
// GAT dWext0[m][c] = Σ_f (Σ_i z1[f][i][c]) vw_f[m] + Σ_i z2[i][c] eb[i][m].
void Kernel::FoldLayerZero(float* g, float* out, int r0, int r1) const {
  const int h = hidden;
  const float* z1 = g + aux_z1;  // Σ over the nodes: inputs x width
  const float* z2 = g + aux_z2;
  if (!gat) {
    float* dw0 = out + w[0];
    std::fill(dw0 + r0 * h, dw0 + r1 * h, 0.0f);
    for (int c = r0; c < r1; ++c) {
      AddScaledRows(z1 + c, width, inputs, vw.data(), h, h, dw0 + c * h);
      AddScaledRows(z2 + c, width, n, eb.data(), h, h, dw0 + c * h);
    }
    return;
  }
  float* ext0 = g + aux_ext[0];
  std::fill(ext0 + r0 * width, ext0 + r1 * width, 0.0f);
  for (int f = 0; f < inputs; ++f) {
    for (int m = r0; m < r1; ++m) {
      for (int c = 0; c < width; ++c) ext0[m * width + c] += z1[f * width + c] * vw[f * h + m];
    }
  }
  for (int i = 0; i < n; ++i) {
    for (int m = r0; m < r1; ++m) {
      const float e = eb[i * h + m];
      for (int c = 0; c < width; ++c) ext0[m * width + c] += z2[i * width + c] * e;
    }
  }
}

// GAT: dWext_l -> dW_l (out x in) and the attention vectors: Wext[m][h + k] = Σ_d W[k d][m] a_src[k d].
void Kernel::FoldAttention(const float* g, float* out, int l) const {
  const int h = hidden;
  const float* ext = g + aux_ext[l];
  const float* a_src = params.data() + src[l];
  const float* a_dst = params.data() + dst[l];
  float* dw = out + w[l];
  float* d_src = out + src[l];
  float* d_dst = out + dst[l];
  std::fill_n(d_src, h, 0.0f);
  std::fill_n(d_dst, h, 0.0f);
  for (int m = 0; m < h; ++m) {
    const float* row = ext + m * width;          // dWext[m][.]
    const float* wm = wt[l].data() + m * width;  // W[.][m]
    for (int k = 0; k < heads; ++k) {
      const float e_src = row[h + k], e_dst = row[h + heads + k];
      for (int d = 0; d < head_width; ++d) {
        const int r = k * head_width + d;
        dw[r * h + m] = row[r] + a_src[r] * e_src + a_dst[r] * e_dst;
        d_src[r] += e_src * wm[r];
        d_dst[r] += e_dst * wm[r];
      }
    }
  }
}

void Kernel::CheckBatch(const SampleSet& samples, const std::vector<size_t>& batch) const {
  if (samples.n_elements != n)
    throw Error("training data",
                "has " + std::to_string(samples.n_elements) + " elements, the model " + std::to_string(n));
  if (samples.node_features != features)
    throw Error("training data", "has " + std::to_string(samples.node_features) + " values per node, the model reads " +
                                     std::to_string(features));
  for (size_t i : batch) {
    if (i >= samples.size()) throw Error("training batch", "names a sample that does not exist");
  }
}

void Kernel::RunChunks(int64_t count, const ChunkTask& chunk_task, float* gradient, float* positive_gradient) {
  const int64_t chunks = (count + kLanes - 1) / kLanes;
  const int group_count = static_cast<int>(std::min<int64_t>(chunks, kMaxGroups));
  const bool backward = gradient != nullptr, positive = positive_gradient != nullptr;
  if (backward && static_cast<int>(groups.size()) < group_count) groups.resize(group_count);
  if (positive && static_cast<int>(positive_groups.size()) < group_count) positive_groups.resize(group_count);
  auto clear = [&](std::vector<float>& buffer) {
    buffer.resize(buffer_size);
    for (const auto& [begin, end] : summed) std::fill(buffer.begin() + begin, buffer.begin() + end, 0.0f);
  };
  // Each group, once its chunks are done, adds itself to the sum (the parameters' part in the output,
  // the auxiliary sums in group 0) slice by slice, each slice once the groups before it have added
  // theirs: the groups in order, whatever thread ran which, so the bytes do not depend on the threads.
  // Tasks are claimed in order, so the groups a task waits for are running.
  for (size_t i = 0; i < sum_slices.size(); ++i) slice_groups[i].value.store(0, std::memory_order_relaxed);
  auto add_group = [&](size_t slice, std::vector<float>& group, std::vector<float>& base, float* out, bool first) {
    const auto [begin, end] = sum_slices[slice];
    float* to = begin < params.size() ? out : base.data();
    const float* from = group.data();
    if (first) {
      if (to != from) std::copy(from + begin, from + end, to + begin);
      return;
    }
    for (size_t i = begin; i < end; ++i) to[i] += from[i];
  };
  team.Run(group_count, [&](int g, int worker) {
    if (backward) clear(groups[g]);
    if (positive) clear(positive_groups[g]);
    Workspace& ws = *workspaces[worker];
    const int64_t first_chunk = chunks * g / group_count, end_chunk = chunks * (g + 1) / group_count;
    for (int64_t chunk = first_chunk; chunk < end_chunk; ++chunk) {
      const size_t first = static_cast<size_t>(chunk * kLanes);
      const int lanes = static_cast<int>(std::min<int64_t>(kLanes, count - chunk * kLanes));
      chunk_task(ws, chunk, first, lanes, backward ? groups[g].data() : nullptr,
                 positive ? positive_groups[g].data() : nullptr);
    }
    if (!backward && !positive) return;
    for (size_t slice = 0; slice < sum_slices.size(); ++slice) {
      std::atomic<int>& added = slice_groups[slice].value;
      for (int spins = 0; added.load(std::memory_order_acquire) != g; ++spins) TaskTeam::Backoff(spins);
      if (backward) add_group(slice, groups[g], groups[0], gradient, g == 0);
      if (positive) add_group(slice, positive_groups[g], positive_groups[0], positive_gradient, g == 0);
      added.store(g + 1, std::memory_order_release);
    }
  });
  if (!backward && !positive) return;
  if (backward) Fold(groups[0].data(), gradient);
  if (positive) Fold(positive_groups[0].data(), positive_gradient);
}

LossParts Kernel::Run(const SampleSet& samples, const std::vector<size_t>& batch, const LossWeights& weights,
                      uint64_t dropout_key, float* gradient, float* positive_gradient) {
  if (masked) throw Error("training", "a pre-training network has no classifier");
  CheckBatch(samples, batch);
  if (weights.negative.size() != batch.size() || weights.positive.size() != batch.size())
    throw Error("training batch", "needs one loss weight per sample");
  LossParts total;
  if (batch.empty()) {
    if (gradient) std::fill_n(gradient, params.size(), 0.0f);
    if (positive_gradient) std::fill_n(positive_gradient, params.size(), 0.0f);
    return total;
  }
  Prepare(samples);
  const int64_t count = static_cast<int64_t>(batch.size());
  const bool dropout = dropout_key != 0 && spec.dropout > 0;
  chunk_parts.assign((count + kLanes - 1) / kLanes, LossParts{});
  RunChunks(
      count,
      [&](Workspace& ws, int64_t chunk, size_t first, int lanes, float* buffer, float* positive_buffer) {
        Load(ws, samples, batch.data() + first, lanes, first, dropout_key);
        ForwardBackbone(ws, dropout);
        ForwardHead(ws, dropout);
        bool has_positive = false;
        chunk_parts[chunk] = ChunkLoss(ws, weights, first, lanes, &has_positive);
        if (buffer) {
          BackwardHead(ws, ws.dlogits, buffer);
          BackwardBackbone(ws, buffer);
        }
        if (positive_buffer && has_positive) {
          BackwardHead(ws, ws.positive_dlogits, positive_buffer);
          BackwardBackbone(ws, positive_buffer);
        }
      },
      gradient, positive_gradient);
  for (const LossParts& parts : chunk_parts) {
    total.negative += parts.negative;
    total.positive += parts.positive;
  }
  return total;
}

double Kernel::RunMasked(const SampleSet& samples, const std::vector<size_t>& batch,
                         const std::vector<uint8_t>& hidden_nodes, uint64_t dropout_key, float* gradient) {
  if (!masked) throw Error("training", "a classifier network has no masked-value head");
  CheckBatch(samples, batch);
  if (hidden_nodes.size() != batch.size() * size_t(n))
    throw Error("training batch", "needs one hidden-node flag per sample and element");
  const int64_t hidden_count = std::count_if(hidden_nodes.begin(), hidden_nodes.end(), [](uint8_t v) { return v; });
  if (batch.empty() || hidden_count == 0) {
    if (gradient) std::fill_n(gradient, params.size(), 0.0f);
    return 0;
  }
  Prepare(samples);
  const int64_t count = static_cast<int64_t>(batch.size());
  const bool dropout = dropout_key != 0 && spec.dropout > 0;
  const float node_weight = static_cast<float>(1.0 / double(hidden_count));
  chunk_errors.assign((count + kLanes - 1) / kLanes, 0.0);
  RunChunks(
      count,
      [&](Workspace& ws, int64_t chunk, size_t first, int lanes, float* buffer, float*) {
        Load(ws, samples, batch.data() + first, lanes, first, dropout_key, hidden_nodes.data() + first * n,
             node_weight);
        ForwardBackbone(ws, dropout);
        ForwardRegressionHead(ws);
        chunk_errors[chunk] = ChunkSquaredError(ws, lanes);
        if (buffer) {
          BackwardRegressionHead(ws, buffer);
          BackwardBackbone(ws, buffer);
        }
      },
      gradient, nullptr);
  double total = 0;
  for (double error : chunk_errors) total += error;
  return total;
}

// The regression head of masked pre-training, per node: ŷ_e = w_p relu(W_p h_e + b_p) + c_p.
void Kernel::ForwardRegressionHead(Workspace& ws) const {
  const int h = hidden, s = stride;
  Product(ws.h.data(), s, n, h, wp_t.data(), h, params.data() + p_hb, ws.node_hidden.data(), s, kStore);
  const float* wo = params.data() + p_ow;
  for (int e = 0; e < n; ++e) {
    Lanes y = Broadcast(params[p_ob]);
    for (int c = 0; c < h; ++c) y += Max(ws.node_hidden[e * s + c], Lanes{}) * wo[c];
    ws.prediction[e] = y;
  }
}

// Σ over the hidden nodes of the chunk of weight x (ŷ - value)², and its gradient d/dŷ.
double Kernel::ChunkSquaredError(Workspace& ws, int count) const {
  double error = 0;
  for (int e = 0; e < n; ++e) {
    const Lanes difference = ws.prediction[e] - ws.target[e];
    ws.dprediction[e] = 2.0f * ws.node_weight[e] * difference;
    for (int lane = 0; lane < count; ++lane)
      error += double(ws.node_weight[e][lane]) * difference[lane] * difference[lane];
  }
  return error;
}

// ws.dprediction -> ws.dh and the regression head's gradients.
void Kernel::BackwardRegressionHead(Workspace& ws, float* buffer) const {
  const int h = hidden, s = stride;
  const Lanes* q = ws.node_hidden.data();
  const Lanes* dy = ws.dprediction.data();
  AddLaneSumsOf(
      h,
      [&](int c) {
        Lanes sum{};
        for (int e = 0; e < n; ++e) sum += dy[e] * Max(q[e * s + c], Lanes{});
        return sum;
      },
      buffer + p_ow);
  AddLaneSumsOf(
      1,
      [&](int) {
        Lanes sum{};
        for (int e = 0; e < n; ++e) sum += dy[e];
        return sum;
      },
      buffer + p_ob);
  const float* wo = params.data() + p_ow;
  Lanes* dq = ws.t2.data();  // ws.t1 receives the top layer's dZ
  for (int e = 0; e < n; ++e) {
    for (int c = 0; c < h; ++c) dq[e * s + c] = q[e * s + c] > 0 ? dy[e] * wo[c] : Lanes{};
  }
  AddProductSums(dq, s, h, ws.h.data(), s, h, n, buffer + p_hw, h);  // (out x in)
  AddColumnSums(nullptr, dq, s, n, h, buffer + p_hb);
  if (layers == 0) {
    Product(dq, s, n, h, params.data() + p_hw, h, nullptr, ws.dh.data(), s, kStore);  // dh = dq W_p
    return;
  }
  Lanes* dh = ws.dh.data();
  Lanes* dz = ws.t1.data();
  const Lanes* gate = ws.gate[layers - 1].data();
  Product(
      dq, s, n, h, params.data() + p_hw, h, nullptr, dh, s, [=](Lanes & out, Lanes v) __attribute__((always_inline)) {
        out = v;
        const ptrdiff_t at = &out - dh;
        dz[at] = v * gate[at];
      });
}

// 0 for a subnormal x (and for ±0), else x: the bits decide, so that no subnormal operand is touched.
inline float NormalOrZero(float x) {
  uint32_t bits;
  __builtin_memcpy(&bits, &x, sizeof(bits));
  return (bits & 0x7f800000u) == 0 ? 0.0f : x;
}

void AdamSlice(const AdamCoefficients& c, size_t begin, size_t end, const float* gradient, float* m, float* v,
               float* p) {
  // The coefficients in locals (a reference could alias the arrays), so that the loop vectorises.
  const float beta1 = c.beta1, beta2 = c.beta2, rest1 = c.rest1, rest2 = c.rest2;
  const float inverse_root2 = c.inverse_root2, step_size = c.step_size, eps = c.eps, decay = c.decay;
  auto step = [&](size_t i, float g) __attribute__((always_inline)) {
    const float mi = NormalOrZero(m[i]) * beta1 + g * rest1;
    const float vi = NormalOrZero(v[i]) * beta2 + rest2 * g * g;
    m[i] = mi;
    v[i] = vi;
    p[i] -= step_size * mi / (__builtin_sqrtf(vi) * inverse_root2 + eps);
  };
  if (decay != 0.0f) {
    for (size_t i = begin; i < end; ++i) step(i, gradient[i] + decay * p[i]);
  } else {
    for (size_t i = begin; i < end; ++i) step(i, gradient[i]);
  }
}

void Kernel::AdamStep(const AdamCoefficients& coefficients, const float* gradient, float* m, float* v) {
  constexpr size_t kSlice = 4096;
  const size_t size = params.size();
  const int slices = static_cast<int>((size + kSlice - 1) / kSlice);
  team.Run(slices, [&](int slice, int) {
    AdamSlice(coefficients, slice * kSlice, std::min(size, (slice + 1) * kSlice), gradient, m, v, params.data());
  });
}

}  // namespace

std::unique_ptr<GnnKernel> MakeGnnKernel(const GnnLayout& layout, int threads) {
  return std::make_unique<Kernel>(layout, threads);
}
