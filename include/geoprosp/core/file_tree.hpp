#pragma once
// Files: folder removal without std::filesystem::remove_all: LibTorch's official builds (and pip's torch)
// export their own copy of it, which the dynamic linker may bind instead of libstdc++'s, and that
// copy crashes (seen with torch 2.11 + CUDA 13; see docs/cuda.md).
#include <string>

namespace geoprosp {

// Removes `path` and everything below it; symbolic links are removed, not followed. True when
// nothing is left (also when there was nothing).
bool RemoveTree(const std::string& path);

// Writes `text` to `path` (created or truncated: write it where an OutputSet staged it); a failure,
// a full disk included, is an Error that names `shown_as` (default: `path`) and the reason.
void WriteTextFile(const std::string& path, const std::string& text, const std::string& shown_as = "");
// The bytes of `path` (any GDAL file system path); empty when it cannot be read.
std::string ReadWholeFile(const std::string& path);

// `relative` resolved against the folder of the running executable, or "" when that is unknown: how
// an installed tool finds its model and plugins wherever the tree was installed or moved to.
std::string BesideExecutable(const std::string& relative);

}  // namespace geoprosp
