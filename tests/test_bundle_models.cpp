#include <dlfcn.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <optional>
#include <random>

#include "geoprosp/core/error.hpp"
#include "geoprosp/core/sha256.hpp"
#include "geoprosp/features/element_graph.hpp"
#include "geoprosp/models/bundle.hpp"
#include "geoprosp/models/scorer.hpp"
#include "geoprosp/models/torch_plugin.hpp"
#include "geoprosp/training/torch_model.hpp"
#include "test_support.hpp"

namespace geoprosp {
namespace {

namespace fs = std::filesystem;

// `context` windows (none, or one or two sizes) give the model 1 + 2 x scales node features.
Bundle RandomBundle(const std::string& arch, GraphMode mode, int n, uint64_t seed, int hidden = 16, int layers = 2,
                    const std::vector<int>& context = {}) {
  torch::manual_seed(seed);
  Bundle b;
  for (int e = 0; e < n; ++e) b.elements.push_back("E" + std::to_string(e));
  b.composition.zero_replacement.assign(n, 0.5);
  b.composition.mean.assign(n, 0.0);
  b.composition.sd.assign(n, 1.0);
  b.graph.mode = mode;
  b.model.arch = arch;
  b.model.hidden = hidden;
  b.model.layers = layers;
  b.model.heads = 4;
  b.context.windows = context;
  b.model.node_features = b.context.node_features();
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
  features.resize(size_t(cells) * b.model.node_features * n);
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

// Without spatial context (one value per node) and with one or two scales of it (3 and 5 values).
TEST_P(FusedAgainstTorch, AgreeTo1e5OnRandomModels) {
  const auto [arch, mode] = GetParam();
  const std::vector<int> contexts[] = {{}, {3}, {3, 7}};
  for (uint64_t seed : {1u, 2u, 3u}) {
    const Bundle b = RandomBundle(arch, mode, 7, seed, 16, 2, contexts[seed - 1]);
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
    EXPECT_LT(worst, 1e-5) << arch << " seed " << seed << ", " << b.model.node_features << " node features";
    EXPECT_GT(spread, 1e-3) << "random model gives constant output; the comparison would be empty";
  }
}

// Tiles mosaic byte for byte only if a cell's score depends on nothing but its own inputs: not on
// its chunk, its lane or how many cells the call holds. Checked for every kernel this CPU runs.
TEST_P(FusedAgainstTorch, FusedScoresDoNotDependOnACellsPositionInTheCall) {
  const auto [arch, mode] = GetParam();
  const Bundle b = RandomBundle(arch, mode, 7, 3);
  const bool per_cell = mode == GraphMode::Window;
  const int n = 7;
  std::vector<float> features, adjacency;
  const int64_t cells = 300;
  RandomInputs(b, cells, features, adjacency);
  for (FusedKernel kernel : SupportedFusedKernels()) {
    const auto scorer = MakeFusedScorer(b, 2, kernel);
    std::vector<float> whole(cells);
    scorer->Score(features.data(), adjacency.data(), per_cell, cells, whole.data());
    for (int64_t shift : {1, 5, 17, 33}) {
      const int64_t count = cells - shift;
      std::vector<float> shifted(count);
      scorer->Score(features.data() + shift * n, adjacency.data() + (per_cell ? shift * n * n : 0), per_cell, count,
                    shifted.data());
      for (int64_t i = 0; i < count; ++i) {
        ASSERT_EQ(std::memcmp(&shifted[i], &whole[shift + i], sizeof(float)), 0)
            << arch << ", " << scorer->name() << ": cell " << shift + i << " scored " << shifted[i] << " at offset "
            << i << " but " << whole[shift + i] << " at offset " << shift + i;
      }
    }
    float alone = 0;
    scorer->Score(features.data() + 200 * n, adjacency.data() + (per_cell ? 200 * n * n : 0), per_cell, 1, &alone);
    EXPECT_EQ(std::memcmp(&alone, &whole[200], sizeof(float)), 0)
        << arch << ", " << scorer->name() << ": a cell scored alone differs";
  }
}

// Every kernel gives the bytes of the scalar one (std::fma per lane), so that tiles mapped on AVX2
// and AVX-512 nodes mosaic exactly. Odd cell counts leave a partial chunk in every width; a small
// model and the default one (16 elements, hidden 64, 3 layers); every fifth cell far out, so that
// the exponentials of ELU, softmax and the sigmoid meet both ends of their clamp.
class FusedKernels : public ::testing::TestWithParam<std::tuple<std::string, GraphMode, FusedKernel>> {};

TEST_P(FusedKernels, GiveTheBytesOfTheScalarKernel) {
  const auto [arch, mode, kernel] = GetParam();
  const auto supported = SupportedFusedKernels();
  if (std::find(supported.begin(), supported.end(), kernel) == supported.end())
    GTEST_SKIP() << "this CPU cannot run the " << ToString(kernel) << " kernel, so it is not compared";
  const bool per_cell = mode == GraphMode::Window;
  // elements, hidden, layers, spatial context windows
  const std::tuple<int, int, int, std::vector<int>> shapes[] = {{7, 16, 2, {}}, {16, 64, 3, {}}, {7, 16, 2, {3, 5}}};
  for (const auto& [n, hidden, layers, context] : shapes) {
    const Bundle b = RandomBundle(arch, mode, n, 11, hidden, layers, context);
    const int row = b.model.node_features * n;
    const auto reference = MakeFusedScorer(b, 2, FusedKernel::Scalar);
    const auto scorer = MakeFusedScorer(b, 2, kernel);
    ASSERT_EQ(scorer->name(), "fused-cpu/" + ToString(kernel));
    for (int64_t cells : {1, 3, 17, 45, 333}) {
      std::vector<float> features, adjacency;
      RandomInputs(b, cells, features, adjacency);
      for (int64_t c = 0; c < cells; c += 5) {
        for (int i = 0; i < row; ++i) features[c * row + i] *= 40;
      }
      std::vector<float> expected(cells), got(cells);
      reference->Score(features.data(), adjacency.data(), per_cell, cells, expected.data());
      scorer->Score(features.data(), adjacency.data(), per_cell, cells, got.data());
      for (int64_t i = 0; i < cells; ++i) {
        ASSERT_EQ(std::memcmp(&got[i], &expected[i], sizeof(float)), 0)
            << arch << " " << n << "x" << hidden << ", " << cells << " cells: cell " << i << " scored " << got[i]
            << " by " << ToString(kernel) << " but " << expected[i] << " by scalar";
      }
      if (cells == 333) {
        const auto [low, high] = std::minmax_element(expected.begin(), expected.end());
        EXPECT_GT(*high - *low, 1e-3) << "constant output: the comparison would be empty";
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(EveryArchitectureGraphModeAndKernel, FusedKernels,
                         ::testing::Combine(::testing::Values("resgcn", "resgat"),
                                            ::testing::Values(GraphMode::Global, GraphMode::Window),
                                            ::testing::Values(FusedKernel::Avx2, FusedKernel::Avx512)),
                         [](const auto& info) {
                           return std::get<0>(info.param) + "_" + ToString(std::get<1>(info.param)) + "_" +
                                  ToString(std::get<2>(info.param));
                         });

// Sets GEOPROSP_KERNEL for one scope (unset with nullptr), then puts back what was there.
class ScopedKernelVariable {
 public:
  explicit ScopedKernelVariable(const char* value) {
    if (const char* old = std::getenv("GEOPROSP_KERNEL")) previous_ = old;
    Set(value);
  }
  ~ScopedKernelVariable() { Set(previous_ ? previous_->c_str() : nullptr); }
  static void Set(const char* value) {
    if (value) {
      setenv("GEOPROSP_KERNEL", value, 1);
    } else {
      unsetenv("GEOPROSP_KERNEL");
    }
  }

 private:
  std::optional<std::string> previous_;
};

std::string KernelChoiceError() {
  try {
    ChosenFusedKernel();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(FusedKernelChoice, FastestByDefaultOrAsGeoprospKernelSays) {
  const auto supported = SupportedFusedKernels();
  ASSERT_FALSE(supported.empty());
  EXPECT_EQ(supported.front(), FusedKernel::Scalar);
  const Bundle b = RandomBundle("resgcn", GraphMode::Global, 4, 5);
  {
    const ScopedKernelVariable unset(nullptr);
    EXPECT_EQ(ChosenFusedKernel(), supported.back());
    EXPECT_EQ(MakeFusedScorer(b, 1)->name(), "fused-cpu/" + ToString(supported.back()));
    EXPECT_EQ(MakeScorer(b, {"auto", "cpu", 1})->name(), "fused-cpu/" + ToString(supported.back()));
  }
  for (FusedKernel kernel : supported) {
    const ScopedKernelVariable forced(ToString(kernel).c_str());
    EXPECT_EQ(MakeFusedScorer(b, 1)->name(), "fused-cpu/" + ToString(kernel));
  }
  for (FusedKernel kernel : {FusedKernel::Avx2, FusedKernel::Avx512}) {
    if (std::find(supported.begin(), supported.end(), kernel) != supported.end()) continue;
    const ScopedKernelVariable forced(ToString(kernel).c_str());
    EXPECT_NE(KernelChoiceError().find("GEOPROSP_KERNEL"), std::string::npos) << ToString(kernel);
    EXPECT_THROW(MakeFusedScorer(b, 1, kernel), Error);
  }
  const ScopedKernelVariable unknown("sse9");
  EXPECT_NE(KernelChoiceError().find("GEOPROSP_KERNEL: expects auto|scalar|avx2|avx512, got 'sse9'"), std::string::npos)
      << KernelChoiceError();
  EXPECT_THROW(MakeScorer(b, {"auto", "cpu", 1}), Error);
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
  EXPECT_TRUE(loaded.context.windows.empty());
  EXPECT_EQ(loaded.model.node_features, 1);
  Bundle with_context = RandomBundle("resgcn", GraphMode::Global, 5, 3, 16, 2, {3, 7});
  SaveBundle(with_context, dir + "/context", false);
  const Bundle context_loaded = LoadBundle(dir + "/context");
  EXPECT_EQ(context_loaded.context.windows, std::vector<int>({3, 7}));
  EXPECT_EQ(context_loaded.model.node_features, 5);
  EXPECT_EQ(context_loaded.Weight("input.weight").shape, std::vector<int64_t>({16, 10}));
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

// SHA256SUMS for the bundle's files as they are now.
void RewriteChecksums(const std::string& dir) {
  std::string sums;
  for (const char* file : {"manifest.json", "weights.bin"}) {
    std::ifstream in(dir + "/" + file, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    sums += Sha256Hex(bytes.data(), bytes.size()) + "  " + file + "\n";
  }
  std::ofstream(dir + "/SHA256SUMS") << sums;
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
  EXPECT_NE(LoadError(dir + "/m").find("weights.bin: does not match its checksum in SHA256SUMS"), std::string::npos);
  RewriteChecksums(dir + "/m");  // and without SHA256SUMS's help, the manifest's own hash of the weights
  EXPECT_NE(LoadError(dir + "/m").find("SHA-256"), std::string::npos);
  SaveBundle(b, dir + "/m", true);
  const auto manifest = fs::path(dir) / "m/manifest.json";
  fs::resize_file(manifest, fs::file_size(manifest) / 2);
  EXPECT_NE(LoadError(dir + "/m").find("manifest.json: does not match its checksum"), std::string::npos);
  RewriteChecksums(dir + "/m");
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

// Edits manifest.json as JSON and rewrites SHA256SUMS to match: a bundle whose checksums hold but
// whose content does not.
void EditManifest(const std::string& dir, const std::function<void(nlohmann::json&)>& edit) {
  std::ifstream in(dir + "/manifest.json");
  nlohmann::json j = nlohmann::json::parse(in);
  in.close();
  edit(j);
  std::ofstream(dir + "/manifest.json") << j.dump(1);
  RewriteChecksums(dir);
}

// `bundle` saved at `folder` with its manifest edited (checksums rewritten) fails to load with an
// error naming manifest.json, holding `wanted`, and never blaming an option.
void ExpectManifestError(Bundle bundle, const std::string& folder, const std::function<void(nlohmann::json&)>& edit,
                         const std::string& wanted) {
  SaveBundle(bundle, folder, true);
  EditManifest(folder, edit);
  const std::string message = LoadError(folder);
  EXPECT_NE(message.find(wanted), std::string::npos) << message;
  EXPECT_NE(message.find("manifest.json"), std::string::npos) << message;
  EXPECT_EQ(message.find("--"), std::string::npos) << message;
}

TEST(Bundle, TheChecksumCoversTheManifest) {
  const auto dir = test::ScratchDir("bundle_checksum");
  Bundle b = RandomBundle("resgcn", GraphMode::Global, 4, 4);
  SaveBundle(b, dir + "/m", false);
  {
    std::ifstream in(dir + "/m/manifest.json");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    text.replace(text.find("\"hidden\": 16"), 12, "\"hidden\": 32");
    std::ofstream(dir + "/m/manifest.json") << text;
  }
  const std::string message = LoadError(dir + "/m");
  EXPECT_NE(message.find("manifest.json: does not match its checksum in SHA256SUMS"), std::string::npos) << message;
  fs::remove(dir + "/m/SHA256SUMS");
  EXPECT_NE(LoadError(dir + "/m").find("SHA256SUMS: is missing"), std::string::npos);
}

TEST(Bundle, FormatOneBundlesWithoutChecksumsStillLoad) {
  const auto dir = test::ScratchDir("bundle_v1");
  Bundle b = RandomBundle("resgcn", GraphMode::Global, 4, 4);
  SaveBundle(b, dir + "/m", false);
  EditManifest(dir + "/m", [](nlohmann::json& j) { j["format_version"] = 1; });
  fs::remove(dir + "/m/SHA256SUMS");
  EXPECT_EQ(LoadError(dir + "/m"), "");
}

TEST(Bundle, EveryTensorIsCheckedAgainstTheManifestBeforeScoring) {
  const auto dir = test::ScratchDir("bundle_shapes");
  const Bundle b = RandomBundle("resgat", GraphMode::Global, 4, 4);
  Bundle saved = b;
  SaveBundle(saved, dir + "/m", false);
  const auto expect = [&](const std::function<void(nlohmann::json&)>& edit, const std::string& wanted) {
    ExpectManifestError(saved, dir + "/m", edit, wanted);
  };
  // The cases: a larger hidden size (a segfault before), hidden-16 weights under hidden 32,
  // and weights of 4 elements under a 5-element manifest.
  expect([](nlohmann::json& j) { j["architecture"]["hidden"] = 4096; },
         "gives tensor input.weight the shape [16,5]; the architecture (resgat with hidden 4096");
  expect([](nlohmann::json& j) { j["architecture"]["hidden"] = 32; }, "needs [32,5]");
  expect(
      [](nlohmann::json& j) {
        j["elements"].push_back("E4");
        for (const char* key : {"zero_replacement", "mean", "sd"}) j["transform"][key].push_back(1.0);
        for (const char* key : {"correlation", "adjacency"}) {
          for (auto& row : j["graph"][key]) row.push_back(0.0);
          j["graph"][key].push_back(std::vector<double>(5, 0.0));
          j["graph"][key][4][4] = 1.0;
        }
      },
      "needs [16,6]");
  expect([](nlohmann::json& j) { j["architecture"]["layers"] = 3; }, "lists no tensor layer2.weight");
  expect([](nlohmann::json& j) { j["architecture"]["layers"] = 1; }, "lists tensor layer1");
  expect([](nlohmann::json& j) { j["architecture"]["arch"] = "resgcn"; }, "lists no tensor layer0.bias");
  expect([](nlohmann::json& j) { j["architecture"]["members"] = 2; }, "lists no tensor member0.input.weight");
  expect([](nlohmann::json& j) { j["architecture"]["heads"] = 3; }, "architecture.heads must divide");
  expect([](nlohmann::json& j) { j["class_breaks"]["low"] = 0.9; }, "declares class breaks 0.9, 0.5, 0.8");
  expect([](nlohmann::json& j) { j["transform"]["sd"][0] = 0.0; }, "standard deviation <= 0");
  // Spatial context: its windows must be valid and give the architecture's node features.
  expect([](nlohmann::json& j) { j["context"]["windows"] = {3}; },
         "the architecture reads 1 values per node, its spatial context gives 3");
  expect([](nlohmann::json& j) { j["architecture"]["node_features"] = 3; },
         "the architecture reads 3 values per node, its spatial context gives 1");
  expect([](nlohmann::json& j) { j["context"]["windows"] = {4}; }, "window sizes must be odd");
  expect(
      [](nlohmann::json& j) {
        j["context"]["windows"] = {3};
        j["architecture"]["node_features"] = 3;
      },
      "gives tensor input.weight the shape [16,5]; the architecture (resgat with hidden 16, 2 layers, 4 heads, 4 "
      "elements and 1 member) needs [16,7]");
  SaveBundle(saved, dir + "/m", true);
  EXPECT_EQ(LoadError(dir + "/m"), "");
}

// The applicability statistics travel with the bundle exactly, and are checked like everything else.
TEST(Bundle, ApplicabilityRoundTripsExactlyAndIsChecked) {
  const auto dir = test::ScratchDir("bundle_applicability");
  Bundle b = RandomBundle("resgcn", GraphMode::Global, 4, 4);
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0, 1);
  std::vector<float> cells(300 * 4);
  for (auto& v : cells) v = normal(rng);
  b.applicability = FitApplicability(cells.data(), std::vector<uint8_t>(300, 1), 4);
  Bundle saved = b;
  SaveBundle(saved, dir + "/m", false);
  const Bundle loaded = LoadBundle(dir + "/m");
  EXPECT_EQ(loaded.applicability.mean, b.applicability.mean);
  EXPECT_EQ(loaded.applicability.precision, b.applicability.precision);
  EXPECT_EQ(loaded.applicability.threshold, b.applicability.threshold);
  EXPECT_EQ(loaded.applicability.ridge, b.applicability.ridge);
  EXPECT_EQ(loaded.applicability.cells, 300);
  EXPECT_EQ(loaded.applicability.Distance(cells.data()), b.applicability.Distance(cells.data()));
  const auto expect = [&](const std::function<void(nlohmann::json&)>& edit, const std::string& wanted) {
    ExpectManifestError(saved, dir + "/m", edit, wanted);
  };
  expect([](nlohmann::json& j) { j["applicability"]["mean"].push_back(0.0); }, "do not match the 4 elements");
  expect([](nlohmann::json& j) { j["applicability"]["precision"].erase(3); }, "do not match the 4 elements");
  expect([](nlohmann::json& j) { j["applicability"]["precision"][0][1] = 5.0; }, "not symmetric");
  expect([](nlohmann::json& j) { j["applicability"]["threshold"] = -1.0; }, "threshold -1 is not positive");
  expect([](nlohmann::json& j) { j["applicability"]["mean"][0] = nullptr; }, "corrupt or incomplete");
  expect([](nlohmann::json& j) { j["applicability"]["method"] = "knn"; }, "applicability method \"knn\"");
  // A bundle made before applicability existed loads, without it.
  SaveBundle(saved, dir + "/m", true);
  EditManifest(dir + "/m", [](nlohmann::json& j) { j.erase("applicability"); });
  EXPECT_EQ(LoadError(dir + "/m"), "");
  EXPECT_FALSE(LoadBundle(dir + "/m").applicability.present());
}

TEST(Bundle, NonFiniteWeightsAreRefusedAtLoad) {
  const auto dir = test::ScratchDir("bundle_nan");
  Bundle b = RandomBundle("resgcn", GraphMode::Global, 4, 4);
  b.weights[3].values[1] = std::nanf("");
  SaveBundle(b, dir + "/m", false);
  const std::string message = LoadError(dir + "/m");
  EXPECT_NE(message.find("weights.bin: holds NaN or infinite values in tensor " + b.weights[3].name), std::string::npos)
      << message;
}

TEST(Scorer, ANonFiniteProbabilityIsAnErrorNamingTheModel) {
  Bundle b = RandomBundle("resgcn", GraphMode::Global, 4, 4);
  // Finite weights whose products overflow: hidden units of +inf, mixed with opposite signs, give NaN.
  for (auto& t : b.weights) {
    if (t.name == "head_hidden.weight" || t.name == "head_hidden.bias")
      std::fill(t.values.begin(), t.values.end(), 3e38f);
    if (t.name == "head_out.weight") {
      for (size_t i = 0; i < t.values.size(); ++i) t.values[i] = i % 2 ? 1.0f : -1.0f;
    }
  }
  std::vector<float> features, adjacency;
  RandomInputs(b, 64, features, adjacency);
  std::vector<float> probability(64);
  MakeFusedScorer(b, 1)->Score(features.data(), adjacency.data(), false, 64, probability.data());
  try {
    RequireFiniteProbabilities(probability.data(), 64, "the model (m)");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.subject(), "the model (m)");
    EXPECT_NE(e.problem().find("NaN or infinite probabilities"), std::string::npos);
  }
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
