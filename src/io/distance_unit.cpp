#include "geoprosp/io/distance_unit.hpp"

#include <ogr_spatialref.h>

#include <cmath>
#include <iomanip>
#include <locale>
#include <sstream>

namespace geoprosp {
namespace {

constexpr double kRadiansPerDegree = 3.14159265358979323846 / 180;

// Three significant digits, without trailing zeros; whole numbers from 1000 up.
std::string Significant(double value) {
  const double magnitude = std::abs(value);
  const int decimals = magnitude > 0 ? std::max(0, 2 - static_cast<int>(std::floor(std::log10(magnitude)))) : 0;
  std::ostringstream out;
  out.imbue(std::locale::classic());
  out << std::fixed << std::setprecision(decimals) << value;
  std::string text = out.str();
  if (text.find('.') != std::string::npos) {
    text.erase(text.find_last_not_of('0') + 1);
    if (text.back() == '.') text.pop_back();
  }
  return text;
}

std::string Metres(double metres) {
  return std::abs(metres) >= 1000 ? Significant(metres / 1000) + " km" : Significant(metres) + " m";
}

// The short form of a linear unit's name, for the units CRSs commonly use.
std::string Symbol(const std::string& name) {
  if (name == "foot" || name == "foot (International)") return "ft";
  if (name == "US survey foot") return "US survey ft";
  return name;
}

}  // namespace

DistanceUnit CrsDistanceUnit(const std::string& wkt) {
  DistanceUnit unit;
  OGRSpatialReference srs;
  if (wkt.empty() || srs.importFromWkt(wkt.c_str()) != OGRERR_NONE) return unit;
  const char* name = nullptr;
  if (srs.IsGeographic()) {
    const double radians = srs.GetAngularUnits(&name);
    unit.angular = true;
    // One name for the common units, however the WKT spells them ("Degree", "Meter").
    unit.name = std::abs(radians - kRadiansPerDegree) < 1e-12 ? "degree" : name && *name ? name : "unknown";
    return unit;
  }
  unit.to_metres = srs.GetLinearUnits(&name);
  unit.name = unit.to_metres == 1 ? "metre" : name && *name ? name : "unknown";
  return unit;
}

std::string FormatDistance(double value, const DistanceUnit& unit) {
  if (unit.angular) return Significant(value) + (unit.name == "degree" ? "°" : " " + unit.name);
  if (unit.to_metres <= 0) return Significant(value) + " CRS units (no CRS)";
  if (unit.to_metres == 1 || unit.to_metres == 1000) return Metres(value * unit.to_metres);
  return Significant(value) + " " + Symbol(unit.name) + " (" + Metres(value * unit.to_metres) + ")";
}

}  // namespace geoprosp
