#pragma once
// The unit a grid's CRS measures distances in. Reports keep distances as numbers in CRS units and name
// the unit beside them, so that a reader sees "blocks of 4.1 km" or "0.05°", never "4100 CRS units".
#include <string>

namespace geoprosp {

struct DistanceUnit {
  std::string name = "unknown";  // as the CRS names it: "metre", "US survey foot", "degree"; "unknown" without a CRS
  double to_metres = 0;          // metres per unit of a projected CRS; 0 for angular and unknown units
  bool angular = false;          // a geographic CRS: distances are angles (degrees, usually)
};

// The distance unit of the CRS in `wkt` (a grid's); "unknown" when it is empty or unreadable.
DistanceUnit CrsDistanceUnit(const std::string& wkt);

// `value`, in `unit`, for people: "4.1 km", "250 m", "0.05°", "13500 US survey ft (4.11 km)", or
// "4100 CRS units (no CRS)". Three significant digits.
std::string FormatDistance(double value, const DistanceUnit& unit);

}  // namespace geoprosp
