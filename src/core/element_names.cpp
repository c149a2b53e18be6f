#include "geoprosp/core/element_names.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace geoprosp {
namespace {

// Every chemical symbol plus the oxides that geochemical surveys report.
constexpr std::array kSymbols = {
    "H",      "He",  "Li",  "Be",   "B",   "C",    "N",    "O",   "F",   "Ne",  "Na",   "Mg",    "Al",    "Si",
    "P",      "S",   "Cl",  "Ar",   "K",   "Ca",   "Sc",   "Ti",  "V",   "Cr",  "Mn",   "Fe",    "Co",    "Ni",
    "Cu",     "Zn",  "Ga",  "Ge",   "As",  "Se",   "Br",   "Kr",  "Rb",  "Sr",  "Y",    "Zr",    "Nb",    "Mo",
    "Tc",     "Ru",  "Rh",  "Pd",   "Ag",  "Cd",   "In",   "Sn",  "Sb",  "Te",  "I",    "Xe",    "Cs",    "Ba",
    "La",     "Ce",  "Pr",  "Nd",   "Pm",  "Sm",   "Eu",   "Gd",  "Tb",  "Dy",  "Ho",   "Er",    "Tm",    "Yb",
    "Lu",     "Hf",  "Ta",  "W",    "Re",  "Os",   "Ir",   "Pt",  "Au",  "Hg",  "Tl",   "Pb",    "Bi",    "Po",
    "At",     "Rn",  "Fr",  "Ra",   "Ac",  "Th",   "Pa",   "U",   "Np",  "Pu",  "SiO2", "Al2O3", "Fe2O3", "FeO",
    "TFe2O3", "MgO", "CaO", "Na2O", "K2O", "TiO2", "P2O5", "MnO", "H2O", "CO2", "LOI"};

// English names of the elements that are mined, for commodity fields such as "GOLD".
constexpr std::array<std::array<const char*, 2>, 52> kCommodityNames = {{
    {"gold", "Au"},      {"silver", "Ag"},    {"copper", "Cu"},    {"lead", "Pb"},       {"zinc", "Zn"},
    {"tin", "Sn"},       {"tungsten", "W"},   {"wolfram", "W"},    {"molybdenum", "Mo"}, {"nickel", "Ni"},
    {"cobalt", "Co"},    {"lithium", "Li"},   {"uranium", "U"},    {"thorium", "Th"},    {"iron", "Fe"},
    {"manganese", "Mn"}, {"chromium", "Cr"},  {"chrome", "Cr"},    {"antimony", "Sb"},   {"bismuth", "Bi"},
    {"mercury", "Hg"},   {"arsenic", "As"},   {"beryllium", "Be"}, {"niobium", "Nb"},    {"tantalum", "Ta"},
    {"platinum", "Pt"},  {"palladium", "Pd"}, {"rhodium", "Rh"},   {"vanadium", "V"},    {"titanium", "Ti"},
    {"zirconium", "Zr"}, {"caesium", "Cs"},   {"cesium", "Cs"},    {"rubidium", "Rb"},   {"gallium", "Ga"},
    {"germanium", "Ge"}, {"indium", "In"},    {"cadmium", "Cd"},   {"tellurium", "Te"},  {"selenium", "Se"},
    {"barium", "Ba"},    {"strontium", "Sr"}, {"boron", "B"},      {"fluorine", "F"},    {"magnesium", "Mg"},
    {"aluminium", "Al"}, {"aluminum", "Al"},  {"phosphorus", "P"}, {"potassium", "K"},   {"scandium", "Sc"},
    {"yttrium", "Y"},    {"hafnium", "Hf"},
}};

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

std::string Upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::toupper(c); });
  return text;
}

// Calls visit(token) for each run of letters and digits; stops early when visit returns true.
template <class Visit>
void ForEachToken(const std::string& text, Visit visit) {
  std::string token;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i < text.size() && std::isalnum(static_cast<unsigned char>(text[i]))) {
      token += text[i];
    } else if (!token.empty()) {
      if (visit(token)) return;
      token.clear();
    }
  }
}

}  // namespace

std::string CanonicalElement(const std::string& token) {
  const std::string lower = Lower(token);
  for (const char* symbol : kSymbols) {
    if (Lower(symbol) == lower) return symbol;
  }
  return "";
}

std::string FindElement(const std::string& name) {
  std::string element;
  ForEachToken(name, [&](const std::string& token) {
    element = CanonicalElement(token);
    return !element.empty();
  });
  return element;
}

std::string ElementFromName(const std::string& name) {
  const std::string element = FindElement(name);
  return element.empty() ? name : element;
}

std::vector<std::string> CommodityElements(const std::string& text) {
  std::vector<std::string> elements;
  ForEachToken(text, [&](const std::string& token) {
    std::string element;
    for (const auto& [word, symbol] : kCommodityNames) {
      if (Lower(token) == word) element = symbol;
    }
    const std::string symbol = CanonicalElement(token);
    if (element.empty() && !symbol.empty() && (token == symbol || token == Upper(symbol)) &&
        (symbol.size() > 1 || std::isupper(static_cast<unsigned char>(token[0])))) {
      element = symbol;
    }
    if (!element.empty() && std::find(elements.begin(), elements.end(), element) == elements.end())
      elements.push_back(element);
    return false;
  });
  return elements;
}

}  // namespace geoprosp
