#pragma once
// The fused trainer's kernels, one per instruction set (fused_gnn_{scalar,avx2,avx512}.cpp, each the
// body fused_gnn_body.hpp), and what each of their translation units includes before its `#pragma GCC
// target` region: everything the body uses comes from here, so that no library function is compiled
// for a wider instruction set than the CPU running it has.
//
// Every kernel runs 8 cells per chunk (one AVX register; two SSE registers in the scalar kernel), so
// that the chunks, the groups and the sums over a chunk's lanes are the same in each, and each cell
// does the same arithmetic in the same order: a model trains to the same bytes whichever kernel the
// CPU runs. (16 lanes would fill an AVX-512 register, but GCC keeps 64-byte vectors in memory on AVX2
// CPUs, which made that kernel 20 times slower; AVX-512's kernel gains its 32 registers instead.)
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <new>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "geoprosp/core/error.hpp"
#include "geoprosp/learning/fused_gnn.hpp"
#include "geoprosp/models/scorer.hpp"
#include "geoprosp/models/simd_target.hpp"
#include "task_team.hpp"

namespace geoprosp::learning {

constexpr int kTrainingLanes = 8;  // cells per chunk, in every kernel

inline uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

struct Slot {
  std::string name;
  std::vector<int64_t> shape;
  size_t offset = 0, size = 0;
  double bound = 0;  // U(-bound, bound) at initialisation; 0: N(0, 0.1²) (attention vectors)
};

// The network's shape and its parameters: the tensors in LibTorch's order, flat, then (in gradient
// buffers only) the sums that the kernels' Fold turns into the gradients of layer 0 and of the input
// layer, per input column f: r1 = Σ x_f,e dh1_e, r2 = Σ dh1_e (the residual path of h0); GCN
// z1 = Σ dZ0 (Âx_f), z2 = Σ Â^T dZ0, z3 = Σ x_f Â^T dZ0; GAT z1 = Σ x_f dP0, z2 = Σ dP0; GAT
// ext[l] = dWext_l. r2 and z2 are per node; r1, z1 and z3 are summed over the nodes too (Fold needs
// only their totals), which the kernels do in lanes, before the sum over a chunk's cells.
struct GnnLayout {
  GnnLayout(const ModelSpec& spec, int n_elements, GnnObjective objective);

  ModelSpec spec;
  int n, hidden, heads, layers, head_width;
  bool gat;
  bool masked;                  // GnnObjective::MaskedValues: the regression head instead of the classifier
  int features;                 // F: node features per element
  int inputs;                   // input columns per node the backbone reads: F, plus the hidden flag when masked
  int width;                    // of a projected row: hidden, plus src and dst per head for GAT
  int stride;                   // of the node rows
  uint32_t drop_threshold = 0;  // a unit is dropped when its hash is below this
  float keep_scale = 1;

  std::vector<Slot> slots;
  std::vector<float> params;
  size_t in_w = 0, in_b = 0, hh_w = 0, hh_b = 0, out_w = 0, out_b = 0;
  size_t mask_token = 0, p_hw = 0, p_hb = 0, p_ow = 0, p_ob = 0;  // masked: token and regression head
  std::vector<size_t> w, b, src, dst;
  size_t aux_r1 = 0, aux_r2 = 0, aux_z1 = 0, aux_z2 = 0, aux_z3 = 0, buffer_size = 0;
  std::vector<size_t> aux_ext;

 private:
  size_t Add(const std::string& name, std::vector<int64_t> shape, double bound);
};

// One instruction set's forward and backward passes over the layout's parameters (FusedResGnn's
// Backward, Loss, MaskedBackward and MaskedLoss).
class GnnKernel {
 public:
  virtual ~GnnKernel() = default;
  virtual GnnLayout& layout() = 0;
  virtual LossParts Run(const SampleSet& samples, const std::vector<size_t>& batch, const LossWeights& weights,
                        uint64_t dropout_key, float* gradient, float* positive_gradient) = 0;
  virtual double RunMasked(const SampleSet& samples, const std::vector<size_t>& batch,
                           const std::vector<uint8_t>& hidden_nodes, uint64_t dropout_key, float* gradient) = 0;
  virtual void AdamStep(const AdamCoefficients& coefficients, const float* gradient, float* m, float* v) = 0;
};

// The scalar kernel (any CPU): without an FMA unit every multiply-add is computed in double
// (models/exact_fma.hpp), with the same bits.
namespace scalar {
std::unique_ptr<GnnKernel> MakeGnnKernel(const GnnLayout& layout, int threads);
}
#ifdef GEOPROSP_FUSED_X86
namespace avx2 {  // x86-64-v3: AVX2 and FMA
std::unique_ptr<GnnKernel> MakeGnnKernel(const GnnLayout& layout, int threads);
}
namespace avx512 {  // x86-64-v4: AVX-512
std::unique_ptr<GnnKernel> MakeGnnKernel(const GnnLayout& layout, int threads);
}
#endif

}  // namespace geoprosp::learning
