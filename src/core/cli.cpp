#include "geoprosp/core/cli.hpp"

#include <cpl_error.h>
#include <gdal.h>

#include <omp.h>
#include <sched.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>
#include <system_error>

namespace geoprosp {
namespace {
// The tool's name for messages: a plain array, usable before any static object is constructed (a
// library's initialiser may fail before main).
char g_program[64] = "geoprosp";
void SetProgram(const char* name) {
  std::strncpy(g_program, name, sizeof(g_program) - 1);
  g_program[sizeof(g_program) - 1] = '\0';
}
std::atomic<bool> g_gdal_out_of_memory{false};
std::atomic<bool> g_failure_reported{false};
std::atomic<bool> g_in_run{false};

// OpenBLAS starts a thread per CPU when it is initialised. Each reserves a 128 MB buffer at start
// and, when it cannot have it, retries for ever (blas_memory_alloc loops until mmap succeeds), so
// under a memory limit a tool burnt those CPUs and then hung at exit, joining the threads, deaf to
// SIGTERM. geoprosp parallelises itself and never wants BLAS threads (see
// ../shared/recipes/machine-notes.md), but OPENBLAS_NUM_THREADS cannot be set from inside the
// process in time: libc, initialised after the .preinit_array below, resets the environment.
// OpenBLAS also counts the CPUs this process may use, though, so the executable's .preinit_array
// (run before any library is initialised) lets it see one, and SetUpProcess gives the others back.
// Left alone when the user set OPENBLAS_NUM_THREADS or pins OpenMP threads to places.
cpu_set_t g_allowed_cpus;
bool g_cpus_narrowed = false;

bool InEnvironment(char** envp, const char* name) {
  const size_t length = std::strlen(name);
  for (char** e = envp; *e; ++e) {
    if (std::strncmp(*e, name, length) == 0 && (*e)[length] == '=') return true;
  }
  return false;
}

[[noreturn]] void OnTerminate();

// Runs before any library is initialised: the tool's name and the terminate handler for a library
// initialiser that runs out of memory (LibTorch's can), then the CPU mask that OpenBLAS counts.
void BeforeLibraries(int, char** argv, char** envp) {
  if (argv && argv[0]) SetProgram(std::strrchr(argv[0], '/') ? std::strrchr(argv[0], '/') + 1 : argv[0]);
  std::set_terminate(OnTerminate);
  for (const char* name : {"OPENBLAS_NUM_THREADS", "OMP_PROC_BIND", "OMP_PLACES", "GOMP_CPU_AFFINITY"}) {
    if (InEnvironment(envp, name)) return;
  }
  if (sched_getaffinity(0, sizeof(g_allowed_cpus), &g_allowed_cpus) != 0 || CPU_COUNT(&g_allowed_cpus) < 2) return;
  cpu_set_t one;
  CPU_ZERO(&one);
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &g_allowed_cpus)) {
      CPU_SET(cpu, &one);
      break;
    }
  }
  g_cpus_narrowed = sched_setaffinity(0, sizeof(one), &one) == 0;
}
__attribute__((section(".preinit_array"), used)) void (*const kBeforeLibraries)(int, char**, char**) = BeforeLibraries;

// Gives the process back the CPUs it may use; OpenMP's default team, sized while it saw one, too.
void RestoreCpus() {
  if (!g_cpus_narrowed) return;
  g_cpus_narrowed = false;
  sched_setaffinity(0, sizeof(g_allowed_cpus), &g_allowed_cpus);
  if (!std::getenv("OMP_NUM_THREADS")) omp_set_num_threads(CPU_COUNT(&g_allowed_cpus));
}

// GDAL errors become geoprosp::Error messages (through LastGdalError), so only warnings are
// printed here, in the tool's own voice. Failed allocations are remembered: the error that ends the
// run may be a consequence ("IReadBlock failed"), not the cause.
void CPL_STDCALL GdalMessageHandler(CPLErr level, CPLErrorNum number, const char* message) {
  if (number == CPLE_OutOfMemory) g_gdal_out_of_memory = true;
  if (level == CE_Warning) std::fprintf(stderr, "%s: warning: %s\n", g_program, message);
}

// LibTorch reports failed allocations as c10::Error, whose type only training/ may see.
bool SaysOutOfMemory(const char* what) {
  return std::strstr(what, "can't allocate memory") || std::strstr(what, "out of memory") ||
         std::strstr(what, "Out of memory");
}

// An exception escaping a thread or an OpenMP region ends here instead of in abort().
[[noreturn]] void OnTerminate() {
  if (std::current_exception()) {
    ReportFailure(g_program, std::current_exception());
    std::quick_exit(1);
  }
  PrintError(g_program, "internal error: terminated");
  std::abort();
}

// A library that calls exit() in the middle of a run (libgomp does when it cannot start a thread)
// has printed its own reason; say what it usually means, in the tool's voice.
void OnExit() {
  if (!g_failure_reported && g_in_run)
    PrintError(g_program, "stopped by a library (its message is above): usually memory or threads ran out");
}
}  // namespace

RunScope::RunScope() { g_in_run = true; }
RunScope::~RunScope() { g_in_run = false; }

std::string VersionText(const std::string& program) {
  return program + " " + GEOPROSP_VERSION + " (GDAL " + GDALVersionInfo("RELEASE_NAME") + ")";
}

void SetUpProcess(const std::string& program) {
  RestoreCpus();
  SetProgram(program.c_str());
  GDALAllRegister();
  CPLSetErrorHandler(GdalMessageHandler);
  std::set_terminate(OnTerminate);
  std::atexit(OnExit);
}

void PrintError(const std::string& program, const std::string& message) {
  std::fprintf(stderr, "%s: ERROR: %s\n", program.c_str(), message.c_str());
}

int ReportFailure(const std::string& program, std::exception_ptr failure) {
  g_failure_reported = true;
  try {
    std::rethrow_exception(failure);
  } catch (const UsageError& e) {
    PrintError(program, std::string(e.what()) + "\nTry '" + program + " --help'.");
    return 2;
  } catch (const OutOfMemory& e) {
    PrintError(program, e.what());
  } catch (const std::bad_alloc&) {
    PrintError(program, OutOfMemory("").what());
  } catch (const std::system_error& e) {  // std::thread and std::async that cannot start a thread
    if (e.code() == std::errc::resource_unavailable_try_again || e.code() == std::errc::not_enough_memory) {
      PrintError(program, OutOfMemory(std::string("cannot start a thread: ") + e.what()).what());
    } else {
      PrintError(program, e.what());
    }
  } catch (const std::exception& e) {  // geoprosp::Error, and anything from GDAL or LibTorch
    // An OutOfMemory that crossed the LibTorch plugin's boundary arrives as an Error that says so.
    const bool said = std::strstr(e.what(), OutOfMemory("").what() + std::strlen("out of memory"));
    const bool out_of_memory = !said && (g_gdal_out_of_memory || SaysOutOfMemory(e.what()));
    PrintError(program, out_of_memory ? OutOfMemory(e.what()).what() : e.what());
  } catch (...) {
    PrintError(program, "internal error: unknown exception");
  }
  return 1;
}

}  // namespace geoprosp
