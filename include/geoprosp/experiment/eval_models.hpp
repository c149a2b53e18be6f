#pragma once
// The models geoprosp-eval compares, behind one call: train on one fold's data, score its test
// samples. Every model sees the same FitData: the inner-training part with its synthetic
// positives, and the inner-validation part (empty unless --early-stopping validation). Neural
// models stop early on the validation part when there is one; the others fit on both parts.
#include <cstdint>
#include <string>
#include <vector>

#include "geoprosp/experiment/experiment.hpp"

namespace geoprosp {

struct EvalModel {
  std::string name;         // as --models takes it
  std::string label;        // as the report shows it
  std::string family;       // residual GNN, graph baseline, neural (clr vector), classical (clr vector)
  std::string description;  // what it is, with its hyperparameters
  std::string paper_row;    // the row of the study's Table 2 it corresponds to, or ""
};

// In report order: ResGCN, ResGAT, the graph baselines, the neural and the classical ones.
const std::vector<EvalModel>& EvalModels();
const EvalModel& FindEvalModel(const std::string& name);  // throws UsageError naming --models

// Scores of `test` after training `model` on `data`: probabilities of the deposit class for the
// classifiers, Platt-scaled scores for the autoencoder. Deterministic for a given seed.
std::vector<float> FitAndScoreModel(const std::string& model, const FitData& data, const SampleSet& test,
                                    const FitSettings& settings, uint64_t seed, const Progress& progress);

}  // namespace geoprosp
