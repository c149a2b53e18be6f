#include "geoprosp/products/quicklook.hpp"

#include <cairo.h>
#include <gdal_priv.h>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>

#include "geoprosp/core/error.hpp"
#include "geoprosp/core/options.hpp"
#include "geoprosp/io/open_input.hpp"
#include "geoprosp/io/raster_output.hpp"
#include "geoprosp/io/raster_stack.hpp"
#include "geoprosp/products/areas.hpp"

namespace geoprosp {
namespace {

struct DatasetCloser {
  void operator()(GDALDataset* d) const { GDALClose(d); }
};
using DatasetPtr = std::unique_ptr<GDALDataset, DatasetCloser>;

struct Rgb {
  double r, g, b;
};
constexpr Rgb kInk{0.13, 0.13, 0.13}, kMuted{0.40, 0.40, 0.40}, kNodata{0.80, 0.80, 0.80}, kWhite{1, 1, 1};
constexpr Rgb kDeposit{0.13, 0.40, 0.67};

// YlOrRd, the colours of the classes raster (low pale yellow, moderate orange, high red).
Rgb Ramp(double p) {
  static const Rgb stops[] = {{1.00, 1.00, 0.90}, {1.00, 0.93, 0.63}, {1.00, 0.70, 0.30},
                              {0.99, 0.44, 0.20}, {0.85, 0.10, 0.11}, {0.50, 0.00, 0.15}};
  const double t = std::clamp(p, 0.0, 1.0) * 5;
  const int i = std::min(4, static_cast<int>(t));
  const double f = t - i;
  const Rgb &a = stops[i], &b = stops[i + 1];
  return {a.r + f * (b.r - a.r), a.g + f * (b.g - a.g), a.b + f * (b.b - a.b)};
}

// 1, 2 or 5 times a power of ten, at most `limit`.
double NiceBelow(double limit) {
  const double power = std::pow(10.0, std::floor(std::log10(limit)));
  for (double step : {5.0, 2.0, 1.0}) {
    if (step * power <= limit) return step * power;
  }
  return power;
}

enum class Align { Left, Centre, Right };

class Canvas {
 public:
  Canvas(int width, int height)
      : surface_(cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width, height)), cr_(cairo_create(surface_)) {
    Colour(kWhite);
    cairo_paint(cr_);
  }
  ~Canvas() {
    cairo_destroy(cr_);
    cairo_surface_destroy(surface_);
  }
  Canvas(const Canvas&) = delete;
  Canvas& operator=(const Canvas&) = delete;
  cairo_t* cr() const { return cr_; }
  cairo_surface_t* surface() const { return surface_; }

  void Colour(const Rgb& c, double alpha = 1) const { cairo_set_source_rgba(cr_, c.r, c.g, c.b, alpha); }
  void Rect(double x, double y, double w, double h, const Rgb& fill) const {
    cairo_rectangle(cr_, x, y, w, h);
    Colour(fill);
    cairo_fill(cr_);
  }
  void Frame(double x, double y, double w, double h, const Rgb& line, double width = 1) const {
    cairo_rectangle(cr_, x, y, w, h);
    Colour(line);
    cairo_set_line_width(cr_, width);
    cairo_stroke(cr_);
  }
  void Line(double x0, double y0, double x1, double y1, const Rgb& line, double width = 1) const {
    cairo_move_to(cr_, x0, y0);
    cairo_line_to(cr_, x1, y1);
    Colour(line);
    cairo_set_line_width(cr_, width);
    cairo_stroke(cr_);
  }
  // Text with its baseline at y; a white halo keeps it readable over the map.
  void Text(const std::string& text, double x, double y, double size, const Rgb& colour, Align align = Align::Left,
            bool bold = false, bool halo = false) const {
    cairo_select_font_face(cr_, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr_, size);
    cairo_text_extents_t extents;
    cairo_text_extents(cr_, text.c_str(), &extents);
    const double shift = align == Align::Left ? 0 : align == Align::Centre ? extents.x_advance / 2 : extents.x_advance;
    cairo_move_to(cr_, x - shift, y);
    cairo_text_path(cr_, text.c_str());
    if (halo) {
      Colour(kWhite, 0.9);
      cairo_set_line_width(cr_, 3);
      cairo_set_line_join(cr_, CAIRO_LINE_JOIN_ROUND);
      cairo_stroke_preserve(cr_);
    }
    Colour(colour);
    cairo_fill(cr_);
  }
  void Deposit(double x, double y) const {
    cairo_arc(cr_, x, y, 4.5, 0, 2 * M_PI);
    Colour(kDeposit);
    cairo_fill_preserve(cr_);
    Colour(kWhite);
    cairo_set_line_width(cr_, 1.5);
    cairo_stroke(cr_);
  }
  // The path just built, stroked as an area outline: dark over a white halo.
  void Outline() const {
    cairo_set_line_join(cr_, CAIRO_LINE_JOIN_ROUND);
    Colour(kWhite, 0.85);
    cairo_set_line_width(cr_, 3.5);
    cairo_stroke_preserve(cr_);
    Colour(kInk);
    cairo_set_line_width(cr_, 1.4);
    cairo_stroke(cr_);
  }

 private:
  cairo_surface_t* surface_;
  cairo_t* cr_;
};

struct MapFrame {
  double x = 0, y = 0, width = 0, height = 0;  // on the canvas
  Grid grid;
  std::array<double, 6> inverse{};
  void ToCanvas(double gx, double gy, double& cx, double& cy) const {
    cx = x + (inverse[0] + gx * inverse[1] + gy * inverse[2]) * width / grid.width;
    cy = y + (inverse[3] + gx * inverse[4] + gy * inverse[5]) * height / grid.height;
  }
};

// Excluded cells keep the ramp's lightness, in grey, so the map still reads beneath them.
Rgb Greyed(const Rgb& c) {
  const double grey = 0.25 + 0.35 * (0.299 * c.r + 0.587 * c.g + 0.114 * c.b);  // darker than no data
  return {grey, grey, grey};
}

// Whether most of the cells under each image pixel (w x h over the grid) are flagged excluded.
std::vector<uint8_t> ExcludedPixels(const std::vector<uint8_t>& flags, const Grid& grid, int w, int h) {
  std::vector<uint8_t> excluded(size_t(w) * h, 0);
  if (flags.empty()) return excluded;
  const auto span = [](int i, int pixels, int cells, int& first, int& end) {
    first = static_cast<int>(int64_t(i) * cells / pixels);
    end = std::max(first + 1, static_cast<int>(int64_t(i + 1) * cells / pixels));
  };
  for (int row = 0; row < h; ++row) {
    int r0, r1;
    span(row, h, grid.height, r0, r1);
    for (int col = 0; col < w; ++col) {
      int c0, c1;
      span(col, w, grid.width, c0, c1);
      int64_t flagged = 0, all = 0;
      for (int r = r0; r < r1; ++r) {
        for (int c = c0; c < c1; ++c, ++all) flagged += (flags[size_t(r) * grid.width + c] & kCellExcluded) != 0;
      }
      excluded[size_t(row) * w + col] = 2 * flagged > all;
    }
  }
  return excluded;
}

// The probability as an image of the frame's size: averaged when shrunk, crisp cells when enlarged;
// cells a mask excluded in grey.
void DrawProbability(const Canvas& canvas, GDALDataset& dataset, const MapFrame& frame, const std::string& path,
                     const std::vector<uint8_t>& cell_flags) {
  const int w = static_cast<int>(frame.width), h = static_cast<int>(frame.height);
  std::vector<float> values(size_t(w) * h);
  GDALRasterIOExtraArg extra;
  INIT_RASTERIO_EXTRA_ARG(extra);
  extra.eResampleAlg = w < frame.grid.width ? GRIORA_Average : GRIORA_NearestNeighbour;
  GDALRasterBand* band = dataset.GetRasterBand(1);
  if (band->RasterIO(GF_Read, 0, 0, frame.grid.width, frame.grid.height, values.data(), w, h, GDT_Float32, 0, 0,
                     &extra) != CE_None) {
    throw Error(path, "read failed: " + LastGdalError("I/O error"));
  }
  int has_nodata = 0;
  const double nodata = band->GetNoDataValue(&has_nodata);
  const std::vector<uint8_t> excluded = ExcludedPixels(cell_flags, frame.grid, w, h);
  cairo_surface_t* image = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
  cairo_surface_flush(image);
  unsigned char* pixels = cairo_image_surface_get_data(image);
  const int stride = cairo_image_surface_get_stride(image);
  for (int row = 0; row < h; ++row) {
    auto* line = reinterpret_cast<uint32_t*>(pixels + size_t(row) * stride);
    for (int col = 0; col < w; ++col) {
      const float p = values[size_t(row) * w + col];
      const bool missing = !std::isfinite(p) || (has_nodata && p == static_cast<float>(nodata)) || p < 0;
      const Rgb c = missing ? kNodata : excluded[size_t(row) * w + col] ? Greyed(Ramp(p)) : Ramp(p);
      line[col] = uint32_t(c.r * 255 + 0.5) << 16 | uint32_t(c.g * 255 + 0.5) << 8 | uint32_t(c.b * 255 + 0.5);
    }
  }
  cairo_surface_mark_dirty(image);
  cairo_set_source_surface(canvas.cr(), image, frame.x, frame.y);
  cairo_paint(canvas.cr());
  cairo_surface_destroy(image);
}

struct RankLabel {  // also a deposit marker's place, with rank 0
  int rank;
  double x, y;           // on the canvas
  std::string elements;  // the area's top elements ("As+ Sb+ Au-"), drawn under the rank
};

// Area outlines; returns where each area's rank goes (a point inside it).
std::vector<RankLabel> DrawAreas(const Canvas& canvas, const std::string& path, const MapFrame& frame,
                                 const OGRSpatialReference* raster_srs) {
  DatasetPtr dataset(OpenInput(path, GDAL_OF_VECTOR));
  if (!dataset || dataset->GetLayerCount() < 1) throw Error(path, "cannot be read: " + LastGdalError("no layers"));
  OGRLayer* layer = dataset->GetLayer(0);
  // A layer in another CRS (KML is always WGS84) is reprojected onto the raster's, x = easting.
  std::unique_ptr<OGRCoordinateTransformation> to_raster;
  const OGRSpatialReference* layer_srs = layer->GetSpatialRef();
  if (layer_srs && raster_srs && !layer_srs->IsSame(raster_srs)) {
    OGRSpatialReference from(*layer_srs), to(*raster_srs);
    from.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    to.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    to_raster.reset(OGRCreateCoordinateTransformation(&from, &to));
    if (!to_raster) throw Error(path, "cannot be reprojected onto the probability raster's CRS");
  }
  const int rank_field = layer->GetLayerDefn()->GetFieldIndex("rank");
  const int elements_field = layer->GetLayerDefn()->GetFieldIndex("top_elems");
  std::vector<RankLabel> labels;
  cairo_t* cr = canvas.cr();
  for (auto& feature : *layer) {
    const OGRGeometry* geometry = feature->GetGeometryRef();
    if (!geometry) continue;
    std::unique_ptr<OGRGeometry> multi(OGRGeometryFactory::forceToMultiPolygon(geometry->clone()));
    if (to_raster && multi->transform(to_raster.get()) != OGRERR_NONE)
      throw Error(path, "cannot be reprojected onto the probability raster's CRS");
    for (const OGRPolygon* polygon : *multi->toMultiPolygon()) {
      for (const OGRLinearRing* ring : *polygon) {
        for (int i = 0; i < ring->getNumPoints(); ++i) {
          double x, y;
          frame.ToCanvas(ring->getX(i), ring->getY(i), x, y);
          i == 0 ? cairo_move_to(cr, x, y) : cairo_line_to(cr, x, y);
        }
        cairo_close_path(cr);
      }
    }
    canvas.Outline();
    OGRPoint anchor;
    if (rank_field >= 0 &&
        (multi->toMultiPolygon()->PointOnSurface(&anchor) == OGRERR_NONE || multi->Centroid(&anchor) == OGRERR_NONE)) {
      RankLabel label{feature->GetFieldAsInteger(rank_field), 0, 0,
                      elements_field >= 0 ? feature->GetFieldAsString(elements_field) : ""};
      frame.ToCanvas(anchor.getX(), anchor.getY(), label.x, label.y);
      labels.push_back(label);
    }
  }
  return labels;
}

constexpr size_t kMaxRanks = 40;  // more would bury the map

constexpr size_t kMaxExplainedRanks = 10;  // the best ranks also show their top elements

// The box a label or a deposit marker covers on the canvas, around (x, y).
struct LabelBox {
  double x, y, half_width, above, below;
  bool Overlaps(const LabelBox& o) const {
    return std::abs(o.x - x) < half_width + o.half_width && o.y - o.above < y + below && y - above < o.y + o.below;
  }
};

// The best ranks, each at or beside its anchor where it hides no better rank and no deposit, the
// best of them with their top elements underneath where there is room for them; a rank with no free
// place is left out.
void DrawRanks(const Canvas& canvas, std::vector<RankLabel> labels, const std::vector<RankLabel>& deposits) {
  std::sort(labels.begin(), labels.end(), [](const RankLabel& a, const RankLabel& b) { return a.rank < b.rank; });
  labels.resize(std::min(labels.size(), kMaxRanks));
  std::vector<LabelBox> taken;
  for (const auto& deposit : deposits) taken.push_back({deposit.x, deposit.y, 3, 4.5, 4.5});
  const double offsets[][2] = {{0, 0}, {0, -15}, {0, 15}, {-18, 0}, {18, 0}};
  // Places the label with or without its elements; false when every spot is taken.
  const auto place = [&](const RankLabel& label, bool with_elements) {
    for (const auto& [dx, dy] : offsets) {
      const double x = label.x + dx, y = label.y + dy;
      const LabelBox box{x, y, with_elements ? std::max(11.0, 3.3 * label.elements.size()) : 11, 7.5,
                         with_elements ? 20 : 7.5};
      if (std::any_of(taken.begin(), taken.end(), [&](const LabelBox& other) { return box.Overlaps(other); })) continue;
      canvas.Text(std::to_string(label.rank), x, y + 5, 14, kInk, Align::Centre, true, true);
      if (with_elements) canvas.Text(label.elements, x, y + 18, 10, kInk, Align::Centre, false, true);
      taken.push_back(box);
      return true;
    }
    return false;
  };
  for (size_t i = 0; i < labels.size(); ++i) {
    const bool explained = i < kMaxExplainedRanks && !labels[i].elements.empty();
    if (!(explained && place(labels[i], true))) place(labels[i], false);
  }
}

// A scale bar of a round length, at most `max_length` px long; returns its height.
double DrawScaleBar(const Canvas& canvas, double x, double y, double max_length, const MapFrame& frame,
                    const OGRSpatialReference* srs) {
  double metres_per_unit = 1;
  if (srs && srs->IsGeographic()) {  // along the parallel through the centre
    double cx, cy;
    frame.grid.CellCentre(frame.grid.width / 2, frame.grid.height / 2, cx, cy);
    const double radians = srs->GetAngularUnits();
    metres_per_unit = srs->GetSemiMajor() * radians * std::cos(cy * radians);
  } else if (srs) {
    metres_per_unit = srs->GetLinearUnits();
  }
  const auto& gt = frame.grid.geotransform;
  const double metres_per_px = std::hypot(gt[1], gt[4]) * metres_per_unit * frame.grid.width / frame.width;
  const double metres = NiceBelow(max_length * metres_per_px);
  const double length = metres / metres_per_px;
  const bool km = metres >= 1000;
  auto label = [&](double m) { return FormatNumber(km ? m / 1000 : m); };
  canvas.Text("Scale", x, y, 14, kInk, Align::Left, true);
  const double bar_y = y + 26;
  for (int i = 0; i < 4; ++i) canvas.Rect(x + i * length / 4, bar_y, length / 4, 6, i % 2 ? kWhite : kInk);
  canvas.Frame(x, bar_y, length, 6, kInk);
  canvas.Text("0", x, bar_y - 5, 11, kInk, Align::Centre);
  canvas.Text(label(metres / 2), x + length / 2, bar_y - 5, 11, kInk, Align::Centre);
  canvas.Text(label(metres), x + length, bar_y - 5, 11, kInk, Align::Centre);
  canvas.Text(km ? "kilometres" : "metres", x + length / 2, bar_y + 20, 11, kMuted, Align::Centre);
  return 50;
}

// Grid north: the map is drawn north-up.
void DrawNorthArrow(const Canvas& canvas, double x, double y) {
  cairo_t* cr = canvas.cr();
  canvas.Text("N", x, y + 12, 14, kInk, Align::Centre, true);
  const double top = y + 17, bottom = y + 50, half = 10;
  for (int side : {-1, 1}) {
    cairo_move_to(cr, x, top);
    cairo_line_to(cr, x + side * half, bottom);
    cairo_line_to(cr, x, bottom - 9);
    cairo_close_path(cr);
    canvas.Colour(side < 0 ? kInk : kWhite);
    cairo_fill_preserve(cr);
    canvas.Colour(kInk);
    cairo_set_line_width(cr, 1);
    cairo_stroke(cr);
  }
}

// Tick marks with round coordinates along the frame: eastings below, northings on the left
// (none at the corners, where the two sets of labels would meet).
void DrawCoordinateTicks(const Canvas& canvas, const MapFrame& frame) {
  const auto& gt = frame.grid.geotransform;
  const double x0 = gt[0], x1 = gt[0] + gt[1] * frame.grid.width;
  const double y1 = gt[3], y0 = gt[3] + gt[5] * frame.grid.height;
  const double step = NiceBelow(std::max(std::abs(x1 - x0), std::abs(y1 - y0)) / 4);
  auto ticks = [&](double a, double b) {
    std::vector<double> values;
    const double first = std::ceil(std::min(a, b) / step);
    for (int i = 0; (first + i) * step <= std::max(a, b); ++i) values.push_back((first + i) * step);
    return values;
  };
  const double corner = 30;
  for (double gx : ticks(x0, x1)) {
    double cx, cy;
    frame.ToCanvas(gx, y0, cx, cy);
    if (cx < frame.x + corner || cx > frame.x + frame.width - corner) continue;
    canvas.Line(cx, frame.y + frame.height, cx, frame.y + frame.height + 5, kInk);
    canvas.Text(FormatNumber(gx), cx, frame.y + frame.height + 18, 10, kMuted, Align::Centre);
  }
  for (double gy : ticks(y0, y1)) {
    double cx, cy;
    frame.ToCanvas(x0, gy, cx, cy);
    if (cy < frame.y + corner || cy > frame.y + frame.height - corner) continue;
    canvas.Line(frame.x - 5, cy, frame.x, cy, kInk);
    cairo_save(canvas.cr());
    cairo_translate(canvas.cr(), frame.x - 9, cy);
    cairo_rotate(canvas.cr(), -M_PI / 2);
    canvas.Text(FormatNumber(gy), 0, 0, 10, kMuted, Align::Centre);
    cairo_restore(canvas.cr());
  }
}

// The colour bar (with the class breaks when the raster records them) and the symbols; returns
// the height used.
double DrawLegend(const Canvas& canvas, double x, double y, GDALDataset& probability, size_t areas, bool explained,
                  bool deposits, bool excluded) {
  canvas.Text("Probability", x, y, 14, kInk, Align::Left, true);
  const double bar_top = y + 14, bar_height = 240, bar_width = 22;
  for (int i = 0; i < bar_height; ++i) canvas.Rect(x, bar_top + i, bar_width, 1.5, Ramp(1 - i / (bar_height - 1)));
  canvas.Frame(x, bar_top, bar_width, bar_height, kMuted);
  for (int i = 0; i <= 5; ++i) {
    const double ty = bar_top + bar_height * (1 - i / 5.0);
    canvas.Line(x + bar_width, ty, x + bar_width + 4, ty, kInk);
    canvas.Text(FormatNumber(i / 5.0), x + bar_width + 8, ty + 4, 11, kInk);
  }
  if (const char* text = probability.GetMetadataItem("GEOPROSP_CLASS_BREAKS")) {
    const auto breaks = SplitList(text);
    double label_y = 0;  // names go from high down, at least a line apart
    for (int i = std::min<int>(3, breaks.size()) - 1; i >= 0; --i) {
      const double ty = bar_top + bar_height * (1 - std::atof(breaks[i].c_str()));
      canvas.Line(x - 4, ty, x + bar_width, ty, kInk, 1.2);
      label_y = std::max(ty + 4, label_y + 12);
      canvas.Text(ClassNames()[i + 1], x + bar_width + 44, label_y, 10, kMuted);
    }
  }
  double row = bar_top + bar_height + 30;
  canvas.Rect(x, row - 11, bar_width, 14, kNodata);
  canvas.Frame(x, row - 11, bar_width, 14, kMuted);
  canvas.Text("no data", x + bar_width + 8, row, 11, kInk);
  if (excluded) {
    row += 22;
    for (int i = 0; i < 4; ++i) canvas.Rect(x + i * bar_width / 4, row - 11, bar_width / 4, 14, Greyed(Ramp(i / 3.0)));
    canvas.Frame(x, row - 11, bar_width, 14, kMuted);
    canvas.Text("left out of the areas", x + bar_width + 8, row, 11, kInk);
  }
  if (areas) {
    row += 28;
    cairo_rectangle(canvas.cr(), x + 1, row - 12, bar_width - 2, 16);
    canvas.Outline();
    canvas.Text("1", x + bar_width / 2, row + 1, 11, kInk, Align::Centre, true, true);
    canvas.Text("target area and rank", x + bar_width + 8, row, 11, kInk);
    if (explained) {
      row += 15;
      canvas.Text("under it: its top elements", x + bar_width + 8, row, 10, kMuted);
    }
    if (areas > kMaxRanks) {
      row += 15;
      canvas.Text("(ranks 1 to " + std::to_string(kMaxRanks) + " shown)", x + bar_width + 8, row, 10, kMuted);
    }
  }
  if (deposits) {
    row += 26;
    canvas.Deposit(x + bar_width / 2, row - 4);
    canvas.Text("known deposit", x + bar_width + 8, row, 11, kInk);
  }
  return row - y;
}

std::string CrsName(const OGRSpatialReference* srs) {
  if (!srs) return "CRS: none (pixel coordinates)";
  std::string name = std::string("CRS: ") + (srs->GetName() ? srs->GetName() : "unnamed");
  if (srs->GetAuthorityName(nullptr) && srs->GetAuthorityCode(nullptr))
    name += std::string(" (") + srs->GetAuthorityName(nullptr) + ":" + srs->GetAuthorityCode(nullptr) + ")";
  return name;
}

}  // namespace

std::string CheckQuicklookRequest(const QuicklookRequest& request, OutputSet& outputs) {
  if (!EQUAL(CPLGetExtension(request.output.c_str()), "png"))
    throw UsageError("--quicklook", "writes a PNG: give a path ending in .png, got '" + request.output + "'");
  return outputs.Stage("--quicklook", request.output, OutputForm::File);
}

void RenderQuicklook(const QuicklookRequest& request) {
  OutputSet outputs(request.overwrite);
  outputs.AddInput("probability", request.probability);
  outputs.AddInput("--areas", request.areas);
  RenderQuicklook(request, outputs);
  outputs.Commit();
}

void RenderQuicklook(const QuicklookRequest& request, OutputSet& outputs) {
  const std::string path = CheckQuicklookRequest(request, outputs);
  CPLErrorReset();
  DatasetPtr probability(OpenInput(request.probability, GDAL_OF_RASTER));
  if (!probability) throw Error(request.probability, "not a raster GDAL can read (" + LastGdalError("") + ")");
  MapFrame frame;
  frame.grid = GridOf(*probability);
  auto geotransform = frame.grid.geotransform;
  if (!GDALInvGeoTransform(geotransform.data(), frame.inverse.data()))
    throw Error(request.probability, "has a geotransform that cannot be inverted");
  const double scale = 1000.0 / std::max(frame.grid.width, frame.grid.height);  // the map fits 1000x1000 px
  frame.width = std::max(1.0, std::round(frame.grid.width * scale));
  frame.height = std::max(1.0, std::round(frame.grid.height * scale));

  const double margin = 28, header = request.subtitle.empty() ? 52 : 74, axis = 30, gap = 40, legend = 200;
  frame.x = margin + axis;
  frame.y = margin + header;
  const int width = static_cast<int>(frame.x + frame.width + gap + legend + margin);
  const bool excluded = std::any_of(request.cell_flags.begin(), request.cell_flags.end(),
                                    [](uint8_t flags) { return (flags & kCellExcluded) != 0; });
  const double legend_height = excluded ? 585 : 560;  // the legend's own rows, scale bar included
  const int height = static_cast<int>(frame.y + std::max(frame.height, legend_height) + axis + 24 + margin);
  Canvas canvas(width, height);
  canvas.Text(request.title, margin, margin + 22, 24, kInk, Align::Left, true);
  if (!request.subtitle.empty()) canvas.Text(request.subtitle, margin, margin + 50, 14, kMuted);

  const OGRSpatialReference* srs = probability->GetSpatialRef();
  if (!request.cell_flags.empty() && request.cell_flags.size() != size_t(frame.grid.width) * frame.grid.height)
    throw Error(request.probability, "does not match the cells the map flagged");
  DrawProbability(canvas, *probability, frame, request.probability, request.cell_flags);
  cairo_save(canvas.cr());
  cairo_rectangle(canvas.cr(), frame.x, frame.y, frame.width, frame.height);
  cairo_clip(canvas.cr());
  const auto ranks = request.areas.empty() ? std::vector<RankLabel>() : DrawAreas(canvas, request.areas, frame, srs);
  std::vector<RankLabel> deposits;
  for (const auto& deposit : request.deposits) {
    RankLabel marker{0, 0, 0, ""};
    frame.ToCanvas(deposit.x, deposit.y, marker.x, marker.y);
    canvas.Deposit(marker.x, marker.y);
    deposits.push_back(marker);
  }
  DrawRanks(canvas, ranks, deposits);
  cairo_restore(canvas.cr());
  canvas.Frame(frame.x - 0.5, frame.y - 0.5, frame.width + 1, frame.height + 1, kInk);
  DrawCoordinateTicks(canvas, frame);

  const double legend_x = frame.x + frame.width + gap;
  double legend_y = frame.y + 14;
  const bool explained =
      std::any_of(ranks.begin(), ranks.end(), [](const RankLabel& label) { return !label.elements.empty(); });
  legend_y += DrawLegend(canvas, legend_x, legend_y, *probability, ranks.size(), explained, !request.deposits.empty(),
                         excluded);
  legend_y += 44;
  DrawNorthArrow(canvas, legend_x + 11, legend_y);
  legend_y += 90;
  DrawScaleBar(canvas, legend_x, legend_y, legend - 30, frame, srs);
  const double footer = frame.y + frame.height + axis + 18;
  canvas.Text(CrsName(srs), frame.x, footer, 11, kMuted);
  canvas.Text(std::string(CPLGetFilename(request.probability.c_str())) + " \u00b7 geoprosp " GEOPROSP_VERSION,
              width - margin, footer, 11, kMuted, Align::Right);

  if (const cairo_status_t status = cairo_surface_write_to_png(canvas.surface(), path.c_str()); status)
    throw Error(request.output,
                std::string("cannot be written: ") + cairo_status_to_string(status) + DiskProblem(path));
}

}  // namespace geoprosp
