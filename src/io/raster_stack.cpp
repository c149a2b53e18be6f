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

namespace geoprosp {
namespace {

std::shared_ptr<GDALDataset> OpenRaster(const std::string& path) {
  VSIStatBufL stat;
  if (VSIStatL(path.c_str(), &stat) != 0 && path.rfind("/vsi", 0) != 0) {
    throw Error(path, "no such file");
  }
  CPLErrorReset();
  auto* dataset = GDALDataset::Open(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY);
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
    } else if (const std::string difference = GridDifference(*reference, grid); !difference.empty()) {
      if (sources.align_to.empty()) {
        throw Error(path, "is not aligned with " + reference_path + ", they differ in " + difference +
                              " (use --align-to FILE to warp the inputs onto one grid)");
      }
      warped_.push_back(WarpOnto(*dataset, *reference, sources.resampling, path));
      dataset = warped_.back().get();
    }
    for (int b = 1; b <= band_count; ++b) {
      std::string name;
      if (band_count == 1) {
        name = ElementFromName(Stem(path));
      } else {
        const char* description = dataset->GetRasterBand(b)->GetDescription();
        if (!description || !*description) {
          throw Error(path, "band " + std::to_string(b) + " has no description, so its element is unknown");
        }
        name = ElementFromName(description);
      }
      if (auto [it, inserted] = element_source.emplace(name, path); !inserted) {
        throw Error(path, "element " + name + " is given twice (also by " + it->second + ")");
      }
      bands_.push_back({name, path, dataset, b});
      elements_.push_back(name);
    }
  }
  grid_ = *reference;
  if (!sources.elements.empty()) Select(sources.elements, "--elements");
}

RasterStack::~RasterStack() = default;

std::unique_ptr<RasterStack> RasterStack::Reopen() const {
  StackSources sources = sources_;
  sources.elements.clear();
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
  for (const auto& name : wanted) {
    const std::string canonical = CanonicalElement(name).empty() ? name : CanonicalElement(name);
    auto found = std::find_if(bands_.begin(), bands_.end(), [&](const Band& b) { return b.element == canonical; });
    if (found == bands_.end()) {
      std::string available;
      for (const auto& band : bands_) available += (available.empty() ? "" : ",") + band.element;
      throw Error(wanted_by,
                  "needs element " + canonical + ", which no input provides (inputs give: " + available + ")");
    }
    selected.push_back(*found);
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
  std::vector<uint8_t> mask;
  for (size_t e = 0; e < bands_.size(); ++e) {
    GDALRasterBand* band = bands_[e].dataset->GetRasterBand(bands_[e].band_index);
    float* first = out.values.data() + e * cells + size_t(ry0 - y0) * width + (rx0 - x0);
    const GSpacing line = static_cast<GSpacing>(width) * sizeof(float);
    if (band->RasterIO(GF_Read, rx0, ry0, rx1 - rx0, ry1 - ry0, first, rx1 - rx0, ry1 - ry0, GDT_Float32, sizeof(float),
                       line, nullptr) != CE_None) {
      throw Error(bands_[e].path, "read failed: " + LastGdalError("I/O error"));
    }
    const int flags = band->GetMaskFlags();
    int has_nodata = 0;
    const double nodata = band->GetNoDataValue(&has_nodata);
    const bool use_nodata_value = flags == GMF_NODATA && has_nodata && !std::isnan(nodata);
    if (!(flags & GMF_ALL_VALID) && !use_nodata_value) {
      mask.resize(size_t(rx1 - rx0) * (ry1 - ry0));
      if (band->GetMaskBand()->RasterIO(GF_Read, rx0, ry0, rx1 - rx0, ry1 - ry0, mask.data(), rx1 - rx0, ry1 - ry0,
                                        GDT_Byte, 0, 0, nullptr) != CE_None) {
        throw Error(bands_[e].path, "mask read failed: " + LastGdalError("I/O error"));
      }
    }
    const float nodata_value = static_cast<float>(nodata);
    for (int row = ry0; row < ry1; ++row) {
      const size_t base = size_t(row - y0) * width;
      for (int col = rx0; col < rx1; ++col) {
        const size_t cell = base + (col - x0);
        const float value = out.values[e * cells + cell];
        bool masked = false;
        if (use_nodata_value) {
          masked = value == nodata_value;
        } else if (!mask.empty()) {
          masked = mask[size_t(row - ry0) * (rx1 - rx0) + (col - rx0)] == 0;
        }
        if (masked) {
          out.valid[cell] = 0;
        } else if (!std::isfinite(value)) {
          if (out.valid[cell]) ++out.nonfinite;
          out.valid[cell] = 0;
        }
      }
    }
    mask.clear();
  }
}

}  // namespace geoprosp
