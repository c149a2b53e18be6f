// ResGCN/ResGAT forward and backward passes by hand, one cell per SIMD lane (models/lanes.hpp), for
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
#include "geoprosp/learning/fused_gnn.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <functional>
#include <limits>
#include <mutex>
#include <string>
#include <thread>

#include "geoprosp/core/error.hpp"
#include "geoprosp/models/lanes.hpp"
#include "geoprosp/models/scorer.hpp"

namespace geoprosp {
namespace {

using namespace simd;

constexpr float kLeakySlope = 0.2f;  // GAT's leaky_relu
constexpr int kMaxGroups = 32;       // gradient buffers per batch: the most threads that can share one

// Node rows are padded so that they do not share L1 sets (as in the fused scorer).
int RowStride(int width) { return width % 32 == 0 ? width + 16 : width; }

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
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
// horizontal sums.
void AddOuterSums(const Lanes* a, int rows, const Lanes* b, int cols, std::vector<float>& scratch, float* out) {
  scratch.resize(size_t(kLanes) * (rows + cols));
  float* at = scratch.data();
  float* bt = at + size_t(kLanes) * rows;
  for (int r = 0; r < rows; ++r) {
    for (int lane = 0; lane < kLanes; ++lane) at[lane * rows + r] = a[r][lane];
  }
  for (int c = 0; c < cols; ++c) {
    for (int lane = 0; lane < kLanes; ++lane) bt[lane * cols + c] = b[c][lane];
  }
  for (int r = 0; r < rows; ++r) {
    float* row = out + size_t(r) * cols;
    for (int lane = 0; lane < kLanes; ++lane) {
      const float v = at[lane * rows + r];
      const float* from = bt + size_t(lane) * cols;
      for (int c = 0; c < cols; ++c) row[c] += v * from[c];
    }
  }
}

double Softplus(double v) { return v > 0 ? v + std::log1p(std::exp(-v)) : std::log1p(std::exp(v)); }

// Runs rounds of tasks on the caller and (threads - 1) workers, which claim task indices in turn.
// Unlike an OpenMP team it never waits for a worker that has not started: on a busy machine a
// descheduled thread would stall every round at the closing barrier (2-thread training at batch 64
// ran 7x slower than 1 thread at a load of 11 on 2 cores). The caller takes every task nobody has
// claimed and waits only for tasks already running. Idle workers spin for a moment (the next round
// usually follows within microseconds), then sleep. Tasks must not throw.
class TaskTeam {
 public:
  explicit TaskTeam(int threads) {
    for (int worker = 1; worker < threads; ++worker) workers_.emplace_back([this, worker] { Work(worker); });
  }
  ~TaskTeam() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    for (auto& t : workers_) t.join();
  }
  TaskTeam(const TaskTeam&) = delete;
  TaskTeam& operator=(const TaskTeam&) = delete;

  // task(index, worker) for every index in [0, count); worker 0 is the caller.
  void Run(int count, const std::function<void(int, int)>& task) {
    if (count <= 0) return;
    if (count > 0xffff) throw Error("training", "too many tasks in one round");
    task_ = &task;
    done_.store(0, std::memory_order_relaxed);
    bool sleeping = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++generation_;
      state_.store(generation_ << 32 | uint64_t(count) << 16, std::memory_order_release);
      sleeping = sleepers_ > 0;
    }
    if (sleeping) wake_.notify_all();
    int index = 0;
    while (Claim(generation_, &index)) {
      task(index, 0);
      done_.fetch_add(1, std::memory_order_release);
    }
    for (int spins = 0; done_.load(std::memory_order_acquire) < count; ++spins) {
      if (spins > 1000) std::this_thread::yield();
    }
  }

 private:
  // state_: generation (32 bits) | task count (16) | next unclaimed index (16).
  bool Claim(uint64_t generation, int* index) {
    uint64_t s = state_.load(std::memory_order_acquire);
    for (;;) {
      if (s >> 32 != generation || (s & 0xffff) >= ((s >> 16) & 0xffff)) return false;
      if (state_.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel)) {
        *index = static_cast<int>(s & 0xffff);
        return true;
      }
    }
  }

  void Work(int worker) {
    uint64_t seen = 0;
    for (;;) {
      uint64_t generation = state_.load(std::memory_order_acquire) >> 32;
      const auto start = std::chrono::steady_clock::now();
      for (int spins = 0; generation == seen; ++spins) {
        if (spins % 64 == 63 && std::chrono::steady_clock::now() - start > std::chrono::microseconds(200)) break;
        generation = state_.load(std::memory_order_acquire) >> 32;
      }
      if (generation == seen) {
        std::unique_lock<std::mutex> lock(mutex_);
        ++sleepers_;
        wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
        --sleepers_;
        if (stop_) return;
        generation = generation_;
      }
      seen = generation;
      int index = 0;
      while (Claim(generation, &index)) {  // a claimed task keeps the caller waiting, so task_ is this round's
        (*task_)(index, worker);
        done_.fetch_add(1, std::memory_order_release);
      }
    }
  }

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<uint64_t> state_{0};
  std::atomic<int> done_{0};
  const std::function<void(int, int)>* task_ = nullptr;
  uint64_t generation_ = 0;  // under mutex_
  int sleepers_ = 0;         // under mutex_
  bool stop_ = false;        // under mutex_
};

struct Slot {
  std::string name;
  std::vector<int64_t> shape;
  size_t offset = 0, size = 0;
  double bound = 0;  // U(-bound, bound) at initialisation; 0: N(0, 0.1²) (attention vectors)
};

// Per thread: one chunk's inputs, the activations its backward pass reads, and scratch rows.
struct Workspace {
  std::vector<Lanes> x;                       // inputs x E: node features (x[f E + e]), then the hidden flag
  std::vector<Lanes> a, at;                   // per-cell mode: this chunk's Â and Â^T (E x E)
  std::vector<Lanes> ax;                      // GCN: Â x_f (inputs x E)
  std::vector<Lanes> h, dh;                   // E rows: the state and its gradient
  std::vector<Lanes> t1, t2;                  // E rows: Z or dZ, dM or dP
  std::vector<std::vector<Lanes>> saved;      // per layer: GCN Â h (l >= 1); GAT h (l >= 1)
  std::vector<std::vector<Lanes>> projected;  // GAT, per layer: h Wext (E rows)
  std::vector<std::vector<Lanes>> attention;  // GAT, per layer: heads x E x E
  std::vector<std::vector<Lanes>> gate;       // per layer: d(update)/d(pre-activation) x dropout scale
  std::vector<Lanes> attention_t, dalpha;     // GAT backward: one head's α^T (E x E), dα of one node (E)
  std::vector<Lanes> readout, q, dropped, head_gate, dq, dr;
  std::vector<float> transposed;  // cell-major copies for AddOuterSums
  Lanes logits[2], dlogits[2], positive_dlogits[2];
  // Masked pre-training: the head's pre-activations (E rows), and per node the prediction, its target,
  // its weight in the loss (1 / hidden nodes of the batch where hidden, else 0) and d loss / d ŷ.
  std::vector<Lanes> node_hidden, prediction, target, node_weight, dprediction;
  LaneBits keys;
};

}  // namespace

struct FusedResGnn::Impl {
  ModelSpec spec;
  int n, hidden, heads, layers, head_width;
  bool gat;
  bool masked;   // GnnObjective::MaskedValues: the regression head instead of the classifier
  int features;  // F: node features per element
  int inputs;    // input columns per node the backbone reads: F, plus the hidden flag when masked
  int width;     // of a projected row: hidden, plus src and dst per head for GAT
  int stride;    // of the node rows
  int threads;
  uint32_t drop_threshold = 0;  // a unit is dropped when its hash is below this
  float keep_scale = 1;

  std::vector<Slot> slots;
  std::vector<float> params;
  size_t in_w = 0, in_b = 0, hh_w = 0, hh_b = 0, out_w = 0, out_b = 0;
  size_t mask_token = 0, p_hw = 0, p_hb = 0, p_ow = 0, p_ob = 0;  // masked: token and regression head
  std::vector<size_t> w, b, src, dst;
  // Gradient buffers hold the parameters' gradients, then sums that Fold turns into the gradients of
  // layer 0 and of the input layer, per input column f: r1 = Σ x_f,e dh1_e, r2 = Σ dh1_e (the residual
  // path of h0); GCN z1 = Σ dZ0 (Âx_f), z2 = Σ Â^T dZ0, z3 = Σ x_f Â^T dZ0; GAT z1 = Σ x_f dP0,
  // z2 = Σ dP0; GAT ext[l] = dWext_l.
  size_t aux_r1 = 0, aux_r2 = 0, aux_z1 = 0, aux_z2 = 0, aux_z3 = 0, buffer_size = 0;
  std::vector<size_t> aux_ext;

  // Derived from the parameters at each call.
  std::vector<float> vw, eb;                   // inputs x h; E x h
  std::vector<std::vector<float>> wt, wext_t;  // per layer: W^T or Wext (h x width); GAT Wext^T (width x h)
  std::vector<float> fv, fe;                   // layer 0: vw_f W (inputs x width), eb W (E x width)
  std::vector<Lanes> fe_lanes;                 // per-cell GCN: fe broadcast (E rows)
  std::vector<float> afe;                      // shared-Â GCN: Â fe + b_0 (E x h)
  std::vector<float> whh_t;                    // W_hh^T (2h x h)
  std::vector<float> wp_t;                     // masked: W_p^T (h x h)
  // The graph of the current call.
  bool per_cell = false;
  std::vector<Lanes> shared_a, shared_at;
  std::vector<std::vector<int>> nb, nbt;  // neighbours in Â and in Â^T
  bool dense = true, dense_t = true;

  std::vector<Workspace> workspaces;
  TaskTeam team;
  std::vector<std::vector<float>> groups, positive_groups;
  std::vector<LossParts> chunk_parts;
  std::vector<double> chunk_errors;

  Impl(const ModelSpec& s, int n_elements, int thread_count, GnnObjective objective);
  size_t Add(const std::string& name, std::vector<int64_t> shape, double bound);
  void Prepare(const SampleSet& samples);
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
  void BackwardGat(Workspace& ws, int l, float* buffer) const;
  void Fold(float* buffer) const;
  void AddRowProducts(const float* rows, int stride, int count, int cols, const float* matrix, float* out) const;
  void CheckBatch(const SampleSet& samples, const std::vector<size_t>& batch) const;
  // chunk(ws, chunk, first slot, lanes, group buffer, positive group buffer) for every chunk of
  // `count` slots, on the team; then the groups' buffers summed in order and folded into `gradient`
  // and `positive_gradient` (either may be null: no buffer).
  using ChunkTask = std::function<void(Workspace&, int64_t, size_t, int, float*, float*)>;
  void RunChunks(int64_t count, const ChunkTask& chunk, float* gradient, float* positive_gradient);
  LossParts Run(const SampleSet& samples, const std::vector<size_t>& batch, const LossWeights& weights,
                uint64_t dropout_key, float* gradient, float* positive_gradient);
  double RunMasked(const SampleSet& samples, const std::vector<size_t>& batch, const std::vector<uint8_t>& hidden_nodes,
                   uint64_t dropout_key, float* gradient);
};

FusedResGnn::Impl::Impl(const ModelSpec& s, int n_elements, int thread_count, GnnObjective objective)
    : spec(s),
      n(n_elements),
      hidden(s.hidden),
      heads(s.heads),
      layers(s.layers),
      head_width(s.hidden / s.heads),
      gat(s.arch == "resgat"),
      masked(objective == GnnObjective::MaskedValues),
      features(s.node_features),
      inputs(s.node_features + (objective == GnnObjective::MaskedValues ? 1 : 0)),
      width(gat ? s.hidden + 2 * s.heads : s.hidden),
      stride(RowStride(width)),
      threads(thread_count > 0 ? thread_count : DefaultThreadCount()),
      team(threads) {
  CheckModelSpec(spec);
  if (n < 1) throw Error("training data", "has no element");
  const int h = hidden;
  w.resize(layers);
  b.resize(layers);
  src.resize(layers);
  dst.resize(layers);
  if (gat) {  // LibTorch lists the root module's own parameters first
    for (int l = 0; l < layers; ++l) {
      src[l] = Add("layer" + std::to_string(l) + "_att_src", {heads, head_width}, 0);
      dst[l] = Add("layer" + std::to_string(l) + "_att_dst", {heads, head_width}, 0);
    }
  }
  const double input_bound = 1 / std::sqrt(double(features + n));
  in_w = Add("input.weight", {h, features + n}, input_bound);
  in_b = Add("input.bias", {h}, input_bound);
  for (int l = 0; l < layers; ++l) {
    w[l] = Add("layer" + std::to_string(l) + ".weight", {h, h}, 1 / std::sqrt(double(h)));
    if (!gat) b[l] = Add("layer" + std::to_string(l) + ".bias", {h}, 1 / std::sqrt(double(h)));
  }
  if (masked) {  // after the backbone, so that a seed draws the same backbone in either objective
    mask_token = Add(kPretrainPrefix + std::string("mask_token"), {h}, input_bound);
    p_hw = Add(kPretrainPrefix + std::string("hidden.weight"), {h, h}, 1 / std::sqrt(double(h)));
    p_hb = Add(kPretrainPrefix + std::string("hidden.bias"), {h}, 1 / std::sqrt(double(h)));
    p_ow = Add(kPretrainPrefix + std::string("out.weight"), {1, h}, 1 / std::sqrt(double(h)));
    p_ob = Add(kPretrainPrefix + std::string("out.bias"), {1}, 1 / std::sqrt(double(h)));
  } else {
    hh_w = Add("head_hidden.weight", {h, 2 * h}, 1 / std::sqrt(2.0 * h));
    hh_b = Add("head_hidden.bias", {h}, 1 / std::sqrt(2.0 * h));
    out_w = Add("head_out.weight", {2, h}, 1 / std::sqrt(double(h)));
    out_b = Add("head_out.bias", {2}, 1 / std::sqrt(double(h)));
  }

  size_t at = params.size();
  auto aux = [&](size_t count) {
    const size_t offset = at;
    at += count;
    return offset;
  };
  aux_r1 = aux(size_t(inputs) * n * h);
  aux_r2 = aux(size_t(n) * h);
  aux_z1 = aux(size_t(inputs) * n * width);
  aux_z2 = aux(size_t(n) * width);
  if (!gat) aux_z3 = aux(size_t(inputs) * n * h);
  if (gat) {
    for (int l = 0; l < layers; ++l) aux_ext.push_back(aux(size_t(h) * width));
  }
  buffer_size = at;

  const double p = spec.dropout;
  drop_threshold = static_cast<uint32_t>(std::min(4294967295.0, std::round(p * 4294967296.0)));
  keep_scale = static_cast<float>(1.0 / (1.0 - p));

  workspaces.resize(threads);
  for (Workspace& ws : workspaces) {
    const size_t rows = size_t(n) * stride;
    ws.x.resize(size_t(inputs) * n);
    ws.a.resize(size_t(n) * n);
    ws.at.resize(size_t(n) * n);
    ws.ax.resize(size_t(inputs) * n);
    for (auto* v : {&ws.h, &ws.dh, &ws.t1, &ws.t2}) v->assign(rows, Lanes{});
    ws.saved.assign(layers, std::vector<Lanes>(rows));
    ws.gate.assign(layers, std::vector<Lanes>(rows));
    if (gat) {
      ws.projected.assign(layers, std::vector<Lanes>(rows));
      ws.attention.assign(layers, std::vector<Lanes>(size_t(heads) * n * n));
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

size_t FusedResGnn::Impl::Add(const std::string& name, std::vector<int64_t> shape, double bound) {
  Slot slot;
  slot.name = name;
  slot.shape = std::move(shape);
  slot.offset = params.size();
  slot.size = 1;
  for (int64_t d : slot.shape) slot.size *= static_cast<size_t>(d);
  slot.bound = bound;
  params.resize(params.size() + slot.size, 0.0f);
  slots.push_back(slot);
  return slot.offset;
}

// The derived weights (from the current parameters) and the graph's neighbour lists.
void FusedResGnn::Impl::Prepare(const SampleSet& samples) {
  const int h = hidden;
  const float* win = params.data() + in_w;
  const int columns = features + n;
  vw.assign(size_t(inputs) * h, 0.0f);
  eb.assign(size_t(n) * h, 0.0f);
  for (int m = 0; m < h; ++m) {
    for (int f = 0; f < features; ++f) vw[f * h + m] = win[m * columns + f];
    if (masked) vw[features * h + m] = params[mask_token + m];
    for (int e = 0; e < n; ++e) eb[e * h + m] = win[m * columns + features + e] + params[in_b + m];
  }
  wt.assign(layers, {});
  wext_t.assign(layers, {});
  for (int l = 0; l < layers; ++l) {
    const float* weight = params.data() + w[l];  // (out x in)
    std::vector<float>& forward = wt[l];
    forward.assign(size_t(h) * width, 0.0f);
    for (int m = 0; m < h; ++m) {
      for (int c = 0; c < h; ++c) forward[m * width + c] = weight[c * h + m];
    }
    if (!gat) continue;
    for (int row = 0; row < h; ++row) {  // W^T a_src and W^T a_dst per head: row k * head_width + d of W
      const int k = row / head_width;
      const float a_src = params[src[l] + row], a_dst = params[dst[l] + row];
      for (int m = 0; m < h; ++m) {
        forward[m * width + h + k] += weight[row * h + m] * a_src;
        forward[m * width + h + heads + k] += weight[row * h + m] * a_dst;
      }
    }
    wext_t[l].assign(size_t(width) * h, 0.0f);
    for (int m = 0; m < h; ++m) {
      for (int c = 0; c < width; ++c) wext_t[l][c * h + m] = forward[m * width + c];
    }
  }
  if (layers > 0) {  // fv_f = vw_f W, fe = eb W
    fv.assign(size_t(inputs) * width, 0.0f);
    fe.assign(size_t(n) * width, 0.0f);
    for (int m = 0; m < h; ++m) {
      const float* row = wt[0].data() + m * width;
      for (int f = 0; f < inputs; ++f) {
        for (int c = 0; c < width; ++c) fv[f * width + c] += vw[f * h + m] * row[c];
      }
      for (int e = 0; e < n; ++e) {
        const float v = eb[e * h + m];
        float* out = fe.data() + e * width;
        for (int c = 0; c < width; ++c) out[c] += v * row[c];
      }
    }
  }
  if (masked) {
    wp_t.assign(size_t(h) * h, 0.0f);
    for (int c = 0; c < h; ++c) {
      for (int m = 0; m < h; ++m) wp_t[m * h + c] = params[p_hw + c * h + m];
    }
  } else {
    whh_t.assign(size_t(2) * h * h, 0.0f);
    for (int c = 0; c < h; ++c) {
      for (int m = 0; m < 2 * h; ++m) whh_t[m * h + c] = params[hh_w + c * 2 * h + m];
    }
  }

  per_cell = samples.per_sample_adjacency;
  nb.assign(n, {});
  nbt.assign(n, {});
  dense = dense_t = true;
  const float* shared = samples.adjacency.data();
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
  if (layers > 0 && !gat) {
    if (per_cell) {
      fe_lanes.assign(size_t(n) * stride, Lanes{});
      for (int e = 0; e < n; ++e) {
        for (int c = 0; c < h; ++c) fe_lanes[e * stride + c] = Broadcast(fe[e * width + c]);
      }
    } else {
      afe.assign(size_t(n) * h, 0.0f);
      for (int i = 0; i < n; ++i) {
        for (int c = 0; c < h; ++c) {
          float sum = 0;
          for (int j : nb[i]) sum += shared[i * n + j] * fe[j * width + c];
          afe[i * h + c] = sum + params[b[0] + c];
        }
      }
    }
  }
}

// Lane b: sample index[b]; padding lanes get zero features and the identity for Â. Masked
// pre-training: `hidden_nodes` (count x E, 1 = hidden) zero a hidden node's features and set its flag;
// the targets are the nodes' values, weighted `node_weight` where hidden.
void FusedResGnn::Impl::Load(Workspace& ws, const SampleSet& samples, const size_t* index, int count, size_t first_slot,
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
Lanes FusedResGnn::Impl::Mask(const Workspace& ws, bool dropout, uint32_t site) const {
  if (!dropout) return Broadcast(1.0f);
  return Hash(ws.keys, site) >= drop_threshold ? Broadcast(keep_scale) : Lanes{};
}

// The backbone (input layer and residual layers): ws.x -> ws.h, the nodes' states.
void FusedResGnn::Impl::ForwardBackbone(Workspace& ws, bool dropout) const {
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
void FusedResGnn::Impl::ForwardHead(Workspace& ws, bool dropout) const {
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

void FusedResGnn::Impl::ForwardGcn(Workspace& ws, int l, bool dropout) const {
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

void FusedResGnn::Impl::ForwardGat(Workspace& ws, int l, bool dropout) const {
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
LossParts FusedResGnn::Impl::ChunkLoss(Workspace& ws, const LossWeights& weights, size_t first, int count,
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
void FusedResGnn::Impl::BackwardHead(Workspace& ws, const Lanes* dlogits, float* buffer) const {
  const int h = hidden, s = stride;
  AddProductSums(dlogits, 1, 2, ws.dropped.data(), h, h, 1, buffer + out_w, h);
  AddLaneSums(dlogits, 2, buffer + out_b);
  const float* wo = params.data() + out_w;
  for (int c = 0; c < h; ++c) ws.dq[c] = (dlogits[0] * wo[c] + dlogits[1] * wo[h + c]) * ws.head_gate[c];
  AddOuterSums(ws.dq.data(), h, ws.readout.data(), 2 * h, ws.transposed, buffer + hh_w);
  AddLaneSums(ws.dq.data(), h, buffer + hh_b);
  Product(ws.dq.data(), h, 1, h, params.data() + hh_w, 2 * h, nullptr, ws.dr.data(), 2 * h, kStore);
  // The readout: the mean spreads evenly, the max goes to the first node that holds it.
  for (int c = 0; c < h; ++c) {
    const Lanes spread = ws.dr[c] / static_cast<float>(n), to_peak = ws.dr[h + c], peak = ws.readout[h + c];
    LaneInts taken{};
    for (int e = 0; e < n; ++e) {
      const LaneInts hit = (ws.h[e * s + c] == peak) & ~taken;
      taken |= hit;
      ws.dh[e * s + c] = spread + (hit != 0 ? to_peak : Lanes{});
    }
  }
}

// ws.dh -> the gradients of the residual layers and the input layer (in part: Fold completes them).
void FusedResGnn::Impl::BackwardBackbone(Workspace& ws, float* buffer) const {
  const int h = hidden, s = stride;
  for (int l = layers - 1; l >= 0; --l) {
    if (gat) {
      BackwardGat(ws, l, buffer);
    } else {
      BackwardGcn(ws, l, buffer);
    }
  }
  // The residual path of h0 into the input layer (Fold adds layer 0's share).
  for (int e = 0; e < n; ++e) {
    const Lanes* dh = ws.dh.data() + e * s;
    for (int f = 0; f < inputs; ++f) {
      const Lanes x = ws.x[f * n + e];
      AddLaneSumsOf(
          h, [&](int c) { return x * dh[c]; }, buffer + aux_r1 + (size_t(f) * n + e) * h);
    }
    AddLaneSumsOf(
        h, [&](int c) { return dh[c]; }, buffer + aux_r2 + e * h);
  }
}

void FusedResGnn::Impl::BackwardGcn(Workspace& ws, int l, float* buffer) const {
  const int h = hidden, s = stride;
  const Lanes* gate = ws.gate[l].data();
  for (int i = 0; i < n; ++i) {
    for (int c = 0; c < h; ++c) ws.t1[i * s + c] = ws.dh[i * s + c] * gate[i * s + c];  // dZ
  }
  AddLaneSumsOf(
      h,
      [&](int c) {
        Lanes sum{};
        for (int i = 0; i < n; ++i) sum += ws.t1[i * s + c];
        return sum;
      },
      buffer + b[l]);
  const Lanes* at = per_cell ? ws.at.data() : shared_at.data();
  if (l > 0) {
    AddProductSums(ws.t1.data(), s, h, ws.saved[l].data(), s, h, n, buffer + w[l], h);
    Product(ws.t1.data(), s, n, h, params.data() + w[l], h, nullptr, ws.t2.data(), s, kStore);  // dM = dZ W
    Mix(nbt, dense_t, at, ws.t2.data(), s, h, ws.dh.data(), s, kAdd);                           // dh += Â^T dM
    return;
  }
  Mix(nbt, dense_t, at, ws.t1.data(), s, h, ws.t2.data(), s, kStore);  // Y = Â^T dZ0
  for (int i = 0; i < n; ++i) {
    const Lanes *dz = ws.t1.data() + i * s, *y = ws.t2.data() + i * s;
    for (int f = 0; f < inputs; ++f) {
      const Lanes ax = ws.ax[f * n + i], x = ws.x[f * n + i];
      AddLaneSumsOf(
          h, [&](int c) { return dz[c] * ax; }, buffer + aux_z1 + (size_t(f) * n + i) * width);
      AddLaneSumsOf(
          h, [&](int c) { return x * y[c]; }, buffer + aux_z3 + (size_t(f) * n + i) * h);
    }
    AddLaneSumsOf(
        h, [&](int c) { return y[c]; }, buffer + aux_z2 + i * width);
  }
}

void FusedResGnn::Impl::BackwardGat(Workspace& ws, int l, float* buffer) const {
  const int h = hidden, s = stride, d = head_width;
  const Lanes* gate = ws.gate[l].data();
  const Lanes* projected = ws.projected[l].data();
  Lanes* dmixed = ws.t1.data();
  Lanes* dprojected = ws.t2.data();
  for (int i = 0; i < n; ++i) {
    for (int c = 0; c < h; ++c) dmixed[i * s + c] = ws.dh[i * s + c] * gate[i * s + c];
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
    Product(dprojected, s, n, width, wext_t[l].data(), h, nullptr, ws.dh.data(), s, kAdd);  // dh += dP Wext^T
    return;
  }
  for (int i = 0; i < n; ++i) {
    const Lanes* dp = dprojected + i * s;
    for (int f = 0; f < inputs; ++f) {
      const Lanes x = ws.x[f * n + i];
      AddLaneSumsOf(
          width, [&](int c) { return x * dp[c]; }, buffer + aux_z1 + (size_t(f) * n + i) * width);
    }
    AddLaneSumsOf(
        width, [&](int c) { return dp[c]; }, buffer + aux_z2 + i * width);
  }
}

// out[r][m] += Σ_c rows[r][c] matrix[c][m] for r < count, c < cols, m < hidden (rows `stride` apart).
void FusedResGnn::Impl::AddRowProducts(const float* rows, int stride, int count, int cols, const float* matrix,
                                       float* out) const {
  const int h = hidden;
  for (int r = 0; r < count; ++r) {
    float* sum = out + size_t(r) * h;
    for (int c = 0; c < cols; ++c) {
      const float value = rows[size_t(r) * stride + c];
      for (int m = 0; m < h; ++m) sum[m] += value * matrix[c * h + m];
    }
  }
}

// Turns the sums of a batch into the gradients of layer 0, of the input layer (and the mask token)
// and (GAT) of W and the attention vectors. Every loop runs over contiguous rows, so that it vectorises.
void FusedResGnn::Impl::Fold(float* g) const {
  const int h = hidden;
  // d/dh0 summed over the cells: Σ x_f,e dh0_e (per input column f) and Σ dh0_e (element), residual
  // path first.
  std::vector<float> value_sum(g + aux_r1, g + aux_r1 + size_t(inputs) * n * h);
  std::vector<float> element_sum(g + aux_r2, g + aux_r2 + size_t(n) * h);
  if (layers > 0) {
    const float* z1 = g + aux_z1;
    const float* z2 = g + aux_z2;
    std::vector<float> z1_total(size_t(inputs) * width, 0.0f);  // Σ_i z1[f][i][c]
    for (int f = 0; f < inputs; ++f) {
      for (int i = 0; i < n; ++i) {
        const float* row = z1 + (size_t(f) * n + i) * width;
        for (int c = 0; c < width; ++c) z1_total[f * width + c] += row[c];
      }
    }
    if (!gat) {
      // dW0[c][m] = Σ_f (Σ_i z1[f][i][c]) vw_f[m] + Σ_j z2[j][c] eb[j][m]
      float* dw0 = g + w[0];
      std::fill_n(dw0, size_t(h) * h, 0.0f);
      for (int f = 0; f < inputs; ++f) {
        for (int c = 0; c < h; ++c) {
          for (int m = 0; m < h; ++m) dw0[c * h + m] += z1_total[f * width + c] * vw[f * h + m];
        }
      }
      for (int j = 0; j < n; ++j) {
        for (int c = 0; c < h; ++c) {
          const float z = z2[j * width + c];
          for (int m = 0; m < h; ++m) dw0[c * h + m] += z * eb[j * h + m];
        }
      }
      // (Σ Y) W0 and (Σ x_f Y) W0: layer 0's share of d/dh0.
      const float* w0 = params.data() + w[0];
      AddRowProducts(z2, width, n, h, w0, element_sum.data());
      AddRowProducts(g + aux_z3, h, inputs * n, h, w0, value_sum.data());
    } else {
      // dWext0[m][c] = Σ_f (Σ_i z1[f][i][c]) vw_f[m] + Σ_i z2[i][c] eb[i][m]
      float* ext0 = g + aux_ext[0];
      std::fill_n(ext0, size_t(h) * width, 0.0f);
      for (int f = 0; f < inputs; ++f) {
        for (int m = 0; m < h; ++m) {
          for (int c = 0; c < width; ++c) ext0[m * width + c] += z1_total[f * width + c] * vw[f * h + m];
        }
      }
      for (int i = 0; i < n; ++i) {
        for (int m = 0; m < h; ++m) {
          const float e = eb[i * h + m];
          for (int c = 0; c < width; ++c) ext0[m * width + c] += z2[i * width + c] * e;
        }
      }
      // (Σ dP0) Wext0^T and (Σ x_f dP0) Wext0^T
      const float* wext0_t = wext_t[0].data();
      AddRowProducts(z2, width, n, width, wext0_t, element_sum.data());
      AddRowProducts(z1, width, inputs * n, width, wext0_t, value_sum.data());
      // dWext -> dW (out x in) and the attention vectors: Wext[m][h + k] = Σ_d W[k d][m] a_src[k d].
      std::vector<float> d_src(h), d_dst(h);
      for (int l = 0; l < layers; ++l) {
        const float* ext = g + aux_ext[l];
        const float* a_src = params.data() + src[l];
        const float* a_dst = params.data() + dst[l];
        float* dw = g + w[l];
        std::fill(d_src.begin(), d_src.end(), 0.0f);
        std::fill(d_dst.begin(), d_dst.end(), 0.0f);
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
        std::copy(d_src.begin(), d_src.end(), g + src[l]);
        std::copy(d_dst.begin(), d_dst.end(), g + dst[l]);
      }
    }
  }
  // The input layer: columns 0..F-1 are the node features, F.. the one-hot codes; the bias sums the
  // latter. Masked: the hidden flag's column is the mask token.
  const int columns = features + n;
  float* dwin = g + in_w;
  float* dbin = g + in_b;
  for (int m = 0; m < h; ++m) {
    float bias = 0;
    for (int e = 0; e < n; ++e) {
      bias += element_sum[e * h + m];
      dwin[m * columns + features + e] = element_sum[e * h + m];
    }
    dbin[m] = bias;
    for (int f = 0; f < inputs; ++f) {
      float value = 0;
      for (int e = 0; e < n; ++e) value += value_sum[(size_t(f) * n + e) * h + m];
      if (f < features) {
        dwin[m * columns + f] = value;
      } else {
        g[mask_token + m] = value;
      }
    }
  }
}

void FusedResGnn::Impl::CheckBatch(const SampleSet& samples, const std::vector<size_t>& batch) const {
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

void FusedResGnn::Impl::RunChunks(int64_t count, const ChunkTask& chunk_task, float* gradient,
                                  float* positive_gradient) {
  const int64_t chunks = (count + kLanes - 1) / kLanes;
  const int group_count = static_cast<int>(std::min<int64_t>(chunks, kMaxGroups));
  const bool backward = gradient != nullptr, positive = positive_gradient != nullptr;
  if (backward) {
    if (static_cast<int>(groups.size()) < group_count) groups.resize(group_count);
    for (int g = 0; g < group_count; ++g) groups[g].assign(buffer_size, 0.0f);
  }
  if (positive) {
    if (static_cast<int>(positive_groups.size()) < group_count) positive_groups.resize(group_count);
    for (int g = 0; g < group_count; ++g) positive_groups[g].assign(buffer_size, 0.0f);
  }
  team.Run(group_count, [&](int g, int worker) {
    Workspace& ws = workspaces[worker];
    const int64_t first_chunk = chunks * g / group_count, end_chunk = chunks * (g + 1) / group_count;
    for (int64_t chunk = first_chunk; chunk < end_chunk; ++chunk) {
      const size_t first = static_cast<size_t>(chunk * kLanes);
      const int lanes = static_cast<int>(std::min<int64_t>(kLanes, count - chunk * kLanes));
      chunk_task(ws, chunk, first, lanes, backward ? groups[g].data() : nullptr,
                 positive ? positive_groups[g].data() : nullptr);
    }
  });
  // Groups in order, then the folds: the same bytes whatever thread ran which group.
  auto finish = [&](std::vector<std::vector<float>>& buffers, float* out) {
    float* sum = buffers[0].data();
    for (int g = 1; g < group_count; ++g) {
      const float* add = buffers[g].data();
      for (size_t i = 0; i < buffer_size; ++i) sum[i] += add[i];
    }
    Fold(sum);
    std::copy_n(sum, params.size(), out);
  };
  if (backward) finish(groups, gradient);
  if (positive) finish(positive_groups, positive_gradient);
}

LossParts FusedResGnn::Impl::Run(const SampleSet& samples, const std::vector<size_t>& batch, const LossWeights& weights,
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

double FusedResGnn::Impl::RunMasked(const SampleSet& samples, const std::vector<size_t>& batch,
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
void FusedResGnn::Impl::ForwardRegressionHead(Workspace& ws) const {
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
double FusedResGnn::Impl::ChunkSquaredError(Workspace& ws, int count) const {
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
void FusedResGnn::Impl::BackwardRegressionHead(Workspace& ws, float* buffer) const {
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
  Lanes* dq = ws.t1.data();
  for (int e = 0; e < n; ++e) {
    for (int c = 0; c < h; ++c) dq[e * s + c] = q[e * s + c] > 0 ? dy[e] * wo[c] : Lanes{};
  }
  AddProductSums(dq, s, h, ws.h.data(), s, h, n, buffer + p_hw, h);  // (out x in)
  AddLaneSumsOf(
      h,
      [&](int c) {
        Lanes sum{};
        for (int e = 0; e < n; ++e) sum += dq[e * s + c];
        return sum;
      },
      buffer + p_hb);
  Product(dq, s, n, h, params.data() + p_hw, h, nullptr, ws.dh.data(), s, kStore);  // dh = dq W_p
}

FusedResGnn::FusedResGnn(const ModelSpec& spec, int n_elements, int threads, GnnObjective objective)
    : impl_(std::make_unique<Impl>(spec, n_elements, threads, objective)) {}

FusedResGnn::~FusedResGnn() = default;

void FusedResGnn::Initialise(uint64_t seed) {
  uint64_t state = seed;
  auto next = [&] { return SplitMix64(state++); };
  for (const Slot& slot : impl_->slots) {
    float* out = impl_->params.data() + slot.offset;
    for (size_t i = 0; i < slot.size; ++i) {
      if (slot.bound > 0) {
        const double u = double(next() >> 40) * 0x1.0p-24;  // [0, 1)
        out[i] = static_cast<float>((2 * u - 1) * slot.bound);
      } else {  // Box-Muller
        const double u1 = (double(next() >> 11) + 0.5) * 0x1.0p-53, u2 = double(next() >> 11) * 0x1.0p-53;
        out[i] = static_cast<float>(0.1 * std::sqrt(-2 * std::log(u1)) * std::cos(6.283185307179586 * u2));
      }
    }
  }
}

void FusedResGnn::SetWeights(const std::vector<NamedTensor>& weights) {
  const auto& slots = impl_->slots;
  if (weights.size() != slots.size())
    throw Error("model", "holds " + std::to_string(weights.size()) + " weight tensors, the architecture needs " +
                             std::to_string(slots.size()));
  for (const NamedTensor& t : weights) {
    auto slot = std::find_if(slots.begin(), slots.end(), [&](const Slot& s) { return s.name == t.name; });
    if (slot == slots.end()) throw Error("model", "weight " + t.name + " does not belong to this architecture");
    if (slot->shape != t.shape || slot->size != t.values.size())
      throw Error("model", "weight " + t.name + " has the wrong shape");
    std::copy(t.values.begin(), t.values.end(), impl_->params.begin() + slot->offset);
  }
}

std::vector<NamedTensor> FusedResGnn::Weights() const {
  std::vector<NamedTensor> out;
  for (const Slot& slot : impl_->slots) {
    NamedTensor t;
    t.name = slot.name;
    t.shape = slot.shape;
    t.values.assign(impl_->params.begin() + slot.offset, impl_->params.begin() + slot.offset + slot.size);
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<float>& FusedResGnn::parameters() { return impl_->params; }
const std::vector<float>& FusedResGnn::parameters() const { return impl_->params; }

LossParts FusedResGnn::Backward(const SampleSet& samples, const std::vector<size_t>& batch, const LossWeights& weights,
                                uint64_t dropout_key, float* gradient, float* positive_gradient) {
  if (!gradient) throw Error("training", "Backward needs a gradient buffer");
  return impl_->Run(samples, batch, weights, dropout_key, gradient, positive_gradient);
}

LossParts FusedResGnn::Loss(const SampleSet& samples, const std::vector<size_t>& batch, const LossWeights& weights) {
  return impl_->Run(samples, batch, weights, 0, nullptr, nullptr);
}

double FusedResGnn::MaskedBackward(const SampleSet& samples, const std::vector<size_t>& batch,
                                   const std::vector<uint8_t>& hidden_nodes, uint64_t dropout_key, float* gradient) {
  if (!gradient) throw Error("training", "MaskedBackward needs a gradient buffer");
  return impl_->RunMasked(samples, batch, hidden_nodes, dropout_key, gradient);
}

double FusedResGnn::MaskedLoss(const SampleSet& samples, const std::vector<size_t>& batch,
                               const std::vector<uint8_t>& hidden_nodes) {
  return impl_->RunMasked(samples, batch, hidden_nodes, 0, nullptr);
}

}  // namespace geoprosp
