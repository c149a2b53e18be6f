#pragma once
// The shared body of every tool's main(): parse, run, map errors to exit codes
// (0 ok, 1 failure, 2 usage).
#include <cstdio>
#include <exception>
#include <functional>
#include <iostream>
#include <string>

#include "geoprosp/core/error.hpp"
#include "geoprosp/core/options.hpp"
#include "geoprosp/core/progress.hpp"

namespace geoprosp {

struct CommonOptions {
  bool quiet = false;
  bool help = false;
  bool json_usage = false;
  bool version = false;
};

template <class Options>
void AddCommonOptions(OptionTable<Options>& table) {
  table.Add("quiet", &Options::quiet).Flags({"-q", "--quiet"}).Role("ui").Help("Print no progress and no summary");
  table.Add("help", &Options::help).Flags({"-h", "--help"}).Role("ui").Help("Show this help and exit");
  table.Add("json-usage", &Options::json_usage).Role("ui").Help("Print the options as JSON and exit");
  table.Add("version", &Options::version).Role("ui").Help("Print the version and exit");
}

template <class Options>
struct Command {
  std::string program;
  std::string description;
  OptionTable<Options> table;
  std::function<void(const Options&, const Progress&)> run;  // prints its own summary unless quiet
};

std::string VersionText(const std::string& program);
void InstallGdalMessageHandler(const std::string& program);
void PrintError(const std::string& program, const std::string& message);

template <class Options>
int RunCommandLine(const Command<Options>& command, int argc, char** argv) {
  InstallGdalMessageHandler(command.program);
  try {
    const Options options = command.table.Parse(argc, argv);
    if (options.help) {
      std::cout << HelpText(command.program, command.description, command.table.specs());
      return 0;
    }
    if (options.json_usage) {
      std::cout << UsageJson(command.program, command.description, command.table.specs()).dump(2) << "\n";
      return 0;
    }
    if (options.version) {
      std::cout << VersionText(command.program) << "\n";
      return 0;
    }
    InstallCancelSignalHandlers();
    const Progress progress{options.quiet ? QuietProgress : TerminalProgress, nullptr};
    command.run(options, progress);
    return 0;
  } catch (const UsageError& e) {
    PrintError(command.program, std::string(e.what()) + "\nTry '" + command.program + " --help'.");
    return 2;
  } catch (const std::exception& e) {  // geoprosp::Error, and anything from GDAL or LibTorch
    PrintError(command.program, e.what());
    return 1;
  }
}

}  // namespace geoprosp
