#pragma once
// geoprosp-train: element rasters + known deposits -> a model bundle and an honest CV report.
#include <string>

#include "geoprosp/apps/experiment_options.hpp"
#include "geoprosp/experiment/results.hpp"

namespace geoprosp {

struct TrainOptions : ExperimentOptions {
  std::string output;
  std::string arch = "resgcn";
  std::string report;
};

// Returns the report (also written to --report when given).
TrainReport RunTrain(const TrainOptions& options, const Progress& progress);
Command<TrainOptions> TrainCommand();

}  // namespace geoprosp
