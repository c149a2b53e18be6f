#include "geoprosp/apps/experiment_options.hpp"

#include <algorithm>

#include "geoprosp/models/scorer.hpp"

namespace geoprosp {

ExperimentSettings SetUpExperiment(const ExperimentOptions& o, const std::string& arch) {
  ExperimentSettings settings;
  FitSettings& fit = settings.fit;
  fit.spec = {arch, o.hidden, o.layers, o.heads, o.dropout};
  CheckModelSpec(fit.spec);
  fit.train.epochs = o.epochs;
  fit.train.lr = o.lr;
  fit.train.weight_decay = o.weight_decay;
  fit.train.input_noise = o.input_noise;
  fit.train.batch_size = o.batch_size;
  fit.train.patience = o.patience;
  fit.early_stopping = ParseEarlyStopping(o.early_stopping);
  fit.train.loss = ParseTrainLoss(o.loss);
  fit.train.engine = ParseTrainEngine(o.train_engine);
  if (o.prior != "auto") {
    OptionSpec prior;
    prior.name = "prior";
    prior.min = 0;
    prior.max = 1;
    fit.train.prior = ParseFloatOption(prior, o.prior);
    if (fit.train.prior <= 0 || fit.train.prior >= 1)
      throw UsageError("--prior", "must lie strictly between 0 and 1, or be auto");
  }
  if (fit.train.loss == TrainLoss::NonNegativePu && fit.train.engine == TrainEngine::Torch)
    throw UsageError("--loss", "nnpu needs --train-engine fused");
  if (fit.train.input_noise > 0 && fit.train.engine == TrainEngine::Torch)
    throw UsageError("--input-noise", "needs --train-engine fused");
  fit.pretrain.method = ParsePretrainMethod(o.pretrain);
  fit.pretrain.epochs = o.pretrain_epochs;
  fit.pretrain.mask_share = o.mask_share;
  fit.augment = ParseAugmentMethod(o.augment);
  fit.augment_ratio = o.augment_ratio;
  fit.members = o.ensemble;
  fit.threads = o.threads > 0 ? o.threads : DefaultThreadCount();
  fit.train.threads = fit.threads;
  FeatureSettings& features = settings.features;
  features.transform = ParseTransform(o.transform);
  features.zero_rule = o.zero_replace;
  features.graph.mode = ParseGraphMode(o.graph);
  features.graph.window = o.window;
  features.graph.edge_weight = ParseEdgeWeight(o.edge_weight);
  features.graph.rule = ParseEdgeRule(o.edge_rule);
  features.graph.top_k = o.top_k;
  features.graph.global_share = o.global_share;
  features.context = ParseContext(o.context);
  fit.spec.node_features = features.context.node_features();
  if (features.graph.window < 3 || features.graph.window % 2 == 0)
    throw UsageError("--window", "must be an odd number >= 3");
  features.alpha_auto = o.alpha == "auto";
  if (features.alpha_auto && features.graph.rule == EdgeRule::TopK)
    throw UsageError("--alpha", "auto chooses a threshold; it goes with --edge-rule threshold");
  if (!features.alpha_auto) {
    OptionSpec spec;
    spec.name = "alpha";
    spec.min = 0;
    spec.max = 1;
    features.graph.alpha = ParseFloatOption(spec, o.alpha);
  }
  OptionSpec negatives;
  negatives.name = "negatives";
  negatives.choices = {"all", "random", "distal"};
  CheckChoice(negatives, o.negatives);
  if (o.folds == 1 || o.folds < 0) throw UsageError("--folds", "must be 0 (no cross-validation) or at least 2");
  settings.cv = {ParseCvProtocol(o.cv), o.folds, o.block_size, o.buffer, o.repeats};
  settings.labels = {o.source(), o.labels, o.label_radius, o.negatives, o.negative_ratio, o.min_distance, o.seed};
  settings.calibration = ParseCalibrationMethod(o.calibration);
  settings.seed = static_cast<uint64_t>(o.seed);
  return settings;
}

std::unique_ptr<RasterStack> OpenInputStack(const ExperimentOptions& o) {
  StackSources sources;
  sources.paths = o.inputs;
  sources.align_to = o.align_to;
  sources.resampling = o.resampling;
  sources.elements = SplitList(o.elements);
  sources.symbols_only = true;
  auto stack = std::make_unique<RasterStack>(sources);
  WarnAboutCommodityInputs(*stack, DepositCommodity(o.deposits.empty() ? o.labels : o.deposits, o.commodity));
  return stack;
}

}  // namespace geoprosp
