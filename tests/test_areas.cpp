#include <gdal_priv.h>
#include <gtest/gtest.h>
#include <ogrsf_frmts.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "geoprosp/apps/map.hpp"
#include "geoprosp/products/areas.hpp"
#include "geoprosp/products/quicklook.hpp"
#include "test_support.hpp"

namespace geoprosp {
namespace {

namespace fs = std::filesystem;

// A 20 x 12 grid of 100 m cells (0.01 km²), EPSG:32650, holding:
//   A: 15 cells at cols 2..6, rows 2..4: high, except moderate col 6 (p 0.9 and 0.6);
//   B: 10 moderate cells, cols 10..12 x rows 6..8 plus (13, 9) touching only diagonally (p 0.5);
//   C: 2 moderate cells at (17, 1), (18, 1) (p 0.55);
//   a low column at col 0 (p 0.2), nodata at row 11, cols 15..19; background elsewhere (p 0.05).
struct Blobs {
  int cls = 0;
  double p = 0.05;
};

Blobs CellOf(int c, int r) {
  if (r == 11 && c >= 15) return {255, -9999};
  if (r >= 2 && r <= 4 && c >= 2 && c <= 5) return {3, 0.9};
  if (r >= 2 && r <= 4 && c == 6) return {2, 0.6};
  if ((r >= 6 && r <= 8 && c >= 10 && c <= 12) || (c == 13 && r == 9)) return {2, 0.5};
  if (r == 1 && (c == 17 || c == 18)) return {2, 0.55};
  if (c == 0) return {1, 0.2};
  return {};
}

struct Rasters {
  std::string dir, classes, probability;
};

template <class CellFn>
Rasters WriteRasters(const std::string& name, CellFn cell, int width = 20, int height = 12, int epsg = 32650) {
  Rasters out;
  out.dir = test::ScratchDir(name);
  test::RasterSpec spec;
  spec.epsg = epsg;
  spec.width = width;
  spec.height = height;
  spec.nodata = 255;
  out.classes = test::WriteRaster(out.dir + "/classes.tif", spec, [&](int, int c, int r) { return cell(c, r).cls; });
  spec.nodata = -9999;
  out.probability = test::WriteRaster(out.dir + "/prob.tif", spec, [&](int, int c, int r) { return cell(c, r).p; });
  return out;
}

// Centre of cell (col, row) in the test grid.
DepositPoint At(int col, int row, const std::string& name) {
  return {500000 + 100 * (col + 0.5), 2500000 - 100 * (row + 0.5), name};
}

AreasRequest RequestFor(const Rasters& r, const std::string& output = "areas.gpkg") {
  AreasRequest request;
  request.classes = r.classes;
  request.probability = r.probability;
  request.output = r.dir + "/" + output;
  request.deposits = {At(3, 3, "A1"),
                      At(11, 7, "B1"),
                      At(13, 9, "B2"),
                      At(15, 5, "outside areas"),
                      {400000, 2500000, "outside the grid"}};
  return request;
}

struct Feature {
  int rank;
  int cls;
  long long cells;
  double area_km2, polygon_km2, mean_prob;
  std::string deposits;
};

std::vector<Feature> ReadAreas(const std::string& path) {
  std::unique_ptr<GDALDataset> dataset(GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY));
  EXPECT_TRUE(dataset) << path;
  std::vector<Feature> out;
  if (!dataset) return out;
  for (auto& f : *dataset->GetLayer(0)) {
    const auto* surface = dynamic_cast<const OGRSurface*>(f->GetGeometryRef());
    const auto* multi = dynamic_cast<const OGRMultiSurface*>(f->GetGeometryRef());
    const double m2 = surface ? surface->get_Area() : multi ? multi->get_Area() : -1;
    out.push_back({f->GetFieldAsInteger("rank"), f->GetFieldAsInteger("class"), f->GetFieldAsInteger64("cells"),
                   f->GetFieldAsDouble("area_km2"), m2 / 1e6, f->GetFieldAsDouble("mean_prob"),
                   f->GetFieldAsString("deposits")});
  }
  return out;
}

std::vector<std::string> FilesIn(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

TEST(Areas, DelineatesRanksAndCountsDeposits) {
  const Rasters r = WriteRasters("areas_basic", CellOf);
  const AreasRequest request = RequestFor(r);
  const AreasSummary s = DelineateAreas(request, Progress{});

  ASSERT_EQ(s.areas.size(), 2u);  // C (2 cells) is under the default 4 cells
  const TargetArea &a = s.areas[0], &b = s.areas[1];
  EXPECT_EQ(a.rank, 1);
  EXPECT_EQ(a.cells, 15);
  EXPECT_EQ(a.max_class, 3);
  EXPECT_DOUBLE_EQ(a.high_share, 12.0 / 15);
  EXPECT_NEAR(a.mean_prob, (12 * 0.9 + 3 * 0.6) / 15, 1e-6);
  EXPECT_NEAR(a.max_prob, 0.9, 1e-6);
  EXPECT_NEAR(a.area_km2, 0.15, 1e-12);
  EXPECT_NEAR(a.cx, 500000 + 100 * 4.5, 1e-6);   // the centre of col 4 of cols 2..6
  EXPECT_NEAR(a.cy, 2500000 - 100 * 3.5, 1e-6);  // and of row 3 of rows 2..4
  EXPECT_EQ(a.deposits, std::vector<std::string>{"A1"});
  EXPECT_EQ(b.rank, 2);
  EXPECT_EQ(b.cells, 10);  // the diagonal cell belongs to B: 8-connected
  EXPECT_EQ(b.max_class, 2);
  EXPECT_NEAR(b.area_km2, 0.10, 1e-12);
  EXPECT_EQ(b.deposits, (std::vector<std::string>{"B1", "B2"}));
  EXPECT_TRUE(std::isfinite(a.lon) && std::isfinite(a.lat));
  EXPECT_NEAR(a.lon, 117.0, 0.01);  // UTM 50N: x 500 km is its central meridian, 117E
  EXPECT_NEAR(a.lat, 22.6, 0.1);
  EXPECT_NEAR(s.area_km2, 0.25, 1e-12);
  EXPECT_NEAR(s.valid_share, 25.0 / (240 - 5), 1e-12);
  EXPECT_EQ(s.deposits_captured, 3);
  EXPECT_EQ(s.deposits_total, 4);  // the point outside the grid is not counted
  EXPECT_EQ(DescribeAreas(s),
            "2 target areas, 0.25 km\u00b2 (10.64 % of the valid area), capturing 3 of 4 known deposits");

  // The file holds the same areas, and each polygon covers exactly its cells.
  const auto features = ReadAreas(request.output);
  ASSERT_EQ(features.size(), 2u);
  for (size_t i = 0; i < features.size(); ++i) {
    EXPECT_EQ(features[i].rank, int(i) + 1);
    EXPECT_EQ(features[i].cells, s.areas[i].cells);
    EXPECT_NEAR(features[i].polygon_km2, s.areas[i].area_km2, 1e-9);
  }
  EXPECT_EQ(features[0].cls, 3);
  EXPECT_EQ(features[1].deposits, "B1,B2");
  EXPECT_EQ(FilesIn(r.dir), (std::vector<std::string>{"areas.gpkg", "areas.qml", "classes.tif", "prob.tif"}));
}

TEST(Areas, TopElementsByAbsoluteMeanContributionWithTheirSigns) {
  const auto top = TopElements({"Au", "As", "Sb", "Cu", "Pb"}, {0.3, 0.1, -0.2, 0.0, 0.05});
  EXPECT_EQ(TopElementsText(top), "Au+ Sb- As+");
  ASSERT_EQ(top.size(), 3u);
  EXPECT_DOUBLE_EQ(top[1].mean, -0.2);
  // Exact zeros drive nothing: fewer than three are named.
  EXPECT_EQ(TopElementsText(TopElements({"Au", "As", "Sb"}, {0.0, -0.4, 0.0})), "As-");
  EXPECT_EQ(TopElementsText(TopElements({"Au", "As"}, {0.0, 0.0})), "");
}

// One band per element: in area A (cols 2..6, rows 2..4) Au 0.3 on its 12 high cells and 0 on its
// moderate column, Sb -0.2 and As 0.1 everywhere; in area B Cu 0.2 and Pb -0.01; nodata outside.
std::string WriteContributions(const std::string& path, const std::vector<std::string>& names) {
  test::RasterSpec spec;
  spec.width = 20;
  spec.height = 12;
  spec.bands = static_cast<int>(names.size());
  spec.descriptions = names;
  return test::WriteRaster(path, spec, [](int band, int c, int r) {
    const Blobs cell = CellOf(c, r);
    const bool in_a = r >= 2 && r <= 4 && c >= 2 && c <= 6, in_b = cell.p == 0.5;
    const double a[] = {cell.cls == 3 ? 0.3 : 0.0, 0.1, -0.2, 0.0, 0.0};
    const double b[] = {0.0, 0.0, 0.0, 0.2, -0.01};
    return in_a ? a[band - 1] : in_b ? b[band - 1] : -9999.0;
  });
}

TEST(Areas, NameTheElementsThatDriveThem) {
  const Rasters r = WriteRasters("areas_explained", CellOf);
  AreasRequest request = RequestFor(r);
  request.contributions = WriteContributions(r.dir + "/contributions.tif", {"Au", "As", "Sb", "Cu", "Pb"});
  const AreasSummary s = DelineateAreas(request, Progress{});
  ASSERT_EQ(s.areas.size(), 2u);
  EXPECT_EQ(TopElementsText(s.areas[0].top_elements), "Au+ Sb- As+");
  EXPECT_NEAR(s.areas[0].top_elements[0].mean, 12 * 0.3 / 15, 1e-6);
  EXPECT_EQ(TopElementsText(s.areas[1].top_elements), "Cu+ Pb-");
  std::unique_ptr<GDALDataset> dataset(GDALDataset::Open(request.output.c_str(), GDAL_OF_VECTOR));
  ASSERT_TRUE(dataset);
  std::unique_ptr<OGRFeature> first(dataset->GetLayer(0)->GetNextFeature());
  EXPECT_STREQ(first->GetFieldAsString("top_elems"), "Au+ Sb- As+");
  EXPECT_NEAR(first->GetFieldAsDouble("contrib_1"), 0.24, 1e-6);
  EXPECT_NEAR(first->GetFieldAsDouble("contrib_2"), -0.2, 1e-6);
  EXPECT_NEAR(first->GetFieldAsDouble("contrib_3"), 0.1, 1e-6);
  dataset.reset();

  // A contributions raster on another grid, or with a band that names no element, is refused.
  request.overwrite = true;
  test::RasterSpec other;
  other.width = 21;
  other.height = 12;
  request.contributions = test::WriteRaster(r.dir + "/other.tif", other, [](int, int, int) { return 0.0; });
  try {
    DelineateAreas(request, Progress{});
    ADD_FAILURE() << "a contributions raster on another grid was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.subject(), request.contributions);
  }
  request.contributions = WriteContributions(r.dir + "/unnamed.tif", {"Au", ""});
  try {
    DelineateAreas(request, Progress{});
    ADD_FAILURE() << "a band without an element name was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("band 2"), std::string::npos) << e.what();
  }
}

TEST(Areas, MinimumClassAndSize) {
  const Rasters r = WriteRasters("areas_filters", CellOf);
  AreasRequest request = RequestFor(r);
  request.min_size = "0cells";
  auto s = DelineateAreas(request, Progress{});
  ASSERT_EQ(s.areas.size(), 3u);
  EXPECT_EQ(s.areas[1].cells, 2);  // C: mean 0.55, between A and B
  EXPECT_NEAR(s.areas[1].mean_prob, 0.55, 1e-6);

  request.overwrite = true;
  request.min_size = "10cells";  // B has exactly 10: kept
  EXPECT_EQ(DelineateAreas(request, Progress{}).areas.size(), 2u);
  request.min_size = "0.12 km2";  // B covers 0.10 km²: dropped
  s = DelineateAreas(request, Progress{});
  ASSERT_EQ(s.areas.size(), 1u);
  EXPECT_EQ(s.areas[0].cells, 15);
  EXPECT_EQ(ReadAreas(request.output).size(), 1u);  // overwritten

  request.min_size = "4cells";
  request.min_class = 3;  // only A's high cells
  s = DelineateAreas(request, Progress{});
  ASSERT_EQ(s.areas.size(), 1u);
  EXPECT_EQ(s.areas[0].cells, 12);
  EXPECT_DOUBLE_EQ(s.areas[0].high_share, 1.0);
  request.min_class = ParseMinClass("low");  // the low column (12 cells) joins in
  s = DelineateAreas(request, Progress{});
  ASSERT_EQ(s.areas.size(), 3u);
  EXPECT_EQ(s.areas[2].cells, 12);
  EXPECT_EQ(s.areas[2].max_class, 1);
}

TEST(Areas, ClassesFromProbabilityMatchTheClassesRaster) {
  const Rasters r = WriteRasters("areas_breaks", CellOf);
  AreasRequest request = RequestFor(r);
  const auto from_raster = DelineateAreas(request, Progress{});
  request.classes.clear();
  request.class_breaks = {0.15, 0.45, 0.8};
  request.output = r.dir + "/from_breaks.gpkg";
  const auto from_breaks = DelineateAreas(request, Progress{});
  ASSERT_EQ(from_breaks.areas.size(), from_raster.areas.size());
  for (size_t i = 0; i < from_raster.areas.size(); ++i) {
    EXPECT_EQ(from_breaks.areas[i].cells, from_raster.areas[i].cells);
    EXPECT_EQ(from_breaks.areas[i].max_class, from_raster.areas[i].max_class);
  }
  EXPECT_DOUBLE_EQ(from_breaks.valid_share, from_raster.valid_share);
}

TEST(Areas, RankingIsDeterministicAndBreaksTiesNorthFirst) {
  // Two identical 2 x 2 blobs: the northern one ranks first, and reruns give the same file.
  auto twins = [](int c, int r) {
    const bool blob = c >= 3 && c <= 4 && ((r >= 1 && r <= 2) || (r >= 6 && r <= 7));
    return blob ? Blobs{3, 0.9} : Blobs{};
  };
  const Rasters r = WriteRasters("areas_ties", twins, 8, 9);
  AreasRequest request = RequestFor(r);
  request.deposits.clear();
  const auto first = DelineateAreas(request, Progress{});
  ASSERT_EQ(first.areas.size(), 2u);
  EXPECT_GT(first.areas[0].cy, first.areas[1].cy);
  request.output = r.dir + "/again.gpkg";
  const auto second = DelineateAreas(request, Progress{});
  ASSERT_EQ(second.areas.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(second.areas[i].rank, first.areas[i].rank);
    EXPECT_EQ(second.areas[i].cx, first.areas[i].cx);
    EXPECT_EQ(second.areas[i].cy, first.areas[i].cy);
  }
}

void ExpectUsageError(const AreasRequest& request, const std::string& option) {
  try {
    DelineateAreas(request, Progress{});
    ADD_FAILURE() << "no error for " << option;
  } catch (const UsageError& e) {
    EXPECT_EQ(e.subject(), option) << e.what();
  }
}

TEST(Areas, BadOptionsAreUsageErrors) {
  const Rasters r = WriteRasters("areas_bad", CellOf);
  for (int bad_class : {0, 4, 5, -1}) {
    AreasRequest request = RequestFor(r);
    request.min_class = bad_class;
    ExpectUsageError(request, "--areas-min-class");
  }
  for (const char* bad_size : {"-1cells", "-0.5km2", "abc", "", "5", "5 acres", "nancells"}) {
    AreasRequest request = RequestFor(r);
    request.min_size = bad_size;
    ExpectUsageError(request, "--areas-min-size");
  }
  EXPECT_THROW(ParseMinClass("extreme"), UsageError);
  EXPECT_THROW(ParseMinClass("0"), UsageError);
  EXPECT_EQ(ParseMinClass("high"), 3);
  EXPECT_EQ(ParseMinClass("2"), 2);
  EXPECT_EQ(FilesIn(r.dir), (std::vector<std::string>{"classes.tif", "prob.tif"}));  // nothing written
}

TEST(Areas, ExistingOutputNeedsOverwrite) {
  const Rasters r = WriteRasters("areas_exists", CellOf);
  AreasRequest request = RequestFor(r);
  DelineateAreas(request, Progress{});
  EXPECT_THROW(DelineateAreas(request, Progress{}), Error);
  fs::remove(request.output);  // an identical style is kept; another one blocks
  EXPECT_EQ(DelineateAreas(request, Progress{}).areas.size(), 2u);
  fs::remove(request.output);
  request.min_class = 3;
  EXPECT_THROW(DelineateAreas(request, Progress{}), Error);
  request.min_class = 2;
  request.overwrite = true;
  EXPECT_EQ(DelineateAreas(request, Progress{}).areas.size(), 2u);
  request.output = r.classes;  // an input is never replaced (here: not even a vector format)
  EXPECT_THROW(DelineateAreas(request, Progress{}), UsageError);
}

TEST(Areas, QgisStyleSidecarAndGpkgLayerStyle) {
  const Rasters r = WriteRasters("areas_style", CellOf);
  const AreasRequest request = RequestFor(r);
  DelineateAreas(request, Progress{});
  std::ifstream file(r.dir + "/areas.qml");
  std::stringstream qml;
  qml << file.rdbuf();
  EXPECT_NE(qml.str().find("type=\"categorizedSymbol\" attr=\"class\""), std::string::npos);
  // Labelled with the rank and, under it, the top elements.
  EXPECT_NE(qml.str().find("fieldName=\"concat(&quot;rank&quot;"), std::string::npos);
  EXPECT_NE(qml.str().find("&quot;top_elems&quot;))\" isExpression=\"1\""), std::string::npos);
  EXPECT_NE(qml.str().find("label=\"moderate\""), std::string::npos);
  EXPECT_EQ(qml.str().find("label=\"low\""), std::string::npos);  // no category below --areas-min-class

  std::unique_ptr<GDALDataset> gpkg(GDALDataset::Open(request.output.c_str(), GDAL_OF_VECTOR));
  ASSERT_TRUE(gpkg);
  OGRLayer* styles = gpkg->GetLayerByName("layer_styles");
  ASSERT_TRUE(styles);
  ASSERT_EQ(styles->GetFeatureCount(), 1);
  std::unique_ptr<OGRFeature> style(styles->GetNextFeature());
  EXPECT_STREQ(style->GetFieldAsString("f_table_name"), "areas");
  EXPECT_STREQ(style->GetFieldAsString("f_geometry_column"), gpkg->GetLayerByName("areas")->GetGeometryColumn());
  EXPECT_EQ(style->GetFieldAsInteger("useAsDefault"), 1);
  EXPECT_EQ(style->GetFieldAsString("styleQML"), qml.str());
}

TEST(Areas, OtherVectorFormatsByExtension) {
  EXPECT_EQ(AreasFormatFor("a.gpkg").driver, "GPKG");
  EXPECT_EQ(AreasFormatFor("a.shp").driver, "ESRI Shapefile");
  EXPECT_EQ(AreasFormatFor("a.GeoJSON").driver, "GeoJSON");
  EXPECT_EQ(AreasFormatFor("a.fgb").driver, "FlatGeobuf");
  EXPECT_EQ(AreasFormatFor("a.kml").driver, "KML");
  EXPECT_EQ(AreasFormatFor("a").driver, "GPKG");  // no extension: a GeoPackage
  EXPECT_THROW(AreasFormatFor("a.unknown"), UsageError);
  EXPECT_THROW(AreasFormatFor("a.csv"), UsageError);  // CSV cannot hold the CRS
  const Rasters r = WriteRasters("areas_formats", CellOf);
  for (const char* name : {"areas.shp", "zones.geojson"}) {  // each with its own .qml
    const AreasRequest request = RequestFor(r, name);
    DelineateAreas(request, Progress{});
    const auto features = ReadAreas(request.output);
    ASSERT_EQ(features.size(), 2u) << name;
    EXPECT_EQ(features[1].deposits, "B1,B2");
    EXPECT_NEAR(features[0].polygon_km2, 0.15, 1e-9);
  }
  // A shapefile's parts all reach their final names; no temporary file is left.
  EXPECT_EQ(FilesIn(r.dir), (std::vector<std::string>{"areas.dbf", "areas.prj", "areas.qml", "areas.shp", "areas.shx",
                                                      "classes.tif", "prob.tif", "zones.geojson", "zones.qml"}));
}

// EPSG:4547 (Gauss-Kruger, CM 114E) puts northing first, so a layer written in its official axis
// order lands ~2000 km away once reprojected (KML) or has its axes swapped (GML). Every format
// --areas writes must give back, read through OGR and reprojected onto the grid's CRS, polygons
// around the centroids computed from the cells.
TEST(Areas, EveryFormatKeepsTheAreasWhereTheyAre) {
  const Rasters r = WriteRasters("areas_axes", CellOf, 20, 12, 4547);
  OGRSpatialReference grid_srs;
  grid_srs.importFromEPSG(4547);
  grid_srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  for (const auto& format : AreasFormats()) {
    const AreasRequest request = RequestFor(r, "areas_" + format.extension + "." + format.extension);
    const AreasSummary summary = DelineateAreas(request, Progress{});
    ASSERT_EQ(summary.areas.size(), 2u);
    EXPECT_NEAR(summary.areas[0].lon, 114.0, 0.01);  // x 500450 m: just east of 114E
    EXPECT_NEAR(summary.areas[0].lat, 22.6, 0.05);
    std::unique_ptr<GDALDataset> dataset(GDALDataset::Open(request.output.c_str(), GDAL_OF_VECTOR));
    ASSERT_TRUE(dataset) << request.output;
    OGRLayer* layer = dataset->GetLayer(0);
    ASSERT_TRUE(layer->GetSpatialRef()) << format.extension << " lost the CRS";
    OGRSpatialReference layer_srs(*layer->GetSpatialRef());
    layer_srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    std::unique_ptr<OGRCoordinateTransformation> to_grid(OGRCreateCoordinateTransformation(&layer_srs, &grid_srs));
    ASSERT_TRUE(to_grid);
    int features = 0;
    for (auto& feature : *layer) {
      std::unique_ptr<OGRGeometry> geometry(feature->GetGeometryRef()->clone());
      ASSERT_EQ(geometry->transform(to_grid.get()), OGRERR_NONE);
      OGREnvelope box;
      geometry->getEnvelope(&box);
      const double cx = feature->GetFieldAsDouble("cx"), cy = feature->GetFieldAsDouble("cy");
      EXPECT_TRUE(box.MinX <= cx && cx <= box.MaxX && box.MinY <= cy && cy <= box.MaxY)
          << format.extension << ": area " << feature->GetFieldAsInteger("rank") << " at x " << box.MinX << ".."
          << box.MaxX << ", y " << box.MinY << ".." << box.MaxY << ", its centroid at " << cx << ", " << cy;
      ++features;
    }
    EXPECT_EQ(features, 2) << format.extension;
  }
}

// The colours in a PNG, counted coarsely.
size_t DistinctColours(const std::string& png, int& width, int& height) {
  std::unique_ptr<GDALDataset> image(GDALDataset::Open(png.c_str(), GDAL_OF_RASTER));
  if (!image || image->GetRasterCount() < 3) return 0;
  width = image->GetRasterXSize(), height = image->GetRasterYSize();
  std::vector<uint8_t> rgb(size_t(width) * height * 3);
  int bands[] = {1, 2, 3};
  if (image->RasterIO(GF_Read, 0, 0, width, height, rgb.data(), width, height, GDT_Byte, 3, bands, 3, 3 * width, 1,
                      nullptr) != CE_None)
    return 0;
  std::set<uint32_t> colours;
  for (size_t i = 0; i < rgb.size(); i += 3) colours.insert(rgb[i] << 16 | rgb[i + 1] << 8 | rgb[i + 2]);
  return colours.size();
}

TEST(Quicklook, RendersAPngMap) {
  const Rasters r = WriteRasters("quicklook", CellOf);
  AreasRequest areas = RequestFor(r);
  DelineateAreas(areas, Progress{});
  QuicklookRequest request;
  request.probability = r.probability;
  request.areas = areas.output;
  request.deposits = areas.deposits;
  request.output = r.dir + "/map.png";
  request.subtitle = "test";
  RenderQuicklook(request);
  EXPECT_GT(fs::file_size(request.output), 20000u);
  int width = 0, height = 0;
  EXPECT_GT(DistinctColours(request.output, width, height), 50u);  // ramp, outlines, text, legend
  EXPECT_GT(width, 1000);  // the map is scaled to about 1000 px, plus the legend
  EXPECT_GT(height, 600);

  EXPECT_THROW(RenderQuicklook(request), Error);  // exists
  request.overwrite = true;
  RenderQuicklook(request);
  // Areas in another CRS (KML is always WGS84) are reprojected onto the map: the same picture.
  areas.output = r.dir + "/areas.kml";
  DelineateAreas(areas, Progress{});
  QuicklookRequest from_kml = request, without_areas = request;
  from_kml.areas = areas.output;
  from_kml.output = r.dir + "/from_kml.png";
  without_areas.areas.clear();
  without_areas.output = r.dir + "/without_areas.png";
  RenderQuicklook(from_kml);
  RenderQuicklook(without_areas);
  const auto differing = [](const std::string& a, const std::string& b) {
    const auto pixels = [](const std::string& png) {
      std::unique_ptr<GDALDataset> image(GDALDataset::Open(png.c_str(), GDAL_OF_RASTER));
      std::vector<uint8_t> rgb(size_t(image->GetRasterXSize()) * image->GetRasterYSize() * 3);
      int bands[] = {1, 2, 3};
      EXPECT_EQ(image->RasterIO(GF_Read, 0, 0, image->GetRasterXSize(), image->GetRasterYSize(), rgb.data(),
                                image->GetRasterXSize(), image->GetRasterYSize(), GDT_Byte, 3, bands, 0, 0, 0, nullptr),
                CE_None);
      return rgb;
    };
    const auto pa = pixels(a), pb = pixels(b);
    size_t count = 0;
    for (size_t i = 0; i < std::min(pa.size(), pb.size()); ++i) count += pa[i] != pb[i];
    return count + (pa.size() > pb.size() ? pa.size() - pb.size() : pb.size() - pa.size());
  };
  const size_t areas_drawn = differing(request.output, without_areas.output);
  EXPECT_GT(areas_drawn, 1000u);
  EXPECT_LT(differing(request.output, from_kml.output), areas_drawn / 20);
  request.output = r.dir + "/map.jpg";
  try {
    RenderQuicklook(request);
    ADD_FAILURE() << "a .jpg output was accepted";
  } catch (const UsageError& e) {
    EXPECT_EQ(e.subject(), "--quicklook");
  }
  EXPECT_FALSE(fs::exists(request.output));
}

// geoprosp-map end to end on sample_data: --areas without --classes, --deposits, --quicklook.
TEST(Areas, MapRunMakesAreasAndQuicklook) {
  const std::string dir = test::ScratchDir("areas_map");
  MapOptions options;
  for (const char* element :
       {"Ag", "As", "Au", "B", "Ba", "Bi", "Cu", "F", "Hg", "Mn", "Mo", "Pb", "Sb", "Sn", "W", "Zn"})
    options.inputs.push_back(test::SourceDir() + "/sample_data/" + element + ".tif");
  options.output = dir + "/prob.tif";
  options.areas = dir + "/areas.gpkg";
  options.deposits = test::SourceDir() + "/sample_data/deposits.gpkg";
  options.quicklook = dir + "/map.png";
  options.threads = 1;
  const MapSummary summary = RunMap(options, Progress{});
  ASSERT_TRUE(summary.areas);
  EXPECT_GT(summary.areas->areas.size(), 0u);
  EXPECT_EQ(summary.areas->deposits_total, 14);
  EXPECT_EQ(ReadAreas(options.areas).size(), summary.areas->areas.size());
  EXPECT_TRUE(fs::exists(options.quicklook));
  EXPECT_EQ(FilesIn(dir), (std::vector<std::string>{"areas.gpkg", "areas.qml", "map.png", "prob.tif"}));

  options.overwrite = true;
  options.areas_min_size = "1 hectare";  // checked before any mapping
  try {
    RunMap(options, Progress{});
    ADD_FAILURE() << "a bad --areas-min-size was accepted";
  } catch (const UsageError& e) {
    EXPECT_EQ(e.subject(), "--areas-min-size");
  }
  options.areas_min_size = "4cells";
  options.areas.clear();
  options.quicklook.clear();
  EXPECT_THROW(RunMap(options, Progress{}), UsageError);  // --deposits alone has no use
}

// sample_data's generator (tools/make_sample_data.cpp) plants element signatures around its deposits:
// deposits.csv's `type` names each deposit's association (Au-As-Sb-Hg, Sn-W-Bi-F-B, Cu-Mo-Bi,
// Pb-Zn-Ag-Mn). Mapped with the committed model, the contributions at every deposit's cell must name
// an element of its association among the top three, raising the probability. A target area's
// figures are means over all its cells (up to ~1,700, most of them beyond the planted halo), so at
// least 4 in 5 areas that hold deposits must name theirs; one area may show the broader trend.
TEST(Areas, OnSampleDataTheAreasWithDepositsNameTheirPlantedElements) {
  const std::string dir = test::ScratchDir("areas_planted");
  std::map<std::string, std::set<std::string>> planted;   // deposit name -> its association's elements
  std::map<std::string, std::array<double, 2>> location;  // deposit name -> x, y
  std::ifstream csv(test::SourceDir() + "/sample_data/deposits.csv");
  std::string line;
  std::getline(csv, line);  // id,name,type,x,y
  while (std::getline(csv, line)) {
    std::vector<std::string> fields;
    std::stringstream row(line);
    for (std::string field; std::getline(row, field, ',');) fields.push_back(field);
    ASSERT_EQ(fields.size(), 5u) << line;
    std::stringstream association(fields[2]);
    for (std::string element; std::getline(association, element, '-');) planted[fields[1]].insert(element);
    location[fields[1]] = {std::stod(fields[3]), std::stod(fields[4])};
  }
  ASSERT_EQ(planted.size(), 14u);

  MapOptions options;
  for (const char* element :
       {"Ag", "As", "Au", "B", "Ba", "Bi", "Cu", "F", "Hg", "Mn", "Mo", "Pb", "Sb", "Sn", "W", "Zn"})
    options.inputs.push_back(test::SourceDir() + "/sample_data/" + element + ".tif");
  options.model = test::SourceDir() + "/sample_data/model";
  options.output = dir + "/prob.tif";
  options.areas = dir + "/areas.gpkg";
  options.deposits = test::SourceDir() + "/sample_data/deposits.csv";
  const MapSummary summary = RunMap(options, Progress{});
  ASSERT_TRUE(summary.areas);
  int with_deposits = 0, named_areas = 0;
  std::string misnamed;
  for (const TargetArea& area : summary.areas->areas) {
    ASSERT_FALSE(area.top_elements.empty()) << "area " << area.rank;
    if (area.deposits.empty()) continue;
    ++with_deposits;
    std::set<std::string> expected;
    for (const auto& deposit : area.deposits) expected.insert(planted.at(deposit).begin(), planted.at(deposit).end());
    const bool named = std::any_of(area.top_elements.begin(), area.top_elements.end(),
                                   [&](const auto& top) { return top.mean > 0 && expected.count(top.element); });
    named_areas += named;
    if (!named)
      misnamed += " area " + std::to_string(area.rank) + " holds " + area.deposits.front() + "... but names " +
                  TopElementsText(area.top_elements) + ";";
  }
  EXPECT_GE(with_deposits, 5);
  EXPECT_GE(5 * named_areas, 4 * with_deposits) << named_areas << " of " << with_deposits << ":" << misnamed;

  // Without --explain only the cells that may lie in an area are explained: the same figures as from
  // the whole contributions raster.
  options.explain = dir + "/explain.tif";
  options.overwrite = true;
  const MapSummary explained = RunMap(options, Progress{});
  ASSERT_EQ(explained.areas->areas.size(), summary.areas->areas.size());
  for (size_t i = 0; i < summary.areas->areas.size(); ++i) {
    const auto &a = summary.areas->areas[i].top_elements, &b = explained.areas->areas[i].top_elements;
    EXPECT_EQ(TopElementsText(a), TopElementsText(b));
    for (size_t k = 0; k < a.size() && k < b.size(); ++k) EXPECT_EQ(a[k].mean, b[k].mean);
  }
  EXPECT_EQ(FilesIn(dir), (std::vector<std::string>{"areas.gpkg", "areas.qml", "explain.tif", "prob.tif"}));

  // At each deposit's own cell the contributions name its planted elements.
  GDALDatasetUniquePtr contributions(GDALDataset::Open(options.explain.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY));
  ASSERT_TRUE(contributions);
  double gt[6];
  ASSERT_EQ(contributions->GetGeoTransform(gt), CE_None);
  for (const auto& [deposit, xy] : location) {
    const int col = static_cast<int>(std::floor((xy[0] - gt[0]) / gt[1]));
    const int row = static_cast<int>(std::floor((xy[1] - gt[3]) / gt[5]));
    std::vector<std::pair<float, std::string>> ranked;
    for (int b = 1; b <= contributions->GetRasterCount(); ++b) {
      GDALRasterBand* band = contributions->GetRasterBand(b);
      float value = 0;
      ASSERT_EQ(band->RasterIO(GF_Read, col, row, 1, 1, &value, 1, 1, GDT_Float32, 0, 0), CE_None);
      ranked.emplace_back(value, band->GetDescription());
    }
    std::sort(ranked.rbegin(), ranked.rend());
    ranked.resize(3);
    const bool named = std::any_of(ranked.begin(), ranked.end(), [&](const auto& top) {
      return top.first > 0 && planted.at(deposit).count(top.second);
    });
    EXPECT_TRUE(named) << deposit << ": the top three are " << ranked[0].second << " " << ranked[1].second << " "
                       << ranked[2].second;
  }
}

}  // namespace
}  // namespace geoprosp
