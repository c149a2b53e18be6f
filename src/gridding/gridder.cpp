#include "geoprosp/gridding/gridder.hpp"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <gdal_version.h>
#include <gdalgrid.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include "geoprosp/core/error.hpp"
#include "geoprosp/core/options.hpp"
#include "geoprosp/gridding/cleaning.hpp"
#include "geoprosp/io/raster_output.hpp"

namespace geoprosp {
namespace {

constexpr double kBelowDetectionShare = 0.5;

const char* AlgorithmName(GDALGridAlgorithm id) {
  switch (id) {
    case GGA_InverseDistanceToAPower:
      return "invdist";
    case GGA_InverseDistanceToAPowerNearestNeighbor:
      return "invdistnn";
    case GGA_MovingAverage:
      return "average";
    case GGA_NearestNeighbor:
      return "nearest";
    case GGA_Linear:
      return "linear";
    default:
      return "";
  }
}

void SetNodata(GDALGridAlgorithm id, void* options, double nodata) {
  switch (id) {
    case GGA_InverseDistanceToAPower:
      static_cast<GDALGridInverseDistanceToAPowerOptions*>(options)->dfNoDataValue = nodata;
      break;
    case GGA_InverseDistanceToAPowerNearestNeighbor:
      static_cast<GDALGridInverseDistanceToAPowerNearestNeighborOptions*>(options)->dfNoDataValue = nodata;
      break;
    case GGA_MovingAverage:
      static_cast<GDALGridMovingAverageOptions*>(options)->dfNoDataValue = nodata;
      break;
    case GGA_NearestNeighbor:
      static_cast<GDALGridNearestNeighborOptions*>(options)->dfNoDataValue = nodata;
      break;
    case GGA_Linear:
      static_cast<GDALGridLinearOptions*>(options)->dfNoDataValue = nodata;
      break;
    default:
      break;
  }
}

// Collects what GDAL says while parsing, so that an ignored or unknown option is a usage error.
void CPL_STDCALL CollectMessages(CPLErr level, CPLErrorNum, const char* message) {
  if (level < CE_Warning) return;
  auto* messages = static_cast<std::string*>(CPLGetErrorHandlerUserData());
  *messages += (messages->empty() ? "" : "; ") + std::string(message);
}

// One GDAL gridding context over one set of points.
class Context {
 public:
  Context(const GridAlgorithm& algorithm, const std::vector<double>& x, const std::vector<double>& y,
          std::vector<double> z)
      : z_(std::move(z)) {
    CPLErrorReset();
    context_ = GDALGridContextCreate(algorithm.id(), algorithm.options(), static_cast<GUInt32>(x.size()), x.data(),
                                     y.data(), z_.data(), TRUE);
    if (!context_) throw Error("--algorithm", "GDAL cannot grid these points: " + LastGdalError("unknown error"));
  }
  ~Context() { GDALGridContextFree(context_); }
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  // Rows [row, row + rows) with gdal_grid's node arithmetic (its ProcessLayer), for the same bytes.
  void Process(const Grid& grid, int row, int rows, float* out, const Progress& progress) const {
    const auto& gt = grid.geotransform;
    const double x_min = gt[0], x_max = gt[0] + gt[1] * grid.width;
    const double y_top = gt[3], y_bottom = gt[3] + gt[5] * grid.height;
    const double dx = (x_max - x_min) / grid.width, dy = (y_bottom - y_top) / grid.height;
    CPLErrorReset();
    if (GDALGridContextProcess(context_, x_min + dx * 0, x_min + dx * grid.width, y_top + dy * row,
                               y_top + dy * (row + rows), static_cast<GUInt32>(grid.width), static_cast<GUInt32>(rows),
                               GDT_Float32, out, progress.func, progress.data) != CE_None) {
      if (CPLGetLastErrorNo() == CPLE_UserInterrupt) throw Cancelled();
      throw Error("--algorithm", "GDAL's gridding failed: " + LastGdalError("unknown error"));
    }
  }

 private:
  std::vector<double> z_;  // GDAL keeps a pointer to it
  GDALGridContext* context_ = nullptr;
};

}  // namespace

const std::vector<std::string>& GridMethodNames() {
  static const std::vector<std::string> names = {"invdistnn", "invdist", "nearest", "average", "linear"};
  return names;
}

std::string AlgorithmText(const GridMethod& m, double radius) {
  const std::string r = FormatNumber(radius), nodata = FormatNumber(kElementNodata);
  const std::string weights = ":power=" + FormatNumber(m.power) + ":smoothing=" + FormatNumber(m.smoothing);
  const std::string counts =
      ":max_points=" + std::to_string(m.max_points) + ":min_points=" + std::to_string(m.min_points);
  if (m.method == "invdist")
    return "invdist" + weights + ":radius1=" + r + ":radius2=" + r + counts + ":nodata=" + nodata;
  if (m.method == "invdistnn") return "invdistnn" + weights + ":radius=" + r + counts + ":nodata=" + nodata;
  if (m.method == "nearest") return "nearest:radius1=" + r + ":radius2=" + r + ":nodata=" + nodata;
  if (m.method == "average")
    return "average:radius1=" + r + ":radius2=" + r + ":min_points=" + std::to_string(m.min_points) +
           ":nodata=" + nodata;
  if (m.method == "linear") return "linear:radius=" + r + ":nodata=" + nodata;
  throw UsageError("--method", "expects invdistnn|invdist|nearest|average|linear, got '" + m.method + "'");
}

GridAlgorithm::GridAlgorithm(const std::string& text) : text_(text) {
  // nodata is the outputs' own: -9999, which no concentration is (0 marks below detection).
  // The text says it, so that gdal_grid -a with the recorded text makes the same cells.
  const CPLStringList parts(CSLTokenizeString2(text.c_str(), ":", FALSE));
  bool has_nodata = false;
  for (int i = 1; i < parts.size(); ++i) {
    const std::string part = parts[i];
    if (part.rfind("nodata=", 0) != 0) continue;
    has_nodata = true;
    if (CPLAtof(part.substr(7).c_str()) != kElementNodata) {
      throw UsageError("--algorithm", "nodata is " + FormatNumber(kElementNodata) +
                                          " in geoprosp-grid's outputs; leave it out or write nodata=-9999");
    }
  }
  if (!has_nodata) text_ += ":nodata=" + FormatNumber(kElementNodata);
  std::string messages;
  CPLPushErrorHandlerEx(CollectMessages, &messages);
  CPLErrorReset();
#if GDAL_VERSION_NUM >= GDAL_COMPUTE_VERSION(3, 7, 0)
  const CPLErr parsed = GDALGridParseAlgorithmAndOptions(text_.c_str(), &id_, &options_);
#else
  const CPLErr parsed = ParseAlgorithmAndOptions(text_.c_str(), &id_, &options_);
#endif
  CPLPopErrorHandler();
  if (parsed != CE_None || !options_ || !messages.empty()) {
    throw UsageError("--algorithm", "GDAL rejects '" + text + "'" + (messages.empty() ? "" : ": " + messages));
  }
  if (*AlgorithmName(id_) == '\0') {
    throw UsageError("--algorithm", "'" + text +
                                        "' is a data metric, not an interpolation (geoprosp-grid takes invdist,"
                                        " invdistnn, nearest, average or linear; gdal_grid makes metrics)");
  }
  if (id_ == GGA_Linear && !GDALHasTriangulation())
    throw UsageError("--algorithm", "linear needs a GDAL built with Delaunay triangulation (qhull)");
  SetNodata(id_, options_, kElementNodata);
}

GridAlgorithm::~GridAlgorithm() { CPLFree(options_); }

std::string GridAlgorithm::name() const { return AlgorithmName(id_); }

double GridAlgorithm::SearchRadius() const {
  const double unlimited = std::numeric_limits<double>::infinity();
  auto circle = [&](double radius1, double radius2) { return radius1 > 0 && radius1 == radius2 ? radius1 : unlimited; };
  switch (id_) {
    case GGA_InverseDistanceToAPower: {
      const auto* o = static_cast<const GDALGridInverseDistanceToAPowerOptions*>(options_);
      return circle(o->dfRadius1, o->dfRadius2);
    }
    case GGA_InverseDistanceToAPowerNearestNeighbor: {
      const double radius =
          static_cast<const GDALGridInverseDistanceToAPowerNearestNeighborOptions*>(options_)->dfRadius;
      return radius > 0 ? radius : unlimited;
    }
    case GGA_MovingAverage: {
      const auto* o = static_cast<const GDALGridMovingAverageOptions*>(options_);
      return circle(o->dfRadius1, o->dfRadius2);
    }
    case GGA_NearestNeighbor: {
      const auto* o = static_cast<const GDALGridNearestNeighborOptions*>(options_);
      return circle(o->dfRadius1, o->dfRadius2);
    }
    default:
      return unlimited;
  }
}

int StripRows(const Grid& grid) {
  const int64_t budget = int64_t(16) << 20;  // bytes
  return static_cast<int>(std::clamp<int64_t>(budget / (int64_t(grid.width) * int64_t(sizeof(float))), 1, grid.height));
}

std::vector<GriddedCells> GridElements(const std::vector<ElementPoints>& elements, const Grid& grid,
                                       const GridAlgorithm& algorithm, double max_distance, const StripWriter& write,
                                       const Progress& progress) {
  if (grid.geotransform[2] != 0 || grid.geotransform[4] != 0 || grid.geotransform[5] >= 0)
    throw Error("grid", "GDAL's gridding needs a north-up grid");
  // The maximum-distance mask: GDAL's nearest neighbour with that search radius; elements measured
  // at the same points share one. An algorithm that looks no farther makes it itself.
  const bool masked = algorithm.SearchRadius() > max_distance;
  const GridAlgorithm mask_algorithm("nearest:radius1=" + FormatNumber(max_distance) +
                                     ":radius2=" + FormatNumber(max_distance));
  std::vector<std::unique_ptr<Context>> masks, values, shares;
  std::vector<size_t> mask_of(elements.size());
  for (size_t e = 0; e < elements.size(); ++e) {
    const ElementPoints& points = elements[e];
    if (points.x.empty()) throw Error("grid", "an element has no points");
    if (masked) {
      size_t same = 0;
      while (same < e && !(elements[same].x == points.x && elements[same].y == points.y)) ++same;
      if (same < e) {
        mask_of[e] = mask_of[same];
      } else {
        mask_of[e] = masks.size();
        masks.push_back(
            std::make_unique<Context>(mask_algorithm, points.x, points.y, std::vector<double>(points.x.size(), 1.0)));
      }
    }
    std::vector<double> counted(points.value.size()), below(points.value.size());
    bool any_below = false;
    for (size_t i = 0; i < points.value.size(); ++i) {
      counted[i] = CountedValue(points.value[i], points.unknown_limit);
      below[i] = points.value[i] <= 0 ? 1.0 : 0.0;
      any_below = any_below || points.value[i] <= 0;
    }
    values.push_back(std::make_unique<Context>(algorithm, points.x, points.y, std::move(counted)));
    shares.push_back(any_below ? std::make_unique<Context>(algorithm, points.x, points.y, std::move(below)) : nullptr);
  }

  const int strip_rows = StripRows(grid);
  const int strips = (grid.height + strip_rows - 1) / strip_rows;
  int calls_per_strip = static_cast<int>(masks.size() + values.size());
  for (const auto& share : shares) calls_per_strip += share ? 1 : 0;
  const double calls = double(strips) * calls_per_strip;
  int call = 0;
  auto process = [&](const Context& context, int row, int rows, float* out) {
    ScaledProgress part(progress, call / calls, (call + 1) / calls);
    ++call;
    context.Process(grid, row, rows, out, part.get());
  };

  std::vector<GriddedCells> cells(elements.size());
  std::vector<std::vector<float>> mask_strips(masks.size());
  std::vector<float> value_strip, share_strip;
  for (int s = 0; s < strips; ++s) {
    const int row = s * strip_rows, rows = std::min(strip_rows, grid.height - row);
    const size_t n = size_t(rows) * grid.width;
    for (size_t m = 0; m < masks.size(); ++m) {
      mask_strips[m].resize(n);
      process(*masks[m], row, rows, mask_strips[m].data());
    }
    for (size_t e = 0; e < elements.size(); ++e) {
      value_strip.resize(n);
      process(*values[e], row, rows, value_strip.data());
      if (shares[e]) {
        share_strip.resize(n);
        process(*shares[e], row, rows, share_strip.data());
      }
      const float* mask = masked ? mask_strips[mask_of[e]].data() : nullptr;
      GriddedCells& count = cells[e];
      for (size_t i = 0; i < n; ++i) {
        float& v = value_strip[i];
        if ((mask && mask[i] == kElementNodata) || v == kElementNodata || !std::isfinite(v)) {
          v = kElementNodata;
          ++count.nodata;
          continue;
        }
        ++count.valid;
        if (shares[e] && share_strip[i] >= kBelowDetectionShare) {
          v = 0.0f;
          ++count.below_detection;
        }
      }
      write(e, row, rows, value_strip.data());
    }
  }
  progress.Report(1.0);
  return cells;
}

}  // namespace geoprosp
