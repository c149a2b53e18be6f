// Only this file includes cxxopts. Repeated values must not be split on commas (paths and -co
// values may hold them), so the vector delimiter is a character no argument contains.
#define CXXOPTS_VECTOR_DELIMITER '\x1f'
#include "geoprosp/core/options.hpp"

#include <charconv>
#include <cmath>
#include <cxxopts.hpp>
#include <iomanip>
#include <set>

namespace geoprosp {
namespace {

const char* TypeName(OptionType type) {
  switch (type) {
    case OptionType::Path:
      return "path";
    case OptionType::String:
      return "string";
    case OptionType::Int:
      return "int";
    case OptionType::Float:
      return "float";
    case OptionType::Bool:
      return "bool";
    case OptionType::Choice:
      return "choice";
  }
  return "string";
}

std::string ShortFlag(const OptionSpec& spec) {
  for (const auto& flag : spec.flags) {
    if (flag.size() == 2 && flag[0] == '-' && flag[1] != '-') return flag.substr(1);
  }
  return "";
}

// Outputs are plain files, staged and moved into place atomically (io/output_set.hpp). A GDAL
// virtual file system cannot give that, and /vsimem/ would vanish when the tool exits.
void CheckOutputIsAFile(const OptionSpec& spec, const std::string& path) {
  if (path.rfind("/vsi", 0) != 0) return;
  const std::string flag = spec.positional ? spec.name : spec.flags.back();
  const std::string system = path.substr(0, path.find('/', 1) + 1);
  if (system == "/vsimem/")
    throw UsageError(flag,
                     path + " is a GDAL in-memory file: it would vanish when the tool exits; give a path on disk");
  throw UsageError(flag, path + " is in GDAL's " + system +
                             " virtual file system; outputs are written as plain files on disk, which can be "
                             "replaced atomically (write the file, then copy or pack it)");
}

bool IsMetaRequest(const ParsedArgs& args) {
  return args.count("help") || args.count("json-usage") || args.count("version");
}

}  // namespace

ParsedArgs ParseCommandLine(const std::vector<OptionSpec>& specs, int argc, const char* const* argv) {
  // GDAL-style single-dash long flags (-of, -co) become --of, --co for cxxopts.
  std::set<std::string> single_dash_flags;
  for (const auto& spec : specs) {
    for (const auto& flag : spec.flags) {
      if (flag.size() > 2 && flag[0] == '-' && flag[1] != '-') single_dash_flags.insert(flag);
    }
  }
  std::vector<std::string> words;
  for (int i = 0; i < argc; ++i) {
    std::string word = argv[i];
    if (i > 0 && single_dash_flags.count(word)) word = "-" + word;
    words.push_back(word);
  }
  std::vector<const char*> rewritten;
  for (const auto& word : words) rewritten.push_back(word.c_str());

  cxxopts::Options parser(argc > 0 ? argv[0] : "geoprosp");
  std::vector<std::string> positional;
  auto adder = parser.add_options();
  for (const auto& spec : specs) {
    const std::string short_flag = ShortFlag(spec);
    const std::string key = short_flag.empty() ? spec.name : short_flag + "," + spec.name;
    if (spec.type == OptionType::Bool) {
      adder(key, spec.help);
    } else if (spec.repeatable) {
      adder(key, spec.help, cxxopts::value<std::vector<std::string>>());
    } else {
      adder(key, spec.help, cxxopts::value<std::string>());
    }
    if (spec.positional) positional.push_back(spec.name);
  }
  parser.parse_positional(positional);

  ParsedArgs args;
  try {
    int count = static_cast<int>(rewritten.size());
    const auto result = parser.parse(count, rewritten.data());
    for (const auto& spec : specs) {
      if (!result.count(spec.name)) continue;
      if (spec.type == OptionType::Bool) {
        args[spec.name] = {"true"};
      } else if (spec.repeatable) {
        args[spec.name] = result[spec.name].as<std::vector<std::string>>();
      } else {
        args[spec.name] = {result[spec.name].as<std::string>()};
      }
    }
    if (!result.unmatched().empty()) {
      throw UsageError(result.unmatched().front(), "unexpected argument");
    }
  } catch (const cxxopts::exceptions::exception& e) {
    throw UsageError("command line", e.what());
  }
  if (!IsMetaRequest(args)) {
    for (const auto& spec : specs) {
      if (spec.required && !args.count(spec.name)) {
        throw UsageError(spec.positional ? spec.name : spec.flags.back(), "is required (see --help)");
      }
      if (spec.role.rfind("output_", 0) == 0 && args.count(spec.name)) {
        for (const auto& path : args.at(spec.name)) CheckOutputIsAFile(spec, path);
      }
    }
  }
  return args;
}

std::string FormatNumber(double value) {
  std::ostringstream out;
  out.imbue(std::locale::classic());
  out << std::setprecision(10) << value;
  return out.str();
}

std::vector<std::string> SplitList(const std::string& text, char separator) {
  std::vector<std::string> items;
  std::string item;
  std::istringstream in(text);
  while (std::getline(in, item, separator)) {
    if (!item.empty()) items.push_back(item);
  }
  return items;
}

namespace {
void CheckRange(const OptionSpec& spec, double value, const std::string& text) {
  if ((spec.min && value < *spec.min) || (spec.max && value > *spec.max)) {
    std::string range = "[" + (spec.min ? FormatNumber(*spec.min) : std::string("-inf")) + ", " +
                        (spec.max ? FormatNumber(*spec.max) : std::string("inf")) + "]";
    throw UsageError("--" + spec.name, "value " + text + " is outside " + range);
  }
}
}  // namespace

long long ParseIntOption(const OptionSpec& spec, const std::string& text) {
  long long value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    throw UsageError("--" + spec.name, "expects an integer, got '" + text + "'");
  }
  CheckRange(spec, static_cast<double>(value), text);
  return value;
}

double ParseFloatOption(const OptionSpec& spec, const std::string& text) {
  std::istringstream in(text);
  in.imbue(std::locale::classic());
  double value = 0;
  in >> value;
  if (in.fail() || !in.eof() || !std::isfinite(value)) {
    throw UsageError("--" + spec.name, "expects a number, got '" + text + "'");
  }
  CheckRange(spec, value, text);
  return value;
}

void CheckChoice(const OptionSpec& spec, const std::string& text) {
  for (const auto& choice : spec.choices) {
    if (choice == text) return;
  }
  std::string all;
  for (const auto& choice : spec.choices) all += (all.empty() ? "" : "|") + choice;
  throw UsageError("--" + spec.name, "expects one of " + all + ", got '" + text + "'");
}

std::string HelpText(const std::string& program, const std::string& description, const std::vector<OptionSpec>& specs) {
  std::ostringstream out;
  out << "Usage: " << program << " [options]";
  for (const auto& spec : specs) {
    if (spec.positional) out << " " << spec.name << (spec.repeatable ? "..." : "");
  }
  out << "\n" << description << "\n\nOptions:\n";
  for (const auto& spec : specs) {
    std::string flags;
    for (const auto& flag : spec.flags) flags += (flags.empty() ? "" : ", ") + flag;
    if (spec.positional) flags = spec.name + (spec.repeatable ? "..." : "");
    if (spec.type != OptionType::Bool && !spec.positional)
      flags += " " + std::string(TypeName(spec.type) == std::string("choice") ? "CHOICE" : "VALUE");
    out << "  " << std::left << std::setw(28) << flags << " " << spec.help;
    if (!spec.choices.empty()) {
      std::string all;
      for (const auto& choice : spec.choices) all += (all.empty() ? "" : "|") + choice;
      out << " {" << all << "}";
    }
    if (spec.min || spec.max) {
      out << " [" << (spec.min ? FormatNumber(*spec.min) : "") << ".." << (spec.max ? FormatNumber(*spec.max) : "")
          << "]";
    }
    if (spec.default_value) out << " (default: " << *spec.default_value << ")";
    if (spec.required) out << " (required)";
    if (spec.repeatable && !spec.positional) out << " (repeatable)";
    out << "\n";
  }
  return out.str();
}

nlohmann::json UsageJson(const std::string& program, const std::string& description,
                         const std::vector<OptionSpec>& specs, const std::string& title) {
  nlohmann::json options = nlohmann::json::array();
  for (const auto& spec : specs) {
    options.push_back({
        {"name", spec.name},
        {"flags", spec.flags},
        {"positional", spec.positional},
        {"type", TypeName(spec.type)},
        {"role", spec.role},
        {"repeatable", spec.repeatable},
        {"required", spec.required},
        {"advanced", spec.advanced},
        {"default", spec.default_value ? nlohmann::json(*spec.default_value) : nlohmann::json()},
        {"choices", spec.choices},
        {"min", spec.min ? nlohmann::json(*spec.min) : nlohmann::json()},
        {"max", spec.max ? nlohmann::json(*spec.max) : nlohmann::json()},
        {"extensions", spec.extensions},
        {"help", spec.help},
        {"label", spec.label},
        {"form_help", spec.form_help.empty() ? spec.help : spec.form_help},
    });
  }
  return {{"program", program},
          {"title", title.empty() ? program : title},
          {"version", GEOPROSP_VERSION},
          {"description", description},
          {"options", options}};
}

}  // namespace geoprosp
