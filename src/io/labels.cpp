#include "geoprosp/io/labels.hpp"

#include <gdal_priv.h>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <limits>
#include <memory>
#include <tuple>

#include "geoprosp/core/element_names.hpp"
#include "geoprosp/core/error.hpp"
#include "geoprosp/core/options.hpp"
#include "geoprosp/io/open_input.hpp"

namespace geoprosp {
namespace {

struct DatasetCloser {
  void operator()(GDALDataset* d) const { GDALClose(d); }
};
using DatasetPtr = std::unique_ptr<GDALDataset, DatasetCloser>;

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

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

// `name` matches `pattern` ("e_*": any text after "e_"), case-insensitively; `rest` gets the "*" part.
bool MatchColumn(const std::string& pattern, const std::string& name, std::string& rest) {
  const std::string lower = Lower(name);
  const size_t star = pattern.find('*');
  if (star == std::string::npos) {
    rest.clear();
    return lower == pattern;
  }
  const std::string head = pattern.substr(0, star), tail = pattern.substr(star + 1);
  if (lower.size() <= head.size() + tail.size() || lower.compare(0, head.size(), head) != 0 ||
      lower.compare(lower.size() - tail.size(), tail.size(), tail) != 0)
    return false;
  rest = lower.substr(head.size(), lower.size() - head.size() - tail.size());
  return true;
}

struct CoordinateColumns {
  int x = -1, y = -1;
  bool geographic = false;  // longitude and latitude
};

CoordinateColumns FindCoordinateColumns(const OGRFeatureDefn& definition, const DepositSource& source,
                                        const std::string& path) {
  std::vector<std::string> names;
  for (int i = 0; i < definition.GetFieldCount(); ++i) names.push_back(definition.GetFieldDefn(i)->GetNameRef());
  std::string found;
  for (const auto& name : names) found += (found.empty() ? "" : ", ") + name;
  CoordinateColumns columns;
  if (!source.x_field.empty()) {
    for (const auto& [field, option, index] :
         {std::tuple{source.x_field, "--x-field", &columns.x}, std::tuple{source.y_field, "--y-field", &columns.y}}) {
      *index = definition.GetFieldIndex(field.c_str());
      if (*index < 0)
        throw Error(path, std::string("has no column '") + field + "' (" + option + "); its columns: " + found);
    }
    return columns;
  }
  const auto& pairs = KnownCoordinateColumns();
  for (size_t p = 0; p < pairs.size(); ++p) {
    for (size_t i = 0; i < names.size(); ++i) {
      std::string x_rest, y_rest;
      if (!MatchColumn(pairs[p].first, names[i], x_rest)) continue;
      for (size_t j = 0; j < names.size(); ++j) {
        if (j != i && MatchColumn(pairs[p].second, names[j], y_rest) && x_rest == y_rest) {
          columns.x = static_cast<int>(i);
          columns.y = static_cast<int>(j);
          columns.geographic = pairs[p].first.rfind("lon", 0) == 0;
          return columns;
        }
      }
    }
  }
  std::string accepted;
  for (const auto& [x, y] : pairs) accepted += (accepted.empty() ? "" : ", ") + x + "/" + y;
  throw Error(path, "holds no geometries and no coordinate columns it recognises; its columns: " +
                        (found.empty() ? std::string("none") : found) + ". Recognised (any case): " + accepted +
                        ". Name the columns with --x-field and --y-field");
}

// A coordinate from a column: text (CSV) or a number; anything else is an error naming the row.
double Coordinate(const OGRFeature& feature, int field, const std::string& path) {
  const char* column = feature.GetFieldDefnRef(field)->GetNameRef();
  const std::string row = "row " + std::to_string(feature.GetFID());
  if (!feature.IsFieldSetAndNotNull(field)) throw Error(path, row + " has no " + column + " value");
  const char* text = feature.GetFieldAsString(field);
  char* end = nullptr;
  const double value = CPLStrtod(text, &end);
  while (end && std::isspace(static_cast<unsigned char>(*end))) ++end;
  if (end == text || (end && *end) || !std::isfinite(value))
    throw Error(path, row + ": " + column + " holds '" + text + "', not a number");
  return value;
}

// The column that names deposits, if any.
int NameField(const OGRFeatureDefn& definition) {
  for (const char* name : {"name", "site_name", "short_name", "site_title", "deposit"}) {
    for (int i = 0; i < definition.GetFieldCount(); ++i) {
      if (Lower(definition.GetFieldDefn(i)->GetNameRef()) == name) return i;
    }
  }
  return -1;
}

}  // namespace

const std::vector<std::pair<std::string, std::string>>& KnownCoordinateColumns() {
  static const std::vector<std::pair<std::string, std::string>> pairs = {
      {"x", "y"},     {"point_x", "point_y"}, {"easting", "northing"},   {"east", "north"}, {"e_*", "n_*"},
      {"x_*", "y_*"}, {"*_x", "*_y"},         {"longitude", "latitude"}, {"lon", "lat"},    {"long", "lat"},
      {"lng", "lat"}, {"lon_*", "lat_*"},     {"long_*", "lat_*"}};
  return pairs;
}

std::vector<DepositPoint> ReadDeposits(const DepositSource& source, const Grid& grid) {
  const std::string& path = source.path;
  if (source.x_field.empty() != source.y_field.empty())
    throw UsageError(source.x_field.empty() ? "--y-field" : "--x-field", "needs the other of --x-field and --y-field");
  VSIStatBufL stat;
  if (VSIStatL(path.c_str(), &stat) != 0) throw Error(path, "no such file");
  CPLErrorReset();
  DatasetPtr dataset(OpenInput(path, GDAL_OF_VECTOR));
  if (!dataset || dataset->GetLayerCount() < 1) {
    throw Error(path, "not a vector file OGR can read (" + LastGdalError("no layers") + ")");
  }
  OGRLayer* layer = dataset->GetLayer(0);
  OGRFeatureDefn* definition = layer->GetLayerDefn();
  // Coordinates come from the geometries, or from two columns of a table (or when asked for).
  const bool from_columns = !source.x_field.empty() || definition->GetGeomFieldCount() == 0;
  CoordinateColumns columns;
  if (from_columns) columns = FindCoordinateColumns(*definition, source, path);

  OGRSpatialReference declared;
  const OGRSpatialReference* crs = layer->GetSpatialRef();
  if (!source.srs.empty()) {
    if (declared.SetFromUserInput(source.srs.c_str()) != OGRERR_NONE) {
      throw UsageError("--deposits-srs", "unknown CRS '" + source.srs + "'");
    }
    crs = &declared;
  } else if (!crs && columns.geographic) {
    declared.SetFromUserInput("EPSG:4326");  // longitude/latitude columns: WGS 84 unless said otherwise
    crs = &declared;
  }
  const bool crs_assumed = crs == nullptr;
  auto transform = TransformToGrid(crs, grid, path);
  std::vector<DepositPoint> points;
  const int name_field = NameField(*definition);
  for (auto& feature : *layer) {
    DepositPoint p;
    if (from_columns) {
      p.x = Coordinate(*feature, columns.x, path);
      p.y = Coordinate(*feature, columns.y, path);
    } else {
      const OGRGeometry* geometry = feature->GetGeometryRef();
      if (!geometry || geometry->IsEmpty()) continue;
      OGRPoint point;
      if (wkbFlatten(geometry->getGeometryType()) == wkbPoint) {
        point = *geometry->toPoint();
      } else if (geometry->Centroid(&point) != OGRERR_NONE) {
        continue;
      }
      p.x = point.getX();
      p.y = point.getY();
    }
    p.name = name_field >= 0 ? feature->GetFieldAsString(name_field) : std::to_string(feature->GetFID());
    if (transform && !transform->Transform(1, &p.x, &p.y)) throw Error(path, "a deposit cannot be reprojected");
    points.push_back(p);
  }
  if (points.empty()) throw Error(path, from_columns ? "holds no rows" : "holds no deposit geometries");
  return InsideGrid(std::move(points), grid, path, crs_assumed);
}

std::vector<DepositPoint> ReadLabelRaster(const std::string& path, const Grid& grid, double positive_value) {
  VSIStatBufL stat;
  if (VSIStatL(path.c_str(), &stat) != 0) throw Error(path, "no such file");
  DatasetPtr dataset(OpenInput(path, GDAL_OF_RASTER));
  if (!dataset) throw Error(path, "not a raster GDAL can read (" + LastGdalError("unknown format") + ")");
  const Grid labels = GridOf(*dataset);
  auto transform = TransformToGrid(dataset->GetSpatialRef(), grid, path);
  GDALRasterBand* band = dataset->GetRasterBand(1);
  double scale = 1, offset = 0;
  BandScaleOffset(*band, path, scale, offset);
  const double tolerance = 1e-9 * std::max(1.0, std::abs(positive_value));
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
      if (!row_mask[col] || !(std::abs(row_values[col] * scale + offset - positive_value) <= tolerance)) continue;
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

Commodity DepositCommodity(const std::string& path, const std::string& stated) {
  Commodity commodity;
  if (!stated.empty()) {
    for (const auto& item : SplitList(stated)) {
      const std::string element = CanonicalElement(item);
      const auto named = CommodityElements(item);
      if (element.empty() && named.empty()) throw UsageError("--commodity", "'" + item + "' names no element");
      commodity.elements.push_back(element.empty() ? named.front() : element);
    }
    commodity.from = "--commodity";
    return commodity;
  }
  CPLErrorReset();
  CPLPushErrorHandler(CPLQuietErrorHandler);  // a raster of labels is no vector: then only its name tells
  DatasetPtr dataset(OpenInput(path, GDAL_OF_VECTOR));
  CPLPopErrorHandler();
  CPLErrorReset();
  if (dataset && dataset->GetLayerCount() > 0) {
    OGRLayer* layer = dataset->GetLayer(0);
    std::vector<int> fields;
    std::string names;
    for (int i = 0; i < layer->GetLayerDefn()->GetFieldCount(); ++i) {
      const std::string name = Lower(layer->GetLayerDefn()->GetFieldDefn(i)->GetNameRef());
      if (name.find("commo") == std::string::npos && name.rfind("target_com", 0) != 0) continue;
      fields.push_back(i);
      names += (names.empty() ? "" : ", ") + std::string(layer->GetLayerDefn()->GetFieldDefn(i)->GetNameRef());
    }
    if (!fields.empty()) {
      for (auto& feature : *layer) {
        for (int field : fields) {
          for (const auto& element : CommodityElements(feature->GetFieldAsString(field))) {
            if (std::find(commodity.elements.begin(), commodity.elements.end(), element) == commodity.elements.end())
              commodity.elements.push_back(element);
          }
        }
      }
      layer->ResetReading();
      if (!commodity.elements.empty()) {
        commodity.from = "column " + names + " of " + path;
        return commodity;
      }
    }
  }
  if (const std::string element = FindElement(std::filesystem::path(path).stem().string()); !element.empty()) {
    commodity.elements = {element};
    commodity.from = "the name of " + path;
  }
  return commodity;
}

int WarnAboutCommodityInputs(const RasterStack& stack, const Commodity& commodity) {
  int warned = 0;
  for (size_t e = 0; e < stack.elements().size(); ++e) {
    const std::string& element = stack.elements()[e];
    if (std::find(commodity.elements.begin(), commodity.elements.end(), element) == commodity.elements.end()) continue;
    CPLError(CE_Warning, CPLE_AppDefined,
             "%s is %s, the deposits' commodity (from %s): the model will learn where %s itself is high, not what "
             "predicts it. Leave it out (--elements) unless that is what you want.",
             stack.path(e).c_str(), element.c_str(), commodity.from.c_str(), element.c_str());
    ++warned;
  }
  return warned;
}

}  // namespace geoprosp
