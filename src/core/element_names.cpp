#include "geoprosp/core/element_names.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <regex>
#include <utility>
#include <vector>

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

// A chemical symbol as written ("Zn", not "ZN"); oxygen itself is not the base of an oxide.
bool IsSymbol(const std::string& text) {
  return text.size() <= 2 && text != "O" &&
         std::any_of(kSymbols.begin(), kSymbols.end(), [&](const char* s) { return text == s; });
}

// An oxide formula, spelt as chemists do ("ZnO", "U3O8", "Fe2O3T"): the element, and the formula
// without the total marker; a leading or trailing T (total iron) is kept as a leading T.
bool ParseOxide(const std::string& token, std::string& element, std::string& canonical) {
  static const std::regex formula("^(T?)([A-Z][a-z]?)([0-9]*)O([0-9]*)(T?)$");
  std::smatch m;
  if (!std::regex_match(token, m, formula) || !IsSymbol(m[2].str())) return false;
  if (m[1].length() && m[5].length()) return false;
  element = m[2].str();
  canonical = (m[1].length() || m[5].length() ? "T" : "") + m[2].str() + m[3].str() + "O" + m[4].str();
  return true;
}

std::string ReplaceAll(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

}  // namespace

std::string CanonicalElement(const std::string& token) {
  const std::string lower = Lower(token);
  for (const char* symbol : kSymbols) {
    if (Lower(symbol) == lower) return symbol;
  }
  std::string element, canonical;
  if (ParseOxide(token, element, canonical)) return canonical;
  return "";
}

std::string OxideOf(const std::string& canonical) {
  std::string element, formula;
  if (canonical == "LOI" || !ParseOxide(canonical, element, formula)) return "";
  return element;
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

double UnitToPpm(const std::string& unit) {
  static const std::vector<std::pair<std::string, double>> units = {
      {"ppm", 1.0},  {"gt", 1.0},  {"gpt", 1.0},     {"mgkg", 1.0}, {"ppb", 1e-3}, {"ugkg", 1e-3},
      {"ngg", 1e-3}, {"pct", 1e4}, {"percent", 1e4}, {"wt", 1e4},   {"wtpct", 1e4}};
  const std::string lower = Lower(unit);
  for (const auto& [name, factor] : units) {
    if (name == lower) return factor;
  }
  return 0;
}

ElementColumn ParseElementColumn(const std::string& name) {
  // Units written with symbols become words first: "Cu (g/t)", "Fe2O3 %", "Au µg/kg".
  std::string text = name;
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{{"g/t", " gt "},
                                                                                 {"mg/kg", " mgkg "},
                                                                                 {"\xC2\xB5g/kg", " ugkg "},
                                                                                 {"ug/kg", " ugkg "},
                                                                                 {"ng/g", " ngg "},
                                                                                 {"wt%", " pct "},
                                                                                 {"%", " pct "}}) {
    text = ReplaceAll(text, from, to);
  }
  std::vector<std::string> tokens;
  std::string token;
  for (char c : text + " ") {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      token += c;
    } else if (!token.empty()) {
      tokens.push_back(token);
      token.clear();
    }
  }
  ElementColumn column;
  if (tokens.empty()) return column;
  const std::string element = CanonicalElement(tokens[0]);
  if (element.empty()) return column;
  if (tokens.size() == 1) {
    column.element = element;
    return column;
  }
  const double factor = UnitToPpm(tokens[1]);
  if (factor == 0) return column;  // "Y_coord", "S_ID": not an element column
  column.element = element;
  column.unit = factor == 1.0 ? "ppm" : factor < 1.0 ? "ppb" : "pct";
  column.to_ppm = factor;
  return column;
}

}  // namespace geoprosp
