#include "geoprosp/progress.hpp"

#include <csignal>
#include <cstdio>

#include "geoprosp/error.hpp"

namespace geoprosp {
namespace {
volatile std::sig_atomic_t g_cancel_requested = 0;
void OnCancelSignal(int) { g_cancel_requested = 1; }
}  // namespace

void Progress::Report(double fraction, const char* message) const {
  if (!func(fraction, message, data)) throw Cancelled();
}

ScaledProgress::ScaledProgress(const Progress& parent, double start, double end)
    : scaled_(GDALCreateScaledProgress(start, end, parent.func, parent.data)) {}

ScaledProgress::~ScaledProgress() { GDALDestroyScaledProgress(scaled_); }

void InstallCancelSignalHandlers() {
  std::signal(SIGINT, OnCancelSignal);
  std::signal(SIGTERM, OnCancelSignal);
}

int CPL_STDCALL QuietProgress(double, const char*, void*) { return g_cancel_requested ? FALSE : TRUE; }

int CPL_STDCALL TerminalProgress(double fraction, const char*, void*) {
  // Same ticks as GDALTermProgress (a dot every 2.5 %, a number every 10 %), but on stderr so
  // that stdout stays free for results.
  static int last_tick = -1;
  const int tick = static_cast<int>(fraction * 40.0 + 1e-9);
  if (tick < last_tick || (last_tick < 0 && tick >= 0)) {
    last_tick = -1;
  }
  if (last_tick < 0) {
    std::fputs("0", stderr);
    last_tick = 0;
  }
  while (last_tick < tick && last_tick < 40) {
    ++last_tick;
    if (last_tick % 4 == 0) {
      std::fprintf(stderr, "%d", last_tick / 4 * 10);
    } else {
      std::fputs(".", stderr);
    }
  }
  if (tick >= 40 && last_tick == 40) {
    std::fputs(" - done.\n", stderr);
    last_tick = 41;  // printed once
  }
  std::fflush(stderr);
  return g_cancel_requested ? FALSE : TRUE;
}

}  // namespace geoprosp
