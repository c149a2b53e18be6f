#pragma once
// A quick-look PNG map: the probability raster as a colour ramp, the target areas with their
// ranks, the known deposits, a legend, a scale bar, a north arrow and the CRS.
#include <cstdint>
#include <string>
#include <vector>

#include "geoprosp/io/labels.hpp"
#include "geoprosp/io/output_set.hpp"

namespace geoprosp {

struct QuicklookRequest {
  std::string probability;             // Float32 raster, 0..1
  std::string areas;                   // optional: polygons with a `rank` field (reprojected if need be)
  std::vector<DepositPoint> deposits;  // optional, in the raster's CRS
  std::string output;                  // a .png
  std::string title = "Mineral prospectivity";
  std::string subtitle;    // one line under the title, e.g. what the areas capture
  bool overwrite = false;  // used only without an OutputSet
  // Optional, one per cell of the probability raster: kCellExcluded cells (left out of the classes
  // and areas by a mask) are drawn in grey.
  std::vector<uint8_t> cell_flags;
};

// The checks RenderQuicklook makes first, and the staging of the PNG in `outputs` (returns where
// to write it), for callers that want them before their heavy work.
std::string CheckQuicklookRequest(const QuicklookRequest& request, OutputSet& outputs);

// Draws the PNG where `outputs` staged it; the caller commits.
void RenderQuicklook(const QuicklookRequest& request, OutputSet& outputs);
// The same, committed at once (request.overwrite applies).
void RenderQuicklook(const QuicklookRequest& request);

}  // namespace geoprosp
