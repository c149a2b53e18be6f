#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "geoprosp/apps/grid.hpp"
#include "geoprosp/core/element_names.hpp"
#include "geoprosp/gridding/cleaning.hpp"
#include "geoprosp/gridding/grid_definition.hpp"
#include "geoprosp/gridding/gridder.hpp"
#include "geoprosp/gridding/samples.hpp"
#include "geoprosp/io/raster_output.hpp"
#include "test_support.hpp"

namespace geoprosp {
namespace {

namespace fs = std::filesystem;

std::string WriteText(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
  return path;
}

const double kNaN = std::numeric_limits<double>::quiet_NaN();

TEST(ElementColumns, RecogniseElementsOxidesAndUnits) {
  auto expect = [](const std::string& name, const std::string& element, const std::string& unit, double to_ppm) {
    const ElementColumn column = ParseElementColumn(name);
    EXPECT_EQ(column.element, element) << name;
    EXPECT_EQ(column.unit, unit) << name;
    EXPECT_DOUBLE_EQ(column.to_ppm, to_ppm) << name;
  };
  expect("Au_ppb", "Au", "ppb", 1e-3);
  expect("Cu_ppm", "Cu", "ppm", 1);
  expect("Fe2O3_pct", "Fe2O3", "pct", 1e4);
  expect("SiO2 %", "SiO2", "pct", 1e4);
  expect("Cu (g/t)", "Cu", "ppm", 1);
  expect("Au_ppb_FA50", "Au", "ppb", 1e-3);  // a method code after the unit
  expect("Fe2O3T_pct", "TFe2O3", "pct", 1e4);
  expect("ZnO_ppm", "ZnO", "ppm", 1);
  expect("U3O8_ppm", "U3O8", "ppm", 1);
  expect("Y_ppm", "Y", "ppm", 1);  // yttrium, not a coordinate
  expect("Cu", "Cu", "", 0);       // an element without a unit
  // Not element columns, though they start like one or end like a coordinate.
  expect("OBJECTID_x", "", "", 0);
  expect("H2Oneg_pct", "", "", 0);
  expect("LABnegNR_N", "", "", 0);
  expect("Y_coord", "", "", 0);
  expect("SAMPLEID", "", "", 0);
  EXPECT_EQ(OxideOf("ZnO"), "Zn");
  EXPECT_EQ(OxideOf("TFe2O3"), "Fe");
  EXPECT_EQ(OxideOf("U3O8"), "U");
  EXPECT_EQ(OxideOf("Zn"), "");
  EXPECT_EQ(OxideOf("LOI"), "");
  EXPECT_EQ(ElementFromName("Idw_ZnO"), "ZnO");
}

TEST(SampleColumns, RecogniseCoordinatePairsByName) {
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  // GSWA's header: OBJECTID_x/OBJECTID_y and Y_ppm are not coordinates.
  EXPECT_EQ(CoordinateColumns({"Y", "X", "SAMPLEID", "OBJECTID_x", "OBJECTID_y", "Y_ppm", "Au_ppm"}),
            (Pairs{{"X", "Y"}}));
  EXPECT_EQ(CoordinateColumns({"id", "X_MGA", "Y_MGA", "Cu_ppm"}), (Pairs{{"X_MGA", "Y_MGA"}}));
  EXPECT_EQ(CoordinateColumns({"E_GDA94", "N_GDA94", "N_ppm"}), (Pairs{{"E_GDA94", "N_GDA94"}}));
  EXPECT_EQ(CoordinateColumns({"POINT_X", "POINT_Y"}), (Pairs{{"POINT_X", "POINT_Y"}}));
  EXPECT_EQ(CoordinateColumns({"Easting", "Northing", "Longitude", "Latitude"}),
            (Pairs{{"Easting", "Northing"}, {"Longitude", "Latitude"}}));
  EXPECT_TRUE(CoordinateColumns({"sample", "Au_ppb", "x_only"}).empty());
}

TEST(SampleValues, TellMissingBelowDetectionAndText) {
  const std::vector<double> sentinels = {-9999, -8888};
  bool text = false;
  EXPECT_DOUBLE_EQ(ParseSampleValue(" 1.5 ", sentinels, text), 1.5);
  EXPECT_DOUBLE_EQ(ParseSampleValue("<0.01", sentinels, text), -0.01);  // below a limit of 0.01
  EXPECT_DOUBLE_EQ(ParseSampleValue("-0.005", sentinels, text), -0.005);
  EXPECT_DOUBLE_EQ(ParseSampleValue("0", sentinels, text), 0.0);
  EXPECT_TRUE(std::isnan(ParseSampleValue("-9999", sentinels, text)));
  EXPECT_TRUE(std::isnan(ParseSampleValue("-9999.0", sentinels, text)));
  EXPECT_TRUE(std::isnan(ParseSampleValue("-8888", sentinels, text)));
  EXPECT_FALSE(text);
  EXPECT_TRUE(std::isnan(ParseSampleValue("", sentinels, text)));
  EXPECT_FALSE(text);
  EXPECT_TRUE(std::isnan(ParseSampleValue("n.a.", sentinels, text)));
  EXPECT_TRUE(text);
  EXPECT_TRUE(std::isnan(ParseSampleValue("12abc", sentinels, text)));
  EXPECT_TRUE(text);
}

class SampleFiles : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = test::ScratchDir("grid_samples"); }
  void TearDown() override { RemoveTree(dir_); }
  std::string Path(const std::string& name) const { return (fs::path(dir_) / name).string(); }
  std::string dir_;
};

TEST_F(SampleFiles, ReadConvertsUnitsMergesColumnsAndCounts) {
  const std::string csv = WriteText(Path("samples.csv"),
                                    "SAMPLE,Easting,Northing,Au_ppb,Au_ppm,Fe2O3_pct,Cu_ppm,Zn_ppm,ZnO_ppm,Hg,survey\n"
                                    "s1,500000,7000000,5,-9999,1.5,12,30,37,1,A\n"
                                    "s2,500100,7000000,-9999,0.02,-9999,<0.5,31,38,1,A\n"
                                    "s3,500200,7000000,,0.03,2.0,-0.5,-9999,-9999,1,B\n"
                                    "s4,,7000000,4,0.04,2.0,1,32,39,1,B\n"
                                    "s5,500300,7000000,n.a.,-9999,2.5,0,33,40,1,B\n");
  SampleSource source;
  source.path = csv;
  source.srs = "EPSG:32750";
  source.survey_column = "survey";
  const SampleTable table = ReadSamples(source);
  EXPECT_EQ(table.x_field, "Easting");
  EXPECT_EQ(table.y_field, "Northing");
  EXPECT_EQ(table.rows, 5);
  EXPECT_EQ(table.rows_without_coordinates, 1);
  ASSERT_EQ(table.x.size(), 4u);
  EXPECT_EQ(table.survey, (std::vector<std::string>{"A", "A", "B", "B"}));
  ASSERT_EQ(table.elements.size(), 5u);  // Au, Fe2O3, Cu, Zn, ZnO; Hg has no unit
  const SampleElement& au = table.elements[0];
  EXPECT_EQ(au.element, "Au");
  EXPECT_EQ(au.columns, (std::vector<std::string>{"Au_ppb", "Au_ppm"}));
  EXPECT_DOUBLE_EQ(au.values[0], 0.005);  // 5 ppb
  EXPECT_DOUBLE_EQ(au.values[1], 0.02);   // from Au_ppm, Au_ppb being missing
  EXPECT_DOUBLE_EQ(au.values[2], 0.03);
  EXPECT_TRUE(std::isnan(au.values[3]));  // "n.a." and -9999
  EXPECT_EQ(au.missing, 1);
  EXPECT_EQ(au.not_numbers, 1);
  const SampleElement& fe = table.elements[1];
  EXPECT_EQ(fe.oxide_of, "Fe");
  EXPECT_DOUBLE_EQ(fe.values[0], 15000);  // 1.5 % in ppm
  const SampleElement& cu = table.elements[2];
  EXPECT_DOUBLE_EQ(cu.values[1], -0.5);  // "<0.5"
  EXPECT_DOUBLE_EQ(cu.values[2], -0.5);  // GSWA's negative limit
  EXPECT_DOUBLE_EQ(cu.values[3], 0.0);   // a zero: below an unknown limit
  EXPECT_EQ(cu.below_detection, 3);
  EXPECT_EQ(cu.present, 4);
  ASSERT_EQ(table.notes.size(), 1u);
  EXPECT_NE(table.notes[0].find("Hg"), std::string::npos);

  source.assume_unit = "ppb";
  const SampleTable with_hg = ReadSamples(source);
  ASSERT_EQ(with_hg.elements.back().element, "Hg");
  EXPECT_DOUBLE_EQ(with_hg.elements.back().values[0], 0.001);
}

TEST_F(SampleFiles, ReadRefusesWhatItCannotPlace) {
  const std::string csv = WriteText(Path("nocrs.csv"), "x,y,Cu_ppm\n1,2,3\n");
  SampleSource source;
  source.path = csv;
  try {
    ReadSamples(source);
    FAIL() << "a CSV without CRS was read";
  } catch (const Error& e) {
    EXPECT_EQ(e.subject(), csv);
    EXPECT_NE(e.problem().find("--srs"), std::string::npos);
  }
  source.srs = "EPSG:4326";
  source.path = WriteText(Path("nocoords.csv"), "sample,depth,Cu_ppm\n1,2,3\n");
  try {
    ReadSamples(source);
    FAIL() << "a CSV without coordinates was read";
  } catch (const Error& e) {
    EXPECT_NE(e.problem().find("sample, depth, Cu_ppm"), std::string::npos) << e.what();  // the columns found
  }
  source.path = WriteText(Path("twopairs.csv"), "Easting,Northing,lon,lat,Cu_ppm\n1,2,3,4,5\n");
  EXPECT_THROW(ReadSamples(source), UsageError);
  source.x_field = "lon";
  source.y_field = "lat";
  EXPECT_EQ(ReadSamples(source).x.front(), 3.0);
  source.path = WriteText(Path("notdegrees.csv"), "lon,lat,Cu_ppm\n500000,7000000,5\n");
  EXPECT_THROW(ReadSamples(source), Error);  // metres in a geographic CRS
  source.path = Path("absent.csv");
  EXPECT_THROW(ReadSamples(source), Error);
}

TEST_F(SampleFiles, ChooseDropsOxideDuplicatesAndRareElements) {
  const std::string csv = WriteText(
      Path("choose.csv"),
      "x,y,Zn_ppm,ZnO_ppm,SiO2_pct,As_ppm\n1,1,5,6,50,-9999\n2,1,5,6,50,-9999\n3,1,5,6,50,2\n4,1,5,6,50,-9999\n");
  SampleSource source;
  source.path = csv;
  source.srs = "EPSG:32750";
  SampleTable table = ReadSamples(source);
  const auto dropped = ChooseElements(table, {});
  std::vector<std::string> kept;
  for (const auto& e : table.elements) kept.push_back(e.element);
  EXPECT_EQ(kept, (std::vector<std::string>{"Zn", "SiO2"}));  // SiO2 stays: no Si column
  ASSERT_EQ(dropped.size(), 2u);
  EXPECT_EQ(dropped[0].element, "As");  // in 1 of 4 rows
  EXPECT_EQ(dropped[1].element, "ZnO");

  table = ReadSamples(source);
  ChooseElements(table, {{}, 0.5, true});
  EXPECT_EQ(table.elements.size(), 3u);  // ZnO kept on request

  table = ReadSamples(source);
  ChooseElements(table, {{"zno", "As"}, 0.5, false});  // asked for by name, in that order
  ASSERT_EQ(table.elements.size(), 2u);
  EXPECT_EQ(table.elements[0].element, "ZnO");
  EXPECT_EQ(table.elements[1].element, "As");

  table = ReadSamples(source);
  try {
    ChooseElements(table, {{"Au"}, 0.5, false});
    FAIL() << "an element without a column was chosen";
  } catch (const Error& e) {
    EXPECT_NE(e.problem().find("Zn, ZnO, SiO2, As"), std::string::npos) << e.what();
  }
}

TEST(Duplicates, MeanOrFirstPerLocation) {
  const Locations locations = GroupLocations({1, 2, 1, 3, 1, -0.0}, {5, 5, 5, 5, 5, 7});
  EXPECT_EQ(locations.x.size(), 4u);
  EXPECT_EQ(locations.of_row, (std::vector<int64_t>{0, 1, 0, 2, 0, 3}));
  const Locations zero = GroupLocations({0.0, -0.0}, {1, 1});
  EXPECT_EQ(zero.x.size(), 1u);  // -0 and 0 are one place

  // Location 0: 4, 2 and a below-detection 1 (limit 2); 1: missing; 2: two limits; 3: a lone value.
  const Locations places = GroupLocations({0, 1, 0, 2, 0, 2, 3}, {0, 0, 0, 0, 0, 0, 0});
  const std::vector<double> values = {4, kNaN, 2, -0.5, -2, -0.2, 8};
  const Points mean = MergeDuplicates(values, places, DuplicateRule::Mean);
  EXPECT_EQ(mean.location, (std::vector<int64_t>{0, 2, 3}));
  ASSERT_EQ(mean.value.size(), 3u);
  EXPECT_DOUBLE_EQ(mean.value[0], (4 + 2 + 1) / 3.0);  // the limit counts as half of it
  EXPECT_DOUBLE_EQ(mean.value[1], -0.2);               // all below: the smallest limit
  EXPECT_DOUBLE_EQ(mean.value[2], 8);
  EXPECT_EQ(mean.merged, 3);  // 3 values at location 0 and 2 at location 2 become 2 points
  const Points first = MergeDuplicates(values, places, DuplicateRule::First);
  EXPECT_EQ(first.value, (std::vector<double>{4, -0.5, 8}));
  EXPECT_EQ(first.merged, 3);
  EXPECT_DOUBLE_EQ(UnknownLimitSubstitute(values), 1.0);  // half the smallest detected value
  EXPECT_DOUBLE_EQ(CountedValue(0.0, 1.0), 1.0);
  EXPECT_DOUBLE_EQ(CountedValue(-0.4, 1.0), 0.2);
}

TEST(Levelling, BringsSurveysOntoOneScale) {
  // Survey B reports the same population as A, but 10 times higher and twice as spread (in logs).
  std::vector<double> values;
  std::vector<int> survey;
  for (int i = 0; i < 40; ++i) {
    const double log_a = 0.05 * (i - 20);
    values.push_back(std::pow(10.0, log_a));
    survey.push_back(0);
    values.push_back(std::pow(10.0, 1 + 2 * log_a));
    survey.push_back(1);
  }
  for (int i = 0; i < 5; ++i) {  // survey C: too few values to level
    values.push_back(50);
    survey.push_back(2);
  }
  values.push_back(-0.5);  // below detection: never levelled
  survey.push_back(1);
  values.push_back(kNaN);
  survey.push_back(0);
  const std::vector<std::string> names = {"A", "B", "C"};

  auto median_log = [&](const std::vector<double>& v, int s) {
    std::vector<double> logs;
    for (size_t i = 0; i < v.size(); ++i)
      if (survey[i] == s && v[i] > 0) logs.push_back(std::log10(v[i]));
    std::sort(logs.begin(), logs.end());
    return 0.5 * (logs[logs.size() / 2] + logs[(logs.size() - 1) / 2]);
  };
  auto spread_log = [&](const std::vector<double>& v, int s) {
    double low = 1e9, high = -1e9;
    for (size_t i = 0; i < v.size(); ++i)
      if (survey[i] == s && v[i] > 0) low = std::min(low, std::log10(v[i])), high = std::max(high, std::log10(v[i]));
    return high - low;
  };
  for (Levelling method : {Levelling::MedianMad, Levelling::Quantile}) {
    std::vector<double> levelled = values;
    const LevellingResult result = LevelSurveys(levelled, survey, names, method);
    EXPECT_EQ(result.levelled, 80) << ToString(method);
    ASSERT_EQ(result.surveys.size(), 3u);
    EXPECT_TRUE(result.surveys[0].levelled && result.surveys[1].levelled);
    EXPECT_FALSE(result.surveys[2].levelled);
    EXPECT_EQ(result.surveys[2].values, 5);
    EXPECT_NEAR(median_log(levelled, 0), median_log(levelled, 1), 0.06) << ToString(method);
    EXPECT_NEAR(spread_log(levelled, 0), spread_log(levelled, 1), 0.2) << ToString(method);
    EXPECT_LT(std::abs(median_log(values, 0) - median_log(values, 1)), 1.1);  // they differed by 1 before
    EXPECT_EQ(levelled[80], 50);                                              // survey C as it was
    EXPECT_EQ(levelled[85], -0.5);                                            // below detection as it was
    EXPECT_TRUE(std::isnan(levelled[86]));
    // Ranks within a survey are kept (ties may appear where the pooled values tie).
    for (int i = 1; i < 40; ++i) EXPECT_LE(levelled[2 * (i - 1) + 1], levelled[2 * i + 1]);
  }
  std::vector<double> one_survey = {1, 2, 3};
  EXPECT_EQ(LevelSurveys(one_survey, {0, 0, 0}, {"only"}, Levelling::MedianMad).levelled, 0);
}

TEST(GridAlgorithms, ParsedByGdalWithOurNodata) {
  const GridAlgorithm invdistnn("invdistnn:power=2:radius=150:max_points=12");
  EXPECT_EQ(invdistnn.name(), "invdistnn");
  EXPECT_DOUBLE_EQ(invdistnn.SearchRadius(), 150);
  EXPECT_TRUE(std::isinf(GridAlgorithm("invdist:power=2").SearchRadius()));  // all points
  EXPECT_TRUE(std::isinf(GridAlgorithm("linear:radius=10").SearchRadius()));
  EXPECT_DOUBLE_EQ(GridAlgorithm("average:radius1=20:radius2=20").SearchRadius(), 20);
  EXPECT_TRUE(std::isinf(GridAlgorithm("average:radius1=20:radius2=40").SearchRadius()));  // an ellipse
  EXPECT_NO_THROW(GridAlgorithm("nearest:radius1=5:radius2=5:nodata=-9999"));
  EXPECT_THROW(GridAlgorithm("invdist:power=2:nodata=0"), UsageError);   // 0 means below detection
  EXPECT_THROW(GridAlgorithm("invdist:powr=2"), UsageError);             // GDAL ignores it: we refuse
  EXPECT_THROW(GridAlgorithm("count:radius1=5:radius2=5"), UsageError);  // a metric
  EXPECT_THROW(GridAlgorithm("kriging"), UsageError);
  EXPECT_EQ(AlgorithmText(GridMethod{}, 150),
            "invdistnn:power=2:smoothing=0:radius=150:max_points=12:min_points=0:nodata=-9999");
  for (const auto& name : GridMethodNames()) {
    GridMethod method;
    method.method = name;
    EXPECT_EQ(GridAlgorithm(AlgorithmText(method, 10)).name(), name);
  }
  GridMethod unknown;
  unknown.method = "spline";
  EXPECT_THROW(AlgorithmText(unknown, 10), UsageError);
}

TEST(GridDefinition, SnapsWidensAndRefusesUnitMistakes) {
  GridRequest request;
  request.cell_size = 10;
  const std::string wkt = GridCrs({0, {}, "", "EPSG:32750"}, "");
  const Grid snapped = DefineGrid(request, wkt, {103, 147}, {201, 229});
  EXPECT_EQ(snapped.geotransform[0], 100);
  EXPECT_EQ(snapped.geotransform[3], 230);
  EXPECT_EQ(snapped.width, 5);  // 100..150: the point at 147 lies inside
  EXPECT_EQ(snapped.height, 3);
  request.extent = {0, 0, 95, 40};
  const Grid widened = DefineGrid(request, wkt, {}, {});
  EXPECT_EQ(widened.width, 10);  // 95 m is 9.5 cells: a whole last cell
  EXPECT_EQ(widened.height, 4);
  EXPECT_EQ(widened.geotransform[3], 40);
  request.extent = {0, 0, 1e7, 1e7};
  EXPECT_THROW(DefineGrid(request, wkt, {}, {}), UsageError);  // a million cells a side

  EXPECT_THROW(CheckGridRequest({0, {}, "", ""}), UsageError);                  // no cell size
  EXPECT_THROW(CheckGridRequest({10, {1, 2, 3}, "", ""}), UsageError);          // three numbers
  EXPECT_THROW(CheckGridRequest({10, {5, 0, 1, 1}, "", ""}), UsageError);       // xmin > xmax
  EXPECT_THROW(CheckGridRequest({10, {}, "grid.tif", ""}), UsageError);         // with --align-to
  EXPECT_THROW(CheckGridRequest({10, {}, "", "EPSG:not-a-code"}), UsageError);  // unknown CRS
  EXPECT_NO_THROW(CheckGridRequest({0, {}, "grid.tif", ""}));
}

TEST(GridDefinition, MedianSpacingOfALattice) {
  std::vector<double> x, y;
  for (int r = 0; r < 30; ++r) {
    for (int c = 0; c < 20; ++c) {
      x.push_back(1000 + 50.0 * c);
      y.push_back(2000 + 100.0 * r);  // lines 100 apart, stations 50 apart
    }
  }
  EXPECT_DOUBLE_EQ(MedianSpacing(x, y), 50.0);
  EXPECT_EQ(MedianSpacing({1}, {1}), 0.0);
}

TEST(GridDefinition, ReprojectsWithLongitudeFirst) {
  std::vector<double> x = {117.0}, y = {-31.0};  // on MGA zone 50's central meridian
  const std::string mga = GridCrs({0, {}, "", "EPSG:28350"}, "");
  ReprojectPoints(x, y, GridCrs({0, {}, "", "EPSG:4283"}, ""), mga, "points");
  EXPECT_NEAR(x[0], 500000, 1e-3);
  EXPECT_NEAR(y[0], 10000000 - 3430000, 5000);  // about 3430 km south of the equator
}

// A 10 x 10 grid of 10 m cells at (0, 100) - (100, 0).
Grid SmallGrid() {
  Grid grid;
  grid.width = grid.height = 10;
  grid.geotransform = {0, 10, 0, 100, 0, -10};
  grid.wkt = GridCrs({0, {}, "", "EPSG:32750"}, "");
  return grid;
}

std::vector<std::vector<float>> GridCells(const std::vector<ElementPoints>& elements, const Grid& grid,
                                          const std::string& algorithm, double max_distance,
                                          std::vector<GriddedCells>* counts = nullptr) {
  std::vector<std::vector<float>> out(elements.size(), std::vector<float>(size_t(grid.width) * grid.height, 123.0f));
  const auto cells =
      GridElements(elements, grid, GridAlgorithm(algorithm), max_distance,
                   [&](size_t e, int row, int rows, const float* values) {
                     std::copy_n(values, size_t(rows) * grid.width, out[e].begin() + size_t(row) * grid.width);
                   },
                   {});
  if (counts) *counts = cells;
  return out;
}

TEST(Gridding, NodesAtCellCentresMaskedBeyondMaxDistance) {
  const Grid grid = SmallGrid();
  ElementPoints points;
  points.x = {14, 16, 95};  // cells (row 1, col 1), (row 1, col 1), (row 9, col 9)
  points.y = {86, 86, 5};
  points.value = {2, 4, 8};
  // Nearest: cell (1,1)'s centre (15, 85) is equally far from both points; cell (9,9)'s holds point 3.
  std::vector<GriddedCells> counts;
  const auto nearest = GridCells({points}, grid, "nearest", 12, &counts)[0];
  EXPECT_EQ(nearest[9 * 10 + 9], 8.0f);
  EXPECT_TRUE(nearest[1 * 10 + 1] == 2.0f || nearest[1 * 10 + 1] == 4.0f);
  EXPECT_EQ(nearest[1 * 10 + 2], nearest[1 * 10 + 1]);  // (25, 85) is 9.5 m from the nearest point
  EXPECT_EQ(nearest[5 * 10 + 5], kElementNodata);       // 50 m from every point
  EXPECT_EQ(nearest[0], kElementNodata);                // (5, 95): 12.7 m from (14, 86)
  int64_t valid = 0;
  for (float v : nearest) valid += v != kElementNodata;
  EXPECT_EQ(counts[0].valid, valid);
  EXPECT_EQ(counts[0].valid + counts[0].nodata, 100);
  // Inverse distance over all points: a value everywhere the mask allows, between the extremes.
  const auto idw = GridCells({points}, grid, "invdist:power=2", 30)[0];
  for (size_t i = 0; i < idw.size(); ++i) {
    if (idw[i] == kElementNodata) continue;
    EXPECT_GE(idw[i], 2.0f);
    EXPECT_LE(idw[i], 8.0f);
  }
  EXPECT_EQ(idw[5 * 10 + 5], kElementNodata);  // 50 m away from every point, > 30
}

TEST(Gridding, BelowDetectionCellsAreZeroWhereTheyDominate) {
  const Grid grid = SmallGrid();
  ElementPoints points;
  points.x = {5, 95, 5, 95};
  points.y = {95, 95, 5, 5};
  points.value = {10, 10, -2, 0};  // the bottom two are below detection
  points.unknown_limit = 0.5;
  std::vector<GriddedCells> counts;
  const auto cells = GridCells({points}, grid, "invdist:power=2", 1e6, &counts)[0];
  for (int row = 0; row < 10; ++row) {
    for (int col = 0; col < 10; ++col) {
      const float v = cells[row * 10 + col];
      if (row >= 5) {
        EXPECT_EQ(v, 0.0f) << row << "," << col;  // the lower half: mostly below-detection weight
      } else {
        EXPECT_GT(v, 1.0f) << row << "," << col;
        EXPECT_LE(v, 10.0f);
      }
    }
  }
  EXPECT_EQ(counts[0].below_detection, 50);
  // Without below-detection points no cell is 0, and two elements on the same points share a mask.
  ElementPoints detected = points;
  detected.value = {10, 10, 2, 1};
  const auto both = GridCells({detected, detected}, grid, "invdist:power=2", 1e6);
  EXPECT_EQ(both[0], both[1]);
  for (float v : both[0]) EXPECT_GT(v, 0.0f);
}

class GridRuns : public SampleFiles {
 protected:
  GridOptions Options() {
    GridOptions o;
    o.samples = WriteText(Path("survey.csv"),
                          "id,X,Y,Au_ppb,Cu_ppm,Zn_ppm,ZnO_ppm,report\n"
                          "1,100,100,5,10,20,25,r1\n"
                          "2,100,100,7,12,20,25,r2\n"  // a re-report of sample 1
                          "3,150,100,9,-1,22,27,r1\n"
                          "4,200,120,11,14,24,30,r1\n"
                          "5,120,180,-9999,16,26,32,r2\n"
                          "6,190,190,13,18,28,35,r2\n");
    o.srs = "EPSG:32750";
    o.cell_size = 20;
    o.output = Path("grids");
    o.quiet = true;
    return o;
  }
};

TEST_F(GridRuns, WritesOneRasterPerElementWithProvenance) {
  GridOptions o = Options();
  o.report = Path("report.json");
  const GridSummary s = RunGrid(o, {});
  ASSERT_EQ(s.elements.size(), 3u);  // ZnO goes: Zn is there
  EXPECT_EQ(s.locations, 5);
  const GridElementSummary& au = s.elements[0];
  EXPECT_EQ(au.element, "Au");
  EXPECT_EQ(au.rows, 6);
  EXPECT_EQ(au.missing, 1);
  EXPECT_EQ(au.duplicates_merged, 1);
  EXPECT_EQ(au.points, 4);
  EXPECT_EQ(s.elements[1].below_detection, 1);
  for (const auto& element : {"Au", "Cu", "Zn"}) {
    const std::string path = Path("grids/") + element + ".tif";
    ASSERT_TRUE(fs::exists(path)) << path;
    GDALDataset* ds = GDALDataset::Open(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY);
    ASSERT_NE(ds, nullptr);
    EXPECT_EQ(GridDifference(GridOf(*ds), s.grid), "");
    EXPECT_STREQ(ds->GetRasterBand(1)->GetDescription(), element);
    EXPECT_STREQ(ds->GetRasterBand(1)->GetUnitType(), "ppm");
    EXPECT_EQ(ds->GetRasterBand(1)->GetNoDataValue(), kElementNodata);
    EXPECT_NE(ds->GetSpatialRef(), nullptr);
    EXPECT_EQ(std::string(ds->GetMetadataItem("GEOPROSP_GRID_ALGORITHM")), s.algorithm);
    EXPECT_STREQ(ds->GetMetadataItem("GEOPROSP_SOURCE"), (o.samples + " (layer survey)").c_str());
    GDALClose(ds);
  }
  const std::vector<float> au_cells = test::ReadBand(Path("grids/Au.tif"));
  int64_t valid = 0;
  for (float v : au_cells) {
    if (v == kElementNodata) continue;
    ++valid;
    EXPECT_GE(v, 0.005f);  // 5..13 ppb in ppm; the re-reported sample averaged to 6 ppb
    EXPECT_LE(v, 0.013f);
  }
  EXPECT_EQ(valid, au.valid_cells);
  const auto report = nlohmann::json::parse(std::ifstream(o.report));
  EXPECT_EQ(report, ToJson(s));  // the report is the summary, from the one serialiser
  EXPECT_EQ(report["elements"][0]["duplicates_merged"], 1);
  EXPECT_EQ(report["grid"]["width"], s.grid.width);
  EXPECT_EQ(report["unit"], "ppm");

  // Again, into one multi-band raster with levelling: the bands are the elements, described.
  GridOptions stacked = Options();
  stacked.output.clear();
  stacked.stack = Path("stack.tif");
  stacked.survey_column = "report";
  const GridSummary levelled = RunGrid(stacked, {});
  EXPECT_EQ(levelled.elements[0].surveys.size(), 2u);
  EXPECT_EQ(levelled.elements[0].levelled, 0);  // 2 and 3 values per survey: too few to level
  GDALDataset* ds = GDALDataset::Open(stacked.stack.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY);
  ASSERT_NE(ds, nullptr);
  ASSERT_EQ(ds->GetRasterCount(), 3);
  EXPECT_STREQ(ds->GetRasterBand(2)->GetDescription(), "Cu");
  EXPECT_STREQ(ds->GetMetadataItem("GEOPROSP_LEVELLING"), "median-mad by report");
  std::vector<float> band1(au_cells.size());
  ASSERT_EQ(ds->GetRasterBand(1)->RasterIO(GF_Read, 0, 0, s.grid.width, s.grid.height, band1.data(), s.grid.width,
                                           s.grid.height, GDT_Float32, 0, 0, nullptr),
            CE_None);
  EXPECT_EQ(band1, au_cells);  // nothing levelled: the same Au
  GDALClose(ds);
}

TEST_F(GridRuns, ValidatesBeforeWritingAndLeavesNothingBehind) {
  GridOptions o = Options();
  const std::string folder = o.output;
  auto expect_usage = [&](GridOptions bad, const std::string& subject) {
    try {
      RunGrid(bad, {});
      FAIL() << "accepted: " << subject;
    } catch (const UsageError& e) {
      EXPECT_EQ(e.subject(), subject) << e.what();
    }
    EXPECT_FALSE(fs::exists(folder)) << subject;
  };
  GridOptions both = o;
  both.stack = Path("s.tif");
  expect_usage(both, "-o");
  GridOptions no_cell = o;
  no_cell.cell_size = 0;
  expect_usage(no_cell, "--cell-size");
  GridOptions mixed = o;
  mixed.algorithm = "nearest";
  mixed.power = 3;
  expect_usage(mixed, "--algorithm");
  GridOptions sentinel = o;
  sentinel.missing = {"-9999,abc"};
  expect_usage(sentinel, "--missing");
  GridOptions format = o;
  format.format = "NoSuchDriver";
  expect_usage(format, "-of");

  // An existing output is kept without --overwrite, and no temporary file is left.
  const std::string samples = "id,X,Y,Au_ppb\n1,100,100,5\n2,150,100,9\n3,200,120,11\n";
  WriteText(o.samples, samples);
  fs::create_directories(folder);
  WriteText(folder + "/Au.tif", "not mine");
  EXPECT_THROW(RunGrid(o, {}), Error);
  EXPECT_EQ(std::vector<std::string>({"Au.tif"}), [&] {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(folder)) names.push_back(entry.path().filename().string());
    return names;
  }());
  o.overwrite = true;
  EXPECT_NO_THROW(RunGrid(o, {}));
  std::ifstream input(o.samples);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(input), {}), samples);  // inputs are never modified

  // A cancelled run removes its temporary files and the folder it made.
  GridOptions cancelled = Options();
  cancelled.output = Path("new/cancelled");
  const Progress stop{[](double, const char*, void*) { return FALSE; }, nullptr};
  EXPECT_THROW(RunGrid(cancelled, stop), Cancelled);
  EXPECT_FALSE(fs::exists(Path("new")));
}

}  // namespace
}  // namespace geoprosp
