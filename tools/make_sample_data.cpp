// make_sample_data: writes a small, deterministic, SYNTHETIC stream-sediment
// geochemical survey (16 element GeoTIFFs + known deposits) for geoprosp.
//
// Usage: make_sample_data OUTDIR [--seed N]
//
// Determinism: only splitmix64 raw output and hand-written Box-Muller are used
// (std:: distributions are implementation-defined), zones and deposits are fixed
// tables, and GDAL is kept from writing timestamps or .aux.xml side files.
#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_vsi.h>
#include <gdal_priv.h>
#include <ogr_geometry.h>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace {

// Grid: 205 x 205 cells of 200 m (41 x 41 km) in EPSG:4547, SW corner at
// (430000, 2500000), i.e. about 22.60N 113.32E, Guangdong.
constexpr int kCols = 205;
constexpr int kRows = 205;
constexpr int kCells = kCols * kRows;
constexpr double kPixel = 200.0;
constexpr double kWest = 430000.0;
constexpr double kSouth = 2500000.0;
constexpr double kNorth = kSouth + kRows * kPixel;
constexpr int kEpsg = 4547;
constexpr float kNodata = -9999.0f;
constexpr double kPi = 3.14159265358979323846;

// splitmix64: tiny, portable, and good enough for synthetic data.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  double normal() {               // Box-Muller, cosine branch only
    double u1 = 1.0 - uniform();  // (0, 1], keeps log finite
    double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * kPi * u2);
  }

 private:
  uint64_t state_;
};

// Independent stream per purpose, so adding an element does not reshuffle the others.
Rng stream(uint64_t seed, uint64_t id) { return Rng(seed ^ (id * 0xD1B54A32D192ED03ULL)); }

// Background model: ln(value) = ln(median) + log_sd * (granite*G + mafic*M + own*E).
// G and M are shared "lithology" fields that give realistic inter-element correlation.
struct Element {
  const char* name;
  const char* unit;
  double median;
  double log_sd;   // natural-log standard deviation of background
  double granite;  // loading on felsic-intrusive factor (Sn-W-Bi-F-B-Ba-Pb)
  double mafic;    // loading on mafic/shale factor (Cu-Zn-Mn-As-Sb)
};
const Element kElements[] = {
    {"Au", "ppb", 1.5, 0.75, 0.0, 0.2}, {"B", "ppm", 50, 0.6, 0.4, -0.2}, {"Sn", "ppm", 5, 0.6, 0.6, -0.2},
    {"Cu", "ppm", 25, 0.5, -0.3, 0.6},  {"Ag", "ppb", 80, 0.6, 0.1, 0.3}, {"Ba", "ppm", 400, 0.5, 0.4, -0.1},
    {"Mn", "ppm", 600, 0.5, -0.2, 0.6}, {"Pb", "ppm", 35, 0.5, 0.4, 0.1}, {"Zn", "ppm", 80, 0.4, 0.0, 0.6},
    {"As", "ppm", 15, 0.8, -0.1, 0.4},  {"Sb", "ppm", 1, 0.7, -0.1, 0.4}, {"Bi", "ppm", 0.5, 0.7, 0.5, 0.0},
    {"Hg", "ppb", 60, 0.6, -0.1, 0.3},  {"Mo", "ppm", 1, 0.6, 0.3, 0.2},  {"W", "ppm", 3, 0.7, 0.6, -0.1},
    {"F", "ppm", 500, 0.4, 0.6, 0.0},
};
constexpr int kNumElements = sizeof(kElements) / sizeof(kElements[0]);

// Elliptical Gaussian halo multiplying the background; a/b are 1-sigma
// semi-axes in km, azimuth of the long axis clockwise from north.
struct Halo {
  const char* association;
  double cx_km, cy_km, a_km, b_km, azimuth_deg;
  std::vector<std::pair<const char*, double>> peak_gain;
};
const std::vector<Halo> kHalos = {
    {"Au-As-Sb-Hg", 9.0, 31.0, 2.6, 1.2, 40, {{"Au", 25}, {"As", 6}, {"Sb", 8}, {"Hg", 5}}},
    {"Au-As-Sb-Hg", 29.5, 12.5, 2.0, 1.0, 55, {{"Au", 15}, {"As", 8}, {"Sb", 5}, {"Hg", 4}}},
    {"Sn-W-Bi-F-B", 27.0, 33.0, 3.0, 2.2, 20, {{"Sn", 12}, {"W", 15}, {"Bi", 10}, {"F", 3}, {"B", 4}}},
    {"Sn-W-Bi-F-B", 8.0, 9.0, 2.2, 1.8, 120, {{"Sn", 8}, {"W", 6}, {"Bi", 6}, {"F", 2.5}, {"B", 3}}},
    {"Cu-Mo-Bi", 19.0, 21.0, 1.8, 1.4, 0, {{"Cu", 10}, {"Mo", 12}, {"Bi", 3}}},
    {"Pb-Zn-Ag-Mn", 35.0, 26.0, 2.8, 1.2, 45, {{"Pb", 10}, {"Zn", 6}, {"Ag", 8}, {"Mn", 2.5}}},
    {"Pb-Zn-Ag-Mn", 16.0, 5.0, 1.8, 1.0, 70, {{"Pb", 6}, {"Zn", 5}, {"Ag", 4}, {"Mn", 1.8}}},
    // False positives: weak Au-As (e.g. pyritic black shale) and a Mn-oxide
    // scavenging anomaly (Mn-Ba-Zn-Pb) with no mineralization behind them.
    {"Au-As (weak)", 21.0, 38.0, 1.8, 1.0, 30, {{"Au", 4}, {"As", 3}}},
    {"Mn-Ba-Zn-Pb (scavenging)", 4.0, 20.0, 1.6, 1.2, 0, {{"Mn", 4}, {"Ba", 2.5}, {"Zn", 2.5}, {"Pb", 2}}},
};

struct Deposit {
  int halo;           // index into kHalos
  double x_km, y_km;  // from the SW corner of the grid
  const char* metals;
};
const Deposit kDeposits[] = {
    {0, 8.6, 30.6, "Au-As-Sb"}, {0, 9.9, 32.0, "Au-Sb"},    {1, 29.2, 12.3, "Au-As"},    {1, 30.4, 13.0, "Au-As-Hg"},
    {2, 26.6, 32.4, "Sn-W"},    {2, 27.8, 34.1, "W-Bi"},    {2, 26.1, 34.0, "Sn-W-Bi"},  {3, 8.3, 9.2, "Sn-B"},
    {3, 7.5, 8.4, "Sn-W-F"},    {4, 19.1, 21.2, "Cu-Mo"},   {4, 18.6, 20.5, "Cu-Mo-Bi"}, {5, 34.6, 25.7, "Pb-Zn-Ag"},
    {5, 35.8, 26.7, "Pb-Zn"},   {6, 16.2, 5.1, "Pb-Zn-Ag"},
};

// Below-detection cells written as exact 0 (as many survey databases do).
const std::pair<const char*, int> kZeroCounts[] = {{"Au", 30}, {"Hg", 24}, {"Bi", 20}};

double cell_x_km(int col) { return (col + 0.5) * kPixel / 1000.0; }
double cell_y_km(int row) { return (kRows - row - 0.5) * kPixel / 1000.0; }

int element_index(const char* name) {
  for (int e = 0; e < kNumElements; ++e)
    if (std::strcmp(kElements[e].name, name) == 0) return e;
  std::fprintf(stderr, "internal error: unknown element %s\n", name);
  std::exit(1);
}

// Smooth random field (sum of Gaussian blobs), standardized to mean 0, sd 1.
// Mimics the spatial correlation of an IDW-gridded ~1 sample/km2 survey.
std::vector<double> smooth_field(Rng rng, int blobs) {
  std::vector<double> field(kCells, 0.0);
  for (int k = 0; k < blobs; ++k) {
    double cx = rng.uniform(-5, 46), cy = rng.uniform(-5, 46);
    double sigma = rng.uniform(1.0, 3.5), amp = rng.normal();
    double inv_two_var = 1.0 / (2.0 * sigma * sigma);
    for (int r = 0; r < kRows; ++r)
      for (int c = 0; c < kCols; ++c) {
        double dx = cell_x_km(c) - cx, dy = cell_y_km(r) - cy;
        field[r * kCols + c] += amp * std::exp(-(dx * dx + dy * dy) * inv_two_var);
      }
  }
  double sum = 0, sum_sq = 0;
  for (double v : field) sum += v;
  double mean = sum / kCells;
  for (double v : field) sum_sq += (v - mean) * (v - mean);
  double sd = std::sqrt(sum_sq / kCells);
  for (double& v : field) v = (v - mean) / sd;
  return field;
}

// Irregular nodata patch in the SE corner (outside the survey boundary), ~3%.
bool outside_survey(int row, int col) {
  double dx = 41.0 - cell_x_km(col), dy = cell_y_km(row);
  double phi = std::atan2(dy, dx);
  double radius = 8.0 + 1.2 * std::sin(5.0 * phi) + 0.6 * std::cos(11.0 * phi + 1.0);
  return dx * dx + dy * dy < radius * radius;
}

// ln-multiplier of all halos for one element at one cell.
double halo_log_gain(int element, double x_km, double y_km) {
  double total = 0;
  for (const Halo& h : kHalos) {
    double az = h.azimuth_deg * kPi / 180.0;
    double dx = x_km - h.cx_km, dy = y_km - h.cy_km;
    double along = dx * std::sin(az) + dy * std::cos(az);
    double across = dx * std::cos(az) - dy * std::sin(az);
    double r2 = (along * along) / (h.a_km * h.a_km) + (across * across) / (h.b_km * h.b_km);
    for (const auto& [name, gain] : h.peak_gain)
      if (element_index(name) == element) total += std::log(gain) * std::exp(-0.5 * r2);
  }
  return total;
}

bool write_geotiff(const std::string& path, const Element& el, std::vector<float>& values,
                   const OGRSpatialReference& srs) {
  GDALDriver* driver = GetGDALDriverManager()->GetDriverByName("GTiff");
  char** options = nullptr;
  options = CSLSetNameValue(options, "COMPRESS", "DEFLATE");
  options = CSLSetNameValue(options, "PREDICTOR", "3");
  options = CSLSetNameValue(options, "TILED", "YES");
  CPLErrorReset();
  GDALDataset* ds = driver ? driver->Create(path.c_str(), kCols, kRows, 1, GDT_Float32, options) : nullptr;
  CSLDestroy(options);
  if (!ds) return false;
  double geotransform[6] = {kWest, kPixel, 0, kNorth, 0, -kPixel};
  ds->SetGeoTransform(geotransform);
  ds->SetSpatialRef(&srs);
  GDALRasterBand* band = ds->GetRasterBand(1);
  band->SetNoDataValue(kNodata);
  band->SetDescription(el.name);
  band->SetUnitType(el.unit);
  CPLErr err = band->RasterIO(GF_Write, 0, 0, kCols, kRows, values.data(), kCols, kRows, GDT_Float32, 0, 0, nullptr);
  GDALClose(ds);
  return err == CE_None && CPLGetLastErrorType() < CE_Failure;
}

// srs is non-const because GDAL 3.6's CreateLayer() takes a non-const pointer.
bool write_deposits(const std::string& gpkg_path, const std::string& csv_path, OGRSpatialReference& srs) {
  VSIUnlink(gpkg_path.c_str());  // GPKG Create() refuses to overwrite
  GDALDriver* driver = GetGDALDriverManager()->GetDriverByName("GPKG");
  CPLErrorReset();
  GDALDataset* ds = driver ? driver->Create(gpkg_path.c_str(), 0, 0, 0, GDT_Unknown, nullptr) : nullptr;
  if (!ds) return false;
  OGRLayer* layer = ds->CreateLayer("deposits", &srs, wkbPoint, nullptr);
  bool ok = layer != nullptr;
  if (ok) {
    OGRFieldDefn id("id", OFTInteger), name("name", OFTString), type("type", OFTString);
    ok = layer->CreateField(&id) == OGRERR_NONE && layer->CreateField(&name) == OGRERR_NONE &&
         layer->CreateField(&type) == OGRERR_NONE;
  }
  VSILFILE* csv = VSIFOpenL(csv_path.c_str(), "wb");
  ok = ok && csv != nullptr;
  if (ok) VSIFPrintfL(csv, "id,name,type,x,y\n");
  int id = 0;
  for (const Deposit& d : kDeposits) {
    if (!ok) break;
    ++id;
    char name[64];
    std::snprintf(name, sizeof(name), "D%02d %s", id, d.metals);
    double x = kWest + std::round(d.x_km * 1000.0), y = kSouth + std::round(d.y_km * 1000.0);
    OGRFeature feature(layer->GetLayerDefn());
    feature.SetField("id", id);
    feature.SetField("name", name);
    feature.SetField("type", kHalos[d.halo].association);
    OGRPoint point(x, y);
    feature.SetGeometry(&point);
    ok = layer->CreateFeature(&feature) == OGRERR_NONE;
    VSIFPrintfL(csv, "%d,%s,%s,%.1f,%.1f\n", id, name, kHalos[d.halo].association, x, y);
  }
  if (csv && VSIFCloseL(csv) != 0) ok = false;
  GDALClose(ds);
  return ok && CPLGetLastErrorType() < CE_Failure;
}

int usage(const char* msg) {
  std::fprintf(stderr, "make_sample_data: %s\nusage: make_sample_data OUTDIR [--seed N]\n", msg);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string outdir;
  uint64_t seed = 42;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--seed") {
      if (++i >= argc) return usage("--seed needs a value");
      char* end = nullptr;
      errno = 0;
      seed = std::strtoull(argv[i], &end, 10);
      if (!std::isdigit(static_cast<unsigned char>(*argv[i])) || *end != '\0' || errno == ERANGE)
        return usage("bad --seed value");
    } else if (arg == "-h" || arg == "--help") {
      std::printf("usage: make_sample_data OUTDIR [--seed N]\n");
      return 0;
    } else if (!arg.empty() && arg[0] == '-') {
      return usage(("unknown option " + arg).c_str());
    } else if (outdir.empty()) {
      outdir = arg;
    } else {
      return usage("more than one OUTDIR given");
    }
  }
  if (outdir.empty()) return usage("missing OUTDIR");

  // Reproducible bytes: fixed GPKG timestamps, no .aux.xml side files.
  CPLSetConfigOption("OGR_CURRENT_DATE", "2000-01-01T00:00:00.000Z");
  CPLSetConfigOption("GDAL_PAM_ENABLED", "NO");
  CPLSetErrorHandler(CPLQuietErrorHandler);  // failures are reported once, below
  GDALAllRegister();

  VSIStatBufL stat;
  if (VSIStatL(outdir.c_str(), &stat) != 0 && VSIMkdir(outdir.c_str(), 0755) != 0) {
    std::fprintf(stderr, "make_sample_data: cannot create directory %s\n", outdir.c_str());
    return 1;
  }
  if (VSIStatL(outdir.c_str(), &stat) != 0 || !VSI_ISDIR(stat.st_mode)) {
    std::fprintf(stderr, "make_sample_data: %s is not a directory\n", outdir.c_str());
    return 1;
  }
  OGRSpatialReference srs;
  if (srs.importFromEPSG(kEpsg) != OGRERR_NONE) {
    std::fprintf(stderr, "make_sample_data: cannot load EPSG:%d (is proj.db installed?)\n", kEpsg);
    return 1;
  }
  srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);  // x = easting

  std::vector<bool> valid(kCells);
  for (int r = 0; r < kRows; ++r)
    for (int c = 0; c < kCols; ++c) valid[r * kCols + c] = !outside_survey(r, c);

  const std::vector<double> granite = smooth_field(stream(seed, 1), 150);
  const std::vector<double> mafic = smooth_field(stream(seed, 2), 150);
  for (int e = 0; e < kNumElements; ++e) {
    const Element& el = kElements[e];
    const std::vector<double> own = smooth_field(stream(seed, 100 + e), 150);
    Rng noise = stream(seed, 200 + e);
    double own_loading = std::sqrt(1.0 - el.granite * el.granite - el.mafic * el.mafic);
    std::vector<float> values(kCells, kNodata);
    for (int r = 0; r < kRows; ++r)
      for (int c = 0; c < kCols; ++c) {
        int i = r * kCols + c;
        double z = el.granite * granite[i] + el.mafic * mafic[i] + own_loading * own[i];
        z = 3.0 * std::tanh(z / 3.0);  // soft-clip rare blob pile-ups: zones must stand out
        double log_value =
            std::log(el.median) + el.log_sd * z + 0.08 * noise.normal() + halo_log_gain(e, cell_x_km(c), cell_y_km(r));
        if (valid[i]) values[i] = static_cast<float>(std::exp(log_value));
      }
    for (const auto& [name, count] : kZeroCounts) {
      if (element_index(name) != e) continue;
      Rng pick = stream(seed, 300 + e);
      for (int placed = 0; placed < count;) {
        int i = static_cast<int>(pick.next() % kCells);
        if (valid[i] && values[i] > 0 && values[i] < el.median) {  // only low cells
          values[i] = 0.0f;
          ++placed;
        }
      }
    }
    std::string path = outdir + "/" + el.name + ".tif";
    if (!write_geotiff(path, el, values, srs)) {
      std::fprintf(stderr, "make_sample_data: cannot write %s: %s\n", path.c_str(), CPLGetLastErrorMsg());
      return 1;
    }
  }
  std::string gpkg = outdir + "/deposits.gpkg", csv = outdir + "/deposits.csv";
  if (!write_deposits(gpkg, csv, srs)) {
    std::fprintf(stderr, "make_sample_data: cannot write %s / %s: %s\n", gpkg.c_str(), csv.c_str(),
                 CPLGetLastErrorMsg());
    return 1;
  }
  std::printf("wrote %d element grids, deposits.gpkg and deposits.csv (%zu deposits) to %s\n", kNumElements,
              sizeof(kDeposits) / sizeof(kDeposits[0]), outdir.c_str());
  return 0;
}
