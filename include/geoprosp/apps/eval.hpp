#pragma once
// geoprosp-eval: the study's experiments on the user's own data, on the folds geoprosp-train
// uses: the model comparison, the augmentation comparison, the alpha sweep and the final ResGCN
// map, written as results.json, CSV tables, SVG plots and one self-contained report.html.
#include <string>

#include "geoprosp/apps/experiment_options.hpp"
#include "geoprosp/experiment/results.hpp"

namespace geoprosp {

struct EvalOptions : ExperimentOptions {
  std::string out_dir;
  std::string models = "all";
  std::string augment_model = "resgcn";
  std::string experiments = "all";
};

// The experiments, in the order they run.
const std::vector<std::string>& EvalExperiments();

// Returns results.json's content (also written to --out-dir).
EvalResults RunEval(const EvalOptions& options, const Progress& progress);
Command<EvalOptions> EvalCommand();

}  // namespace geoprosp
