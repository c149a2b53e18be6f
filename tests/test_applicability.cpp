// The model's applicability (features/applicability) and the polygons that restrict a map
// (io/polygon_mask): the distance and its threshold against direct computations, and the cells a
// polygon covers, the same however the grid is split.
#include <gtest/gtest.h>

#include <gdal_priv.h>
#include <ogrsf_frmts.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <random>
#include <sstream>

#include "geoprosp/core/error.hpp"
#include "geoprosp/features/applicability.hpp"
#include "geoprosp/io/polygon_mask.hpp"
#include "test_support.hpp"

namespace geoprosp {
namespace {

// n cells of correlated 3-D features: x0 ~ N(1, 2^2), x1 = 0.5 x0 + N(0, 1), x2 ~ N(-1, 0.5^2).
std::vector<float> CorrelatedCells(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0, 1);
  std::vector<float> cells(n * 3);
  for (size_t i = 0; i < n; ++i) {
    const double x0 = 1 + 2 * normal(rng);
    cells[i * 3] = static_cast<float>(x0);
    cells[i * 3 + 1] = static_cast<float>(0.5 * x0 + normal(rng));
    cells[i * 3 + 2] = static_cast<float>(-1 + 0.5 * normal(rng));
  }
  return cells;
}

TEST(Applicability, DistanceIsMahalanobisFromTheTrainingCells) {
  const size_t n = 4000;
  const auto cells = CorrelatedCells(n, 1);
  std::vector<uint8_t> use(n, 1);
  use[7] = 0;  // a cell left out is not part of the statistics
  const Applicability a = FitApplicability(cells.data(), use, 3);
  EXPECT_EQ(a.cells, int64_t(n - 1));
  // Mean and covariance computed here directly, in double.
  double mean[3] = {0, 0, 0}, cov[3][3] = {};
  for (size_t i = 0; i < n; ++i) {
    if (!use[i]) continue;
    for (int e = 0; e < 3; ++e) mean[e] += cells[i * 3 + e];
  }
  for (double& m : mean) m /= double(n - 1);
  for (size_t i = 0; i < n; ++i) {
    if (!use[i]) continue;
    for (int j = 0; j < 3; ++j) {
      for (int k = 0; k < 3; ++k)
        cov[j][k] += (cells[i * 3 + j] - mean[j]) * (cells[i * 3 + k] - mean[k]) / double(n - 1);
    }
  }
  for (int e = 0; e < 3; ++e) EXPECT_NEAR(a.mean[e], mean[e], 1e-9);
  EXPECT_NEAR(a.ridge, 1e-3 * (cov[0][0] + cov[1][1] + cov[2][2]) / 3, 1e-12);
  // precision x (covariance + ridge I) = I
  for (int j = 0; j < 3; ++j) {
    for (int k = 0; k < 3; ++k) {
      double product = 0;
      for (int m = 0; m < 3; ++m) product += a.precision[j * 3 + m] * (cov[m][k] + (m == k ? a.ridge : 0));
      EXPECT_NEAR(product, j == k ? 1.0 : 0.0, 1e-9);
    }
  }
  // A point two standard deviations along x2 alone, where x2 is uncorrelated: distance ~2.
  const float far_x2[3] = {float(mean[0]), float(mean[1]), float(mean[2] + 2 * std::sqrt(cov[2][2]))};
  EXPECT_NEAR(a.Distance(far_x2), 2.0, 0.01);
  const float centre[3] = {float(mean[0]), float(mean[1]), float(mean[2])};
  EXPECT_NEAR(a.Distance(centre), 0.0, 1e-3);
  // Along the correlation (x0 and x1 up together) is nearer than against it, at the same offsets.
  const float along[3] = {float(mean[0] + 2), float(mean[1] + 1), float(mean[2])};
  const float against[3] = {float(mean[0] + 2), float(mean[1] - 1), float(mean[2])};
  EXPECT_LT(a.Distance(along), a.Distance(against));

  // The threshold: the nearest-rank 99th percentile of the training cells' own distances.
  std::vector<float> distances;
  for (size_t i = 0; i < n; ++i) {
    if (use[i]) distances.push_back(a.Distance(cells.data() + i * 3));
  }
  std::sort(distances.begin(), distances.end());
  const size_t rank = size_t(std::ceil(0.99 * distances.size()));
  EXPECT_EQ(a.threshold, distances[rank - 1]);
  const auto beyond = std::count_if(distances.begin(), distances.end(), [&](float d) { return d > a.threshold; });
  EXPECT_LE(beyond, int64_t(distances.size() / 100));
  EXPECT_GE(beyond, int64_t(distances.size() / 100) - 1);
  EXPECT_EQ(ApplicabilityProblem(a, 3), "");
}

TEST(Applicability, ClrFeaturesThatSumToZeroStillGiveFiniteDistances) {
  // clr values sum to zero in every cell, so their covariance is singular; the ridge keeps it usable.
  std::mt19937_64 rng(3);
  std::lognormal_distribution<double> concentration(0, 1);
  const size_t n = 500;
  std::vector<float> cells(n * 4);
  for (size_t i = 0; i < n; ++i) {
    double logs[4], mean = 0;
    for (double& l : logs) mean += (l = std::log(concentration(rng))) / 4;
    for (int e = 0; e < 4; ++e) cells[i * 4 + e] = static_cast<float>(logs[e] - mean);
  }
  const Applicability a = FitApplicability(cells.data(), std::vector<uint8_t>(n, 1), 4);
  EXPECT_EQ(ApplicabilityProblem(a, 4), "");
  EXPECT_GT(a.threshold, 1.0);
  EXPECT_LT(a.threshold, 10.0);
  const float extreme[4] = {6, -2, -2, -2};  // a composition far richer in the first element than any seen
  EXPECT_GT(a.Distance(extreme), 2 * a.threshold);
}

TEST(Applicability, TooFewCellsAndBadStatisticsAreErrors) {
  const auto cells = CorrelatedCells(3, 2);
  EXPECT_THROW(FitApplicability(cells.data(), {1, 1, 1}, 3), Error);  // 3 cells for 3 features
  const auto many = CorrelatedCells(100, 2);
  const Applicability good = FitApplicability(many.data(), std::vector<uint8_t>(100, 1), 3);
  EXPECT_NE(ApplicabilityProblem(good, 4).find("do not match the 4 elements"), std::string::npos);
  Applicability bad = good;
  bad.mean[1] = std::nan("");
  EXPECT_NE(ApplicabilityProblem(bad, 3).find("not finite"), std::string::npos);
  bad = good;
  bad.precision[1] += 0.5;  // no longer symmetric
  EXPECT_NE(ApplicabilityProblem(bad, 3).find("not symmetric"), std::string::npos);
  bad = good;
  for (int e = 0; e < 3; ++e) bad.precision[e * 4] = -1;
  EXPECT_NE(ApplicabilityProblem(bad, 3).find("not positive definite"), std::string::npos);
  bad = good;
  bad.threshold = 0;
  EXPECT_NE(ApplicabilityProblem(bad, 3).find("threshold"), std::string::npos);
}

// A GeoJSON file of polygons given as WKT, in `epsg`.
std::string WritePolygons(const std::string& path, const std::vector<std::string>& wkts, int epsg) {
  std::ofstream out(path);
  out << "{\"type\": \"FeatureCollection\", \"crs\": {\"type\": \"name\", \"properties\": {\"name\": "
         "\"urn:ogc:def:crs:EPSG::"
      << epsg << "\"}}, \"features\": [";
  for (size_t i = 0; i < wkts.size(); ++i) {
    OGRGeometry* geometry = nullptr;
    OGRGeometryFactory::createFromWkt(wkts[i].c_str(), nullptr, &geometry);
    char* json = geometry->exportToJson();
    out << (i ? "," : "") << "{\"type\": \"Feature\", \"properties\": {}, \"geometry\": " << json << "}";
    CPLFree(json);
    OGRGeometryFactory::destroyGeometry(geometry);
  }
  out << "]}\n";
  return path;
}

Grid TestGrid() { return test::UtmGrid(20, 12); }

TEST(PolygonMask, CellCentresInsideAPolygonAndOutsideItsHole) {
  GDALAllRegister();
  const std::string dir = test::ScratchDir("polygon_mask");
  const Grid grid = TestGrid();
  // Columns 2..9 x rows 1..6 (cell centres 500250..501050 east, 2499850..2499350 north), with a hole
  // over columns 4..5 x rows 3..4; and a second polygon over columns 15..16 x rows 8..9.
  const std::string path =
      WritePolygons(dir + "/mask.geojson",
                    {"POLYGON((500200 2499900,501000 2499900,501000 2499300,500200 2499300,500200 2499900),"
                     "(500400 2499700,500600 2499700,500600 2499500,500400 2499500,500400 2499700))",
                     "POLYGON((501500 2499200,501700 2499200,501700 2499000,501500 2499000,501500 2499200))"},
                    32650);
  const PolygonMask mask(path, grid);
  std::vector<uint8_t> inside(size_t(grid.width) * grid.height);
  mask.Fill(0, 0, grid.width, grid.height, inside.data());
  for (int r = 0; r < grid.height; ++r) {
    for (int c = 0; c < grid.width; ++c) {
      const bool first = c >= 2 && c <= 9 && r >= 1 && r <= 6 && !(c >= 4 && c <= 5 && r >= 3 && r <= 4);
      const bool second = c >= 15 && c <= 16 && r >= 8 && r <= 9;
      EXPECT_EQ(inside[size_t(r) * grid.width + c], first || second ? 1 : 0) << "col " << c << " row " << r;
    }
  }
  EXPECT_EQ(mask.CountInside(0, 0, grid.width, grid.height), 8 * 6 - 4 + 4);
  // Any split into windows (strips, tiles, srcwin) gives the same cells.
  for (int rows : {1, 2, 5}) {
    for (int y0 = 0; y0 < grid.height; y0 += rows) {
      const int height = std::min(rows, grid.height - y0);
      std::vector<uint8_t> strip(size_t(13) * height);
      mask.Fill(3, y0, 13, height, strip.data());
      for (int r = 0; r < height; ++r) {
        for (int c = 0; c < 13; ++c)
          ASSERT_EQ(strip[size_t(r) * 13 + c], inside[size_t(y0 + r) * grid.width + 3 + c]) << rows;
      }
    }
  }
}

TEST(PolygonMask, ReprojectsOntoTheRastersCrs) {
  GDALAllRegister();
  const std::string dir = test::ScratchDir("polygon_mask_crs");
  const Grid grid = TestGrid();
  // The same rectangle as above (no hole), given in WGS 84 longitude/latitude.
  OGRSpatialReference utm, wgs84;
  utm.importFromEPSG(32650);
  wgs84.importFromEPSG(4326);
  utm.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  wgs84.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  std::unique_ptr<OGRCoordinateTransformation> to_wgs84(OGRCreateCoordinateTransformation(&utm, &wgs84));
  double xs[4] = {500200, 501000, 501000, 500200}, ys[4] = {2499900, 2499900, 2499300, 2499300};
  ASSERT_TRUE(to_wgs84->Transform(4, xs, ys));
  const auto degrees = [](double value) {
    std::ostringstream out;
    out << std::setprecision(15) << value;
    return out.str();
  };
  std::string wkt = "POLYGON((";
  for (int i = 0; i <= 4; ++i) wkt += (i ? "," : "") + degrees(xs[i % 4]) + " " + degrees(ys[i % 4]);
  const PolygonMask mask(WritePolygons(dir + "/mask.geojson", {wkt + "))"}, 4326), grid);
  EXPECT_EQ(mask.CountInside(0, 0, grid.width, grid.height), 8 * 6);
  EXPECT_EQ(mask.CountInside(2, 1, 8, 6), 8 * 6);
}

TEST(PolygonMask, RefusesWhatHoldsNoPolygonOverTheRasters) {
  GDALAllRegister();
  const std::string dir = test::ScratchDir("polygon_mask_bad");
  const Grid grid = TestGrid();
  const auto message = [&](const std::string& path) {
    try {
      PolygonMask mask(path, grid);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(message(dir + "/missing.gpkg").find("no such file"), std::string::npos);
  std::ofstream(dir + "/text.geojson") << "not json";
  EXPECT_NE(message(dir + "/text.geojson").find("not a vector file"), std::string::npos);
  WritePolygons(dir + "/points.geojson", {"POINT(500250 2499850)", "LINESTRING(500000 2499000,501000 2499500)"}, 32650);
  EXPECT_NE(message(dir + "/points.geojson").find("holds no polygons"), std::string::npos);
  WritePolygons(dir + "/far.geojson", {"POLYGON((0 0,100 0,100 100,0 100,0 0))"}, 32650);
  EXPECT_NE(message(dir + "/far.geojson").find("does not overlap the rasters"), std::string::npos);
}

}  // namespace
}  // namespace geoprosp
