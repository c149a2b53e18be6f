#include "geoprosp/io/labels.hpp"

#include <gdal_priv.h>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include "geoprosp/core/error.hpp"

namespace geoprosp {
namespace {

struct DatasetCloser {
  void operator()(GDALDataset* d) const { GDALClose(d); }
};
using DatasetPtr = std::unique_ptr<GDALDataset, DatasetCloser>;

std::unique_ptr<OGRCoordinateTransformation> TransformTo(const OGRSpatialReference* source, const Grid& grid,
                                                         const std::string& path) {
  if (!source || grid.wkt.empty()) return nullptr;
  OGRSpatialReference target;
  target.importFromWkt(grid.wkt.c_str());
  target.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  OGRSpatialReference from(*source);
  from.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  if (from.IsSame(&target)) return nullptr;
  std::unique_ptr<OGRCoordinateTransformation> transform(OGRCreateCoordinateTransformation(&from, &target));
  if (!transform) throw Error(path, "its CRS cannot be transformed to the rasters' CRS: " + LastGdalError("unknown"));
  return transform;
}

std::vector<DepositPoint> InsideGrid(std::vector<DepositPoint> points, const Grid& grid, const std::string& path,
                                     bool crs_assumed) {
  const size_t total = points.size();
  points.erase(std::remove_if(points.begin(), points.end(),
                              [&](const DepositPoint& p) {
                                int col, row;
                                return !grid.CellAt(p.x, p.y, col, row);
                              }),
               points.end());
  if (points.empty()) {
    std::string hint = crs_assumed ? " (the file declares no CRS, so the rasters' CRS was assumed; if the points are in"
                                     " another CRS, say which with --deposits-srs)"
                                   : "";
    throw Error(path, "none of its " + std::to_string(total) + " deposits lies inside the rasters" + hint);
  }
  return points;
}

}  // namespace

std::vector<DepositPoint> ReadDeposits(const std::string& path, const Grid& grid, const std::string& srs_override) {
  VSIStatBufL stat;
  if (VSIStatL(path.c_str(), &stat) != 0) throw Error(path, "no such file");
  CPLStringList open_options;
  if (EQUAL(CPLGetExtension(path.c_str()), "csv")) {
    open_options.AddString("X_POSSIBLE_NAMES=x,X,x_*,X_*,easting,Easting,EASTING,lon*,Lon*,LON*");
    open_options.AddString("Y_POSSIBLE_NAMES=y,Y,y_*,Y_*,northing,Northing,NORTHING,lat*,Lat*,LAT*");
    open_options.AddString("KEEP_GEOM_COLUMNS=NO");
  }
  CPLErrorReset();
  DatasetPtr dataset(GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, open_options.List()));
  if (!dataset || dataset->GetLayerCount() < 1) {
    throw Error(path, "not a vector file OGR can read (" + LastGdalError("no layers") + ")");
  }
  OGRLayer* layer = dataset->GetLayer(0);
  OGRSpatialReference declared;
  const OGRSpatialReference* source = layer->GetSpatialRef();
  if (!srs_override.empty()) {
    if (declared.SetFromUserInput(srs_override.c_str()) != OGRERR_NONE) {
      throw UsageError("--deposits-srs", "unknown CRS '" + srs_override + "'");
    }
    source = &declared;
  }
  const bool crs_assumed = source == nullptr;
  auto transform = TransformTo(source, grid, path);
  std::vector<DepositPoint> points;
  const int name_field = layer->GetLayerDefn()->GetFieldIndex("name");
  for (auto& feature : *layer) {
    const OGRGeometry* geometry = feature->GetGeometryRef();
    if (!geometry || geometry->IsEmpty()) continue;
    OGRPoint point;
    if (wkbFlatten(geometry->getGeometryType()) == wkbPoint) {
      point = *geometry->toPoint();
    } else if (geometry->Centroid(&point) != OGRERR_NONE) {
      continue;
    }
    DepositPoint p{point.getX(), point.getY(),
                   name_field >= 0 ? feature->GetFieldAsString(name_field) : std::to_string(feature->GetFID())};
    if (transform && !transform->Transform(1, &p.x, &p.y)) throw Error(path, "a deposit cannot be reprojected");
    points.push_back(p);
  }
  if (points.empty()) throw Error(path, "holds no deposit geometries");
  return InsideGrid(std::move(points), grid, path, crs_assumed);
}

std::vector<DepositPoint> ReadLabelRaster(const std::string& path, const Grid& grid, double positive_value) {
  VSIStatBufL stat;
  if (VSIStatL(path.c_str(), &stat) != 0) throw Error(path, "no such file");
  DatasetPtr dataset(GDALDataset::Open(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY));
  if (!dataset) throw Error(path, "not a raster GDAL can read (" + LastGdalError("unknown format") + ")");
  const Grid labels = GridOf(*dataset);
  auto transform = TransformTo(dataset->GetSpatialRef(), grid, path);
  GDALRasterBand* band = dataset->GetRasterBand(1);
  std::vector<double> row_values(labels.width);
  std::vector<uint8_t> row_mask(labels.width);
  std::vector<DepositPoint> points;
  for (int row = 0; row < labels.height; ++row) {
    if (band->RasterIO(GF_Read, 0, row, labels.width, 1, row_values.data(), labels.width, 1, GDT_Float64, 0, 0,
                       nullptr) != CE_None ||
        band->GetMaskBand()->RasterIO(GF_Read, 0, row, labels.width, 1, row_mask.data(), labels.width, 1, GDT_Byte, 0,
                                      0, nullptr) != CE_None) {
      throw Error(path, "read failed: " + LastGdalError("I/O error"));
    }
    for (int col = 0; col < labels.width; ++col) {
      if (!row_mask[col] || row_values[col] != positive_value) continue;
      DepositPoint p;
      labels.CellCentre(col, row, p.x, p.y);
      p.name = "label r" + std::to_string(row) + " c" + std::to_string(col);
      if (transform && !transform->Transform(1, &p.x, &p.y)) throw Error(path, "a label cell cannot be reprojected");
      points.push_back(p);
    }
  }
  if (points.empty()) throw Error(path, "holds no cell valued " + std::to_string(positive_value) + " (no deposits)");
  return InsideGrid(std::move(points), grid, path, dataset->GetSpatialRef() == nullptr);
}

std::vector<int64_t> CellsNearPoints(const std::vector<DepositPoint>& points, const Grid& grid, double radius) {
  std::vector<int64_t> cells;
  const double pixel = std::min(std::abs(grid.geotransform[1]), std::abs(grid.geotransform[5]));
  const int reach = static_cast<int>(std::ceil(radius / pixel)) + 1;
  for (const auto& p : points) {
    int col, row;
    if (!grid.CellAt(p.x, p.y, col, row)) continue;
    cells.push_back(int64_t(row) * grid.width + col);
    if (radius <= 0) continue;
    for (int r = std::max(0, row - reach); r <= std::min(grid.height - 1, row + reach); ++r) {
      for (int c = std::max(0, col - reach); c <= std::min(grid.width - 1, col + reach); ++c) {
        double x, y;
        grid.CellCentre(c, r, x, y);
        if (std::hypot(x - p.x, y - p.y) <= radius) cells.push_back(int64_t(r) * grid.width + c);
      }
    }
  }
  std::sort(cells.begin(), cells.end());
  cells.erase(std::unique(cells.begin(), cells.end()), cells.end());
  return cells;
}

std::vector<float> DistanceToNearest(const std::vector<DepositPoint>& points, const Grid& grid) {
  std::vector<float> distance(size_t(grid.width) * grid.height, std::numeric_limits<float>::infinity());
  for (int row = 0; row < grid.height; ++row) {
    for (int col = 0; col < grid.width; ++col) {
      double x, y, best = std::numeric_limits<double>::infinity();
      grid.CellCentre(col, row, x, y);
      for (const auto& p : points) best = std::min(best, std::hypot(x - p.x, y - p.y));
      distance[size_t(row) * grid.width + col] = static_cast<float>(best);
    }
  }
  return distance;
}

}  // namespace geoprosp
