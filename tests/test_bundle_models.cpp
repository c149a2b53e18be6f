#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "geoprosp/core/error.hpp"
#include "geoprosp/features/element_graph.hpp"
#include "geoprosp/models/bundle.hpp"
#include "geoprosp/models/scorer.hpp"
#include "geoprosp/models/torch_plugin.hpp"
#include "geoprosp/training/torch_model.hpp"
#include "test_support.hpp"

namespace geoprosp {
namespace {

namespace fs = std::filesystem;

Bundle RandomBundle(const std::string& arch, GraphMode mode, int n, uint64_t seed) {
  torch::manual_seed(seed);
  Bundle b;
  for (int e = 0; e < n; ++e) b.elements.push_back("E" + std::to_string(e));
  b.composition.zero_replacement.assign(n, 0.5);
  b.composition.mean.assign(n, 0.0);
  b.composition.sd.assign(n, 1.0);
  b.graph.mode = mode;
  b.model.arch = arch;
  b.model.hidden = 16;
  b.model.layers = 2;
  b.model.heads = 4;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> r(-1, 1);
  b.correlation.assign(size_t(n) * n, 0.0);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j <= i; ++j) b.correlation[i * n + j] = b.correlation[j * n + i] = i == j ? 1.0 : r(rng);
  }
  b.adjacency = NormalisedAdjacency(b.correlation, n, 0.4, EdgeWeight::Binary);
  ResGnn model(b.model, n);
  // Larger weights than the default init, so disagreement would show.
  for (auto& p : model->parameters()) p.data().uniform_(-0.6, 0.6);
  b.weights = ExportWeights(model);
  b.class_breaks = {0.2, 0.5, 0.8};
  b.class_breaks_method = "test";
  return b;
}

void RandomInputs(const Bundle& b, int64_t cells, std::vector<float>& features, std::vector<float>& adjacency) {
  const int n = static_cast<int>(b.elements.size());
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0, 1.5);
  features.resize(size_t(cells) * n);
  for (auto& f : features) f = normal(rng);
  if (b.graph.mode == GraphMode::Global) {
    adjacency = b.adjacency;
    return;
  }
  adjacency.resize(size_t(cells) * n * n);
  std::uniform_real_distribution<double> r(-1, 1);
  std::vector<double> corr(size_t(n) * n);
  for (int64_t c = 0; c < cells; ++c) {
    for (int i = 0; i < n; ++i) {
      for (int j = 0; j <= i; ++j) corr[i * n + j] = corr[j * n + i] = i == j ? 1.0 : r(rng);
    }
    NormalisedAdjacency(corr.data(), n, 0.5, EdgeWeight::AbsR, adjacency.data() + c * n * n);
  }
}

class FusedAgainstTorch : public ::testing::TestWithParam<std::tuple<std::string, GraphMode>> {};

TEST_P(FusedAgainstTorch, AgreeTo1e5OnRandomModels) {
  const auto [arch, mode] = GetParam();
  for (uint64_t seed : {1u, 2u}) {
    const Bundle b = RandomBundle(arch, mode, 7, seed);
    std::vector<float> features, adjacency;
    const int64_t cells = 700;  // spans several chunks of the fused path, with a ragged last one
    RandomInputs(b, cells, features, adjacency);
    std::vector<float> fused(cells), reference(cells);
    MakeFusedScorer(b, 2)->Score(features.data(), adjacency.data(), mode == GraphMode::Window, cells, fused.data());
    MakeScorer(b, {"torch", "cpu", 1})
        ->Score(features.data(), adjacency.data(), mode == GraphMode::Window, cells, reference.data());
    double worst = 0, spread = 0;
    for (int64_t i = 0; i < cells; ++i) {
      worst = std::max(worst, double(std::abs(fused[i] - reference[i])));
      spread = std::max(spread, double(std::abs(reference[i] - reference[0])));
    }
    EXPECT_LT(worst, 1e-5) << arch << " seed " << seed;
    EXPECT_GT(spread, 1e-3) << "random model gives constant output; the comparison would be empty";
  }
}

// Tiles mosaic byte for byte only if a cell's score depends on nothing but its own inputs: not on
// its chunk, its lane or how many cells the call holds.
TEST_P(FusedAgainstTorch, FusedScoresDoNotDependOnACellsPositionInTheCall) {
  const auto [arch, mode] = GetParam();
  const Bundle b = RandomBundle(arch, mode, 7, 3);
  const bool per_cell = mode == GraphMode::Window;
  const int n = 7;
  std::vector<float> features, adjacency;
  const int64_t cells = 300;
  RandomInputs(b, cells, features, adjacency);
  const auto scorer = MakeFusedScorer(b, 2);
  std::vector<float> whole(cells);
  scorer->Score(features.data(), adjacency.data(), per_cell, cells, whole.data());
  for (int64_t shift : {1, 5, 17, 33}) {
    const int64_t count = cells - shift;
    std::vector<float> shifted(count);
    scorer->Score(features.data() + shift * n, adjacency.data() + (per_cell ? shift * n * n : 0), per_cell, count,
                  shifted.data());
    for (int64_t i = 0; i < count; ++i) {
      ASSERT_EQ(std::memcmp(&shifted[i], &whole[shift + i], sizeof(float)), 0)
          << arch << ": cell " << shift + i << " scored " << shifted[i] << " at offset " << i << " but "
          << whole[shift + i] << " at offset " << shift + i;
    }
  }
  float alone = 0;
  scorer->Score(features.data() + 200 * n, adjacency.data() + (per_cell ? 200 * n * n : 0), per_cell, 1, &alone);
  EXPECT_EQ(std::memcmp(&alone, &whole[200], sizeof(float)), 0) << arch << ": a cell scored alone differs";
}

// Runs only where LibTorch has CUDA and a GPU is visible (see docs/cuda.md); skipped elsewhere.
TEST_P(FusedAgainstTorch, CudaAgreesWithTheCpuEngines) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device visible to LibTorch";
  const auto [arch, mode] = GetParam();
  const Bundle b = RandomBundle(arch, mode, 7, 4);
  std::vector<float> features, adjacency;
  const int64_t cells = 70000;  // more than one CUDA chunk of 65,536 cells
  RandomInputs(b, cells, features, adjacency);
  const bool per_cell = mode == GraphMode::Window;
  std::vector<float> cuda(cells), fused(cells);
  MakeScorer(b, {"torch", "cuda", 1})->Score(features.data(), adjacency.data(), per_cell, cells, cuda.data());
  MakeFusedScorer(b, 2)->Score(features.data(), adjacency.data(), per_cell, cells, fused.data());
  double worst = 0;
  for (int64_t i = 0; i < cells; ++i) worst = std::max(worst, double(std::abs(cuda[i] - fused[i])));
  EXPECT_LT(worst, 1e-5) << arch;
}

INSTANTIATE_TEST_SUITE_P(EveryArchitectureAndGraphMode, FusedAgainstTorch,
                         ::testing::Combine(::testing::Values("resgcn", "resgat"),
                                            ::testing::Values(GraphMode::Global, GraphMode::Window)),
                         [](const auto& info) {
                           return std::get<0>(info.param) + "_" + ToString(std::get<1>(info.param));
                         });

TEST(Bundle, RoundTripsEverythingThatDefinesTheModel) {
  const auto dir = test::ScratchDir("bundle_roundtrip");
  Bundle b = RandomBundle("resgat", GraphMode::Global, 5, 3);
  b.training = {{"note", "unit test"}};
  SaveBundle(b, dir + "/model", false);
  const Bundle loaded = LoadBundle(dir + "/model");
  EXPECT_EQ(loaded.elements, b.elements);
  EXPECT_EQ(loaded.model.arch, "resgat");
  EXPECT_EQ(loaded.adjacency, b.adjacency);
  EXPECT_EQ(loaded.class_breaks, b.class_breaks);
  EXPECT_EQ(loaded.hash, b.hash);
  ASSERT_EQ(loaded.weights.size(), b.weights.size());
  for (size_t i = 0; i < b.weights.size(); ++i) EXPECT_EQ(loaded.weights[i].values, b.weights[i].values);
  EXPECT_THROW(SaveBundle(b, dir + "/model", false), Error);  // exists, no overwrite
  EXPECT_NO_THROW(SaveBundle(b, dir + "/model", true));
  // --overwrite never deletes a folder of other files, nor a file.
  fs::create_directories(dir + "/survey");
  std::ofstream(dir + "/survey/notes.txt") << "field notes";
  EXPECT_THROW(SaveBundle(b, dir + "/survey", true), Error);
  EXPECT_TRUE(fs::exists(dir + "/survey/notes.txt"));
  std::ofstream(dir + "/file.txt") << "x";
  EXPECT_THROW(SaveBundle(b, dir + "/file.txt", true), Error);
  fs::create_directories(dir + "/empty");
  EXPECT_NO_THROW(SaveBundle(b, dir + "/empty", true));
}

TEST(RemoveTree, RemovesNestedFoldersButNotWhatLinksPointTo) {
  const auto dir = test::ScratchDir("remove_tree");
  fs::create_directories(dir + "/tree/a/b");
  fs::create_directories(dir + "/kept");
  std::ofstream(dir + "/tree/a/b/x.bin") << "x";
  std::ofstream(dir + "/kept/y.txt") << "y";
  fs::create_directory_symlink(dir + "/kept", dir + "/tree/link");
  EXPECT_TRUE(RemoveTree(dir + "/tree"));
  EXPECT_FALSE(fs::exists(dir + "/tree"));
  EXPECT_TRUE(fs::exists(dir + "/kept/y.txt"));
  EXPECT_TRUE(RemoveTree(dir + "/never-was"));
}

std::string LoadError(const std::string& path) {
  try {
    LoadBundle(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Bundle, CorruptOrTruncatedBundlesGiveClearErrors) {
  const auto dir = test::ScratchDir("bundle_corrupt");
  Bundle b = RandomBundle("resgcn", GraphMode::Global, 4, 4);
  SaveBundle(b, dir + "/m", false);
  const auto weights = fs::path(dir) / "m/weights.bin";
  fs::resize_file(weights, fs::file_size(weights) - 10);
  EXPECT_NE(LoadError(dir + "/m").find("truncated"), std::string::npos);
  SaveBundle(b, dir + "/m", true);
  {
    std::fstream f(weights, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    f.put('\x7f');
  }
  EXPECT_NE(LoadError(dir + "/m").find("SHA-256"), std::string::npos);
  SaveBundle(b, dir + "/m", true);
  const auto manifest = fs::path(dir) / "m/manifest.json";
  fs::resize_file(manifest, fs::file_size(manifest) / 2);
  EXPECT_NE(LoadError(dir + "/m").find("corrupt or incomplete"), std::string::npos);
  EXPECT_NE(LoadError(dir + "/nothing").find("is not a model bundle"), std::string::npos);
}

// MakeScorer gives the LibTorch engine from the plugin (these tests link LibTorch themselves, so a
// scorer built in this binary would pass the agreement tests too): its virtual table lives there.
TEST(Scorer, TheTorchEngineComesFromThePlugin) {
  const Bundle b = RandomBundle("resgcn", GraphMode::Global, 4, 6);
  const auto torch_scorer = MakeScorer(b, {"torch", "cpu", 1});
  EXPECT_EQ(torch_scorer->name(), "libtorch-cpu");
  Dl_info where{};
  ASSERT_NE(dladdr(*reinterpret_cast<void* const*>(torch_scorer.get()), &where), 0);
  EXPECT_NE(std::string(where.dli_fname).find(kTorchPluginFile), std::string::npos) << where.dli_fname;
  const auto fused = MakeScorer(b, {"auto", "cpu", 1});
  ASSERT_NE(dladdr(*reinterpret_cast<void* const*>(fused.get()), &where), 0);
  EXPECT_EQ(std::string(where.dli_fname).find(kTorchPluginFile), std::string::npos) << where.dli_fname;
}

TEST(Scorer, RejectsUnavailableDevicesBeforeWork) {
  const Bundle b = RandomBundle("resgcn", GraphMode::Global, 4, 5);
  EXPECT_THROW(MakeScorer(b, {"auto", "tpu", 1}), UsageError);
  EXPECT_THROW(MakeScorer(b, {"fused", "cuda", 1}), UsageError);
  EXPECT_THROW(MakeScorer(b, {"onnx", "cpu", 1}), UsageError);
  if (!torch::cuda::is_available()) {
    EXPECT_THROW(MakeScorer(b, {"torch", "cuda", 1}), Error);
  }
}

}  // namespace
}  // namespace geoprosp
