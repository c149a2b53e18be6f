#pragma once
// A model bundle: a folder with manifest.json (everything but the numbers of the weights) and
// weights.bin (float32, little-endian, tensors in manifest order).
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "geoprosp/features/composition.hpp"
#include "geoprosp/features/element_graph.hpp"
#include "geoprosp/models/model_spec.hpp"

namespace geoprosp {

constexpr int kBundleFormatVersion = 1;

struct Bundle {
  std::vector<std::string> elements;  // in the order the model reads them
  CompositionParams composition;
  GraphSpec graph;
  std::vector<double> correlation;  // global and hybrid modes: r over the training cells (E x E)
  std::vector<float> adjacency;     // global mode: Â (E x E)
  int graph_edges = -1;             // global and hybrid modes: edges of the global graph (-1: unknown)
  ModelSpec model;
  std::vector<double> class_breaks;  // probability thresholds of low, moderate, high
  std::string class_breaks_method;
  nlohmann::json training = nlohmann::json::object();  // summary: data, settings, metrics
  std::vector<NamedTensor> weights;                    // with members > 1, names carry a "member<i>." prefix
  int members = 1;                                     // ensemble size (geoprosp-train --ensemble)
  std::string tool_version = GEOPROSP_VERSION;
  std::string hash;  // SHA-256 of manifest.json as loaded or saved (it covers the weights' hash)

  const NamedTensor& Weight(const std::string& name) const;
};

// Member i of an ensemble as a bundle of its own (the bundle itself when it has one member).
Bundle MemberBundle(const Bundle& bundle, int member);
std::string MemberPrefix(int member);

// Writes the bundle folder through a temporary name; an existing one needs `overwrite`.
void SaveBundle(Bundle& bundle, const std::string& directory, bool overwrite);
Bundle LoadBundle(const std::string& directory);

// The model used when --model is not given: sample_data's, installed or found in the source tree.
std::string DefaultModelPath();

}  // namespace geoprosp
