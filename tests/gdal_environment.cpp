// Every test process registers GDAL's drivers first, as the tools' main() does: ctest runs each
// test case in a process of its own, so none may rely on another having registered them.
#include <gdal.h>
#include <gtest/gtest.h>

namespace {
class GdalEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { GDALAllRegister(); }
};
const auto* const kGdal = ::testing::AddGlobalTestEnvironment(new GdalEnvironment);
}  // namespace
