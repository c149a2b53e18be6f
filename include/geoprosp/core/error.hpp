#pragma once
// One exception type for the whole stack: it names the file (or option) and the problem.
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace geoprosp {

class Error : public std::runtime_error {
 public:
  Error(std::string subject, std::string problem);
  const std::string& subject() const { return subject_; }
  const std::string& problem() const { return problem_; }

 private:
  std::string subject_;
  std::string problem_;
};

// A bad command line: the tools exit with 2 instead of 1.
class UsageError : public Error {
 public:
  using Error::Error;
};

// The user (or a progress callback) cancelled the run.
class Cancelled : public Error {
 public:
  explicit Cancelled(std::string why = "cancelled by the user") : Error("", std::move(why)) {}
};

// The process ran out of memory (or of threads): not a fault of any input, whatever failed.
class OutOfMemory : public Error {
 public:
  explicit OutOfMemory(const std::string& detail);
};

// A warning: raised through GDAL's error handler (so the tools print it in their own voice, and a
// QGIS run shows it) and kept in `warnings` for the run's report.
void AddWarning(std::vector<std::string>& warnings, const std::string& text);

// The last CPL error message, or `fallback` when GDAL said nothing. Throws OutOfMemory when GDAL
// failed for want of memory, so that a failed allocation is never reported as a bad file.
std::string LastGdalError(const std::string& fallback);
// The same after a failed write to `path`, with the reason when it is a full disk or a file-size
// limit, which GDAL's last message may not say ("TIFFAppendToStrip: Write error at scanline 144").
std::string LastWriteError(const std::string& fallback, const std::string& path);
// " (No space left on device)" and the like after a failed write to `path`, else "".
std::string DiskProblem(const std::string& path);

}  // namespace geoprosp
