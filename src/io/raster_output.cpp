#include "geoprosp/io/raster_output.hpp"

#include <gdal_priv.h>
#include <unistd.h>

#include <filesystem>

#include "geoprosp/core/error.hpp"

namespace fs = std::filesystem;

namespace geoprosp {
namespace {

GDALDriver* DriverFor(const std::string& option, const std::string& format) {
  auto* driver = GetGDALDriverManager()->GetDriverByName(format.c_str());
  if (!driver) throw UsageError(option, "unknown output format '" + format + "' (see gdalinfo --formats)");
  if (!driver->GetMetadataItem(GDAL_DCAP_RASTER) ||
      (!driver->GetMetadataItem(GDAL_DCAP_CREATE) && !driver->GetMetadataItem(GDAL_DCAP_CREATECOPY))) {
    throw UsageError(option, "format '" + format + "' cannot write rasters");
  }
  return driver;
}

bool CanCreate(GDALDriver* driver) { return driver->GetMetadataItem(GDAL_DCAP_CREATE) != nullptr; }

std::string TemporaryName(const std::string& path, const std::string& tag) {
  const fs::path p(path);
  return (p.parent_path() / (p.filename().string() + ".tmp" + std::to_string(getpid()) + tag + p.extension().string()))
      .string();
}

void RemoveDataset(const std::string& path) {
  if (path.empty()) return;
  VSIStatBufL stat;
  if (VSIStatL(path.c_str(), &stat) != 0) return;
  if (GDALDriverH driver = GDALIdentifyDriver(path.c_str(), nullptr)) {
    CPLPushErrorHandler(CPLQuietErrorHandler);
    const CPLErr result = GDALDeleteDataset(driver, path.c_str());
    CPLPopErrorHandler();
    if (result == CE_None) return;
  }
  VSIUnlink(path.c_str());
}

}  // namespace

const std::vector<Rgb>& ClassColours() {
  static const std::vector<Rgb> colours = {{230, 230, 230}, {255, 237, 160}, {254, 153, 41}, {204, 24, 30}};
  return colours;
}

const std::vector<std::string>& ClassNames() {
  static const std::vector<std::string> names = {"background", "low", "moderate", "high"};
  return names;
}

std::string RasterExtension(const std::string& format) {
  const char* extension = DriverFor("-of", format)->GetMetadataItem(GDAL_DMD_EXTENSION);
  return extension ? extension : "";
}

void CheckNewFile(const std::string& option, const std::string& path, bool overwrite,
                  const std::vector<std::string>& inputs) {
  std::error_code ec;
  for (const auto& input : inputs) {
    if (fs::equivalent(path, input, ec)) throw Error(path, "is also an input; inputs are never modified");
  }
  VSIStatBufL stat;
  if (VSIStatL(path.c_str(), &stat) == 0 && !overwrite) throw Error(path, "exists; use --overwrite to replace it");
  if (path.rfind("/vsi", 0) == 0) return;
  const fs::path folder = fs::path(path).parent_path().empty() ? fs::path(".") : fs::path(path).parent_path();
  if (!fs::is_directory(folder, ec))
    throw Error(path, "cannot be written: folder " + folder.string() + " does not exist");
  if (access(folder.c_str(), W_OK) != 0)
    throw Error(path, "cannot be written: folder " + folder.string() + " is not writable");
}

void CheckOutputPath(const std::string& option, const OutputSpec& spec, bool overwrite,
                     const std::vector<std::string>& inputs) {
  DriverFor("-of", spec.format);
  CheckNewFile(option, spec.path, overwrite, inputs);
}

RasterOutput::RasterOutput(const OutputSpec& spec, const Grid& grid, OutputKind kind,
                           const std::vector<std::string>& elements)
    : spec_(spec), kind_(kind), width_(grid.width) {
  const int bands = kind == OutputKind::Elements ? static_cast<int>(elements.size()) : 1;
  if (bands < 1) throw Error(spec.path, "no element to write");
  GDALDriver* driver = DriverFor("-of", spec.format);
  temporary_ = TemporaryName(spec.path, "");
  GDALDriver* creator = driver;
  CPLStringList options;
  if (CanCreate(driver)) {
    for (const auto& option : spec.creation_options) options.AddString(option.c_str());
  } else {
    creator = GetGDALDriverManager()->GetDriverByName("GTiff");
    intermediate_ = TemporaryName(spec.path, "i.tif");
    options.AddString("TILED=YES");
    options.AddString("COMPRESS=ZSTD");
  }
  const std::string& create_path = intermediate_.empty() ? temporary_ : intermediate_;
  const GDALDataType type = kind == OutputKind::Classes ? GDT_Byte : GDT_Float32;
  CPLErrorReset();
  dataset_ = creator->Create(create_path.c_str(), grid.width, grid.height, bands, type, options.List());
  if (!dataset_) throw Error(spec.path, "cannot be created: " + LastGdalError("unknown error"));
  auto geotransform = grid.geotransform;
  dataset_->SetGeoTransform(geotransform.data());
  if (!grid.wkt.empty()) {
    OGRSpatialReference srs;
    srs.importFromWkt(grid.wkt.c_str());
    dataset_->SetSpatialRef(&srs);
  }
  GDALRasterBand* band = dataset_->GetRasterBand(1);
  if (kind == OutputKind::Elements) {
    for (int b = 1; b <= bands; ++b) {
      dataset_->GetRasterBand(b)->SetNoDataValue(kElementNodata);
      dataset_->GetRasterBand(b)->SetDescription(elements[b - 1].c_str());
    }
  } else if (kind != OutputKind::Classes) {
    band->SetNoDataValue(kProbabilityNodata);
    band->SetDescription(kind == OutputKind::Probability ? "prospectivity probability"
                                                         : "ensemble standard deviation of the probability");
  } else {
    band->SetNoDataValue(kClassNodata);
    band->SetDescription("prospective area class");
    GDALColorTable colours;
    for (int i = 0; i < 4; ++i) {
      const Rgb& c = ClassColours()[i];
      const GDALColorEntry entry = {c.red, c.green, c.blue, 255};
      colours.SetColorEntry(i, &entry);
    }
    const GDALColorEntry transparent = {0, 0, 0, 0};
    for (int i = 4; i < 256; ++i) colours.SetColorEntry(i, &transparent);
    band->SetColorTable(&colours);
    CPLStringList names;
    for (const auto& name : ClassNames()) names.AddString(name.c_str());
    band->SetCategoryNames(names.List());
  }
}

RasterOutput::~RasterOutput() {
  if (dataset_) GDALClose(dataset_);
  if (!committed_) {
    RemoveDataset(intermediate_);
    RemoveDataset(temporary_);
  }
}

void RasterOutput::WriteRows(int band, int first_row, int rows, const void* data) {
  const GDALDataType type = kind_ == OutputKind::Classes ? GDT_Byte : GDT_Float32;
  if (dataset_->GetRasterBand(band)->RasterIO(GF_Write, 0, first_row, width_, rows, const_cast<void*>(data), width_,
                                              rows, type, 0, 0, nullptr) != CE_None) {
    throw Error(spec_.path, "write failed: " + LastGdalError("I/O error"));
  }
}

void RasterOutput::SetMetadata(const std::map<std::string, std::string>& items) {
  for (const auto& [key, value] : items) dataset_->SetMetadataItem(key.c_str(), value.c_str());
}

void RasterOutput::SetBandMetadata(int band, const std::map<std::string, std::string>& items) {
  for (const auto& [key, value] : items) dataset_->GetRasterBand(band)->SetMetadataItem(key.c_str(), value.c_str());
}

void RasterOutput::SetBandUnit(int band, const std::string& unit) {
  dataset_->GetRasterBand(band)->SetUnitType(unit.c_str());
}

void RasterOutput::Commit(bool overwrite, const Progress& progress) {
  CPLErrorReset();
  GDALClose(dataset_);  // returns void in GDAL 3.6: failures show in the error state
  dataset_ = nullptr;
  if (CPLGetLastErrorType() == CE_Failure)
    throw Error(spec_.path, "could not be completed: " + LastGdalError("I/O error"));
  if (!intermediate_.empty()) {
    GDALDriver* driver = DriverFor("-of", spec_.format);
    CPLStringList options;
    for (const auto& option : spec_.creation_options) options.AddString(option.c_str());
    auto* source = GDALDataset::Open(intermediate_.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY);
    if (!source) throw Error(spec_.path, "intermediate file vanished: " + LastGdalError("I/O error"));
    GDALDataset* copy =
        driver->CreateCopy(temporary_.c_str(), source, FALSE, options.List(), progress.func, progress.data);
    GDALClose(source);
    if (!copy) throw Error(spec_.path, "cannot be written as " + spec_.format + ": " + LastGdalError("unknown error"));
    CPLErrorReset();
    GDALClose(copy);
    if (CPLGetLastErrorType() == CE_Failure)
      throw Error(spec_.path, "could not be completed: " + LastGdalError("I/O error"));
    RemoveDataset(intermediate_);
    intermediate_.clear();
  }
  if (overwrite) RemoveDataset(spec_.path);
  GDALDriver* driver = DriverFor("-of", spec_.format);
  if (driver->Rename(spec_.path.c_str(), temporary_.c_str()) != CE_None) {
    throw Error(spec_.path, "cannot be moved into place: " + LastGdalError("rename failed"));
  }
  committed_ = true;
}

}  // namespace geoprosp
