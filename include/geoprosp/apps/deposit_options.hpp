#pragma once
// The options of every tool that reads known deposits, declared once: the file, its CRS and, for
// tables, its coordinate columns.
#include <string>

#include "geoprosp/core/options.hpp"
#include "geoprosp/io/labels.hpp"

namespace geoprosp {

struct DepositOptions {
  std::string deposits;
  std::string deposits_srs;
  std::string x_field, y_field;

  DepositSource source() const { return {deposits, deposits_srs, x_field, y_field}; }
};

// `deposits_help` says what the tool does with them.
template <class Options>
void AddDepositOptions(OptionTable<Options>& t, const std::string& deposits_help) {
  t.Add("deposits", &Options::deposits).Label("Known deposits").Path().Role("input_vector").Help(deposits_help);
  t.Add("deposits-srs", &Options::deposits_srs)
      .Label("CRS of the deposits")
      .FormHelp(
          "CRS of the known deposits when their file declares none, e.g. EPSG:32650 (default: the rasters' CRS, or WGS "
          "84 for longitude/latitude columns)")
      .Advanced()
      .Help(
          "CRS of --deposits when the file declares none, e.g. EPSG:32650 (default: the rasters' CRS, or WGS 84"
          " for longitude/latitude columns)");
  t.Add("x-field", &Options::x_field)
      .Label("X column of the deposits")
      .FormHelp(
          "Column of a deposits table that holds X (default: a recognised name such as X, POINT_X, Easting, E_MGA or "
          "Longitude)")
      .Advanced()
      .Help(
          "Column of a --deposits table that holds X (default: a recognised name such as X, POINT_X, Easting,"
          " E_MGA or Longitude)");
  t.Add("y-field", &Options::y_field)
      .Label("Y column of the deposits")
      .FormHelp(
          "Column of a deposits table that holds Y (default: a recognised name such as Y, POINT_Y, Northing, N_MGA or "
          "Latitude)")
      .Advanced()
      .Help(
          "Column of a --deposits table that holds Y (default: a recognised name such as Y, POINT_Y, Northing,"
          " N_MGA or Latitude)");
}

}  // namespace geoprosp
