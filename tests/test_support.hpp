#pragma once
// Small helpers for tests: rasters in /vsimem/ or a scratch folder, built through MEM + CreateCopy.
#include <gdal_priv.h>
#include <ogr_spatialref.h>

#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "geoprosp/core/file_tree.hpp"
#include "geoprosp/io/raster_stack.hpp"

namespace geoprosp::test {

struct RasterSpec {
  int width = 8, height = 6;
  std::vector<double> geotransform = {500000, 100, 0, 2500000, 0, -100};
  int epsg = 32650;
  int bands = 1;
  std::vector<std::string> descriptions;
  bool has_nodata = true;
  double nodata = -9999;
  double scale = 1, offset = 0;  // GDAL's: a value is raw * scale + offset
};

// Writes a Float32 GeoTIFF whose band b holds the raw values values(b, col, row).
template <class ValueOf>
std::string WriteRaster(const std::string& path, const RasterSpec& spec, ValueOf values) {
  GDALAllRegister();
  auto* mem = GetGDALDriverManager()->GetDriverByName("MEM")->Create("", spec.width, spec.height, spec.bands,
                                                                     GDT_Float32, nullptr);
  mem->SetGeoTransform(const_cast<double*>(spec.geotransform.data()));
  if (spec.epsg) {
    OGRSpatialReference srs;
    srs.importFromEPSG(spec.epsg);
    mem->SetSpatialRef(&srs);
  }
  for (int b = 1; b <= spec.bands; ++b) {
    auto* band = mem->GetRasterBand(b);
    if (spec.has_nodata) band->SetNoDataValue(spec.nodata);
    if (spec.scale != 1) band->SetScale(spec.scale);
    if (spec.offset != 0) band->SetOffset(spec.offset);
    if (b <= static_cast<int>(spec.descriptions.size())) band->SetDescription(spec.descriptions[b - 1].c_str());
    std::vector<float> data(size_t(spec.width) * spec.height);
    for (int r = 0; r < spec.height; ++r) {
      for (int c = 0; c < spec.width; ++c) data[size_t(r) * spec.width + c] = static_cast<float>(values(b, c, r));
    }
    if (band->RasterIO(GF_Write, 0, 0, spec.width, spec.height, data.data(), spec.width, spec.height, GDT_Float32, 0, 0,
                       nullptr) != CE_None) {
      return "";
    }
  }
  GDALClose(GetGDALDriverManager()->GetDriverByName("GTiff")->CreateCopy(path.c_str(), mem, FALSE, nullptr, nullptr,
                                                                         nullptr));
  GDALClose(mem);
  return path;
}

inline std::vector<float> ReadBand(const std::string& path) {
  auto* ds = GDALDataset::Open(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY);
  if (!ds) return {};
  std::vector<float> data(size_t(ds->GetRasterXSize()) * ds->GetRasterYSize());
  if (ds->GetRasterBand(1)->RasterIO(GF_Read, 0, 0, ds->GetRasterXSize(), ds->GetRasterYSize(), data.data(),
                                     ds->GetRasterXSize(), ds->GetRasterYSize(), GDT_Float32, 0, 0,
                                     nullptr) != CE_None) {
    data.clear();
  }
  GDALClose(ds);
  return data;
}

// A fresh scratch folder per test.
inline std::string ScratchDir(const std::string& name) {
  // One folder per process: ctest runs test cases in parallel processes.
  const auto dir = std::filesystem::temp_directory_path() / ("geoprosp_test_" + name + "_" + std::to_string(getpid()));
  RemoveTree(dir.string());
  std::filesystem::create_directories(dir);
  return dir.string();
}

inline std::string SourceDir() { return GEOPROSP_SOURCE_DIR; }

// A grid of 100 m cells in EPSG:32650 from (500000, 2500000), as RasterSpec's rasters have.
inline Grid UtmGrid(int width, int height) {
  Grid grid;
  grid.width = width;
  grid.height = height;
  grid.geotransform = {500000, 100, 0, 2500000, 0, -100};
  OGRSpatialReference srs;
  srs.importFromEPSG(32650);
  char* wkt = nullptr;
  srs.exportToWkt(&wkt);
  grid.wkt = wkt;
  CPLFree(wkt);
  return grid;
}

}  // namespace geoprosp::test
