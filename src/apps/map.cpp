#include <omp.h>

#include <cpl_conv.h>
#include <gdal.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <future>
#include <limits>

#include "geoprosp/apps/map.hpp"
#include "geoprosp/features/element_graph.hpp"
#include "geoprosp/io/raster_output.hpp"
#include "geoprosp/io/raster_stack.hpp"
#include "geoprosp/models/bundle.hpp"
#include "geoprosp/models/scorer.hpp"
#include "geoprosp/products/quicklook.hpp"

namespace geoprosp {

PixelWindow ResolveWindow(const std::string& srcwin, const std::string& tile, int width, int height) {
  if (!srcwin.empty() && !tile.empty()) throw UsageError("--srcwin", "cannot be combined with --tile");
  PixelWindow window{0, 0, width, height};
  if (!srcwin.empty()) {
    OptionSpec spec;
    spec.name = "srcwin";
    spec.min = 0;
    spec.max = std::numeric_limits<int>::max();
    const auto parts = SplitList(srcwin);
    if (parts.size() != 4) throw UsageError("--srcwin", "expects xoff,yoff,xsize,ysize");
    window = {int(ParseIntOption(spec, parts[0])), int(ParseIntOption(spec, parts[1])),
              int(ParseIntOption(spec, parts[2])), int(ParseIntOption(spec, parts[3]))};
    if (window.width < 1 || window.height < 1 || int64_t(window.x0) + window.width > width ||
        int64_t(window.y0) + window.height > height) {
      throw UsageError("--srcwin", "window " + srcwin + " does not lie inside the " + std::to_string(width) + "x" +
                                       std::to_string(height) + " raster");
    }
  } else if (!tile.empty()) {
    OptionSpec spec;
    spec.name = "tile";
    spec.min = 0;
    spec.max = std::numeric_limits<int>::max();
    const auto slash = tile.find('/');
    if (slash == std::string::npos) throw UsageError("--tile", "expects i/n, e.g. 0/4");
    const long long index = ParseIntOption(spec, tile.substr(0, slash));
    const long long count = ParseIntOption(spec, tile.substr(slash + 1));
    if (count < 1 || index < 0 || index >= count) throw UsageError("--tile", "expects 0 <= i < n, got " + tile);
    if (count > height) throw UsageError("--tile", "more tiles than the raster's " + std::to_string(height) + " rows");
    const int first = static_cast<int>(height * index / count), last = static_cast<int>(height * (index + 1) / count);
    window = {0, first, width, last - first};
  }
  return window;
}

void ScoreMembers(const std::vector<std::unique_ptr<Scorer>>& scorers, const float* features, const float* adjacency,
                  bool per_cell, int64_t n, std::vector<float>& member_scores, float* mean, float* spread) {
  if (scorers.size() == 1) {
    scorers.front()->Score(features, adjacency, per_cell, n, mean);
    std::fill_n(spread, n, 0.0f);
    return;
  }
  std::vector<double> sum(n, 0.0), sum_sq(n, 0.0);
  member_scores.resize(n);
  for (const auto& scorer : scorers) {
    scorer->Score(features, adjacency, per_cell, n, member_scores.data());
    for (int64_t i = 0; i < n; ++i) {
      sum[i] += member_scores[i];
      sum_sq[i] += double(member_scores[i]) * member_scores[i];
    }
  }
  const double members = static_cast<double>(scorers.size());
  for (int64_t i = 0; i < n; ++i) {
    mean[i] = static_cast<float>(sum[i] / members);
    spread[i] =
        static_cast<float>(std::sqrt(std::max(0.0, sum_sq[i] / members - (sum[i] / members) * (sum[i] / members))));
  }
}

uint8_t ClassOf(float probability, const std::vector<double>& breaks) {
  uint8_t level = 0;
  for (size_t i = 0; i < breaks.size(); ++i) {
    if (probability >= breaks[i]) level = static_cast<uint8_t>(i + 1);
  }
  return level;
}

namespace {

std::vector<double> CheckedBreaks(const std::vector<double>& breaks) {
  if (breaks.size() != 3) throw UsageError("--class-breaks", "expects three probabilities: low,moderate,high");
  for (size_t i = 0; i < 3; ++i) {
    if (breaks[i] <= 0 || breaks[i] >= 1 || (i > 0 && breaks[i] <= breaks[i - 1])) {
      throw UsageError("--class-breaks", "expects increasing probabilities inside (0, 1)");
    }
  }
  return breaks;
}

// Sets OpenMP's default team (used by the clr transform) to --threads for the run.
class ScopedOmpThreads {
 public:
  explicit ScopedOmpThreads(int threads) : previous_(omp_get_max_threads()) { omp_set_num_threads(threads); }
  ~ScopedOmpThreads() { omp_set_num_threads(previous_); }

 private:
  int previous_;
};

// GDAL's default block cache is 5 % of RAM: GBs on a large node, filled with input blocks that are
// never read again. The strips only need the rows of input blocks they cross, for every element.
int64_t BlockCacheBytes(int elements, int width, int strip_rows, int block_height) {
  const int64_t rows = int64_t(strip_rows) + 2 * block_height;  // a strip may straddle two block rows
  const int64_t needed = int64_t(elements) * width * rows * int64_t(sizeof(float));
  return std::max<int64_t>(needed, int64_t(256) << 20);
}

// Applies a block-cache size for the run, unless the user chose one with GDAL_CACHEMAX.
class ScopedBlockCache {
 public:
  explicit ScopedBlockCache(int64_t bytes) : previous_(GDALGetCacheMax64()) {
    if (CPLGetConfigOption("GDAL_CACHEMAX", nullptr)) return;
    GDALSetCacheMax64(bytes);
    applied_ = true;
  }
  ~ScopedBlockCache() {
    if (applied_) GDALSetCacheMax64(previous_);
  }

 private:
  GIntBig previous_;
  bool applied_ = false;
};

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

std::string JoinNumbers(const std::vector<double>& values) {
  std::string out;
  for (double v : values) out += (out.empty() ? "" : ",") + FormatNumber(v);
  return out;
}

void PrintSummary(const MapOptions& options, const MapSummary& s) {
  const double rate = s.seconds > 0 ? (double(s.width) * s.height) / s.seconds : 0;
  std::printf("Mapped %dx%d cells (%lld valid) with %zu elements in %.2f s (%.0f cells/s, engine %s).\n", s.width,
              s.height, static_cast<long long>(s.valid_cells), s.elements.size(), s.seconds, rate, s.engine.c_str());
  std::printf("  probability: %s\n", options.output.c_str());
  if (!options.classes.empty()) {
    std::printf("  classes:     %s\n", options.classes.c_str());
  }
  const int64_t valid = std::max<int64_t>(s.valid_cells, 1);
  for (int c = 3; c >= 1; --c) {
    std::printf("  %-9s %8lld cells (%5.2f %% of valid)\n", ClassNames()[c].c_str(),
                static_cast<long long>(s.class_cells[c]), 100.0 * s.class_cells[c] / valid);
  }
  if (s.areas) std::printf("  %s\n  areas:       %s\n", DescribeAreas(*s.areas).c_str(), options.areas.c_str());
  if (!options.quicklook.empty()) std::printf("  quick look:  %s\n", options.quicklook.c_str());
  if (s.nonfinite_cells)
    std::printf("  NaN or inf cells set to nodata: %lld\n", static_cast<long long>(s.nonfinite_cells));
  if (s.replaced.total()) {
    std::printf("  zero or negative concentrations replaced:");
    for (size_t e = 0; e < s.elements.size(); ++e) {
      if (s.replaced.replaced[e])
        std::printf(" %s %lld", s.elements[e].c_str(), static_cast<long long>(s.replaced.replaced[e]));
    }
    std::printf("\n");
  }
}

}  // namespace

MapSummary RunMap(const MapOptions& options, const Progress& progress) {
  const auto start = std::chrono::steady_clock::now();
  MapSummary summary;
  // Everything is validated before the first cell is read.
  if (options.output.empty()) throw UsageError("-o", "is required");
  const Bundle bundle = LoadModel(options.model);
  StackSources sources;
  sources.paths = options.inputs;
  sources.align_to = options.align_to;
  sources.resampling = options.resampling;
  RasterStack stack(sources);
  if (!options.elements.empty()) stack.Select(SplitList(options.elements), "--elements");
  stack.Select(bundle.elements, "the model (" + bundle.path + ")");
  summary.elements = stack.elements();

  CompositionParams composition = bundle.composition;
  if (!options.zero_replace.empty()) {
    composition.zero_rule = options.zero_replace;
    if (options.zero_replace == "half-min")
      throw UsageError("--zero-replace", "half-min is fitted at training; give a concentration");
    composition.zero_replacement =
        ZeroReplacementValues(options.zero_replace, nullptr, 0, int(bundle.elements.size()), {}, bundle.elements);
  }
  const std::vector<double> breaks =
      CheckedBreaks(options.class_breaks.empty() ? bundle.class_breaks : options.class_breaks);
  const PixelWindow region = ResolveWindow(options.srcwin, options.tile, stack.grid().width, stack.grid().height);
  if (options.batch_size < 1) throw UsageError("--batch-size", "must be positive");

  const std::vector<std::string> inputs = stack.input_paths();
  OutputSpec probability_spec{options.output, options.format, options.creation_options};
  CheckOutputPath("-o", probability_spec, options.overwrite, inputs);
  OutputSpec classes_spec{options.classes, options.format, options.creation_options};
  if (!options.classes.empty()) {
    if (options.classes == options.output) throw UsageError("--classes", "must differ from -o");
    CheckOutputPath("--classes", classes_spec, options.overwrite, inputs);
  }
  // --areas and --quicklook are made from the rasters once written; their options are checked now.
  if (!options.deposits.empty() && options.areas.empty() && options.quicklook.empty())
    throw UsageError("--deposits", "is used only with --areas or --quicklook");
  if (!options.areas.empty() &&
      (options.areas == options.output || options.areas == options.classes || options.areas == options.quicklook))
    throw UsageError("--areas", "must differ from the other outputs");
  if (!options.quicklook.empty() && (options.quicklook == options.output || options.quicklook == options.classes))
    throw UsageError("--quicklook", "must differ from the other outputs");
  const std::vector<DepositPoint> deposits =
      options.deposits.empty() ? std::vector<DepositPoint>() : ReadDeposits(options.source(), stack.grid());
  AreasRequest areas_request{
      options.classes,        options.output,   breaks, deposits, options.areas, ParseMinClass(options.areas_min_class),
      options.areas_min_size, options.overwrite};
  if (!options.areas.empty()) CheckAreasRequest(areas_request, inputs);
  QuicklookRequest quicklook_request{
      options.output, options.areas, deposits, options.quicklook, "Mineral prospectivity", "", options.overwrite};
  if (!options.quicklook.empty()) CheckQuicklookRequest(quicklook_request, inputs);
  const double areas_share = options.areas.empty() ? 0.0 : 0.05;  // of the progress bar
  ScorerSettings scorer_settings{options.engine, options.device, options.threads};
  std::vector<std::unique_ptr<Scorer>> scorers;  // one per ensemble member
  for (int member = 0; member < bundle.members; ++member) {
    scorers.push_back(MakeScorer(MemberBundle(bundle, member), scorer_settings));
  }
  summary.engine = scorers.front()->name();
  OutputSpec spread_spec{options.sd, options.format, options.creation_options};
  if (!options.sd.empty()) {
    if (bundle.members < 2) throw UsageError("--sd", "needs an ensemble model (geoprosp-train --ensemble N)");
    CheckOutputPath("--sd", spread_spec, options.overwrite, inputs);
  }
  summary.model_hash = bundle.hash;
  summary.width = region.width;
  summary.height = region.height;

  Grid output_grid = stack.grid();
  auto& gt = output_grid.geotransform;
  gt[0] += region.x0 * gt[1] + region.y0 * gt[2];
  gt[3] += region.x0 * gt[4] + region.y0 * gt[5];
  output_grid.width = region.width;
  output_grid.height = region.height;
  RasterOutput probability_out(probability_spec, output_grid, OutputKind::Probability);
  std::unique_ptr<RasterOutput> classes_out;
  if (!options.classes.empty())
    classes_out = std::make_unique<RasterOutput>(classes_spec, output_grid, OutputKind::Classes);
  std::unique_ptr<RasterOutput> spread_out;
  if (!options.sd.empty()) spread_out = std::make_unique<RasterOutput>(spread_spec, output_grid, OutputKind::Spread);

  const int n = static_cast<int>(bundle.elements.size());
  const int halo = bundle.graph.halo();
  const bool per_cell = bundle.graph.mode == GraphMode::Window;
  int strip_rows = std::max(1, std::min(region.height, options.batch_size / std::max(1, region.width)));
  // The halo rows are read and transformed twice; strips of 16 halos keep that under 7 %.
  if (per_cell) strip_rows = std::min(region.height, std::max(strip_rows, 16 * halo));
  const int threads = options.threads > 0 ? options.threads : DefaultThreadCount();
  const ScopedOmpThreads omp_threads(threads);
  const ScopedBlockCache block_cache(
      BlockCacheBytes(n, region.width + 2 * halo, strip_rows + 2 * halo, stack.MaxBlockHeight()));

  // Strip s is read while strip s-1 is computed and written while strip s+1 is computed. Each GDAL
  // dataset is used by one thread at a time: the stack by the reader, the outputs by the writer.
  struct OutputStrip {
    int row = 0, rows = 0;
    std::vector<float> probability, spread;
    std::vector<uint8_t> classes;
  };
  std::array<StackWindow, 2> windows;
  std::array<OutputStrip, 2> output_strips;
  std::vector<float> features, cell_features, adjacency, probabilities, spread, member_scores;
  std::vector<size_t> cells;  // window cells that are scored
  const int strips = (region.height + strip_rows - 1) / strip_rows;
  const auto read_strip = [&](int s) {
    const int row = s * strip_rows, rows = std::min(strip_rows, region.height - row);
    stack.Read(region.x0 - halo, region.y0 + row - halo, region.width + 2 * halo, rows + 2 * halo, windows[s % 2]);
  };
  const auto write_strip = [&](const OutputStrip& out) {
    probability_out.WriteRows(out.row, out.rows, out.probability.data());
    if (classes_out) classes_out->WriteRows(out.row, out.rows, out.classes.data());
    if (spread_out) spread_out->WriteRows(out.row, out.rows, out.spread.data());
  };
  // Declared after the buffers they use, so that an exception waits for them before the buffers go.
  std::future<void> reading = std::async(std::launch::async, read_strip, 0), writing;
  const int64_t batch = per_cell ? options.batch_size : std::numeric_limits<int64_t>::max();
  const double compute_share = (options.format == "COG" ? 0.9 : 1.0) - areas_share;
  for (int s = 0; s < strips; ++s) {
    reading.get();
    const StackWindow& window = windows[s % 2];
    if (s + 1 < strips) reading = std::async(std::launch::async, read_strip, s + 1);
    const int row = s * strip_rows, rows = std::min(strip_rows, region.height - row);
    summary.nonfinite_cells += window.nonfinite;  // halo cells may be counted twice; only inner ones matter
    TransformWindow(composition, window, features, summary.replaced);
    cells.clear();
    for (int r = 0; r < rows; ++r) {
      for (int c = 0; c < region.width; ++c) {
        const size_t cell = size_t(r + halo) * window.width + (c + halo);
        if (window.valid[cell]) cells.push_back(cell);
      }
    }
    const int64_t m = static_cast<int64_t>(cells.size());
    cell_features.resize(size_t(m) * n);
    for (int64_t i = 0; i < m; ++i) std::copy_n(features.data() + cells[i] * n, n, cell_features.data() + i * n);
    probabilities.resize(m);
    spread.resize(m);
    // Per-cell graphs (n x n each) are built and scored a batch at a time, so memory stays bounded.
    for (int64_t first = 0; first < m; first += batch) {
      const int64_t count = std::min(batch, m - first);
      if (per_cell) {
        adjacency.resize(size_t(count) * n * n);
#pragma omp parallel for num_threads(threads) schedule(static)
        for (int64_t i = 0; i < count; ++i) {
          const size_t cell = cells[first + i];
          WindowAdjacency(features.data(), window.valid.data(), window.width, window.height, n,
                          static_cast<int>(cell % window.width), static_cast<int>(cell / window.width), bundle.graph,
                          adjacency.data() + size_t(i) * n * n);
        }
      }
      ScoreMembers(scorers, cell_features.data() + first * n, per_cell ? adjacency.data() : bundle.adjacency.data(),
                   per_cell, count, member_scores, probabilities.data() + first, spread.data() + first);
      RequireFiniteProbabilities(probabilities.data() + first, count, "the model (" + bundle.path + ")");
    }
    OutputStrip& out = output_strips[s % 2];  // its previous write finished before strip s-1's began
    out.row = row;
    out.rows = rows;
    out.probability.assign(size_t(rows) * region.width, kProbabilityNodata);
    out.spread.assign(spread_out ? size_t(rows) * region.width : 0, kProbabilityNodata);
    out.classes.assign(size_t(rows) * region.width, kClassNodata);
    for (int64_t i = 0; i < m; ++i) {
      const size_t r = cells[i] / window.width - halo, c = cells[i] % window.width - halo;
      const float p = probabilities[i];
      out.probability[r * region.width + c] = p;
      if (spread_out) out.spread[r * region.width + c] = spread[i];
      const uint8_t level = ClassOf(p, breaks);
      out.classes[r * region.width + c] = level;
      ++summary.class_cells[level];
    }
    summary.valid_cells += m;
    if (writing.valid()) writing.get();
    writing = std::async(std::launch::async, write_strip, std::cref(out));
    progress.Report(compute_share * (row + rows) / region.height);
  }
  if (writing.valid()) writing.get();
  if (summary.valid_cells == 0)
    stack.ThrowNoValidCell(region.x0, region.y0, region.width, region.height, "the mapped area");

  const std::map<std::string, std::string> provenance = {
      {"GEOPROSP_VERSION", GEOPROSP_VERSION},
      {"GEOPROSP_MODEL", ModelProvenance(bundle)},
      {"GEOPROSP_MODEL_SHA256", bundle.hash},
      {"GEOPROSP_ELEMENTS", Join(bundle.elements)},
      {"GEOPROSP_ARCH", bundle.model.arch},
      {"GEOPROSP_GRAPH", ToString(bundle.graph.mode) + " alpha=" + FormatNumber(bundle.graph.alpha)},
      {"GEOPROSP_CLASS_BREAKS", JoinNumbers(breaks)},
      {"GEOPROSP_TRANSFORM", ToString(composition.transform) + " zero-replace=" + composition.zero_rule},
  };
  probability_out.SetMetadata(provenance);
  ScaledProgress finish(progress, compute_share, 1.0 - areas_share);
  if (spread_out) {
    spread_out->SetMetadata(provenance);
    spread_out->Commit(options.overwrite, finish.get());
  }
  if (classes_out) {
    classes_out->SetMetadata(provenance);
    classes_out->Commit(options.overwrite, finish.get());
  }
  probability_out.Commit(options.overwrite, finish.get());
  if (!options.areas.empty()) {
    ScaledProgress areas_progress(progress, 1.0 - areas_share, 1.0);
    summary.areas = DelineateAreas(areas_request, areas_progress.get());
    quicklook_request.subtitle = DescribeAreas(*summary.areas);
  }
  if (!options.quicklook.empty()) RenderQuicklook(quicklook_request);
  progress.Report(1.0);
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

Command<MapOptions> MapCommand() {
  Command<MapOptions> command;
  command.program = "geoprosp-map";
  command.description = "Map mineral prospectivity from geochemical element rasters with a residual GNN.";
  auto& t = command.table;
  t.Add("inputs", &MapOptions::inputs)
      .Positional()
      .Path()
      .Role("input_rasters")
      .Required()
      .Help("Element rasters (any GDAL format): one file per element, or multi-band files with band descriptions");
  t.Add("output", &MapOptions::output)
      .Flags({"-o", "--output"})
      .Path()
      .Role("output_raster")
      .Required()
      .Help("Probability raster (Float32, 0..1)");
  t.Add("classes", &MapOptions::classes)
      .Path()
      .Role("output_raster")
      .Help("Classified prospective-area raster (Byte: 0 background, 1 low, 2 moderate, 3 high)");
  t.Add("areas", &MapOptions::areas)
      .Path()
      .Role("output_vector")
      .Help(
          "Target areas: ranked polygons of the connected cells at or above --areas-min-class (OGR format by"
          " extension, GPKG by default), with a QGIS style");
  t.Add("areas-min-class", &MapOptions::areas_min_class)
      .Choices({"low", "moderate", "high"})
      .Help("Lowest class inside a target area");
  t.Add("areas-min-size", &MapOptions::areas_min_size)
      .Help("Smallest target area: in cells or km2, e.g. 10cells or 0.5km2");
  AddDepositOptions(t,
                    "Known deposits (points, any OGR format or a table) counted in the target areas and shown on"
                    " the quick look");
  t.Add("quicklook", &MapOptions::quicklook)
      .Path()
      .Role("output_file")
      .Extensions({"png"})
      .Help("Quick-look map (PNG) of the probability, target areas and deposits");
  t.Add("sd", &MapOptions::sd)
      .Path()
      .Role("output_raster")
      .Help("Per-cell standard deviation across an ensemble model's members (Float32)");
  t.Add("model", &MapOptions::model)
      .Path()
      .Role("input_model")
      .Help("Model bundle folder (default: the sample_data model)");
  t.Add("elements", &MapOptions::elements).Help("Comma-separated elements to use (default: those the model needs)");
  t.Add("align-to", &MapOptions::align_to)
      .Path()
      .Role("input_raster")
      .Advanced()
      .Help("Warp every input onto this raster's grid instead of requiring aligned inputs");
  t.Add("resampling", &MapOptions::resampling)
      .Choices({"near", "bilinear", "cubic", "average"})
      .Advanced()
      .Help("Resampling used by --align-to");
  t.Add("of", &MapOptions::format)
      .Flags({"-of", "--of"})
      .Help("Output format (GDAL driver short name, e.g. GTiff, COG)");
  t.Add("co", &MapOptions::creation_options).Flags({"-co", "--co"}).Advanced().Help("Creation option NAME=VALUE");
  t.Add("class-breaks", &MapOptions::class_breaks)
      .Range(0, 1)
      .Help("Probability thresholds low,moderate,high (default: the model's)");
  t.Add("zero-replace", &MapOptions::zero_replace)
      .Advanced()
      .Help("Concentration that replaces zero or negative values (default: the model's half-min values)");
  t.Add("srcwin", &MapOptions::srcwin).Advanced().Help("Map only the window xoff,yoff,xsize,ysize");
  t.Add("tile", &MapOptions::tile)
      .Advanced()
      .Help("Map only row band i of n (0-based), e.g. 2/8; tiles mosaic exactly");
  t.Add("engine", &MapOptions::engine)
      .Choices({"auto", "fused", "torch"})
      .Advanced()
      .Help("Inference engine: fused CPU kernels or LibTorch (auto: fused on the CPU, LibTorch on CUDA)");
  t.Add("device", &MapOptions::device)
      .Choices({"cpu", "cuda"})
      .Advanced()
      .Help("Device: cpu, or cuda where LibTorch has it (agrees to ~1e-7, but tiles do not mosaic byte for byte)");
  t.Add("threads", &MapOptions::threads).Range(0, 1024).Advanced().Help("Threads (0: all cores)");
  t.Add("batch-size", &MapOptions::batch_size).Range(1, 1 << 24).Advanced().Help("Cells per processing strip");
  t.Add("overwrite", &MapOptions::overwrite).Role("ui").Help("Replace existing outputs");
  AddCommonOptions(t);
  command.run = [](const MapOptions& options, const Progress& progress) {
    const MapSummary summary = RunMap(options, progress);
    if (!options.quiet) PrintSummary(options, summary);
  };
  return command;
}

}  // namespace geoprosp
