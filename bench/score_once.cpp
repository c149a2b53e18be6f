// geoprosp_score_once BUNDLE CELLS: scores CELLS random cells once with the fused engine on one thread
// and prints the kernel and the sum of the probabilities. A fixed amount of work, for instruction
// counts that do not depend on the machine's load:
//   valgrind --tool=callgrind --toggle-collect='*FusedScorer::Score*' build/bench/geoprosp_score_once M 4096
// (Valgrind 3.19 has no AVX-512, so under it the CPU check picks the AVX2 kernel.)
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "geoprosp/features/element_graph.hpp"
#include "geoprosp/models/bundle.hpp"
#include "geoprosp/models/scorer.hpp"

int main(int argc, char** argv) {
  using namespace geoprosp;
  if (argc != 3) {
    std::fprintf(stderr, "usage: geoprosp_score_once BUNDLE CELLS\n");
    return 2;
  }
  const Bundle b = LoadBundle(argv[1]);
  const int64_t cells = std::atoll(argv[2]);
  const int n = static_cast<int>(b.elements.size());
  const bool per_cell = b.graph.mode == GraphMode::Window;
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0, 1);
  std::vector<float> features(size_t(cells) * n), adjacency = b.adjacency, probability(cells);
  for (auto& f : features) f = normal(rng);
  if (per_cell) {  // a random correlation matrix per cell
    adjacency.resize(size_t(cells) * n * n);
    std::uniform_real_distribution<double> r(-1, 1);
    std::vector<double> correlation(size_t(n) * n);
    for (int64_t c = 0; c < cells; ++c) {
      for (int i = 0; i < n; ++i) {
        for (int j = 0; j <= i; ++j) correlation[i * n + j] = correlation[j * n + i] = i == j ? 1.0 : r(rng);
      }
      NormalisedAdjacency(correlation.data(), n, b.graph.alpha, b.graph.edge_weight, adjacency.data() + c * n * n);
    }
  }
  auto scorer = MakeFusedScorer(b, 1);
  scorer->Score(features.data(), adjacency.data(), per_cell, cells, probability.data());
  double sum = 0;
  for (float p : probability) sum += p;
  std::printf("%s %.9g\n", scorer->name().c_str(), sum);
  return 0;
}
