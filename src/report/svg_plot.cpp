#include "geoprosp/report/svg_plot.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <iomanip>
#include <locale>
#include <sstream>

namespace geoprosp::svg {
namespace {

const char* const kFont = "font-family=\"Helvetica,Arial,sans-serif\"";

std::string Num(double value, int precision = 1) {
  std::ostringstream out;
  out.imbue(std::locale::classic());
  out << std::fixed << std::setprecision(precision) << value;
  return out.str();
}

// Tick label: as few decimals as the step needs.
std::string TickLabel(double value, double step) {
  const int decimals = std::clamp(static_cast<int>(std::ceil(-std::log10(step) - 1e-9)), 0, 4);
  return Num(std::abs(value) < step * 1e-6 ? 0.0 : value, decimals);
}

std::vector<double> NiceTicks(double min, double max, int target = 5) {
  const double raw = (max - min) / std::max(1, target);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    step = m * magnitude;
    if (step >= raw) break;
  }
  std::vector<double> ticks;
  for (double v = std::ceil(min / step - 1e-9) * step; v <= max + step * 1e-9; v += step) ticks.push_back(v);
  return ticks;
}

// Ids must be unique across every SVG inlined in one page.
std::string NextId(const char* prefix) {
  static std::atomic<int> counter{0};
  return std::string(prefix) + std::to_string(++counter);
}

std::string Text(double x, double y, const std::string& text, const std::string& attributes = "") {
  return "<text x=\"" + Num(x) + "\" y=\"" + Num(y) + "\" " + attributes + ">" + Escape(text) + "</text>\n";
}

std::string Open(int width, int height, const std::string& title) {
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + std::to_string(width) + " " +
         std::to_string(height) + "\" width=\"" + std::to_string(width) + "\" height=\"" + std::to_string(height) +
         "\" " + kFont + " font-size=\"12\" role=\"img\">\n<title>" + Escape(title) + "</title>\n<rect width=\"" +
         std::to_string(width) + "\" height=\"" + std::to_string(height) + "\" fill=\"#ffffff\"/>\n" +
         Text(12, 22, title, "font-size=\"14\" font-weight=\"bold\" fill=\"#222\"");
}

std::string Hex(const std::array<uint8_t, 3>& rgb) {
  std::ostringstream out;
  out << '#' << std::hex << std::setfill('0');
  for (uint8_t c : rgb) out << std::setw(2) << int(c);
  return out.str();
}

std::array<uint8_t, 3> Mix(const std::array<uint8_t, 3>& a, const std::array<uint8_t, 3>& b, double t) {
  std::array<uint8_t, 3> out{};
  for (int i = 0; i < 3; ++i)
    out[i] = static_cast<uint8_t>(std::lround(a[i] + (b[i] - a[i]) * std::clamp(t, 0.0, 1.0)));
  return out;
}

// A linear axis mapping from data to pixels.
struct Scale {
  double d0, d1, p0, p1;
  double operator()(double v) const { return p0 + (v - d0) / (d1 - d0) * (p1 - p0); }
};

}  // namespace

std::string Escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

const std::vector<std::string>& Palette() {
  static const std::vector<std::string> colours = {"#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd",
                                                   "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
                                                   "#393b79", "#637939", "#843c39", "#5254a3"};
  return colours;
}

std::array<uint8_t, 3> Ramp(double t) {
  static const std::array<std::array<uint8_t, 3>, 9> viridis = {{{68, 1, 84},
                                                                 {71, 45, 123},
                                                                 {59, 82, 139},
                                                                 {44, 114, 142},
                                                                 {33, 145, 140},
                                                                 {40, 174, 128},
                                                                 {94, 201, 98},
                                                                 {173, 220, 48},
                                                                 {253, 231, 37}}};
  const double position = std::clamp(std::isfinite(t) ? t : 0.0, 0.0, 1.0) * (viridis.size() - 1);
  const size_t low = std::min<size_t>(static_cast<size_t>(position), viridis.size() - 2);
  return Mix(viridis[low], viridis[low + 1], position - low);
}

std::string RenderLinePlot(const LinePlot& plot) {
  const bool legend = !plot.series.empty() && !(plot.series.size() == 1 && plot.series[0].name.empty());
  const double left = 62, top = 40, bottom = 50;
  const double right = (legend ? 192 : 20) + (plot.reversed_right_label.empty() ? 0 : 50);
  const double x0 = left, x1 = plot.width - right, y0 = top, y1 = plot.height - bottom;
  const Scale sx{plot.x_min, plot.x_max, x0, x1}, sy{plot.y_min, plot.y_max, y1, y0};
  std::string out = Open(plot.width, plot.height, plot.title);
  const std::string clip = NextId("clip");
  out += "<defs><clipPath id=\"" + clip + "\"><rect x=\"" + Num(x0) + "\" y=\"" + Num(y0) + "\" width=\"" +
         Num(x1 - x0) + "\" height=\"" + Num(y1 - y0) + "\"/></clipPath></defs>\n";

  // Grid, ticks and axes.
  const auto x_ticks = NiceTicks(plot.x_min, plot.x_max), y_ticks = NiceTicks(plot.y_min, plot.y_max);
  const double x_step = x_ticks.size() > 1 ? x_ticks[1] - x_ticks[0] : 1,
               y_step = y_ticks.size() > 1 ? y_ticks[1] - y_ticks[0] : 1;
  for (double v : x_ticks) {
    out += "<line x1=\"" + Num(sx(v)) + "\" y1=\"" + Num(y0) + "\" x2=\"" + Num(sx(v)) + "\" y2=\"" + Num(y1) +
           "\" stroke=\"#e6e6e6\"/>\n";
    out += Text(sx(v), y1 + 16, TickLabel(v, x_step), "text-anchor=\"middle\" fill=\"#444\"");
  }
  for (double v : y_ticks) {
    out += "<line x1=\"" + Num(x0) + "\" y1=\"" + Num(sy(v)) + "\" x2=\"" + Num(x1) + "\" y2=\"" + Num(sy(v)) +
           "\" stroke=\"#e6e6e6\"/>\n";
    out += Text(x0 - 6, sy(v) + 4, TickLabel(v, y_step), "text-anchor=\"end\" fill=\"#444\"");
    if (!plot.reversed_right_label.empty())
      out += Text(x1 + 6, sy(v) + 4, TickLabel(plot.y_max + plot.y_min - v, y_step), "fill=\"#444\"");
  }
  out += "<rect x=\"" + Num(x0) + "\" y=\"" + Num(y0) + "\" width=\"" + Num(x1 - x0) + "\" height=\"" + Num(y1 - y0) +
         "\" fill=\"none\" stroke=\"#888\"/>\n";
  out += Text((x0 + x1) / 2, plot.height - 12, plot.x_label, "text-anchor=\"middle\" fill=\"#222\"");
  out += "<text transform=\"translate(16," + Num((y0 + y1) / 2) +
         ") rotate(-90)\" text-anchor=\"middle\" fill=\"#222\">" + Escape(plot.y_label) + "</text>\n";
  if (!plot.reversed_right_label.empty()) {
    out += "<text transform=\"translate(" + Num(x1 + 44) + "," + Num((y0 + y1) / 2) +
           ") rotate(90)\" text-anchor=\"middle\" fill=\"#222\">" + Escape(plot.reversed_right_label) + "</text>\n";
  }
  if (plot.diagonal) {
    out += "<line x1=\"" + Num(sx(plot.x_min)) + "\" y1=\"" + Num(sy(plot.y_min)) + "\" x2=\"" + Num(sx(plot.x_max)) +
           "\" y2=\"" + Num(sy(plot.y_max)) + "\" stroke=\"#999\" stroke-dasharray=\"4 4\"/>\n";
  }

  // Series, clipped to the plot area, and their legend.
  for (size_t i = 0; i < plot.series.size(); ++i) {
    const Series& s = plot.series[i];
    const std::string colour = s.colour.empty() ? Palette()[i % Palette().size()] : s.colour;
    std::string points;
    for (size_t k = 0; k < std::min(s.x.size(), s.y.size()); ++k) {
      if (!std::isfinite(s.x[k]) || !std::isfinite(s.y[k])) continue;
      points += Num(sx(s.x[k])) + "," + Num(sy(s.y[k])) + " ";
    }
    const std::string dash = s.dashed ? " stroke-dasharray=\"6 3\"" : "";
    out += "<polyline clip-path=\"url(#" + clip + ")\" fill=\"none\" stroke=\"" + colour + "\" stroke-width=\"" +
           Num(s.width) + "\"" + dash + " points=\"" + points + "\"/>\n";
    if (s.dots) {
      for (size_t k = 0; k < std::min(s.x.size(), s.y.size()); ++k) {
        if (!std::isfinite(s.y[k])) continue;
        out +=
            "<circle cx=\"" + Num(sx(s.x[k])) + "\" cy=\"" + Num(sy(s.y[k])) + "\" r=\"3\" fill=\"" + colour + "\"/>\n";
      }
    }
    if (legend) {
      const double lx = plot.width - 184, ly = y0 + 8 + 16 * i;
      out += "<line x1=\"" + Num(lx) + "\" y1=\"" + Num(ly) + "\" x2=\"" + Num(lx + 22) + "\" y2=\"" + Num(ly) +
             "\" stroke=\"" + colour + "\" stroke-width=\"" + Num(std::max(2.0, s.width)) + "\"" + dash + "/>\n";
      out += Text(lx + 27, ly + 4, s.name, "font-size=\"11\" fill=\"#222\"");
    }
  }

  for (const auto& a : plot.annotations) {
    const double px = sx(a.x), py = sy(a.y);
    out += "<circle cx=\"" + Num(px) + "\" cy=\"" + Num(py) +
           "\" r=\"5\" fill=\"none\" stroke=\"#000\" "
           "stroke-width=\"1.5\"/>\n";
    // The label sits below a point in the upper half of the plot, above one in the lower half.
    const double text_width = 6.6 * a.text.size() + 12;
    const double tx = std::clamp(px + 10, x0 + 4, x1 - text_width - 4);
    const double ty = std::clamp(py < (y0 + y1) / 2 ? py + 28 : py - 14, y0 + 18, y1 - 8);
    out += "<rect x=\"" + Num(tx) + "\" y=\"" + Num(ty - 14) + "\" width=\"" + Num(text_width) +
           "\" height=\"20\" rx=\"3\" fill=\"#ffffff\" fill-opacity=\"0.9\" stroke=\"#bbb\"/>\n";
    out += Text(tx + 6, ty, a.text, "fill=\"#000\"");
  }
  return out + "</svg>\n";
}

std::string RenderBarChart(const BarChart& chart) {
  const double left = 130, right = 56, top = 40, bar = 11;
  const double group = chart.series.size() * bar + 10;
  const double legend_height = chart.series.size() > 1 ? 22 : 0;
  const double y1 = top + group * chart.categories.size();
  const int height = static_cast<int>(y1 + 44 + legend_height);
  const double x0 = left, x1 = chart.width - right;
  const Scale sx{chart.x_min, chart.x_max, x0, x1};
  std::string out = Open(chart.width, height, chart.title);
  const auto ticks = NiceTicks(chart.x_min, chart.x_max);
  const double step = ticks.size() > 1 ? ticks[1] - ticks[0] : 1;
  for (double v : ticks) {
    out += "<line x1=\"" + Num(sx(v)) + "\" y1=\"" + Num(top) + "\" x2=\"" + Num(sx(v)) + "\" y2=\"" + Num(y1) +
           "\" stroke=\"#e6e6e6\"/>\n";
    out += Text(sx(v), y1 + 16, TickLabel(v, step), "text-anchor=\"middle\" fill=\"#444\"");
  }
  out += Text((x0 + x1) / 2, y1 + 34, chart.x_label, "text-anchor=\"middle\" fill=\"#222\"");
  for (size_t c = 0; c < chart.categories.size(); ++c) {
    const double gy = top + group * c + 5;
    out += Text(x0 - 8, gy + group / 2, chart.categories[c], "text-anchor=\"end\" fill=\"#222\"");
    for (size_t s = 0; s < chart.series.size(); ++s) {
      const BarSeries& series = chart.series[s];
      if (c >= series.values.size() || !std::isfinite(series.values[c])) continue;
      const std::string colour = series.colour.empty() ? Palette()[s % Palette().size()] : series.colour;
      const double value = series.values[c], by = gy + s * bar;
      const double end = sx(std::clamp(value, chart.x_min, chart.x_max));
      out += "<rect x=\"" + Num(x0) + "\" y=\"" + Num(by) + "\" width=\"" + Num(std::max(0.0, end - x0)) +
             "\" height=\"" + Num(bar - 2) + "\" fill=\"" + colour + "\"/>\n";
      double label_x = end + 4;
      if (c < series.errors.size() && std::isfinite(series.errors[c]) && series.errors[c] > 0) {
        const double lo = sx(std::max(chart.x_min, value - series.errors[c]));
        const double hi = sx(std::min(chart.x_max, value + series.errors[c]));
        const double mid = by + (bar - 2) / 2;
        out += "<path d=\"M" + Num(lo) + "," + Num(mid) + "H" + Num(hi) + "M" + Num(lo) + "," + Num(mid - 3) + "v6M" +
               Num(hi) + "," + Num(mid - 3) + "v6\" stroke=\"#333\" fill=\"none\"/>\n";
        label_x = hi + 4;
      }
      out += Text(label_x, by + bar - 3, Num(value, 3), "font-size=\"10\" fill=\"#333\"");
    }
  }
  out += "<line x1=\"" + Num(x0) + "\" y1=\"" + Num(top) + "\" x2=\"" + Num(x0) + "\" y2=\"" + Num(y1) +
         "\" stroke=\"#888\"/>\n";
  if (legend_height > 0) {
    double lx = x0;
    for (size_t s = 0; s < chart.series.size(); ++s) {
      const std::string colour =
          chart.series[s].colour.empty() ? Palette()[s % Palette().size()] : chart.series[s].colour;
      out += "<rect x=\"" + Num(lx) + "\" y=\"" + Num(height - 18) + "\" width=\"12\" height=\"12\" fill=\"" + colour +
             "\"/>\n";
      out += Text(lx + 16, height - 8, chart.series[s].name, "fill=\"#222\"");
      lx += 16 + 7 * chart.series[s].name.size() + 20;
    }
  }
  return out + "</svg>\n";
}

std::string RenderConfusion(const std::string& title, int64_t tn, int64_t fp, int64_t fn, int64_t tp) {
  const int width = 214, height = 196;
  const double x0 = 82, y0 = 58, cell_w = 64, cell_h = 56;
  std::string out = Open(width, height, title);
  out += Text(x0 + cell_w, y0 - 20, "predicted", "text-anchor=\"middle\" fill=\"#555\"");
  out += Text(x0 + cell_w / 2, y0 - 6, "background", "text-anchor=\"middle\" font-size=\"11\" fill=\"#222\"");
  out += Text(x0 + 1.5 * cell_w, y0 - 6, "deposit", "text-anchor=\"middle\" font-size=\"11\" fill=\"#222\"");
  out += "<text transform=\"translate(14," + Num(y0 + cell_h) +
         ") rotate(-90)\" text-anchor=\"middle\" "
         "fill=\"#555\">actual</text>\n";
  out += Text(x0 - 6, y0 + cell_h / 2 + 4, "background", "text-anchor=\"end\" font-size=\"11\" fill=\"#222\"");
  out += Text(x0 - 6, y0 + 1.5 * cell_h + 4, "deposit", "text-anchor=\"end\" font-size=\"11\" fill=\"#222\"");
  const int64_t counts[2][2] = {{tn, fp}, {fn, tp}};
  for (int r = 0; r < 2; ++r) {
    const double row_total = double(counts[r][0] + counts[r][1]);
    for (int c = 0; c < 2; ++c) {
      const double share = row_total > 0 ? counts[r][c] / row_total : 0.0;
      const auto fill = Mix({247, 251, 255}, {8, 69, 148}, share);
      const std::string ink = share > 0.5 ? "#ffffff" : "#111111";
      const double x = x0 + c * cell_w, y = y0 + r * cell_h;
      out += "<rect x=\"" + Num(x) + "\" y=\"" + Num(y) + "\" width=\"" + Num(cell_w) + "\" height=\"" + Num(cell_h) +
             "\" fill=\"" + Hex(fill) + "\" stroke=\"#ffffff\" stroke-width=\"2\"/>\n";
      out += Text(x + cell_w / 2, y + cell_h / 2, std::to_string(counts[r][c]),
                  "text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\" fill=\"" + ink + "\"");
      out += Text(x + cell_w / 2, y + cell_h / 2 + 16, Num(100 * share, 1) + " %",
                  "text-anchor=\"middle\" font-size=\"10\" fill=\"" + ink + "\"");
    }
  }
  return out + "</svg>\n";
}

std::string RenderMap(const MapThumbnail& map) {
  const double bar_space = 128, top = 36;
  double image_w = map.width - bar_space - 16, image_h = image_w / std::max(1e-6, map.aspect);
  if (image_h > 560) {
    image_h = 560;
    image_w = image_h * map.aspect;
  }
  const int height = static_cast<int>(top + image_h + 16);
  const double x0 = 12;
  std::string out = Open(map.width, height, map.title);
  out += "<image x=\"" + Num(x0) + "\" y=\"" + Num(top) + "\" width=\"" + Num(image_w) + "\" height=\"" + Num(image_h) +
         "\" preserveAspectRatio=\"none\" style=\"image-rendering:pixelated\" "
         "href=\"data:image/png;base64," +
         map.png_base64 + "\"/>\n";
  out += "<rect x=\"" + Num(x0) + "\" y=\"" + Num(top) + "\" width=\"" + Num(image_w) + "\" height=\"" + Num(image_h) +
         "\" fill=\"none\" stroke=\"#888\"/>\n";
  for (const auto& p : map.points) {
    const double px = x0 + p.col / std::max(1, map.columns) * image_w;
    const double py = top + p.row / std::max(1, map.rows) * image_h;
    out += "<circle cx=\"" + Num(px) + "\" cy=\"" + Num(py) +
           "\" r=\"4\" fill=\"#ffffff\" stroke=\"#d62728\" "
           "stroke-width=\"2\"/>\n";
  }
  // Colour bar and legend.
  const std::string gradient = NextId("ramp");
  const double bx = x0 + image_w + 24, by = top + 10, bh = std::min(200.0, image_h - 60);
  out += "<defs><linearGradient id=\"" + gradient + "\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">";
  for (int i = 0; i <= 8; ++i) {
    out += "<stop offset=\"" + Num(i / 8.0, 3) + "\" stop-color=\"" + Hex(Ramp(i / 8.0)) + "\"/>";
  }
  out += "</linearGradient></defs>\n";
  out += "<rect x=\"" + Num(bx) + "\" y=\"" + Num(by) + "\" width=\"16\" height=\"" + Num(bh) + "\" fill=\"url(#" +
         gradient + ")\" stroke=\"#888\"/>\n";
  for (double v : {0.0, 0.5, 1.0}) out += Text(bx + 22, by + bh * (1 - v) + 4, Num(v, 1), "fill=\"#444\"");
  out += Text(bx, by + bh + 20, map.ramp_label, "fill=\"#222\"");
  out += "<circle cx=\"" + Num(bx + 6) + "\" cy=\"" + Num(by + bh + 44) +
         "\" r=\"4\" fill=\"#ffffff\" "
         "stroke=\"#d62728\" stroke-width=\"2\"/>\n";
  out += Text(bx + 16, by + bh + 48, map.points_label, "fill=\"#222\"");
  return out + "</svg>\n";
}

}  // namespace geoprosp::svg
