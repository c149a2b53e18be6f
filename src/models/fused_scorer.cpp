// The fused CPU inference path: the same residual GNN as torch_model.cpp, in plain C++/Eigen, laid
// out node-major so that one shared Â mixes whole blocks of cells at once and each layer's weights
// are applied as one matrix product per chunk. Threads split chunks; buffers are reused.
#include <omp.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>

#include "geoprosp/bundle.hpp"
#include "geoprosp/error.hpp"
#include "geoprosp/models/scorer.hpp"

namespace geoprosp {
namespace {

using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Vector = Eigen::Matrix<float, 1, Eigen::Dynamic>;
constexpr int kChunk = 256;  // cells per chunk: the working set stays in L2

Matrix AsMatrix(const NamedTensor& t) {
  if (t.shape.size() != 2) throw Error("model", "weight " + t.name + " is not a matrix");
  return Eigen::Map<const Matrix>(t.values.data(), t.shape[0], t.shape[1]);
}
Vector AsVector(const NamedTensor& t) { return Eigen::Map<const Vector>(t.values.data(), t.values.size()); }

// out = in * weight, one row at a time with the same instruction sequence for every row, so a
// cell's result never depends on which chunk, strip or tile it falls in (tiles mosaic bit-exactly).
// A blocked GEMM would treat edge rows differently.
void RowwiseProduct(const Matrix& in, const Matrix& weight, Matrix& out) {
  const int inner = static_cast<int>(in.cols()), width = static_cast<int>(weight.cols());
  out.resize(in.rows(), width);
  for (Eigen::Index r = 0; r < in.rows(); ++r) {
    const float* __restrict a = in.row(r).data();
    float* __restrict o = out.row(r).data();
    std::fill_n(o, width, 0.0f);
    for (int k = 0; k < inner; ++k) {
      const float* __restrict w = weight.row(k).data();
      const float ak = a[k];
      for (int j = 0; j < width; ++j) o[j] += ak * w[j];
    }
  }
}

struct Workspace {
  Matrix h, mixed, update;  // (E * chunk) x hidden, rows node-major: row = node * chunk + cell
  Matrix readout, hidden;   // chunk x 2h, chunk x h
  std::vector<float> scores;
};

class FusedScorer : public Scorer {
 public:
  FusedScorer(const Bundle& bundle, int threads)
      : n_(static_cast<int>(bundle.elements.size())),
        hidden_(bundle.model.hidden),
        heads_(bundle.model.heads),
        gat_(bundle.model.arch == "resgat"),
        threads_(std::max(1, threads)) {
    const Matrix input = AsMatrix(bundle.Weight("input.weight"));  // (h, E + 1)
    value_weight_ = input.col(0).transpose();
    element_bias_ = input.rightCols(n_).transpose();  // (E, h): one-hot columns, plus the bias below
    element_bias_.rowwise() += AsVector(bundle.Weight("input.bias"));
    for (int l = 0; l < bundle.model.layers; ++l) {
      const std::string name = "layer" + std::to_string(l);
      layer_weight_t_.push_back(AsMatrix(bundle.Weight(name + ".weight")).transpose());
      if (gat_) {
        attention_source_.push_back(AsMatrix(bundle.Weight(name + "_att_src")));
        attention_target_.push_back(AsMatrix(bundle.Weight(name + "_att_dst")));
      } else {
        layer_bias_.push_back(AsVector(bundle.Weight(name + ".bias")));
      }
    }
    head_hidden_t_ = AsMatrix(bundle.Weight("head_hidden.weight")).transpose();
    head_hidden_bias_ = AsVector(bundle.Weight("head_hidden.bias"));
    head_out_t_ = AsMatrix(bundle.Weight("head_out.weight")).transpose();
    head_out_bias_ = AsVector(bundle.Weight("head_out.bias"));
    workspaces_.resize(threads_);
    Eigen::setNbThreads(1);  // parallelism is ours, across chunks
  }

  std::string name() const override { return "fused-cpu"; }

  void Score(const float* features, const float* adjacency, bool per_cell, int64_t n, float* probability) override {
    const int64_t chunks = (n + kChunk - 1) / kChunk;
#pragma omp parallel for num_threads(threads_) schedule(dynamic, 1)
    for (int64_t c = 0; c < chunks; ++c) {
      const int64_t first = c * kChunk;
      const int count = static_cast<int>(std::min<int64_t>(kChunk, n - first));
      const float* chunk_adjacency = per_cell ? adjacency + first * n_ * n_ : adjacency;
      ScoreChunk(workspaces_[omp_get_thread_num()], features + first * n_, chunk_adjacency, per_cell, count,
                 probability + first);
    }
  }

 private:
  void ScoreChunk(Workspace& w, const float* x, const float* adjacency, bool per_cell, int count, float* out) const {
    const int rows = n_ * count;
    w.h.resize(rows, hidden_);
    for (int e = 0; e < n_; ++e) {
      for (int b = 0; b < count; ++b) w.h.row(e * count + b) = x[b * n_ + e] * value_weight_ + element_bias_.row(e);
    }
    for (size_t l = 0; l < layer_weight_t_.size(); ++l) {
      if (gat_) {
        RowwiseProduct(w.h, layer_weight_t_[l], w.update);
        Attend(w, l, adjacency, per_cell, count);
        w.h += w.mixed.unaryExpr([](float v) { return v > 0 ? v : std::expm1(v); });  // ELU
      } else {
        Mix(w.h, w.mixed, adjacency, per_cell, count);
        RowwiseProduct(w.mixed, layer_weight_t_[l], w.update);
        w.update.rowwise() += layer_bias_[l];
        w.h += w.update.cwiseMax(0.0f);
      }
    }
    // mean || max readout, then the MLP head.
    w.readout.resize(count, 2 * hidden_);
    for (int b = 0; b < count; ++b) {
      Vector sum = w.h.row(b), peak = w.h.row(b);
      for (int e = 1; e < n_; ++e) {
        sum += w.h.row(e * count + b);
        peak = peak.cwiseMax(w.h.row(e * count + b));
      }
      w.readout.row(b).head(hidden_) = sum / static_cast<float>(n_);
      w.readout.row(b).tail(hidden_) = peak;
    }
    RowwiseProduct(w.readout, head_hidden_t_, w.hidden);
    w.hidden.rowwise() += head_hidden_bias_;
    w.hidden = w.hidden.cwiseMax(0.0f);
    for (int b = 0; b < count; ++b) {
      const float logit0 = w.hidden.row(b).dot(head_out_t_.col(0)) + head_out_bias_[0];
      const float logit1 = w.hidden.row(b).dot(head_out_t_.col(1)) + head_out_bias_[1];
      out[b] = 1.0f / (1.0f + std::exp(logit0 - logit1));
    }
  }

  // mixed = Â h, per cell. With a shared Â each (i, j) pair is one block operation over the chunk.
  void Mix(const Matrix& h, Matrix& mixed, const float* adjacency, bool per_cell, int count) const {
    mixed.setZero(h.rows(), h.cols());
    if (!per_cell) {
      for (int i = 0; i < n_; ++i) {
        for (int j = 0; j < n_; ++j) {
          const float a = adjacency[i * n_ + j];
          if (a != 0.0f) mixed.middleRows(i * count, count) += a * h.middleRows(j * count, count);
        }
      }
      return;
    }
    for (int b = 0; b < count; ++b) {
      const float* a = adjacency + size_t(b) * n_ * n_;
      for (int i = 0; i < n_; ++i) {
        for (int j = 0; j < n_; ++j) {
          if (a[i * n_ + j] != 0.0f) mixed.row(i * count + b) += a[i * n_ + j] * h.row(j * count + b);
        }
      }
    }
  }

  // GAT: per cell and head, softmax over Â's neighbours of leaky_relu(src_i + dst_j), mixing w.update.
  void Attend(Workspace& w, size_t l, const float* adjacency, bool per_cell, int count) const {
    const int width = hidden_ / heads_;
    w.mixed.setZero(w.update.rows(), hidden_);
    std::vector<float> source(size_t(n_) * heads_), target(size_t(n_) * heads_), weight(n_);
    for (int b = 0; b < count; ++b) {
      const float* a = per_cell ? adjacency + size_t(b) * n_ * n_ : adjacency;
      for (int e = 0; e < n_; ++e) {
        const auto row = w.update.row(e * count + b);
        for (int k = 0; k < heads_; ++k) {
          source[e * heads_ + k] = row.segment(k * width, width).dot(attention_source_[l].row(k));
          target[e * heads_ + k] = row.segment(k * width, width).dot(attention_target_[l].row(k));
        }
      }
      for (int i = 0; i < n_; ++i) {
        for (int k = 0; k < heads_; ++k) {
          float peak = -std::numeric_limits<float>::infinity();
          for (int j = 0; j < n_; ++j) {
            if (a[i * n_ + j] > 0) {
              const float s = source[i * heads_ + k] + target[j * heads_ + k];
              weight[j] = s > 0 ? s : 0.2f * s;
              peak = std::max(peak, weight[j]);
            }
          }
          float total = 0;
          for (int j = 0; j < n_; ++j) {
            weight[j] = a[i * n_ + j] > 0 ? std::exp(weight[j] - peak) : 0.0f;
            total += weight[j];
          }
          auto target_row = w.mixed.row(i * count + b).segment(k * width, width);
          for (int j = 0; j < n_; ++j) {
            if (weight[j] > 0)
              target_row += (weight[j] / total) * w.update.row(j * count + b).segment(k * width, width);
          }
        }
      }
    }
  }

  int n_, hidden_, heads_;
  bool gat_;
  int threads_;
  Vector value_weight_;
  Matrix element_bias_;
  std::vector<Matrix> layer_weight_t_, attention_source_, attention_target_;
  std::vector<Vector> layer_bias_;
  Matrix head_hidden_t_, head_out_t_;
  Vector head_hidden_bias_, head_out_bias_;
  std::vector<Workspace> workspaces_;
};

}  // namespace

std::unique_ptr<Scorer> MakeFusedScorer(const Bundle& bundle, int threads) {
  return std::make_unique<FusedScorer>(bundle, threads);
}

}  // namespace geoprosp
