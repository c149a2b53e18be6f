#include "geoprosp/pipeline/score_region.hpp"

#include <omp.h>

#include <cpl_conv.h>
#include <gdal.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "geoprosp/core/error.hpp"
#include "geoprosp/core/options.hpp"
#include "geoprosp/io/raster_output.hpp"
#include "geoprosp/io/raster_stack.hpp"
#include "geoprosp/models/bundle.hpp"
#include "geoprosp/models/scorer.hpp"
#include "geoprosp/pipeline/explain.hpp"
#include "geoprosp/pipeline/strip_pipeline.hpp"

namespace geoprosp {
namespace {

// Sets OpenMP's default team (used by the clr transform) to the run's threads.
class ScopedOmpThreads {
 public:
  explicit ScopedOmpThreads(int threads) : previous_(omp_get_max_threads()) { omp_set_num_threads(threads); }
  ~ScopedOmpThreads() { omp_set_num_threads(previous_); }

 private:
  int previous_;
};

// GDAL's default block cache is 5 % of RAM: GBs on a large node, filled with input blocks that are
// never read again. Each reader's strips only need the rows of input blocks they cross.
int64_t BlockCacheBytes(int readers, int elements, int width, int strip_rows, int block_height) {
  const int64_t rows = int64_t(strip_rows) + 2 * block_height;  // a strip may straddle two block rows
  const int64_t needed = int64_t(readers) * elements * width * rows * int64_t(sizeof(float));
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

// A strip of the region as read (with its halo) and as scored.
struct StripSlot {
  StackWindow window;
  ScoredStrip scored;
};

// Explains the cells of a batch whose output reaches scoring.explain_from (all of them, usually
// without copying); the others' contributions are nodata.
class ExplainedSubset {
 public:
  void Explain(const std::vector<std::unique_ptr<Scorer>>& members, const float* features, const float* adjacency,
               bool per_cell, int64_t count, int n, int node_features, const float* output,
               const RegionScoring& scoring, ExplainScratch& scratch, float* contributions) {
    const int row = n * node_features;
    chosen_.clear();
    for (int64_t i = 0; i < count; ++i) {
      if (output[i] >= scoring.explain_from) chosen_.push_back(i);
    }
    const int64_t m = static_cast<int64_t>(chosen_.size());
    if (m == count) {
      ExplainCells(members, features, adjacency, per_cell, count, n, node_features, output, scoring.calibration,
                   scoring.model, scratch, contributions);
      return;
    }
    std::fill_n(contributions, size_t(count) * n, kProbabilityNodata);
    if (m == 0) return;
    const size_t graph = size_t(n) * n;
    features_.resize(size_t(m) * row);
    output_.resize(m);
    if (per_cell) adjacency_.resize(size_t(m) * graph);
    for (int64_t j = 0; j < m; ++j) {
      const int64_t i = chosen_[j];
      std::copy_n(features + i * row, row, features_.data() + j * row);
      output_[j] = output[i];
      if (per_cell) std::copy_n(adjacency + i * graph, graph, adjacency_.data() + j * graph);
    }
    contributions_.resize(size_t(m) * n);
    ExplainCells(members, features_.data(), per_cell ? adjacency_.data() : adjacency, per_cell, m, n, node_features,
                 output_.data(), scoring.calibration, scoring.model, scratch, contributions_.data());
    for (int64_t j = 0; j < m; ++j) std::copy_n(contributions_.data() + j * n, n, contributions + chosen_[j] * n);
  }

 private:
  std::vector<int64_t> chosen_;
  std::vector<float> features_, output_, adjacency_, contributions_;
};

}  // namespace

PixelWindow ResolveWindow(const std::string& srcwin, const std::string& tile, int width, int height) {
  if (!srcwin.empty() && !tile.empty()) throw UsageError("--srcwin", "cannot be combined with --tile");
  PixelWindow window{0, 0, width, height};
  if (!srcwin.empty()) {
    OptionSpec spec;
    spec.name = "srcwin";
    spec.min = 0;
    spec.max = std::numeric_limits<int>::max();  // a number past int is an error, not a wrapped window
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
                  bool per_cell, int64_t n, std::vector<float>& member_scores, float* mean, float* spread,
                  const Calibration& calibration) {
  if (scorers.size() == 1) {
    scorers.front()->Score(features, adjacency, per_cell, n, mean);
    if (calibration.active()) {
      for (int64_t i = 0; i < n; ++i) mean[i] = calibration.Apply(mean[i]);
    }
    std::fill_n(spread, n, 0.0f);
    return;
  }
  std::vector<double> sum(n, 0.0), sum_sq(n, 0.0);
  member_scores.resize(n);
  for (const auto& scorer : scorers) {
    scorer->Score(features, adjacency, per_cell, n, member_scores.data());
    if (calibration.active()) {
      for (int64_t i = 0; i < n; ++i) member_scores[i] = calibration.Apply(member_scores[i]);
    }
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

int DefaultReaderCount(int threads) { return std::clamp(threads / 4, 1, 4); }

RegionTotals ScoreRegion(const std::vector<const RasterStack*>& readers,
                         const std::vector<std::unique_ptr<Scorer>>& members, const RegionScoring& scoring,
                         StripSink& sink, const Progress& progress) {
  if (readers.empty() || members.empty()) throw Error("scoring", "needs a raster stack and a model");
  const RasterStack& stack = *readers.front();
  const PixelWindow& region = scoring.region;
  const int n = static_cast<int>(stack.elements().size());
  // Window graphs and spatial context read the cells around each cell: strips read that halo too.
  const int halo = std::max(scoring.graph.halo(), scoring.context.halo());
  const int node_features = scoring.context.node_features(), row_width = node_features * n;
  const bool per_cell = scoring.graph.per_cell();
  const bool ensemble = members.size() > 1;
  const bool with_distance = scoring.applicability.present();
  if (with_distance && scoring.applicability.mean.size() != size_t(n))
    throw Error(scoring.model, "holds applicability statistics for another number of elements");
  if (!per_cell && scoring.adjacency.size() != size_t(n) * n)
    throw Error(scoring.model, "holds no global graph for its " + std::to_string(n) + " elements");
  if (scoring.graph.mode == GraphMode::Hybrid && scoring.correlation.size() != size_t(n) * n)
    throw Error(scoring.model, "holds no global correlation for its hybrid graph");
  int strip_rows = std::max(1, std::min(region.height, scoring.batch_size / std::max(1, region.width)));
  // The halo rows are read and transformed twice; strips of 16 halos keep that under 7 %.
  if (halo > 0) strip_rows = std::min(region.height, std::max(strip_rows, 16 * halo));
  const int strips = (region.height + strip_rows - 1) / strip_rows;
  const int threads = std::max(1, scoring.threads);
  const ScopedOmpThreads omp_threads(threads);
  const ScopedBlockCache block_cache(
      BlockCacheBytes(int(readers.size()), n, region.width + 2 * halo, strip_rows + 2 * halo, stack.MaxBlockHeight()));

  PipelineSettings settings;
  settings.readers = static_cast<int>(readers.size());
  settings.slots = settings.readers + 2;  // reading, computing and writing overlap
  std::vector<StripSlot> slots(settings.slots);
  RegionTotals totals;
  // Scratch of the compute stage (the calling thread only).
  std::vector<float> features, cell_features, adjacency, probabilities, spread, member_scores;
  std::vector<size_t> cells;         // window cells that are scored
  std::vector<float> contributions;  // explain: cells x E, cell-major
  ExplainScratch explain_scratch;
  ExplainedSubset subset;
  const int64_t batch = per_cell ? scoring.batch_size : std::numeric_limits<int64_t>::max();

  StripStages stages;
  stages.read = [&](int reader, int strip, int slot) {
    const int row = strip * strip_rows, rows = std::min(strip_rows, region.height - row);
    readers[reader]->Read(region.x0 - halo, region.y0 + row - halo, region.width + 2 * halo, rows + 2 * halo,
                          slots[slot].window);
  };
  stages.compute = [&](int strip, int slot) {
    const StackWindow& window = slots[slot].window;
    const int row = strip * strip_rows, rows = std::min(strip_rows, region.height - row);
    totals.nonfinite_cells += window.nonfinite;  // halo cells may be counted twice; only inner ones matter
    TransformWindow(scoring.composition, window, features, totals.replaced);
    cells.clear();
    for (int r = 0; r < rows; ++r) {
      for (int c = 0; c < region.width; ++c) {
        const size_t cell = size_t(r + halo) * window.width + (c + halo);
        if (window.valid[cell]) cells.push_back(cell);
      }
    }
    const int64_t m = static_cast<int64_t>(cells.size());
    cell_features.resize(size_t(m) * row_width);
    if (scoring.context.active()) {
#pragma omp parallel for num_threads(threads) schedule(static)
      for (int64_t i = 0; i < m; ++i) {
        NodeFeatures(features.data(), window.valid.data(), window.width, window.height, n,
                     static_cast<int>(cells[i] % window.width), static_cast<int>(cells[i] / window.width),
                     scoring.context, cell_features.data() + i * row_width);
      }
    } else {
      for (int64_t i = 0; i < m; ++i) std::copy_n(features.data() + cells[i] * n, n, cell_features.data() + i * n);
    }
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
                          static_cast<int>(cell % window.width), static_cast<int>(cell / window.width), scoring.graph,
                          adjacency.data() + size_t(i) * n * n, scoring.correlation.data());
        }
      }
      const float* batch_adjacency = per_cell ? adjacency.data() : scoring.adjacency.data();
      ScoreMembers(members, cell_features.data() + first * row_width, batch_adjacency, per_cell, count, member_scores,
                   probabilities.data() + first, spread.data() + first, scoring.calibration);
      if (scoring.explain) {
        contributions.resize(size_t(m) * n);
        subset.Explain(members, cell_features.data() + first * row_width, batch_adjacency, per_cell, count, n,
                       node_features, probabilities.data() + first, scoring, explain_scratch,
                       contributions.data() + first * n);
      }
    }
    ScoredStrip& out = slots[slot].scored;
    out.row = row;
    out.rows = rows;
    out.width = region.width;
    out.valid_cells = m;
    out.probability.assign(size_t(rows) * region.width, kProbabilityNodata);
    out.spread.assign(ensemble ? size_t(rows) * region.width : 0, kProbabilityNodata);
    out.distance.assign(with_distance ? size_t(rows) * region.width : 0, kProbabilityNodata);
    if (with_distance) {
#pragma omp parallel for num_threads(threads) schedule(static)
      for (int64_t i = 0; i < m; ++i) {
        const size_t r = cells[i] / window.width - halo, c = cells[i] % window.width - halo;
        // The elements' values: block 0 of the cell's node features.
        out.distance[r * region.width + c] = scoring.applicability.Distance(cell_features.data() + i * row_width);
      }
    }
    const size_t band_cells = size_t(rows) * region.width;
    out.contributions.assign(scoring.explain ? band_cells * n : 0, kProbabilityNodata);
    for (int64_t i = 0; i < m; ++i) {
      const size_t r = cells[i] / window.width - halo, c = cells[i] % window.width - halo;
      if (!std::isfinite(probabilities[i])) {
        throw Error(scoring.model, "gives a non-finite probability at cell (" + std::to_string(region.x0 + c) + ", " +
                                       std::to_string(region.y0 + row + r) +
                                       "): its weights are corrupt or do not fit its manifest");
      }
      out.probability[r * region.width + c] = probabilities[i];
      if (ensemble) out.spread[r * region.width + c] = spread[i];
      if (scoring.explain && contributions[size_t(i) * n] != kProbabilityNodata) {
        for (int e = 0; e < n; ++e) out.contributions[e * band_cells + r * region.width + c] = contributions[i * n + e];
      }
    }
    totals.valid_cells += m;
    progress.Report(double(row + rows) / region.height);
  };
  stages.write = [&](int, int slot) { sink.Write(slots[slot].scored); };
  RunStripPipeline(strips, settings, stages);
  return totals;
}

namespace {
// Keeps every strip's probabilities in a whole-grid array, and sums its contributions.
class GridSink : public StripSink {
 public:
  GridSink(std::vector<float>& grid, int width, int n_elements, ContributionTotals* explained)
      : grid_(grid), width_(width), n_elements_(n_elements), explained_(explained) {}
  void Write(const ScoredStrip& strip) override {
    std::copy(strip.probability.begin(), strip.probability.end(), grid_.begin() + size_t(strip.row) * width_);
    if (explained_) explained_->Add(strip.contributions.data(), strip.probability.size(), n_elements_);
  }

 private:
  std::vector<float>& grid_;
  int width_, n_elements_;
  ContributionTotals* explained_;
};
}  // namespace

std::vector<float> ScoreGrid(const RasterStack& stack, const Bundle& bundle, int threads, const Progress& progress,
                             bool calibrated, ContributionTotals* explained) {
  const Grid& grid = stack.grid();
  RegionScoring scoring;
  scoring.region = {0, 0, grid.width, grid.height};
  scoring.composition = bundle.composition;
  scoring.graph = bundle.graph;
  scoring.context = bundle.context;
  scoring.adjacency = bundle.adjacency;
  scoring.correlation = bundle.correlation;
  if (calibrated) scoring.calibration = bundle.calibration;
  scoring.threads = threads;
  scoring.model = "the model being trained";
  scoring.explain = explained != nullptr;
  std::vector<std::unique_ptr<Scorer>> members;
  for (int member = 0; member < bundle.members; ++member)
    members.push_back(MakeFusedScorer(MemberBundle(bundle, member), threads));
  std::vector<float> probability(size_t(grid.width) * grid.height, kProbabilityNodata);
  GridSink sink(probability, grid.width, static_cast<int>(bundle.elements.size()), explained);
  ScoreRegion({&stack}, members, scoring, sink, progress);
  return probability;
}

}  // namespace geoprosp
