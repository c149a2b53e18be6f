#include "geoprosp/models/bundle.hpp"

#include <unistd.h>

#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "geoprosp/core/error.hpp"
#include "geoprosp/core/file_tree.hpp"
#include "geoprosp/core/sha256.hpp"

namespace fs = std::filesystem;

namespace geoprosp {
namespace {

constexpr const char* kManifest = "manifest.json";
constexpr const char* kWeights = "weights.bin";

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string(), "cannot be read");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void WriteFile(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) throw Error(path.string(), "cannot be written");
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

nlohmann::json ToJson(const Bundle& b, const std::string& weights_sha256) {
  nlohmann::json tensors = nlohmann::json::array();
  size_t offset = 0;
  for (const auto& t : b.weights) {
    tensors.push_back({{"name", t.name}, {"shape", t.shape}, {"offset", offset}});
    offset += t.values.size() * sizeof(float);
  }
  const auto& c = b.composition;
  return {
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
      {"architecture",
       {{"arch", b.model.arch},
        {"hidden", b.model.hidden},
        {"layers", b.model.layers},
        {"heads", b.model.heads},
        {"dropout", b.model.dropout},
        {"members", b.members},
        {"input", "value + element one-hot"},
        {"readout", "mean||max"},
        {"head", "Linear(2h,h)-ReLU-Dropout-Linear(h,2), softmax"}}},
      {"class_breaks",
       {{"low", b.class_breaks.at(0)},
        {"moderate", b.class_breaks.at(1)},
        {"high", b.class_breaks.at(2)},
        {"method", b.class_breaks_method}}},
      {"training", b.training},
      {"weights",
       {{"file", kWeights},
        {"dtype", "float32-le"},
        {"bytes", offset},
        {"sha256", weights_sha256},
        {"tensors", tensors}}},
  };
}

}  // namespace

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

void SaveBundle(Bundle& bundle, const std::string& directory, bool overwrite) {
  const fs::path target(directory);
  if (fs::exists(target) && !overwrite) throw Error(directory, "exists; use --overwrite to replace it");
  // --overwrite replaces a model bundle or an empty folder, never a folder of other files.
  if (fs::is_directory(target) && !fs::exists(target / kManifest) && !fs::is_empty(target))
    throw Error(directory, "is a folder that holds no model bundle; refusing to replace it");
  if (fs::exists(target) && !fs::is_directory(target))
    throw Error(directory, "is a file, not a model bundle folder; refusing to replace it");
  std::string weights;
  for (const auto& t : bundle.weights) {
    weights.append(reinterpret_cast<const char*>(t.values.data()), t.values.size() * sizeof(float));
  }
  const std::string manifest =
      CompactNumberArrays(ToJson(bundle, Sha256Hex(weights.data(), weights.size())).dump(1)) + "\n";
  const fs::path temporary = target.string() + ".tmp-" + std::to_string(getpid());
  std::error_code ec;
  RemoveTree(temporary.string());
  if (!fs::create_directories(temporary, ec) || ec) {
    throw Error(directory, "cannot create the model folder: " + ec.message());
  }
  try {
    WriteFile(temporary / kWeights, weights);
    WriteFile(temporary / kManifest, manifest);
    if (fs::exists(target) && !RemoveTree(target.string()))
      throw Error(directory, "cannot be replaced: removing the old bundle failed");
    fs::rename(temporary, target);
  } catch (const fs::filesystem_error& e) {
    RemoveTree(temporary.string());
    throw Error(directory, std::string("cannot be written: ") + e.what());
  } catch (...) {
    RemoveTree(temporary.string());
    throw;
  }
  bundle.hash = Sha256Hex(manifest.data(), manifest.size());
}

Bundle LoadBundle(const std::string& directory) {
  const fs::path root(directory);
  if (!fs::is_directory(root))
    throw Error(directory, "is not a model bundle (expected a folder holding manifest.json)");
  const std::string manifest_text = ReadFile(root / kManifest);
  Bundle b;
  b.hash = Sha256Hex(manifest_text.data(), manifest_text.size());
  const std::string manifest_path = (root / kManifest).string();
  try {
    const auto j = nlohmann::json::parse(manifest_text);
    if (j.at("format") != "geoprosp-model") throw Error(manifest_path, "is not a geoprosp model manifest");
    if (j.at("format_version").get<int>() > kBundleFormatVersion) {
      throw Error(manifest_path, "was written by a newer geoprosp (format " + j.at("format_version").dump() + ")");
    }
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
    b.members = a.value("members", 1);
    if (b.members < 1) throw Error(manifest_path, "declares " + std::to_string(b.members) + " ensemble members");
    const auto& breaks = j.at("class_breaks");
    b.class_breaks = {breaks.at("low"), breaks.at("moderate"), breaks.at("high")};
    b.class_breaks_method = breaks.at("method");
    b.training = j.at("training");

    const size_t n = b.elements.size();
    const auto& c = b.composition;
    if (n < 2 || c.zero_replacement.size() != n || c.mean.size() != n || c.sd.size() != n ||
        (b.graph.mode == GraphMode::Global && b.adjacency.size() != n * n) ||
        (b.graph.mode != GraphMode::Window && b.correlation.size() != n * n)) {
      throw Error(manifest_path,
                  "is inconsistent: per-element constants do not match the " + std::to_string(n) + " elements");
    }
    const auto& w = j.at("weights");
    const std::string weights = ReadFile(root / w.at("file").get<std::string>());
    if (weights.size() != w.at("bytes").get<size_t>()) {
      throw Error((root / kWeights).string(), "is truncated or corrupt: " + std::to_string(weights.size()) +
                                                  " bytes, the manifest says " + w.at("bytes").dump());
    }
    if (Sha256Hex(weights.data(), weights.size()) != w.at("sha256").get<std::string>()) {
      throw Error((root / kWeights).string(), "is corrupt: its SHA-256 does not match the manifest");
    }
    for (const auto& entry : w.at("tensors")) {
      NamedTensor tensor;
      tensor.name = entry.at("name");
      tensor.shape = entry.at("shape").get<std::vector<int64_t>>();
      size_t count = 1;
      for (auto d : tensor.shape) count *= static_cast<size_t>(d);
      const size_t offset = entry.at("offset");
      if (offset + count * sizeof(float) > weights.size()) {
        throw Error(manifest_path, "tensor " + tensor.name + " lies outside weights.bin");
      }
      tensor.values.resize(count);
      std::memcpy(tensor.values.data(), weights.data() + offset, count * sizeof(float));
      b.weights.push_back(std::move(tensor));
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(manifest_path, std::string("is corrupt or incomplete: ") + e.what());
  }
  CheckModelSpec(b.model);
  return b;
}

std::string DefaultModelPath() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (const fs::path& candidate :
         {exe.parent_path().parent_path() / "share/geoprosp/model", exe.parent_path() / "model"}) {
      if (fs::exists(candidate / kManifest)) return candidate.string();
    }
  }
  return (fs::path(GEOPROSP_SOURCE_DIR) / "sample_data/model").string();
}

}  // namespace geoprosp
