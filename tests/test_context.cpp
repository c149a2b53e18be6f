// Spatial context node features (features/context.cpp) on real GDAL files: against a direct
// computation from the rasters' values, at the raster's edges and around nodata, and the same bytes
// from a strip read with its halo as from the whole raster.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "geoprosp/core/error.hpp"
#include "geoprosp/features/composition.hpp"
#include "geoprosp/features/context.hpp"
#include "geoprosp/io/raster_stack.hpp"
#include "test_support.hpp"

namespace geoprosp {
namespace {

constexpr int kWidth = 9, kHeight = 7, kElements = 3;
constexpr double kNodata = -9999;

// Cells that are nodata: (4, 3) in every band, (8, 0) in the second band only (invalid either way).
bool IsNodata(int band, int col, int row) { return (col == 4 && row == 3) || (band == 2 && col == 8 && row == 0); }

double RawValue(int band, int col, int row) {
  return std::exp(0.3 * band + 0.5 * std::sin(1.3 * col + band) + 0.4 * std::cos(0.7 * row * band));
}

std::vector<std::string> WriteStack(const std::string& dir) {
  test::RasterSpec spec;
  spec.width = kWidth;
  spec.height = kHeight;
  spec.nodata = kNodata;
  std::vector<std::string> paths;
  for (const char* element : {"Au", "As", "Cu"}) {
    const int band = static_cast<int>(paths.size()) + 1;
    paths.push_back(test::WriteRaster(dir + "/" + element + ".tif", spec, [band](int, int col, int row) {
      return IsNodata(band, col, row) ? kNodata : RawValue(band, col, row);
    }));
  }
  return paths;
}

StackSources Sources(const std::string& dir) {
  StackSources sources;
  sources.paths = WriteStack(dir);
  return sources;
}

// Centred log-ratios, standardised with made-up constants (so that the standardisation counts).
CompositionParams Params() {
  CompositionParams p;
  p.transform = Transform::Clr;
  p.zero_replacement.assign(kElements, 0.5);
  p.mean = {0.2, -0.1, 0.3};
  p.sd = {0.5, 2.0, 1.5};
  return p;
}

// The standardised value of element e at a cell, straight from the formulas, and whether the cell is valid.
bool Standardised(int col, int row, int e, float* value) {
  const CompositionParams p = Params();
  double logs[kElements], mean = 0;
  for (int b = 0; b < kElements; ++b) {
    if (IsNodata(b + 1, col, row)) return false;
    logs[b] = std::log(double(static_cast<float>(RawValue(b + 1, col, row))));
    mean += logs[b] / kElements;
  }
  *value = static_cast<float>((logs[e] - mean - p.mean[e]) / p.sd[e]);
  return true;
}

TEST(Context, ParsesOneOrTwoOddWindowsAndNamesTheOption) {
  EXPECT_FALSE(ParseContext("").active());
  EXPECT_FALSE(ParseContext("none").active());
  EXPECT_EQ(ParseContext("none").node_features(), 1);
  const ContextSpec one = ParseContext("5");
  EXPECT_EQ(one.windows, std::vector<int>({5}));
  EXPECT_EQ(one.node_features(), 3);
  EXPECT_EQ(one.halo(), 2);
  const ContextSpec two = ParseContext("3,7");
  EXPECT_EQ(two.node_features(), 5);
  EXPECT_EQ(two.halo(), 3);
  EXPECT_EQ(ToString(two), "3,7");
  for (const char* bad : {"4", "1", "3,3", "7,3", "3,5,7", "x", "53"}) {
    try {
      ParseContext(bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const UsageError& e) {
      EXPECT_EQ(e.subject(), "--context") << bad;
    }
  }
}

// Every valid cell's means and standard deviations, at two scales, equal those computed directly from
// the rasters' values: the window is clipped at the raster's edges, and nodata cells are skipped.
TEST(Context, MeansAndSdsEqualADirectComputationFromTheRasters) {
  const auto dir = test::ScratchDir("context_direct");
  RasterStack stack(Sources(dir));
  StackWindow window;
  stack.Read(0, 0, kWidth, kHeight, window);
  std::vector<float> features;
  ReplacementCounts counts;
  TransformWindow(Params(), window, features, counts);
  const ContextSpec spec = ParseContext("3,5");
  std::vector<float> got(spec.node_features() * kElements);
  int checked = 0;
  for (int row = 0; row < kHeight; ++row) {
    for (int col = 0; col < kWidth; ++col) {
      float own = 0;
      if (!Standardised(col, row, 0, &own)) {
        EXPECT_FALSE(window.valid[row * kWidth + col]) << col << "," << row;
        continue;
      }
      NodeFeatures(features.data(), window.valid.data(), kWidth, kHeight, kElements, col, row, spec, got.data());
      for (int e = 0; e < kElements; ++e) {
        float value = 0;
        Standardised(col, row, e, &value);
        EXPECT_NEAR(got[e], value, 1e-6) << "the cell's own value, element " << e;
        for (size_t s = 0; s < spec.windows.size(); ++s) {
          const int half = spec.windows[s] / 2;
          std::vector<double> seen;
          for (int dy = -half; dy <= half; ++dy) {
            for (int dx = -half; dx <= half; ++dx) {
              const int c = col + dx, r = row + dy;
              float v = 0;
              if (c < 0 || r < 0 || c >= kWidth || r >= kHeight || !Standardised(c, r, e, &v)) continue;
              seen.push_back(v);
            }
          }
          double mean = 0, squares = 0;
          for (double v : seen) mean += v / seen.size();
          for (double v : seen) squares += (v - mean) * (v - mean);
          const double sd = std::sqrt(squares / seen.size());
          const float* block = got.data() + (1 + 2 * s) * kElements;
          EXPECT_NEAR(block[e], mean, 1e-5) << "mean, k " << spec.windows[s] << ", cell " << col << "," << row;
          EXPECT_NEAR(block[kElements + e], sd, 1e-5) << "sd, k " << spec.windows[s] << ", cell " << col << "," << row;
        }
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, kWidth * kHeight - 2);
}

// A strip read with its halo (cells past the raster's edge read as invalid) gives every cell of the
// strip the bytes of the whole-raster computation: tiles and strips mosaic exactly.
TEST(Context, StripsWithTheirHaloGiveTheWholeRastersBytes) {
  const auto dir = test::ScratchDir("context_strips");
  RasterStack stack(Sources(dir));
  const ContextSpec spec = ParseContext("3,5");
  const int halo = spec.halo(), row_width = spec.node_features() * kElements;
  StackWindow whole;
  stack.Read(0, 0, kWidth, kHeight, whole);
  std::vector<float> whole_features, strip_features, expected(row_width), got(row_width);
  ReplacementCounts counts;
  TransformWindow(Params(), whole, whole_features, counts);
  for (const auto& [first, rows] : {std::pair<int, int>{0, 2}, {2, 3}, {5, 2}}) {
    StackWindow strip;
    stack.Read(-halo, first - halo, kWidth + 2 * halo, rows + 2 * halo, strip);
    TransformWindow(Params(), strip, strip_features, counts);
    for (int r = 0; r < rows; ++r) {
      for (int col = 0; col < kWidth; ++col) {
        const int row = first + r;
        if (!whole.valid[row * kWidth + col]) continue;
        NodeFeatures(whole_features.data(), whole.valid.data(), kWidth, kHeight, kElements, col, row, spec,
                     expected.data());
        NodeFeatures(strip_features.data(), strip.valid.data(), strip.width, strip.height, kElements, col + halo,
                     r + halo, spec, got.data());
        EXPECT_EQ(std::memcmp(got.data(), expected.data(), sizeof(float) * row_width), 0)
            << "cell " << col << "," << row << " of the strip at row " << first;
      }
    }
  }
}

}  // namespace
}  // namespace geoprosp
