#include "geoprosp/core/file_tree.hpp"

#include <cpl_vsi.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

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

void WriteTextFile(const std::string& path, const std::string& bytes, const std::string& shown_as_given) {
  const std::string& shown_as = shown_as_given.empty() ? path : shown_as_given;
  errno = 0;
  VSILFILE* file = VSIFOpenL(path.c_str(), "wb");
  if (!file) throw Error(shown_as, std::string("cannot be written: ") + std::strerror(errno ? errno : EIO));
  const bool written = VSIFWriteL(bytes.data(), 1, bytes.size(), file) == bytes.size() && VSIFFlushL(file) == 0;
  const int write_error = errno;
  const bool closed = VSIFCloseL(file) == 0;
  if (!written || !closed) {
    const int number = written ? errno : write_error;
    throw Error(shown_as, std::string("cannot be written: ") + std::strerror(number ? number : EIO));
  }
}

std::string ReadWholeFile(const std::string& path) {
  std::string bytes;
  VSILFILE* file = VSIFOpenL(path.c_str(), "rb");
  if (!file) return bytes;
  char buffer[65536];
  for (size_t got; (got = VSIFReadL(buffer, 1, sizeof(buffer), file)) > 0;) bytes.append(buffer, got);
  VSIFCloseL(file);
  return bytes;
}

std::string BesideExecutable(const std::string& relative) {
  char exe[4096];
  const ssize_t length = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (length <= 0) return "";
  const std::string path(exe, static_cast<size_t>(length));
  return path.substr(0, path.rfind('/') + 1) + relative;
}

}  // namespace geoprosp
