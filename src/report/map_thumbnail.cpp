#include "geoprosp/report/map_thumbnail.hpp"

#include <cpl_string.h>
#include <cpl_vsi.h>
#include <gdal_priv.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "geoprosp/core/error.hpp"

namespace geoprosp {

svg::MapThumbnail ProbabilityThumbnail(const std::vector<float>& probability_per_cell,
                                       const std::vector<uint8_t>& valid, const Grid& grid,
                                       const std::vector<DepositPoint>& deposits, int max_side) {
  const int step = std::max(1, (std::max(grid.width, grid.height) + max_side - 1) / max_side);
  const int columns = (grid.width + step - 1) / step, rows = (grid.height + step - 1) / step;
  std::vector<uint8_t> bands(size_t(4) * columns * rows, 0);  // band-sequential RGBA
  const size_t plane = size_t(columns) * rows;
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < columns; ++c) {
      const size_t cell = size_t(r) * step * grid.width + size_t(c) * step, pixel = size_t(r) * columns + c;
      if (!valid[cell]) continue;
      const auto rgb = svg::Ramp(probability_per_cell[cell]);
      for (int b = 0; b < 3; ++b) bands[b * plane + pixel] = rgb[b];
      bands[3 * plane + pixel] = 255;
    }
  }
  GDALAllRegister();
  auto* mem = GetGDALDriverManager()->GetDriverByName("MEM")->Create("", columns, rows, 4, GDT_Byte, nullptr);
  if (!mem || mem->RasterIO(GF_Write, 0, 0, columns, rows, bands.data(), columns, rows, GDT_Byte, 4, nullptr, 0, 0, 0,
                            nullptr) != CE_None) {
    if (mem) GDALClose(mem);
    throw Error("map thumbnail", LastGdalError("cannot be rendered"));
  }
  const std::string path =
      "/vsimem/geoprosp_eval_thumbnail_" + std::to_string(reinterpret_cast<uintptr_t>(mem)) + ".png";
  GDALDataset* png =
      GetGDALDriverManager()->GetDriverByName("PNG")->CreateCopy(path.c_str(), mem, FALSE, nullptr, nullptr, nullptr);
  GDALClose(mem);
  if (!png) throw Error("map thumbnail", LastGdalError("the PNG driver failed"));
  GDALClose(png);
  vsi_l_offset length = 0;
  GByte* bytes = VSIGetMemFileBuffer(path.c_str(), &length, TRUE);
  char* base64 = CPLBase64Encode(static_cast<int>(length), bytes);
  svg::MapThumbnail map;
  map.png_base64 = base64;
  CPLFree(base64);
  CPLFree(bytes);
  VSIUnlink((path + ".aux.xml").c_str());
  map.columns = columns;
  map.rows = rows;
  map.aspect = (grid.width * std::abs(grid.geotransform[1])) / (grid.height * std::abs(grid.geotransform[5]));
  for (const auto& d : deposits) {
    const double col = (d.x - grid.geotransform[0]) / grid.geotransform[1];
    const double row = (d.y - grid.geotransform[3]) / grid.geotransform[5];
    map.points.push_back({col / step, row / step});
  }
  return map;
}

}  // namespace geoprosp
