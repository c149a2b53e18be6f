#include "geoprosp/apps/grid.hpp"

#include <cpl_conv.h>
#include <cpl_string.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>

#include "geoprosp/core/element_names.hpp"
#include "geoprosp/core/file_tree.hpp"
#include "geoprosp/gridding/grid_definition.hpp"
#include "geoprosp/gridding/gridder.hpp"
#include "geoprosp/io/output_set.hpp"
#include "geoprosp/io/raster_output.hpp"

namespace fs = std::filesystem;

namespace geoprosp {
namespace {

// The search radius and the mask are this many median sample spacings unless given.
constexpr double kSpacingsPerMaxDistance = 3.0;
constexpr const char* kUnit = "ppm";

std::vector<double> ParseSentinels(const std::vector<std::string>& items) {
  OptionSpec spec;
  spec.name = "missing";
  std::vector<double> sentinels;
  for (const auto& item : items) {
    for (const auto& part : SplitList(item)) sentinels.push_back(ParseFloatOption(spec, part));
  }
  return sentinels;
}

std::string Number17(double value) { return CPLSPrintf("%.17g", value); }

std::string Join(const std::vector<std::string>& items, const std::string& separator = ",") {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

std::string Cells(int64_t count) { return std::to_string(count); }

void PrintSummary(const GridSummary& s) {
  const double cell = s.grid.geotransform[1];
  std::printf("Gridded %zu element%s from %lld rows (%lld locations) of %s onto %d x %d cells of %s (%s) in %.2f s.\n",
              s.elements.size(), s.elements.size() == 1 ? "" : "s", static_cast<long long>(s.rows),
              static_cast<long long>(s.locations), s.source.c_str(), s.grid.width, s.grid.height,
              FormatNumber(cell).c_str(), s.grid_crs.c_str(), s.seconds);
  std::printf("  algorithm:    %s\n", s.algorithm.c_str());
  std::printf("  max distance: %s (median spacing %s); farther cells are nodata\n",
              FormatNumber(s.max_distance).c_str(), FormatNumber(s.median_spacing).c_str());
  std::printf("  duplicates:   %s%s\n", s.duplicates.c_str(),
              s.survey_column.empty() ? "" : ("; levelling: " + s.levelling + " by " + s.survey_column).c_str());
  if (s.rows_without_coordinates)
    std::printf("  rows without coordinates (skipped): %lld\n", static_cast<long long>(s.rows_without_coordinates));
  std::printf("  %-8s %-18s %7s %7s %7s %8s %7s %7s %8s %8s %8s\n", "element", "columns", "rows", "missing", "<DL",
              "levelled", "merged", "points", "cells", "<DL", "nodata");
  for (const auto& e : s.elements) {
    std::string columns = Join(e.columns);
    if (columns.size() > 18) columns = columns.substr(0, 15) + "...";
    std::printf("  %-8s %-18s %7lld %7lld %7lld %8lld %7lld %7lld %8s %8s %8s\n", e.element.c_str(), columns.c_str(),
                static_cast<long long>(e.rows), static_cast<long long>(e.missing),
                static_cast<long long>(e.below_detection), static_cast<long long>(e.levelled),
                static_cast<long long>(e.duplicates_merged), static_cast<long long>(e.points),
                Cells(e.valid_cells).c_str(), Cells(e.below_detection_cells).c_str(), Cells(e.nodata_cells).c_str());
  }
  std::printf("  (ppm; <DL: below detection, written as 0 where it dominates a cell, for the clr step to replace)\n");
  std::map<std::string, std::vector<std::string>> by_reason;
  for (const auto& d : s.dropped) {
    const bool coverage = d.reason.find("--min-coverage") != std::string::npos;
    by_reason[coverage ? "measured in too few rows (--min-coverage)" : d.reason].push_back(d.element);
  }
  for (const auto& [reason, elements] : by_reason) {
    std::string names = Join(elements, " ");
    if (elements.size() > 12) names = Join({elements.begin(), elements.begin() + 12}, " ") + " ...";
    std::printf("  skipped %zu: %s: %s\n", elements.size(), reason.c_str(), names.c_str());
  }
  for (const auto& note : s.notes) std::printf("  note: %s\n", note.c_str());
  for (const auto& output : s.outputs) std::printf("  wrote %s\n", output.c_str());
}

}  // namespace

nlohmann::json ToJson(const GridSummary& s) {
  nlohmann::json elements = nlohmann::json::array();
  for (const auto& e : s.elements) {
    nlohmann::json surveys = nlohmann::json::array();
    for (const auto& survey : e.surveys) {
      surveys.push_back({{"survey", survey.survey},
                         {"detected_values", survey.values},
                         {"levelled", survey.levelled},
                         {"median_before", survey.median}});
    }
    elements.push_back(
        {{"element", e.element},
         {"oxide_of", e.oxide_of},
         {"columns", e.columns},
         {"units", e.units},
         {"unit", kUnit},
         {"rows", e.rows},
         {"missing", e.missing},
         {"not_numbers", e.not_numbers},
         {"below_detection", e.below_detection},
         {"levelled", e.levelled},
         {"surveys", surveys},
         {"duplicates_merged", e.duplicates_merged},
         {"points", e.points},
         {"below_detection_points", e.below_detection_points},
         {"unknown_limit_substitute", e.unknown_limit},
         {"cells",
          {{"valid", e.valid_cells}, {"below_detection", e.below_detection_cells}, {"nodata", e.nodata_cells}}},
         {"output", e.output}});
  }
  nlohmann::json dropped = nlohmann::json::array();
  for (const auto& d : s.dropped) dropped.push_back({{"element", d.element}, {"reason", d.reason}});
  const auto& gt = s.grid.geotransform;
  return {{"source",
           {{"path", s.source},
            {"layer", s.layer},
            {"x_field", s.x_field},
            {"y_field", s.y_field},
            {"crs", s.source_crs},
            {"rows", s.rows},
            {"rows_without_coordinates", s.rows_without_coordinates},
            {"locations", s.locations}}},
          {"grid",
           {{"crs", s.grid_crs},
            {"width", s.grid.width},
            {"height", s.grid.height},
            {"geotransform", std::vector<double>(gt.begin(), gt.end())},
            {"extent", {gt[0], gt[3] + gt[5] * s.grid.height, gt[0] + gt[1] * s.grid.width, gt[3]}}}},
          {"algorithm", s.algorithm},
          {"median_spacing", s.median_spacing},
          {"max_distance", s.max_distance},
          {"duplicates", s.duplicates},
          {"levelling", s.survey_column.empty() ? nlohmann::json(nullptr)
                                                : nlohmann::json{{"method", s.levelling}, {"column", s.survey_column}}},
          {"unit", kUnit},
          {"nodata", kElementNodata},
          {"below_detection_value", 0},
          {"elements", elements},
          {"dropped", dropped},
          {"notes", s.notes},
          {"outputs", s.outputs},
          {"seconds", std::round(s.seconds * 100) / 100}};
}

namespace {

// What the options ask for, checked before anything is read.
struct GridSettings {
  SampleSource source;
  ElementChoice choice;
  DuplicateRule duplicates;
  Levelling levelling;
  GridRequest request;
  GridMethod method;
};

GridSettings SetUpGrid(const GridOptions& o) {
  if (o.samples.empty()) throw UsageError("samples", "is required");
  if (o.output.empty() == o.stack.empty())
    throw UsageError("-o", "give an output folder (-o) or a multi-band raster (--stack), one of the two");
  GridSettings settings;
  SampleSource& source = settings.source;
  source.path = o.samples;
  source.layer = o.layer;
  source.x_field = o.x_field;
  source.y_field = o.y_field;
  source.srs = o.srs;
  source.survey_column = o.survey_column;
  source.missing = ParseSentinels(o.missing);
  source.assume_unit = o.assume_unit;
  if (!o.assume_unit.empty() && UnitToPpm(o.assume_unit) == 0)
    throw UsageError("--assume-unit", "expects ppm, ppb or pct, got '" + o.assume_unit + "'");
  settings.choice = {SplitList(o.elements), o.min_coverage, o.keep_oxides};
  settings.duplicates = ParseDuplicateRule(o.duplicates);
  settings.levelling = ParseLevelling(o.levelling);
  settings.request = {o.cell_size, o.extent, o.align_to, o.t_srs};
  CheckGridRequest(settings.request);
  settings.method = {o.method, o.power, o.smoothing, o.max_points, o.min_points};
  if (!o.algorithm.empty()) {
    const GridOptions defaults;
    if (o.method != defaults.method || o.power != defaults.power || o.smoothing != defaults.smoothing ||
        o.radius != defaults.radius || o.max_points != defaults.max_points || o.min_points != defaults.min_points) {
      throw UsageError("--algorithm",
                       "replaces --method, --power, --smoothing, --radius, --max-points and"
                       " --min-points: give one or the other");
    }
    GridAlgorithm check(o.algorithm);  // rejected now rather than after reading
  } else {
    AlgorithmText(settings.method, 1.0);  // checks the method's name
  }
  return settings;
}

// The source's description in the summary.
void DescribeSource(const SampleTable& table, GridSummary& summary) {
  summary.source = table.path;
  summary.layer = table.layer;
  summary.x_field = table.x_field;
  summary.y_field = table.y_field;
  summary.source_crs = CrsName(table.wkt);
  summary.rows = table.rows;
  summary.rows_without_coordinates = table.rows_without_coordinates;
  summary.notes = table.notes;
}

// Where: the locations in the grid's CRS, the grid, the distances and the algorithm.
Locations PlaceGrid(const GridOptions& o, const GridSettings& settings, const SampleTable& table,
                    GridSummary& summary) {
  Locations locations = GroupLocations(table.x, table.y);
  summary.locations = static_cast<int64_t>(locations.x.size());
  const std::string grid_wkt = GridCrs(settings.request, table.wkt);
  ReprojectPoints(locations.x, locations.y, table.wkt, grid_wkt, o.samples);
  summary.grid = DefineGrid(settings.request, grid_wkt, locations.x, locations.y);
  summary.grid_crs = CrsName(grid_wkt);
  summary.median_spacing = MedianSpacing(locations.x, locations.y);
  summary.max_distance = o.max_distance > 0 ? o.max_distance : kSpacingsPerMaxDistance * summary.median_spacing;
  if (!(summary.max_distance > 0))
    throw UsageError("--max-distance", "cannot be derived from a single sample location; give it");
  const double radius = o.radius > 0 ? o.radius : summary.max_distance;
  summary.algorithm = GridAlgorithm(o.algorithm.empty() ? AlgorithmText(settings.method, radius) : o.algorithm).text();
  summary.duplicates = o.duplicates;
  summary.levelling = o.levelling;
  summary.survey_column = o.survey_column;
  if (table.geographic && settings.request.t_srs.empty() && settings.request.align_to.empty())
    summary.notes.push_back("the grid's CRS is geographic: distances and cells are in degrees (--t-srs gives metres)");
  return locations;
}

// The rasters' final paths and where they are staged, checked before the heavy work.
struct GridOutputs {
  std::vector<std::string> paths, staged;
};

GridOutputs StageGridOutputs(const GridOptions& o, const SampleTable& table, const std::string& stack_path,
                             OutputSet& outputs) {
  GridOutputs out;
  if (!o.stack.empty()) return {{o.stack}, {stack_path}};
  const std::string extension = RasterExtension(o.format);
  const std::string folder = outputs.Stage("-o", o.output, OutputForm::FolderFiles);
  for (const auto& element : table.elements) {
    const std::string name = element.element + (extension.empty() ? "" : "." + extension);
    out.paths.push_back((fs::path(o.output) / name).string());
    out.staged.push_back((fs::path(folder) / name).string());
    CheckRasterFormat({out.paths.back(), o.format, o.creation_options}, OutputKind::Elements);
    if (fs::exists(out.paths.back()) && !o.overwrite)
      throw Error(out.paths.back(), "exists; use --overwrite to replace it");
  }
  return out;
}

// From rows to points, element by element: levelled by survey, duplicates merged, counted.
std::vector<ElementPoints> PointsOfElements(const SampleTable& table, const Locations& locations,
                                            const GridSettings& settings, GridSummary& summary) {
  std::vector<int> survey_of_row;
  std::vector<std::string> surveys;
  if (!settings.source.survey_column.empty()) {
    std::map<std::string, int> index;
    for (const auto& name : table.survey) {
      auto [it, inserted] = index.emplace(name, static_cast<int>(surveys.size()));
      if (inserted) surveys.push_back(name.empty() ? "(none)" : name);
      survey_of_row.push_back(it->second);
    }
  }
  std::vector<ElementPoints> points(table.elements.size());
  for (size_t e = 0; e < table.elements.size(); ++e) {
    const SampleElement& element = table.elements[e];
    GridElementSummary report;
    report.element = element.element;
    report.oxide_of = element.oxide_of;
    report.columns = element.columns;
    report.units = element.units;
    report.rows = static_cast<int64_t>(element.values.size());
    report.missing = element.missing;
    report.not_numbers = element.not_numbers;
    if (element.not_numbers) {
      summary.notes.push_back(element.element + ": " + std::to_string(element.not_numbers) +
                              " values are text that is not a number (a decimal comma?), counted as missing");
    }
    report.below_detection = element.below_detection;
    std::vector<double> values = element.values;
    if (!surveys.empty()) {
      LevellingResult levelled = LevelSurveys(values, survey_of_row, surveys, settings.levelling);
      report.levelled = levelled.levelled;
      report.surveys = levelled.surveys;
    }
    const Points merged = MergeDuplicates(values, locations, settings.duplicates);
    report.duplicates_merged = merged.merged;
    report.points = static_cast<int64_t>(merged.value.size());
    ElementPoints& p = points[e];
    p.unknown_limit = UnknownLimitSubstitute(values);
    report.unknown_limit = p.unknown_limit;
    for (size_t i = 0; i < merged.value.size(); ++i) {
      p.x.push_back(locations.x[merged.location[i]]);
      p.y.push_back(locations.y[merged.location[i]]);
      p.value.push_back(merged.value[i]);
      if (merged.value[i] <= 0) ++report.below_detection_points;
    }
    summary.elements.push_back(report);
  }
  return points;
}

std::map<std::string, std::string> GridProvenance(const GridOptions& o, const GridSummary& summary,
                                                  const std::vector<std::string>& names) {
  const auto& gt = summary.grid.geotransform;
  return {{"GEOPROSP_VERSION", GEOPROSP_VERSION},
          {"GEOPROSP_SOURCE", summary.source + (summary.layer.empty() ? "" : " (layer " + summary.layer + ")")},
          {"GEOPROSP_GRID_ALGORITHM", summary.algorithm},
          {"GEOPROSP_GRID_EXTENT", Number17(gt[0]) + "," + Number17(gt[3] + gt[5] * summary.grid.height) + "," +
                                       Number17(gt[0] + gt[1] * summary.grid.width) + "," + Number17(gt[3])},
          {"GEOPROSP_MAX_DISTANCE", FormatNumber(summary.max_distance)},
          {"GEOPROSP_DUPLICATES", o.duplicates},
          {"GEOPROSP_LEVELLING", o.survey_column.empty() ? "none" : o.levelling + " by " + o.survey_column},
          {"GEOPROSP_UNIT", kUnit},
          {"GEOPROSP_BELOW_DETECTION",
           "0 where below-detection samples carry at least half of the interpolation weight (they count as half "
           "their detection limit); geoprosp's clr step replaces it"},
          {"GEOPROSP_ELEMENTS", Join(names)}};
}

// Grids every element into the staged rasters, with their metadata, and completes them.
void WriteGrids(const GridOptions& o, const std::vector<ElementPoints>& points, const GridOutputs& files,
                GridSummary& summary, const Progress& progress) {
  std::vector<std::string> names;
  for (const auto& element : summary.elements) names.push_back(element.element);
  const bool stacked = !o.stack.empty();
  std::vector<std::unique_ptr<RasterOutput>> rasters;
  for (size_t i = 0; i < files.paths.size(); ++i) {
    rasters.push_back(std::make_unique<RasterOutput>(
        files.staged[i], OutputSpec{files.paths[i], o.format, o.creation_options}, summary.grid, OutputKind::Elements,
        stacked ? names : std::vector<std::string>{names[i]}));
  }
  const auto output_of = [&](size_t element) -> std::pair<RasterOutput&, int> {
    if (stacked) return {*rasters[0], static_cast<int>(element) + 1};
    return {*rasters[element], 1};
  };
  const StripWriter write = [&](size_t element, int first_row, int rows, const float* values) {
    auto [raster, band] = output_of(element);
    raster.WriteRows(band, first_row, rows, values);
  };
  const double gridding_share = o.format == "COG" ? 0.8 : 0.98;  // COG's CreateCopy at commit takes a share
  std::vector<GriddedCells> cells;
  {
    ScaledProgress gridding(progress, 0.0, gridding_share);
    cells = GridElements(points, summary.grid, GridAlgorithm(summary.algorithm), summary.max_distance, write,
                         gridding.get());
  }
  for (size_t e = 0; e < names.size(); ++e) {
    GridElementSummary& report = summary.elements[e];
    report.valid_cells = cells[e].valid;
    report.below_detection_cells = cells[e].below_detection;
    report.nodata_cells = cells[e].nodata;
    report.output = stacked ? o.stack + " band " + std::to_string(e + 1) : files.paths[e];
    auto [output, band] = output_of(e);
    std::vector<std::string> columns;
    for (size_t c = 0; c < report.columns.size(); ++c)
      columns.push_back(report.columns[c] + " (" + report.units[c] + ")");
    output.SetBandUnit(band, kUnit);
    output.SetBandMetadata(band, {{"GEOPROSP_ELEMENT", report.element},
                                  {"GEOPROSP_COLUMNS", Join(columns)},
                                  {"GEOPROSP_POINTS", std::to_string(report.points)},
                                  {"GEOPROSP_BELOW_DETECTION_POINTS", std::to_string(report.below_detection_points)}});
  }
  const auto provenance = GridProvenance(o, summary, names);
  for (size_t i = 0; i < rasters.size(); ++i) {
    rasters[i]->SetMetadata(provenance);
    ScaledProgress finish(progress, gridding_share + (1 - gridding_share) * i / rasters.size(),
                          gridding_share + (1 - gridding_share) * (i + 1) / rasters.size());
    rasters[i]->Finish(finish.get());
  }
  summary.outputs = files.paths;
}

}  // namespace

GridSummary RunGrid(const GridOptions& o, const Progress& progress) {
  const auto start = std::chrono::steady_clock::now();
  const GridSettings settings = SetUpGrid(o);
  // Every file the run reads is protected; the outputs are staged now and committed together.
  OutputSet outputs(o.overwrite);
  outputs.AddInputs(GridCommand().table.ValuesWithRole(o, "input_"));
  const std::string report_path = o.report.empty() ? "" : outputs.Stage("--report", o.report, OutputForm::File);
  if (!o.stack.empty()) CheckRasterFormat({o.stack, o.format, o.creation_options}, OutputKind::Elements);
  const std::string stack_path = o.stack.empty() ? "" : outputs.Stage("--stack", o.stack, OutputForm::Dataset);

  SampleTable table = ReadSamples(settings.source);
  GridSummary summary;
  summary.dropped = ChooseElements(table, settings.choice);
  DescribeSource(table, summary);
  const Locations locations = PlaceGrid(o, settings, table, summary);
  const GridOutputs files = StageGridOutputs(o, table, stack_path, outputs);
  const std::vector<ElementPoints> points = PointsOfElements(table, locations, settings, summary);
  WriteGrids(o, points, files, summary, progress);

  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!o.report.empty()) WriteTextFile(report_path, ToJson(summary).dump(2) + "\n", o.report);
  progress.Report(1.0);
  outputs.Commit();
  return summary;
}

Command<GridOptions> GridCommand() {
  Command<GridOptions> command;
  command.program = "geoprosp-grid";
  command.title = "Grid samples";
  command.description =
      "Grid point samples (any OGR source, or a CSV with x/y columns) into one Float32 raster per element, in ppm,"
      " with GDAL's gridding.";
  auto& t = command.table;
  using O = GridOptions;
  t.Add("samples", &O::samples)
      .Label("Point samples")
      .Positional()
      .Path()
      .Role("input_vector")
      .Required()
      .Help("Point samples: any OGR vector, or a CSV whose x/y (or lon/lat) columns are recognised by name");
  t.Add("output", &O::output)
      .Label("Output folder")
      .Flags({"-o", "--output"})
      .Path()
      .Role("output_dir")
      .Help("Output folder (made if missing): one raster per element, named after it (Au.tif)");
  t.Add("stack", &O::stack)
      .Label("Multi-band raster")
      .FormHelp("Multi-band raster instead of an output folder: one band per element, described by its name")
      .Path()
      .Role("output_raster")
      .Help("Multi-band raster instead of -o: one band per element, described by its name");
  t.Add("srs", &O::srs)
      .Label("CRS of the samples")
      .Help("CRS of the samples when the file declares none (e.g. EPSG:4326 for lon/lat)");
  t.Add("t-srs", &O::t_srs).Label("CRS of the grid").Help("CRS of the grid, e.g. EPSG:28350 (default: the samples')");
  t.Add("cell-size", &O::cell_size)
      .Label("Cell size")
      .FormHelp("Cell size in the grid's CRS units (required unless the grid of a raster is used)")
      .Range(0, std::nullopt)
      .Help("Cell size in the grid's CRS units (required unless --align-to)");
  t.Add("extent", &O::extent)
      .Label("Grid extent")
      .Help("Grid extent xmin,ymin,xmax,ymax in the grid's CRS (default: the samples', snapped to the cell size)");
  t.Add("align-to", &O::align_to)
      .Label("Use this raster's grid")
      .Path()
      .Role("input_raster")
      .Help("Use this raster's grid: CRS, extent and cells");
  t.Add("elements", &O::elements)
      .Label("Elements to grid")
      .FormHelp(
          "Comma-separated elements to grid (default: those measured in at least the minimum coverage of the rows)")
      .Help("Comma-separated elements to grid (default: those measured in at least --min-coverage of the rows)");
  t.Add("min-coverage", &O::min_coverage)
      .Label("Minimum coverage")
      .FormHelp("Without a list of elements: the share of the rows an element must be measured in")
      .Range(0, 1)
      .Help("Without --elements: the share of the rows an element must be measured in");
  t.Add("keep-oxides", &O::keep_oxides)
      .Label("Keep oxide columns")
      .Help("Keep an oxide column (ZnO) next to its element's (Zn)");
  t.Add("missing", &O::missing)
      .Label("Missing-value codes")
      .Help(
          "Value meaning 'not measured' (default -9999); repeat or separate with commas. Negative values are"
          " below detection");
  t.Add("assume-unit", &O::assume_unit)
      .Label("Unit of columns without one")
      .Advanced()
      .Help("Unit (ppm, ppb, pct) of element columns whose name has none (default: they are skipped)");
  t.Add("duplicates", &O::duplicates)
      .Label("Samples at one location")
      .Choices({"mean", "first"})
      .Help("Rows at the same location: their mean, or the first row's values");
  t.Add("survey-column", &O::survey_column)
      .Label("Survey column")
      .Help("Column naming each row's survey or report: level each survey's values per element");
  t.Add("levelling", &O::levelling)
      .Label("Levelling of surveys")
      .FormHelp("With a survey column: median/MAD of log values, or quantile matching, onto all surveys together")
      .Choices({"median-mad", "quantile"})
      .Help("With --survey-column: median/MAD of log values, or quantile matching, onto all surveys together");
  t.Add("method", &O::method).Label("Gridding method").Choices(GridMethodNames()).Help("GDAL gridding algorithm");
  t.Add("power", &O::power)
      .Label("IDW power")
      .Range(0, std::nullopt)
      .Help("Inverse-distance weighting power (invdist, invdistnn)");
  t.Add("smoothing", &O::smoothing)
      .Label("Smoothing distance")
      .Range(0, std::nullopt)
      .Help("Smoothing distance (invdist, invdistnn)");
  t.Add("radius", &O::radius)
      .Label("Search radius")
      .FormHelp("Search radius in the grid's CRS units (0: the maximum distance from samples)")
      .Range(0, std::nullopt)
      .Help("Search radius in the grid's CRS units (0: --max-distance)");
  t.Add("max-points", &O::max_points)
      .Label("Maximum points per cell")
      .Range(0, 1 << 20)
      .Help("Nearest points used per cell (invdist, invdistnn; 0: all within the radius)");
  t.Add("min-points", &O::min_points)
      .Label("Minimum points per cell")
      .Range(0, 1 << 20)
      .Advanced()
      .Help("Fewer points within the radius leave a cell nodata (invdist, invdistnn, average)");
  t.Add("algorithm", &O::algorithm)
      .Label("gdal_grid algorithm")
      .FormHelp(
          "A gdal_grid algorithm string instead of the method and its parameters, e.g. "
          "invdist:power=3:radius1=200:radius2=200")
      .Flags({"-a", "--algorithm"})
      .Advanced()
      .Help(
          "A gdal_grid -a string instead of --method and its parameters, e.g. invdist:power=3:radius1=200:radius2=200");
  t.Add("max-distance", &O::max_distance)
      .Label("Maximum distance from samples")
      .Range(0, std::nullopt)
      .Help("Cells farther than this from every sample are nodata (0: 3 x the median sample spacing)");
  t.Add("layer", &O::layer).Label("Layer").Advanced().Help("Layer of a multi-layer vector source");
  t.Add("x-field", &O::x_field)
      .Label("X column")
      .Advanced()
      .Help("Column holding x (easting or longitude) (default: recognised by name)");
  t.Add("y-field", &O::y_field).Label("Y column").Advanced().Help("Column holding y (northing or latitude)");
  t.Add("of", &O::format)
      .Label("Output format")
      .Flags({"-of", "--of"})
      .Help("Output format (GDAL driver short name, e.g. GTiff, COG)");
  t.Add("co", &O::creation_options)
      .Label("Creation options")
      .Flags({"-co", "--co"})
      .Advanced()
      .Help("Creation option NAME=VALUE");
  t.Add("report", &O::report)
      .Label("JSON report")
      .Path()
      .Role("output_file")
      .Extensions({"json"})
      .Help("JSON report: counts per element (read, missing, below detection, levelled, merged, cells)");
  t.Add("overwrite", &O::overwrite).Role("ui").Help("Replace existing outputs");
  AddCommonOptions(t);
  command.run = [](const GridOptions& options, const Progress& progress) {
    const GridSummary summary = RunGrid(options, progress);
    if (!options.quiet) PrintSummary(summary);
  };
  return command;
}

}  // namespace geoprosp
