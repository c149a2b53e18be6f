#pragma once
// The element rasters as one aligned stack, read window by window.
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

class GDALDataset;
class GDALRasterBand;
class OGRCoordinateTransformation;
class OGRSpatialReference;

namespace geoprosp {

struct Grid {
  int width = 0;
  int height = 0;
  std::array<double, 6> geotransform{0, 1, 0, 0, 0, -1};
  std::string wkt;

  double CellArea() const;  // in CRS units squared
  void CellCentre(int col, int row, double& x, double& y) const;
  // The cell holding (x, y); false when outside the grid.
  bool CellAt(double x, double y, int& col, int& row) const;
};

// One window of the stack. Cells outside the raster are read as invalid, so a window may reach
// past the edges (the halo that window-mode graphs need).
struct StackWindow {
  int x0 = 0, y0 = 0, width = 0, height = 0;
  int n_elements = 0;
  std::vector<float> values;   // element-major: values[e * cells() + row * width + col]
  std::vector<uint8_t> valid;  // 1 where every element holds a finite, unmasked value
  int64_t nonfinite = 0;       // cells dropped for NaN or inf that no mask declared

  size_t cells() const { return static_cast<size_t>(width) * static_cast<size_t>(height); }
  const float* element(int e) const { return values.data() + static_cast<size_t>(e) * cells(); }
};

struct StackSources {
  std::vector<std::string> paths;
  std::vector<std::string> elements;  // a subset, in this order; empty for all
  std::string align_to;               // warp every input onto this file's grid
  std::string resampling = "bilinear";
  // Refuse inputs whose names hold no element or oxide symbol (coordinates, labels, evidence layers)
  // unless `elements` names them: a tool that uses every input must not learn from them unasked.
  bool symbols_only = false;
};

class RasterStack {
 public:
  explicit RasterStack(const StackSources& sources);
  ~RasterStack();
  RasterStack(const RasterStack&) = delete;
  RasterStack& operator=(const RasterStack&) = delete;

  const Grid& grid() const { return grid_; }
  const std::vector<std::string>& elements() const { return elements_; }
  const std::string& path(size_t element) const { return bands_[element].path; }
  std::vector<std::string> input_paths() const;

  // Keeps `wanted`, in that order; missing ones are an error that names them all and `wanted_by`.
  void Select(const std::vector<std::string>& wanted, const std::string& wanted_by);

  // Values are in the bands' units: GDAL's scale and offset are applied.
  void Read(int x0, int y0, int width, int height, StackWindow& out) const;

  // The error for a window in which no cell is valid: it names the inputs that hold no valid value
  // there (or, when each holds some, says that their valid cells do not overlap). `area` says which
  // part was read, e.g. "the mapped area".
  [[noreturn]] void ThrowNoValidCell(int x0, int y0, int width, int height, const std::string& area) const;

  // The same inputs and selection opened again: GDAL datasets serve one thread at a time, so each
  // reader thread gets a stack of its own.
  std::unique_ptr<RasterStack> Reopen() const;

  // The tallest block (tile or strip) among the selected bands: reading a row of the stack touches
  // whole rows of blocks this tall.
  int MaxBlockHeight() const;

 private:
  struct Band {
    std::string element;
    std::string path;
    GDALDataset* dataset = nullptr;
    int band_index = 1;
    double scale = 1, offset = 0;  // of the band as read from its file (a warped VRT does not carry them)
  };
  // Reads band e's window (inside the raster) into `values` (rows `stride` apart) in the band's units,
  // and clears `valid` where it is masked or not finite (counted in `nonfinite` when not masked).
  void ReadBand(size_t e, int x0, int y0, int width, int height, float* values, int stride, uint8_t* valid,
                int64_t* nonfinite) const;

  StackSources sources_;
  std::vector<std::shared_ptr<GDALDataset>> datasets_;  // the inputs as opened
  std::vector<std::shared_ptr<GDALDataset>> warped_;    // --align-to VRTs; closed before their sources
  std::vector<Band> bands_;
  std::vector<std::string> elements_;
  Grid grid_;
};

// Describes how two grids differ ("CRS ...", "size ...", "geotransform ..."), or "" when aligned
// (same CRS, same size, corners within 1e-3 pixel).
std::string GridDifference(const Grid& a, const Grid& b);
Grid GridOf(GDALDataset& dataset);

// GDAL's scale and offset of a band (value = raw * scale + offset); an error naming `path` when they
// give no usable values (not finite, or a zero scale).
void BandScaleOffset(GDALRasterBand& band, const std::string& path, double& scale, double& offset);

// From `source` (a vector's or a label raster's CRS) to the grid's, x = easting; null when they are
// the same or either is missing (the coordinates are then taken to be the grid's). An error naming
// `path` when PROJ cannot transform them.
std::unique_ptr<OGRCoordinateTransformation> TransformToGrid(const OGRSpatialReference* source, const Grid& grid,
                                                             const std::string& path);

}  // namespace geoprosp
