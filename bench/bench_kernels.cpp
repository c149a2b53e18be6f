// Micro-benchmarks of geoprosp-map's stages, in cells per second (items_per_second): the
// compositional transform, the global and window graphs, the fused and LibTorch forward passes, and
// sgemm for the compute floor. `--bundle=DIR` adds the fused forward of that bundle, with its model
// FLOPs per cell. Random inputs, fixed seeds.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>

#include "geoprosp/bundle.hpp"
#include "geoprosp/composition.hpp"
#include "geoprosp/element_graph.hpp"
#include "geoprosp/models/scorer.hpp"
#include "geoprosp/raster_stack.hpp"
#include "models/torch_model.hpp"

namespace geoprosp {
namespace {

constexpr int kElements = 16;
constexpr int kStripWidth = 1024;       // cells per row of the strips below
constexpr int64_t kStripCells = 65536;  // geoprosp-map's default --batch-size

std::vector<float> RandomNormal(size_t count, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0, 1);
  std::vector<float> out(count);
  for (auto& v : out) v = normal(rng);
  return out;
}

// The default architecture (ResGCN or ResGAT, hidden 64, 3 layers, 4 heads) with random weights. With
// alpha 0.7 on random r, about 30 % of the pairs are edges, as in a model trained on sample_data with
// --alpha 0.3.
Bundle RandomBundle(const std::string& arch, GraphMode mode) {
  torch::manual_seed(1);
  Bundle b;
  for (int e = 0; e < kElements; ++e) b.elements.push_back("E" + std::to_string(e));
  b.composition.zero_replacement.assign(kElements, 0.5);
  b.composition.mean.assign(kElements, 0.0);
  b.composition.sd.assign(kElements, 1.0);
  b.graph.mode = mode;
  b.model.arch = arch;
  std::mt19937 rng(1);
  std::uniform_real_distribution<double> r(-1, 1);
  b.correlation.assign(kElements * kElements, 0.0);
  for (int i = 0; i < kElements; ++i) {
    for (int j = 0; j <= i; ++j)
      b.correlation[i * kElements + j] = b.correlation[j * kElements + i] = i == j ? 1 : r(rng);
  }
  b.adjacency = NormalisedAdjacency(b.correlation, kElements, 0.7, EdgeWeight::Binary);
  ResGnn model(b.model, kElements);
  b.weights = ExportWeights(model);
  return b;
}

// A strip of standardised features with a halo of `half` cells, and the per-cell Â of its inner
// cells as window mode builds them.
struct Strip {
  int width = 0, height = 0;
  std::vector<float> features;
  std::vector<uint8_t> valid;
};

Strip RandomStrip(int n_elements, int rows, int half) {
  Strip s;
  s.width = kStripWidth + 2 * half;
  s.height = rows + 2 * half;
  s.features = RandomNormal(size_t(s.width) * s.height * n_elements, 2);
  s.valid.assign(size_t(s.width) * s.height, 1);
  return s;
}

std::vector<float> WindowAdjacencies(const Strip& s, int n_elements, int64_t cells, const GraphSpec& graph) {
  std::vector<float> out(size_t(cells) * n_elements * n_elements);
  const int half = graph.window / 2;
#pragma omp parallel for
  for (int64_t i = 0; i < cells; ++i) {
    WindowAdjacency(s.features.data(), s.valid.data(), s.width, s.height, n_elements, int(i % kStripWidth) + half,
                    int(i / kStripWidth) + half, graph, out.data() + i * n_elements * n_elements);
  }
  return out;
}

// Multiply-adds x 2 per cell of the forward pass; exp and the softmax are not counted.
double ForwardFlops(const Bundle& b, int edges) {
  const double e = b.elements.size(), h = b.model.hidden;
  const double layer = 2 * e * h * h + 2 * edges * h + (b.model.arch == "resgat" ? 4 * e * h : 0);
  return 2 * e * h + b.model.layers * layer + 2 * 2 * h * h + 2 * 2 * h;
}

void TransformStrip(benchmark::State& state) {
  StackWindow window;
  window.width = kStripWidth;
  window.height = kStripCells / kStripWidth;
  window.n_elements = kElements;
  window.values = RandomNormal(window.cells() * kElements, 3);
  for (auto& v : window.values) v = std::exp(v);  // log-normal concentrations
  window.valid.assign(window.cells(), 1);
  const Bundle b = RandomBundle("resgcn", GraphMode::Global);
  std::vector<float> features;
  ReplacementCounts counts;
  for (auto _ : state) TransformWindow(b.composition, window, features, counts);
  state.SetItemsProcessed(state.iterations() * kStripCells);
}

void GlobalGraph(benchmark::State& state) {
  const auto cells = RandomNormal(kStripCells * kElements, 4);
  std::vector<float> adjacency(kElements * kElements);
  for (auto _ : state) {
    const auto r = Correlation(cells.data(), kStripCells, kElements, {});
    NormalisedAdjacency(r.data(), kElements, 0.6, EdgeWeight::Binary, adjacency.data());
  }
  state.SetItemsProcessed(state.iterations() * kStripCells);
}

void WindowGraph(benchmark::State& state) {
  GraphSpec graph;
  graph.mode = GraphMode::Window;
  graph.window = static_cast<int>(state.range(0));
  const int half = graph.window / 2;
  const Strip s = RandomStrip(kElements, 16, half);
  const int64_t cells = 16 * kStripWidth;
  std::vector<float> adjacency(kElements * kElements);
  for (auto _ : state) {
    for (int64_t i = 0; i < cells; ++i) {
      WindowAdjacency(s.features.data(), s.valid.data(), s.width, s.height, kElements, int(i % kStripWidth) + half,
                      int(i / kStripWidth) + half, graph, adjacency.data());
    }
    benchmark::DoNotOptimize(adjacency.data());
  }
  state.SetItemsProcessed(state.iterations() * cells);
}

// Scores `cells` cells with `scorer`: a global bundle's shared Â, or per-cell Â of a random strip.
void Forward(benchmark::State& state, const Bundle& b, Scorer& scorer, int64_t cells) {
  const int n = static_cast<int>(b.elements.size());
  const bool per_cell = b.graph.mode == GraphMode::Window;
  const auto features = RandomNormal(size_t(cells) * n, 5);
  std::vector<float> adjacency = b.adjacency;
  if (per_cell) {
    const Strip s = RandomStrip(n, int((cells + kStripWidth - 1) / kStripWidth), b.graph.halo());
    adjacency = WindowAdjacencies(s, n, cells, b.graph);
  }
  int edges = n * n;
  if (!per_cell)
    edges = static_cast<int>(std::count_if(adjacency.begin(), adjacency.end(), [](float a) { return a != 0; }));
  std::vector<float> probability(cells);
  for (auto _ : state) scorer.Score(features.data(), adjacency.data(), per_cell, cells, probability.data());
  state.SetItemsProcessed(state.iterations() * cells);
  state.counters["flop_per_cell"] = ForwardFlops(b, edges);
  state.counters["edges"] = edges;
}

void Sgemm(benchmark::State& state) {
  at::set_num_threads(static_cast<int>(state.range(0)));
  const int64_t n = 1024;
  auto a = torch::randn({n, n}), b = torch::randn({n, n}), c = torch::empty({n, n});
  for (auto _ : state) torch::mm_out(c, a, b);
  state.counters["flop_per_second"] =
      benchmark::Counter(2.0 * n * n * n * state.iterations(), benchmark::Counter::kIsRate);
}

void RegisterForward(const std::string& name, const Bundle& bundle, const std::string& engine, int threads,
                     int64_t cells) {
  benchmark::RegisterBenchmark((name + "/threads:" + std::to_string(threads)).c_str(),
                               [bundle, engine, threads, cells](benchmark::State& state) {
                                 auto scorer = MakeScorer(bundle, {engine, "cpu", threads});
                                 if (engine == "torch") at::set_num_threads(threads);
                                 Forward(state, bundle, *scorer, cells);
                               })
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
}

}  // namespace
}  // namespace geoprosp

int main(int argc, char** argv) {
  using namespace geoprosp;
  std::string bundle_path;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--bundle=", 0) == 0) {
      bundle_path = arg.substr(9);
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  benchmark::RegisterBenchmark("TransformStrip", TransformStrip)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("GlobalGraph", GlobalGraph)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("WindowGraph", WindowGraph)->Arg(5)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("Sgemm1024", Sgemm)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
  for (const std::string arch : {"resgcn", "resgat"}) {
    for (GraphMode mode : {GraphMode::Global, GraphMode::Window}) {
      const Bundle b = RandomBundle(arch, mode);
      for (int threads : {1, 2}) {
        RegisterForward("Fused/" + arch + "/" + ToString(mode), b, "fused", threads, kStripCells);
        RegisterForward("Torch/" + arch + "/" + ToString(mode), b, "torch", threads, 8192);
      }
    }
  }
  if (!bundle_path.empty()) {
    const Bundle b = LoadBundle(bundle_path);
    for (int threads : {1, 2}) RegisterForward("FusedBundle", b, "fused", threads, kStripCells);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
