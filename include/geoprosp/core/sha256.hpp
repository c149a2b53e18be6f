#pragma once
#include <cstddef>
#include <string>

namespace geoprosp {
// Hex SHA-256 of a buffer (model hashes in manifests and output provenance).
std::string Sha256Hex(const void* data, size_t size);
}  // namespace geoprosp
