#include "geoprosp/pipeline/raster_sink.hpp"

namespace geoprosp {

uint8_t ClassOf(float probability, const std::vector<double>& breaks) {
  uint8_t level = 0;
  for (size_t i = 0; i < breaks.size(); ++i) {
    if (probability >= breaks[i]) level = static_cast<uint8_t>(i + 1);
  }
  return level;
}

RasterStripSink::RasterStripSink(RasterOutput& probability, RasterOutput* classes, RasterOutput* spread,
                                 RasterOutput* contributions, std::vector<double> breaks)
    : probability_(probability),
      classes_(classes),
      spread_(spread),
      contributions_(contributions),
      breaks_(std::move(breaks)) {}

void RasterStripSink::Write(const ScoredStrip& strip) {
  probability_.WriteRows(strip.row, strip.rows, strip.probability.data());
  class_buffer_.assign(strip.probability.size(), kClassNodata);
  for (size_t i = 0; i < strip.probability.size(); ++i) {
    if (strip.probability[i] == kProbabilityNodata) continue;
    class_buffer_[i] = ClassOf(strip.probability[i], breaks_);
    ++class_cells_[class_buffer_[i]];
  }
  if (classes_) classes_->WriteRows(strip.row, strip.rows, class_buffer_.data());
  if (spread_) spread_->WriteRows(strip.row, strip.rows, strip.spread.data());
  if (contributions_) {
    const size_t band_cells = strip.probability.size();
    for (size_t band = 0; band * band_cells < strip.contributions.size(); ++band) {
      contributions_->WriteRows(static_cast<int>(band) + 1, strip.row, strip.rows,
                                strip.contributions.data() + band * band_cells);
    }
  }
}

}  // namespace geoprosp
