#pragma once
// Output rasters written the GDAL way (-of, -co, COG through CreateCopy), at a path an OutputSet
// staged (io/output_set.hpp), which moves them into place with the run's other outputs.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "geoprosp/core/progress.hpp"
#include "geoprosp/io/raster_stack.hpp"

class GDALDataset;

namespace geoprosp {

struct OutputSpec {
  std::string path;
  std::string format = "GTiff";
  std::vector<std::string> creation_options;
};

// The usual file extension of a raster format ("tif" for GTiff and COG; "" when it has none).
// An unknown format, or one that cannot write rasters, is a UsageError for -of.
std::string RasterExtension(const std::string& format);

// Probability: calibrated; Score: a model's raw, uncalibrated score (named so in the band).
// Elements: Float32 concentrations, one band per element, described by the element's name.
// Contributions: Float32, one band per element (described by its name): how much it moves the output.
// Distance: the applicability distance (Float32); Outside: 1 beyond its threshold, 0 within (Byte).
enum class OutputKind { Probability, Score, Classes, Spread, Elements, Contributions, Distance, Outside };

// Checks before any heavy work: `spec.format` is a GDAL raster driver that writes files and can
// hold `kind` without loss (Float32 for the probability, the score, the spread, the elements and
// the distance, Byte for the classes and the outside mask).
void CheckRasterFormat(const OutputSpec& spec, OutputKind kind);

class RasterOutput {
 public:
  // Creates the raster at `path` (where its OutputSet staged spec.path; messages name spec.path).
  // A driver that can only CreateCopy (COG) gets a GTiff beside it first, and its creation
  // options are tried on a small raster now, so that a bad -co fails before the heavy work.
  // `elements` names the bands of an Elements or Contributions output (one or more); the other kinds
  // have one band.
  RasterOutput(const std::string& path, const OutputSpec& spec, const Grid& grid, OutputKind kind,
               const std::vector<std::string>& elements = {});
  ~RasterOutput();  // closes the dataset; the OutputSet removes what an unfinished run wrote
  RasterOutput(const RasterOutput&) = delete;
  RasterOutput& operator=(const RasterOutput&) = delete;

  void WriteRows(int first_row, int rows, const void* data) { WriteRows(1, first_row, rows, data); }
  void WriteRows(int band, int first_row, int rows, const void* data);
  void SetMetadata(const std::map<std::string, std::string>& items);
  void SetBandMetadata(int band, const std::map<std::string, std::string>& items);
  void SetBandUnit(int band, const std::string& unit);  // GDAL's unit type, e.g. "ppm"
  // Completes the file (CreateCopy for formats that need it) and reads it back: an error unless
  // it holds the grid, bands, data type, nodata value and CRS written (a driver may drop them
  // quietly).
  void Finish(const Progress& progress);

 private:
  std::string path_;
  OutputSpec spec_;
  OutputKind kind_;
  int bands_;
  Grid grid_;
  std::string intermediate_;  // a GTiff when the driver can only CreateCopy (COG)
  GDALDataset* dataset_ = nullptr;
};

constexpr float kProbabilityNodata = -9999.0f;
constexpr float kElementNodata = -9999.0f;
constexpr uint8_t kClassNodata = 255;  // also the outside mask's nodata
// Per-cell flags a map run hands to the products it makes from its rasters (areas, quick look).
constexpr uint8_t kCellExcluded = 1;  // left out of the classes and areas (--mask, --mask-outside-applicability)
constexpr uint8_t kCellOutside = 2;   // beyond the model's applicability threshold
const std::vector<std::string>& ClassNames();  // background, low, moderate, high
struct Rgb {
  uint8_t red, green, blue;
};
const std::vector<Rgb>& ClassColours();  // the legend colours, by class

}  // namespace geoprosp
