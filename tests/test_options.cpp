#include <gtest/gtest.h>

#include <regex>
#include <set>

#include <cpl_error.h>

#include <system_error>

#include "geoprosp/apps/eval.hpp"
#include "geoprosp/apps/grid.hpp"
#include "geoprosp/apps/map.hpp"
#include "geoprosp/apps/train.hpp"
#include "geoprosp/core/options.hpp"
#include "geoprosp/pipeline/score_region.hpp"

namespace geoprosp {
namespace {

struct ToyOptions : CommonOptions {
  std::vector<std::string> inputs;
  std::string output;
  std::string format = "GTiff";
  std::vector<std::string> creation_options;
  std::string device = "auto";
  int threads = 0;
  double alpha = 0.6;
  std::vector<double> breaks;
  bool overwrite = false;
};

OptionTable<ToyOptions> ToyTable() {
  OptionTable<ToyOptions> t;
  t.Add("inputs", &ToyOptions::inputs).Positional().Path().Role("input_rasters").Required();
  t.Add("output", &ToyOptions::output).Flags({"-o", "--output"}).Path().Role("output_raster").Required();
  t.Add("of", &ToyOptions::format).Flags({"-of", "--of"});
  t.Add("co", &ToyOptions::creation_options).Flags({"-co", "--co"}).Advanced();
  t.Add("device", &ToyOptions::device).Choices({"auto", "cpu", "cuda"});
  t.Add("threads", &ToyOptions::threads).Range(0, 64);
  t.Add("alpha", &ToyOptions::alpha).Range(0, 1);
  t.Add("class-breaks", &ToyOptions::breaks);
  t.Add("overwrite", &ToyOptions::overwrite);
  AddCommonOptions(t);
  return t;
}

ToyOptions Parse(std::vector<const char*> args) {
  args.insert(args.begin(), "toy");
  return ToyTable().Parse(static_cast<int>(args.size()), args.data());
}

TEST(Options, ParsesGdalStyleFlagsRepeatsAndPositionals) {
  const auto o =
      Parse({"a.tif", "b,c.tif", "-o", "out.tif", "-of", "COG", "-co", "COMPRESS=DEFLATE", "-co", "BLOCKSIZE=256,x",
             "--threads", "4", "--alpha", "0.35", "--class-breaks", "0.1,0.5,0.9", "--overwrite"});
  EXPECT_EQ(o.inputs, (std::vector<std::string>{"a.tif", "b,c.tif"}));  // commas stay inside paths
  EXPECT_EQ(o.output, "out.tif");
  EXPECT_EQ(o.format, "COG");
  EXPECT_EQ(o.creation_options, (std::vector<std::string>{"COMPRESS=DEFLATE", "BLOCKSIZE=256,x"}));
  EXPECT_EQ(o.threads, 4);
  EXPECT_DOUBLE_EQ(o.alpha, 0.35);
  EXPECT_EQ(o.breaks, (std::vector<double>{0.1, 0.5, 0.9}));
  EXPECT_TRUE(o.overwrite);
  EXPECT_EQ(o.device, "auto");  // default kept
}

TEST(Options, RejectsBadValuesWithTheOptionsName) {
  auto expect_usage = [](std::vector<const char*> args, const std::string& needle) {
    try {
      Parse(args);
      FAIL() << "no error for " << needle;
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_usage({"a.tif", "-o", "x.tif", "--threads", "65"}, "--threads");
  expect_usage({"a.tif", "-o", "x.tif", "--threads", "2x"}, "--threads");
  expect_usage({"a.tif", "-o", "x.tif", "--alpha", "nan"}, "--alpha");
  expect_usage({"a.tif", "-o", "x.tif", "--device", "tpu"}, "--device");
  expect_usage({"a.tif"}, "--output");
  expect_usage({"-o", "x.tif"}, "inputs");
  expect_usage({"a.tif", "-o", "x.tif", "--bogus"}, "bogus");
}

TEST(Options, HelpAndVersionNeedNoRequiredOptions) {
  EXPECT_TRUE(Parse({"--help"}).help);
  EXPECT_TRUE(Parse({"--json-usage"}).json_usage);
}

TEST(Options, JsonUsageDescribesEveryOptionOnce) {
  const auto table = ToyTable();
  const auto usage = UsageJson("toy", "a toy", table.specs());
  ASSERT_EQ(usage["options"].size(), table.specs().size());
  const auto& threads = usage["options"][5];
  EXPECT_EQ(threads["name"], "threads");
  EXPECT_EQ(threads["type"], "int");
  EXPECT_EQ(threads["min"], 0);
  EXPECT_EQ(threads["max"], 64);
  EXPECT_EQ(threads["default"], "0");
  EXPECT_EQ(usage["options"][4]["choices"], nlohmann::json({"auto", "cpu", "cuda"}));
  EXPECT_EQ(usage["options"][0]["positional"], true);
  const std::string help = HelpText("toy", "a toy", table.specs());
  for (const auto& spec : table.specs()) EXPECT_NE(help.find(spec.name), std::string::npos) << spec.name;
}

TEST(Options, ToolTablesAreWellFormed) {
  for (const auto& specs : {MapCommand().table.specs(), TrainCommand().table.specs(), EvalCommand().table.specs()}) {
    std::set<std::string> names;
    for (const auto& spec : specs) {
      EXPECT_TRUE(names.insert(spec.name).second) << "duplicate option " << spec.name;
      EXPECT_FALSE(spec.help.empty()) << spec.name << " has no help";
      if (!spec.positional) {
        EXPECT_EQ(spec.flags.back(), "--" + spec.name);
      }
      if (spec.type == OptionType::Choice && spec.default_value) {
        EXPECT_NE(std::find(spec.choices.begin(), spec.choices.end(), *spec.default_value), spec.choices.end());
      }
    }
  }
}

// What QGIS shows comes from the same tables: a title per tool, and for every option a form sees a
// short label that is a whole phrase, and help that names no command-line flag.
TEST(Options, EveryOptionAFormShowsHasALabelAndHelpWithoutFlags) {
  const std::regex flag(R"((^|[\s(/,'"])--?[a-z])");
  const auto check = [&](const std::string& program, const std::string& title, const std::vector<OptionSpec>& specs) {
    EXPECT_FALSE(title.empty()) << program;
    EXPECT_EQ(title.find("geoprosp"), std::string::npos) << program << ": a title for people, not the program";
    const nlohmann::json usage = UsageJson(program, "", specs, title);
    EXPECT_EQ(usage["title"], title);
    std::set<std::string> labels;
    for (const auto& option : usage["options"]) {
      if (option["role"] == "ui") continue;
      const std::string name = option["name"], label = option["label"], help = option["form_help"];
      EXPECT_FALSE(label.empty()) << program << " --" << name << " has no label";
      EXPECT_LE(label.size(), 40u) << program << " --" << name << ": a label is short";
      EXPECT_TRUE(labels.insert(label).second) << program << ": two options labelled '" << label << "'";
      EXPECT_EQ(label.find_first_of(":;"), std::string::npos) << program << " --" << name << ": '" << label << "'";
      EXPECT_FALSE(std::regex_search(label, flag)) << program << " --" << name << ": '" << label << "'";
      EXPECT_FALSE(help.empty()) << program << " --" << name;
      EXPECT_FALSE(std::regex_search(help, flag)) << program << " --" << name << " help names a flag: " << help;
    }
  };
  check("geoprosp-map", MapCommand().title, MapCommand().table.specs());
  check("geoprosp-train", TrainCommand().title, TrainCommand().table.specs());
  check("geoprosp-eval", EvalCommand().title, EvalCommand().table.specs());
  check("geoprosp-grid", GridCommand().title, GridCommand().table.specs());
  EXPECT_EQ(MapCommand().title, "Map prospectivity");
  EXPECT_EQ(TrainCommand().title, "Train model");
  EXPECT_EQ(EvalCommand().title, "Evaluate models");
}

TEST(Options, EveryToolThatReadsDepositsTakesTheSameDepositOptions) {
  const auto deposit_options = [](const std::vector<OptionSpec>& specs) {
    std::vector<std::string> out;
    for (const auto& spec : specs) {
      if (spec.name == "deposits" || spec.name == "deposits-srs" || spec.name == "x-field" || spec.name == "y-field")
        out.push_back(spec.name + ": " + spec.help.substr(0, 20));
    }
    return out;
  };
  const auto map = deposit_options(MapCommand().table.specs());
  EXPECT_EQ(map.size(), 4u);
  const auto train = deposit_options(TrainCommand().table.specs());
  EXPECT_EQ(train.size(), 4u);
  EXPECT_EQ(deposit_options(EvalCommand().table.specs()), train);
  for (size_t i = 1; i < map.size(); ++i) EXPECT_EQ(map[i], train[i]);  // --deposits's help says what each tool does
}

TEST(Options, IntegerOptionsThatOverflowAreUsageErrors) {
  EXPECT_THROW(ResolveWindow("4294967296,0,10,10", "", 205, 205), UsageError);
  EXPECT_THROW(ResolveWindow("2147483647,0,10,10", "", 205, 205), UsageError);
  EXPECT_THROW(ResolveWindow("0,0,2147483647,10", "", 205, 205), UsageError);
  EXPECT_THROW(ResolveWindow("", "0/4294967296", 205, 205), UsageError);
  const PixelWindow window = ResolveWindow("5,6,10,11", "", 205, 205);
  EXPECT_EQ(window.x0 + window.y0 + window.width + window.height, 32);
}

std::string Reported(const std::exception_ptr& failure, int& code) {
  testing::internal::CaptureStderr();
  code = ReportFailure("geoprosp-test", failure);
  return testing::internal::GetCapturedStderr();
}

TEST(Cli, RunningOutOfMemoryIsReportedAsSuch) {
  int code = 0;
  EXPECT_NE(Reported(std::make_exception_ptr(std::bad_alloc()), code).find("geoprosp-test: ERROR: out of memory"),
            std::string::npos);
  EXPECT_EQ(code, 1);
  const auto thread = std::make_exception_ptr(
      std::system_error(std::make_error_code(std::errc::resource_unavailable_try_again), "thread"));
  EXPECT_NE(Reported(thread, code).find("out of memory (cannot start a thread"), std::string::npos);
  const auto torch = std::make_exception_ptr(
      std::runtime_error("[enforce fail at alloc_cpu.cpp:75] DefaultCPUAllocator: can't allocate memory: you tried"));
  EXPECT_NE(Reported(torch, code).find("ERROR: out of memory (["), std::string::npos);
  // GDAL's failed allocation, whatever error follows it.
  CPLError(CE_Failure, CPLE_OutOfMemory, "cannot allocate 262144 bytes");
  try {
    LastGdalError("read failed");
    FAIL();
  } catch (const OutOfMemory& e) {
    EXPECT_NE(std::string(e.what()).find("out of memory (cannot allocate 262144 bytes)"), std::string::npos);
  }
  EXPECT_NE(Reported(std::make_exception_ptr(UsageError("--x", "bad")), code).find("--x: bad"), std::string::npos);
  EXPECT_EQ(code, 2);
  EXPECT_NE(Reported(std::make_exception_ptr(Error("a.tif", "no such file")), code).find("ERROR: a.tif: no such file"),
            std::string::npos);
  EXPECT_EQ(code, 1);
}

}  // namespace
}  // namespace geoprosp
