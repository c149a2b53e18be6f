#pragma once
// Numbers as the report's tables and captions print them (locale-independent).
#include <string>

namespace geoprosp {

std::string FixedText(double value, int decimals);  // "" for NaN and infinities
std::string PercentText(double fraction);           // 0.9534 -> "95.3"
std::string DurationText(double seconds);           // "12.3 s", or "4.5 min" from two minutes up

}  // namespace geoprosp
