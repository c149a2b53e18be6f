#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include <ogrsf_frmts.h>
#include <nlohmann/json.hpp>

#include "geoprosp/apps/map.hpp"
#include "geoprosp/apps/train.hpp"
#include "geoprosp/experiment/experiment.hpp"
#include "geoprosp/io/raster_output.hpp"
#include "geoprosp/models/bundle.hpp"
#include "geoprosp/models/scorer.hpp"
#include "geoprosp/training/augment.hpp"
#include "geoprosp/training/trainer.hpp"
#include "test_support.hpp"

namespace geoprosp {
namespace {

namespace fs = std::filesystem;

// A 40 x 30 survey of 5 elements with two anomalies; deposits sit on one of them.
struct Survey {
  std::string dir;
  std::vector<std::string> rasters;
  std::string deposits;
};

Survey MakeSurvey(const std::string& name) {
  Survey s;
  s.dir = test::ScratchDir(name);
  test::RasterSpec spec;
  spec.width = 40;
  spec.height = 30;
  const std::vector<std::string> elements = {"Au", "As", "Sb", "Cu", "Pb"};
  for (size_t e = 0; e < elements.size(); ++e) {
    s.rasters.push_back(test::WriteRaster(s.dir + "/" + elements[e] + ".tif", spec, [e](int, int c, int r) {
      if (c == 39 && r < 4) return -9999.0;  // a nodata corner
      const double smooth = std::sin(0.3 * c + e) + std::cos(0.2 * r * (e + 1));
      const double anomaly = (e < 3) * 3.0 * std::exp(-((c - 10) * (c - 10) + (r - 10) * (r - 10)) / 12.0) +
                             (e == 3) * 2.0 * std::exp(-((c - 30) * (c - 30) + (r - 20) * (r - 20)) / 12.0);
      return std::exp(1.0 + 0.4 * smooth + anomaly);
    }));
  }
  s.deposits = s.dir + "/deposits.csv";
  std::ofstream csv(s.deposits);
  csv << "name,x,y\nA,501050,2498950\nB,500950,2498850\nC,501150,2499050\nD,500850,2498950\n";
  return s;
}

TrainOptions QuickTraining(const Survey& s, const std::string& output) {
  TrainOptions o;
  o.inputs = s.rasters;
  o.deposits = s.deposits;
  o.output = output;
  o.epochs = 15;
  o.hidden = 8;
  o.layers = 2;
  o.heads = 2;
  o.folds = 0;
  o.augment = "smote";
  o.label_radius = 150;
  o.threads = 1;
  return o;
}

std::string Bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(Train, SameSeedGivesAnIdenticalBundle) {
  const Survey s = MakeSurvey("train_seed");
  auto o = QuickTraining(s, s.dir + "/m1");
  o.augment = "gan";
  RunTrain(o, Progress{});
  o.output = s.dir + "/m2";
  RunTrain(o, Progress{});
  EXPECT_EQ(Bytes(s.dir + "/m1/weights.bin"), Bytes(s.dir + "/m2/weights.bin"));
  EXPECT_EQ(Bytes(s.dir + "/m1/manifest.json"), Bytes(s.dir + "/m2/manifest.json"));
  o.output = s.dir + "/m3";
  o.seed = 43;
  RunTrain(o, Progress{});
  EXPECT_NE(Bytes(s.dir + "/m1/weights.bin"), Bytes(s.dir + "/m3/weights.bin"));
}

TEST(Train, BadLabelsFailClearly) {
  const Survey s = MakeSurvey("train_bad_labels");
  auto o = QuickTraining(s, s.dir + "/m");
  const std::string outside = s.dir + "/outside.csv";
  std::ofstream(outside) << "x,y\n114.2,28.1\n";  // lon/lat, but the file declares no CRS
  o.deposits = outside;
  try {
    RunTrain(o, Progress{});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--deposits-srs"), std::string::npos) << e.what();
  }
  o.deposits = s.deposits;
  o.negatives = "distal";
  o.min_distance = 1e7;  // nothing is far enough: a single class
  EXPECT_THROW(RunTrain(o, Progress{}), Error);
  EXPECT_FALSE(fs::exists(s.dir + "/m"));
}

TEST(Train, ReportHasTheDocumentedSchema) {
  const Survey s = MakeSurvey("train_report");
  auto o = QuickTraining(s, s.dir + "/m");
  o.folds = 2;
  o.cv = "random";
  o.report = s.dir + "/r.json";
  RunTrain(o, Progress{});
  std::ifstream written(o.report);
  const auto report = nlohmann::json::parse(written);
  for (const char* key : {"protocol", "folds", "mean", "sd", "alpha", "augment", "seconds_by_stage"})
    EXPECT_TRUE(report.contains(key)) << key;
  // Stages round to 0.01 s, so a quick run may show zeros: check the shape and the sum, not speed.
  ASSERT_FALSE(report["seconds_by_stage"].empty());
  double stages = 0;
  for (const auto& [stage, seconds] : report["seconds_by_stage"].items()) {
    EXPECT_GE(seconds.get<double>(), 0.0) << stage;
    stages += seconds.get<double>();
  }
  EXPECT_LE(stages, report["seconds"].get<double>() + 0.05);
  ASSERT_EQ(report["folds"].size(), 2u);
  for (const auto& fold : report["folds"]) {
    for (const char* key :
         {"accuracy", "sensitivity", "specificity", "precision", "f1", "roc_auc", "pr_auc", "success_auc"}) {
      ASSERT_TRUE(fold.contains(key)) << key;
      EXPECT_GE(fold[key].get<double>(), 0.0);
      EXPECT_LE(fold[key].get<double>(), 1.0);
    }
    const auto& c = fold["confusion"];
    EXPECT_EQ(c["tn"].get<int>() + c["fp"].get<int>() + c["fn"].get<int>() + c["tp"].get<int>(),
              fold["n_test"].get<int>());
    EXPECT_GE(fold["seconds"].get<double>(), fold["augment_seconds"].get<double>());
  }
  EXPECT_TRUE(fs::exists(o.report));
}

TEST(Augment, GeneratedPositivesHaveTheRightShapeAndBackTransformToConcentrations) {
  std::vector<float> real;
  for (int i = 0; i < 12; ++i) {
    for (int e = 0; e < 4; ++e) real.push_back(std::sin(1.0f + i * 0.7f + e) + (e == 0 ? 1.0f : 0.0f));
  }
  for (auto method : {AugmentMethod::Noise, AugmentMethod::Smote, AugmentMethod::Vae, AugmentMethod::Gan}) {
    const Synthetic synthetic = SynthesisePositives(method, real, 4, 30, 9);
    ASSERT_EQ(synthetic.features.size(), 30u * 4) << ToString(method);
    ASSERT_EQ(synthetic.parents.size(), 30u);
    for (size_t i = 0; i < 30; ++i) {
      // Back to a composition: exp of clr values, closed to 1e6 ppm, must be positive and finite.
      double total = 0;
      for (int e = 0; e < 4; ++e) total += std::exp(synthetic.features[i * 4 + e]);
      for (int e = 0; e < 4; ++e) {
        const double ppm = 1e6 * std::exp(synthetic.features[i * 4 + e]) / total;
        EXPECT_TRUE(std::isfinite(ppm) && ppm > 0) << ToString(method);
      }
    }
    const auto comparison = CompareWithReal(real, synthetic.features, 4);
    EXPECT_EQ(comparison.generated_mean.size(), 4u);
  }
}

// A GeoJSON rectangle in the survey's CRS (EPSG:32650).
std::string WriteMask(const std::string& path, double x0, double x1, double y0, double y1) {
  std::ofstream out(path);
  out << "{\"type\": \"FeatureCollection\", \"crs\": {\"type\": \"name\", \"properties\": {\"name\": "
         "\"urn:ogc:def:crs:EPSG::32650\"}}, \"features\": [{\"type\": \"Feature\", \"properties\": {}, "
         "\"geometry\": {\"type\": \"Polygon\", \"coordinates\": [[["
      << std::fixed << x0 << "," << y0 << "],[" << x1 << "," << y0 << "],[" << x1 << "," << y1 << "],[" << x0 << ","
      << y1 << "],[" << x0 << "," << y0 << "]]]}}]}\n";
  return path;
}

class MapFixture : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    survey_ = new Survey(MakeSurvey("map_fixture"));
    auto global = QuickTraining(*survey_, survey_->dir + "/global");
    RunTrain(global, Progress{});
    auto window = QuickTraining(*survey_, survey_->dir + "/window");
    window.graph = "window";
    window.window = 5;
    window.arch = "resgat";
    RunTrain(window, Progress{});
    auto context = QuickTraining(*survey_, survey_->dir + "/context");  // global graph, context windows
    context.context = "3,5";
    RunTrain(context, Progress{});
  }
  static void TearDownTestSuite() { delete survey_; }

  MapOptions Options(const std::string& model, const std::string& output) const {
    MapOptions o;
    o.inputs = survey_->rasters;
    o.model = survey_->dir + "/" + model;
    o.output = survey_->dir + "/" + output + "_p.tif";
    o.classes = survey_->dir + "/" + output + "_c.tif";
    o.overwrite = true;
    return o;
  }
  static Survey* survey_;
};
Survey* MapFixture::survey_ = nullptr;

TEST_F(MapFixture, OutputsKeepTheGridAndTheNodataMask) {
  const auto o = Options("global", "whole");
  const auto summary = RunMap(o, Progress{});
  EXPECT_EQ(summary.valid_cells, 40 * 30 - 4);
  const auto p = test::ReadBand(o.output);
  const auto c = test::ReadBand(o.classes);
  ASSERT_EQ(p.size(), 1200u);
  for (int r = 0; r < 30; ++r) {
    for (int col = 0; col < 40; ++col) {
      const float v = p[r * 40 + col];
      if (col == 39 && r < 4) {
        EXPECT_EQ(v, -9999.0f);
        EXPECT_EQ(c[r * 40 + col], 255.0f);
      } else {
        EXPECT_GE(v, 0.0f);
        EXPECT_LE(v, 1.0f);
        EXPECT_LE(c[r * 40 + col], 3.0f);
      }
    }
  }
  auto* ds = GDALDataset::Open(o.output.c_str(), GDAL_OF_RASTER);
  double gt[6];
  ds->GetGeoTransform(gt);
  EXPECT_DOUBLE_EQ(gt[0], 500000);
  EXPECT_DOUBLE_EQ(gt[5], -100);
  EXPECT_NE(std::string(ds->GetMetadataItem("GEOPROSP_MODEL_SHA256")), "");
  EXPECT_EQ(ds->GetSpatialRef()->GetEPSGGeogCS(), 4326);
  GDALClose(ds);
  auto* classes = GDALDataset::Open(o.classes.c_str(), GDAL_OF_RASTER);
  EXPECT_NE(classes->GetRasterBand(1)->GetColorTable(), nullptr);
  EXPECT_EQ(CSLCount(classes->GetRasterBand(1)->GetCategoryNames()), 4);
  GDALClose(classes);
}

TEST_F(MapFixture, StripsAndTilesEqualTheWholeRasterInWindowMode) {
  // The applicability rasters and a polygon mask on the classes, too.
  const std::string mask = WriteMask(survey_->dir + "/tiles_mask.geojson", 500000, 501730, 2497000, 2499370);
  const auto with_everything = [&](MapOptions o, const std::string& name) {
    o.applicability = survey_->dir + "/" + name + "_d.tif";
    o.mask = mask;
    return o;
  };
  auto whole = with_everything(Options("window", "w_whole"), "w_whole");
  RunMap(whole, Progress{});
  auto strips = with_everything(Options("window", "w_strips"), "w_strips");
  strips.batch_size = 40 * 3;  // three rows per strip: every strip needs its halo
  RunMap(strips, Progress{});
  const auto outputs = [](const MapOptions& o) {
    return std::vector<std::string>{o.output, o.classes, o.applicability, ApplicabilityMaskPath(o.applicability)};
  };
  for (size_t k = 0; k < 4; ++k) EXPECT_EQ(test::ReadBand(outputs(whole)[k]), test::ReadBand(outputs(strips)[k]));
  std::vector<std::vector<float>> mosaic(4);
  for (int i = 0; i < 3; ++i) {
    auto tile = with_everything(Options("window", "w_tile" + std::to_string(i)), "w_tile" + std::to_string(i));
    tile.tile = std::to_string(i) + "/3";
    RunMap(tile, Progress{});
    for (size_t k = 0; k < 4; ++k) {
      const auto part = test::ReadBand(outputs(tile)[k]);
      mosaic[k].insert(mosaic[k].end(), part.begin(), part.end());
    }
  }
  for (size_t k = 0; k < 4; ++k) EXPECT_EQ(test::ReadBand(outputs(whole)[k]), mosaic[k]) << outputs(whole)[k];
  const auto classes = test::ReadBand(whole.classes);
  EXPECT_EQ(std::count(classes.begin(), classes.end(), 255.0f), 40 * 30 - 17 * 24) << "the mask's cells are kept";
}

// Every band of a raster, band after band.
std::vector<float> ReadBands(const std::string& path, std::vector<std::string>* names = nullptr) {
  std::unique_ptr<GDALDataset> ds(GDALDataset::Open(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY));
  if (!ds) return {};
  const int width = ds->GetRasterXSize(), height = ds->GetRasterYSize();
  std::vector<float> data(size_t(width) * height * ds->GetRasterCount());
  for (int b = 1; b <= ds->GetRasterCount(); ++b) {
    GDALRasterBand* band = ds->GetRasterBand(b);
    if (names) names->push_back(band->GetDescription());
    if (band->RasterIO(GF_Read, 0, 0, width, height, data.data() + size_t(b - 1) * width * height, width, height,
                       GDT_Float32, 0, 0, nullptr) != CE_None)
      return {};
  }
  return data;
}

TEST_F(MapFixture, ExplainHoldsEachElementsOcclusionContributionOnTheMapsCells) {
  auto o = Options("global", "explain");
  o.explain = survey_->dir + "/explain_e.tif";
  const MapSummary summary = RunMap(o, Progress{});
  std::vector<std::string> bands;
  const auto contributions = ReadBands(o.explain, &bands);
  EXPECT_EQ(bands, summary.elements);  // one band per element, named by it, in the model's order
  const auto p = test::ReadBand(o.output);
  const size_t cells = p.size(), n = summary.elements.size();
  ASSERT_EQ(contributions.size(), n * cells);
  std::unique_ptr<GDALDataset> ds(GDALDataset::Open(o.explain.c_str(), GDAL_OF_RASTER));
  EXPECT_EQ(ds->GetRasterBand(1)->GetRasterDataType(), GDT_Float32);
  EXPECT_NE(std::string(ds->GetMetadataItem("GEOPROSP_VALUE")).find("occlusion"), std::string::npos);
  EXPECT_NE(std::string(ds->GetMetadataItem("GEOPROSP_MODEL_SHA256")), "");

  // An independent reference: each cell's features from its raw values, scored whole and with one
  // element at the training mean (0 in standardised space), on the fused scorer.
  const Bundle bundle = LoadBundle(o.model);
  const auto scorer = MakeFusedScorer(bundle, 1);
  std::vector<std::vector<float>> raw;
  for (const auto& element : bundle.elements) raw.push_back(test::ReadBand(survey_->dir + "/" + element + ".tif"));
  bool any_nonzero = false;
  for (size_t cell = 0; cell < cells; ++cell) {
    if (p[cell] == kProbabilityNodata) {
      for (size_t e = 0; e < n; ++e) EXPECT_EQ(contributions[e * cells + cell], kProbabilityNodata);
      continue;
    }
    std::vector<float> x(n);
    for (size_t e = 0; e < n; ++e) x[e] = raw[e][cell];
    TransformCells(bundle.composition, x.data(), 1, int(n), nullptr);
    float whole = 0;
    scorer->Score(x.data(), bundle.adjacency.data(), false, 1, &whole);
    ASSERT_EQ(whole, p[cell]);
    for (size_t e = 0; e < n; ++e) {
      std::vector<float> occluded = x;
      occluded[e] = 0;
      float without = 0;
      scorer->Score(occluded.data(), bundle.adjacency.data(), false, 1, &without);
      EXPECT_EQ(contributions[e * cells + cell], whole - without) << bundle.elements[e] << " cell " << cell;
      any_nonzero = any_nonzero || contributions[e * cells + cell] != 0;
    }
  }
  EXPECT_TRUE(any_nonzero);
}

TEST_F(MapFixture, ExplainedStripsAndTilesEqualTheWholeRasterInWindowMode) {
  auto whole = Options("window", "x_whole");
  whole.explain = survey_->dir + "/x_whole_e.tif";
  RunMap(whole, Progress{});
  auto strips = Options("window", "x_strips");
  strips.explain = survey_->dir + "/x_strips_e.tif";
  strips.batch_size = 40 * 3;
  RunMap(strips, Progress{});
  EXPECT_EQ(ReadBands(whole.explain), ReadBands(strips.explain));
  // Tiles (row bands) mosaic into the whole raster, band by band.
  const auto expected = ReadBands(whole.explain);
  const size_t band_cells = 40 * 30, bands = expected.size() / band_cells;
  std::vector<float> mosaic(expected.size(), 0.0f);
  int row = 0;
  for (int i = 0; i < 3; ++i) {
    auto tile = Options("window", "x_tile" + std::to_string(i));
    tile.tile = std::to_string(i) + "/3";
    tile.explain = survey_->dir + "/x_tile" + std::to_string(i) + "_e.tif";
    RunMap(tile, Progress{});
    const auto part = ReadBands(tile.explain);
    const size_t part_cells = part.size() / bands;
    for (size_t b = 0; b < bands; ++b)
      std::copy_n(part.data() + b * part_cells, part_cells, mosaic.data() + b * band_cells + size_t(row) * 40);
    row += static_cast<int>(part_cells / 40);
  }
  EXPECT_EQ(row, 30);
  EXPECT_EQ(mosaic, expected);
}

// Zn is the same everywhere: under the log transform its standardised value is always the training
// mean, so occluding it changes (almost) nothing, whatever the model learned.
TEST(Explain, AnElementWithoutInformationContributesNothing) {
  Survey s = MakeSurvey("explain_constant");
  test::RasterSpec spec;
  spec.width = 40;
  spec.height = 30;
  s.rasters.push_back(
      test::WriteRaster(s.dir + "/Zn.tif", spec, [](int, int c, int r) { return c == 39 && r < 4 ? -9999.0 : 50.0; }));
  auto train = QuickTraining(s, s.dir + "/model");
  train.transform = "log";
  RunTrain(train, Progress{});
  MapOptions o;
  o.inputs = s.rasters;
  o.model = train.output;
  o.output = s.dir + "/p.tif";
  o.explain = s.dir + "/explain.tif";
  const MapSummary summary = RunMap(o, Progress{});
  std::vector<std::string> names;
  const auto contributions = ReadBands(o.explain, &names);
  const auto p = test::ReadBand(o.output);
  ASSERT_EQ(contributions.size(), names.size() * p.size());
  for (size_t e = 0; e < names.size(); ++e) {
    double largest = 0;
    for (size_t cell = 0; cell < p.size(); ++cell) {
      if (p[cell] != kProbabilityNodata)
        largest = std::max(largest, double(std::abs(contributions[e * p.size() + cell])));
    }
    if (names[e] == "Zn") {
      EXPECT_LT(largest, 1e-6);  // its standardised value is the mean up to float rounding
    } else {
      EXPECT_GT(largest, 1e-4) << names[e];
    }
  }
  EXPECT_EQ(summary.elements.size(), 6u);
}

// Spatial context reads a halo around each strip or tile, as window graphs do.
TEST_F(MapFixture, StripsAndTilesEqualTheWholeRasterWithSpatialContext) {
  auto whole = Options("context", "ctx_whole");
  whole.explain = survey_->dir + "/ctx_whole_e.tif";
  RunMap(whole, Progress{});
  auto strips = Options("context", "ctx_strips");
  strips.batch_size = 40 * 3;  // three rows per strip: every strip needs its halo
  strips.explain = survey_->dir + "/ctx_strips_e.tif";
  RunMap(strips, Progress{});
  EXPECT_EQ(test::ReadBand(whole.output), test::ReadBand(strips.output));
  // The explanations of a context model too (each element's value and window means occluded).
  const auto explained = ReadBands(whole.explain);
  EXPECT_EQ(explained, ReadBands(strips.explain));
  EXPECT_TRUE(
      std::any_of(explained.begin(), explained.end(), [](float v) { return v != 0 && v != kProbabilityNodata; }));
  std::vector<float> mosaic;
  for (int i = 0; i < 3; ++i) {
    auto tile = Options("context", "ctx_tile" + std::to_string(i));
    tile.tile = std::to_string(i) + "/3";
    RunMap(tile, Progress{});
    const auto part = test::ReadBand(tile.output);
    mosaic.insert(mosaic.end(), part.begin(), part.end());
  }
  EXPECT_EQ(test::ReadBand(whole.output), mosaic);
}

// The spatial context the model trained on (BuildSamples, from the whole grid in memory) is the one
// geoprosp-map computes strip by strip: the map holds exactly the model's scores of the training
// cells' features (no calibration without cross-validation).
// So does the applicability distance, which reads the elements' values (block 0 of the node features).
TEST_F(MapFixture, TheMapScoresTheFeaturesTheModelTrainedOn) {
  auto o = Options("context", "ctx_check");
  o.batch_size = 40 * 3;
  o.applicability = survey_->dir + "/ctx_check_d.tif";
  RunMap(o, Progress{});
  const Bundle bundle = LoadBundle(o.model);
  ASSERT_EQ(bundle.context.windows, std::vector<int>({3, 5}));
  ASSERT_EQ(bundle.model.node_features, 5);
  ASSERT_FALSE(bundle.calibration.active());
  StackSources sources;
  sources.paths = survey_->rasters;
  const RasterStack stack(sources);
  const CellData data = LoadCells(stack);
  const FeatureSpace space =
      FitFeatures(data, std::vector<uint8_t>(data.valid.size(), 1), Transform::Clr, bundle.composition.zero_rule);
  const auto cells = EveryValidCell(data, {});
  const SampleSet samples = BuildSamples(data, space, bundle.graph, bundle.context, cells);
  EXPECT_EQ(samples.width(), 5u * 5u);
  const auto scores = PredictResGnn(bundle.model, bundle.weights, samples, 1);
  const auto map = test::ReadBand(o.output);
  ASSERT_EQ(scores.size(), cells.size());
  for (size_t i = 0; i < cells.size(); ++i) ASSERT_EQ(map[cells[i].cell], scores[i]) << "cell " << cells[i].cell;
  const auto distance = test::ReadBand(o.applicability);
  for (size_t i = 0; i < cells.size(); ++i) {
    ASSERT_EQ(distance[cells[i].cell], bundle.applicability.Distance(samples.features_of(i)))
        << "applicability distance, cell " << cells[i].cell;
  }
}

TEST_F(MapFixture, TorchAndFusedEnginesAgreeOnTheMap) {
  auto fused = Options("window", "e_fused");
  fused.engine = "fused";
  RunMap(fused, Progress{});
  auto torch = Options("window", "e_torch");
  torch.engine = "torch";
  RunMap(torch, Progress{});
  const auto a = test::ReadBand(fused.output), b = test::ReadBand(torch.output);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-5);
}

TEST_F(MapFixture, CogOutputAndClassBreaksOverride) {
  auto o = Options("global", "cog");
  o.format = "COG";
  o.creation_options = {"COMPRESS=DEFLATE"};
  o.class_breaks = {0.01, 0.02, 0.03};
  RunMap(o, Progress{});
  auto* ds = GDALDataset::Open(o.output.c_str(), GDAL_OF_RASTER);
  ASSERT_NE(ds, nullptr);
  EXPECT_STREQ(ds->GetMetadataItem("LAYOUT", "IMAGE_STRUCTURE"), "COG");
  GDALClose(ds);
  o.class_breaks = {0.5, 0.2, 0.9};
  EXPECT_THROW(RunMap(o, Progress{}), UsageError);
}

// The training survey's own cells: few lie beyond the threshold (the 99th percentile of the training
// cells' distances); a block of extreme values does, every cell of it.
TEST_F(MapFixture, ApplicabilityFlagsCellsUnlikeTheTrainingCells) {
  const Bundle bundle = LoadBundle(survey_->dir + "/global");
  ASSERT_TRUE(bundle.applicability.present());
  auto o = Options("global", "app");
  o.applicability = survey_->dir + "/app_distance.tif";
  const MapSummary summary = RunMap(o, Progress{});
  const auto probability = test::ReadBand(o.output), distance = test::ReadBand(o.applicability);
  const auto outside = test::ReadBand(ApplicabilityMaskPath(o.applicability));
  EXPECT_EQ(ApplicabilityMaskPath(o.applicability), survey_->dir + "/app_distance_outside.tif");
  int64_t flagged = 0;
  for (size_t i = 0; i < probability.size(); ++i) {
    if (probability[i] == -9999.0f) {
      EXPECT_EQ(distance[i], -9999.0f);
      EXPECT_EQ(outside[i], 255.0f);
      continue;
    }
    EXPECT_GE(distance[i], 0.0f);
    EXPECT_EQ(outside[i], distance[i] > bundle.applicability.threshold ? 1.0f : 0.0f);
    flagged += outside[i] == 1.0f;
  }
  EXPECT_EQ(summary.outside_cells, flagged);
  // The statistics come from the model's deposit and background cells; 1 % of those lie beyond the
  // threshold, and about as many of the survey's cells, which the background cells sample.
  EXPECT_EQ(bundle.applicability.cells_from, kApplicabilityFromTrainingCells);
  EXPECT_LT(bundle.applicability.cells, summary.valid_cells / 2);
  EXPECT_LE(flagged, summary.valid_cells / 20);
  EXPECT_GE(flagged, 1);
  auto* ds = GDALDataset::Open(o.applicability.c_str(), GDAL_OF_RASTER);
  EXPECT_EQ(std::stof(ds->GetMetadataItem("GEOPROSP_APPLICABILITY_THRESHOLD")), float(bundle.applicability.threshold));
  EXPECT_NE(std::string(ds->GetMetadataItem("GEOPROSP_MODEL_SHA256")), "");
  GDALClose(ds);

  // A copy of the survey with a block of extreme As (rows 20..25, columns 0..5).
  const std::string dir = test::ScratchDir("applicability_extreme");
  std::vector<std::string> extreme;
  for (const auto& raster : survey_->rasters) {
    const std::string name = fs::path(raster).filename().string();
    const auto values = test::ReadBand(raster);
    test::RasterSpec spec;
    spec.width = 40;
    spec.height = 30;
    extreme.push_back(test::WriteRaster(dir + "/" + name, spec, [&](int, int c, int r) {
      const double v = values[size_t(r) * 40 + c];
      return name == "As.tif" && r >= 20 && r <= 25 && c <= 5 ? v * 1000 : v;
    }));
  }
  auto far = Options("global", "app_far");
  far.inputs = extreme;
  far.applicability = survey_->dir + "/app_far_distance.tif";
  far.areas = survey_->dir + "/app_far_areas.gpkg";
  far.class_breaks = {0.01, 0.02, 0.03};  // areas over most of the survey, the block included
  const MapSummary far_summary = RunMap(far, Progress{});
  const auto far_outside = test::ReadBand(ApplicabilityMaskPath(far.applicability));
  for (int r = 20; r <= 25; ++r) {
    for (int c = 0; c <= 5; ++c) EXPECT_EQ(far_outside[size_t(r) * 40 + c], 1.0f) << "col " << c << " row " << r;
  }
  EXPECT_GE(far_summary.outside_cells, 36);
  // Every target area carries its share of cells outside applicability.
  ASSERT_TRUE(far_summary.areas);
  ASSERT_TRUE(far_summary.areas->applicability);
  double largest_share = 0;
  for (const auto& area : far_summary.areas->areas) largest_share = std::max(largest_share, area.outside_share);
  EXPECT_GT(largest_share, 0.0);
  auto* areas = GDALDataset::Open(far.areas.c_str(), GDAL_OF_VECTOR);
  ASSERT_NE(areas, nullptr);
  EXPECT_GE(areas->GetLayer(0)->GetLayerDefn()->GetFieldIndex("outside_share"), 0);
  GDALClose(areas);

  // --mask-outside-applicability: those cells leave the classes (nodata), the probability stays.
  auto masked = far;
  masked.output = survey_->dir + "/app_masked_p.tif";
  masked.classes = survey_->dir + "/app_masked_c.tif";
  masked.applicability.clear();
  masked.areas = survey_->dir + "/app_masked_areas.gpkg";
  masked.mask_outside_applicability = true;
  const MapSummary masked_summary = RunMap(masked, Progress{});
  const auto masked_classes = test::ReadBand(masked.classes), masked_p = test::ReadBand(masked.output);
  for (int r = 20; r <= 25; ++r) {
    for (int c = 0; c <= 5; ++c) {
      EXPECT_EQ(masked_classes[size_t(r) * 40 + c], 255.0f);
      EXPECT_NE(masked_p[size_t(r) * 40 + c], -9999.0f);
    }
  }
  EXPECT_EQ(masked_summary.excluded_cells, masked_summary.outside_cells);
  for (const auto& area : masked_summary.areas->areas) EXPECT_EQ(area.outside_share, 0.0);
}

// A model bundle from before applicability: --applicability is an error naming it, before any work.
TEST_F(MapFixture, OldBundlesWithoutApplicabilityAreRefusedByName) {
  const std::string old_model = survey_->dir + "/old_model";
  fs::create_directories(old_model);
  Bundle bundle = LoadBundle(survey_->dir + "/global");
  bundle.applicability = {};
  SaveBundle(bundle, old_model, true);
  auto o = Options("old_model", "old");
  o.overwrite = false;
  o.applicability = survey_->dir + "/old_distance.tif";
  try {
    RunMap(o, Progress{});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.subject(), old_model);
    EXPECT_NE(e.problem().find("no applicability statistics, which --applicability needs"), std::string::npos);
  }
  EXPECT_FALSE(fs::exists(o.output));
  o.applicability.clear();
  o.mask_outside_applicability = true;
  EXPECT_THROW(RunMap(o, Progress{}), Error);
  o.mask_outside_applicability = false;
  o.areas = survey_->dir + "/old_areas.gpkg";
  const MapSummary summary = RunMap(o, Progress{});  // areas without an outside share
  EXPECT_FALSE(summary.areas->applicability);
  EXPECT_EQ(summary.outside_cells, -1);
}

// --mask: classes and areas only inside the polygons; the probability stays complete.
TEST_F(MapFixture, MaskPolygonsRestrictTheClassesAndTheAreas) {
  auto whole = Options("global", "unmasked");
  whole.class_breaks = {0.01, 0.02, 0.03};
  RunMap(whole, Progress{});
  // Columns 0..19 of the 40 (x 500000..502000), every row.
  auto o = whole;
  o.output = survey_->dir + "/masked_p.tif";
  o.classes = survey_->dir + "/masked_c.tif";
  o.areas = survey_->dir + "/masked_areas.gpkg";
  o.quicklook = survey_->dir + "/masked.png";
  o.mask = WriteMask(survey_->dir + "/left_half.geojson", 499990, 502000, 2496900, 2500010);
  const MapSummary summary = RunMap(o, Progress{});
  EXPECT_EQ(test::ReadBand(o.output), test::ReadBand(whole.output));
  const auto classes = test::ReadBand(o.classes), unmasked = test::ReadBand(whole.classes);
  for (int r = 0; r < 30; ++r) {
    for (int c = 0; c < 40; ++c) {
      const size_t i = size_t(r) * 40 + c;
      EXPECT_EQ(classes[i], c < 20 ? unmasked[i] : 255.0f) << "col " << c << " row " << r;
    }
  }
  EXPECT_EQ(summary.excluded_cells, 20 * 30 - 4);  // the right half, but for the nodata corner
  ASSERT_TRUE(summary.areas);
  ASSERT_FALSE(summary.areas->areas.empty());
  for (const auto& area : summary.areas->areas) EXPECT_LT(area.cx, 502000) << "area " << area.rank;
  EXPECT_TRUE(fs::exists(o.quicklook));
  // Refused before any work: polygons that miss the mapped area, a file without polygons, nothing to restrict.
  auto bad = o;
  bad.output = survey_->dir + "/bad_p.tif";
  bad.classes = survey_->dir + "/bad_c.tif";
  bad.areas.clear();
  bad.quicklook.clear();
  bad.mask = WriteMask(survey_->dir + "/away.geojson", 0, 1000, 0, 1000);
  EXPECT_THROW(RunMap(bad, Progress{}), Error);
  bad.mask = survey_->deposits;
  EXPECT_THROW(RunMap(bad, Progress{}), Error);
  bad.mask = o.mask;
  bad.srcwin = "25,0,15,30";  // the polygons lie left of the window
  EXPECT_THROW(RunMap(bad, Progress{}), Error);
  bad.srcwin.clear();
  bad.classes.clear();
  EXPECT_THROW(RunMap(bad, Progress{}), UsageError);
  EXPECT_FALSE(fs::exists(bad.output));
}

TEST_F(MapFixture, FailuresLeaveNoOutputBehindAndNeverTouchInputs) {
  const std::string before = Bytes(survey_->rasters[0]);
  auto o = Options("global", "fail");
  o.overwrite = false;
  o.inputs.pop_back();  // Pb missing, but the model needs it
  try {
    RunMap(o, Progress{});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("Pb"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(o.output));
  o.inputs = survey_->rasters;
  o.output = survey_->rasters[0];  // an input as output, even with --overwrite
  o.overwrite = true;
  EXPECT_THROW(RunMap(o, Progress{}), Error);
  // Cancelled half-way: no final output and no temporary file.
  auto cancelled = Options("global", "cancel");
  cancelled.overwrite = false;
  cancelled.batch_size = 40;
  int calls = 0;
  auto stop_midway = [](double fraction, const char*, void*) -> int { return fraction < 0.5 ? TRUE : FALSE; };
  EXPECT_THROW(RunMap(cancelled, Progress{stop_midway, &calls}), Cancelled);
  for (const auto& entry : fs::directory_iterator(survey_->dir)) {
    EXPECT_EQ(entry.path().filename().string().find("cancel"), std::string::npos) << entry.path();
  }
  EXPECT_EQ(Bytes(survey_->rasters[0]), before);
}

}  // namespace
}  // namespace geoprosp

namespace geoprosp {
namespace {

TEST(Ensemble, MembersDifferAndTheMapCarriesTheirSpread) {
  const Survey s = MakeSurvey("ensemble");
  auto train = QuickTraining(s, s.dir + "/ensemble");
  train.ensemble = 3;
  RunTrain(train, Progress{});
  const Bundle bundle = LoadBundle(s.dir + "/ensemble");
  ASSERT_EQ(bundle.members, 3);
  EXPECT_NE(MemberBundle(bundle, 0).weights.front().values, MemberBundle(bundle, 1).weights.front().values);
  MapOptions map;
  map.inputs = s.rasters;
  map.model = s.dir + "/ensemble";
  map.output = s.dir + "/p.tif";
  map.sd = s.dir + "/sd.tif";
  RunMap(map, Progress{});
  const auto p = test::ReadBand(map.output), sd = test::ReadBand(map.sd);
  ASSERT_EQ(p.size(), sd.size());
  float largest = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    EXPECT_EQ(p[i] == -9999.0f, sd[i] == -9999.0f);  // the same nodata mask
    if (sd[i] != -9999.0f) {
      EXPECT_GE(sd[i], 0.0f);
      EXPECT_LE(sd[i], 0.5f);  // the largest possible spread of values in [0, 1]
      largest = std::max(largest, sd[i]);
    }
  }
  EXPECT_GT(largest, 1e-4f);
  RunTrain(QuickTraining(s, s.dir + "/single"), Progress{});
  auto single = map;
  single.model = s.dir + "/single";
  single.output = s.dir + "/p1.tif";
  single.sd = s.dir + "/sd1.tif";
  EXPECT_THROW(RunMap(single, Progress{}), UsageError);
  EXPECT_FALSE(fs::exists(single.output));
}

}  // namespace
}  // namespace geoprosp
