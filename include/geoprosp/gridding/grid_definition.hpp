#pragma once
// Where the grid lies: its CRS (--t-srs, --align-to, or the samples'), the points in it, and its cells
// (--cell-size with --extent or the points' extent, or --align-to's grid).
#include <string>
#include <vector>

#include "geoprosp/io/raster_stack.hpp"

namespace geoprosp {

struct GridRequest {
  double cell_size = 0;        // CRS units; 0 with --align-to
  std::vector<double> extent;  // xmin,ymin,xmax,ymax in the grid's CRS; empty for the points' extent
  std::string align_to;        // a raster whose grid (CRS, cells) is used as is
  std::string t_srs;           // the grid's CRS; "" for the samples'
};

// Checks the request's options alone (combinations, values); throws UsageError.
void CheckGridRequest(const GridRequest& request);

// The grid's CRS as WKT2: --align-to's, --t-srs, else `samples_wkt`.
std::string GridCrs(const GridRequest& request, const std::string& samples_wkt);

// Moves points from one CRS to another in place (OAMS_TRADITIONAL_GIS_ORDER: x is easting or
// longitude). `subject` names the samples in errors.
void ReprojectPoints(std::vector<double>& x, std::vector<double>& y, const std::string& from_wkt,
                     const std::string& to_wkt, const std::string& subject);

// The grid: --align-to's; or --cell-size over --extent (widened to whole cells at its right and
// bottom edges); or over the points' extent, snapped outwards to multiples of the cell size.
Grid DefineGrid(const GridRequest& request, const std::string& wkt, const std::vector<double>& x,
                const std::vector<double>& y);

// The median distance from each point to its nearest other point (0 for fewer than two points).
double MedianSpacing(const std::vector<double>& x, const std::vector<double>& y);

// "WGS 84 / UTM zone 50S", or "no CRS".
std::string CrsName(const std::string& wkt);

}  // namespace geoprosp
