#include "geoprosp/io/open_input.hpp"

#include <gdal_pam.h>
#include <gdal_priv.h>

namespace geoprosp {

GDALDataset* OpenInput(const std::string& path, unsigned int flags, const char* const* open_options) {
  GDALDataset* dataset = GDALDataset::Open(path.c_str(), flags | GDAL_OF_READONLY, nullptr, open_options);
  if (dataset && (dataset->GetMOFlags() & GMO_PAM_CLASS)) {
    auto* pam = static_cast<GDALPamDataset*>(dataset);
    pam->SetPamFlags(pam->GetPamFlags() | GPF_NOSAVE);
  }
  return dataset;
}

}  // namespace geoprosp
