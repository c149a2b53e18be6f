#include "geoprosp/report/report_text.hpp"

#include <cmath>
#include <iomanip>
#include <locale>
#include <sstream>

namespace geoprosp {

std::string FixedText(double value, int decimals) {
  if (!std::isfinite(value)) return "";
  std::ostringstream out;
  out.imbue(std::locale::classic());
  out << std::fixed << std::setprecision(decimals) << value;
  return out.str();
}

std::string PercentText(double fraction) { return FixedText(100 * fraction, 1); }

std::string DurationText(double seconds) {
  return seconds >= 120 ? FixedText(seconds / 60, 1) + " min" : FixedText(seconds, 1) + " s";
}

}  // namespace geoprosp
