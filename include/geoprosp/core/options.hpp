#pragma once
// Options are data: one table per tool drives parsing (cxxopts), --help, --json-usage and,
// through --json-usage, the QGIS Processing parameters.
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "geoprosp/core/error.hpp"

namespace geoprosp {

enum class OptionType { Path, String, Int, Float, Bool, Choice };

struct OptionSpec {
  std::string name;                // identifier; also `--name` on the command line
  std::vector<std::string> flags;  // e.g. {"-o", "--output"}; empty when positional
  bool positional = false;
  OptionType type = OptionType::String;
  std::string role;  // input_rasters, input_vector, output_raster, ui, ... (see docs/cli.md)
  bool repeatable = false;
  bool required = false;
  bool advanced = false;
  std::optional<std::string> default_value;
  std::vector<std::string> choices;
  std::optional<double> min, max;
  std::vector<std::string> extensions;  // file types a path takes, e.g. {"png"}
  std::string help;
  // For forms (the QGIS parameters): a short whole-phrase label, and help written for someone who
  // sees no command line (no flag names); empty: the help serves.
  std::string label;
  std::string form_help;
};

// Raw values by option name, as typed on the command line.
using ParsedArgs = std::map<std::string, std::vector<std::string>>;

ParsedArgs ParseCommandLine(const std::vector<OptionSpec>& specs, int argc, const char* const* argv);
std::string HelpText(const std::string& program, const std::string& description, const std::vector<OptionSpec>& specs);
// `title`: the tool's name in a form, e.g. "Map prospectivity".
nlohmann::json UsageJson(const std::string& program, const std::string& description,
                         const std::vector<OptionSpec>& specs, const std::string& title = "");

// Value conversion with the checks the spec declares; errors are UsageError naming the option.
long long ParseIntOption(const OptionSpec& spec, const std::string& text);
double ParseFloatOption(const OptionSpec& spec, const std::string& text);
void CheckChoice(const OptionSpec& spec, const std::string& text);
std::vector<std::string> SplitList(const std::string& text, char separator = ',');
std::string FormatNumber(double value);

template <class Options>
class OptionTable {
 public:
  using Assign = std::function<void(Options&, const std::vector<std::string>&, const OptionSpec&)>;
  using Read = std::function<std::vector<std::string>(const Options&)>;  // a text option's values

  // Fluent setters for the spec just added.
  class Builder {
   public:
    Builder(OptionSpec& spec) : spec_(spec) {}
    Builder& Flags(std::vector<std::string> flags) {
      spec_.flags = std::move(flags);
      return *this;
    }
    // Bare words: a list field takes them all, a single field exactly one.
    Builder& Positional() {
      spec_.positional = true;
      spec_.flags.clear();
      return *this;
    }
    Builder& Role(std::string role) {
      spec_.role = std::move(role);
      return *this;
    }
    Builder& Path() {
      spec_.type = OptionType::Path;
      return *this;
    }
    Builder& Required() {
      spec_.required = true;
      return *this;
    }
    Builder& Advanced() {
      spec_.advanced = true;
      return *this;
    }
    Builder& Choices(std::vector<std::string> choices) {
      spec_.type = OptionType::Choice;
      spec_.choices = std::move(choices);
      return *this;
    }
    Builder& Range(std::optional<double> min, std::optional<double> max) {
      spec_.min = min;
      spec_.max = max;
      return *this;
    }
    Builder& Extensions(std::vector<std::string> extensions) {
      spec_.extensions = std::move(extensions);
      return *this;
    }
    Builder& Help(std::string help) {
      spec_.help = std::move(help);
      return *this;
    }
    // The label a form shows, and (when the help names flags) help for a form.
    Builder& Label(std::string label) {
      spec_.label = std::move(label);
      return *this;
    }
    Builder& FormHelp(std::string help) {
      spec_.form_help = std::move(help);
      return *this;
    }

   private:
    OptionSpec& spec_;
  };

  Builder Add(const std::string& name, std::string Options::*field) {
    return Bind(
        name, OptionType::String, Text(Options{}.*field),
        [field](Options& o, const std::vector<std::string>& v, const OptionSpec& s) {
          if (s.type == OptionType::Choice) CheckChoice(s, v.back());
          o.*field = v.back();
        },
        [field](const Options& o) {
          return (o.*field).empty() ? std::vector<std::string>() : std::vector<std::string>{o.*field};
        });
  }
  Builder Add(const std::string& name, std::vector<std::string> Options::*field) {
    auto builder = Bind(
        name, OptionType::String, std::nullopt,
        [field](Options& o, const std::vector<std::string>& v, const OptionSpec&) { o.*field = v; },
        [field](const Options& o) { return o.*field; });
    specs_.back().repeatable = true;
    return builder;
  }
  Builder Add(const std::string& name, int Options::*field) {
    return Bind(name, OptionType::Int, FormatNumber(Options{}.*field),
                [field](Options& o, const std::vector<std::string>& v, const OptionSpec& s) {
                  o.*field = static_cast<int>(ParseIntOption(s, v.back()));
                });
  }
  Builder Add(const std::string& name, double Options::*field) {
    return Bind(name, OptionType::Float, FormatNumber(Options{}.*field),
                [field](Options& o, const std::vector<std::string>& v, const OptionSpec& s) {
                  o.*field = ParseFloatOption(s, v.back());
                });
  }
  Builder Add(const std::string& name, bool Options::*field) {
    return Bind(name, OptionType::Bool, std::nullopt,
                [field](Options& o, const std::vector<std::string>&, const OptionSpec&) { o.*field = true; });
  }
  // Comma-separated numbers, e.g. --class-breaks 0.2,0.5,0.8.
  Builder Add(const std::string& name, std::vector<double> Options::*field) {
    return Bind(name, OptionType::String, std::nullopt,
                [field](Options& o, const std::vector<std::string>& v, const OptionSpec& s) {
                  (o.*field).clear();
                  for (const auto& item : SplitList(v.back())) (o.*field).push_back(ParseFloatOption(s, item));
                });
  }

  const std::vector<OptionSpec>& specs() const { return specs_; }

  // The values of the options whose role starts with `role_prefix` (e.g. "input_"), each with the
  // flag (or positional name) that gives it: how a tool finds every file it reads or writes.
  std::vector<std::pair<std::string, std::string>> ValuesWithRole(const Options& options,
                                                                  const std::string& role_prefix) const {
    std::vector<std::pair<std::string, std::string>> values;
    for (size_t i = 0; i < specs_.size(); ++i) {
      if (!reads_[i] || specs_[i].role.rfind(role_prefix, 0) != 0) continue;
      const std::string flag = specs_[i].positional ? specs_[i].name : specs_[i].flags.back();
      for (const auto& value : reads_[i](options)) values.emplace_back(flag, value);
    }
    return values;
  }

  Options Parse(int argc, const char* const* argv) const {
    const ParsedArgs args = ParseCommandLine(specs_, argc, argv);
    Options options;
    for (size_t i = 0; i < specs_.size(); ++i) {
      auto found = args.find(specs_[i].name);
      if (found != args.end() && !found->second.empty()) assigns_[i](options, found->second, specs_[i]);
    }
    return options;
  }

 private:
  static std::optional<std::string> Text(const std::string& value) {
    if (value.empty()) return std::nullopt;
    return value;
  }
  Builder Bind(const std::string& name, OptionType type, std::optional<std::string> default_value, Assign assign,
               Read read = nullptr) {
    OptionSpec spec;
    spec.name = name;
    spec.flags = {"--" + name};
    spec.type = type;
    spec.default_value = std::move(default_value);
    specs_.push_back(std::move(spec));
    assigns_.push_back(std::move(assign));
    reads_.push_back(std::move(read));
    return Builder(specs_.back());
  }

  std::vector<OptionSpec> specs_;
  std::vector<Assign> assigns_;
  std::vector<Read> reads_;
};

}  // namespace geoprosp
