#pragma once
// Element names from file names or band descriptions, matched tolerantly:
// "Au.tif", "Idw_Au.tif" and "au_ppb.tif" all name gold.
#include <string>

namespace geoprosp {

// The canonical spelling ("Au", "SiO2") of a chemical symbol or common oxide, or "" if `token` is neither.
std::string CanonicalElement(const std::string& token);

// The element a file or band name refers to: the first token that is a symbol or oxide, else the
// whole name (so unknown variables still work, under their own name).
std::string ElementFromName(const std::string& name);

}  // namespace geoprosp
