#pragma once
// Progress and cancellation: GDALProgressFunc through the whole stack.
#include <cpl_progress.h>

#include <memory>

namespace geoprosp {

struct Progress {
  GDALProgressFunc func = GDALDummyProgress;
  void* data = nullptr;

  // Reports `fraction` (0..1); throws Cancelled when the callback asks to stop.
  void Report(double fraction, const char* message = nullptr) const;
};

// A sub-range [start, end) of a parent progress, like GDALCreateScaledProgress.
class ScaledProgress {
 public:
  ScaledProgress(const Progress& parent, double start, double end);
  ~ScaledProgress();
  ScaledProgress(const ScaledProgress&) = delete;
  ScaledProgress& operator=(const ScaledProgress&) = delete;
  Progress get() const { return {GDALScaledProgress, scaled_}; }

 private:
  void* scaled_;
};

// GDAL-style "0...10...20...100 - done." on stderr; returns FALSE after SIGINT/SIGTERM/SIGHUP.
int CPL_STDCALL TerminalProgress(double fraction, const char* message, void* data);

// Installs SIGINT/SIGTERM/SIGHUP handlers that make TerminalProgress and QuietProgress cancel.
void InstallCancelSignalHandlers();
// SIGINT/SIGTERM cancel the run while this lives; afterwards they stop the process again (so that
// nothing after the run, a library's exit handler included, can make it ignore them).
class CancelSignalScope {
 public:
  CancelSignalScope() { InstallCancelSignalHandlers(); }
  ~CancelSignalScope();
  CancelSignalScope(const CancelSignalScope&) = delete;
  CancelSignalScope& operator=(const CancelSignalScope&) = delete;
};
int CPL_STDCALL QuietProgress(double fraction, const char* message, void* data);

}  // namespace geoprosp
