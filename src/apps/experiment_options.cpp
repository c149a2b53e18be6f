#include "geoprosp/apps/experiment_options.hpp"

#include <algorithm>

#include "geoprosp/models/scorer.hpp"

namespace geoprosp {

ExperimentSetup SetUpExperiment(const ExperimentOptions& o, const std::string& arch) {
  ExperimentSetup setup;
  ExperimentSettings& settings = setup.settings;
  settings.spec = {arch, o.hidden, o.layers, o.heads, o.dropout};
  CheckModelSpec(settings.spec);
  settings.train.epochs = o.epochs;
  settings.train.lr = o.lr;
  settings.train.batch_size = o.batch_size;
  settings.train.patience = o.patience;
  settings.train.loss = ParseTrainLoss(o.loss);
  settings.train.engine = ParseTrainEngine(o.train_engine);
  if (o.prior != "auto") {
    OptionSpec prior;
    prior.name = "prior";
    prior.min = 0;
    prior.max = 1;
    settings.train.prior = ParseFloatOption(prior, o.prior);
    if (settings.train.prior <= 0 || settings.train.prior >= 1)
      throw UsageError("--prior", "must lie strictly between 0 and 1, or be auto");
  }
  if (settings.train.loss == TrainLoss::NonNegativePu && settings.train.engine == TrainEngine::Torch)
    throw UsageError("--loss", "nnpu needs --train-engine fused");
  settings.augment = ParseAugmentMethod(o.augment);
  settings.augment_ratio = o.augment_ratio;
  settings.threads = o.threads > 0 ? o.threads : DefaultThreadCount();
  settings.train.threads = settings.threads;
  setup.transform = ParseTransform(o.transform);
  setup.graph.mode = ParseGraphMode(o.graph);
  setup.graph.window = o.window;
  setup.graph.edge_weight = ParseEdgeWeight(o.edge_weight);
  if (setup.graph.window < 3 || setup.graph.window % 2 == 0) throw UsageError("--window", "must be an odd number >= 3");
  setup.alpha_auto = o.alpha == "auto";
  if (!setup.alpha_auto) {
    OptionSpec spec;
    spec.name = "alpha";
    spec.min = 0;
    spec.max = 1;
    setup.graph.alpha = ParseFloatOption(spec, o.alpha);
  }
  setup.protocol = ParseCvProtocol(o.cv);
  OptionSpec negatives;
  negatives.name = "negatives";
  negatives.choices = {"all", "random", "distal"};
  CheckChoice(negatives, o.negatives);
  if (o.folds == 1 || o.folds < 0) throw UsageError("--folds", "must be 0 (no cross-validation) or at least 2");
  setup.labels = {o.deposits,  o.deposits_srs,   o.labels,       o.label_radius,
                  o.negatives, o.negative_ratio, o.min_distance, o.seed};
  return setup;
}

std::unique_ptr<RasterStack> OpenInputStack(const ExperimentOptions& o) {
  StackSources sources;
  sources.paths = o.inputs;
  sources.align_to = o.align_to;
  sources.resampling = o.resampling;
  auto stack = std::make_unique<RasterStack>(sources);
  if (!o.elements.empty()) stack->Select(SplitList(o.elements), "--elements");
  return stack;
}

std::string ProtocolNote(CvProtocol protocol) {
  switch (protocol) {
    case CvProtocol::Paper:
      return "PAPER PROTOCOL: positives augmented before splitting, so synthetic samples sit in the test folds and "
             "the class ratio is balanced. This reproduces the study's figures; it is not an estimate of performance "
             "on new ground.";
    case CvProtocol::Spatial:
      return "spatially blocked folds; augmentation inside training folds only; test folds hold real cells at their "
             "natural ratio";
    case CvProtocol::Random:
      return "random stratified folds; augmentation inside training folds only; neighbouring cells may straddle "
             "folds (optimistic)";
  }
  return "";
}

nlohmann::json SettingsJson(const ExperimentOptions& o, double block_size) {
  return {{"cv", o.cv},
          {"folds", o.folds},
          {"block_size", block_size},
          {"buffer", o.buffer},
          {"negative_ratio", o.negative_ratio},
          {"min_distance", o.min_distance},
          {"transform", o.transform},
          {"zero_replace", o.zero_replace},
          {"graph", o.graph},
          {"window", o.window},
          {"alpha", o.alpha},
          {"edge_weight", o.edge_weight},
          {"hidden", o.hidden},
          {"layers", o.layers},
          {"heads", o.heads},
          {"dropout", o.dropout},
          {"lr", o.lr},
          {"epochs", o.epochs},
          {"batch_size", o.batch_size},
          {"patience", o.patience},
          {"loss", o.loss},
          {"prior", o.prior},
          {"train_engine", o.train_engine},
          {"augment", o.augment},
          {"augment_ratio", o.augment_ratio},
          {"seed", o.seed}};
}

}  // namespace geoprosp
