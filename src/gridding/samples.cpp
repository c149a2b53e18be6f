#include "geoprosp/gridding/samples.hpp"

#include <cpl_conv.h>
#include <gdal_priv.h>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <map>
#include <memory>

#include "geoprosp/core/element_names.hpp"
#include "geoprosp/core/error.hpp"
#include "geoprosp/core/options.hpp"
#include "geoprosp/io/open_input.hpp"

namespace geoprosp {
namespace {

constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();

struct DatasetCloser {
  void operator()(GDALDataset* d) const { GDALClose(d); }
};
using DatasetPtr = std::unique_ptr<GDALDataset, DatasetCloser>;

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

std::string Trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

std::string JoinNames(const std::vector<std::string>& names, size_t at_most = 40) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < at_most; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > at_most) out += ", ... (" + std::to_string(names.size()) + " in all)";
  return out;
}

bool IsSentinel(double value, const std::vector<double>& missing) {
  return std::find(missing.begin(), missing.end(), value) != missing.end();
}

// A numeric field's value, or the parse of a text field; NaN when missing.
double FieldValue(const OGRFeature& feature, int field, OGRFieldType type, const std::vector<double>& missing,
                  bool& not_a_number) {
  not_a_number = false;
  if (!feature.IsFieldSetAndNotNull(field)) return kMissing;
  if (type == OFTReal || type == OFTInteger || type == OFTInteger64) {
    const double value = feature.GetFieldAsDouble(field);
    return (!std::isfinite(value) || IsSentinel(value, missing)) ? kMissing : value;
  }
  return ParseSampleValue(feature.GetFieldAsString(field), missing, not_a_number);
}

struct ColumnPlan {
  int field = -1;
  OGRFieldType type = OFTString;
  double to_ppm = 1;
};

}  // namespace

double ParseSampleValue(const std::string& raw, const std::vector<double>& missing, bool& not_a_number) {
  not_a_number = false;
  std::string text = Trim(raw);
  if (text.empty()) return kMissing;
  const bool below = text[0] == '<';  // "<0.01": below a detection limit of 0.01
  if (below) text = Trim(text.substr(1));
  char* end = nullptr;
  const double value = CPLStrtod(text.c_str(), &end);
  if (text.empty() || end == text.c_str() || !Trim(end).empty()) {
    not_a_number = true;
    return kMissing;
  }
  if (!std::isfinite(value) || (!below && IsSentinel(value, missing))) return kMissing;
  return below ? -std::abs(value) : value;
}

std::vector<std::pair<std::string, std::string>> CoordinateColumns(const std::vector<std::string>& columns) {
  // Element columns with a unit ("Y_ppm", "N_pct") are never coordinates.
  std::vector<std::string> candidates;
  for (const auto& column : columns) {
    if (ParseElementColumn(column).unit.empty()) candidates.push_back(column);
  }
  auto find = [&](const std::string& lower_name) -> std::string {
    for (const auto& column : candidates) {
      if (Lower(column) == lower_name) return column;
    }
    return "";
  };
  std::vector<std::pair<std::string, std::string>> pairs;
  auto add = [&](const std::string& x, const std::string& y) {
    if (x.empty() || y.empty()) return;
    if (std::find(pairs.begin(), pairs.end(), std::make_pair(x, y)) == pairs.end()) pairs.emplace_back(x, y);
  };
  static const std::vector<std::pair<std::string, std::string>> exact = {
      {"x", "y"},     {"point_x", "point_y"}, {"easting", "northing"}, {"east", "north"}, {"longitude", "latitude"},
      {"lon", "lat"}, {"long", "lat"},        {"lng", "lat"}};
  for (const auto& [x, y] : exact) add(find(x), find(y));
  // One suffix on both: X_MGA/Y_MGA, E_GDA94/N_GDA94, Easting_AMG/Northing_AMG.
  static const std::vector<std::pair<std::string, std::string>> prefixes = {
      {"x_", "y_"},        {"e_", "n_"},     {"easting_", "northing_"},
      {"east_", "north_"}, {"lon_", "lat_"}, {"longitude_", "latitude_"}};
  for (const auto& [x_prefix, y_prefix] : prefixes) {
    for (const auto& column : candidates) {
      const std::string lower = Lower(column);
      if (lower.rfind(x_prefix, 0) != 0 || lower.size() == x_prefix.size()) continue;
      add(column, find(y_prefix + lower.substr(x_prefix.size())));
    }
  }
  return pairs;
}

SampleTable ReadSamples(const SampleSource& source) {
  const std::string& path = source.path;
  VSIStatBufL stat;
  if (VSIStatL(path.c_str(), &stat) != 0) throw Error(path, "no such file");
  if ((source.x_field.empty()) != (source.y_field.empty()))
    throw UsageError(source.x_field.empty() ? "--x-field" : "--y-field", "needs --x-field and --y-field together");

  // CSV: every column as text (so "<0.01" and "n.a." are seen as written), empty cells as null.
  CPLStringList open_options;
  GDALDriverH driver = GDALIdentifyDriverEx(path.c_str(), GDAL_OF_VECTOR, nullptr, nullptr);
  if (driver && EQUAL(GDALGetDriverShortName(driver), "CSV")) {
    open_options.AddString("AUTODETECT_TYPE=NO");
    open_options.AddString("EMPTY_STRING_AS_NULL=YES");
  }
  CPLErrorReset();
  DatasetPtr dataset(OpenInput(path, GDAL_OF_VECTOR, open_options.List()));
  if (!dataset || dataset->GetLayerCount() < 1)
    throw Error(path, "not a vector file OGR can read (" + LastGdalError("no layers") + ")");
  OGRLayer* layer = nullptr;
  if (!source.layer.empty()) {
    layer = dataset->GetLayerByName(source.layer.c_str());
  } else if (dataset->GetLayerCount() == 1) {
    layer = dataset->GetLayer(0);
  }
  if (!layer) {
    std::vector<std::string> names;
    for (auto* l : dataset->GetLayers()) names.push_back(l->GetName());
    throw UsageError("--layer", (source.layer.empty() ? path + " has several layers"
                                                      : "no layer '" + source.layer + "' in " + path) +
                                    ": " + JoinNames(names));
  }

  SampleTable table;
  table.path = path;
  table.layer = layer->GetName();
  OGRFeatureDefn* definition = layer->GetLayerDefn();
  std::vector<std::string> columns;
  for (int i = 0; i < definition->GetFieldCount(); ++i) columns.push_back(definition->GetFieldDefn(i)->GetNameRef());
  auto field_index = [&](const std::string& name, const std::string& option) {
    const int index = definition->GetFieldIndex(name.c_str());
    if (index < 0)
      throw Error(option, "no column '" + name + "' in " + path + " (columns: " + JoinNames(columns) + ")");
    return index;
  };

  // Coordinates: named columns, else the point geometry, else columns recognised by name.
  const bool has_geometry = layer->GetGeomType() != wkbNone;
  if (!source.x_field.empty()) {
    table.x_field = source.x_field;
    table.y_field = source.y_field;
  } else if (!has_geometry) {
    const auto pairs = CoordinateColumns(columns);
    if (pairs.empty()) {
      throw Error(path,
                  "has no x/y columns recognised by name (x/y, easting/northing, lon/lat, X_*/Y_*, E_*/N_*, ...);"
                  " name them with --x-field and --y-field. Columns: " +
                      JoinNames(columns));
    }
    if (pairs.size() > 1) {
      std::vector<std::string> found;
      for (const auto& [x, y] : pairs) found.push_back(x + "/" + y);
      throw UsageError("--x-field", path + " has several coordinate column pairs (" + JoinNames(found) +
                                        "): choose one with --x-field and --y-field");
    }
    table.x_field = pairs.front().first;
    table.y_field = pairs.front().second;
  }
  const int x_index = table.x_field.empty() ? -1 : field_index(table.x_field, "--x-field");
  const int y_index = table.y_field.empty() ? -1 : field_index(table.y_field, "--y-field");
  const int survey_index = source.survey_column.empty() ? -1 : field_index(source.survey_column, "--survey-column");

  // The CRS: --srs, else the file's.
  OGRSpatialReference srs;
  if (!source.srs.empty()) {
    if (srs.SetFromUserInput(source.srs.c_str()) != OGRERR_NONE)
      throw UsageError("--srs", "unknown CRS '" + source.srs + "'");
  } else if (const OGRSpatialReference* declared = layer->GetSpatialRef()) {
    srs = *declared;
  } else {
    throw Error(path, "declares no CRS: say which with --srs (e.g. EPSG:4326 for longitude/latitude in degrees)");
  }
  srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  char* wkt = nullptr;
  const char* wkt_options[] = {"FORMAT=WKT2_2018", nullptr};
  srs.exportToWkt(&wkt, wkt_options);
  table.wkt = wkt ? wkt : "";
  CPLFree(wkt);
  table.geographic = srs.IsGeographic();

  // Element columns, grouped by element in file order.
  std::map<std::string, size_t> element_index;
  std::vector<std::vector<ColumnPlan>> plans;
  for (int i = 0; i < definition->GetFieldCount(); ++i) {
    if (i == x_index || i == y_index || i == survey_index) continue;
    const std::string name = columns[i];
    ElementColumn column = ParseElementColumn(name);
    if (column.element.empty()) continue;
    if (column.unit.empty()) {
      if (source.assume_unit.empty()) {
        table.notes.push_back(name +
                              ": no unit in its name (Cu_ppm, Au_ppb, Fe2O3_pct); skipped, unless --assume-unit");
        continue;
      }
      column.unit = source.assume_unit;
      column.to_ppm = UnitToPpm(source.assume_unit);
      if (column.to_ppm == 0) throw UsageError("--assume-unit", "unknown unit '" + source.assume_unit + "'");
    }
    auto [it, inserted] = element_index.emplace(column.element, table.elements.size());
    if (inserted) {
      SampleElement element;
      element.element = column.element;
      element.oxide_of = OxideOf(column.element);
      table.elements.push_back(element);
      plans.emplace_back();
    }
    table.elements[it->second].columns.push_back(name);
    table.elements[it->second].units.push_back(column.unit);
    plans[it->second].push_back({i, definition->GetFieldDefn(i)->GetType(), column.to_ppm});
  }
  if (table.elements.empty()) {
    throw Error(path, "has no element columns recognised by name (Au_ppb, Cu_ppm, Fe2O3_pct, ...). Columns: " +
                          JoinNames(columns));
  }

  layer->ResetReading();
  for (auto& feature : *layer) {
    ++table.rows;
    double x = kMissing, y = kMissing;
    bool not_a_number = false;
    if (x_index >= 0) {
      x = FieldValue(*feature, x_index, definition->GetFieldDefn(x_index)->GetType(), source.missing, not_a_number);
      y = FieldValue(*feature, y_index, definition->GetFieldDefn(y_index)->GetType(), source.missing, not_a_number);
    } else if (const OGRGeometry* geometry = feature->GetGeometryRef(); geometry && !geometry->IsEmpty()) {
      if (wkbFlatten(geometry->getGeometryType()) != wkbPoint) {
        throw Error(path, "feature " + std::to_string(feature->GetFID()) + " is a " + geometry->getGeometryName() +
                              ", not a point: samples are points");
      }
      x = geometry->toPoint()->getX();
      y = geometry->toPoint()->getY();
    }
    if (!std::isfinite(x) || !std::isfinite(y)) {
      ++table.rows_without_coordinates;
      continue;
    }
    table.x.push_back(x);
    table.y.push_back(y);
    if (survey_index >= 0)
      table.survey.push_back(feature->IsFieldSetAndNotNull(survey_index) ? feature->GetFieldAsString(survey_index)
                                                                         : "");
    for (size_t e = 0; e < table.elements.size(); ++e) {
      SampleElement& element = table.elements[e];
      double value = kMissing;
      bool any_text = false;
      for (const ColumnPlan& plan : plans[e]) {
        value = FieldValue(*feature, plan.field, plan.type, source.missing, not_a_number);
        any_text = any_text || not_a_number;
        if (!std::isnan(value)) {
          value *= plan.to_ppm;
          break;
        }
      }
      element.values.push_back(value);
      if (std::isnan(value)) {
        ++element.missing;
        if (any_text) ++element.not_numbers;
      } else {
        ++element.present;
        if (value <= 0) ++element.below_detection;
      }
    }
  }
  if (table.x.empty()) {
    throw Error(path, "none of its " + std::to_string(table.rows) + " rows has coordinates" +
                          (table.x_field.empty() ? std::string(" (point geometries)")
                                                 : " in " + table.x_field + "/" + table.y_field));
  }
  if (table.geographic) {
    for (size_t i = 0; i < table.x.size(); ++i) {
      if (std::abs(table.x[i]) > 360 || std::abs(table.y[i]) > 90) {
        throw Error(path, "row " + std::to_string(i + 1) + " has x=" + FormatNumber(table.x[i]) +
                              ", y=" + FormatNumber(table.y[i]) +
                              ", which are not degrees, but its CRS is geographic: is --srs right?");
      }
    }
  }
  return table;
}

std::vector<DroppedElement> ChooseElements(SampleTable& table, const ElementChoice& choice) {
  std::vector<DroppedElement> dropped;
  std::vector<SampleElement> kept;
  std::vector<std::string> available;
  for (const auto& element : table.elements) available.push_back(element.element);
  if (!choice.wanted.empty()) {
    for (const auto& wanted : choice.wanted) {
      auto found = std::find_if(table.elements.begin(), table.elements.end(),
                                [&](const SampleElement& e) { return Lower(e.element) == Lower(wanted); });
      const std::string name = found == table.elements.end() ? wanted : found->element;
      if (found == table.elements.end()) {
        throw Error("--elements", "no column of " + table.path + " gives " + name +
                                      " (elements found: " + JoinNames(available, 200) + ")");
      }
      if (found->present == 0) throw Error("--elements", name + " has no value in " + table.path);
      if (std::none_of(kept.begin(), kept.end(), [&](const SampleElement& e) { return e.element == name; }))
        kept.push_back(*found);
    }
    for (const auto& element : table.elements) {
      if (std::none_of(kept.begin(), kept.end(), [&](const SampleElement& e) { return e.element == element.element; }))
        dropped.push_back({element.element, "not in --elements"});
    }
    table.elements = kept;
    return dropped;
  }
  const auto rows = static_cast<double>(table.x.size());
  for (const auto& element : table.elements) {
    if (element.present > 0 && element.present >= choice.min_coverage * rows) {
      kept.push_back(element);
    } else {
      dropped.push_back({element.element, "measured in " + std::to_string(element.present) + " of " +
                                              std::to_string(table.x.size()) + " rows, under --min-coverage " +
                                              FormatNumber(choice.min_coverage)});
    }
  }
  if (!choice.keep_oxides) {
    std::vector<SampleElement> without_oxides;
    for (const auto& element : kept) {
      const bool base_kept = !element.oxide_of.empty() &&
                             std::any_of(kept.begin(), kept.end(),
                                         [&](const SampleElement& other) { return other.element == element.oxide_of; });
      if (base_kept) {
        dropped.push_back({element.element, "an oxide of " + element.oxide_of +
                                                ", which is gridded (--keep-oxides or --elements keeps it)"});
      } else {
        without_oxides.push_back(element);
      }
    }
    kept = without_oxides;
  }
  if (kept.empty()) {
    throw Error(table.path, "no element is measured in at least " + FormatNumber(100 * choice.min_coverage) +
                                " % of the rows: lower --min-coverage, or choose with --elements (elements found: " +
                                JoinNames(available, 200) + ")");
  }
  table.elements = kept;
  return dropped;
}

}  // namespace geoprosp
