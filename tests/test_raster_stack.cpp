#include <gtest/gtest.h>

#include <cmath>

#include "geoprosp/core/error.hpp"
#include "geoprosp/io/distance_unit.hpp"
#include "geoprosp/io/raster_stack.hpp"
#include "test_support.hpp"

namespace geoprosp {
namespace {

using test::RasterSpec;
using test::WriteRaster;

auto Constant(double v) {
  return [v](int, int, int) { return v; };
}

// The error `run` throws ("" when none).
template <class Run>
std::string ErrorFrom(Run run) {
  try {
    run();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

std::string ErrorOf(const StackSources& sources) {
  return ErrorFrom([&] { RasterStack stack(sources); });
}

TEST(RasterStack, NamesElementsFromFilesAndOrdersASubset) {
  RasterSpec spec;
  const auto au = WriteRaster("/vsimem/stack1/Idw_Au.tif", spec, Constant(1));
  const auto cu = WriteRaster("/vsimem/stack1/cu_ppm.tif", spec, Constant(2));
  const auto as = WriteRaster("/vsimem/stack1/As.tif", spec, Constant(3));
  RasterStack stack({{au, cu, as}, {"As", "au"}, "", "bilinear"});
  EXPECT_EQ(stack.elements(), (std::vector<std::string>{"As", "Au"}));
  StackWindow window;
  stack.Read(0, 0, 2, 2, window);
  EXPECT_FLOAT_EQ(window.element(0)[0], 3.0f);
  EXPECT_FLOAT_EQ(window.element(1)[3], 1.0f);
}

// The unit a grid's distances are in comes from the CRS its rasters carry.
TEST(DistanceUnit, IsReadFromTheGridsCrs) {
  const auto unit_of = [](int epsg, const std::string& path) {
    RasterSpec spec;
    spec.epsg = epsg;
    if (epsg == 4326) spec.geotransform = {113, 0.01, 0, 25, 0, -0.01};
    RasterStack stack({{WriteRaster(path, spec, Constant(1))}, {}, "", "bilinear"});
    return CrsDistanceUnit(stack.grid().wkt);
  };
  const DistanceUnit metres = unit_of(32650, "/vsimem/units/utm/Au.tif");
  EXPECT_EQ(metres.name, "metre");
  EXPECT_FALSE(metres.angular);
  EXPECT_EQ(FormatDistance(4100, metres), "4.1 km");
  EXPECT_EQ(FormatDistance(68000, metres), "68 km");
  EXPECT_EQ(FormatDistance(250, metres), "250 m");
  EXPECT_EQ(FormatDistance(12.5, metres), "12.5 m");

  const DistanceUnit degrees = unit_of(4326, "/vsimem/units/wgs84/Au.tif");
  EXPECT_EQ(degrees.name, "degree");
  EXPECT_TRUE(degrees.angular);
  EXPECT_EQ(FormatDistance(0.05, degrees), "0.05°");

  // NAD83 / Texas Central (ftUS): the foot is named, with its length in metres.
  const DistanceUnit feet = unit_of(2277, "/vsimem/units/texas/Au.tif");
  EXPECT_EQ(feet.name, "US survey foot");
  EXPECT_NEAR(feet.to_metres, 0.3048006, 1e-7);
  EXPECT_EQ(FormatDistance(13500, feet), "13500 US survey ft (4.11 km)");

  const DistanceUnit none = unit_of(0, "/vsimem/units/none/Au.tif");
  EXPECT_EQ(none.name, "unknown");
  EXPECT_EQ(FormatDistance(4100, none), "4100 CRS units (no CRS)");
}

TEST(RasterStack, MultiBandFilesUseBandDescriptions) {
  RasterSpec spec;
  spec.bands = 2;
  spec.descriptions = {"Sn", "W (ppm)"};
  const auto path = WriteRaster("/vsimem/stack2/survey.tif", spec, [](int b, int, int) { return b * 10.0; });
  RasterStack stack({{path}, {}, "", "bilinear"});
  EXPECT_EQ(stack.elements(), (std::vector<std::string>{"Sn", "W"}));
  spec.descriptions = {"Sn"};
  const auto unnamed = WriteRaster("/vsimem/stack2/unnamed.tif", spec, Constant(1));
  EXPECT_NE(ErrorOf({{unnamed}, {}, "", "bilinear"}).find("band 2 has no description"), std::string::npos);
}

TEST(RasterStack, MisalignedInputsNameBothFilesAndTheDifference) {
  RasterSpec spec;
  const auto a = WriteRaster("/vsimem/stack3/Au.tif", spec, Constant(1));
  RasterSpec other_crs = spec;
  other_crs.epsg = 4547;
  const auto b = WriteRaster("/vsimem/stack3/Cu.tif", other_crs, Constant(1));
  std::string message = ErrorOf({{a, b}, {}, "", "bilinear"});
  EXPECT_NE(message.find("/vsimem/stack3/Cu.tif"), std::string::npos) << message;
  EXPECT_NE(message.find("/vsimem/stack3/Au.tif"), std::string::npos) << message;
  EXPECT_NE(message.find("CRS"), std::string::npos) << message;

  RasterSpec bigger = spec;
  bigger.width = 9;
  const auto c = WriteRaster("/vsimem/stack3/Pb.tif", bigger, Constant(1));
  // The sizes in the order of the names: the file at fault first.
  message = ErrorOf({{a, c}, {}, "", "bilinear"});
  EXPECT_NE(message.find("/vsimem/stack3/Pb.tif: is not aligned with /vsimem/stack3/Au.tif, they differ in size: 9x6 "
                         "vs 8x6 cells"),
            std::string::npos)
      << message;

  RasterSpec shifted = spec;
  shifted.geotransform[0] += 1.0;  // 1 % of a pixel: beyond the 1e-3 pixel tolerance
  const auto d = WriteRaster("/vsimem/stack3/Zn.tif", shifted, Constant(1));
  EXPECT_NE(ErrorOf({{a, d}, {}, "", "bilinear"}).find("geotransform"), std::string::npos);
  RasterSpec nudged = spec;
  nudged.geotransform[0] += 0.05;  // 5e-4 pixel: aligned
  const auto e = WriteRaster("/vsimem/stack3/Ag.tif", nudged, Constant(1));
  EXPECT_EQ(ErrorOf({{a, e}, {}, "", "bilinear"}), "");

  RasterSpec two_bands = spec;
  two_bands.bands = 2;
  two_bands.descriptions = {"Sb", "Bi"};
  const auto f = WriteRaster("/vsimem/stack3/pair.tif", two_bands, Constant(1));
  EXPECT_NE(ErrorOf({{a, f}, {}, "", "bilinear"}).find("mixed band counts"), std::string::npos);
}

// The test grid at cells half the size: 16 x 12 cells of 50 m.
RasterSpec FineSpec() {
  RasterSpec fine;
  fine.width = 16;
  fine.height = 12;
  fine.geotransform = {500000, 50, 0, 2500000, 0, -50};
  return fine;
}

TEST(RasterStack, AlignToWarpsOntoTheTargetGrid) {
  RasterSpec spec;
  const auto target = WriteRaster("/vsimem/stack4/Au.tif", spec, Constant(1));
  const RasterSpec fine = FineSpec();
  const auto cu = WriteRaster("/vsimem/stack4/Cu.tif", fine, Constant(7));
  RasterStack stack({{target, cu}, {}, target, "average"});
  EXPECT_EQ(stack.grid().width, 8);
  StackWindow window;
  stack.Read(0, 0, 8, 6, window);
  EXPECT_FLOAT_EQ(window.element(1)[5], 7.0f);
  EXPECT_EQ(window.valid[5], 1);
}

TEST(RasterStack, NodataNanAndOutsideCellsAreInvalid) {
  RasterSpec spec;
  const auto au = WriteRaster("/vsimem/stack5/Au.tif", spec, [](int, int c, int r) {
    if (c == 1 && r == 0) return -9999.0;
    if (c == 2 && r == 0) return std::nan("");
    return 5.0;
  });
  const auto cu =
      WriteRaster("/vsimem/stack5/Cu.tif", spec, [](int, int c, int r) { return c == 3 && r == 0 ? -9999.0 : 0.0; });
  RasterStack stack({{au, cu}, {}, "", "bilinear"});
  StackWindow window;
  stack.Read(-1, -1, 6, 3, window);  // one cell of halo outside the raster on the left and top
  auto valid_at = [&](int col, int row) { return window.valid[size_t(row + 1) * window.width + (col + 1)]; };
  EXPECT_EQ(valid_at(-1, 0), 0);  // outside
  EXPECT_EQ(valid_at(0, -1), 0);  // outside
  EXPECT_EQ(valid_at(0, 0), 1);
  EXPECT_EQ(valid_at(1, 0), 0);  // nodata in Au
  EXPECT_EQ(valid_at(2, 0), 0);  // NaN in Au
  EXPECT_EQ(valid_at(3, 0), 0);  // nodata in Cu
  EXPECT_EQ(valid_at(4, 0), 1);  // zero is a value, not nodata (it is replaced later)
  EXPECT_EQ(window.nonfinite, 1);
}

TEST(RasterStack, MissingOrUnreadableFilesAreNamed) {
  EXPECT_NE(ErrorOf({{"/nonexistent/Au.tif"}, {}, "", "bilinear"}).find("/nonexistent/Au.tif: no such file"),
            std::string::npos);
  VSILFILE* f = VSIFOpenL("/vsimem/stack6/Au.tif", "wb");
  VSIFWriteL("not a raster", 1, 12, f);
  VSIFCloseL(f);
  EXPECT_NE(ErrorOf({{"/vsimem/stack6/Au.tif"}, {}, "", "bilinear"}).find("not a raster"), std::string::npos);
  RasterSpec spec;
  const auto au = WriteRaster("/vsimem/stack6/Au_2.tif", spec, Constant(1));
  EXPECT_NE(ErrorOf({{au}, {"Au", "Hg"}, "", "bilinear"}).find("needs element Hg"), std::string::npos);
}

TEST(RasterStack, ScaleAndOffsetAreAppliedAndNodataIsRaw) {
  RasterSpec spec;
  spec.scale = 0.001;
  spec.offset = 2;
  spec.nodata = -9999000;
  const auto scaled = WriteRaster("/vsimem/stack7/Au.tif", spec, [](int, int c, int r) {
    return c == 0 && r == 0 ? -9999000.0 : 1000.0 * (c + 10 * r);
  });
  RasterStack stack({{scaled}, {}, "", "bilinear"});
  StackWindow window;
  stack.Read(0, 0, 8, 6, window);
  EXPECT_EQ(window.valid[0], 0);  // the raw nodata value masks, before scaling
  for (int cell = 1; cell < 48; ++cell) {
    const int c = cell % 8, r = cell / 8;
    EXPECT_NEAR(window.element(0)[cell], (c + 10 * r) + 2.0, 1e-5) << cell;
  }
}

TEST(RasterStack, ScaleAndOffsetSurviveTheAlignToWarp) {
  RasterSpec spec;
  const auto target = WriteRaster("/vsimem/stack8/Au.tif", spec, Constant(1));
  const RasterSpec fine = FineSpec();
  const auto gradient = [](int, int c, int r) { return 3.0 + c + 2.0 * r; };
  const auto plain = WriteRaster("/vsimem/stack8/plain/Cu.tif", fine, gradient);
  RasterSpec fine_scaled = fine;
  fine_scaled.scale = 0.01;
  const auto scaled = WriteRaster("/vsimem/stack8/scaled/Cu.tif", fine_scaled,
                                  [&](int b, int c, int r) { return 100 * gradient(b, c, r); });
  for (const char* resampling : {"bilinear", "average", "cubic"}) {
    RasterStack a({{target, plain}, {}, target, resampling}), b({{target, scaled}, {}, target, resampling});
    StackWindow wa, wb;
    a.Read(0, 0, 8, 6, wa);
    b.Read(0, 0, 8, 6, wb);
    for (size_t cell = 0; cell < wa.cells(); ++cell) {
      ASSERT_EQ(wa.valid[cell], wb.valid[cell]);
      if (wa.valid[cell]) {
        EXPECT_NEAR(wa.element(1)[cell], wb.element(1)[cell], 1e-4) << resampling << " " << cell;
      }
    }
  }
}

TEST(RasterStack, AScaleThatGivesNoValuesIsRefused) {
  RasterSpec spec;
  spec.scale = 0;
  const auto au = WriteRaster("/vsimem/stack9/Au.tif", spec, Constant(5));
  const std::string message = ErrorOf({{au}, {}, "", "bilinear"});
  EXPECT_NE(message.find("/vsimem/stack9/Au.tif: band 1 declares scale 0"), std::string::npos) << message;
}

TEST(RasterStack, EveryMissingElementIsNamed) {
  RasterSpec spec;
  const auto au = WriteRaster("/vsimem/stack10/Au.tif", spec, Constant(1));
  const std::string message = ErrorOf({{au}, {"Au", "Hg", "Cu", "Sb"}, "", "bilinear"});
  EXPECT_NE(message.find("--elements: needs elements Hg,Cu,Sb, which no inputs provide"), std::string::npos) << message;
}

TEST(RasterStack, NoValidCellNamesTheElementsToBlame) {
  RasterSpec spec;
  const auto ag = WriteRaster("/vsimem/stack12/Ag.tif", spec, Constant(1));
  const auto au = WriteRaster("/vsimem/stack12/Au.tif", spec, Constant(-9999));
  const auto cu = WriteRaster("/vsimem/stack12/Cu.tif", spec, Constant(-9999));
  RasterStack stack({{ag, au, cu}, {}, "", "bilinear"});
  std::string message = ErrorFrom([&] { stack.ThrowNoValidCell(0, 0, 8, 6, "the mapped area"); });
  EXPECT_EQ(message,
            au + ", " + cu + ": hold no valid cell in the mapped area (all nodata, masked or NaN): elements Au, Cu");
  // Each element valid somewhere, never together: the message says so.
  const auto left = WriteRaster("/vsimem/stack12/left/Au.tif", spec, [](int, int c, int) { return c < 4 ? 1 : -9999; });
  const auto right =
      WriteRaster("/vsimem/stack12/right/Cu.tif", spec, [](int, int c, int) { return c < 4 ? -9999 : 1; });
  RasterStack apart({{left, right}, {}, "", "bilinear"});
  message = ErrorFrom([&] { apart.ThrowNoValidCell(0, 0, 8, 6, "the mapped area"); });
  EXPECT_NE(message.find("Au 24, Cu 24), but they do not overlap"), std::string::npos) << message;
}

TEST(RasterStack, InputsNamedLikeNoElementAreRefusedUnlessNamed) {
  RasterSpec spec;
  const auto au = WriteRaster("/vsimem/stack13/Idw_Au.tif", spec, Constant(1));
  const auto xx = WriteRaster("/vsimem/stack13/Idw_xx.tif", spec, Constant(113));
  const auto yy = WriteRaster("/vsimem/stack13/Idw_yy.tif", spec, Constant(28));
  StackSources sources{{au, xx, yy}, {}, "", "bilinear", true};
  const std::string message = ErrorOf(sources);
  EXPECT_NE(message.find("inputs: are not named like an element or oxide"), std::string::npos) << message;
  EXPECT_NE(message.find(xx + " ('Idw_xx')"), std::string::npos) << message;
  EXPECT_NE(message.find(yy + " ('Idw_yy')"), std::string::npos) << message;
  EXPECT_NE(message.find("--elements"), std::string::npos) << message;
  sources.elements = {"Au", "Idw_xx"};
  EXPECT_EQ(ErrorOf(sources), "");
  sources.elements.clear();
  sources.symbols_only = false;  // geoprosp-map: the model names what it reads
  EXPECT_EQ(ErrorOf(sources), "");
}

}  // namespace
}  // namespace geoprosp
