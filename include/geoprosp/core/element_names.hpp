#pragma once
// Element names from file names or band descriptions, matched tolerantly:
// "Au.tif", "Idw_Au.tif" and "au_ppb.tif" all name gold.
#include <string>
#include <vector>

namespace geoprosp {

// The canonical spelling ("Au", "SiO2") of a chemical symbol or common oxide, or "" if `token` is neither.
std::string CanonicalElement(const std::string& token);

// The first token of a file or band name that is a symbol or oxide ("Idw_Au" -> "Au"), or "".
std::string FindElement(const std::string& name);

// The element a file or band name refers to: FindElement, else the whole name (so unknown variables
// still work, under their own name, where the user names them).
std::string ElementFromName(const std::string& name);

// The elements a commodity text names, by symbol ("Au, Ag", "CU-AU") or by English name ("GOLD",
// "Lithium"), in order and without repeats. Words of ordinary text are not read as symbols: a symbol
// counts in its own spelling or in capitals, and one-letter symbols only in capitals.
std::vector<std::string> CommodityElements(const std::string& text);

}  // namespace geoprosp
