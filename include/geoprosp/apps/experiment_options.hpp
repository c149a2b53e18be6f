#pragma once
// The options geoprosp-train and geoprosp-eval share (inputs, labels, features, graph, network,
// training, augmentation, cross-validation), declared once for both tools' option tables, and
// turned into experiment settings with every check made before heavy work.
#include <memory>
#include <string>
#include <vector>

#include "geoprosp/apps/deposit_options.hpp"
#include "geoprosp/core/cli.hpp"
#include "geoprosp/experiment/experiment.hpp"

namespace geoprosp {

struct ExperimentOptions : CommonOptions, DepositOptions {
  std::vector<std::string> inputs;
  std::string labels;
  std::string commodity;
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
  std::string edge_rule = "threshold";
  int top_k = 3;
  double global_share = 0.5;
  int hidden = 64;
  int layers = 3;
  int heads = 4;
  double dropout = 0.5;
  double lr = 1e-3;
  double weight_decay = 0;
  double input_noise = 0;
  int epochs = 200;
  int batch_size = 64;
  int patience = 30;
  std::string early_stopping = "none";
  std::string loss = "ce";
  std::string prior = "auto";
  std::string train_engine = "fused";
  std::string pretrain = "none";
  int pretrain_epochs = 5;
  double mask_share = 0.25;
  std::string context = "none";
  std::string augment = "gan";
  double augment_ratio = 1.0;
  int ensemble = 1;
  std::string cv = "spatial";
  int folds = 10;
  int repeats = 1;
  std::string calibration = "platt";
  double block_size = 0;
  double buffer = 0;
  int seed = 42;
  int threads = 0;
  bool overwrite = false;
};

// The element rasters (positional).
template <class Options>
void AddInputRasterOptions(OptionTable<Options>& t) {
  t.Add("inputs", &Options::inputs)
      .Label("Element rasters")
      .Positional()
      .Path()
      .Role("input_rasters")
      .Required()
      .Help("Element rasters (any GDAL format)");
}

// Labels, grid alignment, the compositional transform and the element graph.
template <class Options>
void AddSurveyOptions(OptionTable<Options>& t) {
  using O = Options;
  AddDepositOptions(t, "Known deposits: any OGR vector, or a table (CSV) with coordinate columns");
  t.Add("labels", &O::labels)
      .Label("Label raster")
      .FormHelp("Label raster (1 = deposit), of any grid, instead of known deposit points")
      .Path()
      .Role("input_raster")
      .Help("Label raster (1 = deposit), of any grid, instead of --deposits");
  t.Add("commodity", &O::commodity)
      .Label("Deposit commodity")
      .Advanced()
      .Help(
          "Element(s) the deposits are of, e.g. Li or Au,Ag (default: from the deposits' commodity column or file"
          " name); an input of that element gets a warning");
  t.Add("elements", &O::elements)
      .Label("Elements to use")
      .Help("Comma-separated elements to use, in order (default: all inputs)");
  t.Add("align-to", &O::align_to)
      .Label("Align the inputs to this raster")
      .Path()
      .Role("input_raster")
      .Advanced()
      .Help("Warp every input onto this raster's grid");
  t.Add("resampling", &O::resampling)
      .Label("Resampling for alignment")
      .FormHelp("Resampling used when the inputs are aligned to a raster")
      .Choices({"near", "bilinear", "cubic", "average"})
      .Advanced()
      .Help("Resampling for --align-to");
  t.Add("label-radius", &O::label_radius)
      .Label("Deposit label radius")
      .Range(0, {})
      .Help("Cells within this distance (CRS units) of a deposit are positive");
  t.Add("negatives", &O::negatives)
      .Label("Background cells")
      .FormHelp("Background cells: random beyond the distal distance (distal), random anywhere, or all")
      .Choices({"distal", "random", "all"})
      .Help("Background cells: random beyond --min-distance, random, or all");
  t.Add("negative-ratio", &O::negative_ratio)
      .Label("Background cells per deposit cell")
      .Range(0.1, {})
      .Help("Background cells per deposit cell (distal, random)");
  t.Add("min-distance", &O::min_distance)
      .Label("Distal distance")
      .Range(0, {})
      .Help("Distal negatives lie farther than this from every deposit (0: two cells)");
  t.Add("transform", &O::transform)
      .Label("Compositional transform")
      .Choices({"clr", "log", "none"})
      .Help("Compositional transform");
  t.Add("zero-replace", &O::zero_replace)
      .Label("Replacement for zero values")
      .Advanced()
      .Help("Zero/negative concentrations become half-min (half the smallest positive) or this value");
  t.Add("graph", &O::graph)
      .Label("Element graph")
      .Choices({"global", "window", "hybrid"})
      .Help(
          "One correlation graph from all training cells, one per cell from its window, or one per cell from a "
          "blend of both");
  t.Add("window", &O::window)
      .Label("Graph window size")
      .FormHelp("Window size k (odd) of each cell's own graph (window graphs)")
      .Range(3, 51)
      .Help("Window size k (odd) for --graph window");
  t.Add("alpha", &O::alpha)
      .Label("Correlation threshold (alpha)")
      .Help("Correlation threshold |r| > alpha for an edge, or 'auto' (inner CV over 0.2..0.8)");
  t.Add("edge-rule", &O::edge_rule)
      .Label("Edge rule")
      .FormHelp("Edges where |r| > alpha, or each element's k strongest |r| (top-k: never an empty graph)")
      .Choices({"threshold", "top-k"})
      .Help("Edges where |r| > alpha, or each element's --top-k strongest |r| (never an empty graph)");
  t.Add("top-k", &O::top_k)
      .Label("Edges per element (top-k)")
      .FormHelp("Edges each element keeps under the top-k edge rule")
      .Range(1, 64)
      .Help("Edges each element keeps with --edge-rule top-k");
  t.Add("global-share", &O::global_share)
      .Label("Global share of hybrid graphs")
      .Range(0, 1)
      .Advanced()
      .Help("Hybrid graphs: the global r's share in each cell's blended r");
  t.Add("edge-weight", &O::edge_weight)
      .Label("Edge weights")
      .Choices({"binary", "abs-r"})
      .Advanced()
      .Help("Edge weights before normalisation");
  t.Add("context", &O::context)
      .Label("Spatial context windows")
      .Help(
          "Spatial context node features: K or K1,K2 (odd window sizes) adds each element's mean and SD over the "
          "K x K window to its node; none: off");
}

// Network size, training, augmentation and cross-validation.
template <class Options>
void AddTrainingOptions(OptionTable<Options>& t) {
  using O = Options;
  t.Add("hidden", &O::hidden).Label("Hidden size").Range(2, 4096).Help("Hidden size");
  t.Add("layers", &O::layers).Label("Residual layers").Range(0, 64).Help("Residual layers");
  t.Add("heads", &O::heads).Label("Attention heads").Range(1, 64).Help("Attention heads (resgat)");
  t.Add("dropout", &O::dropout).Label("Dropout").Range(0, 0.99).Help("Dropout");
  t.Add("lr", &O::lr).Label("Learning rate").Range(1e-7, 1).Help("Adam learning rate");
  t.Add("weight-decay", &O::weight_decay)
      .Label("Weight decay")
      .Range(0, 1)
      .Advanced()
      .Help("L2 penalty on the network weights (Adam's weight decay)");
  t.Add("input-noise", &O::input_noise)
      .Label("Input noise")
      .Range(0, 10)
      .Advanced()
      .Help(
          "ResGCN/ResGAT (fused engine): SD of Gaussian noise added to the standardised node features afresh each "
          "epoch (0: none)");
  t.Add("epochs", &O::epochs).Label("Maximum epochs").Range(1, 100000).Help("Maximum epochs");
  t.Add("batch-size", &O::batch_size)
      .Label("Graphs per training batch")
      .Range(1, 1 << 20)
      .Advanced()
      .Help("Graphs per training batch");
  t.Add("patience", &O::patience)
      .Label("Early-stopping patience")
      .Range(1, 100000)
      .Advanced()
      .FormHelp(
          "Stop after this many epochs without a better loss (the validation loss when early stopping holds out a "
          "validation part, else the training loss)")
      .Help(
          "Stop after this many epochs without a better loss (the validation loss with --early-stopping validation, "
          "else the training loss)");
  t.Add("early-stopping", &O::early_stopping)
      .Label("Early stopping")
      .FormHelp(
          "validation: hold out a fifth of the training samples and keep the epoch with the best loss on them; "
          "none: every training sample trains, up to the maximum epochs; inner-cv: choose the epoch count by a "
          "5-fold inner cross-validation (every deposit validates once), then train on every sample for that many "
          "epochs (6 trainings per fit)")
      .Choices({"validation", "none", "inner-cv"})
      .Advanced()
      .Help(
          "validation: hold out a fifth of the training samples and keep the epoch with the best loss on them; "
          "none: every training sample trains, up to --epochs or until the training loss stalls for --patience "
          "epochs; inner-cv: choose the epoch count by a 5-fold inner "
          "CV (every deposit validates once), then train on every sample for that many epochs (6 trainings per "
          "fit)");
  t.Add("loss", &O::loss)
      .Label("Training loss")
      .FormHelp(
          "Training loss: class-weighted cross-entropy, or the non-negative PU risk (Kiryo et al. 2017), where "
          "background cells are unlabelled (use it with all cells as background)")
      .Choices({"ce", "nnpu"})
      .Help(
          "Training loss: class-weighted cross-entropy, or the non-negative PU risk (Kiryo et al. 2017), where "
          "background cells are unlabelled (use with --negatives all)");
  t.Add("prior", &O::prior)
      .Label("Share of prospective cells (nnPU)")
      .Help(
          "nnpu: share of prospective cells among all cells, in (0, 1), or 'auto' (estimated from the ranking of a "
          "cross-entropy fit, Blanchard, Lee & Scott 2010)");
  t.Add("train-engine", &O::train_engine)
      .Label("Training engine")
      .Choices({"fused", "torch"})
      .Advanced()
      .Help("ResGCN/ResGAT training: the fused CPU trainer, or LibTorch (the reference; ce only)");
  t.Add("pretrain", &O::pretrain)
      .Label("Pre-training")
      .FormHelp(
          "Self-supervised pre-training of the ResGCN/ResGAT backbone on every valid cell (no labels): hide a share "
          "of each cell's elements and predict them, then train on the labelled cells")
      .Choices({"none", "masked"})
      .Help(
          "Self-supervised pre-training of the ResGCN/ResGAT backbone on every valid cell (no labels): hide "
          "--mask-share of each cell's elements and predict them, then train on the labelled cells");
  t.Add("pretrain-epochs", &O::pretrain_epochs)
      .Label("Pre-training epochs")
      .FormHelp("Epochs of masked pre-training")
      .Range(1, 1000)
      .Advanced()
      .Help("Epochs of --pretrain masked");
  t.Add("mask-share", &O::mask_share)
      .Label("Hidden share in pre-training")
      .Range(0.01, 0.99)
      .Advanced()
      .Help("Share of each cell's elements hidden in pre-training");
  t.Add("augment", &O::augment)
      .Label("Augmentation")
      .Choices({"gan", "vae", "smote", "noise", "none"})
      .Help("Synthetic positives, made inside training folds only");
  t.Add("augment-ratio", &O::augment_ratio)
      .Label("Augmentation ratio")
      .Range(0, 10)
      .Help("Augment until positives = ratio x negatives");
  t.Add("ensemble", &O::ensemble)
      .Label("Ensemble members")
      .FormHelp(
          "Train N residual GNN members over seeds (the final model also over random sets of background cells) and "
          "average them; cross-validation scores the same average, and the map can show their spread")
      .Range(1, 100)
      .Help(
          "Train N ResGCN/ResGAT members over seeds (the final model also over random negative sets) and average "
          "them, in the cross-validation too; geoprosp-map --sd maps their spread");
  t.Add("cv", &O::cv)
      .Label("Cross-validation")
      .Choices({"spatial", "random", "paper"})
      .Help("Cross-validation: spatial blocks, random, or the study's augment-then-split protocol");
  t.Add("folds", &O::folds).Label("Folds").Range(0, 100).Help("Folds (0: no cross-validation)");
  t.Add("repeats", &O::repeats)
      .Label("Repeats of the cross-validation")
      .Range(1, 100)
      .Help("Repeat the cross-validation with other block offsets and seeds; reports a 95 % interval");
  t.Add("block-size", &O::block_size)
      .Label("Spatial block size")
      .Range(0, {})
      .Help(
          "Spatial CV block size in CRS units (0: the features' spatial autocorrelation range, shrunk until every "
          "fold holds deposits)");
  t.Add("calibration", &O::calibration)
      .Label("Calibration")
      .Choices({"platt", "isotonic", "none"})
      .Help(
          "Score-to-probability calibration fitted on the cross-validation's out-of-fold scores, at the survey's "
          "real share of deposit cells");
  t.Add("buffer", &O::buffer)
      .Label("Buffer around test cells")
      .Range(0, {})
      .Advanced()
      .Help("Drop training cells closer than this to a test cell");
}

// Seed and threads.
template <class Options>
void AddRunOptions(OptionTable<Options>& t) {
  t.Add("seed", &Options::seed)
      .Label("Random seed")
      .Range(0, 2147483647)
      .Help("Random seed: the same inputs and seed give the same results");
  t.Add("threads", &Options::threads).Label("Threads").Range(0, 1024).Advanced().Help("Threads (0: all cores)");
}

// The options as the experiment's settings, checked before any heavy work; `arch` is the residual
// GNN to train.
ExperimentSettings SetUpExperiment(const ExperimentOptions& options, const std::string& arch);

// The input rasters as a stack, restricted to --elements. Inputs not named like an element or oxide
// are refused unless --elements names them; inputs of the deposits' commodity get a warning.
std::unique_ptr<RasterStack> OpenInputStack(const ExperimentOptions& options);

}  // namespace geoprosp
