// The fused CPU trainer (learning/) against LibTorch's autograd and against finite differences, and
// its determinism across thread counts.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
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

// Random standardised features, labels with `positive_share` positives, and Â: one shared graph
// thresholded at `alpha` (0: every pair is an edge), or one per sample (abs-r weights, some pairs cut).
SampleSet RandomSamples(int n_elements, int count, bool per_sample, double alpha, uint64_t seed,
                        double positive_share = 0.3) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0, 1.2f);
  std::uniform_real_distribution<double> r(-1, 1), u(0, 1);
  SampleSet s;
  s.n_elements = n_elements;
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
    std::vector<float> values(n_elements);
    for (auto& v : values) v = normal(rng);
    if (per_sample) random_graph(0.3, EdgeWeight::AbsR);
    s.AppendSynthetic(values.data(), adjacency.data(), u(rng) < positive_share ? 1 : 0);
  }
  s.labels[0] = 1;  // both classes, always
  s.labels[1] = 0;
  return s;
}

ModelSpec SmallSpec(const std::string& arch, int hidden, int layers, int heads, double dropout) {
  ModelSpec spec;
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
  double alpha;  // shared Â: 0.4 sparse, 0 dense
};

std::string CaseName(const ::testing::TestParamInfo<GradientCase>& info) {
  const auto& c = info.param;
  return c.arch + (c.per_sample ? "_window" : (c.alpha > 0 ? "_global_sparse" : "_global_dense"));
}

class FusedGradients : public ::testing::TestWithParam<GradientCase> {};

// Same weights, same batch, dropout off: every parameter's gradient within 1e-5 of LibTorch's largest
// gradient of that tensor (float32 on both sides).
TEST_P(FusedGradients, MatchLibTorchAutograd) {
  const GradientCase c = GetParam();
  for (uint64_t seed : {1u, 2u}) {
    const ModelSpec spec = SmallSpec(c.arch, 16, 3, 4, 0);
    const int n = 7;
    torch::manual_seed(seed);
    ResGnn model(spec, n);
    for (auto& p : model->parameters()) p.data().uniform_(-0.5, 0.5);       // larger than the default, so errors show
    const SampleSet s = RandomSamples(n, 37, c.per_sample, c.alpha, seed);  // 3 chunks, the last ragged
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
                                           GradientCase{"resgat", false, 0.0}, GradientCase{"resgat", true, 0.0}),
                         CaseName);

// Central differences of the loss (evaluation mode) on a tiny model agree with the backward pass, for
// every parameter: a check that does not lean on LibTorch.
TEST(FusedGradients, AgreeWithFiniteDifferencesOnATinyModel) {
  for (const std::string arch : {"resgcn", "resgat"}) {
    for (int layers : {0, 1, 2}) {
      const bool per_sample = layers != 1;
      const ModelSpec spec = SmallSpec(arch, 4, layers, 2, 0);
      const int n = 3;
      const SampleSet s = RandomSamples(n, 20, per_sample, 0.3, 5);
      const LossWeights w = RandomLossWeights(s, 6);
      FusedResGnn fused(spec, n, 1);
      fused.Initialise(3);
      for (float& p : fused.parameters()) p *= 3;  // away from the flat start
      std::vector<float> gradient(fused.parameters().size());
      fused.Backward(s, AllSlots(s), w, 0, gradient.data());
      float scale = 0;
      for (float g : gradient) scale = std::max(scale, std::abs(g));
      const double middle = fused.Loss(s, AllSlots(s), w).total();
      size_t kinks = 0;
      for (size_t i = 0; i < gradient.size(); ++i) {
        float& p = fused.parameters()[i];
        const float kept = p, step = 1e-3f;
        p = kept + step;
        const double up = fused.Loss(s, AllSlots(s), w).total();
        p = kept - step;
        const double down = fused.Loss(s, AllSlots(s), w).total();
        p = kept;
        // A ReLU or max kink inside the step makes the two one-sided slopes disagree: skip those.
        const double right = (up - middle) / step, left = (middle - down) / step;
        if (std::abs(right - left) > 4e-3 * scale) {
          ++kinks;
          continue;
        }
        const double numeric = (up - down) / (double(kept + step) - double(kept - step));
        EXPECT_NEAR(gradient[i], numeric, 2e-3 * scale)
            << arch << ", " << layers << " layers" << (per_sample ? ", window" : ", global") << ", parameter " << i;
      }
      EXPECT_LE(kinks, gradient.size() / 20) << arch << ", " << layers << " layers";
    }
  }
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

// With dropout off and the same initial weights, the fused trainer and LibTorch take the same steps:
// same batches, same loss weights, same Adam. The weights stay within float noise of each other.
TEST(FusedTraining, FollowsLibTorchStepForStep) {
  for (const std::string arch : {"resgcn", "resgat"}) {
    for (bool per_sample : {false, true}) {
      const ModelSpec spec = SmallSpec(arch, 16, 2, 4, 0);
      const SampleSet train = RandomSamples(6, 200, per_sample, 0.3, 21, 0.2);
      const SampleSet validation = RandomSamples(6, 50, per_sample, 0.3, 22, 0.2);
      torch::manual_seed(4);
      ResGnn initial(spec, 6);
      TrainSettings settings;
      settings.epochs = 4;
      settings.batch_size = 32;
      settings.lr = 1e-3;
      settings.threads = 1;
      settings.engine = TrainEngine::Torch;
      SetTorchThreads(1);
      const TrainedModel reference = TrainResGnn(spec, train, validation, settings, Progress{}, ExportWeights(initial));
      settings.engine = TrainEngine::Fused;
      const TrainedModel fused = TrainResGnn(spec, train, validation, settings, Progress{}, ExportWeights(initial));
      const std::string name = arch + (per_sample ? " window" : " global");
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

}  // namespace
}  // namespace geoprosp
