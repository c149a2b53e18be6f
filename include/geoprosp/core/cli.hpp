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
  std::string title;  // its name in a form (QGIS), e.g. "Map prospectivity"
  std::string description;
  OptionTable<Options> table;
  std::function<void(const Options&, const Progress&)> run;  // prints its own summary unless quiet
};

std::string VersionText(const std::string& program);
// Process set-up for a tool: GDAL's drivers, its messages in the tool's voice, and the last resorts
// for failures outside the run's own error handling (exceptions escaping threads, libraries that exit).
void SetUpProcess(const std::string& program);
void PrintError(const std::string& program, const std::string& message);
// Prints the error that ended a run and returns the exit code: 2 for usage, 1 for any other failure.
// Running out of memory (or threads) is reported as such, whichever library found it.
int ReportFailure(const std::string& program, std::exception_ptr failure);

// Lives as long as a run: SIGINT/SIGTERM cancel it, and a library that calls exit() in its middle
// is reported as a failure.
class RunScope {
 public:
  RunScope();
  ~RunScope();
  RunScope(const RunScope&) = delete;
  RunScope& operator=(const RunScope&) = delete;

 private:
  CancelSignalScope cancel_signals_;
};

template <class Options>
int RunCommandLine(const Command<Options>& command, int argc, char** argv) {
  SetUpProcess(command.program);
  try {
    const Options options = command.table.Parse(argc, argv);
    if (options.help) {
      std::cout << HelpText(command.program, command.description, command.table.specs());
      return 0;
    }
    if (options.json_usage) {
      std::cout << UsageJson(command.program, command.description, command.table.specs(), command.title).dump(2)
                << "\n";
      return 0;
    }
    if (options.version) {
      std::cout << VersionText(command.program) << "\n";
      return 0;
    }
    const RunScope run_scope;
    const Progress progress{options.quiet ? QuietProgress : TerminalProgress, nullptr};
    command.run(options, progress);
    return 0;
  } catch (...) {
    return ReportFailure(command.program, std::current_exception());
  }
}

}  // namespace geoprosp
