#pragma once
// Polygons (any OGR source) that restrict where a map's classes and target areas may lie: a cell
// is inside when its centre is inside a polygon (even-odd within a polygon, so holes are outside;
// the union over polygons).
#include <cstdint>
#include <string>
#include <vector>

#include "geoprosp/io/raster_stack.hpp"

namespace geoprosp {

class PolygonMask {
 public:
  // Every polygon of every layer of `path`, reprojected onto `grid`'s CRS (a layer without a CRS is
  // taken to be in it). An error naming `path` when it does not open as a vector, holds no polygon,
  // or cannot be reprojected.
  PolygonMask(const std::string& path, const Grid& grid);

  // Cells of the window (columns x0.., rows y0.. of the grid) whose centre lies inside.
  int64_t CountInside(int x0, int y0, int width, int height) const;
  // inside[r * width + c] = 1 when the centre of cell (x0 + c, y0 + r) lies inside, else 0. Each cell
  // is decided on its own grid row, in the grid's pixel coordinates, so any split into windows
  // (strips, tiles) gives the same cells.
  void Fill(int x0, int y0, int width, int height, uint8_t* inside) const;

  const std::string& path() const { return path_; }
  size_t polygons() const { return polygons_.size(); }

 private:
  struct Edge {
    double x0, y0, x1, y1;  // in pixel coordinates of the grid
  };
  static constexpr int kBucketRows = 64;
  struct Polygon {
    std::vector<Edge> edges;                     // of its rings, holes included
    int row_lo = 0, row_hi = -1;                 // the grid rows whose centre line it crosses
    std::vector<std::vector<uint32_t>> buckets;  // edges crossing rows row_lo + k * kBucketRows ..
  };
  void FillRow(const Polygon& polygon, int row, int x0, int width, std::vector<double>& crossings,
               uint8_t* inside) const;

  std::string path_;
  Grid grid_;
  std::vector<Polygon> polygons_;
};

}  // namespace geoprosp
