// Micro-benchmarks of geoprosp-map's stages, in cells per second (items_per_second): the
// compositional transform, the global and window graphs, the fused and LibTorch forward passes (and
// FusedKernel/...: each fused kernel the CPU runs, forced), sgemm for the compute floor; and training throughput
// (Train/...: epochs of TrainResGnn, fused or LibTorch, cells per second). Random inputs, fixed seeds. `--bundle=DIR`
// adds the fused forward of that bundle, with its FLOPs per cell; `--bundle=DIR --stack=FILE ...` (one per element
// raster) adds MapStages: geoprosp-map's loop on that stack, timed stage by stage.
#include <benchmark/benchmark.h>
#include <gdal.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <map>
#include <random>
#include <string>

#include "geoprosp/features/composition.hpp"
#include "geoprosp/features/element_graph.hpp"
#include "geoprosp/io/raster_output.hpp"
#include "geoprosp/io/raster_stack.hpp"
#include "geoprosp/models/bundle.hpp"
#include "geoprosp/models/scorer.hpp"
#include "geoprosp/training/torch_model.hpp"
#include "geoprosp/training/trainer.hpp"

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

// A strip of random standardised features with a halo of `half` cells.
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

// The per-cell Â of the strip's inner cells, as window mode builds them.
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

// Multiply-adds x 2 per cell of the forward pass (exp and the softmax are not counted): as written
// (`model`), and as the fused path computes it (`fused`: layer 0 as lookups, GAT attention vectors
// folded into the layer weights as 2 x heads extra columns).
struct Flops {
  double model, fused;
};
Flops ForwardFlops(const Bundle& b, int edges) {
  const double e = b.elements.size(), h = b.model.hidden, layers = b.model.layers, heads = b.model.heads;
  const double outside = 2 * e * h + 2 * 2 * h * h + 2 * 2 * h;  // input layer, head
  const double mix = 2 * edges * h;
  if (b.model.arch == "resgat") {
    const double width = h + 2 * heads;
    return {outside + layers * (2 * e * h * h + 4 * e * h + mix),
            outside + (layers > 0 ? 2 * e * width + mix + (layers - 1) * (2 * e * h * width + mix) : 0)};
  }
  return {outside + layers * (2 * e * h * h + mix),
          outside + (layers > 0 ? mix + 2 * edges + 2 * e * h + (layers - 1) * (2 * e * h * h + mix) : 0)};
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
  const Flops flops = ForwardFlops(b, edges);
  state.counters["model_flop_per_cell"] = flops.model;
  state.counters["fused_flop_per_cell"] = flops.fused;
  state.counters["edges"] = edges;
}

// OpenBLAS's threads: OPENBLAS_NUM_THREADS.
void Sgemm(benchmark::State& state) {
  const int64_t n = 1024;
  auto a = torch::randn({n, n}), b = torch::randn({n, n}), c = torch::empty({n, n});
  for (auto _ : state) torch::mm_out(c, a, b);
  state.counters["flop_per_second"] =
      benchmark::Counter(2.0 * n * n * n * state.iterations(), benchmark::Counter::kIsRate);
}

// geoprosp-map's loop (src/map_tool.cpp, RunMap) with clocks per stage, on a real stack: where the
// time of a whole run goes. Counters per stage and run: wall seconds (STAGE_s) and CPU seconds of the
// process (STAGE_cpu), which a busy machine inflates less.
void MapStages(benchmark::State& state, const std::vector<std::string>& inputs, const Bundle& b, int threads) {
  StackSources sources;
  sources.paths = inputs;
  RasterStack stack(sources);
  stack.Select(b.elements, "the bundle");
  const Grid& grid = stack.grid();
  const int n = static_cast<int>(b.elements.size()), halo = b.graph.halo();
  const bool per_cell = b.graph.mode == GraphMode::Window;
  const int strip_rows = std::max(1, std::min(grid.height, 65536 / grid.width));
  auto scorer = MakeFusedScorer(b, threads);
  std::map<std::string, double> seconds;
  auto cpu_seconds = [] { return double(std::clock()) / CLOCKS_PER_SEC; };  // all threads of the process
  auto clock = [&](const std::string& stage, auto&& work) {
    const auto start = std::chrono::steady_clock::now();
    const double cpu_start = cpu_seconds();
    work();
    seconds[stage + "_s"] += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    seconds[stage + "_cpu"] += cpu_seconds() - cpu_start;
  };
  for (auto _ : state) {
    const std::string path = "/tmp/geoprosp_bench_stages.tif";
    RasterOutput out(path, {path, "GTiff", {}}, grid, OutputKind::Probability);
    StackWindow window;
    std::vector<float> features, cell_features, adjacency, probabilities, strip;
    std::vector<size_t> cells;
    ReplacementCounts counts;
    for (int row = 0; row < grid.height; row += strip_rows) {
      const int rows = std::min(strip_rows, grid.height - row);
      clock("read", [&] { stack.Read(-halo, row - halo, grid.width + 2 * halo, rows + 2 * halo, window); });
      clock("transform", [&] { TransformWindow(b.composition, window, features, counts); });
      clock("gather", [&] {
        cells.clear();
        for (int r = 0; r < rows; ++r) {
          for (int c = 0; c < grid.width; ++c) {
            const size_t cell = size_t(r + halo) * window.width + (c + halo);
            if (window.valid[cell]) cells.push_back(cell);
          }
        }
        cell_features.resize(cells.size() * n);
        for (size_t i = 0; i < cells.size(); ++i)
          std::copy_n(features.data() + cells[i] * n, n, cell_features.data() + i * n);
      });
      const int64_t m = static_cast<int64_t>(cells.size());
      if (per_cell) {
        clock("graph", [&] {
          adjacency.resize(size_t(m) * n * n);
#pragma omp parallel for num_threads(threads) schedule(static)
          for (int64_t i = 0; i < m; ++i) {
            WindowAdjacency(features.data(), window.valid.data(), window.width, window.height, n,
                            static_cast<int>(cells[i] % window.width), static_cast<int>(cells[i] / window.width),
                            b.graph, adjacency.data() + size_t(i) * n * n);
          }
        });
      }
      clock("score", [&] {
        probabilities.resize(m);
        scorer->Score(cell_features.data(), per_cell ? adjacency.data() : b.adjacency.data(), per_cell, m,
                      probabilities.data());
      });
      clock("write", [&] {
        strip.assign(size_t(rows) * grid.width, kProbabilityNodata);
        for (int64_t i = 0; i < m; ++i)
          strip[(cells[i] / window.width - halo) * grid.width + cells[i] % window.width - halo] = probabilities[i];
        out.WriteRows(row, rows, strip.data());
      });
    }
  }
  std::remove("/tmp/geoprosp_bench_stages.tif");
  for (const auto& [name, total] : seconds) state.counters[name] = total / state.iterations();
  state.SetItemsProcessed(state.iterations() * int64_t(grid.width) * grid.height);
}

// Training samples as geoprosp-train builds them: random standardised features, 5 % positives, the
// bundle's shared Â or each cell's window Â from a random strip.
SampleSet RandomTrainingSet(const Bundle& b, int64_t cells) {
  const int n = static_cast<int>(b.elements.size());
  SampleSet s;
  s.n_elements = n;
  s.per_sample_adjacency = b.graph.mode == GraphMode::Window;
  s.features = RandomNormal(size_t(cells) * n, 6);
  if (s.per_sample_adjacency) {
    const Strip strip = RandomStrip(n, int((cells + kStripWidth - 1) / kStripWidth), b.graph.halo());
    s.adjacency = WindowAdjacencies(strip, n, cells, b.graph);
  } else {
    s.adjacency = b.adjacency;
  }
  std::mt19937 rng(7);
  for (int64_t i = 0; i < cells; ++i) s.labels.push_back(rng() % 20 == 0 ? 1 : 0);
  return s;
}

// Epochs of TrainResGnn over 16,384 cells (no validation set, no early stop): cells/s of training.
void Train(benchmark::State& state, const Bundle& b, TrainEngine engine, int batch, int threads) {
  const int64_t cells = 16384;
  const SampleSet train = RandomTrainingSet(b, cells);
  TrainSettings settings;
  settings.epochs = 1;
  settings.batch_size = batch;
  settings.threads = threads;
  settings.engine = engine;
  if (engine == TrainEngine::Torch) at::set_num_threads(threads);
  for (auto _ : state) benchmark::DoNotOptimize(TrainResGnn(b.model, train, train.Empty(), settings, Progress{}));
  state.SetItemsProcessed(state.iterations() * cells);
}

// engine: fused (the kernel GEOPROSP_KERNEL or the CPU chooses), torch, or a fused kernel's name.
void RegisterForward(const std::string& name, const Bundle& bundle, const std::string& engine, int threads,
                     int64_t cells) {
  benchmark::RegisterBenchmark((name + "/threads:" + std::to_string(threads)).c_str(),
                               [bundle, engine, threads, cells](benchmark::State& state) {
                                 std::unique_ptr<Scorer> scorer;
                                 for (FusedKernel kernel : SupportedFusedKernels()) {
                                   if (engine == ToString(kernel)) scorer = MakeFusedScorer(bundle, threads, kernel);
                                 }
                                 if (!scorer) scorer = MakeScorer(bundle, {engine, "cpu", threads});
                                 if (engine == "torch") at::set_num_threads(threads);
                                 Forward(state, bundle, *scorer, cells);
                               })
      ->Unit(benchmark::kMillisecond)
      ->MeasureProcessCPUTime()  // CPU time of all threads; items/s from wall time
      ->UseRealTime();
}

}  // namespace
}  // namespace geoprosp

int main(int argc, char** argv) {
  using namespace geoprosp;
  std::string bundle_path;
  std::vector<std::string> stack_paths;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--bundle=", 0) == 0) {
      bundle_path = arg.substr(9);
    } else if (arg.rfind("--stack=", 0) == 0) {
      stack_paths.push_back(arg.substr(8));
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  GDALAllRegister();
  benchmark::RegisterBenchmark("TransformStrip", TransformStrip)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("GlobalGraph", GlobalGraph)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("WindowGraph", WindowGraph)->Arg(5)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("Sgemm1024", Sgemm)->Unit(benchmark::kMillisecond)->UseRealTime();
  for (const std::string arch : {"resgcn", "resgat"}) {
    for (GraphMode mode : {GraphMode::Global, GraphMode::Window}) {
      const Bundle b = RandomBundle(arch, mode);
      for (int threads : {1, 2}) {
        RegisterForward("Fused/" + arch + "/" + ToString(mode), b, "fused", threads, kStripCells);
        RegisterForward("Torch/" + arch + "/" + ToString(mode), b, "torch", threads, 8192);
      }
      // Each kernel the CPU runs, forced (the scalar one on fewer cells: it is slow without -mfma).
      for (FusedKernel kernel : SupportedFusedKernels()) {
        RegisterForward("FusedKernel/" + arch + "/" + ToString(mode) + "/" + ToString(kernel), b, ToString(kernel), 1,
                        kernel == FusedKernel::Scalar ? 2048 : kStripCells);
      }
    }
  }
  for (const std::string arch : {"resgcn", "resgat"}) {
    for (GraphMode mode : {GraphMode::Global, GraphMode::Window}) {
      const Bundle b = RandomBundle(arch, mode);
      for (TrainEngine engine : {TrainEngine::Fused, TrainEngine::Torch}) {
        for (int batch : {64, 256, 1024, 4096}) {
          for (int threads : {1, 2}) {
            if (engine == TrainEngine::Torch && (batch == 256 || batch == 4096)) continue;
            const std::string name = "Train/" + ToString(engine) + "/" + arch + "/" + ToString(mode) +
                                     "/batch:" + std::to_string(batch) + "/threads:" + std::to_string(threads);
            benchmark::RegisterBenchmark(
                name.c_str(),
                [b, engine, batch, threads](benchmark::State& state) { Train(state, b, engine, batch, threads); })
                ->Unit(benchmark::kMillisecond)
                ->MeasureProcessCPUTime()
                ->UseRealTime();
          }
        }
      }
    }
  }
  if (!bundle_path.empty()) {
    const Bundle b = LoadBundle(bundle_path);
    for (int threads : {1, 2}) RegisterForward("FusedBundle", b, "fused", threads, kStripCells);
    if (!stack_paths.empty()) {
      benchmark::RegisterBenchmark(
          "MapStages",
          [b, stack_paths](benchmark::State& state) { MapStages(state, stack_paths, b, DefaultThreadCount()); })
          ->Unit(benchmark::kSecond)
          ->Iterations(1)
          ->UseRealTime();
    }
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
