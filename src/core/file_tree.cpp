#include "geoprosp/core/file_tree.hpp"

#include <ftw.h>
#include <sys/stat.h>

#include <cstdio>

namespace geoprosp {

bool RemoveTree(const std::string& path) {
  struct stat info;
  if (lstat(path.c_str(), &info) != 0) return true;
  // Depth first, so that folders are empty when their turn comes; FTW_PHYS does not follow links.
  const auto remove_entry = [](const char* entry, const struct stat*, int, struct FTW*) {
    return std::remove(entry) == 0 ? 0 : -1;
  };
  return nftw(path.c_str(), remove_entry, 16, FTW_DEPTH | FTW_PHYS) == 0;
}

}  // namespace geoprosp
