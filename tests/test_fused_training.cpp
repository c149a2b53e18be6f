// The fused CPU trainer (learning/) against LibTorch's autograd and against finite differences, and
// its determinism across thread counts.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <numeric>
#include <random>

#include "geoprosp/core/error.hpp"
#include "geoprosp/features/element_graph.hpp"
#include "geoprosp/learning/fused_gnn.hpp"
#include "geoprosp/learning/fused_trainer.hpp"
#include "geoprosp/training/torch_model.hpp"
#include "geoprosp/training/torch_training.hpp"
#include "geoprosp/training/trainer.hpp"

namespace geoprosp {
namespace {

// Random standardised features (`node_features` per element), labels with `positive_share` positives,
// and Â: one shared graph thresholded at `alpha` (0: every pair is an edge), or one per sample (abs-r
// weights, some pairs cut).
SampleSet RandomSamples(int n_elements, int count, bool per_sample, double alpha, uint64_t seed,
                        double positive_share = 0.3, int node_features = 1) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0, 1.2f);
  std::uniform_real_distribution<double> r(-1, 1), u(0, 1);
  SampleSet s;
  s.n_elements = n_elements;
  s.node_features = node_features;
  s.per_sample_adjacency = per_sample;
  std::vector<double> correlation(size_t(n_elements) * n_elements);
  std::vector<float> adjacency(correlation.size());
  auto random_graph = [&](double threshold, EdgeWeight weight) {
    for (int i = 0; i < n_elements; ++i) {
      for (int j = 0; j <= i; ++j)
        correlation[i * n_elements + j] = correlation[j * n_elements + i] = i == j ? 1.0 : r(rng);
    }
    NormalisedAdjacency(correlation.data(), n_elements, threshold, weight, adjacency.data());
  };
  if (!per_sample) {
    random_graph(alpha, EdgeWeight::Binary);
    s.adjacency = adjacency;
  }
  for (int i = 0; i < count; ++i) {
    std::vector<float> values(s.width());
    for (auto& v : values) v = normal(rng);
    if (per_sample) random_graph(0.3, EdgeWeight::AbsR);
    s.AppendSynthetic(values.data(), adjacency.data(), u(rng) < positive_share ? 1 : 0);
  }
  s.labels[0] = 1;  // both classes, always
  s.labels[1] = 0;
  return s;
}

ModelSpec SmallSpec(const std::string& arch, int hidden, int layers, int heads, double dropout, int node_features = 1) {
  ModelSpec spec;
  spec.node_features = node_features;
  spec.arch = arch;
  spec.hidden = hidden;
  spec.layers = layers;
  spec.heads = heads;
  spec.dropout = dropout;
  return spec;
}

LossWeights RandomLossWeights(const SampleSet& s, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(0.2f, 1.0f);
  LossWeights w;
  for (int label : s.labels) {
    // Positives carry both terms, with a negative weight on ℓ(z, 0), as in nnPU.
    w.negative.push_back(label ? -0.5f * u(rng) : u(rng));
    w.positive.push_back(label ? u(rng) : 0.0f);
  }
  return w;
}

std::vector<size_t> AllSlots(const SampleSet& s) {
  std::vector<size_t> all(s.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  return all;
}

// LibTorch's gradients of Σ negative ℓ(z, 0) + Σ positive ℓ(z, 1) (or of the positive part alone).
std::vector<NamedTensor> TorchGradients(ResGnn& model, const SampleSet& s, const LossWeights& w, bool positive_only,
                                        double* loss_out) {
  model->zero_grad();
  const auto logits = model->forward(ValuesTensor(s), AdjacencyTensor(s));
  const auto nll = -torch::log_softmax(logits, 1);
  const auto negative = torch::from_blob(const_cast<float*>(w.negative.data()), {int64_t(s.size())});
  const auto positive = torch::from_blob(const_cast<float*>(w.positive.data()), {int64_t(s.size())});
  auto loss = (positive * nll.select(1, 1)).sum();
  if (!positive_only) loss = loss + (negative * nll.select(1, 0)).sum();
  loss.backward();
  *loss_out = loss.item<double>();
  std::vector<NamedTensor> out;
  for (const auto& item : model->named_parameters()) {
    auto g = item.value().grad().contiguous();
    out.push_back({item.key(), g.sizes().vec(), {g.data_ptr<float>(), g.data_ptr<float>() + g.numel()}});
  }
  return out;
}

struct GradientCase {
  std::string arch;
  bool per_sample;
  double alpha;           // shared Â: 0.4 sparse, 0 dense
  int node_features = 1;  // 3 or 5: with spatial context
};

std::string CaseName(const ::testing::TestParamInfo<GradientCase>& info) {
  const auto& c = info.param;
  return c.arch + (c.per_sample ? "_window" : (c.alpha > 0 ? "_global_sparse" : "_global_dense")) +
         (c.node_features > 1 ? "_context" + std::to_string(c.node_features) : "");
}

class FusedGradients : public ::testing::TestWithParam<GradientCase> {};

// Same weights, same batch, dropout off: every parameter's gradient within 1e-5 of LibTorch's largest
// gradient of that tensor (float32 on both sides).
TEST_P(FusedGradients, MatchLibTorchAutograd) {
  const GradientCase c = GetParam();
  for (uint64_t seed : {1u, 2u}) {
    const ModelSpec spec = SmallSpec(c.arch, 16, 3, 4, 0, c.node_features);
    const int n = 7;
    torch::manual_seed(seed);
    ResGnn model(spec, n);
    for (auto& p : model->parameters()) p.data().uniform_(-0.5, 0.5);  // larger than the default, so errors show
    // 3 chunks, the last ragged
    const SampleSet s = RandomSamples(n, 37, c.per_sample, c.alpha, seed, 0.3, c.node_features);
    const LossWeights w = RandomLossWeights(s, seed);

    FusedResGnn fused(spec, n, 2);
    fused.SetWeights(ExportWeights(model));
    std::vector<float> gradient(fused.parameters().size()), positive(gradient.size());
    const LossParts parts = fused.Backward(s, AllSlots(s), w, 0, gradient.data(), positive.data());
    FusedResGnn unpacked(spec, n, 1);  // the flat gradients as named tensors, through SetWeights
    for (bool positive_only : {false, true}) {
      double torch_loss = 0;
      const auto expected = TorchGradients(model, s, w, positive_only, &torch_loss);
      EXPECT_NEAR(positive_only ? parts.positive : parts.total(), torch_loss, 1e-5 * (1 + std::abs(torch_loss)));
      unpacked.parameters() = positive_only ? positive : gradient;
      const auto actual = unpacked.Weights();
      ASSERT_EQ(actual.size(), expected.size());
      for (size_t t = 0; t < expected.size(); ++t) {
        ASSERT_EQ(actual[t].name, expected[t].name);
        ASSERT_EQ(actual[t].shape, expected[t].shape);
        float scale = 0, error = 0;
        for (size_t i = 0; i < expected[t].values.size(); ++i) {
          scale = std::max(scale, std::abs(expected[t].values[i]));
          error = std::max(error, std::abs(expected[t].values[i] - actual[t].values[i]));
        }
        EXPECT_LE(error, 1e-5f * scale + 1e-9f) << expected[t].name << (positive_only ? " (positive part)" : "")
                                                << ", seed " << seed << ": largest " << scale;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(EveryArchitectureAndGraph, FusedGradients,
                         ::testing::Values(GradientCase{"resgcn", false, 0.4}, GradientCase{"resgcn", false, 0.0},
                                           GradientCase{"resgcn", true, 0.0}, GradientCase{"resgat", false, 0.4},
                                           GradientCase{"resgat", false, 0.0}, GradientCase{"resgat", true, 0.0},
                                           GradientCase{"resgcn", false, 0.4, 5}, GradientCase{"resgcn", true, 0.0, 3},
                                           GradientCase{"resgat", false, 0.4, 3}, GradientCase{"resgat", true, 0.0, 5}),
                         CaseName);

// Central differences of `loss` (evaluation mode) agree with `gradient` for every parameter of
// `model`, except where a ReLU or max kink lies inside the step (at most a twelfth of them: the
// smallest models, with no residual layer, meet the max readout's kinks most often).
void ExpectFiniteDifferences(FusedResGnn& model, const std::vector<float>& gradient,
                             const std::function<double()>& loss, const std::string& name) {
  float scale = 0;
  for (float g : gradient) scale = std::max(scale, std::abs(g));
  ASSERT_GT(scale, 0) << name << ": a zero gradient would make the comparison empty";
  const double middle = loss();
  size_t kinks = 0;
  for (size_t i = 0; i < gradient.size(); ++i) {
    float& p = model.parameters()[i];
    const float kept = p, step = 1e-3f;
    p = kept + step;
    const double up = loss();
    p = kept - step;
    const double down = loss();
    p = kept;
    // A ReLU or max kink inside the step makes the two one-sided slopes disagree: skip those.
    const double right = (up - middle) / step, left = (middle - down) / step;
    if (std::abs(right - left) > 4e-3 * scale) {
      ++kinks;
      continue;
    }
    const double numeric = (up - down) / (double(kept + step) - double(kept - step));
    EXPECT_NEAR(gradient[i], numeric, 2e-3 * scale) << name << ", parameter " << i;
  }
  EXPECT_LE(kinks, gradient.size() / 12) << name;
}

// Every tiny model of the finite-difference checks: both architectures, 0 to 2 residual layers (a
// shared Â with one, per-sample Â otherwise), without and with spatial context (1 and 3 node features).
void ForEachTinyModel(const std::function<void(const ModelSpec&, bool, const std::string&)>& check) {
  for (const std::string arch : {"resgcn", "resgat"}) {
    for (int layers : {0, 1, 2}) {
      for (int node_features : {1, 3}) {
        const bool per_sample = layers != 1;
        check(SmallSpec(arch, 4, layers, 2, 0, node_features), per_sample,
              arch + ", " + std::to_string(layers) + " layers" + (per_sample ? ", window" : ", global") + ", " +
                  std::to_string(node_features) + " node features");
      }
    }
  }
}

// Central differences of the loss on a tiny model agree with the backward pass, for every parameter,
// with and without spatial context: a check that does not lean on LibTorch.
TEST(FusedGradients, AgreeWithFiniteDifferencesOnATinyModel) {
  ForEachTinyModel([](const ModelSpec& spec, bool per_sample, const std::string& name) {
    const int n = 3;
    const SampleSet s = RandomSamples(n, 20, per_sample, 0.3, 5, 0.3, spec.node_features);
    const LossWeights w = RandomLossWeights(s, 6);
    FusedResGnn fused(spec, n, 1);
    fused.Initialise(3);
    for (float& p : fused.parameters()) p *= 3;  // away from the flat start
    std::vector<float> gradient(fused.parameters().size());
    fused.Backward(s, AllSlots(s), w, 0, gradient.data());
    ExpectFiniteDifferences(
        fused, gradient, [&] { return fused.Loss(s, AllSlots(s), w).total(); }, name);
  });
}

// Hidden-node flags for every sample: `hidden` of its E elements, at random.
std::vector<uint8_t> RandomHiddenNodes(size_t samples, int n_elements, int hidden, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint8_t> flags(samples * n_elements, 0);
  std::vector<int> order(n_elements);
  for (size_t i = 0; i < samples; ++i) {
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    for (int k = 0; k < hidden; ++k) flags[i * n_elements + order[k]] = 1;
  }
  return flags;
}

// The masked pre-training network (mask token and regression head on the backbone): its backward
// pass against central differences of its loss, for every parameter.
TEST(FusedGradients, MaskedPretrainingHeadAgreesWithFiniteDifferences) {
  ForEachTinyModel([](const ModelSpec& spec, bool per_sample, const std::string& name) {
    const int n = 4;
    const SampleSet s = RandomSamples(n, 21, per_sample, 0.3, 8, 0.3, spec.node_features);
    const auto hidden = RandomHiddenNodes(s.size(), n, 2, 9);
    FusedResGnn fused(spec, n, 1, GnnObjective::MaskedValues);
    fused.Initialise(4);
    for (float& p : fused.parameters()) p *= 3;
    std::vector<float> gradient(fused.parameters().size());
    const double loss = fused.MaskedBackward(s, AllSlots(s), hidden, 0, gradient.data());
    EXPECT_DOUBLE_EQ(loss, fused.MaskedLoss(s, AllSlots(s), hidden));
    // The loss is the mean of (ŷ - value)² over the hidden nodes, so it is positive and finite.
    EXPECT_GT(loss, 0);
    ExpectFiniteDifferences(
        fused, gradient, [&] { return fused.MaskedLoss(s, AllSlots(s), hidden); }, "masked " + name);
    // The mask token and every head tensor get a gradient; the classifier's tensors do not exist.
    FusedResGnn unpacked(spec, n, 1, GnnObjective::MaskedValues);
    unpacked.parameters() = gradient;
    for (const NamedTensor& t : unpacked.Weights()) {
      EXPECT_EQ(t.name.rfind("head_", 0), std::string::npos) << t.name;
      if (t.name.rfind(kPretrainPrefix, 0) != 0) continue;
      float largest = 0;
      for (float g : t.values) largest = std::max(largest, std::abs(g));
      EXPECT_GT(largest, 0) << name << ": " << t.name << " gets no gradient";
    }
  });
}

// A hidden node reads zeros and the mask token whatever its value: changing the values of hidden
// nodes changes nothing but the targets, so the loss with their targets fixed is unchanged.
TEST(FusedGradients, HiddenNodesDoNotSeeTheirOwnValues) {
  const ModelSpec spec = SmallSpec("resgcn", 8, 2, 2, 0, 3);
  const int n = 5;
  SampleSet s = RandomSamples(n, 9, false, 0.2, 12, 0.3, 3);
  const auto hidden = RandomHiddenNodes(s.size(), n, 2, 13);
  FusedResGnn fused(spec, n, 1, GnnObjective::MaskedValues);
  fused.Initialise(5);
  const double before = fused.MaskedLoss(s, AllSlots(s), hidden);
  SampleSet changed = s;
  for (size_t i = 0; i < s.size(); ++i) {
    for (int e = 0; e < n; ++e) {
      if (!hidden[i * n + e]) continue;
      for (int f = 1; f < 3; ++f) changed.features[i * s.width() + f * n + e] += 7.0f;  // its context
    }
  }
  EXPECT_DOUBLE_EQ(fused.MaskedLoss(changed, AllSlots(s), hidden), before);
  changed.features[0] += 1.0f;  // a visible value, or a hidden target: the loss moves
  EXPECT_NE(fused.MaskedLoss(changed, AllSlots(s), hidden), before);
}

TEST(FusedResGnn, WeightsHaveLibTorchsNamesShapesAndOrder) {
  for (const std::string arch : {"resgcn", "resgat"}) {
    const ModelSpec spec = SmallSpec(arch, 8, 2, 2, 0.5);
    ResGnn model(spec, 5);
    FusedResGnn fused(spec, 5, 1);
    fused.Initialise(1);
    const auto expected = ExportWeights(model), actual = fused.Weights();
    ASSERT_EQ(actual.size(), expected.size()) << arch;
    for (size_t t = 0; t < expected.size(); ++t) {
      EXPECT_EQ(actual[t].name, expected[t].name);
      EXPECT_EQ(actual[t].shape, expected[t].shape);
    }
    ImportWeights(model, actual);  // LibTorch reads them as they are
    auto wrong = actual;
    wrong[0].shape.back() += 1;
    EXPECT_THROW(fused.SetWeights(wrong), Error);
  }
}

std::string WeightBytes(const std::vector<NamedTensor>& weights) {
  std::string bytes;
  for (const auto& t : weights)
    bytes.append(reinterpret_cast<const char*>(t.values.data()), t.values.size() * sizeof(float));
  return bytes;
}

// Same seed, same bytes, with 1, 2 or 3 threads, dropout on, for both losses.
TEST(FusedTraining, SameSeedGivesTheSameBytesWhateverTheThreads) {
  for (const std::string arch : {"resgcn", "resgat"}) {
    for (bool per_sample : {false, true}) {
      const ModelSpec spec = SmallSpec(arch, 16, 2, 4, 0.5);
      const SampleSet train = RandomSamples(6, 300, per_sample, 0.3, 11, 0.1);
      const SampleSet validation = RandomSamples(6, 60, per_sample, 0.3, 12, 0.1);
      for (TrainLoss loss : {TrainLoss::WeightedCrossEntropy, TrainLoss::NonNegativePu}) {
        TrainSettings settings;
        settings.epochs = 3;
        settings.batch_size = 100;  // 7 chunks in 7 groups: threads share them unevenly
        settings.loss = loss;
        settings.prior = 0.2;
        std::string first;
        for (int threads : {1, 2, 3}) {
          settings.threads = threads;
          const std::string bytes =
              WeightBytes(TrainFusedResGnn(spec, train, validation, settings, Progress{}).weights);
          if (first.empty()) {
            first = bytes;
          } else {
            EXPECT_EQ(bytes, first) << arch << (per_sample ? " window" : " global") << ", " << ToString(loss) << ", "
                                    << threads << " threads";
          }
        }
        settings.seed += 1;
        EXPECT_NE(WeightBytes(TrainFusedResGnn(spec, train, validation, settings, Progress{}).weights), first);
      }
    }
  }
}

// Every kernel this CPU runs (scalar, AVX2, AVX-512) gives the same bytes: the gradients of one batch
// (both parts, dropout on, each graph mode, GCN and GAT, with context features) and the masked
// pre-training gradient. 37 cells leave a partial chunk.
TEST(FusedKernels, EveryKernelGivesTheSameGradientBytes) {
  const std::vector<FusedKernel> kernels = SupportedFusedKernels();
  if (kernels.size() < 2) GTEST_SKIP() << "this CPU runs one kernel only";
  for (const std::string arch : {"resgcn", "resgat"}) {
    for (bool per_sample : {false, true}) {
      const ModelSpec spec = SmallSpec(arch, 24, 2, 4, 0.3, 3);
      const SampleSet samples = RandomSamples(7, 37, per_sample, 0.3, 5, 0.3, 3);
      const LossWeights weights = RandomLossWeights(samples, 6);
      std::vector<float> first, first_positive;
      for (FusedKernel kernel : kernels) {
        FusedResGnn model(spec, 7, 2, GnnObjective::Classify, kernel);
        model.Initialise(3);
        std::vector<float> gradient(model.parameters().size()), positive(gradient.size());
        const LossParts loss =
            model.Backward(samples, AllSlots(samples), weights, 99, gradient.data(), positive.data());
        EXPECT_TRUE(std::isfinite(loss.total()));
        if (first.empty()) {
          first = gradient;
          first_positive = positive;
          continue;
        }
        const auto name = arch + (per_sample ? " window, " : " global, ") + ToString(kernel);
        EXPECT_EQ(0, std::memcmp(gradient.data(), first.data(), gradient.size() * sizeof(float))) << name;
        EXPECT_EQ(0, std::memcmp(positive.data(), first_positive.data(), positive.size() * sizeof(float))) << name;
      }
      std::vector<float> first_masked;
      std::vector<uint8_t> hidden(samples.size() * 7);
      for (size_t i = 0; i < hidden.size(); ++i) hidden[i] = i % 3 == 0;
      for (FusedKernel kernel : kernels) {
        FusedResGnn model(spec, 7, 1, GnnObjective::MaskedValues, kernel);
        model.Initialise(4);
        std::vector<float> gradient(model.parameters().size());
        model.MaskedBackward(samples, AllSlots(samples), hidden, 98, gradient.data());
        if (first_masked.empty()) {
          first_masked = gradient;
        } else {
          EXPECT_EQ(0, std::memcmp(gradient.data(), first_masked.data(), gradient.size() * sizeof(float)))
              << arch << " masked, " << ToString(kernel);
        }
      }
    }
  }
}

// Adam's step gives the same bytes in every kernel, with and without weight decay, and counts a
// subnormal moment as 0: with no gradient, subnormal moments become exactly 0 (decayed, they would
// stay subnormal) and the parameter does not move, while the others move.
TEST(FusedKernels, EveryKernelTakesTheSameAdamStep) {
  const ModelSpec spec = SmallSpec("resgcn", 24, 2, 4, 0.3, 1);
  std::vector<float> first, first_decayed;
  for (FusedKernel kernel : SupportedFusedKernels()) {
    for (float decay : {0.0f, 0.01f}) {
      FusedResGnn model(spec, 7, 2, GnnObjective::Classify, kernel);
      model.Initialise(5);
      const size_t size = model.parameters().size();
      std::mt19937 rng(8);
      std::normal_distribution<float> normal(0, 1);
      std::vector<float> gradient(size), m(size), v(size);
      for (size_t i = 0; i < size; ++i) {
        gradient[i] = 1e-3f * normal(rng);
        m[i] = 1e-3f * normal(rng);
        v[i] = 1e-6f * std::abs(normal(rng));
      }
      m[0] = v[0] = m[1] = 1e-40f;  // subnormal moments
      gradient[0] = gradient[1] = 0;
      AdamCoefficients c;
      c.beta1 = 0.9f;
      c.beta2 = 0.999f;
      c.rest1 = 0.1f;
      c.rest2 = 0.001f;
      c.inverse_root2 = 3.0f;
      c.step_size = 1e-3f;
      c.eps = 1e-8f;
      c.decay = decay;
      const std::vector<float> before = model.parameters();
      model.AdamStep(c, gradient.data(), m.data(), v.data());
      const std::vector<float>& after = model.parameters();
      if (decay == 0) {
        EXPECT_EQ(m[0], 0.0f) << ToString(kernel);
        EXPECT_EQ(v[0], 0.0f) << ToString(kernel);
        EXPECT_EQ(after[0], before[0]) << ToString(kernel);  // both moments subnormal: no step
        EXPECT_NE(after[2], before[2]) << ToString(kernel);
      }
      std::vector<float> bytes = after;
      bytes.insert(bytes.end(), m.begin(), m.end());
      bytes.insert(bytes.end(), v.begin(), v.end());
      std::vector<float>& expected = decay != 0 ? first_decayed : first;
      if (expected.empty()) {
        expected = bytes;
        continue;
      }
      EXPECT_EQ(0, std::memcmp(bytes.data(), expected.data(), bytes.size() * sizeof(float)))
          << ToString(kernel) << (decay != 0 ? " with weight decay" : "");
    }
  }
}

// Cells of two groups of elements, each group driven by its own latent factor (value = 0.95 z_group
// + 0.3 noise), so that a hidden value can be predicted from the visible ones of its group; the global
// graph joins the elements of a group (as a correlation threshold would).
SampleSet GroupedCells(int n_elements, int count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0, 1);
  SampleSet s;
  s.n_elements = n_elements;
  auto group = [&](int e) { return 2 * e < n_elements ? 0 : 1; };
  std::vector<double> correlation(size_t(n_elements) * n_elements);
  for (int i = 0; i < n_elements; ++i) {
    for (int j = 0; j < n_elements; ++j) correlation[i * n_elements + j] = group(i) == group(j) ? 0.9 : 0.0;
  }
  s.adjacency = NormalisedAdjacency(correlation, n_elements, 0.5, EdgeWeight::Binary);
  std::vector<float> values(n_elements);
  for (int i = 0; i < count; ++i) {
    const float z[2] = {normal(rng), normal(rng)};
    for (int e = 0; e < n_elements; ++e) values[e] = 0.95f * z[group(e)] + 0.3f * normal(rng);
    s.AppendSynthetic(values.data(), s.adjacency.data(), 0);
  }
  return s;
}

PretrainSettings MaskedSettings(int epochs) {
  PretrainSettings settings;
  settings.method = PretrainMethod::Masked;
  settings.epochs = epochs;
  settings.mask_share = 0.25;
  return settings;
}

// Pre-training learns: where the graph joins elements that move together, the hidden values are
// predicted far better than by their mean (MSE about 1; about 0.13 at best here); it returns the
// backbone only, under the classifier's names.
TEST(MaskedPretraining, LearnsToPredictHiddenValuesAndReturnsTheBackbone) {
  for (const std::string arch : {"resgcn", "resgat"}) {
    const ModelSpec spec = SmallSpec(arch, 16, 2, 2, 0.0);
    const SampleSet cells = GroupedCells(8, 1500, 3);
    TrainSettings train;
    train.lr = 3e-3;
    train.batch_size = 64;
    train.threads = 2;
    const PretrainedBackbone result = PretrainMaskedBackbone(spec, cells, MaskedSettings(8), train, Progress{});
    ASSERT_EQ(result.summary.epoch_loss.size(), 8u);
    EXPECT_EQ(result.summary.cells, 1500);
    EXPECT_EQ(result.summary.hidden_per_cell, 2);  // 0.25 x 8
    EXPECT_GT(result.summary.epoch_loss.front(), 0.5) << arch;
    EXPECT_LT(result.summary.epoch_loss.back(), 0.4) << arch;
    FusedResGnn classifier(spec, 8, 1);
    classifier.Initialise(1);
    size_t backbone = 0;
    for (const NamedTensor& t : classifier.Weights()) backbone += t.name.rfind("head_", 0) != 0;
    ASSERT_EQ(result.weights.size(), backbone) << arch;
    for (const NamedTensor& t : result.weights) EXPECT_EQ(t.name.rfind("head_", 0), std::string::npos) << t.name;
    // The classifier starts from the backbone and its own fresh head.
    const auto initial = WithBackbone(spec, 8, 1, result.weights);
    for (const NamedTensor& t : initial) {
      const auto fresh = classifier.Weights();
      const bool from_backbone = t.name.rfind("head_", 0) != 0;
      const auto& expected = from_backbone ? *std::find_if(result.weights.begin(), result.weights.end(),
                                                           [&](const NamedTensor& b) { return b.name == t.name; })
                                           : *std::find_if(fresh.begin(), fresh.end(),
                                                           [&](const NamedTensor& b) { return b.name == t.name; });
      EXPECT_EQ(t.values, expected.values) << t.name;
    }
  }
}

// Same seed, same bytes, whatever the threads, with dropout; another seed, other bytes.
TEST(MaskedPretraining, SameSeedGivesTheSameBytesWhateverTheThreads) {
  for (bool per_sample : {false, true}) {
    const ModelSpec spec = SmallSpec("resgcn", 16, 2, 4, 0.5, 3);
    const SampleSet cells = RandomSamples(6, 300, per_sample, 0.3, 14, 0.1, 3);
    TrainSettings train;
    train.batch_size = 100;
    std::string first;
    for (int threads : {1, 2, 3}) {
      train.threads = threads;
      const std::string bytes = WeightBytes(PretrainMaskedBackbone(spec, cells, MaskedSettings(2), train, {}).weights);
      if (first.empty()) {
        first = bytes;
      } else {
        EXPECT_EQ(bytes, first) << threads << " threads" << (per_sample ? ", window" : ", global");
      }
    }
    train.seed += 1;
    EXPECT_NE(WeightBytes(PretrainMaskedBackbone(spec, cells, MaskedSettings(2), train, {}).weights), first);
  }
}

TEST(MaskedPretraining, BadSettingsAndMismatchedCellsAreErrors) {
  const ModelSpec spec = SmallSpec("resgcn", 8, 1, 2, 0.0, 3);
  const SampleSet cells = RandomSamples(4, 20, false, 0.3, 1, 0.3, 1);  // one value per node, the model reads 3
  TrainSettings train;
  EXPECT_THROW(PretrainMaskedBackbone(spec, cells, MaskedSettings(1), train, {}), Error);
  PretrainSettings share = MaskedSettings(1);
  share.mask_share = 1.0;
  EXPECT_THROW(PretrainMaskedBackbone(SmallSpec("resgcn", 8, 1, 2, 0.0), cells, share, train, {}), UsageError);
  EXPECT_EQ(HiddenPerCell(0.25, 16), 4);
  EXPECT_EQ(HiddenPerCell(0.01, 16), 1);   // at least one hidden
  EXPECT_EQ(HiddenPerCell(0.99, 16), 15);  // at least one visible
  EXPECT_THROW(ParsePretrainMethod("bert"), UsageError);
}

// With dropout off and the same initial weights, the fused trainer and LibTorch take the same steps:
// same batches, same loss weights, same Adam. The weights stay within float noise of each other.
TEST(FusedTraining, FollowsLibTorchStepForStep) {
  for (const std::string arch : {"resgcn", "resgat"}) {
    for (bool per_sample : {false, true}) {
      for (double weight_decay : {0.0, 0.05}) {
        const ModelSpec spec = SmallSpec(arch, 16, 2, 4, 0);
        const SampleSet train = RandomSamples(6, 200, per_sample, 0.3, 21, 0.2);
        const SampleSet validation = RandomSamples(6, 50, per_sample, 0.3, 22, 0.2);
        torch::manual_seed(4);
        ResGnn initial(spec, 6);
        TrainSettings settings;
        settings.epochs = 4;
        settings.batch_size = 32;
        settings.lr = 1e-3;
        settings.weight_decay = weight_decay;
        settings.threads = 1;
        settings.engine = TrainEngine::Torch;
        SetTorchThreads(1);
        const TrainedModel reference =
            TrainResGnn(spec, train, validation, settings, Progress{}, ExportWeights(initial));
        settings.engine = TrainEngine::Fused;
        const TrainedModel fused = TrainResGnn(spec, train, validation, settings, Progress{}, ExportWeights(initial));
        const std::string name =
            arch + (per_sample ? " window" : " global") + ", weight decay " + std::to_string(weight_decay);
        EXPECT_EQ(fused.best_epoch, reference.best_epoch) << name;
        EXPECT_NEAR(fused.best_validation_loss, reference.best_validation_loss, 1e-5) << name;
        ASSERT_EQ(fused.weights.size(), reference.weights.size());
        for (size_t t = 0; t < fused.weights.size(); ++t) {
          float error = 0;
          for (size_t i = 0; i < fused.weights[t].values.size(); ++i)
            error = std::max(error, std::abs(fused.weights[t].values[i] - reference.weights[t].values[i]));
          EXPECT_LE(error, 1e-4f) << name << ", " << fused.weights[t].name;  // 16 steps of lr 1e-3
        }
      }
    }
  }
}

// Weight decay pulls the weights towards 0: a strong L2 penalty leaves a smaller network than none.
TEST(FusedTraining, WeightDecayShrinksTheWeights) {
  const ModelSpec spec = SmallSpec("resgcn", 16, 2, 4, 0);
  const SampleSet train = RandomSamples(6, 200, false, 0.3, 31, 0.2);
  const SampleSet validation = RandomSamples(6, 50, false, 0.3, 32, 0.2);
  TrainSettings settings;
  settings.epochs = 30;
  settings.patience = 30;
  settings.lr = 3e-3;
  settings.threads = 1;
  auto squared_norm = [](const std::vector<NamedTensor>& weights) {
    double sum = 0;
    for (const auto& tensor : weights) {
      for (float v : tensor.values) sum += double(v) * v;
    }
    return sum;
  };
  const double plain = squared_norm(TrainFusedResGnn(spec, train, validation, settings, Progress{}).weights);
  settings.weight_decay = 0.5;
  const double decayed = squared_norm(TrainFusedResGnn(spec, train, validation, settings, Progress{}).weights);
  EXPECT_LT(decayed, 0.8 * plain);
}

}  // namespace
}  // namespace geoprosp
