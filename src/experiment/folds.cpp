#include "geoprosp/experiment/folds.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>

#include "geoprosp/core/error.hpp"

namespace geoprosp {
namespace {
// Fisher-Yates with raw mt19937_64 draws: identical on every platform, unlike std::shuffle.
template <class T>
void Shuffle(std::vector<T>& items, std::mt19937_64& rng) {
  for (size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[rng() % i]);
}
}  // namespace

std::string ToString(CvProtocol protocol) {
  switch (protocol) {
    case CvProtocol::Spatial:
      return "spatial";
    case CvProtocol::Random:
      return "random";
    case CvProtocol::Paper:
      return "paper";
  }
  return "spatial";
}

CvProtocol ParseCvProtocol(const std::string& text) {
  if (text == "spatial") return CvProtocol::Spatial;
  if (text == "random") return CvProtocol::Random;
  if (text == "paper") return CvProtocol::Paper;
  throw UsageError("--cv", "expects spatial|random|paper, got '" + text + "'");
}

double DefaultBlockSize(const Grid& grid) {
  const double width = grid.width * std::abs(grid.geotransform[1]);
  const double height = grid.height * std::abs(grid.geotransform[5]);
  return std::max(width, height) / 10.0;
}

int64_t BlockOf(int64_t cell, const Grid& grid, double block_size, double offset_x, double offset_y) {
  const int col = static_cast<int>(cell % grid.width), row = static_cast<int>(cell / grid.width);
  const int64_t bx = static_cast<int64_t>(std::floor((col * std::abs(grid.geotransform[1]) + offset_x) / block_size));
  const int64_t by = static_cast<int64_t>(std::floor((row * std::abs(grid.geotransform[5]) + offset_y) / block_size));
  return by * 1000003 + bx;
}

std::vector<int> StratifiedFolds(const std::vector<int>& labels, int folds, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<int> fold(labels.size(), 0);
  for (int label : {1, 0}) {
    std::vector<size_t> members;
    for (size_t i = 0; i < labels.size(); ++i) {
      if (labels[i] == label) members.push_back(i);
    }
    Shuffle(members, rng);
    for (size_t i = 0; i < members.size(); ++i) fold[members[i]] = static_cast<int>(i % folds);
  }
  return fold;
}

double ResolveBlockSize(const std::vector<LabelledCell>& samples, const Grid& grid, const FoldSettings& settings) {
  if (settings.block_size > 0) return settings.block_size;
  // Auto: the start size, shrunk until every fold can get a block holding deposits.
  const double pixel = std::max(std::abs(grid.geotransform[1]), std::abs(grid.geotransform[5]));
  double size = settings.start_block_size > 0 ? settings.start_block_size : DefaultBlockSize(grid);
  for (; size > 2 * pixel; size *= 0.8) {
    std::set<int64_t> deposit_blocks;
    for (const auto& s : samples) {
      if (s.label) deposit_blocks.insert(BlockOf(s.cell, grid, size, settings.offset_x, settings.offset_y));
    }
    if (static_cast<int>(deposit_blocks.size()) >= settings.folds) break;
  }
  return size;
}

std::vector<int> AssignFolds(const std::vector<LabelledCell>& samples, const Grid& grid, const FoldSettings& settings) {
  if (settings.folds < 2) throw UsageError("--folds", "must be at least 2");
  std::vector<int> labels;
  for (const auto& s : samples) labels.push_back(s.label);
  if (settings.protocol != CvProtocol::Spatial) return StratifiedFolds(labels, settings.folds, settings.seed);

  const double block_size = ResolveBlockSize(samples, grid, settings);
  std::map<int64_t, int> positives_in_block;
  const auto block_of = [&](int64_t cell) {
    return BlockOf(cell, grid, block_size, settings.offset_x, settings.offset_y);
  };
  for (const auto& s : samples) positives_in_block[block_of(s.cell)] += s.label;
  std::vector<int64_t> deposit_blocks, other_blocks;
  for (const auto& [block, positives] : positives_in_block)
    (positives ? deposit_blocks : other_blocks).push_back(block);
  if (static_cast<int>(deposit_blocks.size()) < settings.folds) {
    throw Error("--folds", "only " + std::to_string(deposit_blocks.size()) +
                               " spatial blocks hold deposits, fewer than the " + std::to_string(settings.folds) +
                               " folds; use fewer folds or a smaller --block-size");
  }
  std::mt19937_64 rng(settings.seed);
  Shuffle(deposit_blocks, rng);
  Shuffle(other_blocks, rng);
  std::map<int64_t, int> fold_of_block;
  // Deposit blocks go, largest first, to the fold with the fewest positives so far.
  std::stable_sort(deposit_blocks.begin(), deposit_blocks.end(),
                   [&](int64_t a, int64_t b) { return positives_in_block[a] > positives_in_block[b]; });
  std::vector<int> positives_in_fold(settings.folds, 0);
  for (int64_t block : deposit_blocks) {
    const int fold = static_cast<int>(std::min_element(positives_in_fold.begin(), positives_in_fold.end()) -
                                      positives_in_fold.begin());
    fold_of_block[block] = fold;
    positives_in_fold[fold] += positives_in_block[block];
  }
  for (size_t i = 0; i < other_blocks.size(); ++i)
    fold_of_block[other_blocks[i]] = static_cast<int>(i % settings.folds);
  std::vector<int> fold;
  for (const auto& s : samples) fold.push_back(fold_of_block[block_of(s.cell)]);
  return fold;
}

}  // namespace geoprosp
