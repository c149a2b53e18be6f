#include "geoprosp/io/polygon_mask.hpp"

#include <gdal_priv.h>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "geoprosp/core/error.hpp"
#include "geoprosp/io/open_input.hpp"

namespace geoprosp {
namespace {

// The first grid row (or column) whose centre line k + 0.5 lies at or after `coordinate`, within [0, limit].
int FirstCentreAtOrAfter(double coordinate, int limit) {
  return static_cast<int>(std::clamp(std::ceil(coordinate - 0.5), 0.0, double(limit)));
}

struct DatasetCloser {
  void operator()(GDALDataset* d) const { GDALClose(d); }
};

// The polygons of a geometry (multi-part and curved ones, and those inside collections); others none.
void CollectPolygons(const OGRGeometry& geometry, std::vector<std::unique_ptr<OGRPolygon>>& out) {
  const OGRwkbGeometryType type = wkbFlatten(geometry.getGeometryType());
  if (type == wkbPolygon) {
    out.emplace_back(geometry.toPolygon()->clone());
  } else if (type == wkbCurvePolygon || type == wkbMultiSurface || type == wkbPolyhedralSurface || type == wkbTIN ||
             type == wkbTriangle) {
    std::unique_ptr<OGRGeometry> linear(geometry.getLinearGeometry());
    if (linear && wkbFlatten(linear->getGeometryType()) != type) CollectPolygons(*linear, out);
  } else if (OGR_GT_IsSubClassOf(type, wkbGeometryCollection)) {
    for (const OGRGeometry* part : *geometry.toGeometryCollection()) CollectPolygons(*part, out);
  }
}

}  // namespace

PolygonMask::PolygonMask(const std::string& path, const Grid& grid) : path_(path), grid_(grid) {
  VSIStatBufL stat;
  if (VSIStatL(path.c_str(), &stat) != 0) throw Error(path, "no such file");
  CPLErrorReset();
  std::unique_ptr<GDALDataset, DatasetCloser> dataset(OpenInput(path, GDAL_OF_VECTOR));
  if (!dataset || dataset->GetLayerCount() < 1)
    throw Error(path, "not a vector file OGR can read (" + LastGdalError("no layers") + ")");
  auto geotransform = grid.geotransform;
  double inverse[6];
  if (!GDALInvGeoTransform(geotransform.data(), inverse))
    throw Error(path, "cannot be laid on the rasters: their geotransform cannot be inverted");
  int64_t features = 0, parts_found = 0;
  for (OGRLayer* layer : dataset->GetLayers()) {
    const auto transform = TransformToGrid(layer->GetSpatialRef(), grid, path);
    for (auto& feature : *layer) {
      ++features;
      const OGRGeometry* geometry = feature->GetGeometryRef();
      if (!geometry || geometry->IsEmpty()) continue;
      std::vector<std::unique_ptr<OGRPolygon>> parts;
      CollectPolygons(*geometry, parts);
      parts_found += static_cast<int64_t>(parts.size());
      for (auto& part : parts) {
        if (transform && part->transform(transform.get()) != OGRERR_NONE)
          throw Error(path, "a polygon cannot be reprojected onto the rasters' CRS");
        Polygon polygon;
        double row_min = HUGE_VAL, row_max = -HUGE_VAL;
        for (const OGRLinearRing* ring : *part) {
          const int points = ring->getNumPoints();
          for (int i = 0; i < points; ++i) {
            const int j = (i + 1) % points;  // a closed ring's last edge has no length and is skipped
            const auto pixel = [&](int k, double& px, double& py) {
              const double x = ring->getX(k), y = ring->getY(k);
              px = inverse[0] + x * inverse[1] + y * inverse[2];
              py = inverse[3] + x * inverse[4] + y * inverse[5];
            };
            Edge edge;
            pixel(i, edge.x0, edge.y0);
            pixel(j, edge.x1, edge.y1);
            if (!std::isfinite(edge.x0) || !std::isfinite(edge.y0) || !std::isfinite(edge.x1) ||
                !std::isfinite(edge.y1))
              throw Error(path, "holds a polygon with coordinates that are not finite in the rasters' CRS");
            if (edge.y0 == edge.y1) continue;  // a horizontal edge crosses no row's centre line
            polygon.edges.push_back(edge);
            row_min = std::min({row_min, edge.y0, edge.y1});
            row_max = std::max({row_max, edge.y0, edge.y1});
          }
        }
        if (polygon.edges.empty()) continue;
        // Rows whose centre line y = row + 0.5 lies in [row_min, row_max).
        polygon.row_lo = FirstCentreAtOrAfter(row_min, grid.height);
        polygon.row_hi = FirstCentreAtOrAfter(row_max, grid.height) - 1;
        if (polygon.row_hi < polygon.row_lo) continue;  // off the grid, or between two centre lines
        polygon.buckets.resize((polygon.row_hi - polygon.row_lo) / kBucketRows + 1);
        for (size_t e = 0; e < polygon.edges.size(); ++e) {
          const Edge& edge = polygon.edges[e];
          const double low = std::min(edge.y0, edge.y1), high = std::max(edge.y0, edge.y1);
          const int first = FirstCentreAtOrAfter(low, grid.height);
          const int last = FirstCentreAtOrAfter(high, grid.height) - 1;
          for (int b = (first - polygon.row_lo) / kBucketRows;
               first <= last && b <= (last - polygon.row_lo) / kBucketRows; ++b)
            polygon.buckets[b].push_back(static_cast<uint32_t>(e));
        }
        polygons_.push_back(std::move(polygon));
      }
    }
  }
  if (features == 0) throw Error(path, "holds no features");
  if (parts_found == 0)
    throw Error(path, "holds no polygons: its " + std::to_string(features) + " features are points or lines");
  if (polygons_.empty())
    throw Error(path, "does not overlap the rasters: none of its " + std::to_string(parts_found) +
                          " polygons covers a cell centre (in the rasters' CRS)");
}

void PolygonMask::FillRow(const Polygon& polygon, int row, int x0, int width, std::vector<double>& crossings,
                          uint8_t* inside) const {
  if (row < polygon.row_lo || row > polygon.row_hi) return;
  const double y = row + 0.5;
  crossings.clear();
  for (uint32_t e : polygon.buckets[(row - polygon.row_lo) / kBucketRows]) {
    const Edge& edge = polygon.edges[e];
    if ((edge.y0 <= y) == (edge.y1 <= y)) continue;  // half-open: a vertex on the line counts once
    crossings.push_back(edge.x0 + (y - edge.y0) * (edge.x1 - edge.x0) / (edge.y1 - edge.y0));
  }
  std::sort(crossings.begin(), crossings.end());
  for (size_t k = 0; k + 1 < crossings.size(); k += 2) {
    // Columns whose centre c + 0.5 lies in [crossings[k], crossings[k + 1]).
    const int from = std::max(x0, FirstCentreAtOrAfter(crossings[k], x0 + width));
    const int to = std::max(x0, FirstCentreAtOrAfter(crossings[k + 1], x0 + width));
    for (int c = from; c < to; ++c) inside[c - x0] = 1;
  }
}

void PolygonMask::Fill(int x0, int y0, int width, int height, uint8_t* inside) const {
  std::fill_n(inside, size_t(width) * height, uint8_t(0));
  std::vector<double> crossings;
  for (const Polygon& polygon : polygons_) {
    if (polygon.row_hi < y0 || polygon.row_lo >= y0 + height) continue;
    for (int r = 0; r < height; ++r) FillRow(polygon, y0 + r, x0, width, crossings, inside + size_t(r) * width);
  }
}

int64_t PolygonMask::CountInside(int x0, int y0, int width, int height) const {
  std::vector<uint8_t> row(width);
  int64_t count = 0;
  for (int r = 0; r < height; ++r) {
    Fill(x0, y0 + r, width, 1, row.data());
    count += std::count(row.begin(), row.end(), uint8_t(1));
  }
  return count;
}

}  // namespace geoprosp
