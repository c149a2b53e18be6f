#include "geoprosp/core/progress.hpp"

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <string>

#include "geoprosp/core/error.hpp"

namespace geoprosp {
namespace {
volatile std::sig_atomic_t g_cancel_requested = 0;
// The first signal asks the run to stop cleanly (its outputs removed); a second one stops the process at
// once, so that a run stuck where it cannot check (in a library) can always be stopped.
void OnCancelSignal(int number) {
  if (g_cancel_requested) {
    std::signal(number, SIG_DFL);
    std::raise(number);
  }
  g_cancel_requested = number;
}

const char* SignalName(int number) {
  switch (number) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    case SIGHUP:
      return "SIGHUP";
  }
  return "a signal";
}
}  // namespace

void Progress::Report(double fraction, const char* message) const {
  if (func(fraction, message, data)) return;
  if (g_cancel_requested) throw Cancelled(std::string("cancelled by ") + SignalName(g_cancel_requested));
  throw Cancelled();
}

ScaledProgress::ScaledProgress(const Progress& parent, double start, double end)
    : scaled_(GDALCreateScaledProgress(start, end, parent.func, parent.data)) {}

ScaledProgress::~ScaledProgress() { GDALDestroyScaledProgress(scaled_); }

void InstallCancelSignalHandlers() {
  // SIGHUP too: a closed terminal or ssh session must not kill a run half-way (its outputs
  // would stay staged); the run stops at its next progress report and removes them.
  for (int number : {SIGINT, SIGTERM, SIGHUP}) std::signal(number, OnCancelSignal);
  // Past a file-size limit (ulimit -f) a write then fails with EFBIG, and the run cleans up,
  // instead of the process being killed with its outputs staged.
  std::signal(SIGXFSZ, SIG_IGN);
}

CancelSignalScope::~CancelSignalScope() {
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
}

int CPL_STDCALL QuietProgress(double, const char*, void*) { return g_cancel_requested ? FALSE : TRUE; }

int CPL_STDCALL TerminalProgress(double fraction, const char*, void*) {
  // Same ticks as GDALTermProgress (a dot every 2.5 %, a number every 10 %), but on stderr so
  // that stdout stays free for results. A fraction below the last one starts a new bar.
  static double last_fraction = -1;
  static int printed = -1;  // ticks printed in this bar; -1 before its "0"
  static bool done = false;
  if (fraction < last_fraction) {
    printed = -1;
    done = false;
  }
  last_fraction = fraction;
  const int tick = std::clamp(static_cast<int>(fraction * 40.0 + 1e-9), 0, 40);
  if (printed < 0) {
    std::fputs("0", stderr);
    printed = 0;
  }
  for (; printed < tick; ++printed) {
    if ((printed + 1) % 4 == 0) {
      std::fprintf(stderr, "%d", (printed + 1) / 4 * 10);
    } else {
      std::fputs(".", stderr);
    }
  }
  if (tick == 40 && !done) {
    std::fputs(" - done.\n", stderr);
    done = true;
  }
  std::fflush(stderr);
  return g_cancel_requested ? FALSE : TRUE;
}

}  // namespace geoprosp
