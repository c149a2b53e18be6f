#include "geoprosp/core/error.hpp"

#include <cpl_error.h>

#include <cpl_conv.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

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

std::string DiskProblem(const std::string& path) {
  const int number = errno;
  std::string reason;
  if (number == ENOSPC || number == EDQUOT || number == EFBIG) reason = std::strerror(number);
  // errno may have moved on since the first failed write: look at the disk itself.
  struct statvfs disk;
  const std::string folder = CPLGetPath(path.c_str());
  if (reason.empty() && statvfs(folder.empty() ? "." : folder.c_str(), &disk) == 0 &&
      uint64_t(disk.f_bavail) * disk.f_frsize < (uint64_t(1) << 20))
    reason = std::strerror(ENOSPC);
  // A file-size limit (ulimit -f): the write that hit it may have been another thread's (errno is
  // per thread), so compare the file with the limit.
  struct rlimit limit;
  struct stat file;
  if (reason.empty() && getrlimit(RLIMIT_FSIZE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY &&
      stat(path.c_str(), &file) == 0 && uint64_t(file.st_size) + (uint64_t(1) << 16) >= uint64_t(limit.rlim_cur))
    reason = std::strerror(EFBIG);
  return reason.empty() ? "" : " (" + reason + ")";
}

std::string LastWriteError(const std::string& fallback, const std::string& path) {
  const std::string problem = DiskProblem(path);
  std::string text = LastGdalError(fallback);
  if (!problem.empty() && text.find(problem.substr(2, problem.size() - 3)) == std::string::npos) text += problem;
  return text;
}

}  // namespace geoprosp
