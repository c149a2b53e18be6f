#pragma once
// Folder removal without std::filesystem::remove_all: LibTorch's official builds (and pip's torch)
// export their own copy of it, which the dynamic linker may bind instead of libstdc++'s, and that
// copy crashes (seen with torch 2.11 + CUDA 13; see docs/cuda.md).
#include <string>

namespace geoprosp {

// Removes `path` and everything below it; symbolic links are removed, not followed. True when
// nothing is left (also when there was nothing).
bool RemoveTree(const std::string& path);

// Writes `text` to `path` through a temporary name in the same folder, renamed into place only when
// complete; throws Error naming `path` when it cannot.
void WriteTextFile(const std::string& path, const std::string& text);

}  // namespace geoprosp
