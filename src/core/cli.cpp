#include "geoprosp/core/cli.hpp"

#include <cpl_error.h>
#include <gdal.h>

namespace geoprosp {
namespace {
std::string g_program = "geoprosp";

// GDAL errors become geoprosp::Error messages (through LastGdalError), so only warnings are
// printed here, in the tool's own voice.
void CPL_STDCALL GdalMessageHandler(CPLErr level, CPLErrorNum, const char* message) {
  if (level == CE_Warning) std::fprintf(stderr, "%s: warning: %s\n", g_program.c_str(), message);
}
}  // namespace

std::string VersionText(const std::string& program) {
  return program + " " + GEOPROSP_VERSION + " (GDAL " + GDALVersionInfo("RELEASE_NAME") + ")";
}

void InstallGdalMessageHandler(const std::string& program) {
  g_program = program;
  GDALAllRegister();
  CPLSetErrorHandler(GdalMessageHandler);
}

void PrintError(const std::string& program, const std::string& message) {
  std::fprintf(stderr, "%s: ERROR: %s\n", program.c_str(), message.c_str());
}

}  // namespace geoprosp
