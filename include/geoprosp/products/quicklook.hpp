#pragma once
// A quick-look PNG map: the probability raster as a colour ramp, the target areas with their
// ranks, the known deposits, a legend, a scale bar, a north arrow and the CRS.
#include <string>
#include <vector>

#include "geoprosp/io/labels.hpp"

namespace geoprosp {

struct QuicklookRequest {
  std::string probability;             // Float32 raster, 0..1
  std::string areas;                   // optional: polygons with a `rank` field, in the raster's CRS
  std::vector<DepositPoint> deposits;  // optional, in the raster's CRS
  std::string output;                  // a .png
  std::string title = "Mineral prospectivity";
  std::string subtitle;  // one line under the title, e.g. what the areas capture
  bool overwrite = false;
};

// The checks RenderQuicklook makes first, for callers that want them before their heavy work.
void CheckQuicklookRequest(const QuicklookRequest& request, const std::vector<std::string>& inputs);

void RenderQuicklook(const QuicklookRequest& request);

}  // namespace geoprosp
