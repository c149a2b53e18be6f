#pragma once
// Point samples as a table: coordinates, an optional survey key, and element columns recognised by
// name ("Au_ppb", "Fe2O3_pct"), converted to ppm, with missing and below-detection values told apart.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace geoprosp {

struct SampleSource {
  std::string path;
  std::string layer;                      // "" for the only layer
  std::string x_field, y_field;           // "" to use the geometry, or to recognise the columns by name
  std::string srs;                        // the samples' CRS when the file declares none (or to override it)
  std::string survey_column;              // "" for none
  std::vector<double> missing = {-9999};  // sentinels meaning "not measured", in the file's units
  std::string assume_unit;                // unit of element columns whose name has none ("" skips them)
};

// One element, as read: per table row, in ppm. NaN is missing; a value <= 0 is below detection,
// -limit when the limit is known (GSWA's convention, and "<0.01" in text), 0 when it is not.
struct SampleElement {
  std::string element;               // canonical: "Au", "ZnO"
  std::string oxide_of;              // "Zn" for ZnO; "" for an element
  std::vector<std::string> columns;  // the columns merged into it, in file order (the first value wins)
  std::vector<std::string> units;    // the unit of each column
  std::vector<double> values;        // per row, ppm
  int64_t present = 0;               // values, below-detection ones included
  int64_t missing = 0;               // empty, a --missing sentinel, or text that is not a number
  int64_t not_numbers = 0;           // of `missing`: text that is not a number (e.g. "n.a.")
  int64_t below_detection = 0;       // of `present`
};

struct SampleTable {
  std::string path, layer;
  std::string x_field, y_field;  // the columns used; "" when the geometry was
  std::string wkt;               // the samples' CRS (WKT2)
  bool geographic = false;       // the CRS is in degrees
  int64_t rows = 0;              // features read
  int64_t rows_without_coordinates = 0;
  std::vector<double> x, y;         // per row with coordinates, in the samples' CRS
  std::vector<std::string> survey;  // per row, with a survey column
  std::vector<SampleElement> elements;
  std::vector<std::string> notes;  // columns that look like elements but were skipped, and why
};

// Reads every feature. Validates the file, the coordinate columns, the CRS and the element columns;
// errors name the file (or option) and list what was found.
SampleTable ReadSamples(const SampleSource& source);

// The x/y columns among `columns` recognised by name: x/y, point_x/point_y, easting/northing,
// east/north, longitude/latitude, lon/lat, and x_*/y_*, e_*/n_*, easting_*/northing_* with one suffix.
// Element columns (Y_ppm) never count. Returns the pairs found.
std::vector<std::pair<std::string, std::string>> CoordinateColumns(const std::vector<std::string>& columns);

// Parses one cell's text: a number, "<limit" (below detection, returned as -limit), or missing (NaN)
// for empty text, text that is not a number (`not_a_number` set), and `missing` sentinels.
double ParseSampleValue(const std::string& text, const std::vector<double>& missing, bool& not_a_number);

struct ElementChoice {
  std::vector<std::string> wanted;  // --elements; empty for "all that are measured often enough"
  double min_coverage = 0.5;        // without `wanted`: share of the rows an element must be present in
  bool keep_oxides = false;         // keep ZnO next to Zn
};

struct DroppedElement {
  std::string element;
  std::string reason;  // "measured in 12 of 2734 rows", "an oxide of Zn, which is gridded"
};

// Keeps the chosen elements of `table` (file order; the order of `wanted` when given) and returns
// the others with the reason. A wanted element that no column gives, or that has no value, is an error.
std::vector<DroppedElement> ChooseElements(SampleTable& table, const ElementChoice& choice);

}  // namespace geoprosp
