#include "geoprosp/core/error.hpp"

#include <cpl_error.h>

namespace geoprosp {

Error::Error(std::string subject, std::string problem)
    : std::runtime_error(subject.empty() ? problem : subject + ": " + problem),
      subject_(std::move(subject)),
      problem_(std::move(problem)) {}

OutOfMemory::OutOfMemory(const std::string& detail)
    : Error("", "out of memory" + (detail.empty() ? std::string() : " (" + detail + ")") +
                    ": the run needs more memory than it may use") {}

void AddWarning(std::vector<std::string>& warnings, const std::string& text) {
  CPLError(CE_Warning, CPLE_AppDefined, "%s", text.c_str());
  warnings.push_back(text);
}

std::string LastGdalError(const std::string& fallback) {
  const char* message = CPLGetLastErrorMsg();
  std::string text = (message && *message) ? message : fallback;
  const bool out_of_memory = CPLGetLastErrorNo() == CPLE_OutOfMemory;
  CPLErrorReset();
  if (out_of_memory) throw OutOfMemory(text);
  return text;
}

}  // namespace geoprosp
