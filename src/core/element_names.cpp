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

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

}  // namespace

std::string CanonicalElement(const std::string& token) {
  const std::string lower = Lower(token);
  for (const char* symbol : kSymbols) {
    if (Lower(symbol) == lower) return symbol;
  }
  return "";
}

std::string ElementFromName(const std::string& name) {
  std::string token;
  auto flush = [&]() -> std::string {
    std::string element = CanonicalElement(token);
    token.clear();
    return element;
  };
  for (char c : name) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      token += c;
    } else if (std::string element = flush(); !element.empty()) {
      return element;
    }
  }
  if (std::string element = flush(); !element.empty()) return element;
  return name;
}

}  // namespace geoprosp
