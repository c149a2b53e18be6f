#include "geoprosp/models/bundle.hpp"

#include <cpl_error.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "geoprosp/core/error.hpp"
#include "geoprosp/core/file_tree.hpp"
#include "geoprosp/core/options.hpp"
#include "geoprosp/core/sha256.hpp"
#include "geoprosp/io/output_set.hpp"

namespace fs = std::filesystem;

namespace geoprosp {
namespace {

constexpr const char* kManifest = "manifest.json";
constexpr const char* kWeights = "weights.bin";
constexpr const char* kChecksums = "SHA256SUMS";

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string(), "cannot be read");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Square matrices are stored as rows, so the manifest reads as a matrix.
template <class T>
nlohmann::json Rows(const std::vector<T>& matrix, size_t n) {
  nlohmann::json rows = nlohmann::json::array();
  for (size_t i = 0; n && i < matrix.size() / n; ++i)
    rows.push_back(std::vector<T>(matrix.begin() + i * n, matrix.begin() + (i + 1) * n));
  return rows;
}

template <class T>
std::vector<T> Flatten(const nlohmann::json& rows) {
  std::vector<T> flat;
  for (const auto& row : rows) {
    for (const auto& value : row) flat.push_back(value.get<T>());
  }
  return flat;
}

// nlohmann puts every array item on its own line; numeric arrays read better on one.
std::string CompactNumberArrays(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '[') {
      const size_t end = text.find_first_of("[]{}\"", i + 1);
      if (end != std::string::npos && text[end] == ']') {
        out += '[';
        bool space = false;
        for (size_t j = i + 1; j < end; ++j) {
          if (std::isspace(static_cast<unsigned char>(text[j]))) {
            space = true;
            continue;
          }
          if (space && out.back() == ',') out += ' ';
          space = false;
          out += text[j];
        }
        out += ']';
        i = end;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

nlohmann::json ApplicabilityJson(const Applicability& a, size_t n_elements) {
  return {{"method", kApplicabilityMethod},
          {"space", "standardised model features (the transform's output)"},
          {"cells_from", a.cells_from},
          {"cells", a.cells},
          {"ridge", a.ridge},
          {"percentile", a.percentile},
          {"threshold", a.threshold},
          {"mean", a.mean},
          {"precision", Rows(a.precision, n_elements)}};
}

nlohmann::json ToJson(const Bundle& b, const std::string& weights_sha256) {
  nlohmann::json tensors = nlohmann::json::array();
  size_t offset = 0;
  for (const auto& t : b.weights) {
    tensors.push_back({{"name", t.name}, {"shape", t.shape}, {"offset", offset}});
    offset += t.values.size() * sizeof(float);
  }
  const auto& c = b.composition;
  nlohmann::json manifest = {
      {"format", "geoprosp-model"},
      {"format_version", kBundleFormatVersion},
      {"tool_version", b.tool_version},
      {"elements", b.elements},
      {"transform",
       {{"kind", ToString(c.transform)},
        {"zero_rule", c.zero_rule},
        {"zero_replacement", c.zero_replacement},
        {"mean", c.mean},
        {"sd", c.sd}}},
      {"graph",
       {{"mode", ToString(b.graph.mode)},
        {"window", b.graph.window},
        {"alpha", b.graph.alpha},
        {"edge_weight", ToString(b.graph.edge_weight)},
        {"edge_rule", ToString(b.graph.rule)},
        {"top_k", b.graph.top_k},
        {"global_share", b.graph.global_share},
        {"edges", b.graph_edges},
        {"correlation", Rows(b.correlation, b.elements.size())},
        {"adjacency", Rows(b.adjacency, b.elements.size())}}},
      {"context",
       {{"windows", b.context.windows},
        {"statistics",
         "per element: mean and standard deviation of the standardised values over the valid cells of each k x k "
         "window"}}},
      {"architecture",
       {{"arch", b.model.arch},
        {"hidden", b.model.hidden},
        {"layers", b.model.layers},
        {"heads", b.model.heads},
        {"dropout", b.model.dropout},
        {"members", b.members},
        {"node_features", b.model.node_features},
        {"input",
         b.context.active() ? "value + context (mean, sd per window) + element one-hot" : "value + element one-hot"},
        {"readout", "mean||max"},
        {"head", "Linear(2h,h)-ReLU-Dropout-Linear(h,2), softmax"}}},
      {"class_breaks",
       {{"low", b.class_breaks.at(0)},
        {"moderate", b.class_breaks.at(1)},
        {"high", b.class_breaks.at(2)},
        {"score", b.score_class_breaks.empty() ? b.class_breaks : b.score_class_breaks},
        {"method", b.class_breaks_method}}},
      {"calibration",
       {{"method", ToString(b.calibration.method)},
        {"slope", b.calibration.slope},
        {"intercept", b.calibration.intercept},
        {"knot_scores", b.calibration.knot_scores},
        {"knot_probabilities", b.calibration.knot_probabilities},
        {"prevalence", b.calibration.prevalence},
        {"cells", b.calibration.cells},
        {"deposit_cells", b.calibration.deposit_cells}}},
      {"training", b.training},
      {"weights",
       {{"file", kWeights},
        {"dtype", "float32-le"},
        {"bytes", offset},
        {"sha256", weights_sha256},
        {"tensors", tensors}}},
  };
  if (b.applicability.present()) manifest["applicability"] = ApplicabilityJson(b.applicability, b.elements.size());
  return manifest;
}

// SHA256SUMS in sha256sum's format, so that `sha256sum -c SHA256SUMS` checks a bundle by hand.
std::string ChecksumsText(const std::string& manifest, const std::string& weights) {
  return Sha256Hex(manifest.data(), manifest.size()) + "  " + kManifest + "\n" +
         Sha256Hex(weights.data(), weights.size()) + "  " + kWeights + "\n";
}

// Checks `bytes` (the content of `file` in `root`) against its line of SHA256SUMS.
void CheckListedChecksum(const fs::path& root, const std::string& sums, const std::string& file,
                         const std::string& bytes) {
  std::istringstream lines(sums);
  std::string line;
  while (std::getline(lines, line)) {
    const size_t space = line.find(' ');
    if (space == std::string::npos) continue;
    std::string name = line.substr(space + 1);
    if (!name.empty() && (name[0] == ' ' || name[0] == '*')) name.erase(0, 1);
    if (name != file) continue;
    if (line.substr(0, space) != Sha256Hex(bytes.data(), bytes.size())) {
      throw Error((root / file).string(), std::string("does not match its checksum in ") + kChecksums +
                                              ": it was edited or damaged after the bundle was written");
    }
    return;
  }
  throw Error((root / kChecksums).string(), "lists no checksum for " + file);
}

std::string Shape(const std::vector<int64_t>& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? "," : "") + std::to_string(shape[i]);
  return out + "]";
}

template <class T>
bool AllFinite(const std::vector<T>& values) {
  return std::all_of(values.begin(), values.end(), [](T v) { return std::isfinite(v); });
}

// Every check that does not need the weights' numbers: the architecture, the class breaks, the
// graph and the per-element constants. Faults are the manifest's.
void CheckManifest(const Bundle& b, const std::string& manifest_path) {
  try {
    CheckModelSpec(b.model, "architecture.");
  } catch (const UsageError& e) {  // the manifest is at fault, not an option
    throw Error(manifest_path, "declares an architecture that cannot be built: " + e.subject() + " " + e.problem());
  }
  for (const auto* breaks : {&b.class_breaks, &b.score_class_breaks}) {
    const auto& v = *breaks;
    if (v.size() != 3 || !(v[0] > 0 && v[0] < v[1] && v[1] < v[2] && v[2] < 1)) {
      std::string listed;
      for (double x : v) listed += (listed.empty() ? "" : ", ") + FormatNumber(x);
      throw Error(manifest_path, std::string("declares ") +
                                     (breaks == &b.class_breaks ? "class breaks " : "score breaks ") + listed +
                                     " (they must increase inside (0, 1))");
    }
  }
  const size_t n = b.elements.size();
  if (!(b.graph.alpha >= 0 && b.graph.alpha <= 1))
    throw Error(manifest_path, "declares a graph threshold alpha outside [0, 1]");
  if (b.graph.mode != GraphMode::Global && (b.graph.window < 3 || b.graph.window % 2 == 0))
    throw Error(manifest_path, "declares a graph window that is not an odd number >= 3");
  if (b.graph.rule == EdgeRule::TopK && (b.graph.top_k < 1 || size_t(b.graph.top_k) >= std::max<size_t>(n, 2)))
    throw Error(manifest_path,
                "declares top_k " + std::to_string(b.graph.top_k) + " for " + std::to_string(n) + " elements");
  if (!(b.graph.global_share >= 0 && b.graph.global_share <= 1))
    throw Error(manifest_path, "declares a hybrid graph's global share outside [0, 1]");
  CheckContext(b.context, manifest_path);
  if (b.model.node_features != b.context.node_features())
    throw Error(manifest_path, "is inconsistent: the architecture reads " + std::to_string(b.model.node_features) +
                                   " values per node, its spatial context gives " +
                                   std::to_string(b.context.node_features()));
  const auto& cal = b.calibration;
  if (!std::isfinite(cal.slope) || !std::isfinite(cal.intercept) || !AllFinite(cal.knot_scores) ||
      !AllFinite(cal.knot_probabilities))
    throw Error(manifest_path, "holds a calibration that is not finite");
  if (b.applicability.present()) {
    if (const std::string problem = ApplicabilityProblem(b.applicability, n); !problem.empty())
      throw Error(manifest_path, problem);
  }
  const auto& c = b.composition;
  if (n < 2 || c.zero_replacement.size() != n || c.mean.size() != n || c.sd.size() != n ||
      (b.graph.mode == GraphMode::Global && b.adjacency.size() != n * n) ||
      (b.graph.mode != GraphMode::Window && b.correlation.size() != n * n)) {
    throw Error(manifest_path,
                "is inconsistent: per-element constants do not match the " + std::to_string(n) + " elements");
  }
  if (!AllFinite(c.zero_replacement) || !AllFinite(c.mean) || !AllFinite(c.sd) || !AllFinite(b.adjacency) ||
      !AllFinite(b.correlation) || std::any_of(c.sd.begin(), c.sd.end(), [](double sd) { return sd <= 0; })) {
    throw Error(manifest_path, "holds constants that are not finite (or a standard deviation <= 0)");
  }
}

// The tensors must be exactly those of the architecture, for every ensemble member, each finite.
void CheckTensors(const Bundle& b, const std::string& manifest_path, const std::string& weights_path) {
  const auto expected = ExpectedTensors(b.model, static_cast<int>(b.elements.size()));
  std::map<std::string, const NamedTensor*> by_name;
  for (const auto& t : b.weights) {
    if (!by_name.emplace(t.name, &t).second) throw Error(manifest_path, "lists tensor " + t.name + " twice");
  }
  const std::string architecture = b.model.arch + " with hidden " + std::to_string(b.model.hidden) + ", " +
                                   std::to_string(b.model.layers) + " layers, " + std::to_string(b.model.heads) +
                                   " heads, " + std::to_string(b.elements.size()) + " elements and " +
                                   std::to_string(b.members) + (b.members == 1 ? " member" : " members");
  for (int member = 0; member < b.members; ++member) {
    const std::string prefix = b.members == 1 ? "" : MemberPrefix(member);
    for (const auto& [name, shape] : expected) {
      auto found = by_name.find(prefix + name);
      if (found == by_name.end())
        throw Error(manifest_path,
                    "lists no tensor " + prefix + name + ", which the architecture (" + architecture + ") needs");
      if (found->second->shape != shape)
        throw Error(manifest_path, "gives tensor " + prefix + name + " the shape " + Shape(found->second->shape) +
                                       "; the architecture (" + architecture + ") needs " + Shape(shape));
      if (!AllFinite(found->second->values))
        throw Error(weights_path, "holds NaN or infinite values in tensor " + prefix + name);
    }
  }
  if (b.weights.size() != expected.size() * b.members) {
    for (const auto& t : b.weights) {
      bool known = false;
      for (int member = 0; member < b.members && !known; ++member) {
        const std::string prefix = b.members == 1 ? "" : MemberPrefix(member);
        for (const auto& item : expected) known = known || t.name == prefix + item.first;
      }
      if (!known)
        throw Error(manifest_path,
                    "lists tensor " + t.name + ", which the architecture (" + architecture + ") does not have");
    }
  }
}

}  // namespace

std::vector<std::pair<std::string, std::vector<int64_t>>> ExpectedTensors(const ModelSpec& spec, int n_elements) {
  const int64_t h = spec.hidden;
  std::vector<std::pair<std::string, std::vector<int64_t>>> tensors = {
      {"input.weight", {h, spec.node_features + n_elements}}, {"input.bias", {h}}};
  for (int l = 0; l < spec.layers; ++l) {
    const std::string name = "layer" + std::to_string(l);
    tensors.push_back({name + ".weight", {h, h}});
    if (spec.arch == "resgat") {
      tensors.push_back({name + "_att_src", {spec.heads, h / spec.heads}});
      tensors.push_back({name + "_att_dst", {spec.heads, h / spec.heads}});
    } else {
      tensors.push_back({name + ".bias", {h}});
    }
  }
  tensors.push_back({"head_hidden.weight", {h, 2 * h}});
  tensors.push_back({"head_hidden.bias", {h}});
  tensors.push_back({"head_out.weight", {2, h}});
  tensors.push_back({"head_out.bias", {2}});
  return tensors;
}

const NamedTensor& Bundle::Weight(const std::string& name) const {
  for (const auto& t : weights) {
    if (t.name == name) return t;
  }
  throw Error("model", "has no weight tensor '" + name + "'");
}

std::string MemberPrefix(int member) { return "member" + std::to_string(member) + "."; }

Bundle MemberBundle(const Bundle& bundle, int member) {
  if (bundle.members == 1) return bundle;
  Bundle one = bundle;
  one.members = 1;
  one.weights.clear();
  const std::string prefix = MemberPrefix(member);
  for (const auto& t : bundle.weights) {
    if (t.name.rfind(prefix, 0) != 0) continue;
    NamedTensor stripped = t;
    stripped.name = t.name.substr(prefix.size());
    one.weights.push_back(std::move(stripped));
  }
  if (one.weights.empty()) throw Error("model", "has no weights for ensemble member " + std::to_string(member));
  return one;
}

void CheckBundleDestination(const std::string& directory, bool overwrite) {
  const fs::path target(directory);
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(target, ec))) return;
  if (!overwrite) throw Error(directory, "exists; use --overwrite to replace it");
  if (!fs::is_directory(target)) throw Error(directory, "is a file, not a model bundle folder; refusing to replace it");
  // --overwrite replaces a model bundle or an empty folder, never a folder of other files.
  if (!fs::exists(target / kManifest) && !fs::is_empty(target))
    throw Error(directory, "is a folder that holds no model bundle; refusing to replace it");
}

void WriteBundle(Bundle& bundle, const std::string& folder, const std::string& shown_as) {
  std::string weights;
  for (const auto& t : bundle.weights) {
    weights.append(reinterpret_cast<const char*>(t.values.data()), t.values.size() * sizeof(float));
  }
  const std::string manifest =
      CompactNumberArrays(ToJson(bundle, Sha256Hex(weights.data(), weights.size())).dump(1)) + "\n";
  WriteTextFile((fs::path(folder) / kWeights).string(), weights, (fs::path(shown_as) / kWeights).string());
  WriteTextFile((fs::path(folder) / kManifest).string(), manifest, (fs::path(shown_as) / kManifest).string());
  WriteTextFile((fs::path(folder) / kChecksums).string(), ChecksumsText(manifest, weights),
                (fs::path(shown_as) / kChecksums).string());
  bundle.hash = Sha256Hex(manifest.data(), manifest.size());
}

void SaveBundle(Bundle& bundle, const std::string& directory, bool overwrite) {
  CheckBundleDestination(directory, overwrite);
  OutputSet outputs(overwrite);
  WriteBundle(bundle, outputs.Stage("-o", directory, OutputForm::Folder), directory);
  outputs.Commit();
}

Bundle LoadBundle(const std::string& directory) {
  const fs::path root(directory);
  if (!fs::is_directory(root))
    throw Error(directory, "is not a model bundle (expected a folder holding manifest.json)");
  const std::string manifest_path = (root / kManifest).string();
  const std::string weights_path = (root / kWeights).string();
  const std::string manifest_text = ReadFile(root / kManifest);
  // Format 2 bundles carry SHA256SUMS; format 1 bundles (geoprosp before it) only the weights' hash.
  const bool has_checksums = fs::exists(root / kChecksums);
  const std::string checksums = has_checksums ? ReadFile(root / kChecksums) : std::string();
  if (has_checksums) CheckListedChecksum(root, checksums, kManifest, manifest_text);
  Bundle b;
  b.hash = Sha256Hex(manifest_text.data(), manifest_text.size());
  b.path = directory;
  try {
    const auto j = nlohmann::json::parse(manifest_text);
    if (j.at("format") != "geoprosp-model") throw Error(manifest_path, "is not a geoprosp model manifest");
    const int format_version = j.at("format_version").get<int>();
    if (format_version > kBundleFormatVersion) {
      throw Error(manifest_path, "was written by a newer geoprosp (format " + j.at("format_version").dump() + ")");
    }
    if (format_version >= 2 && !has_checksums)
      throw Error((root / kChecksums).string(), "is missing; a bundle of format 2 carries the checksums of its files");
    b.tool_version = j.at("tool_version");
    b.elements = j.at("elements").get<std::vector<std::string>>();
    const auto& t = j.at("transform");
    b.composition.transform = ParseTransform(t.at("kind"));
    b.composition.zero_rule = t.at("zero_rule");
    b.composition.zero_replacement = t.at("zero_replacement").get<std::vector<double>>();
    b.composition.mean = t.at("mean").get<std::vector<double>>();
    b.composition.sd = t.at("sd").get<std::vector<double>>();
    const auto& g = j.at("graph");
    b.graph.mode = ParseGraphMode(g.at("mode"));
    b.graph.window = g.at("window");
    b.graph.alpha = g.at("alpha");
    b.graph.edge_weight = ParseEdgeWeight(g.at("edge_weight"));
    b.graph.rule = ParseEdgeRule(g.value("edge_rule", std::string("threshold")));
    b.graph.top_k = g.value("top_k", 3);
    b.graph.global_share = g.value("global_share", 0.5);
    b.graph_edges = g.value("edges", -1);
    b.correlation = Flatten<double>(g.at("correlation"));
    b.adjacency = Flatten<float>(g.at("adjacency"));
    const auto& a = j.at("architecture");
    b.model.arch = a.at("arch");
    b.model.hidden = a.at("hidden");
    b.model.layers = a.at("layers");
    b.model.heads = a.at("heads");
    b.model.dropout = a.at("dropout");
    b.model.node_features = a.value("node_features", 1);
    if (j.contains("context")) b.context.windows = j.at("context").at("windows").get<std::vector<int>>();
    b.members = a.value("members", 1);
    if (b.members < 1 || b.members > 1000)
      throw Error(manifest_path, "declares " + std::to_string(b.members) + " ensemble members");
    const auto& breaks = j.at("class_breaks");
    b.class_breaks = {breaks.at("low"), breaks.at("moderate"), breaks.at("high")};
    b.class_breaks_method = breaks.at("method");
    b.score_class_breaks = breaks.value("score", b.class_breaks);
    if (j.contains("calibration")) {
      const auto& cal = j.at("calibration");
      b.calibration.method = ParseCalibrationMethod(cal.at("method"));
      b.calibration.slope = cal.at("slope");
      b.calibration.intercept = cal.at("intercept");
      b.calibration.knot_scores = cal.at("knot_scores").get<std::vector<double>>();
      b.calibration.knot_probabilities = cal.at("knot_probabilities").get<std::vector<double>>();
      b.calibration.prevalence = cal.at("prevalence");
      b.calibration.cells = cal.at("cells");
      b.calibration.deposit_cells = cal.at("deposit_cells");
      if (b.calibration.knot_scores.size() != b.calibration.knot_probabilities.size())
        throw Error(manifest_path, "is inconsistent: the isotonic calibration's knots do not pair up");
    }
    if (j.contains("applicability")) {
      const auto& a = j.at("applicability");
      if (a.at("method").get<std::string>() != kApplicabilityMethod)
        throw Error(manifest_path,
                    "declares an applicability method " + a.at("method").dump() + " this geoprosp does not know");
      b.applicability.cells = a.at("cells");
      b.applicability.cells_from = a.value("cells_from", std::string());
      b.applicability.ridge = a.at("ridge");
      b.applicability.percentile = a.at("percentile");
      b.applicability.threshold = a.at("threshold");
      b.applicability.mean = a.at("mean").get<std::vector<double>>();
      b.applicability.precision = Flatten<double>(a.at("precision"));
      if (b.applicability.mean.empty()) throw Error(manifest_path, "holds empty applicability statistics");
    }
    b.training = j.at("training");
    CheckManifest(b, manifest_path);

    const auto& w = j.at("weights");
    if (w.at("file").get<std::string>() != kWeights)
      throw Error(manifest_path, "names weights file " + w.at("file").dump() + ", not " + kWeights);
    const std::string weights = ReadFile(root / kWeights);
    if (weights.size() != w.at("bytes").get<size_t>()) {
      throw Error(weights_path, "is truncated or corrupt: " + std::to_string(weights.size()) +
                                    " bytes, the manifest says " + w.at("bytes").dump());
    }
    if (has_checksums) CheckListedChecksum(root, checksums, kWeights, weights);
    if (Sha256Hex(weights.data(), weights.size()) != w.at("sha256").get<std::string>()) {
      throw Error(weights_path, "is corrupt: its SHA-256 does not match the manifest");
    }
    for (const auto& entry : w.at("tensors")) {
      NamedTensor tensor;
      tensor.name = entry.at("name");
      tensor.shape = entry.at("shape").get<std::vector<int64_t>>();
      size_t count = 1;
      for (auto d : tensor.shape) {
        if (d < 1 || d > (int64_t(1) << 24))
          throw Error(manifest_path, "gives tensor " + tensor.name + " the shape " + Shape(tensor.shape));
        count *= static_cast<size_t>(d);
      }
      const size_t offset = entry.at("offset");
      if (count > weights.size() / sizeof(float) || offset > weights.size() - count * sizeof(float)) {
        throw Error(manifest_path, "tensor " + tensor.name + " lies outside weights.bin");
      }
      tensor.values.resize(count);
      std::memcpy(tensor.values.data(), weights.data() + offset, count * sizeof(float));
      b.weights.push_back(std::move(tensor));
    }
    CheckTensors(b, manifest_path, weights_path);
  } catch (const nlohmann::json::exception& e) {
    throw Error(manifest_path, std::string("is corrupt or incomplete: ") + e.what());
  }
  return b;
}

std::string DefaultModelPath() {
  // Installed: GEOPROSP_MODEL_DIR is the model's folder relative to the tools' (share/geoprosp/model
  // beside bin/); a model/ folder beside the binary also counts. Else the source tree's.
  for (const std::string& candidate : {BesideExecutable(GEOPROSP_MODEL_DIR), BesideExecutable("model")}) {
    if (!candidate.empty() && fs::exists(fs::path(candidate) / kManifest))
      return fs::path(candidate).lexically_normal().string();
  }
  return (fs::path(GEOPROSP_SOURCE_DIR) / "sample_data/model").string();
}

Bundle LoadModel(const std::string& model) {
  if (!model.empty()) return LoadBundle(model);
  Bundle bundle = LoadBundle(DefaultModelPath());
  bundle.is_default = true;
  CPLError(CE_Warning, CPLE_AppDefined,
           "no --model given: using the default model (%s), which was trained on sample_data's synthetic survey. "
           "It is a demonstration: train a model on your own data (geoprosp-train) and pass it with --model.",
           bundle.path.c_str());
  return bundle;
}

std::string ModelProvenance(const Bundle& bundle) {
  return bundle.is_default ? "default sample_data model, trained on synthetic data (" + bundle.path + ")" : bundle.path;
}

}  // namespace geoprosp
