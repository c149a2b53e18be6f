#include <gdal_priv.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "geoprosp/core/error.hpp"
#include "geoprosp/core/file_tree.hpp"
#include "geoprosp/io/output_set.hpp"
#include "geoprosp/io/raster_output.hpp"
#include "test_support.hpp"

namespace geoprosp {
namespace {

namespace fs = std::filesystem;

void Write(const std::string& path, const std::string& text) { WriteTextFile(path, text, path); }
std::string Read(const std::string& path) { return ReadWholeFile(path); }

// Every entry of `dir`, hidden ones (the staging folders) included, sorted.
std::vector<std::string> Listing(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

using Names = std::vector<std::string>;

// The message of the Error `run` throws ("" when it throws none).
template <class Run>
std::string ErrorOf(Run run) {
  try {
    run();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(OutputSet, StagesUnderFinalNamesAndCommitsAllTogether) {
  const std::string dir = test::ScratchDir("outputs_commit");
  OutputSet outputs(false);
  const std::string a = outputs.Stage("-o", dir + "/a.txt", OutputForm::File);
  const std::string b = outputs.Stage("--report", dir + "/b.json", OutputForm::File);
  EXPECT_EQ(fs::path(a).filename(), "a.txt");
  EXPECT_EQ(outputs.Stage("-o", dir + "/./a.txt", OutputForm::File), a);  // declared again: the same place
  Write(a, "a");
  Write(b, "b");
  ASSERT_EQ(Listing(dir).size(), 1u);  // only the staging folder, hidden
  EXPECT_EQ(Listing(dir)[0].rfind(".geoprosp-", 0), 0u);
  outputs.Commit();
  EXPECT_EQ(Listing(dir), (Names{"a.txt", "b.json"}));
  EXPECT_EQ(Read(dir + "/a.txt"), "a");
}

TEST(OutputSet, ScratchFilesLiveInTheTemporaryDirectoryAndGoWithTheSet) {
  const std::string dir = test::ScratchDir("outputs_scratch");
  std::string scratch;
  {
    OutputSet outputs(false);
    Write(outputs.Stage("-o", dir + "/a.txt", OutputForm::File), "a");
    scratch = outputs.Scratch("c.tif");
    EXPECT_EQ(outputs.Scratch("d.tif"), fs::path(scratch).parent_path() / "d.tif");  // one folder per set
    Write(scratch, "scratch");
    EXPECT_EQ(fs::path(scratch).parent_path().parent_path(), fs::temp_directory_path());
    outputs.Commit();
    EXPECT_EQ(Listing(dir), (Names{"a.txt"}));  // never moved into place, nor beside the outputs
  }
  EXPECT_FALSE(fs::exists(fs::path(scratch).parent_path()));
  {
    OutputSet uncommitted(false);
    scratch = uncommitted.Scratch("c.tif");
    Write(scratch, "scratch");
  }
  EXPECT_FALSE(fs::exists(fs::path(scratch).parent_path()));
}

TEST(OutputSet, UnstagedShowsTheUsersFolderOnceEvenWhenItHoldsTheStagedOne) {
  EXPECT_EQ(Unstaged("/o/.s/1/p.tif: No space", "/o/.s/1/p.tif", "out/p.tif"), "out/p.tif: No space");
  // A scratch file is shown as it is: the folder shown holds the staged one (this looped for ever).
  EXPECT_EQ(Unstaged("/t/x/c.tif and /t/x/c.tif", "/t/x/c.tif", "/t/x/c.tif"), "/t/x/c.tif and /t/x/c.tif");
}

TEST(OutputSet, AnUncommittedSetLeavesNothing) {
  const std::string dir = test::ScratchDir("outputs_rollback");
  {
    OutputSet outputs(false);
    Write(outputs.Stage("-o", dir + "/a.txt", OutputForm::File), "a");
    // A driver's side files (a shapefile's .shx, an .aux.xml) go with the dataset.
    const std::string tif = outputs.Stage("--classes", dir + "/c.tif", OutputForm::Dataset);
    Write(tif, "tif");
    Write(tif + ".aux.xml", "aux");
  }
  EXPECT_EQ(Listing(dir), Names{});
}

TEST(OutputSet, ADatasetMovesInWithItsSideFilesAndReplacesTheOldOnes) {
  const std::string dir = test::ScratchDir("outputs_dataset");
  test::RasterSpec spec;
  test::WriteRaster(dir + "/c.tif", spec, [](int, int c, int) { return c; });
  Write(dir + "/c.tif.aux.xml", "<PAMDataset></PAMDataset>");  // the old one's, which the new one lacks
  OutputSet outputs(true);
  const std::string gml = outputs.Stage("--areas", dir + "/a.gml", OutputForm::Dataset);
  Write(gml, "gml");
  Write(fs::path(gml).replace_extension(".xsd").string(), "xsd");
  Write(outputs.Stage("--classes", dir + "/c.tif", OutputForm::Dataset), "new");
  outputs.Commit();
  EXPECT_EQ(Listing(dir), (Names{"a.gml", "a.xsd", "c.tif"}));
  EXPECT_EQ(Read(dir + "/c.tif"), "new");
}

TEST(OutputSet, NeverReplacesAFileAnotherRunMadeMeanwhile) {
  const std::string dir = test::ScratchDir("outputs_race");
  OutputSet outputs(false);
  Write(outputs.Stage("--classes", dir + "/c.tif", OutputForm::Dataset), "mine");
  Write(outputs.Stage("-o", dir + "/p.tif", OutputForm::Dataset), "mine");
  Write(dir + "/p.tif", "theirs");  // after validation, before the commit
  const std::string message = ErrorOf([&] { outputs.Commit(); });
  EXPECT_NE(message.find("p.tif: exists"), std::string::npos) << message;
  EXPECT_EQ(Read(dir + "/p.tif"), "theirs");
  EXPECT_FALSE(fs::exists(dir + "/c.tif"));  // moved in first, moved back out
}

TEST(OutputSet, OverwriteRestoresTheOldSetWhenALaterMoveFails) {
  const std::string dir = test::ScratchDir("outputs_restore");
  Write(dir + "/a.txt", "old a");
  OutputSet outputs(true);
  Write(outputs.Stage("-o", dir + "/a.txt", OutputForm::File), "new a");
  Write(outputs.Stage("--report", dir + "/b.txt", OutputForm::File), "new b");
  fs::create_directory(dir + "/b.txt");  // in the way of b.txt
  EXPECT_NE(ErrorOf([&] { outputs.Commit(); }), "");
  EXPECT_EQ(Read(dir + "/a.txt"), "old a");
}

TEST(OutputSet, ExistingOutputsNeedOverwrite) {
  const std::string dir = test::ScratchDir("outputs_exists");
  Write(dir + "/a.txt", "old");
  fs::create_directory(dir + "/folder");
  OutputSet outputs(false);
  EXPECT_NE(ErrorOf([&] { outputs.Stage("-o", dir + "/a.txt", OutputForm::File); }).find("exists; use --overwrite"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] { outputs.Stage("-o", dir + "/folder", OutputForm::Dataset); }).find("is a folder"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] {
              outputs.Stage("-o", dir + "/missing/a.txt", OutputForm::File);
            }).find("folder " + dir + "/missing does not exist"),
            std::string::npos);
  OutputSet replacing(true);
  EXPECT_NE(ErrorOf([&] { replacing.Stage("-o", dir + "/a.txt", OutputForm::Folder); }).find("is not a folder"),
            std::string::npos);
}

TEST(OutputSet, TwoOptionsCannotNameOneFile) {
  const std::string dir = test::ScratchDir("outputs_twice");
  OutputSet outputs(false);
  outputs.Stage("-o", dir + "/a.tif", OutputForm::Dataset);
  EXPECT_THROW(outputs.Stage("--classes", dir + "//a.tif", OutputForm::Dataset), UsageError);
  outputs.Stage("-o2", dir + "/model", OutputForm::Folder);
  EXPECT_THROW(outputs.Stage("--report", dir + "/model/report.json", OutputForm::File), UsageError);
}

TEST(OutputSet, InputsAreNeverOutputsWhateverTheSpelling) {
  const std::string dir = test::ScratchDir("outputs_inputs");
  test::RasterSpec spec;
  const std::string input = test::WriteRaster(dir + "/Cu.tif", spec, [](int, int c, int) { return c; });
  fs::create_directory(dir + "/model");
  Write(dir + "/model/weights.bin", "weights");
  fs::create_hard_link(input, dir + "/hard.tif");
  fs::create_symlink(input, dir + "/soft.tif");
  fs::create_directory(dir + "/sub");
  // A VRT's sources are inputs too.
  GDALDatasetUniquePtr source(GDALDataset::Open(input.c_str(), GDAL_OF_RASTER));
  GDALClose(GetGDALDriverManager()->GetDriverByName("VRT")->CreateCopy((dir + "/sub/stack.vrt").c_str(), source.get(),
                                                                       FALSE, nullptr, nullptr, nullptr));
  source.reset();

  OutputSet outputs(true);
  outputs.AddInput("--model", dir + "/model");
  outputs.AddInput("inputs", dir + "/sub/stack.vrt");
  for (const std::string& spelling : {dir + "/Cu.tif", dir + "/./Cu.tif", dir + "//Cu.tif", dir + "/sub/../Cu.tif",
                                      dir + "/hard.tif", dir + "/soft.tif"}) {
    const std::string message = ErrorOf([&] { outputs.Stage("-o", spelling, OutputForm::Dataset); });
    EXPECT_NE(message.find("is also an input (inputs)"), std::string::npos) << spelling << ": " << message;
  }
  const std::string cwd = fs::current_path();
  fs::current_path(dir);
  EXPECT_NE(ErrorOf([&] { outputs.Stage("-o", "Cu.tif", OutputForm::Dataset); }), "");
  fs::current_path(cwd);
  EXPECT_NE(ErrorOf([&] { outputs.Stage("-o", dir + "/model/weights.bin", OutputForm::File); }).find("(--model)"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] { outputs.Stage("-o", dir + "/model/new.tif", OutputForm::File); }).find("input folder"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] { outputs.Stage("-o", dir + "/model", OutputForm::Folder); }), "");
  // A folder replaced as a whole must hold no input either.
  EXPECT_NE(ErrorOf([&] { outputs.Stage("-o", dir + "/sub", OutputForm::Folder); }).find("stack.vrt, an input"),
            std::string::npos);
  outputs.Commit();
  EXPECT_EQ(Read(dir + "/model/weights.bin"), "weights");
  EXPECT_TRUE(fs::exists(dir + "/sub/stack.vrt"));
  EXPECT_EQ(Listing(dir), (Names{"Cu.tif", "hard.tif", "model", "soft.tif", "sub"}));
}

TEST(OutputSet, ASharedFileMayExistWithTheSameBytes) {
  const std::string dir = test::ScratchDir("outputs_shared");
  Write(dir + "/a.qml", "style");
  {
    OutputSet outputs(false);
    Write(outputs.Stage("--areas", dir + "/a.qml", OutputForm::SharedFile), "style");
    outputs.Commit();
  }
  OutputSet other(false);
  Write(other.Stage("--areas", dir + "/a.qml", OutputForm::SharedFile), "another style");
  EXPECT_NE(ErrorOf([&] { other.Commit(); }).find("exists with other content"), std::string::npos);
  OutputSet replacing(true);
  Write(replacing.Stage("--areas", dir + "/a.qml", OutputForm::SharedFile), "another style");
  replacing.Commit();
  EXPECT_EQ(Read(dir + "/a.qml"), "another style");
  EXPECT_EQ(Listing(dir), Names{"a.qml"});
}

TEST(OutputSet, AFolderIsReplacedAsAWhole) {
  const std::string dir = test::ScratchDir("outputs_folder");
  fs::create_directory(dir + "/model");
  Write(dir + "/model/old.bin", "old");
  OutputSet outputs(true);
  const std::string staged = outputs.Stage("-o", dir + "/model", OutputForm::Folder);
  Write(staged + "/weights.bin", "new");
  outputs.Commit();
  EXPECT_EQ(Listing(dir + "/model"), Names{"weights.bin"});
  EXPECT_EQ(Listing(dir), Names{"model"});

  OutputSet racing(false);
  Write(racing.Stage("-o", dir + "/other", OutputForm::Folder) + "/weights.bin", "mine");
  fs::create_directory(dir + "/other");  // made meanwhile
  EXPECT_NE(ErrorOf([&] { racing.Commit(); }).find("exists"), std::string::npos);
  EXPECT_EQ(Listing(dir + "/other"), Names{});
}

TEST(OutputSet, FolderFilesJoinAnExistingFolder) {
  const std::string dir = test::ScratchDir("outputs_folder_files");
  fs::create_directory(dir + "/out");
  Write(dir + "/out/notes.txt", "mine");
  OutputSet outputs(false);
  const std::string staged = outputs.Stage("--out-dir", dir + "/out", OutputForm::FolderFiles);
  Write(staged + "/results.json", "{}");
  outputs.Commit();
  EXPECT_EQ(Listing(dir + "/out"), (Names{"notes.txt", "results.json"}));

  OutputSet again(false);  // results.json exists: nothing of this set moves in
  const std::string staged_again = again.Stage("--out-dir", dir + "/out", OutputForm::FolderFiles);
  Write(staged_again + "/a.csv", "a");
  Write(staged_again + "/results.json", "{\"new\": 1}");
  EXPECT_NE(ErrorOf([&] { again.Commit(); }).find("results.json: exists"), std::string::npos);
  EXPECT_EQ(Listing(dir + "/out"), (Names{"notes.txt", "results.json"}));
  EXPECT_EQ(Read(dir + "/out/results.json"), "{}");

  OutputSet fresh(false);  // a missing folder is made, with its missing parents, all at the end
  Write(fresh.Stage("--out-dir", dir + "/new/deeper/grids", OutputForm::FolderFiles) + "/results.json", "{}");
  EXPECT_EQ(Listing(dir).size(), 2u);  // out and the staging folder: nothing of new/ yet
  fresh.Commit();
  EXPECT_EQ(Listing(dir + "/new/deeper/grids"), Names{"results.json"});
  EXPECT_EQ(Listing(dir), (Names{"new", "out"}));
}

TEST(OutputSet, WorksInVsimem) {
  {
    OutputSet outputs(false);
    Write(outputs.Stage("-o", "/vsimem/outputs/a.txt", OutputForm::File), "a");
  }
  VSIStatBufL stat;
  EXPECT_NE(VSIStatL("/vsimem/outputs/a.txt", &stat), 0);
  OutputSet outputs(false);
  Write(outputs.Stage("-o", "/vsimem/outputs/a.txt", OutputForm::File), "a");
  outputs.Commit();
  EXPECT_EQ(Read("/vsimem/outputs/a.txt"), "a");
  EXPECT_EQ(CPLStringList(VSIReadDir("/vsimem/outputs"), TRUE).size(), 1);
  VSIRmdirRecursive("/vsimem/outputs");
}

TEST(RasterOutput, RefusesFormatsThatCannotHoldTheValues) {
  for (const char* format : {"PNG", "JPEG", "GIF", "MEM", "VRT"}) {
    EXPECT_THROW(CheckRasterFormat({"out", format, {}}, OutputKind::Probability), UsageError) << format;
  }
  EXPECT_THROW(CheckRasterFormat({"out", "PNG", {}}, OutputKind::Spread), UsageError);
  EXPECT_NO_THROW(CheckRasterFormat({"out", "COG", {}}, OutputKind::Probability));
  EXPECT_NO_THROW(CheckRasterFormat({"out", "PNG", {}}, OutputKind::Classes));  // Byte
}

Grid TestGrid() { return test::UtmGrid(40, 30); }

TEST(RasterOutput, BadCreationOptionsFailBeforeAnyWork) {
  const std::string dir = test::ScratchDir("raster_bad_co");
  OutputSet outputs(false);
  const std::string path = outputs.Stage("-o", dir + "/p.tif", OutputForm::Dataset);
  EXPECT_THROW(RasterOutput(path, {dir + "/p.tif", "COG", {"BLOCKSIZE=7"}}, TestGrid(), OutputKind::Probability),
               UsageError);
  EXPECT_THROW(
      RasterOutput(path, {dir + "/p.tif", "GTiff", {"TILED=YES", "BLOCKXSIZE=7"}}, TestGrid(), OutputKind::Probability),
      Error);
}

TEST(RasterOutput, AFormatThatDropsTheCrsIsAnError) {
  // Golden Software's binary grid writes Float32 but keeps no CRS: a map that would look right
  // in the wrong place.
  const std::string dir = test::ScratchDir("raster_lossy");
  OutputSet outputs(false);
  const Grid grid = TestGrid();
  RasterOutput raster(outputs.Stage("-o", dir + "/p.grd", OutputForm::Dataset), {dir + "/p.grd", "GSBG", {}}, grid,
                      OutputKind::Probability);
  const std::vector<float> rows(size_t(grid.width) * grid.height, 0.5f);
  raster.WriteRows(0, grid.height, rows.data());
  try {
    raster.Finish(Progress{});
    ADD_FAILURE() << "GSBG accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("did not keep"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace geoprosp
