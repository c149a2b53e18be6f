#include "geoprosp/products/areas.hpp"

#include <gdal_alg.h>
#include <gdal_priv.h>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "geoprosp/core/error.hpp"
#include "geoprosp/core/file_tree.hpp"
#include "geoprosp/core/options.hpp"
#include "geoprosp/io/open_input.hpp"
#include "geoprosp/io/raster_output.hpp"

namespace fs = std::filesystem;

namespace geoprosp {
namespace {

struct DatasetCloser {
  void operator()(GDALDataset* d) const { GDALClose(d); }
};
using DatasetPtr = std::unique_ptr<GDALDataset, DatasetCloser>;

struct MinSize {
  double value = 0;
  bool in_cells = true;  // else km²
};

MinSize ParseMinSize(const std::string& text) {
  const char* begin = text.c_str();
  char* end = nullptr;
  const double value = std::strtod(begin, &end);
  std::string unit(end);
  unit.erase(0, unit.find_first_not_of(' '));
  if (end == begin || !std::isfinite(value)) {
    throw UsageError("--areas-min-size", "expects a size like 10cells or 0.5km2, got '" + text + "'");
  }
  if (value < 0) throw UsageError("--areas-min-size", "must not be negative, got '" + text + "'");
  if (unit == "cells" || unit == "cell") return {value, true};
  if (unit == "km2" || unit == "km²") return {value, false};
  throw UsageError("--areas-min-size", "needs the unit cells or km2, e.g. 10cells or 0.5km2, got '" + text + "'");
}

DatasetPtr OpenRaster(const std::string& path) {
  CPLErrorReset();
  DatasetPtr dataset(OpenInput(path, GDAL_OF_RASTER));
  if (!dataset) throw Error(path, "not a raster GDAL can read (" + LastGdalError("no such file") + ")");
  return dataset;
}

void ReadRow(GDALRasterBand* band, int row, GDALDataType type, void* data, const std::string& path) {
  if (band->RasterIO(GF_Read, 0, row, band->GetXSize(), 1, data, band->GetXSize(), 1, type, 0, 0, nullptr) != CE_None)
    throw Error(path, "read failed: " + LastGdalError("I/O error"));
}

// Reads probability rows, with nodata and non-finite values as NaN.
class ProbabilityRows {
 public:
  ProbabilityRows(GDALDataset& dataset, const std::string& path)
      : band_(dataset.GetRasterBand(1)), path_(path), row_(dataset.GetRasterXSize()) {
    nodata_ = band_->GetNoDataValue(&has_nodata_);
  }
  const std::vector<float>& Read(int row) {
    ReadRow(band_, row, GDT_Float32, row_.data(), path_);
    for (float& p : row_) {
      if ((has_nodata_ && p == static_cast<float>(nodata_)) || !std::isfinite(p)) p = std::nanf("");
    }
    return row_;
  }

 private:
  GDALRasterBand* band_;
  std::string path_;
  std::vector<float> row_;
  double nodata_ = 0;
  int has_nodata_ = 0;
};

// Reads rows of a contributions raster (one band per element, named by its description); nodata and
// non-finite values as NaN.
class ContributionRows {
 public:
  ContributionRows(GDALDataset& dataset, const std::string& path)
      : dataset_(dataset), path_(path), width_(dataset.GetRasterXSize()) {
    for (int b = 1; b <= dataset.GetRasterCount(); ++b) {
      const std::string name = dataset.GetRasterBand(b)->GetDescription();
      if (name.empty()) throw Error(path, "band " + std::to_string(b) + " names no element (no band description)");
      elements_.push_back(name);
    }
    if (elements_.empty()) throw Error(path, "has no band");
    nodata_ = dataset.GetRasterBand(1)->GetNoDataValue(&has_nodata_);
    row_.resize(elements_.size() * size_t(width_));
  }
  const std::vector<std::string>& elements() const { return elements_; }
  // Band-major: element e of column c at [e * width + c].
  const std::vector<float>& Read(int row) {
    CPLErr result = dataset_.RasterIO(GF_Read, 0, row, width_, 1, row_.data(), width_, 1, GDT_Float32,
                                      static_cast<int>(elements_.size()), nullptr, 0, 0, 0, nullptr);
    if (result != CE_None) throw Error(path_, "read failed: " + LastGdalError("I/O error"));
    for (float& value : row_) {
      if ((has_nodata_ && value == static_cast<float>(nodata_)) || !std::isfinite(value)) value = std::nanf("");
    }
    return row_;
  }

 private:
  GDALDataset& dataset_;
  std::string path_;
  int width_;
  std::vector<std::string> elements_;
  std::vector<float> row_;
  double nodata_ = 0;
  int has_nodata_ = 0;
};

// Every cell's class (kClassNodata outside the valid area): from the classes raster, whose
// values above 3 are nodata, or from the probability and the class breaks.
std::vector<uint8_t> ReadClasses(const AreasRequest& request, GDALDataset* classes, GDALDataset& probability) {
  const int width = probability.GetRasterXSize(), height = probability.GetRasterYSize();
  std::vector<uint8_t> out(size_t(width) * height);
  ProbabilityRows probability_rows(probability, request.probability);
  for (int row = 0; row < height; ++row) {
    uint8_t* cls = out.data() + size_t(row) * width;
    if (classes) {
      ReadRow(classes->GetRasterBand(1), row, GDT_Byte, cls, request.classes);
      for (int c = 0; c < width; ++c) cls[c] = cls[c] > 3 ? kClassNodata : cls[c];
    } else {
      const auto& p = probability_rows.Read(row);
      const auto& breaks = request.class_breaks;  // class = how many breaks p reaches, as in ClassOf
      for (int c = 0; c < width; ++c) {
        cls[c] = std::isnan(p[c]) ? kClassNodata
                                  : uint8_t(std::upper_bound(breaks.begin(), breaks.end(), p[c]) - breaks.begin());
      }
    }
    if (request.cell_flags.empty()) continue;
    const uint8_t* flags = request.cell_flags.data() + size_t(row) * width;
    for (int c = 0; c < width; ++c) {
      if (flags[c] & kCellExcluded) cls[c] = kClassNodata;
    }
  }
  return out;
}

// 8-connected regions of the cells marked `inside`, labelled 1..count in scan order (0 outside):
// two passes with union-find.
std::vector<int32_t> LabelRegions(const std::vector<uint8_t>& inside, int width, int height, int& count) {
  std::vector<int32_t> labels(inside.size(), 0);
  std::vector<int32_t> parent = {0};
  auto root = [&](int32_t a) {
    while (parent[a] != a) a = parent[a] = parent[parent[a]];
    return a;
  };
  for (int row = 0; row < height; ++row) {
    for (int col = 0; col < width; ++col) {
      const size_t cell = size_t(row) * width + col;
      if (!inside[cell]) continue;
      int32_t label = 0;
      const int neighbours[4][2] = {{-1, 0}, {-1, -1}, {0, -1}, {1, -1}};  // W, NW, N, NE: already seen
      for (const auto& [dx, dy] : neighbours) {
        const int c = col + dx, r = row + dy;
        if (c < 0 || c >= width || r < 0) continue;
        const int32_t other = labels[size_t(r) * width + c];
        if (!other) continue;
        if (!label) {
          label = root(other);
        } else {
          const int32_t a = root(label), b = root(other);
          if (a != b) parent[std::max(a, b)] = std::min(a, b);
          label = std::min(a, b);
        }
      }
      if (!label) {
        label = static_cast<int32_t>(parent.size());
        parent.push_back(label);
      }
      labels[cell] = label;
    }
  }
  std::vector<int32_t> final_label(parent.size(), 0);
  count = 0;
  for (size_t l = 1; l < parent.size(); ++l) {
    const int32_t r = root(static_cast<int32_t>(l));
    final_label[l] = r == int32_t(l) ? ++count : final_label[r];  // roots come first: they are the smallest
  }
  for (auto& label : labels) label = final_label[label];
  return labels;
}

// A cell's area is km2 * row_weight[row]: the weight is 1 in a projected CRS (so sums of cells
// stay exact) and cos(latitude) in a geographic one. Without a CRS the unit is the metre.
struct CellAreas {
  double km2 = 0;
  std::vector<double> row_weight;
};

CellAreas CellAreasOf(const Grid& grid) {
  OGRSpatialReference srs;
  const bool has_crs = !grid.wkt.empty() && srs.importFromWkt(grid.wkt.c_str()) == OGRERR_NONE;
  const bool geographic = has_crs && srs.IsGeographic();
  const double radians = geographic ? srs.GetAngularUnits() : 0;
  const double metres = geographic ? srs.GetSemiMajor() * radians : has_crs ? srs.GetLinearUnits() : 1.0;
  CellAreas areas{grid.CellArea() * metres * metres / 1e6, std::vector<double>(grid.height, 1.0)};
  for (int row = 0; geographic && row < grid.height; ++row) {
    double x, y;
    grid.CellCentre(0, row, x, y);
    areas.row_weight[row] = std::cos(y * radians);
  }
  return areas;
}

struct Region {
  TargetArea area;
  double weighted_cells = 0, weighted_x = 0, weighted_y = 0;  // sums of row weights, times the cell centre
  int64_t high_cells = 0, probability_cells = 0, outside_cells = 0;
  double probability_sum = 0;
  std::vector<double> contribution_sum;  // per element
  int64_t contribution_cells = 0;
};

bool MoreProspective(const TargetArea& a, const TargetArea& b) {
  if (a.mean_prob != b.mean_prob) return a.mean_prob > b.mean_prob;
  if (a.max_prob != b.max_prob) return a.max_prob > b.max_prob;
  if (a.area_km2 != b.area_km2) return a.area_km2 > b.area_km2;
  if (a.cy != b.cy) return a.cy > b.cy;  // north first, then west
  return a.cx < b.cx;
}

void SetLonLat(const Grid& grid, std::vector<TargetArea>& areas) {
  std::unique_ptr<OGRCoordinateTransformation> to_wgs84;
  if (!grid.wkt.empty()) {
    OGRSpatialReference source, wgs84;
    source.importFromWkt(grid.wkt.c_str());
    source.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    wgs84.importFromEPSG(4326);
    wgs84.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    to_wgs84.reset(OGRCreateCoordinateTransformation(&source, &wgs84));
  }
  for (auto& area : areas) {
    area.lon = area.cx, area.lat = area.cy;
    if (!to_wgs84 || !to_wgs84->Transform(1, &area.lon, &area.lat)) area.lon = area.lat = std::nan("");
  }
}

std::string QmlPath(const std::string& output) { return CPLResetExtension(output.c_str(), "qml"); }

// The classes' fill colours, as in the classes raster's colour table.

// A QGIS style: fill categorized by class (translucent, so the probability raster shows through),
// labelled with the rank and, below it, the elements that drive the area. Written in the <prop> form that every QGIS 3
// reads.
std::string AreasQml(int min_class) {
  std::string categories, symbols;
  for (int c = min_class; c <= 3; ++c) {
    const std::string symbol = std::to_string(c - min_class);
    categories += "      <category value=\"" + std::to_string(c) + "\" symbol=\"" + symbol + "\" label=\"" +
                  ClassNames()[c] + "\" render=\"true\"/>\n";
    symbols += "      <symbol type=\"fill\" name=\"" + symbol +
               "\" alpha=\"1\" clip_to_extent=\"1\" force_rhr=\"0\">\n"
               "        <layer class=\"SimpleFill\" enabled=\"1\" locked=\"0\" pass=\"0\">\n"
               "          <prop k=\"color\" v=\"" +
               std::to_string(ClassColours()[c].red) + "," + std::to_string(ClassColours()[c].green) + "," +
               std::to_string(ClassColours()[c].blue) +
               ",110\"/>\n"
               "          <prop k=\"style\" v=\"solid\"/>\n"
               "          <prop k=\"outline_color\" v=\"40,40,40,255\"/>\n"
               "          <prop k=\"outline_style\" v=\"solid\"/>\n"
               "          <prop k=\"outline_width\" v=\"0.5\"/>\n"
               "          <prop k=\"outline_width_unit\" v=\"MM\"/>\n"
               "          <prop k=\"joinstyle\" v=\"miter\"/>\n"
               "        </layer>\n"
               "      </symbol>\n";
  }
  return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
         "<qgis version=\"3.22.0\" styleCategories=\"Symbology|Labeling\" labelsEnabled=\"1\">\n"
         "  <renderer-v2 type=\"categorizedSymbol\" attr=\"class\" symbollevels=\"0\" enableorderby=\"0\" "
         "forceraster=\"0\">\n"
         "    <categories>\n" +
         categories +
         "    </categories>\n"
         "    <symbols>\n" +
         symbols +
         "    </symbols>\n"
         "  </renderer-v2>\n"
         "  <labeling type=\"simple\">\n"
         "    <settings calloutType=\"simple\">\n"
         "      <text-style fieldName=\"concat(&quot;rank&quot;, if(coalesce(&quot;top_elems&quot;, '') = '', '', "
         "'\\n' || &quot;top_elems&quot;))\" isExpression=\"1\" fontFamily=\"Sans Serif\" fontSize=\"10\" "
         "fontSizeUnit=\"Point\" fontWeight=\"75\" textColor=\"0,0,0,255\" textOpacity=\"1\">\n"
         "        <text-buffer bufferDraw=\"1\" bufferSize=\"1\" bufferSizeUnits=\"MM\" "
         "bufferColor=\"255,255,255,255\" bufferOpacity=\"1\" bufferNoFill=\"1\" bufferJoinStyle=\"128\"/>\n"
         "      </text-style>\n"
         "      <placement placement=\"1\" centroidInside=\"1\" centroidWhole=\"0\" fitInPolygonOnly=\"0\" "
         "priority=\"5\"/>\n"
         "      <rendering drawLabels=\"1\" obstacle=\"1\" obstacleType=\"1\" upsidedownLabels=\"0\"/>\n"
         "    </settings>\n"
         "  </labeling>\n"
         "  <layerGeometryType>2</layerGeometryType>\n"
         "</qgis>\n";
}

// Stores the style the way QGIS does in a GeoPackage (a layer_styles table), as the layer's default.
void AddGpkgStyle(GDALDataset& dataset, OGRLayer& layer, const std::string& qml, const std::string& output) {
  CPLStringList options;
  options.AddString("FID=id");
  OGRLayer* styles = dataset.CreateLayer("layer_styles", nullptr, wkbNone, options.List());
  if (!styles) throw Error(output, "cannot add the layer_styles table: " + LastGdalError(""));
  const std::pair<const char*, int> text_fields[] = {{"f_table_catalog", 256},
                                                     {"f_table_schema", 256},
                                                     {"f_table_name", 256},
                                                     {"f_geometry_column", 256},
                                                     {"styleName", 30},
                                                     {"styleQML", 0},
                                                     {"styleSLD", 0},
                                                     {"description", 0},
                                                     {"owner", 30},
                                                     {"ui", 30}};
  for (const auto& [name, width] : text_fields) {
    OGRFieldDefn field(name, OFTString);
    field.SetWidth(width);
    styles->CreateField(&field);
  }
  OGRFieldDefn use_as_default("useAsDefault", OFTInteger);
  use_as_default.SetSubType(OFSTBoolean);
  styles->CreateField(&use_as_default);
  OGRFieldDefn update_time("update_time", OFTDateTime);
  update_time.SetDefault("CURRENT_TIMESTAMP");
  styles->CreateField(&update_time);

  OGRFeature style(styles->GetLayerDefn());
  style.SetField("f_table_catalog", "");
  style.SetField("f_table_schema", "");
  style.SetField("f_table_name", layer.GetName());
  style.SetField("f_geometry_column", layer.GetGeometryColumn());
  style.SetField("styleName", layer.GetName());
  style.SetField("styleQML", qml.c_str());
  style.SetField("styleSLD", "");
  style.SetField("description", "geoprosp target areas: fill by class, labelled with the rank and the top elements");
  style.SetField("useAsDefault", 1);
  if (styles->CreateFeature(&style) != OGRERR_NONE)
    throw Error(output, "cannot store the layer style: " + LastGdalError(""));
}

// The areas' polygons, by rank: GDALPolygonize of the rank raster (0 outside any area).
std::vector<std::unique_ptr<OGRGeometry>> Polygonize(std::vector<int32_t>& ranks, const Grid& grid, size_t count,
                                                     const Progress& progress) {
  DatasetPtr raster(
      GetGDALDriverManager()->GetDriverByName("MEM")->Create("", grid.width, grid.height, 0, GDT_Int32, nullptr));
  CPLStringList band_options;
  band_options.AddString(CPLSPrintf("DATAPOINTER=%p", static_cast<void*>(ranks.data())));
  raster->AddBand(GDT_Int32, band_options.List());
  auto geotransform = grid.geotransform;
  raster->SetGeoTransform(geotransform.data());
  DatasetPtr vectors(GetGDALDriverManager()->GetDriverByName("Memory")->Create("", 0, 0, 0, GDT_Unknown, nullptr));
  OGRLayer* layer = vectors->CreateLayer("areas", nullptr, wkbPolygon, nullptr);
  OGRFieldDefn rank_field("rank", OFTInteger);
  layer->CreateField(&rank_field);
  CPLStringList options;
  options.AddString("8CONNECTED=8");
  GDALRasterBand* band = raster->GetRasterBand(1);
  // The band is its own mask: only non-zero cells (the areas) become polygons.
  if (GDALPolygonize(band, band, layer, 0, options.List(), progress.func, progress.data) != CE_None) {
    throw Error("GDALPolygonize", "failed on the areas: " + LastGdalError("unknown error"));
  }
  std::vector<std::unique_ptr<OGRGeometry>> polygons(count);
  for (auto& feature : *layer) {
    auto& multi = polygons.at(feature->GetFieldAsInteger(0) - 1);
    if (!multi) multi = std::make_unique<OGRMultiPolygon>();
    multi->toMultiPolygon()->addGeometry(feature->GetGeometryRef());
  }
  return polygons;
}

void WriteAreas(const AreasRequest& request, OutputSet& outputs, const Grid& grid, const std::vector<TargetArea>& areas,
                std::vector<std::unique_ptr<OGRGeometry>> polygons, const std::string& qml) {
  const VectorFormat& format = AreasFormatFor(request.output);
  GDALDriver* driver = GetGDALDriverManager()->GetDriverByName(format.driver.c_str());
  const std::string path = outputs.Stage("--areas", request.output, OutputForm::Dataset);
  CPLErrorReset();
  DatasetPtr dataset(driver->Create(path.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
  const auto failure = [&](const std::string& what, const std::string& fallback) {
    return Error(request.output, what + ": " + Unstaged(LastWriteError(fallback, path), path, request.output));
  };
  if (!dataset) throw failure("cannot be created", "unknown error");

  // x = easting (or longitude), y = northing: the order the polygons are in. Without it a CRS
  // whose official axis order is northing first (EPSG:4547) comes out swapped wherever the driver
  // reprojects (KML, GeoJSON sequences) or writes axes in the official order (GML).
  OGRSpatialReference srs;
  if (!grid.wkt.empty()) srs.importFromWkt(grid.wkt.c_str());
  srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  CPLStringList layer_options;
  for (const auto& option : format.layer_options) layer_options.AddString(option.c_str());
  OGRLayer* layer = dataset->CreateLayer(CPLGetBasename(request.output.c_str()), grid.wkt.empty() ? nullptr : &srs,
                                         wkbMultiPolygon, layer_options.List());
  if (!layer) throw failure("cannot add a layer", "unknown error");
  const std::pair<const char*, OGRFieldType> fields[] = {
      {"id", OFTInteger},         {"rank", OFTInteger},    {"class", OFTInteger},     {"high_share", OFTReal},
      {"area_km2", OFTReal},      {"cells", OFTInteger64}, {"mean_prob", OFTReal},    {"max_prob", OFTReal},
      {"n_deposits", OFTInteger}, {"deposits", OFTString}, {"top_elems", OFTString},  {"contrib_1", OFTReal},
      {"contrib_2", OFTReal},     {"contrib_3", OFTReal},  {"cx", OFTReal},           {"cy", OFTReal},
      {"lon", OFTReal},           {"lat", OFTReal},        {"outside_share", OFTReal}};
  for (const auto& [name, type] : fields) {
    if (!request.applicability && std::string(name) == "outside_share") continue;  // not known
    OGRFieldDefn field(name, type);
    if (layer->CreateField(&field) != OGRERR_NONE) throw failure(std::string("cannot add the field ") + name, "");
  }
  const bool transaction = dataset->StartTransaction() == OGRERR_NONE;
  for (size_t i = 0; i < areas.size(); ++i) {
    const TargetArea& a = areas[i];
    OGRFeature feature(layer->GetLayerDefn());
    std::string names;
    for (const auto& name : a.deposits) names += (names.empty() ? "" : ",") + name;
    feature.SetField("id", a.rank);
    feature.SetField("rank", a.rank);
    feature.SetField("class", a.max_class);
    feature.SetField("high_share", a.high_share);
    feature.SetField("area_km2", a.area_km2);
    feature.SetField("cells", static_cast<GIntBig>(a.cells));
    feature.SetField("mean_prob", a.mean_prob);
    feature.SetField("max_prob", a.max_prob);
    feature.SetField("n_deposits", static_cast<int>(a.deposits.size()));
    feature.SetField("deposits", names.c_str());
    feature.SetField("top_elems", TopElementsText(a.top_elements).c_str());
    for (size_t k = 0; k < a.top_elements.size(); ++k)
      feature.SetField(("contrib_" + std::to_string(k + 1)).c_str(), a.top_elements[k].mean);
    feature.SetField("cx", a.cx);
    feature.SetField("cy", a.cy);
    if (!std::isnan(a.lon)) {
      feature.SetField("lon", a.lon);
      feature.SetField("lat", a.lat);
    }
    if (request.applicability) feature.SetField("outside_share", a.outside_share);
    feature.SetGeometryDirectly(polygons[i].release());
    if (layer->CreateFeature(&feature) != OGRERR_NONE) throw failure("write failed", "unknown error");
  }
  if (transaction && dataset->CommitTransaction() != OGRERR_NONE) throw failure("write failed", "unknown error");
  if (format.driver == "GPKG") AddGpkgStyle(*dataset, *layer, qml, request.output);
  CPLErrorReset();
  dataset.reset();
  if (CPLGetLastErrorType() == CE_Failure) throw failure("could not be completed", "I/O error");

  const std::string qml_path = outputs.Stage("--areas", QmlPath(request.output), OutputForm::SharedFile);
  WriteTextFile(qml_path, qml, QmlPath(request.output));
}

}  // namespace

std::vector<ElementContribution> TopElements(const std::vector<std::string>& elements,
                                             const std::vector<double>& means) {
  std::vector<ElementContribution> all;
  for (size_t e = 0; e < elements.size() && e < means.size(); ++e) {
    if (means[e] != 0 && std::isfinite(means[e])) all.push_back({elements[e], means[e]});
  }
  std::stable_sort(all.begin(), all.end(), [](const ElementContribution& a, const ElementContribution& b) {
    return std::abs(a.mean) > std::abs(b.mean);
  });
  all.resize(std::min<size_t>(all.size(), 3));
  return all;
}

std::string TopElementsText(const std::vector<ElementContribution>& top) {
  std::string text;
  for (const auto& item : top) text += (text.empty() ? "" : " ") + item.element + (item.mean > 0 ? "+" : "-");
  return text;
}

int ParseMinClass(const std::string& text) {
  for (int c = 1; c <= 3; ++c) {
    if (text == ClassNames()[c] || text == std::to_string(c)) return c;
  }
  throw UsageError("--areas-min-class", "expects low, moderate or high (1..3), got '" + text + "'");
}

const std::vector<VectorFormat>& AreasFormats() {
  // Each one is checked in tests/cli/test_bad_outputs.sh against an independent reprojection. Not
  // here: CSV (no CRS), MapInfo (no 64-bit integers), GPX and DXF (no polygons with fields).
  static const std::vector<VectorFormat> formats = {
      {"gpkg", "GPKG", {}},
      {"shp", "ESRI Shapefile", {}},
      {"geojson", "GeoJSON", {}},
      {"json", "GeoJSON", {}},
      {"geojsonl", "GeoJSONSeq", {}},
      {"geojsons", "GeoJSONSeq", {}},
      {"kml", "KML", {}},
      {"gml", "GML", {}},
      {"fgb", "FlatGeobuf", {}},
      {"sqlite", "SQLite", {}},
  };
  return formats;
}

std::vector<std::string> AreasExtensions() {
  std::vector<std::string> extensions;
  for (const auto& format : AreasFormats()) extensions.push_back(format.extension);
  return extensions;
}

const VectorFormat& AreasFormatFor(const std::string& path) {
  const std::string extension = CPLGetExtension(path.c_str());
  for (const auto& format : AreasFormats()) {
    if (EQUAL(format.extension.c_str(), extension.empty() ? "gpkg" : extension.c_str()) &&
        GetGDALDriverManager()->GetDriverByName(format.driver.c_str()))
      return format;
  }
  std::string known;
  for (const auto& format : AreasFormats()) {
    if (GetGDALDriverManager()->GetDriverByName(format.driver.c_str()))
      known += (known.empty() ? "" : ", ") + format.extension;
  }
  throw UsageError("--areas", "cannot tell the vector format of " + path + " from its extension; use one of " + known +
                                  " (no extension: GeoPackage)");
}

std::string CheckAreasRequest(const AreasRequest& request, OutputSet& outputs) {
  if (request.min_class < 1 || request.min_class > 3)
    throw UsageError("--areas-min-class",
                     "expects 1 (low), 2 (moderate) or 3 (high), got " + std::to_string(request.min_class));
  ParseMinSize(request.min_size);
  if (request.classes.empty() && request.class_breaks.size() != 3)
    throw UsageError("--classes", "is needed to delineate areas unless three class breaks are given");
  if (request.output.empty()) throw UsageError("--areas", "needs an output path");
  AreasFormatFor(request.output);
  const std::string staged = outputs.Stage("--areas", request.output, OutputForm::Dataset);
  // The style depends only on --areas-min-class: layers side by side (a.kml, a.geojson) share it.
  const std::string qml = QmlPath(request.output);
  VSIStatBufL stat;
  if (!outputs.overwrite() && VSIStatL(qml.c_str(), &stat) == 0 && ReadWholeFile(qml) != AreasQml(request.min_class))
    throw Error(qml, "exists with another style (another --areas-min-class?); use --overwrite to replace it");
  outputs.Stage("--areas", qml, OutputForm::SharedFile);
  return staged;
}

AreasSummary DelineateAreas(const AreasRequest& request, const Progress& progress) {
  OutputSet outputs(request.overwrite);
  outputs.AddInput("--classes", request.classes);
  outputs.AddInput("probability", request.probability);
  outputs.AddInput("contributions", request.contributions);
  AreasSummary summary = DelineateAreas(request, outputs, progress);
  outputs.Commit();
  return summary;
}

AreasSummary DelineateAreas(const AreasRequest& request, OutputSet& outputs, const Progress& progress) {
  CheckAreasRequest(request, outputs);
  const MinSize min_size = ParseMinSize(request.min_size);
  DatasetPtr probability = OpenRaster(request.probability);
  DatasetPtr classes_raster = request.classes.empty() ? nullptr : OpenRaster(request.classes);
  const Grid grid = GridOf(*probability);
  if (classes_raster) {
    if (const std::string difference = GridDifference(grid, GridOf(*classes_raster)); !difference.empty())
      throw Error(request.classes, "is not on the probability raster's grid: they differ in " + difference);
  }
  DatasetPtr contributions_raster = request.contributions.empty() ? nullptr : OpenRaster(request.contributions);
  std::unique_ptr<ContributionRows> contribution_rows;
  if (contributions_raster) {
    if (const std::string difference = GridDifference(grid, GridOf(*contributions_raster)); !difference.empty())
      throw Error(request.contributions, "is not on the probability raster's grid: they differ in " + difference);
    contribution_rows = std::make_unique<ContributionRows>(*contributions_raster, request.contributions);
  }
  const size_t n_elements = contribution_rows ? contribution_rows->elements().size() : 0;
  if ((request.applicability || !request.cell_flags.empty()) &&
      request.cell_flags.size() != size_t(grid.width) * grid.height)
    throw Error(request.probability, "does not match the cells the map flagged");
  const std::vector<uint8_t> classes = ReadClasses(request, classes_raster.get(), *probability);
  std::vector<uint8_t> inside(classes.size());
  for (size_t i = 0; i < classes.size(); ++i) inside[i] = classes[i] != kClassNodata && classes[i] >= request.min_class;
  int count = 0;
  std::vector<int32_t> labels = LabelRegions(inside, grid.width, grid.height, count);
  progress.Report(0.3);

  // Per-region sums over the cells; centroids and areas weighted by cell area.
  std::vector<Region> regions(count);
  for (Region& region : regions) region.contribution_sum.assign(n_elements, 0.0);
  const CellAreas cell_areas = CellAreasOf(grid);
  ProbabilityRows probability_rows(*probability, request.probability);
  double valid_weighted_cells = 0;
  for (int row = 0; row < grid.height; ++row) {
    const auto& p = probability_rows.Read(row);
    const float* contribution = contribution_rows ? contribution_rows->Read(row).data() : nullptr;
    for (int col = 0; col < grid.width; ++col) {
      const size_t cell = size_t(row) * grid.width + col;
      if (classes[cell] == kClassNodata) continue;
      const double weight = cell_areas.row_weight[row];
      valid_weighted_cells += weight;
      if (!labels[cell]) continue;
      Region& region = regions[labels[cell] - 1];
      double x, y;
      grid.CellCentre(col, row, x, y);
      region.area.cells += 1;
      region.weighted_cells += weight;
      region.area.max_class = std::max<int>(region.area.max_class, classes[cell]);
      region.high_cells += classes[cell] == 3;
      if (request.applicability) region.outside_cells += (request.cell_flags[cell] & kCellOutside) != 0;
      region.weighted_x += x * weight;
      region.weighted_y += y * weight;
      if (!std::isnan(p[col])) {
        region.probability_sum += p[col];
        region.probability_cells += 1;
        region.area.max_prob = std::max<double>(region.area.max_prob, p[col]);
      }
      if (contribution && !std::isnan(contribution[col])) {
        for (size_t e = 0; e < n_elements; ++e) region.contribution_sum[e] += contribution[e * grid.width + col];
        region.contribution_cells += 1;
      }
    }
  }
  progress.Report(0.5);

  std::vector<TargetArea> areas;
  std::vector<int32_t> rank_of_label(count + 1, 0);
  for (Region& region : regions) {
    TargetArea& a = region.area;
    a.mean_prob = region.probability_cells ? region.probability_sum / region.probability_cells : 0;
    a.high_share = double(region.high_cells) / a.cells;
    a.outside_share = double(region.outside_cells) / a.cells;
    a.area_km2 = region.weighted_cells * cell_areas.km2;
    a.cx = region.weighted_x / region.weighted_cells;
    a.cy = region.weighted_y / region.weighted_cells;
    if (region.contribution_cells > 0) {
      for (double& sum : region.contribution_sum) sum /= double(region.contribution_cells);
      a.top_elements = TopElements(contribution_rows->elements(), region.contribution_sum);
    }
  }
  std::vector<int> order;
  for (int i = 0; i < count; ++i) {
    const TargetArea& a = regions[i].area;
    if (min_size.in_cells ? a.cells >= min_size.value : a.area_km2 >= min_size.value) order.push_back(i);
  }
  std::sort(order.begin(), order.end(),
            [&](int a, int b) { return MoreProspective(regions[a].area, regions[b].area); });
  for (int i : order) {
    areas.push_back(regions[i].area);
    areas.back().rank = static_cast<int>(areas.size());
    rank_of_label[i + 1] = areas.back().rank;
  }
  for (auto& label : labels) label = rank_of_label[label];  // now the rank raster
  SetLonLat(grid, areas);

  AreasSummary summary;
  for (const DepositPoint& deposit : request.deposits) {
    int col, row;
    if (!grid.CellAt(deposit.x, deposit.y, col, row)) continue;
    ++summary.deposits_total;
    if (const int32_t rank = labels[size_t(row) * grid.width + col]) {
      areas[rank - 1].deposits.push_back(deposit.name);
      ++summary.deposits_captured;
    }
  }
  summary.applicability = request.applicability;
  for (const auto& a : areas) {
    summary.area_km2 += a.area_km2;
    summary.mostly_outside += request.applicability && a.outside_share > 0.5;
  }
  const double valid_km2 = valid_weighted_cells * cell_areas.km2;
  summary.valid_share = valid_km2 > 0 ? summary.area_km2 / valid_km2 : 0;

  ScaledProgress polygonize_progress(progress, 0.5, 0.9);
  auto polygons = Polygonize(labels, grid, areas.size(), polygonize_progress.get());
  WriteAreas(request, outputs, grid, areas, std::move(polygons), AreasQml(request.min_class));
  summary.areas = std::move(areas);
  progress.Report(1.0);
  return summary;
}

std::string DescribeAreas(const AreasSummary& s) {
  std::string text = CPLSPrintf("%zu target area%s, %.2f km\u00b2 (%.2f %% of the valid area)", s.areas.size(),
                                s.areas.size() == 1 ? "" : "s", s.area_km2, 100 * s.valid_share);
  if (s.deposits_total > 0)
    text += CPLSPrintf(", capturing %d of %d known deposits", s.deposits_captured, s.deposits_total);
  if (s.applicability && !s.areas.empty())
    text += CPLSPrintf("; %d mostly outside the model's applicability", s.mostly_outside);
  return text;
}

}  // namespace geoprosp
