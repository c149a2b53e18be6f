#pragma once
// A model bundle: a folder with manifest.json (everything but the numbers of the weights),
// weights.bin (float32, little-endian, tensors in manifest order) and, from format 2 on, SHA256SUMS
// (the checksums of both, in sha256sum's format).
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "geoprosp/features/applicability.hpp"
#include "geoprosp/features/composition.hpp"
#include "geoprosp/features/context.hpp"
#include "geoprosp/features/element_graph.hpp"
#include "geoprosp/models/calibration.hpp"
#include "geoprosp/models/model_spec.hpp"

namespace geoprosp {

constexpr int kBundleFormatVersion = 2;

struct Bundle {
  std::vector<std::string> elements;  // in the order the model reads them
  CompositionParams composition;
  GraphSpec graph;
  std::vector<double> correlation;  // global and hybrid modes: r over the training cells (E x E)
  std::vector<float> adjacency;     // global mode: Â (E x E)
  int graph_edges = -1;             // global and hybrid modes: edges of the global graph (-1: unknown)
  ContextSpec context;              // spatial context node features (model.node_features matches it)
  ModelSpec model;
  std::vector<double> class_breaks;        // thresholds of low, moderate, high, on the (calibrated) probability
  std::vector<double> score_class_breaks;  // the same classes on the raw score (geoprosp-map --raw-score)
  std::string class_breaks_method;
  Calibration calibration;                             // score -> probability; none: the map is a score
  Applicability applicability;                         // none in bundles made before it
  nlohmann::json training = nlohmann::json::object();  // summary: data, settings, metrics
  std::vector<NamedTensor> weights;                    // with members > 1, names carry a "member<i>." prefix
  int members = 1;                                     // ensemble size (geoprosp-train --ensemble)
  std::string tool_version = GEOPROSP_VERSION;
  std::string hash;         // SHA-256 of manifest.json as loaded or saved (it covers the weights' hash)
  std::string path;         // the folder it was loaded from
  bool is_default = false;  // loaded because no --model was given

  const NamedTensor& Weight(const std::string& name) const;
};

// Member i of an ensemble as a bundle of its own (the bundle itself when it has one member).
Bundle MemberBundle(const Bundle& bundle, int member);
std::string MemberPrefix(int member);

// The tensors (name and shape) a residual GNN of `spec` over `n_elements` elements has.
std::vector<std::pair<std::string, std::vector<int64_t>>> ExpectedTensors(const ModelSpec& spec, int n_elements);

// Checks that a bundle may be written at `directory`: absent, or with `overwrite` a bundle or an
// empty folder (never a folder of other files, nor a file).
void CheckBundleDestination(const std::string& directory, bool overwrite);
// Writes manifest.json and weights.bin into the existing, empty `folder` (an OutputSet's staged
// folder; messages name `shown_as`); sets bundle.hash.
void WriteBundle(Bundle& bundle, const std::string& folder, const std::string& shown_as);
// Both, committed at once.
void SaveBundle(Bundle& bundle, const std::string& directory, bool overwrite);
// Loads and checks a bundle before anything is scored: its checksums, every constant against the
// elements, every tensor's name and shape against the architecture and the ensemble size, and that
// every number is finite. A fault is an error naming the bundle's file.
Bundle LoadBundle(const std::string& directory);

// The model used when --model is not given: sample_data's, installed or found in the source tree.
std::string DefaultModelPath();
// LoadBundle(model), or the default model when `model` is empty; the default one comes with a GDAL
// warning (shown even under -q): it was trained on sample_data's synthetic survey.
Bundle LoadModel(const std::string& model);
// How outputs name the model they came from (their GEOPROSP_MODEL metadata).
std::string ModelProvenance(const Bundle& bundle);

}  // namespace geoprosp
