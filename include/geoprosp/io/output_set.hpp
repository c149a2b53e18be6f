#pragma once
// The files one run writes, as one set. Each output is staged under its final name inside a
// private folder next to its destination (so a driver's side files, .aux.xml, .shx or .xsd, are
// named right), and at the end all of them move into place together, or none does:
// - a failure, an exception or a cancel before Commit() leaves nothing, temporary files included;
// - Commit() never replaces a file another run made meanwhile (renameat2 RENAME_NOREPLACE, or
//   link(); "exists"), and undoes what it had moved when a later move fails;
// - with --overwrite, old files are swapped out only once the new set is complete, and removed
//   only once all of it is in place;
// - no output is, replaces or removes a file the run reads, however it is spelled (compared by
//   device and inode: relative, ./, //, symbolic and hard links).
// Atomic on local file systems; /vsimem/ (for the library and tests) moves file by file.
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace geoprosp {

enum class OutputForm {
  Dataset,      // a GDAL dataset: every file its driver writes
  File,         // one file
  SharedFile,   // one file several outputs may share (a QGIS style): an identical existing one is kept
  Folder,       // a folder, replaced as a whole (a model bundle)
  FolderFiles,  // files in a folder, made (with its parents) when missing; other files there are left alone
};

class OutputSet {
 public:
  explicit OutputSet(bool overwrite);
  ~OutputSet();  // unless committed: removes the staging folders and all in them
  OutputSet(const OutputSet&) = delete;
  OutputSet& operator=(const OutputSet&) = delete;
  OutputSet(OutputSet&& other) noexcept;
  OutputSet& operator=(OutputSet&& other) noexcept;

  // A file or folder the run reads; `option` says which (e.g. "--deposits"). A GDAL dataset adds
  // every file it consists of (a VRT's sources, a shapefile's parts), a folder every file in it.
  void AddInput(const std::string& option, const std::string& path);
  // (option, path) pairs, as OptionTable::ValuesWithRole(options, "input_") gives them.
  void AddInputs(const std::vector<std::pair<std::string, std::string>>& inputs);

  // Declares an output and checks it before any heavy work: not an input, not another output,
  // absent unless --overwrite, its folder writable. Returns where to write it: the same name in a
  // staging folder. Declaring it again (same option and form) returns the same path.
  std::string Stage(const std::string& option, const std::string& path, OutputForm form);

  // Where to write `name`, a file the run needs only while it works (an intermediate raster): in a
  // private folder of the temporary directory (CPL_TMPDIR, else TMPDIR, else /tmp), so that it takes
  // no room beside the outputs; removed with the set, committed or not, and never moved into place.
  std::string Scratch(const std::string& name);

  // Moves every staged output into place; throws if any cannot be, having undone its moves and
  // removed what it staged.
  void Commit();

  bool overwrite() const { return overwrite_; }

 private:
  struct Input;
  struct Output;
  struct Staging;
  struct Step;
  const Staging& StagingFor(const std::string& folder, const std::string& path);
  void CheckNotInput(const std::string& output, const std::string& file) const;
  void CheckOutsideInputFolders(const std::string& output, const std::string& folder) const;
  void CommitOutput(const Output& output, std::vector<Step>& steps);
  void Undo(std::vector<Step>& steps) noexcept;

  bool overwrite_;
  bool committed_ = false;
  std::vector<Input> inputs_;
  std::vector<Output> outputs_;
  std::vector<std::unique_ptr<Staging>> stagings_;
  std::string scratch_;  // the scratch folder, once made
};

// `message` (a GDAL error, say) with the staging folder of `staged` shown as the folder of `path`,
// the output the user named.
std::string Unstaged(const std::string& message, const std::string& staged, const std::string& path);

}  // namespace geoprosp
