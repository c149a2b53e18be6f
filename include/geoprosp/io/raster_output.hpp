#pragma once
// Output rasters written the GDAL way (-of, -co, COG through CreateCopy), under a temporary name
// that is renamed into place only when complete.
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

// Checks before any heavy work: a known format, no clobbering without `overwrite`, never an
// input, and a writable folder.
void CheckOutputPath(const std::string& option, const OutputSpec& spec, bool overwrite,
                     const std::vector<std::string>& inputs);
// The same checks for any file: not an input, no clobbering without `overwrite`, a writable folder.
void CheckNewFile(const std::string& option, const std::string& path, bool overwrite,
                  const std::vector<std::string>& inputs);

// Elements: Float32 concentrations, one band per element, described by the element's name.
// The usual file extension of a raster format ("tif" for GTiff and COG; "" when it has none).
// An unknown format, or one that cannot write rasters, is a UsageError for -of.
std::string RasterExtension(const std::string& format);

enum class OutputKind { Probability, Classes, Spread, Elements };

class RasterOutput {
 public:
  // `elements` names the bands of an Elements output (one or more); the other kinds have one band.
  RasterOutput(const OutputSpec& spec, const Grid& grid, OutputKind kind,
               const std::vector<std::string>& elements = {});
  ~RasterOutput();  // removes the temporary file unless committed
  RasterOutput(const RasterOutput&) = delete;
  RasterOutput& operator=(const RasterOutput&) = delete;

  void WriteRows(int first_row, int rows, const void* data) { WriteRows(1, first_row, rows, data); }
  void WriteRows(int band, int first_row, int rows, const void* data);
  void SetMetadata(const std::map<std::string, std::string>& items);
  void SetBandMetadata(int band, const std::map<std::string, std::string>& items);
  void SetBandUnit(int band, const std::string& unit);  // GDAL's unit type, e.g. "ppm"
  // Finishes the file (CreateCopy for formats that need it) and renames it into place.
  void Commit(bool overwrite, const Progress& progress);
  const std::string& temporary_path() const { return temporary_; }

 private:
  OutputSpec spec_;
  OutputKind kind_;
  int width_;
  std::string temporary_;     // what the final driver writes
  std::string intermediate_;  // a GTiff when the driver can only CreateCopy (COG)
  GDALDataset* dataset_ = nullptr;
  bool committed_ = false;
};

constexpr float kProbabilityNodata = -9999.0f;
constexpr float kElementNodata = -9999.0f;
constexpr uint8_t kClassNodata = 255;
const std::vector<std::string>& ClassNames();  // background, low, moderate, high
struct Rgb {
  uint8_t red, green, blue;
};
const std::vector<Rgb>& ClassColours();  // the legend colours, by class

}  // namespace geoprosp
