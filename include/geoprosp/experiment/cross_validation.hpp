#pragma once
// The one experiment engine geoprosp-train and geoprosp-eval share: cross-validation of any set of
// models on the same folds, and the final model fitted on every labelled cell.
#include <string>
#include <vector>

#include "geoprosp/core/progress.hpp"
#include "geoprosp/experiment/experiment.hpp"
#include "geoprosp/experiment/results.hpp"
#include "geoprosp/models/bundle.hpp"

namespace geoprosp {

// Cross-validates every run on the same folds, under settings.cv's protocol. Spatial and random
// folds: the transform and global graph are fitted on each fold's training ground, augmentation
// sees the fold's inner-training samples only, and test folds hold every real cell of their ground
// at its natural class ratio. The paper protocol augments first and then splits (the study's
// figures). Within a fold the samples of each alpha, and the inner split and synthetic positives of
// each augmentation, are made once, so every model of the fold trains on the same ones.
CvOutcome CrossValidate(const CellData& data, const std::vector<LabelledCell>& cells,
                        const ExperimentSettings& settings, const std::vector<CvRun>& runs, const Progress& progress);

// A warning (AddWarning) when a global graph has no edges: the GNN then sees each element alone, an
// MLP over element embeddings.
void WarnIfEmptyGraph(int edges, const GraphSpec& graph, const std::string& where, std::vector<std::string>& warnings);

// What a CV protocol means for the figures it gives (reports print it next to them).
std::string ProtocolNote(CvProtocol protocol);

// The final model: every cell fits the transform and graph; all labelled cells train it. An
// ensemble's settings.fit.members members differ in seed and in their random negatives.
struct FinalModel {
  CompositionParams composition;
  std::vector<double> correlation;
  GraphSpec graph;       // alpha chosen
  ContextSpec context;   // spatial context node features
  int graph_edges = -1;  // of the global graph (-1 in window mode)
  AlphaChoice alpha;
  std::vector<TrainedModel> members;
  Applicability applicability;  // where the model has seen data: its training cells' features
};
FinalModel FitFinal(const CellData& data, const Labelled& labelled, const ExperimentSettings& settings,
                    const Progress& progress);

// The bundle of a final model (without class breaks and training summary, which need its map).
Bundle MakeBundle(const std::vector<std::string>& elements, const FinalModel& model, const ModelSpec& spec);

// The data an experiment ran on, as its report states it.
DataSummary SummariseData(const std::vector<std::string>& given_inputs, const std::vector<std::string>& used_inputs,
                          const CellData& data, const Labelled& labelled, const LabelSettings& labels);

// The scores of every valid cell of a whole-grid probability array (kProbabilityNodata elsewhere),
// in cell order, with label 1 where `labelled` holds a positive.
struct CellScores {
  std::vector<float> scores;
  std::vector<int> labels;
};
CellScores ValidCellScores(const CellData& data, const std::vector<float>& grid_probability,
                           const std::vector<LabelledCell>& labelled);

// Area-share breaks: the top 5 % of the valid area is high, the next 10 % moderate, the next 15 % low.
std::vector<double> AreaShareBreaks(std::vector<float> probabilities);
extern const char* const kAreaShareBreaksMethod;

}  // namespace geoprosp
