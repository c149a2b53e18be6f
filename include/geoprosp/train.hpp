#pragma once
// geoprosp-train: element rasters + known deposits -> a model bundle and an honest CV report.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "geoprosp/cli.hpp"

namespace geoprosp {

struct TrainOptions : CommonOptions {
  std::vector<std::string> inputs;
  std::string output;
  std::string deposits;
  std::string deposits_srs;
  std::string labels;
  std::string elements;
  std::string align_to;
  std::string resampling = "bilinear";
  double label_radius = 0;
  std::string negatives = "distal";
  double negative_ratio = 10;
  double min_distance = 0;
  std::string transform = "clr";
  std::string zero_replace = "half-min";
  std::string graph = "global";
  int window = 5;
  std::string alpha = "0.6";
  std::string edge_weight = "binary";
  std::string arch = "resgcn";
  int hidden = 64;
  int layers = 3;
  int heads = 4;
  double dropout = 0.5;
  double lr = 1e-3;
  int epochs = 200;
  int batch_size = 64;
  int patience = 30;
  std::string augment = "gan";
  double augment_ratio = 1.0;
  std::string cv = "spatial";
  int folds = 10;
  double block_size = 0;
  double buffer = 0;
  std::string report;
  int seed = 42;
  int threads = 0;
  bool overwrite = false;
};

// Returns the report (also written to --report when given).
nlohmann::json RunTrain(const TrainOptions& options, const Progress& progress);
Command<TrainOptions> TrainCommand();

}  // namespace geoprosp
