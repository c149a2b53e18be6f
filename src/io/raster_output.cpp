#include "geoprosp/io/raster_output.hpp"

#include <gdal_priv.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>

#include "geoprosp/core/error.hpp"
#include "geoprosp/core/options.hpp"
#include "geoprosp/io/output_set.hpp"

namespace geoprosp {
namespace {

GDALDriver* DriverFor(const std::string& format) {
  auto* driver = GetGDALDriverManager()->GetDriverByName(format.c_str());
  if (!driver) throw UsageError("-of", "unknown output format '" + format + "' (see gdalinfo --formats)");
  if (!driver->GetMetadataItem(GDAL_DCAP_RASTER) ||
      (!driver->GetMetadataItem(GDAL_DCAP_CREATE) && !driver->GetMetadataItem(GDAL_DCAP_CREATECOPY))) {
    throw UsageError("-of", "format '" + format + "' cannot write rasters");
  }
  return driver;
}

bool PerElement(OutputKind kind) { return kind == OutputKind::Elements || kind == OutputKind::Contributions; }

bool CanCreate(GDALDriver* driver) { return driver->GetMetadataItem(GDAL_DCAP_CREATE) != nullptr; }

bool IsByte(OutputKind kind) { return kind == OutputKind::Classes || kind == OutputKind::Outside; }

GDALDataType TypeOf(OutputKind kind) { return IsByte(kind) ? GDT_Byte : GDT_Float32; }

double NodataOf(OutputKind kind) {
  return IsByte(kind) ? kClassNodata : kind == OutputKind::Elements ? kElementNodata : kProbabilityNodata;
}

// A paletted Byte band: `colours` by value (the rest transparent), named by `names`.
void SetPalette(GDALRasterBand& band, const std::vector<GDALColorEntry>& colours,
                const std::vector<std::string>& names) {
  GDALColorTable table;
  const GDALColorEntry transparent = {0, 0, 0, 0};
  for (int i = 0; i < 256; ++i) table.SetColorEntry(i, i < int(colours.size()) ? &colours[i] : &transparent);
  band.SetColorTable(&table);
  CPLStringList categories;
  for (const auto& name : names) categories.AddString(name.c_str());
  band.SetCategoryNames(categories.List());
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

// The user's -co, and for GTiff the defaults a GIS user expects of a map (tiled, DEFLATE with the
// predictor that suits the data type, BigTIFF when it may exceed 4 GB) for every key -co leaves out.
CPLStringList CreationOptions(GDALDriver* driver, const std::vector<std::string>& user, OutputKind kind) {
  CPLStringList options;
  for (const auto& option : user) options.AddString(option.c_str());
  if (!EQUAL(driver->GetDescription(), "GTiff")) return options;
  const auto set_default = [&](const char* key, const char* value) {
    if (!options.FetchNameValue(key)) options.SetNameValue(key, value);
  };
  set_default("TILED", "YES");
  set_default("COMPRESS", "DEFLATE");
  set_default("BIGTIFF", "IF_SAFER");
  const std::string compress = options.FetchNameValue("COMPRESS");
  if (EQUAL(compress.c_str(), "DEFLATE") || EQUAL(compress.c_str(), "LZW") || EQUAL(compress.c_str(), "ZSTD"))
    set_default("PREDICTOR", IsByte(kind) ? "2" : "3");  // Byte: differences; Float32: floating point
  return options;
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
  const char* extension = DriverFor(format)->GetMetadataItem(GDAL_DMD_EXTENSION);
  return extension ? extension : "";
}

void CheckRasterFormat(const OutputSpec& spec, OutputKind kind) {
  GDALDriver* driver = DriverFor(spec.format);
  if (EQUAL(spec.format.c_str(), "MEM") || EQUAL(spec.format.c_str(), "VRT"))
    throw UsageError("-of", spec.format + " writes no raster of its own; choose a file format such as GTiff or COG");
  const char* type = GDALGetDataTypeName(TypeOf(kind));
  const char* types = driver->GetMetadataItem(GDAL_DMD_CREATIONDATATYPES);
  if (CPLStringList(CSLTokenizeString(types ? types : ""), TRUE).FindString(type) < 0) {
    const std::string what = kind == OutputKind::Classes ? "classes" : IsByte(kind) ? "mask values" : "values";
    throw UsageError("-of", spec.format + " cannot hold the " + type + " " + what + " of " + spec.path +
                                " (it writes " + (types ? types : "no declared data types") +
                                ", so values would be rounded or lost); choose a format that writes " + type +
                                ", such as GTiff or COG");
  }
}

RasterOutput::RasterOutput(const std::string& path, const OutputSpec& spec, const Grid& grid, OutputKind kind,
                           const std::vector<std::string>& elements)
    : path_(path),
      spec_(spec),
      kind_(kind),
      bands_(PerElement(kind) ? static_cast<int>(elements.size()) : 1),
      grid_(grid) {
  if (bands_ < 1) throw Error(spec.path, "no element to write");
  CheckRasterFormat(spec, kind);
  GDALDriver* driver = DriverFor(spec.format);
  auto geotransform = grid.geotransform;
  OGRSpatialReference srs;
  if (!grid.wkt.empty()) srs.importFromWkt(grid.wkt.c_str());
  GDALDriver* creator = driver;
  CPLStringList options = CreationOptions(driver, spec.creation_options, kind);
  if (!CanCreate(driver)) {
    // The creation options are tried now on a small raster, so a bad one fails before any work.
    const int side = std::min(64, std::max(grid.width, grid.height));
    std::unique_ptr<GDALDataset> trial(
        GetGDALDriverManager()->GetDriverByName("MEM")->Create("", side, side, 1, TypeOf(kind), nullptr));
    trial->SetGeoTransform(geotransform.data());
    if (!grid.wkt.empty()) trial->SetSpatialRef(&srs);
    const std::string trial_path =
        std::string(CPLResetExtension(path.c_str(), "trial.")) + CPLGetExtension(path.c_str());
    CPLErrorReset();
    GDALDataset* copy = driver->CreateCopy(trial_path.c_str(), trial.get(), FALSE, options.List(), nullptr, nullptr);
    const std::string problem = Unstaged(LastGdalError("unknown error"), path_, spec.path);
    if (copy) GDALClose(copy);
    RemoveDataset(trial_path);
    if (!copy) throw UsageError("-co", spec.format + " cannot write " + spec.path + " with these options: " + problem);
    creator = GetGDALDriverManager()->GetDriverByName("GTiff");
    intermediate_ = path + ".gtiff.tif";
    options.Clear();
    options.AddString("TILED=YES");
    options.AddString("COMPRESS=ZSTD");
  }
  const std::string& create_path = intermediate_.empty() ? path_ : intermediate_;
  CPLErrorReset();
  dataset_ = creator->Create(create_path.c_str(), grid.width, grid.height, bands_, TypeOf(kind), options.List());
  if (!dataset_)
    throw Error(spec.path, "cannot be created: " + Unstaged(LastWriteError("unknown error", path_), path_, spec.path));
  dataset_->SetGeoTransform(geotransform.data());
  if (!grid.wkt.empty()) dataset_->SetSpatialRef(&srs);
  for (int b = 1; b <= bands_; ++b) dataset_->GetRasterBand(b)->SetNoDataValue(NodataOf(kind));
  GDALRasterBand* band = dataset_->GetRasterBand(1);
  if (PerElement(kind)) {
    for (int b = 1; b <= bands_; ++b) dataset_->GetRasterBand(b)->SetDescription(elements[b - 1].c_str());
  } else if (kind == OutputKind::Classes) {
    band->SetDescription("prospective area class");
    std::vector<GDALColorEntry> colours;
    for (const Rgb& c : ClassColours()) colours.push_back({c.red, c.green, c.blue, 255});
    SetPalette(*band, colours, ClassNames());
  } else if (kind == OutputKind::Outside) {
    band->SetDescription("outside the model's applicability (1) or within it (0)");
    SetPalette(*band, {{0, 0, 0, 0}, {110, 110, 110, 255}}, {"within applicability", "outside applicability"});
  } else {
    band->SetDescription(
        kind == OutputKind::Probability ? "prospectivity probability (calibrated)"
        : kind == OutputKind::Score     ? "prospectivity score (uncalibrated: ranks cells, not a probability)"
        : kind == OutputKind::Distance  ? "applicability distance (Mahalanobis, from the training cells' features)"
                                        : "ensemble standard deviation of the probability");
  }
}

RasterOutput::~RasterOutput() {
  if (dataset_) GDALClose(dataset_);
}

void RasterOutput::WriteRows(int band, int first_row, int rows, const void* data) {
  if (dataset_->GetRasterBand(band)->RasterIO(GF_Write, 0, first_row, grid_.width, rows, const_cast<void*>(data),
                                              grid_.width, rows, TypeOf(kind_), 0, 0, nullptr) != CE_None) {
    throw Error(spec_.path, "write failed: " + Unstaged(LastWriteError("I/O error", path_), path_, spec_.path));
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

void RasterOutput::Finish(const Progress& progress) {
  CPLErrorReset();
  GDALClose(dataset_);  // returns void in GDAL 3.6: failures show in the error state
  dataset_ = nullptr;
  const auto failure = [&](const std::string& what, const std::string& fallback) {
    return Error(spec_.path, what + ": " + Unstaged(LastWriteError(fallback, path_), path_, spec_.path));
  };
  if (CPLGetLastErrorType() == CE_Failure) throw failure("could not be completed", "I/O error");
  if (!intermediate_.empty()) {
    std::unique_ptr<GDALDataset> source(GDALDataset::Open(intermediate_.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY));
    if (!source) throw failure("intermediate file vanished", "I/O error");
    CPLErrorReset();
    GDALDataset* copy = DriverFor(spec_.format)
                            ->CreateCopy(path_.c_str(), source.get(), FALSE,
                                         CreationOptions(DriverFor(spec_.format), spec_.creation_options, kind_).List(),
                                         progress.func, progress.data);
    source.reset();
    if (!copy) {
      if (CPLGetLastErrorNo() == CPLE_UserInterrupt) throw Cancelled();
      throw failure("cannot be written as " + spec_.format, "unknown error");
    }
    CPLErrorReset();
    GDALClose(copy);
    if (CPLGetLastErrorType() == CE_Failure) throw failure("could not be completed", "I/O error");
    RemoveDataset(intermediate_);
    intermediate_.clear();
  }
  // Read back what the driver kept.
  CPLPushErrorHandler(CPLQuietErrorHandler);
  std::unique_ptr<GDALDataset> written(GDALDataset::Open(path_.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY));
  CPLPopErrorHandler();
  const auto lost = [&](const std::string& what) {
    return Error(spec_.path, "the " + spec_.format + " driver did not keep " + what + "; choose another -of");
  };
  if (!written) throw failure("cannot be read back", "unknown error");
  if (written->GetRasterXSize() != grid_.width || written->GetRasterYSize() != grid_.height)
    throw lost("the raster's size");
  if (written->GetRasterCount() != bands_) throw lost(std::to_string(bands_) + " bands");
  for (int b = 1; b <= bands_; ++b) {
    GDALRasterBand* band = written->GetRasterBand(b);
    if (band->GetRasterDataType() != TypeOf(kind_))
      throw lost(std::string("the data type ") + GDALGetDataTypeName(TypeOf(kind_)));
    int has_nodata = 0;
    const double nodata = band->GetNoDataValue(&has_nodata);
    if (!has_nodata || nodata != NodataOf(kind_)) throw lost("the nodata value " + FormatNumber(NodataOf(kind_)));
  }
  std::array<double, 6> geotransform{};
  if (written->GetGeoTransform(geotransform.data()) != CE_None) throw lost("the georeferencing");
  for (int i = 0; i < 6; ++i) {
    const double scale = std::max({std::abs(grid_.geotransform[1]), std::abs(grid_.geotransform[5]), 1e-12});
    if (std::abs(geotransform[i] - grid_.geotransform[i]) > 1e-6 * scale) throw lost("the georeferencing");
  }
  if (!grid_.wkt.empty()) {
    OGRSpatialReference srs;
    srs.importFromWkt(grid_.wkt.c_str());
    const OGRSpatialReference* kept = written->GetSpatialRef();
    const char* criteria[] = {"IGNORE_DATA_AXIS_TO_SRS_AXIS_MAPPING=YES", nullptr};
    if (!kept || !kept->IsSame(&srs, criteria)) throw lost("the coordinate reference system");
  }
}

}  // namespace geoprosp
