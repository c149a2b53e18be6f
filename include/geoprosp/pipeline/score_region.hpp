#pragma once
// The one scoring path of geoprosp: a region of the element stack is read, transformed, turned into
// graphs and scored strip by strip (read -> clr -> graph -> score -> sink), with bounded memory.
// geoprosp-map writes the strips into rasters; geoprosp-train and geoprosp-eval keep the scores of
// every cell to set class breaks and draw maps. No LibTorch here.
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "geoprosp/core/progress.hpp"
#include "geoprosp/features/applicability.hpp"
#include "geoprosp/features/composition.hpp"
#include "geoprosp/features/context.hpp"
#include "geoprosp/features/element_graph.hpp"
#include "geoprosp/models/calibration.hpp"

namespace geoprosp {

class RasterStack;
class Scorer;

// The part of the raster a run maps: the whole, --srcwin or --tile (0-based i/n, row bands).
struct PixelWindow {
  int x0 = 0, y0 = 0, width = 0, height = 0;
};
PixelWindow ResolveWindow(const std::string& srcwin, const std::string& tile, int width, int height);

// How a region is scored: the model's transform and graph, and the run's resources.
struct RegionScoring {
  PixelWindow region;
  CompositionParams composition;
  GraphSpec graph;
  ContextSpec context;              // spatial context node features (its windows widen the halo)
  std::vector<float> adjacency;     // the global graph's Â (E x E); unused in window and hybrid modes
  std::vector<double> correlation;  // the training cells' r (E x E): hybrid graphs blend it in
  Calibration calibration;          // applied to every member's score; none: raw scores
  Applicability applicability;      // when present, each strip also carries each cell's distance
  int threads = 1;
  int batch_size = 65536;  // cells per strip, and per batch of window graphs
  std::string model;       // names the model in errors
  // Occlusion explanations (pipeline/explain.hpp) of the cells whose output reaches explain_from;
  // the other cells' contributions are nodata.
  bool explain = false;
  double explain_from = -std::numeric_limits<double>::infinity();
};

// One scored strip of the region: rows [row, row + rows), `width` cells each.
struct ScoredStrip {
  int row = 0, rows = 0, width = 0;
  std::vector<float> probability;  // kProbabilityNodata where a cell is invalid
  std::vector<float> spread;       // the ensemble's standard deviation; empty with one member
  std::vector<float> distance;     // applicability distance (kProbabilityNodata where invalid); empty without
  // With explain: E bands of rows x width, each element's contribution; kProbabilityNodata where a
  // cell is invalid or not explained.
  std::vector<float> contributions;
  int64_t valid_cells = 0;
};

// Where scored strips go, in order, on the pipeline's writer thread.
class StripSink {
 public:
  virtual ~StripSink() = default;
  virtual void Write(const ScoredStrip& strip) = 0;
};

struct RegionTotals {
  int64_t valid_cells = 0;
  int64_t nonfinite_cells = 0;  // input cells dropped for NaN or inf that no mask declared
  ReplacementCounts replaced;
};

// Scores `scoring.region` of `readers[0]`'s grid with every member (mean, and SD with several). Each
// reader stack serves one reader thread (RasterStack::Reopen makes more). A non-finite probability
// is an error naming the model. Progress goes 0..1 over the rows.
RegionTotals ScoreRegion(const std::vector<const RasterStack*>& readers,
                         const std::vector<std::unique_ptr<Scorer>>& members, const RegionScoring& scoring,
                         StripSink& sink, const Progress& progress);

// Writes the mean of every member's (calibrated) probabilities to `mean[0..n)` and, with several
// members, their standard deviation to `spread[0..n)` (zeros with one member).
void ScoreMembers(const std::vector<std::unique_ptr<Scorer>>& scorers, const float* features, const float* adjacency,
                  bool per_cell, int64_t n, std::vector<float>& member_scores, float* mean, float* spread,
                  const Calibration& calibration = {});

// Every cell of `stack`'s grid scored with `bundle` on the fused engine, through ScoreRegion: what
// geoprosp-map writes for the same bundle and inputs. kProbabilityNodata where a cell is invalid.
struct Bundle;
// `calibrated`: through the bundle's calibration (if it has one), else raw scores. With `explained`,
// every valid cell is explained too, and the sums of its contributions go there.
struct ContributionTotals;
std::vector<float> ScoreGrid(const RasterStack& stack, const Bundle& bundle, int threads, const Progress& progress,
                             bool calibrated = true, ContributionTotals* explained = nullptr);

// Reader threads worth opening for `threads` compute threads: one reader keeps a few cores busy.
int DefaultReaderCount(int threads);

}  // namespace geoprosp
