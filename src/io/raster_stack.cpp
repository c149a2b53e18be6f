#include "geoprosp/io/raster_stack.hpp"

#include <gdal_priv.h>
#include <gdal_utils.h>
#include <ogr_spatialref.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <optional>

#include "geoprosp/core/element_names.hpp"
#include "geoprosp/core/error.hpp"
#include "geoprosp/core/options.hpp"
#include "geoprosp/io/open_input.hpp"

namespace geoprosp {
namespace {

std::shared_ptr<GDALDataset> OpenRaster(const std::string& path) {
  VSIStatBufL stat;
  if (VSIStatL(path.c_str(), &stat) != 0 && path.rfind("/vsi", 0) != 0) {
    throw Error(path, "no such file");
  }
  CPLErrorReset();
  auto* dataset = OpenInput(path, GDAL_OF_RASTER);
  if (!dataset) throw Error(path, "not a raster GDAL can read (" + LastGdalError("unknown format") + ")");
  if (dataset->GetRasterCount() < 1) {
    delete dataset;
    throw Error(path, "has no raster bands");
  }
  return std::shared_ptr<GDALDataset>(dataset, [](GDALDataset* d) { GDALClose(d); });
}

std::string CrsName(const std::string& wkt) {
  if (wkt.empty()) return "no CRS";
  OGRSpatialReference srs;
  srs.importFromWkt(wkt.c_str());
  const char* name = srs.GetName();
  return name ? name : "unnamed CRS";
}

std::string Stem(const std::string& path) { return std::filesystem::path(path).stem().string(); }

// A warped VRT of `source` on `grid`; nodata becomes NaN so no edge cell reads as a concentration.
std::shared_ptr<GDALDataset> WarpOnto(GDALDataset& source, const Grid& grid, const std::string& resampling,
                                      const std::string& path) {
  const auto& gt = grid.geotransform;
  auto number = [](double v) { return CPLSPrintf("%.17g", v); };
  CPLStringList args;
  args.AddString("-of");
  args.AddString("VRT");
  args.AddString("-ot");
  args.AddString("Float32");
  args.AddString("-dstnodata");
  args.AddString("nan");
  args.AddString("-r");
  args.AddString(resampling.c_str());
  if (!grid.wkt.empty()) {
    args.AddString("-t_srs");
    args.AddString(grid.wkt.c_str());
  }
  args.AddString("-te");
  args.AddString(number(gt[0]));
  args.AddString(number(gt[3] + gt[5] * grid.height));
  args.AddString(number(gt[0] + gt[1] * grid.width));
  args.AddString(number(gt[3]));
  args.AddString("-ts");
  args.AddString(number(grid.width));
  args.AddString(number(grid.height));
  GDALWarpAppOptions* options = GDALWarpAppOptionsNew(args.List(), nullptr);
  if (!options) throw Error("--resampling", "GDAL rejected the warp options: " + LastGdalError("unknown"));
  GDALDatasetH source_handle = GDALDataset::ToHandle(&source);
  int usage_error = 0;
  GDALDatasetH warped = GDALWarp("", nullptr, 1, &source_handle, options, &usage_error);
  GDALWarpAppOptionsFree(options);
  if (!warped) throw Error(path, "cannot be warped onto the --align-to grid: " + LastGdalError("unknown"));
  return std::shared_ptr<GDALDataset>(GDALDataset::FromHandle(warped), [](GDALDataset* d) { GDALClose(d); });
}

}  // namespace

void BandScaleOffset(GDALRasterBand& band, const std::string& path, double& scale, double& offset) {
  scale = band.GetScale();
  offset = band.GetOffset();
  if (!std::isfinite(scale) || !std::isfinite(offset) || scale == 0) {
    throw Error(path, "band " + std::to_string(band.GetBand()) + " declares scale " + FormatNumber(scale) +
                          " and offset " + FormatNumber(offset) + ", which give no usable values");
  }
}

double Grid::CellArea() const {
  return std::abs(geotransform[1] * geotransform[5] - geotransform[2] * geotransform[4]);
}

void Grid::CellCentre(int col, int row, double& x, double& y) const {
  const auto& gt = geotransform;
  x = gt[0] + (col + 0.5) * gt[1] + (row + 0.5) * gt[2];
  y = gt[3] + (col + 0.5) * gt[4] + (row + 0.5) * gt[5];
}

bool Grid::CellAt(double x, double y, int& col, int& row) const {
  const auto& gt = geotransform;
  const double det = gt[1] * gt[5] - gt[2] * gt[4];
  if (det == 0) return false;
  const double dx = x - gt[0], dy = y - gt[3];
  const double fcol = (gt[5] * dx - gt[2] * dy) / det;
  const double frow = (-gt[4] * dx + gt[1] * dy) / det;
  if (fcol < 0 || frow < 0 || fcol >= width || frow >= height) return false;
  col = static_cast<int>(fcol);
  row = static_cast<int>(frow);
  return true;
}

Grid GridOf(GDALDataset& dataset) {
  Grid grid;
  grid.width = dataset.GetRasterXSize();
  grid.height = dataset.GetRasterYSize();
  if (dataset.GetGeoTransform(grid.geotransform.data()) != CE_None) {
    grid.geotransform = {0, 1, 0, 0, 0, -1};
  }
  if (const auto* srs = dataset.GetSpatialRef()) {
    char* wkt = nullptr;
    const char* options[] = {"FORMAT=WKT2_2018", nullptr};
    srs->exportToWkt(&wkt, options);
    grid.wkt = wkt ? wkt : "";
    CPLFree(wkt);
  }
  return grid;
}

std::string GridDifference(const Grid& a, const Grid& b) {
  if (a.wkt.empty() != b.wkt.empty()) return "CRS: " + CrsName(a.wkt) + " vs " + CrsName(b.wkt);
  if (!a.wkt.empty()) {
    OGRSpatialReference sa, sb;
    sa.importFromWkt(a.wkt.c_str());
    sb.importFromWkt(b.wkt.c_str());
    if (!sa.IsSame(&sb)) return "CRS: " + CrsName(a.wkt) + " vs " + CrsName(b.wkt);
  }
  if (a.width != b.width || a.height != b.height) {
    return "size: " + std::to_string(a.width) + "x" + std::to_string(a.height) + " vs " + std::to_string(b.width) +
           "x" + std::to_string(b.height) + " cells";
  }
  // Compare the corners, in pixels of `a`.
  const double pixel =
      std::max(std::hypot(a.geotransform[1], a.geotransform[4]), std::hypot(a.geotransform[2], a.geotransform[5]));
  for (int corner = 0; corner < 4; ++corner) {
    const int col = (corner & 1) ? a.width : 0, row = (corner & 2) ? a.height : 0;
    double xa, ya, xb, yb;
    a.CellCentre(col, row, xa, ya);
    b.CellCentre(col, row, xb, yb);
    if (std::hypot(xa - xb, ya - yb) > 1e-3 * pixel) {
      const auto& ga = a.geotransform;
      const auto& gb = b.geotransform;
      return std::string("geotransform: ") +
             CPLSPrintf("origin (%.6f, %.6f) pixel (%.6f, %.6f)", ga[0], ga[3], ga[1], ga[5]) + " vs " +
             CPLSPrintf("origin (%.6f, %.6f) pixel (%.6f, %.6f)", gb[0], gb[3], gb[1], gb[5]);
    }
  }
  return "";
}

RasterStack::RasterStack(const StackSources& sources) : sources_(sources) {
  if (sources.paths.empty()) throw UsageError("inputs", "no input rasters given");
  for (const auto& path : sources.paths) datasets_.push_back(OpenRaster(path));

  std::optional<Grid> reference;
  std::string reference_path;
  if (!sources.align_to.empty()) {
    auto target = OpenRaster(sources.align_to);
    reference = GridOf(*target);
    reference_path = sources.align_to;
  }

  const int band_count = datasets_.front()->GetRasterCount();
  std::map<std::string, std::string> element_source;
  std::vector<std::string> not_symbols;  // inputs named like no element or oxide
  std::string not_symbol_path;
  for (size_t i = 0; i < datasets_.size(); ++i) {
    GDALDataset* dataset = datasets_[i].get();
    const std::string& path = sources.paths[i];
    if (dataset->GetRasterCount() != band_count) {
      throw Error(path, "mixed band counts: it has " + std::to_string(dataset->GetRasterCount()) + " bands, " +
                            sources.paths.front() + " has " + std::to_string(band_count) +
                            " (give one single-band file per element, or multi-band files with band descriptions)");
    }
    const Grid grid = GridOf(*dataset);
    if (!reference) {
      reference = grid;
      reference_path = path;
    } else if (const std::string difference = GridDifference(grid, *reference); !difference.empty()) {
      if (sources.align_to.empty()) {
        throw Error(path, "is not aligned with " + reference_path + ", they differ in " + difference +
                              " (use --align-to FILE to warp the inputs onto one grid)");
      }
      warped_.push_back(WarpOnto(*dataset, *reference, sources.resampling, path));
      dataset = warped_.back().get();
    }
    for (int b = 1; b <= band_count; ++b) {
      std::string label;
      if (band_count == 1) {
        label = Stem(path);
      } else {
        const char* description = dataset->GetRasterBand(b)->GetDescription();
        if (!description || !*description) {
          throw Error(path, "band " + std::to_string(b) + " has no description, so its element is unknown");
        }
        label = description;
      }
      const std::string name = ElementFromName(label);
      if (FindElement(label).empty()) {
        not_symbols.push_back(path + (band_count > 1 ? " band " + std::to_string(b) : "") + " ('" + name + "')");
        not_symbol_path = path;
      }
      if (auto [it, inserted] = element_source.emplace(name, path); !inserted) {
        throw Error(path, "element " + name + " is given twice (also by " + it->second + ")");
      }
      Band band{name, path, dataset, b};
      BandScaleOffset(*datasets_[i]->GetRasterBand(b), path, band.scale, band.offset);
      bands_.push_back(band);
      elements_.push_back(name);
    }
  }
  grid_ = *reference;
  if (sources.symbols_only && sources.elements.empty() && !not_symbols.empty()) {
    std::string list;
    for (const auto& item : not_symbols) list += (list.empty() ? "" : ", ") + item;
    throw Error(not_symbols.size() == 1 ? not_symbol_path : "inputs",
                std::string(not_symbols.size() == 1 ? "is" : "are") +
                    " not named like an element or oxide (a coordinate, a label or another variable?): " + list +
                    ". Leave " + (not_symbols.size() == 1 ? "it" : "them") +
                    " out, or name the variables to use in --elements");
  }
  if (!sources.elements.empty()) Select(sources.elements, "--elements");
}

RasterStack::~RasterStack() = default;

std::unique_ptr<RasterStack> RasterStack::Reopen() const {
  StackSources sources = sources_;
  sources.elements.clear();
  sources.symbols_only = false;  // the inputs passed that check when the stack was first opened
  auto copy = std::make_unique<RasterStack>(sources);
  copy->Select(elements_, "the reopened stack");
  return copy;
}

std::vector<std::string> RasterStack::input_paths() const {
  std::vector<std::string> paths;
  for (const auto& band : bands_) {
    if (std::find(paths.begin(), paths.end(), band.path) == paths.end()) paths.push_back(band.path);
  }
  return paths;
}

void RasterStack::Select(const std::vector<std::string>& wanted, const std::string& wanted_by) {
  std::vector<Band> selected;
  std::vector<std::string> missing;
  for (const auto& name : wanted) {
    const std::string canonical = CanonicalElement(name).empty() ? name : CanonicalElement(name);
    auto found = std::find_if(bands_.begin(), bands_.end(), [&](const Band& b) { return b.element == canonical; });
    if (found == bands_.end()) {
      missing.push_back(canonical);
    } else {
      selected.push_back(*found);
    }
  }
  if (!missing.empty()) {
    std::string names, available;
    for (const auto& name : missing) names += (names.empty() ? "" : ",") + name;
    for (const auto& band : bands_) available += (available.empty() ? "" : ",") + band.element;
    throw Error(wanted_by, std::string(missing.size() == 1 ? "needs element " : "needs elements ") + names +
                               ", which " + (missing.size() == 1 ? "no input provides" : "no inputs provide") +
                               " (inputs give: " + available + ")");
  }
  bands_ = selected;
  elements_.clear();
  for (const auto& band : bands_) elements_.push_back(band.element);
}

int RasterStack::MaxBlockHeight() const {
  int tallest = 1;
  for (const auto& band : bands_) {
    int block_width = 0, block_height = 0;
    band.dataset->GetRasterBand(band.band_index)->GetBlockSize(&block_width, &block_height);
    tallest = std::max(tallest, block_height);
  }
  return tallest;
}

void RasterStack::Read(int x0, int y0, int width, int height, StackWindow& out) const {
  out.x0 = x0;
  out.y0 = y0;
  out.width = width;
  out.height = height;
  out.n_elements = static_cast<int>(bands_.size());
  out.nonfinite = 0;
  const size_t cells = out.cells();
  out.values.assign(cells * bands_.size(), std::numeric_limits<float>::quiet_NaN());
  out.valid.assign(cells, 0);

  // The part of the window inside the raster.
  const int rx0 = std::max(x0, 0), ry0 = std::max(y0, 0);
  const int rx1 = std::min(x0 + width, grid_.width), ry1 = std::min(y0 + height, grid_.height);
  if (rx0 >= rx1 || ry0 >= ry1) return;
  for (int row = ry0; row < ry1; ++row) {
    std::fill_n(out.valid.begin() + (size_t(row - y0) * width + (rx0 - x0)), rx1 - rx0, uint8_t{1});
  }
  const size_t inside = size_t(ry0 - y0) * width + (rx0 - x0);  // the first cell inside the raster
  for (size_t e = 0; e < bands_.size(); ++e) {
    ReadBand(e, rx0, ry0, rx1 - rx0, ry1 - ry0, out.values.data() + e * cells + inside, width,
             out.valid.data() + inside, &out.nonfinite);
  }
}

void RasterStack::ReadBand(size_t e, int x0, int y0, int width, int height, float* values, int stride, uint8_t* valid,
                           int64_t* nonfinite) const {
  const Band& source = bands_[e];
  GDALRasterBand* band = source.dataset->GetRasterBand(source.band_index);
  const GSpacing line = static_cast<GSpacing>(stride) * sizeof(float);
  if (band->RasterIO(GF_Read, x0, y0, width, height, values, width, height, GDT_Float32, sizeof(float), line,
                     nullptr) != CE_None) {
    throw Error(source.path, "read failed: " + LastGdalError("I/O error"));
  }
  const int flags = band->GetMaskFlags();
  int has_nodata = 0;
  const double nodata = band->GetNoDataValue(&has_nodata);
  const bool use_nodata_value = flags == GMF_NODATA && has_nodata && !std::isnan(nodata);
  std::vector<uint8_t> mask;
  if (!(flags & GMF_ALL_VALID) && !use_nodata_value) {
    mask.resize(size_t(width) * height);
    if (band->GetMaskBand()->RasterIO(GF_Read, x0, y0, width, height, mask.data(), width, height, GDT_Byte, 0, 0,
                                      nullptr) != CE_None) {
      throw Error(source.path, "mask read failed: " + LastGdalError("I/O error"));
    }
  }
  // Nodata is a raw value; scale and offset apply to the values it does not mask.
  const float nodata_value = static_cast<float>(nodata);
  const bool scaled = source.scale != 1 || source.offset != 0;
  for (int row = 0; row < height; ++row) {
    for (int col = 0; col < width; ++col) {
      const size_t cell = size_t(row) * stride + col;
      float& value = values[cell];
      bool masked = false;
      if (use_nodata_value) {
        masked = value == nodata_value;
      } else if (!mask.empty()) {
        masked = mask[size_t(row) * width + col] == 0;
      }
      if (masked) {
        valid[cell] = 0;
      } else if (!std::isfinite(value)) {
        if (valid[cell] && nonfinite) ++*nonfinite;
        valid[cell] = 0;
      } else if (scaled) {
        value = static_cast<float>(value * source.scale + source.offset);
      }
    }
  }
}

void RasterStack::ThrowNoValidCell(int x0, int y0, int width, int height, const std::string& area) const {
  const int rx0 = std::max(x0, 0), ry0 = std::max(y0, 0);
  const int rx1 = std::min(x0 + width, grid_.width), ry1 = std::min(y0 + height, grid_.height);
  std::vector<std::string> empty_paths, empty_elements;
  std::string counts;
  std::vector<float> values;
  std::vector<uint8_t> valid;
  for (size_t e = 0; e < bands_.size(); ++e) {
    int64_t valid_cells = 0;
    const int strip = std::max(1, 65536 / std::max(1, rx1 - rx0));
    for (int row = ry0; row < ry1; row += strip) {
      const int rows = std::min(strip, ry1 - row);
      values.resize(size_t(rows) * (rx1 - rx0));
      valid.assign(values.size(), 1);
      ReadBand(e, rx0, row, rx1 - rx0, rows, values.data(), rx1 - rx0, valid.data(), nullptr);
      valid_cells += std::count(valid.begin(), valid.end(), uint8_t{1});
    }
    if (valid_cells == 0) {
      if (std::find(empty_paths.begin(), empty_paths.end(), bands_[e].path) == empty_paths.end())
        empty_paths.push_back(bands_[e].path);
      empty_elements.push_back(bands_[e].element);
    }
    counts += (counts.empty() ? "" : ", ") + bands_[e].element + " " + std::to_string(valid_cells);
  }
  const auto join = [](const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
    return out;
  };
  if (empty_paths.empty()) {
    throw Error("inputs", "no cell of " + area + " is valid in every element: each holds valid cells (" + counts +
                              "), but they do not overlap");
  }
  throw Error(join(empty_paths), std::string(empty_paths.size() == 1 ? "holds" : "hold") + " no valid cell in " + area +
                                     " (all nodata, masked or NaN): element" +
                                     (empty_elements.size() == 1 ? " " : "s ") + join(empty_elements));
}

std::unique_ptr<OGRCoordinateTransformation> TransformToGrid(const OGRSpatialReference* source, const Grid& grid,
                                                             const std::string& path) {
  if (!source || grid.wkt.empty()) return nullptr;
  OGRSpatialReference target;
  target.importFromWkt(grid.wkt.c_str());
  target.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  OGRSpatialReference from(*source);
  from.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  if (from.IsSame(&target)) return nullptr;
  std::unique_ptr<OGRCoordinateTransformation> transform(OGRCreateCoordinateTransformation(&from, &target));
  if (!transform) throw Error(path, "its CRS cannot be transformed to the rasters' CRS: " + LastGdalError("unknown"));
  return transform;
}

}  // namespace geoprosp
