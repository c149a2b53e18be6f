#include <gtest/gtest.h>

#include <gdal_priv.h>
#include <ogr_spatialref.h>

#include <fstream>
#include <memory>
#include <utility>

#include "geoprosp/core/element_names.hpp"
#include "geoprosp/core/error.hpp"
#include "geoprosp/io/labels.hpp"
#include "test_support.hpp"

namespace geoprosp {
namespace {

using test::RasterSpec;
using test::WriteRaster;

// The grid of test::RasterSpec: EPSG:32650, 8 x 6 cells of 100 m from (500000, 2500000).
Grid TestGrid() {
  const auto path = WriteRaster("/vsimem/deposits/grid.tif", RasterSpec{}, [](int, int, int) { return 1.0; });
  auto* dataset = GDALDataset::Open(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY);
  const Grid grid = GridOf(*dataset);
  GDALClose(dataset);
  return grid;
}

std::string WriteText(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
  return path;
}

// The cell (col, row) of the test grid that holds a point; (-1, -1) outside.
std::pair<int, int> CellOf(const DepositPoint& point) {
  int col = -1, row = -1;
  if (!TestGrid().CellAt(point.x, point.y, col, row)) return {-1, -1};
  return {col, row};
}

std::string ErrorOf(const DepositSource& source) {
  try {
    ReadDeposits(source, TestGrid());
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Deposits, CommonCoordinateColumnsAreRecognised) {
  const auto dir = test::ScratchDir("deposit_columns");
  int i = 0;
  for (const char* header : {"POINT_X,POINT_Y", "x,y", "X,Y", "east,north", "Easting,Northing", "E_MGA,N_MGA",
                             "x_utm50n,y_utm50n", "utm_x,utm_y"}) {
    const auto path = WriteText(dir + "/d" + std::to_string(i++) + ".csv",
                                std::string("name,") + header + "\na,500150,2499850\nb,500550,2499450\n");
    const auto points = ReadDeposits({path, "", "", ""}, TestGrid());
    ASSERT_EQ(points.size(), 2u) << header;
    EXPECT_DOUBLE_EQ(points[1].x, 500550) << header;
    EXPECT_DOUBLE_EQ(points[1].y, 2499450) << header;
    EXPECT_EQ(points[0].name, "a");
  }
}

TEST(Deposits, LongitudeLatitudeColumnsAreTakenAsWgs84) {
  OGRSpatialReference utm, wgs84;
  utm.importFromEPSG(32650);
  wgs84.importFromEPSG(4326);
  utm.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  wgs84.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  std::unique_ptr<OGRCoordinateTransformation> to_degrees(OGRCreateCoordinateTransformation(&utm, &wgs84));
  double x = 500350, y = 2499750;  // the centre of cell (3, 2)
  ASSERT_TRUE(to_degrees->Transform(1, &x, &y));
  const auto dir = test::ScratchDir("deposit_lonlat");
  for (const char* header : {"Longitude,Latitude", "lon,lat", "LONG,LAT"}) {
    const auto path = WriteText(dir + "/d.csv", std::string(header) + "\n" + CPLSPrintf("%.10f,%.10f", x, y) + "\n");
    const auto points = ReadDeposits({path, "", "", ""}, TestGrid());
    ASSERT_EQ(points.size(), 1u) << header;
    EXPECT_EQ(CellOf(points[0]), std::make_pair(3, 2)) << header;
  }
}

TEST(Deposits, NamedColumnsAndClearErrors) {
  const auto dir = test::ScratchDir("deposit_named");
  const auto path = WriteText(dir + "/sites.csv", "site,where_x_is,where_y_is\na,500150,2499850\nb,500250,2499850\n");
  const std::string message = ErrorOf({path, "", "", ""});
  EXPECT_NE(message.find(path + ": holds no geometries and no coordinate columns"), std::string::npos) << message;
  EXPECT_NE(message.find("its columns: site, where_x_is, where_y_is"), std::string::npos) << message;
  EXPECT_NE(message.find("point_x/point_y"), std::string::npos) << message;
  EXPECT_NE(message.find("--x-field"), std::string::npos) << message;
  EXPECT_EQ(ReadDeposits({path, "", "where_x_is", "where_y_is"}, TestGrid()).size(), 2u);
  EXPECT_NE(ErrorOf({path, "", "nope", "where_y_is"}).find("has no column 'nope' (--x-field)"), std::string::npos);
  EXPECT_THROW(ReadDeposits({path, "", "where_x_is", ""}, TestGrid()), UsageError);
  const auto bad = WriteText(dir + "/bad.csv", "x,y\n500150,2499850\n500250,north\n");
  EXPECT_NE(ErrorOf({bad, "", "", ""}).find("row 2: y holds 'north', not a number"), std::string::npos)
      << ErrorOf({bad, "", "", ""});
}

TEST(Deposits, LabelRastersApplyScaleAndOffset) {
  RasterSpec spec;
  spec.scale = 0.5;
  spec.has_nodata = false;
  const auto labels =
      WriteRaster("/vsimem/deposits/labels.tif", spec, [](int, int c, int r) { return c == 2 && r == 3 ? 2.0 : 0.0; });
  const auto points = ReadLabelRaster(labels, TestGrid());
  ASSERT_EQ(points.size(), 1u);
  EXPECT_EQ(CellOf(points[0]), std::make_pair(2, 3));
}

TEST(Deposits, TheCommodityComesFromTheOptionTheColumnsOrTheName) {
  const auto dir = test::ScratchDir("deposit_commodity");
  const auto sites = WriteText(dir + "/sites.csv", "X,Y,SITE_COMMO,TARGET_COM\n1,2,\"Au, Ag\",GOLD\n3,4,Cu-Au,\n");
  Commodity c = DepositCommodity(sites, "");
  EXPECT_EQ(c.elements, (std::vector<std::string>{"Au", "Ag", "Cu"}));
  EXPECT_NE(c.from.find("SITE_COMMO, TARGET_COM"), std::string::npos) << c.from;
  const auto gold = WriteText(dir + "/gold.csv", "X,Y,COMMODITY\n1,2,GOLD\n");
  EXPECT_EQ(DepositCommodity(gold, "").elements, (std::vector<std::string>{"Au"}));
  const auto named = WriteText(dir + "/li_deposits_points.csv", "X,Y\n1,2\n");
  c = DepositCommodity(named, "");
  EXPECT_EQ(c.elements, (std::vector<std::string>{"Li"}));
  EXPECT_NE(c.from.find("the name of"), std::string::npos);
  EXPECT_TRUE(DepositCommodity(WriteText(dir + "/deposits.csv", "X,Y\n1,2\n"), "").elements.empty());
  EXPECT_EQ(DepositCommodity(named, "Sn,w").elements, (std::vector<std::string>{"Sn", "W"}));
  EXPECT_THROW(DepositCommodity(named, "unobtainium"), UsageError);
}

TEST(ElementNames, CommodityTextNamesElementsButNotOrdinaryWords) {
  EXPECT_EQ(CommodityElements("Au, Ag"), (std::vector<std::string>{"Au", "Ag"}));
  EXPECT_EQ(CommodityElements("CU-AU"), (std::vector<std::string>{"Cu", "Au"}));
  EXPECT_EQ(CommodityElements("Lithium pegmatite"), (std::vector<std::string>{"Li"}));
  EXPECT_EQ(CommodityElements("W"), (std::vector<std::string>{"W"}));
  EXPECT_TRUE(CommodityElements("PRECIOUS METAL").empty());
  EXPECT_TRUE(CommodityElements("gold as nuggets in a vein").size() == 1);
  EXPECT_EQ(FindElement("Idw_xx"), "");
  EXPECT_EQ(FindElement("Idw_Li"), "Li");
}

}  // namespace
}  // namespace geoprosp
