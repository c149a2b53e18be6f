#include "geoprosp/pipeline/raster_sink.hpp"

#include "geoprosp/core/error.hpp"

namespace geoprosp {

uint8_t ClassOf(float probability, const std::vector<double>& breaks) {
  uint8_t level = 0;
  for (size_t i = 0; i < breaks.size(); ++i) {
    if (probability >= breaks[i]) level = static_cast<uint8_t>(i + 1);
  }
  return level;
}

RasterStripSink::RasterStripSink(StripRasters rasters, std::vector<double> breaks, ClassRestriction restriction,
                                 std::vector<uint8_t>* cell_flags)
    : rasters_(rasters), breaks_(std::move(breaks)), restriction_(restriction), cell_flags_(cell_flags) {
  if (!rasters_.probability) throw Error("map", "has no probability raster to write");
}

void RasterStripSink::Write(const ScoredStrip& strip) {
  const size_t cells = strip.probability.size();
  const bool with_distance = !strip.distance.empty();
  if ((rasters_.distance || rasters_.outside || restriction_.exclude_outside) && !with_distance)
    throw Error("map", "needs applicability distances that the scoring did not give");
  rasters_.probability->WriteRows(strip.row, strip.rows, strip.probability.data());
  if (restriction_.mask) {
    inside_buffer_.resize(cells);
    restriction_.mask->Fill(restriction_.x0, restriction_.y0 + strip.row, strip.width, strip.rows,
                            inside_buffer_.data());
  }
  class_buffer_.assign(cells, kClassNodata);
  outside_buffer_.assign(with_distance ? cells : 0, kClassNodata);
  uint8_t* flags = cell_flags_ ? cell_flags_->data() + size_t(strip.row) * strip.width : nullptr;
  for (size_t i = 0; i < cells; ++i) {
    if (flags) flags[i] = 0;
    if (strip.probability[i] == kProbabilityNodata) continue;
    bool excluded = restriction_.mask && !inside_buffer_[i];
    if (with_distance) {
      const bool outside = strip.distance[i] > restriction_.threshold;
      outside_buffer_[i] = outside ? 1 : 0;
      outside_cells_ += outside;
      excluded = excluded || (outside && restriction_.exclude_outside);
      if (flags && outside) flags[i] |= kCellOutside;
    }
    if (excluded) {
      ++excluded_cells_;
      if (flags) flags[i] |= kCellExcluded;
      continue;
    }
    class_buffer_[i] = ClassOf(strip.probability[i], breaks_);
    ++class_cells_[class_buffer_[i]];
  }
  if (rasters_.classes) rasters_.classes->WriteRows(strip.row, strip.rows, class_buffer_.data());
  if (rasters_.spread) rasters_.spread->WriteRows(strip.row, strip.rows, strip.spread.data());
  if (rasters_.distance) rasters_.distance->WriteRows(strip.row, strip.rows, strip.distance.data());
  if (rasters_.outside) rasters_.outside->WriteRows(strip.row, strip.rows, outside_buffer_.data());
  if (rasters_.contributions) {
    for (size_t band = 0; band * cells < strip.contributions.size(); ++band) {
      rasters_.contributions->WriteRows(static_cast<int>(band) + 1, strip.row, strip.rows,
                                        strip.contributions.data() + band * cells);
    }
  }
}

}  // namespace geoprosp
