#pragma once
// Cross-validation folds. Spatial blocks are the default: cells of one block never sit on both
// sides of a split, so neighbouring (autocorrelated) cells cannot leak from test into training.
#include <cstdint>
#include <string>
#include <vector>

#include "geoprosp/io/raster_stack.hpp"

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
  double block_size = 0;  // CRS units; 0: auto (see ResolveBlockSize)
  uint64_t seed = 42;
  double start_block_size = 0;  // auto starts here (the features' autocorrelation range); 0: a tenth of the extent
  double offset_x = 0, offset_y = 0;  // shift of the block grid (CRS units): repeats use other offsets
};

// The spatial block of a cell for `block_size` CRS units, the block grid shifted by the offsets.
int64_t BlockOf(int64_t cell, const Grid& grid, double block_size, double offset_x = 0, double offset_y = 0);
double DefaultBlockSize(const Grid& grid);
// The block size spatial CV uses: the one given, or the start size (the autocorrelation range, else
// a tenth of the grid's longer side), shrunk (x0.8 steps) until at least `folds` blocks hold deposits.
double ResolveBlockSize(const std::vector<LabelledCell>& samples, const Grid& grid, const FoldSettings& settings);

// Fold index per sample. Spatial: whole blocks go to folds, blocks holding deposits are dealt out
// first so every fold gets its share of positives. Random and paper: stratified by label.
std::vector<int> AssignFolds(const std::vector<LabelledCell>& samples, const Grid& grid, const FoldSettings& settings);

// Stratified assignment of labels to k folds (used by random CV and the paper protocol).
std::vector<int> StratifiedFolds(const std::vector<int>& labels, int folds, uint64_t seed);

}  // namespace geoprosp
