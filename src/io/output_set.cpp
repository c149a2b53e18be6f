#include "geoprosp/io/output_set.hpp"

#include <cpl_conv.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <fcntl.h>
#include <ftw.h>
#include <gdal.h>
#include <gdal_priv.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <system_error>

#include "geoprosp/core/error.hpp"
#include "geoprosp/core/file_tree.hpp"
#include "geoprosp/io/open_input.hpp"

namespace fs = std::filesystem;

namespace geoprosp {
namespace {

bool IsVsi(const std::string& path) { return path.rfind("/vsi", 0) == 0; }

std::string ErrnoText(int number) { return std::error_code(number, std::generic_category()).message(); }

struct FileId {
  dev_t device = 0;
  ino_t inode = 0;
  bool operator==(const FileId& other) const { return device == other.device && inode == other.inode; }
};

// Device and inode of what `path` names, links followed; none for a missing or /vsi path.
std::optional<FileId> IdOf(const std::string& path) {
  struct stat info;
  if (IsVsi(path) || stat(path.c_str(), &info) != 0) return std::nullopt;
  return FileId{info.st_dev, info.st_ino};
}

bool Exists(const std::string& path) {  // a dangling link exists too
  if (IsVsi(path)) {
    VSIStatBufL info;
    return VSIStatExL(path.c_str(), &info, VSI_STAT_EXISTS_FLAG) == 0;
  }
  struct stat info;
  return lstat(path.c_str(), &info) == 0;
}

bool IsFolder(const std::string& path) {
  if (IsVsi(path)) {
    VSIStatBufL info;
    return VSIStatL(path.c_str(), &info) == 0 && VSI_ISDIR(info.st_mode);
  }
  struct stat info;
  return stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

// Absolute and without ./, // or ..; /vsi paths as given.
std::string Normal(const std::string& path) {
  if (IsVsi(path)) return path;
  std::string normal = fs::absolute(path).lexically_normal().string();
  while (normal.size() > 1 && normal.back() == '/') normal.pop_back();
  return normal;
}

std::string Parent(const std::string& path) { return CPLGetPath(path.c_str()); }
std::string NameOf(const std::string& path) { return CPLGetFilename(path.c_str()); }
std::string Join(const std::string& folder, const std::string& name) { return folder + "/" + name; }

std::vector<std::string> SplitPath(const std::string& relative) {
  std::vector<std::string> parts;
  for (const auto& part : fs::path(relative)) {
    if (!part.empty() && part != "/") parts.push_back(part.string());
  }
  return parts;
}

std::vector<std::string> Entries(const std::string& folder) {
  std::vector<std::string> names;
  const CPLStringList entries(VSIReadDir(folder.c_str()), TRUE);
  for (int i = 0; i < entries.size(); ++i) {
    if (strcmp(entries[i], ".") != 0 && strcmp(entries[i], "..") != 0) names.push_back(entries[i]);
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Every file and folder below `folder`, links not followed.
std::vector<std::string> Below(const std::string& folder) {
  std::vector<std::string> paths;
  for (const auto& name : Entries(folder)) {
    const std::string path = Join(folder, name);
    paths.push_back(path);
    struct stat info;
    const bool real_folder = IsVsi(path) ? IsFolder(path) : lstat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
    if (real_folder) {
      for (auto& below : Below(path)) paths.push_back(std::move(below));
    }
  }
  return paths;
}

void RemoveAll(const std::string& path) {
  if (IsVsi(path)) {
    VSIRmdirRecursive(path.c_str());
  } else {
    RemoveTree(path);
  }
}

void MakeFolder(const std::string& path, const std::string& output) {
  if (VSIMkdir(path.c_str(), 0777) != 0) throw Error(output, "cannot be staged: cannot create " + path);
}

void Rename(const std::string& from, const std::string& to) {
  if (IsVsi(from) ? VSIRename(from.c_str(), to.c_str()) != 0 : std::rename(from.c_str(), to.c_str()) != 0)
    throw Error(to, "cannot be moved into place from " + from + ": " + ErrnoText(errno));
}

// Moves `from` to `to` unless `to` exists (then false): atomically where the file system allows.
bool MoveNoReplace(const std::string& from, const std::string& to) {
  if (IsVsi(from)) {
    if (Exists(to)) return false;
    Rename(from, to);
    return true;
  }
  if (renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return true;
  if (errno == EEXIST) return false;
  if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
    throw Error(to, "cannot be moved into place: " + ErrnoText(errno));
  // No RENAME_NOREPLACE here (some network and FUSE file systems): mkdir() and link() fail on an
  // existing name too.
  if (IsFolder(from)) {
    if (mkdir(to.c_str(), 0777) != 0) {
      if (errno == EEXIST) return false;
      throw Error(to, "cannot be created: " + ErrnoText(errno));
    }
    for (const auto& name : Entries(from)) Rename(Join(from, name), Join(to, name));
    rmdir(from.c_str());
    return true;
  }
  if (link(from.c_str(), to.c_str()) == 0) {
    unlink(from.c_str());
    return true;
  }
  if (errno == EEXIST) return false;
  if (Exists(to)) return false;  // no hard links either (FAT): checked, then renamed
  Rename(from, to);
  return true;
}

// Swaps two existing names atomically; false where the file system cannot.
bool Exchange(const std::string& a, const std::string& b) {
  if (IsVsi(a)) return false;
  if (renameat2(AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE) == 0) return true;
  if (errno == EINVAL || errno == ENOSYS || errno == ENOTSUP) return false;
  throw Error(b, "cannot be replaced: " + ErrnoText(errno));
}

// The files of the GDAL dataset at `target` that share its name (a.shp: a.shx, a.dbf, a.prj;
// a.tif: a.tif.aux.xml), which a new dataset there replaces. Never files elsewhere, such as a
// VRT's sources.
std::vector<std::string> DatasetFiles(const std::string& target) {
  std::vector<std::string> files = {target};
  CPLPushErrorHandler(CPLQuietErrorHandler);
  GDALDatasetH dataset = GDALDataset::ToHandle(OpenInput(target, GDAL_OF_RASTER | GDAL_OF_VECTOR));
  CPLPopErrorHandler();
  if (!dataset) return files;
  const CPLStringList list(GDALGetFileList(dataset), TRUE);
  GDALClose(dataset);
  const std::string folder = Parent(target), name = NameOf(target), stem = CPLGetBasename(target.c_str());
  for (int i = 0; i < list.size(); ++i) {
    const std::string file = Normal(list[i]);
    const std::string file_name = NameOf(file);
    if (Parent(file) != folder || file == target) continue;
    if (file_name.rfind(name, 0) == 0 || file_name.rfind(stem + ".", 0) == 0) files.push_back(file);
  }
  return files;
}

std::string HostName() {
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  std::string name;
  for (const char* c = host; *c && *c != '.' && name.size() < 32; ++c)
    name += std::isalnum(static_cast<unsigned char>(*c)) || *c == '-' ? *c : '_';
  return name.empty() ? "host" : name;
}

}  // namespace

struct OutputSet::Input {
  std::string option, path;
  FileId id;
  bool folder = false;
};

struct OutputSet::Output {
  std::string option, path;  // as given
  std::string target;        // normalised
  std::string top;           // `target`, or its outermost missing parent (FolderFiles)
  OutputForm form;
  std::string staged;      // what the caller writes
  std::string staged_top;  // what moves to `top`
  std::string slot;        // the staging subfolder that holds `staged` (and a driver's side files)
  std::string root;        // the staging folder
  bool existed = false;
};

struct OutputSet::Staging {
  std::string folder, root;
};

struct OutputSet::Step {
  enum Kind { Installed, Swapped, MovedAside } kind;
  std::string staged, target;  // Installed: staged -> target; Swapped: both; MovedAside: target -> staged
};

OutputSet::OutputSet(bool overwrite) : overwrite_(overwrite) {}

OutputSet::~OutputSet() {
  if (!scratch_.empty()) RemoveAll(scratch_);
  if (committed_) return;
  for (const auto& staging : stagings_) RemoveAll(staging->root);
}

OutputSet::OutputSet(OutputSet&& other) noexcept
    : overwrite_(other.overwrite_),
      committed_(other.committed_),
      inputs_(std::move(other.inputs_)),
      outputs_(std::move(other.outputs_)),
      stagings_(std::move(other.stagings_)),
      scratch_(std::move(other.scratch_)) {
  other.stagings_.clear();
  other.outputs_.clear();
  other.scratch_.clear();
}

OutputSet& OutputSet::operator=(OutputSet&& other) noexcept {
  if (this == &other) return *this;
  if (!committed_) {
    for (const auto& staging : stagings_) RemoveAll(staging->root);
  }
  if (!scratch_.empty()) RemoveAll(scratch_);
  overwrite_ = other.overwrite_;
  committed_ = other.committed_;
  inputs_ = std::move(other.inputs_);
  outputs_ = std::move(other.outputs_);
  stagings_ = std::move(other.stagings_);
  scratch_ = std::move(other.scratch_);
  other.stagings_.clear();
  other.outputs_.clear();
  other.scratch_.clear();
  return *this;
}

void OutputSet::AddInput(const std::string& option, const std::string& path) {
  if (path.empty()) return;
  const auto add = [&](const std::string& file) {
    const auto id = IdOf(file);
    if (!id) return;
    for (const auto& input : inputs_) {
      if (input.id == *id) return;
    }
    inputs_.push_back({option, file, *id, IsFolder(file)});
  };
  add(path);
  if (IsFolder(path)) {
    for (const auto& file : Below(path)) add(file);
    return;
  }
  // A dataset's other files: a VRT's sources, a shapefile's .shx and .dbf, an .aux.xml.
  CPLPushErrorHandler(CPLQuietErrorHandler);
  GDALDatasetH dataset = GDALDataset::ToHandle(OpenInput(path, GDAL_OF_RASTER | GDAL_OF_VECTOR));
  CPLPopErrorHandler();
  if (!dataset) return;
  const CPLStringList files(GDALGetFileList(dataset), TRUE);
  GDALClose(dataset);
  for (int i = 0; i < files.size(); ++i) add(files[i]);
}

void OutputSet::AddInputs(const std::vector<std::pair<std::string, std::string>>& inputs) {
  for (const auto& [option, path] : inputs) AddInput(option, path);
}

void OutputSet::CheckNotInput(const std::string& output, const std::string& file) const {
  const auto id = IdOf(file);
  if (!id) return;
  for (const auto& input : inputs_) {
    if (!(input.id == *id)) continue;
    if (Normal(file) == Normal(output))
      throw Error(output, "is also an input (" + input.option + "); inputs are never modified or replaced");
    throw Error(output,
                "would replace " + file + ", an input (" + input.option + "); inputs are never modified or replaced");
  }
}

void OutputSet::CheckOutsideInputFolders(const std::string& output, const std::string& folder) const {
  if (IsVsi(folder)) return;
  std::error_code error;
  for (fs::path p = fs::canonical(folder, error); !error && !p.empty(); p = p.parent_path()) {
    const auto id = IdOf(p.string());
    for (const auto& input : inputs_) {
      if (input.folder && id && input.id == *id)
        throw Error(output, "lies inside " + input.path + ", an input folder (" + input.option +
                                "); inputs are never modified");
    }
    if (p == p.root_path()) break;
  }
}

const OutputSet::Staging& OutputSet::StagingFor(const std::string& folder, const std::string& path) {
  for (const auto& staging : stagings_) {
    if (staging->folder == folder) return *staging;
  }
  auto staging = std::make_unique<Staging>();
  staging->folder = folder;
  const std::string prefix = Join(folder, ".geoprosp-" + HostName() + "-" + std::to_string(getpid()) + "-");
  if (IsVsi(folder)) {
    staging->root = prefix + std::to_string(stagings_.size());
    if (VSIMkdir(staging->root.c_str(), 0777) != 0) throw Error(path, "cannot be written in " + folder);
  } else {
    std::string name = prefix + "XXXXXX";
    if (!mkdtemp(name.data())) {
      const int number = errno;
      if (number == ENOENT) throw Error(path, "cannot be written: folder " + folder + " does not exist");
      if (number == ENOTDIR) throw Error(path, "cannot be written: " + folder + " is not a folder");
      if (number == EACCES || number == EPERM)
        throw Error(path, "cannot be written: folder " + folder + " is not writable");
      throw Error(path, "cannot be written in folder " + folder + ": " + ErrnoText(number));
    }
    staging->root = name;
  }
  stagings_.push_back(std::move(staging));
  return *stagings_.back();
}

std::string OutputSet::Stage(const std::string& option, const std::string& path, OutputForm form) {
  if (path.empty()) throw UsageError(option, "needs a path");
  const std::string target = Normal(path);
  const std::string name = NameOf(target);
  if (name.empty() || name == "." || name == "..") throw Error(path, "does not name a file");
  const bool folder_form = form == OutputForm::Folder || form == OutputForm::FolderFiles;
  const auto inside = [](const std::string& child, const std::string& folder) {
    return child.size() > folder.size() && child.compare(0, folder.size(), folder) == 0 && child[folder.size()] == '/';
  };
  const auto parent = IdOf(Parent(target));
  for (const auto& other : outputs_) {
    if (other.target == target || (NameOf(other.target) == name && parent && IdOf(Parent(other.target)) == parent)) {
      if (other.option == option && other.form == form) return other.staged;
      throw UsageError(option, path + " is also the " + other.option + " output");
    }
    const bool other_folder = other.form == OutputForm::Folder || other.form == OutputForm::FolderFiles;
    if ((other_folder && inside(target, other.target)) || (folder_form && inside(other.target, target)))
      throw UsageError(option, path + " and the " + other.option + " output " + other.path + " lie inside each other");
  }

  const bool exists = Exists(target), is_folder = exists && IsFolder(target);
  if (!folder_form && is_folder) throw Error(path, "is a folder; give a file name");
  if (folder_form && exists && !is_folder) throw Error(path, "exists and is not a folder; refusing to replace it");
  if (exists && !overwrite_ && form != OutputForm::SharedFile && form != OutputForm::FolderFiles)
    throw Error(path, "exists; use --overwrite to replace it");
  if (exists) {
    CheckNotInput(path, target);
    if (form == OutputForm::Dataset) {
      for (const auto& file : DatasetFiles(target)) CheckNotInput(path, file);
    } else if (form == OutputForm::Folder) {
      for (const auto& file : Below(target)) CheckNotInput(path, file);
    }
  }
  // FolderFiles: a missing folder is made with its missing parents; the outermost of them moves
  // into place at the end, with everything below it.
  std::string top = target;
  while (form == OutputForm::FolderFiles && !Exists(top) && !Exists(Parent(top)) && Parent(top) != top)
    top = Parent(top);
  const std::string folder = form == OutputForm::FolderFiles && is_folder ? target : Parent(top);
  const Staging& staging = StagingFor(folder, path);
  CheckOutsideInputFolders(path, folder);
  const std::string slot = Join(staging.root, std::to_string(outputs_.size()));
  MakeFolder(slot, path);
  const std::string staged_top = Join(slot, NameOf(top));
  std::string staged = staged_top;
  if (folder_form) MakeFolder(staged, path);
  for (const std::string& below : SplitPath(target.substr(top.size()))) {
    staged = Join(staged, below);
    MakeFolder(staged, path);
  }
  outputs_.push_back({option, path, target, top, form, staged, staged_top, slot, staging.root, exists});
  return staged;
}

std::string OutputSet::Scratch(const std::string& name) {
  if (scratch_.empty()) {
    const char* tmp = CPLGetConfigOption("CPL_TMPDIR", nullptr);
    if (!tmp || !*tmp) tmp = getenv("TMPDIR");
    std::string folder = Join(tmp && *tmp ? tmp : "/tmp", "geoprosp-scratch-XXXXXX");
    if (!mkdtemp(folder.data()))
      throw Error(folder.substr(0, folder.size() - 6),
                  "cannot be created for a scratch file: " + ErrnoText(errno) + " (set TMPDIR to a writable folder)");
    scratch_ = folder;
  }
  return Join(scratch_, name);
}

void OutputSet::CommitOutput(const Output& output, std::vector<Step>& steps) {
  const std::string& target = output.target;
  std::string backup_prefix = Join(output.root, "old-");
  int backups = 0;
  const auto exists_message = [&] {
    return output.existed ? std::string("exists; use --overwrite to replace it")
                          : std::string(
                                "exists: another run wrote it while this one worked; use --overwrite to "
                                "replace it");
  };
  // Moves `staged` to `to`; an existing `to` is swapped out only with --overwrite.
  const auto install = [&](const std::string& staged, const std::string& to) {
    if (overwrite_ && Exists(to)) {
      CheckNotInput(output.path, to);
      if (IsFolder(to) != IsFolder(staged)) throw Error(to, "is in the way of " + output.path);
      if (Exchange(staged, to)) {
        steps.push_back({Step::Swapped, staged, to});
        return;
      }
      const std::string backup = backup_prefix + std::to_string(backups++);
      Rename(to, backup);
      steps.push_back({Step::MovedAside, backup, to});
    }
    if (!MoveNoReplace(staged, to)) throw Error(to == target ? output.path : to, exists_message());
    steps.push_back({Step::Installed, staged, to});
  };
  backup_prefix += std::to_string(&output - outputs_.data()) + "-";

  switch (output.form) {
    case OutputForm::Dataset: {
      const auto files = Entries(output.slot);
      if (files.empty()) throw Error(output.path, "was not written");
      const auto old_files = overwrite_ && Exists(target) ? DatasetFiles(target) : std::vector<std::string>();
      for (const auto& file : old_files) CheckNotInput(output.path, file);
      std::vector<std::string> installed;
      for (const auto& file : files) {
        installed.push_back(Join(Parent(target), file));
        install(Join(output.slot, file), installed.back());
      }
      for (const auto& old : old_files) {  // old side files the new dataset does not have
        if (std::find(installed.begin(), installed.end(), old) != installed.end() || !Exists(old)) continue;
        const std::string backup = backup_prefix + std::to_string(backups++);
        Rename(old, backup);
        steps.push_back({Step::MovedAside, backup, old});
      }
      break;
    }
    case OutputForm::File:
    case OutputForm::Folder:
      if (output.form == OutputForm::Folder && overwrite_ && Exists(target)) {
        for (const auto& file : Below(target)) CheckNotInput(output.path, file);
      }
      install(output.staged, target);
      break;
    case OutputForm::SharedFile: {
      const auto same = [&] { return ReadWholeFile(target) == ReadWholeFile(output.staged); };
      if (Exists(target)) {
        if (same()) break;
        if (!overwrite_) throw Error(target, "exists with other content; use --overwrite to replace it");
        install(output.staged, target);
      } else if (MoveNoReplace(output.staged, target)) {
        steps.push_back({Step::Installed, output.staged, target});
      } else if (!same()) {  // another run wrote it meanwhile
        throw Error(target, "exists with other content; use --overwrite to replace it");
      }
      break;
    }
    case OutputForm::FolderFiles:
      if (!Exists(output.top) && MoveNoReplace(output.staged_top, output.top)) {
        steps.push_back({Step::Installed, output.staged_top, output.top});
        break;
      }
      // The folder is there (or another run made it meanwhile): its files join it one by one.
      if (!Exists(target) && !IsVsi(target)) {
        std::error_code error;
        fs::create_directories(target, error);
      }
      if (!IsFolder(target)) throw Error(output.path, "exists and is not a folder");
      for (const auto& file : Entries(output.staged)) install(Join(output.staged, file), Join(target, file));
      break;
  }
}

void OutputSet::Undo(std::vector<Step>& steps) noexcept {
  for (auto step = steps.rbegin(); step != steps.rend(); ++step) {
    try {
      switch (step->kind) {
        case Step::Installed:
          Rename(step->target, step->staged);
          break;
        case Step::Swapped:
          if (!Exchange(step->staged, step->target)) Rename(step->staged, step->target);
          break;
        case Step::MovedAside:
          Rename(step->staged, step->target);
          break;
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "geoprosp: warning: could not undo a move: %s\n", e.what());
    }
  }
  steps.clear();
}

std::string Unstaged(const std::string& message, const std::string& staged, const std::string& path) {
  const std::string slot = Parent(staged) + "/", folder = Parent(path);
  const std::string shown = folder.empty() ? "" : folder + "/";
  std::string text = message;
  // Past each replacement: the shown folder may itself hold `slot` (a scratch file shown as it is).
  for (size_t at = 0; !slot.empty() && (at = text.find(slot, at)) != std::string::npos; at += shown.size())
    text.replace(at, slot.size(), shown);
  return text;
}

void OutputSet::Commit() {
  if (committed_) return;
  std::vector<Step> steps;
  try {
    for (const auto& output : outputs_) CommitOutput(output, steps);
  } catch (...) {
    Undo(steps);
    for (const auto& staging : stagings_) RemoveAll(staging->root);
    stagings_.clear();
    outputs_.clear();
    throw;
  }
  committed_ = true;
  for (const auto& staging : stagings_) RemoveAll(staging->root);
}

}  // namespace geoprosp
