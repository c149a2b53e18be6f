#include "geoprosp/gridding/grid_definition.hpp"

#include <gdal_priv.h>
#include <ogr_spatialref.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include "geoprosp/core/error.hpp"
#include "geoprosp/core/options.hpp"
#include "geoprosp/io/open_input.hpp"

namespace geoprosp {
namespace {

// Grids larger than this on a side are a unit mistake (metres for degrees), not a survey.
constexpr int kMaxCellsPerSide = 100000;

std::unique_ptr<OGRSpatialReference> Srs(const std::string& wkt) {
  auto srs = std::make_unique<OGRSpatialReference>();
  srs->importFromWkt(wkt.c_str());
  srs->SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  return srs;
}

// A CRS the user names ("EPSG:28350", WKT, PROJ); unknown is a UsageError for `option`.
std::unique_ptr<OGRSpatialReference> UserCrs(const std::string& text, const std::string& option) {
  auto srs = std::make_unique<OGRSpatialReference>();
  if (srs->SetFromUserInput(text.c_str()) != OGRERR_NONE) throw UsageError(option, "unknown CRS '" + text + "'");
  srs->SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  return srs;
}

std::string Wkt(const OGRSpatialReference& srs) {
  char* wkt = nullptr;
  const char* options[] = {"FORMAT=WKT2_2018", nullptr};
  srs.exportToWkt(&wkt, options);
  std::string text = wkt ? wkt : "";
  CPLFree(wkt);
  return text;
}

Grid RasterGrid(const std::string& path) {
  VSIStatBufL stat;
  if (VSIStatL(path.c_str(), &stat) != 0) throw Error(path, "no such file");
  CPLErrorReset();
  std::unique_ptr<GDALDataset, void (*)(GDALDataset*)> dataset(OpenInput(path, GDAL_OF_RASTER),
                                                               [](GDALDataset* d) { GDALClose(d); });
  if (!dataset) throw Error(path, "not a raster GDAL can read (" + LastGdalError("unknown format") + ")");
  Grid grid = GridOf(*dataset);
  if (grid.wkt.empty()) throw Error(path, "has no CRS, so the samples cannot be placed on its grid");
  if (grid.geotransform[2] != 0 || grid.geotransform[4] != 0)
    throw Error(path, "is rotated; GDAL's gridding needs a north-up grid");
  if (grid.geotransform[5] >= 0) throw Error(path, "is not north-up (its pixel height is not negative)");
  return grid;
}

const char* Units(const std::string& wkt) { return Srs(wkt)->IsGeographic() ? "degrees" : "metres or feet"; }

// `width` and `height` in cells, before rounding: a side over kMaxCellsPerSide, or an extent smaller
// than one cell both ways, is a unit mistake.
void CheckSize(double width, double height, const std::string& option, const std::string& wkt) {
  if (width < 1 && height < 1) {
    throw UsageError("--cell-size", "is larger than the extent (" + FormatNumber(width) + " x " + FormatNumber(height) +
                                        " cells) in " + CrsName(wkt) + ", which has units of " + Units(wkt) +
                                        ": is the cell size in those units?");
  }
  if (width > kMaxCellsPerSide || height > kMaxCellsPerSide) {
    throw UsageError(option, "gives a grid of " + FormatNumber(std::ceil(width)) + " x " +
                                 FormatNumber(std::ceil(height)) + " cells in " + CrsName(wkt) +
                                 ", which has units of " + Units(wkt) + ": is the cell size in those units?");
  }
}

}  // namespace

std::string CrsName(const std::string& wkt) {
  if (wkt.empty()) return "no CRS";
  const char* name = Srs(wkt)->GetName();
  return name ? name : "unnamed CRS";
}

void CheckGridRequest(const GridRequest& request) {
  if (!request.align_to.empty()) {
    if (request.cell_size > 0) throw UsageError("--cell-size", "cannot be combined with --align-to");
    if (!request.extent.empty()) throw UsageError("--extent", "cannot be combined with --align-to");
    if (!request.t_srs.empty()) throw UsageError("--t-srs", "cannot be combined with --align-to (its CRS is used)");
    return;
  }
  if (!(request.cell_size > 0)) throw UsageError("--cell-size", "is required (or --align-to RASTER)");
  if (!request.extent.empty()) {
    const auto& e = request.extent;
    if (e.size() != 4) throw UsageError("--extent", "expects xmin,ymin,xmax,ymax");
    if (!(e[2] > e[0]) || !(e[3] > e[1])) throw UsageError("--extent", "expects xmin < xmax and ymin < ymax");
  }
  if (!request.t_srs.empty()) UserCrs(request.t_srs, "--t-srs");
}

std::string GridCrs(const GridRequest& request, const std::string& samples_wkt) {
  if (!request.align_to.empty()) return RasterGrid(request.align_to).wkt;
  if (request.t_srs.empty()) return samples_wkt;
  return Wkt(*UserCrs(request.t_srs, "--t-srs"));
}

void ReprojectPoints(std::vector<double>& x, std::vector<double>& y, const std::string& from_wkt,
                     const std::string& to_wkt, const std::string& subject) {
  const auto from = Srs(from_wkt), to = Srs(to_wkt);
  if (from->IsSame(to.get())) return;
  CPLErrorReset();
  std::unique_ptr<OGRCoordinateTransformation> transform(OGRCreateCoordinateTransformation(from.get(), to.get()));
  if (!transform) {
    throw Error(subject, "its CRS (" + CrsName(from_wkt) + ") cannot be transformed to " + CrsName(to_wkt) + ": " +
                             LastGdalError("unknown"));
  }
  std::vector<int> ok(x.size(), 0);
  // Transform() is false when any point failed; the flags say which.
  if (!x.empty()) static_cast<void>(transform->Transform(x.size(), x.data(), y.data(), nullptr, ok.data()));
  for (size_t i = 0; i < x.size(); ++i) {
    if (!ok[i] || !std::isfinite(x[i]) || !std::isfinite(y[i])) {
      throw Error(subject, "point " + std::to_string(i + 1) + " cannot be transformed from " + CrsName(from_wkt) +
                               " to " + CrsName(to_wkt) + " (is the samples' CRS right?)");
    }
  }
}

Grid DefineGrid(const GridRequest& request, const std::string& wkt, const std::vector<double>& x,
                const std::vector<double>& y) {
  if (!request.align_to.empty()) return RasterGrid(request.align_to);
  const double cell = request.cell_size;
  double xmin, ymin, xmax, ymax;
  if (!request.extent.empty()) {
    xmin = request.extent[0];
    ymin = request.extent[1];
    xmax = request.extent[2];
    ymax = request.extent[3];
  } else {
    // Snapped outwards to multiples of the cell size, so that grids of one survey line up.
    const auto [x_low, x_high] = std::minmax_element(x.begin(), x.end());
    const auto [y_low, y_high] = std::minmax_element(y.begin(), y.end());
    CheckSize((*x_high - *x_low) / cell, (*y_high - *y_low) / cell, "--cell-size", wkt);
    xmin = std::floor(*x_low / cell) * cell;
    ymin = std::floor(*y_low / cell) * cell;
    xmax = std::max(std::ceil(*x_high / cell), std::floor(*x_high / cell) + 1) * cell;
    ymax = std::max(std::ceil(*y_high / cell), std::floor(*y_high / cell) + 1) * cell;
  }
  const double columns = (xmax - xmin) / cell, rows = (ymax - ymin) / cell;
  CheckSize(columns, rows, request.extent.empty() ? "--cell-size" : "--extent", wkt);
  Grid grid;
  // A partial cell at the right or bottom edge becomes a whole one (1e-9: rounding is not a cell).
  grid.width = std::max(1, static_cast<int>(std::ceil(columns - 1e-9)));
  grid.height = std::max(1, static_cast<int>(std::ceil(rows - 1e-9)));
  grid.geotransform = {xmin, cell, 0, ymax, 0, -cell};
  grid.wkt = wkt;
  return grid;
}

double MedianSpacing(const std::vector<double>& x, const std::vector<double>& y) {
  const size_t n = x.size();
  if (n < 2) return 0;
  const auto [x_low, x_high] = std::minmax_element(x.begin(), x.end());
  const auto [y_low, y_high] = std::minmax_element(y.begin(), y.end());
  const double x0 = *x_low, y0 = *y_low;
  const double span = std::max(*x_high - x0, *y_high - y0);
  if (!(span > 0)) return 0;
  // Buckets of about one point each; rings of buckets are searched outwards until no closer point can exist.
  const double area = std::max((*x_high - x0) * (*y_high - y0), span * span / double(n));
  const double bucket = std::max(std::sqrt(area / double(n)), span * 1e-9);
  const int columns = static_cast<int>((*x_high - x0) / bucket) + 1,
            rows = static_cast<int>((*y_high - y0) / bucket) + 1;
  std::vector<std::vector<size_t>> buckets(size_t(columns) * rows);
  auto column_of = [&](size_t i) { return std::min(columns - 1, static_cast<int>((x[i] - x0) / bucket)); };
  auto row_of = [&](size_t i) { return std::min(rows - 1, static_cast<int>((y[i] - y0) / bucket)); };
  for (size_t i = 0; i < n; ++i) buckets[size_t(row_of(i)) * columns + column_of(i)].push_back(i);
  std::vector<double> nearest(n);
  for (size_t i = 0; i < n; ++i) {
    const int c = column_of(i), r = row_of(i);
    double best = std::numeric_limits<double>::infinity();
    for (int ring = 0; ring <= std::max(columns, rows); ++ring) {
      if (best <= (ring - 1) * bucket) break;  // every bucket in this ring lies farther than `best`
      for (int rr = r - ring; rr <= r + ring; ++rr) {
        if (rr < 0 || rr >= rows) continue;
        const bool edge_row = rr == r - ring || rr == r + ring;
        for (int cc = c - ring; cc <= c + ring; cc += (edge_row ? 1 : 2 * std::max(ring, 1))) {
          if (cc < 0 || cc >= columns) continue;
          for (size_t j : buckets[size_t(rr) * columns + cc]) {
            if (j != i) best = std::min(best, std::hypot(x[j] - x[i], y[j] - y[i]));
          }
        }
      }
    }
    nearest[i] = best;
  }
  std::nth_element(nearest.begin(), nearest.begin() + n / 2, nearest.end());
  return nearest[n / 2];
}

}  // namespace geoprosp
