#pragma once
// Inputs are opened read-only and stay untouched: GDAL may compute statistics or other auxiliary
// information while reading, and would save it beside the file (<name>.aux.xml) on close.
#include <string>

class GDALDataset;

namespace geoprosp {

// GDALDataset::Open(path, flags | GDAL_OF_READONLY, ..., open_options), with the dataset's PAM
// told never to save (its existing .aux.xml is still read). Null when GDAL cannot open it.
GDALDataset* OpenInput(const std::string& path, unsigned int flags, const char* const* open_options = nullptr);

}  // namespace geoprosp
