// The fused CPU inference path: the residual GNN of torch_model.cpp in plain C++, one cell per SIMD
// lane. Weights are broadcast to all lanes, so every lane runs the same instructions: a cell's result
// never depends on its chunk, strip or tile, or on its place in the chunk (tiles mosaic bit-exactly).
// A partial chunk is padded. Threads split chunks.
//
// Compiled once per instruction set: fused_kernel_{scalar,avx2,avx512}.cpp each include this file
// (so it has no include guard) inside their own namespace (and the AVX ones inside a `#pragma GCC
// target` region), after defining what models/lane_ops.hpp needs, kLanes (cells per chunk) and
// kKernelName (the kernel's name), and it defines that namespace's MakeScorer. All kernels give the same bytes: the
// build has -ffp-contract=off, so a multiply-add is fused where it says Fma and nowhere else, in one fixed order per
// cell; no operation mixes lanes; and Exp does the same arithmetic in every width.

namespace {

#include "geoprosp/models/lane_ops.hpp"

// max(v, 0) that keeps NaN, as LibTorch's relu does (the zero first: see Exp).
inline Lanes Relu(Lanes v) { return Max(Lanes{}, v); }
const auto kRelu = [](Lanes& out, Lanes v) { out = Relu(v); };
const auto kAddRelu = [](Lanes& out, Lanes v) { out += Relu(v); };
const auto kAddElu = [](Lanes& out, Lanes v) { out += v > 0 ? v : Exp(v) - 1.0f; };

// (in x out) from torch's (out x in), in double for the folding below.
std::vector<double> Transposed(const NamedTensor& t) {
  if (t.shape.size() != 2) throw Error("model", "weight " + t.name + " is not a matrix");
  const int64_t rows = t.shape[0], cols = t.shape[1];
  std::vector<double> out(t.values.size());
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) out[c * rows + r] = t.values[r * cols + c];
  }
  return out;
}

std::vector<float> ToFloat(const std::vector<double>& values) { return {values.begin(), values.end()}; }

struct Workspace {
  LaneVector x;              // F x E: the chunk's node features
  LaneVector h, mixed;       // E rows: the state; Â h (GCN) or projected (GAT)
  LaneVector adjacency;      // window mode: E x E, this chunk's Â
  LaneVector attention;      // GAT: E x E, one head's weights
  LaneVector readout, head;  // 2 hidden, hidden
};

class FusedScorer : public Scorer {
 public:
  FusedScorer(const Bundle& bundle, int threads)
      : n_(static_cast<int>(bundle.elements.size())),
        hidden_(bundle.model.hidden),
        heads_(bundle.model.heads),
        layers_(bundle.model.layers),
        gat_(bundle.model.arch == "resgat"),
        width_(gat_ ? hidden_ + 2 * heads_ : hidden_),
        stride_(width_ % 32 == 0 ? width_ + 16 : width_),
        node_features_(bundle.model.node_features),
        threads_(std::max(1, threads)) {
    const int h = hidden_, f_count = node_features_, columns = node_features_ + n_;
    const NamedTensor& input = bundle.Weight("input.weight");  // (h, F + E): the node's F values, then one-hot
    const std::vector<float>& input_bias = bundle.Weight("input.bias").values;
    std::vector<double> value_weight(size_t(f_count) * h), element_bias(size_t(n_) * h);  // F x h: vw; E x h: eb
    for (int d = 0; d < h; ++d) {
      for (int f = 0; f < f_count; ++f) value_weight[f * h + d] = input.values[d * columns + f];
      for (int e = 0; e < n_; ++e)
        element_bias[e * h + d] = double(input.values[d * columns + f_count + e]) + input_bias[d];
    }
    value_weight_ = ToFloat(value_weight);
    element_bias_ = ToFloat(element_bias);
    for (int l = 0; l < layers_; ++l) {
      const std::string name = "layer" + std::to_string(l);
      std::vector<double> weight = Transposed(bundle.Weight(name + ".weight"));
      if (gat_) {
        weight = WithAttentionColumns(weight, bundle.Weight(name + "_att_src").values,
                                      bundle.Weight(name + "_att_dst").values);
      } else {
        layer_bias_.push_back(bundle.Weight(name + ".bias").values);
      }
      if (l == 0) {  // vw W (per node feature) and eb W
        first_value_.assign(size_t(f_count) * width_, 0.0f);
        first_element_.assign(size_t(n_) * stride_, Lanes{});
        for (int c = 0; c < width_; ++c) {
          for (int f = 0; f < f_count; ++f) {
            double value = 0;
            for (int k = 0; k < h; ++k) value += value_weight[f * h + k] * weight[k * width_ + c];
            first_value_[f * width_ + c] = static_cast<float>(value);
          }
          for (int e = 0; e < n_; ++e) {
            double element = 0;
            for (int k = 0; k < h; ++k) element += element_bias[e * h + k] * weight[k * width_ + c];
            first_element_[e * stride_ + c] = Broadcast(static_cast<float>(element));
          }
        }
      }
      layer_weight_.push_back(ToFloat(weight));
    }
    head_hidden_ = ToFloat(Transposed(bundle.Weight("head_hidden.weight")));
    head_hidden_bias_ = bundle.Weight("head_hidden.bias").values;
    head_out_ = bundle.Weight("head_out.weight").values;  // (2, h)
    head_out_bias_ = bundle.Weight("head_out.bias").values;
    workspaces_.resize(threads_);
  }

  std::string name() const override { return std::string("fused-cpu/") + kKernelName; }

  void Score(const float* features, const float* adjacency, bool per_cell, int64_t n, float* probability) override {
    // A shared Â: broadcast once, and only its edges are visited. A per-cell Â: every pair, per lane.
    LaneVector shared;
    if (!per_cell) {
      shared.resize(size_t(n_) * n_);
      for (size_t i = 0; i < shared.size(); ++i) shared[i] = Broadcast(adjacency[i]);
    }
    neighbours_.assign(n_, {});
    dense_ = true;
    for (int i = 0; i < n_; ++i) {
      for (int j = 0; j < n_; ++j) {
        if (per_cell || adjacency[i * n_ + j] != 0.0f) neighbours_[i].push_back(j);
      }
      dense_ = dense_ && static_cast<int>(neighbours_[i].size()) == n_;
    }
    const int64_t chunks = (n + kLanes - 1) / kLanes;
#pragma omp parallel for num_threads(threads_) schedule(dynamic, 16)
    for (int64_t c = 0; c < chunks; ++c) {
      const int64_t first = c * kLanes;
      const int count = static_cast<int>(std::min<int64_t>(kLanes, n - first));
      Workspace& w = workspaces_[omp_get_thread_num()];
      const Lanes* a = shared.data();
      if (per_cell) {
        LoadAdjacency(adjacency + first * n_ * n_, count, w.adjacency);
        a = w.adjacency.data();
      }
      ScoreChunk(w, features + first * node_features_ * n_, a, per_cell, count, probability + first);
    }
  }

 private:
  // GAT: appends W a_src and W a_dst per head to W (h x h), so that one product gives the projected
  // states and both attention terms: (h x (h + 2 heads)).
  std::vector<double> WithAttentionColumns(const std::vector<double>& weight, const std::vector<float>& source,
                                           const std::vector<float>& target) const {
    const int h = hidden_, width = h / heads_;
    std::vector<double> out(size_t(h) * width_, 0.0);
    for (int m = 0; m < h; ++m) {
      std::copy_n(weight.data() + m * h, h, out.data() + m * width_);
      for (int k = 0; k < heads_; ++k) {
        for (int d = 0; d < width; ++d) {
          out[m * width_ + h + k] += weight[m * h + k * width + d] * source[k * width + d];
          out[m * width_ + h + heads_ + k] += weight[m * h + k * width + d] * target[k * width + d];
        }
      }
    }
    return out;
  }

  // Lane b of pair (i, j) holds cell b's Â_ij; padding lanes get the identity.
  void LoadAdjacency(const float* adjacency, int count, LaneVector& out) const {
    out.resize(size_t(n_) * n_);
    for (int ij = 0; ij < n_ * n_; ++ij) {
      for (int b = 0; b < kLanes; ++b) out[ij][b] = b < count ? adjacency[size_t(b) * n_ * n_ + ij] : 0.0f;
    }
    for (int b = count; b < kLanes; ++b) {
      for (int i = 0; i < n_; ++i) out[i * n_ + i][b] = 1.0f;
    }
  }

  void ScoreChunk(Workspace& w, const float* features, const Lanes* adjacency, bool per_cell, int count,
                  float* out) const {
    const int h = hidden_;
    w.h.resize(size_t(n_) * stride_);
    w.mixed.resize(size_t(n_) * stride_);
    const int f_count = node_features_, row = f_count * n_;
    w.x.assign(size_t(row), Lanes{});  // x[f E + e]: node feature f of element e
    for (int b = 0; b < count; ++b) {
      for (int i = 0; i < row; ++i) w.x[i][b] = features[b * row + i];
    }
    // The input layer: each node feature times its column, plus the element's one-hot column and the bias.
    for (int e = 0; e < n_; ++e) {
      for (int d = 0; d < h; ++d) {
        Lanes sum = Broadcast(element_bias_[e * h + d]);
        for (int f = 0; f < f_count; ++f) sum = Fma(w.x[f * n_ + e], Broadcast(value_weight_[f * h + d]), sum);
        w.h[e * stride_ + d] = sum;
      }
    }
    for (int l = 0; l < layers_; ++l) {
      if (l == 0) {
        FirstLayer(w, adjacency);
      } else if (gat_) {
        Product(w.h.data(), stride_, n_, h, layer_weight_[l].data(), width_, nullptr, w.mixed.data(), stride_, kStore);
      } else {
        Mix(neighbours_, dense_, adjacency, w.h.data(), stride_, h, w.mixed.data(), stride_, kStore);
        Product(w.mixed.data(), stride_, n_, h, layer_weight_[l].data(), h, layer_bias_[l].data(), w.h.data(), stride_,
                kAddRelu);
      }
      if (gat_) Attend(w, adjacency, per_cell);
    }
    // mean || max readout, then the MLP head.
    w.readout.resize(2 * h);
    std::copy_n(w.h.data(), h, w.readout.data());
    std::copy_n(w.h.data(), h, w.readout.data() + h);
    for (int e = 1; e < n_; ++e) {
      for (int d = 0; d < h; ++d) {
        w.readout[d] += w.h[e * stride_ + d];
        w.readout[h + d] = Max(w.readout[h + d], w.h[e * stride_ + d]);
      }
    }
    for (int d = 0; d < h; ++d) w.readout[d] /= static_cast<float>(n_);
    w.head.resize(h);
    Product(w.readout.data(), 2 * h, 1, 2 * h, head_hidden_.data(), h, head_hidden_bias_.data(), w.head.data(), h,
            kRelu);
    Lanes logit0 = Broadcast(head_out_bias_[0]), logit1 = Broadcast(head_out_bias_[1]);
    for (int d = 0; d < h; ++d) {
      logit0 = Fma(w.head[d], Broadcast(head_out_[d]), logit0);
      logit1 = Fma(w.head[d], Broadcast(head_out_[h + d]), logit1);
    }
    const Lanes p = 1.0f / (1.0f + Exp(logit0 - logit1));  // softmax's second class
    for (int b = 0; b < count; ++b) out[b] = p[b];
  }

  // Layer 0 reads h0 = Σ_f x_f vw_f + eb (the node features' columns, the element's one-hot column and
  // the bias of the input layer), so h0 W = Σ_f x_f (vw_f W) + (eb W): lookup tables instead of a product.
  void FirstLayer(Workspace& w, const Lanes* adjacency) const {
    const int h = hidden_, f_count = node_features_;
    if (gat_) {  // the projected states
      for (int e = 0; e < n_; ++e) {
        for (int c = 0; c < width_; ++c) {
          Lanes sum = first_element_[e * stride_ + c];
          for (int f = 0; f < f_count; ++f) sum = Fma(w.x[f * n_ + e], Broadcast(first_value_[f * width_ + c]), sum);
          w.mixed[e * stride_ + c] = sum;
        }
      }
      return;
    }
    // (Â h0) W + b = Σ_f (Â x_f) (vw_f W) + Â (eb W) + b
    Mix(neighbours_, dense_, adjacency, first_element_.data(), stride_, h, w.mixed.data(), stride_, kStore);
    Lanes mixed_value[1 + 2 * kMaxContextScales];
    for (int i = 0; i < n_; ++i) {
      for (int f = 0; f < f_count; ++f) {
        mixed_value[f] = Lanes{};
        for (int j : neighbours_[i]) mixed_value[f] = Fma(adjacency[i * n_ + j], w.x[f * n_ + j], mixed_value[f]);
      }
      for (int d = 0; d < h; ++d) {
        Lanes sum = w.mixed[i * stride_ + d];
        for (int f = 0; f < f_count; ++f) sum = Fma(mixed_value[f], Broadcast(first_value_[f * width_ + d]), sum);
        w.h[i * stride_ + d] += Relu(sum + layer_bias_[0][d]);
      }
    }
  }

  // GAT: per node i and head k, softmax over Â's neighbours j of leaky_relu(src_i + dst_j), mixing
  // the projected states of head k; h += elu(that). w.mixed rows: projected, then src and dst per head.
  void Attend(Workspace& w, const Lanes* adjacency, bool per_cell) const {
    const int h = hidden_, width = h / heads_;
    const Lanes* projected = w.mixed.data();
    const Lanes minus_infinity = Broadcast(-std::numeric_limits<float>::infinity());
    w.attention.resize(size_t(n_) * n_);
    for (int k = 0; k < heads_; ++k) {
      for (int i = 0; i < n_; ++i) {
        const Lanes* a = adjacency + i * n_;
        Lanes* attention = w.attention.data() + i * n_;
        const Lanes source = projected[i * stride_ + h + k];
        Lanes peak = minus_infinity;
        for (int j : neighbours_[i]) {
          const Lanes s = source + projected[j * stride_ + h + heads_ + k];
          Lanes score = s > 0 ? s : 0.2f * s;
          if (per_cell) score = a[j] > 0 ? score : minus_infinity;
          attention[j] = score;
          peak = Max(peak, score);
        }
        Lanes total{};
        for (int j : neighbours_[i]) {
          const Lanes e = Exp(attention[j] - peak);
          attention[j] = per_cell ? (a[j] > 0 ? e : Lanes{}) : e;
          total += attention[j];
        }
        const Lanes inverse = 1.0f / total;
        for (int j : neighbours_[i]) attention[j] *= inverse;
      }
      Mix(neighbours_, dense_, w.attention.data(), projected + k * width, stride_, width, w.h.data() + k * width,
          stride_, kAddElu);
    }
  }

  int n_, hidden_, heads_, layers_;
  bool gat_;
  int width_;          // of a projected row: hidden, plus src and dst per head for GAT
  int stride_;         // of the node rows: >= width_, and not a multiple of 2 KB, so that rows do not share L1 sets
  int node_features_;  // F: the value, then the spatial context's mean and SD per scale
  int threads_;
  std::vector<float> value_weight_, element_bias_;  // F x h: vw; E x h: eb (one-hot column + bias)
  std::vector<std::vector<float>> layer_weight_;    // h x width (in x out)
  std::vector<std::vector<float>> layer_bias_;      // GCN: h
  std::vector<float> first_value_;                  // F x width: vw_f W of layer 0
  LaneVector first_element_;                        // E rows of width: eb W of layer 0, broadcast
  std::vector<float> head_hidden_, head_hidden_bias_, head_out_, head_out_bias_;
  std::vector<std::vector<int>> neighbours_;  // per node: the j with Â_ij != 0 (every j when per cell)
  bool dense_ = true;                         // every node has every neighbour
  std::vector<Workspace> workspaces_;
};

}  // namespace

std::unique_ptr<Scorer> MakeScorer(const Bundle& bundle, int threads) {
  return std::make_unique<FusedScorer>(bundle, threads);
}
