#include "geoprosp/core/error.hpp"

#include <cpl_error.h>

#include <cerrno>
#include <cstring>

namespace geoprosp {

Error::Error(std::string subject, std::string problem)
    : std::runtime_error(subject.empty() ? problem : subject + ": " + problem),
      subject_(std::move(subject)),
      problem_(std::move(problem)) {}

std::string LastGdalError(const std::string& fallback) {
  const char* message = CPLGetLastErrorMsg();
  std::string text = (message && *message) ? message : fallback;
  CPLErrorReset();
  return text;
}

std::string LastWriteError(const std::string& fallback) {
  const int number = errno;
  std::string text = LastGdalError(fallback);
  if (number == ENOSPC || number == EDQUOT || number == EFBIG) {
    const std::string reason = std::strerror(number);
    if (text.find(reason) == std::string::npos) text += " (" + reason + ")";
  }
  return text;
}

}  // namespace geoprosp
