#pragma once
// Small hand-written SVG charts for geoprosp-eval's report: line plots (ROC, success-rate,
// prediction-area, alpha sweep), grouped horizontal bars, confusion-matrix heat maps and a map
// thumbnail. No library: each function returns one self-contained <svg> element.
#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace geoprosp::svg {

struct Series {
  std::string name;
  std::vector<double> x, y;
  std::string colour;  // CSS colour; empty: the next one of Palette()
  bool dashed = false;
  bool dots = false;  // a dot at every point
  double width = 1.8;
};

struct Annotation {
  double x = 0, y = 0;  // data coordinates of the marked point
  std::string text;
};

struct LinePlot {
  std::string title, x_label, y_label;
  double x_min = 0, x_max = 1, y_min = 0, y_max = 1;
  std::vector<Series> series;
  std::vector<Annotation> annotations;
  bool diagonal = false;  // the y = x line of a random ranking
  // An axis on the right whose labels read y_max + y_min - y (the P-A plot's area share).
  std::string reversed_right_label;
  int width = 560, height = 400;
};
std::string RenderLinePlot(const LinePlot& plot);

constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();

struct BarSeries {
  std::string name;
  std::vector<double> values;  // one per category; kMissing draws no bar
  std::vector<double> errors;  // optional: +- whiskers
  std::string colour;
};

// Horizontal bars, one group per category, one bar per series.
struct BarChart {
  std::string title, x_label;
  double x_min = 0, x_max = 1;
  std::vector<std::string> categories;
  std::vector<BarSeries> series;
  int width = 560;
};
std::string RenderBarChart(const BarChart& chart);

// A 2 x 2 confusion matrix: rows are the actual class, columns the predicted one; each cell is
// shaded by its share of the actual class and shows the count and that share.
std::string RenderConfusion(const std::string& title, int64_t tn, int64_t fp, int64_t fn, int64_t tp);

struct MapPoint {
  double col = 0, row = 0;  // fractional pixel coordinates of the thumbnail's grid
};

// A raster thumbnail (a PNG, base64) drawn at the ground's aspect ratio, points on it, and a
// colour bar of Ramp() from 0 to 1.
struct MapThumbnail {
  std::string title;
  std::string png_base64;
  int columns = 0, rows = 0;  // of the PNG
  double aspect = 1;          // ground width / ground height
  std::vector<MapPoint> points;
  std::string points_label = "known deposit";
  std::string ramp_label = "probability";
  int width = 560;
};
std::string RenderMap(const MapThumbnail& map);

// The colour ramp of maps and probabilities (viridis), t in [0, 1].
std::array<uint8_t, 3> Ramp(double t);
const std::vector<std::string>& Palette();
std::string Escape(const std::string& text);  // for XML text and attributes

}  // namespace geoprosp::svg
