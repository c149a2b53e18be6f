#pragma once
// Cross-validation folds. Spatial blocks are the default: cells of one block never sit on both
// sides of a split, so neighbouring (autocorrelated) cells cannot leak from test into training.
#include <cstdint>
#include <string>
#include <vector>

#include "geoprosp/raster_stack.hpp"

namespace geoprosp {

enum class CvProtocol { Spatial, Random, Paper };
std::string ToString(CvProtocol protocol);
CvProtocol ParseCvProtocol(const std::string& text);

struct LabelledCell {
  int64_t cell = 0;  // row * width + col
  int label = 0;     // 1 deposit, 0 background
};

struct FoldSettings {
  CvProtocol protocol = CvProtocol::Spatial;
  int folds = 10;
  double block_size = 0;  // metres; 0: a tenth of the grid's longer side
  uint64_t seed = 42;
};

// The spatial block of a cell for `block_size` metres.
int64_t BlockOf(int64_t cell, const Grid& grid, double block_size);
double DefaultBlockSize(const Grid& grid);

// Fold index per sample. Spatial: whole blocks go to folds, blocks holding deposits are dealt out
// first so every fold gets its share of positives. Random and paper: stratified by label.
std::vector<int> AssignFolds(const std::vector<LabelledCell>& samples, const Grid& grid, const FoldSettings& settings);

// Stratified assignment of labels to k folds (used by random CV and the paper protocol).
std::vector<int> StratifiedFolds(const std::vector<int>& labels, int folds, uint64_t seed);

// True for training samples within `buffer` metres of a test-fold sample (dropped from training).
std::vector<bool> WithinBuffer(const std::vector<LabelledCell>& samples, const std::vector<int>& fold, int test_fold,
                               const Grid& grid, double buffer);

}  // namespace geoprosp
