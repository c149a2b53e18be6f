#include "geoprosp/core/file_tree.hpp"

#include <ftw.h>
#include <sys/stat.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "geoprosp/core/error.hpp"

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

void WriteTextFile(const std::string& path, const std::string& text) {
  const std::string temporary = path + ".tmp" + std::to_string(getpid());
  {
    std::ofstream out(temporary, std::ios::binary);
    out << text;
    out.flush();
    if (!out) {
      std::remove(temporary.c_str());
      throw Error(path, "cannot be written");
    }
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    std::remove(temporary.c_str());
    throw Error(path, "cannot be moved into place");
  }
}

}  // namespace geoprosp
