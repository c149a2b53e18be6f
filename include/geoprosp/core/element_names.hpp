#pragma once
// Element names from file names, band descriptions and table columns, matched tolerantly:
// "Au.tif", "Idw_Au.tif" and "au_ppb.tif" all name gold; "Au_ppb" is a gold column in ppb.
#include <string>

namespace geoprosp {

// The canonical spelling ("Au", "SiO2", "ZnO") of a chemical symbol, a common oxide or an oxide
// formula (element, count, O, count: "U3O8"), or "" if `token` is none of these.
std::string CanonicalElement(const std::string& token);

// The element an oxide is a form of ("Fe2O3" -> "Fe", "TFe2O3" -> "Fe", "ZnO" -> "Zn"), or "" when
// `canonical` (a CanonicalElement result) is not an oxide.
std::string OxideOf(const std::string& canonical);

// The element a file or band name refers to: the first token that is a symbol or oxide, else the
// whole name (so unknown variables still work, under their own name).
std::string ElementFromName(const std::string& name);

// A table column named <element>[_<unit>][_<anything>]: "Au_ppb", "Fe2O3_pct", "Cu (ppm)", "Au_ppb_FA".
// Units: ppm (also g/t, mg/kg), ppb (also ug/kg, ng/g) and pct (also %, percent, wt%).
struct ElementColumn {
  std::string element;  // canonical; "" when the name is not an element column
  std::string unit;     // "ppm", "ppb", "pct"; "" when the name has no unit
  double to_ppm = 0;    // factor from `unit` to ppm; 0 without a unit
};
ElementColumn ParseElementColumn(const std::string& name);

// The factor from a unit name (as ParseElementColumn reads them) to ppm, or 0 if unknown.
double UnitToPpm(const std::string& unit);

}  // namespace geoprosp
