#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "geoprosp/core/element_names.hpp"
#include "geoprosp/core/error.hpp"
#include "geoprosp/features/composition.hpp"

namespace geoprosp {
namespace {

CompositionParams Unstandardised(Transform transform, int n) {
  CompositionParams p;
  p.transform = transform;
  p.zero_replacement.assign(n, 0.5);
  return p;
}

TEST(Composition, ClrMatchesHandComputedValues) {
  std::vector<float> cell = {1, 2, 4};  // logs 0, ln2, 2 ln2; their mean is ln2
  TransformCells(Unstandardised(Transform::Clr, 3), cell.data(), 1, 3, nullptr);
  EXPECT_NEAR(cell[0], -std::log(2.0), 1e-6);
  EXPECT_NEAR(cell[1], 0.0, 1e-6);
  EXPECT_NEAR(cell[2], std::log(2.0), 1e-6);
}

TEST(Composition, ClrSumsToZeroAndIgnoresScale) {
  std::vector<float> cell = {3.5f, 120.0f, 0.02f, 7.0f, 1500.0f};
  std::vector<float> scaled = cell;
  for (auto& v : scaled) v *= 1000.0f;  // ppm -> ppb
  const auto p = Unstandardised(Transform::Clr, 5);
  TransformCells(p, cell.data(), 1, 5, nullptr);
  TransformCells(p, scaled.data(), 1, 5, nullptr);
  EXPECT_NEAR(std::accumulate(cell.begin(), cell.end(), 0.0), 0.0, 1e-5);
  for (int e = 0; e < 5; ++e) EXPECT_NEAR(cell[e], scaled[e], 1e-5);
}

TEST(Composition, LogAndNoneTransforms) {
  std::vector<float> cell = {std::exp(1.0f), 5.0f};
  TransformCells(Unstandardised(Transform::Log, 2), cell.data(), 1, 2, nullptr);
  EXPECT_NEAR(cell[0], 1.0, 1e-6);
  std::vector<float> same = {2.0f, 5.0f};
  TransformCells(Unstandardised(Transform::None, 2), same.data(), 1, 2, nullptr);
  EXPECT_FLOAT_EQ(same[1], 5.0f);
}

TEST(Composition, ZerosAreReplacedByHalfTheSmallestPositiveAndCounted) {
  // Two elements, three cells; element 0 has a zero and a negative value.
  const std::vector<float> raw = {0.0f, 10.0f, 4.0f, 20.0f, -1.0f, 30.0f};
  const auto params = FitComposition(Transform::Clr, "half-min", raw.data(), 3, 2, {}, {"Au", "Cu"});
  EXPECT_DOUBLE_EQ(params.zero_replacement[0], 2.0);
  EXPECT_DOUBLE_EQ(params.zero_replacement[1], 5.0);
  std::vector<float> cells = raw;
  ReplacementCounts counts;
  TransformCells(params, cells.data(), 3, 2, &counts);
  EXPECT_EQ(counts.replaced, (std::vector<int64_t>{2, 0}));
  EXPECT_EQ(counts.total(), 2);
  // Standardised with the fitted constants: mean 0, sd 1 over the fitted cells.
  double mean = 0;
  for (int i = 0; i < 3; ++i) mean += cells[i * 2];
  EXPECT_NEAR(mean / 3, 0.0, 1e-6);
}

TEST(Composition, FixedZeroReplacementAndErrors) {
  const std::vector<float> raw = {0.0f, 1.0f, 0.0f, 2.0f};
  EXPECT_DOUBLE_EQ(FitComposition(Transform::Clr, "0.01", raw.data(), 2, 2, {}, {"Au", "Cu"}).zero_replacement[0],
                   0.01);
  EXPECT_THROW(FitComposition(Transform::Clr, "half-min", raw.data(), 2, 2, {}, {"Au", "Cu"}),
               Error);  // Au has no positive value
  EXPECT_THROW(FitComposition(Transform::Clr, "-3", raw.data(), 2, 2, {}, {"Au", "Cu"}), UsageError);
  EXPECT_THROW(ParseTransform("ilr"), UsageError);
}

TEST(ElementNames, MatchesFileNamesTolerantly) {
  EXPECT_EQ(ElementFromName("Au"), "Au");
  EXPECT_EQ(ElementFromName("Idw_Au"), "Au");
  EXPECT_EQ(ElementFromName("au_ppb"), "Au");
  EXPECT_EQ(ElementFromName("Idw_SiO2"), "SiO2");
  EXPECT_EQ(ElementFromName("stream-sed.Cu.2020"), "Cu");
  EXPECT_EQ(ElementFromName("magnetics"), "magnetics");  // unknown variables keep their name
  EXPECT_EQ(CanonicalElement("FE2O3"), "Fe2O3");
  EXPECT_EQ(CanonicalElement("ppb"), "");
}

}  // namespace
}  // namespace geoprosp
