#include <cpl_conv.h>
#include <cpl_string.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>

#include "geoprosp/apps/map.hpp"
#include "geoprosp/io/output_set.hpp"
#include "geoprosp/io/polygon_mask.hpp"
#include "geoprosp/io/raster_output.hpp"
#include "geoprosp/io/raster_stack.hpp"
#include "geoprosp/models/bundle.hpp"
#include "geoprosp/models/scorer.hpp"
#include "geoprosp/pipeline/raster_sink.hpp"
#include "geoprosp/products/quicklook.hpp"

namespace geoprosp {

namespace {

std::vector<double> CheckedBreaks(const std::vector<double>& breaks) {
  if (breaks.size() != 3) throw UsageError("--class-breaks", "expects three probabilities: low,moderate,high");
  for (size_t i = 0; i < 3; ++i) {
    if (breaks[i] <= 0 || breaks[i] >= 1 || (i > 0 && breaks[i] <= breaks[i - 1])) {
      throw UsageError("--class-breaks", "expects increasing probabilities inside (0, 1)");
    }
  }
  return breaks;
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

std::string JoinNumbers(const std::vector<double>& values) {
  std::string out;
  for (double v : values) out += (out.empty() ? "" : ",") + FormatNumber(v);
  return out;
}

void PrintSummary(const MapOptions& options, const MapSummary& s) {
  const double rate = s.seconds > 0 ? (double(s.width) * s.height) / s.seconds : 0;
  std::printf("Mapped %dx%d cells (%lld valid) with %zu elements in %.2f s (%.0f cells/s, engine %s).\n", s.width,
              s.height, static_cast<long long>(s.valid_cells), s.elements.size(), s.seconds, rate, s.engine.c_str());
  std::printf("  probability: %s\n", options.output.c_str());
  if (!options.classes.empty()) {
    std::printf("  classes:     %s\n", options.classes.c_str());
  }
  const int64_t valid = std::max<int64_t>(s.valid_cells, 1);
  for (int c = 3; c >= 1; --c) {
    std::printf("  %-9s %8lld cells (%5.2f %% of valid)\n", ClassNames()[c].c_str(),
                static_cast<long long>(s.class_cells[c]), 100.0 * s.class_cells[c] / valid);
  }
  if (s.outside_cells >= 0) {
    std::printf("  beyond the model's applicability (distance > %.4g): %lld cells (%.2f %% of valid)\n",
                s.applicability_threshold, static_cast<long long>(s.outside_cells), 100.0 * s.outside_cells / valid);
  }
  if (!options.applicability.empty()) {
    std::printf("  applicability: %s\n  outside mask:  %s\n", options.applicability.c_str(),
                ApplicabilityMaskPath(options.applicability).c_str());
  }
  if (!options.mask.empty() || options.mask_outside_applicability) {
    std::printf("  left out of the classes and areas (%s): %lld cells (%.2f %% of valid)\n",
                !options.mask.empty() && options.mask_outside_applicability ? "mask and applicability"
                : !options.mask.empty()                                     ? "mask"
                                                                            : "outside applicability",
                static_cast<long long>(s.excluded_cells), 100.0 * s.excluded_cells / valid);
  }
  if (s.areas) std::printf("  %s\n  areas:       %s\n", DescribeAreas(*s.areas).c_str(), options.areas.c_str());
  if (!options.explain.empty()) std::printf("  explained:   %s\n", options.explain.c_str());
  if (!options.quicklook.empty()) std::printf("  quick look:  %s\n", options.quicklook.c_str());
  if (s.nonfinite_cells)
    std::printf("  NaN or inf cells set to nodata: %lld\n", static_cast<long long>(s.nonfinite_cells));
  if (s.replaced.total()) {
    std::printf("  zero or negative concentrations replaced:");
    for (size_t e = 0; e < s.elements.size(); ++e) {
      if (s.replaced.replaced[e])
        std::printf(" %s %lld", s.elements[e].c_str(), static_cast<long long>(s.replaced.replaced[e]));
    }
    std::printf("\n");
  }
}

// Everything a map run needs, checked before the first cell is read.
struct MapPlan {
  std::string model_path;
  Bundle bundle;
  std::unique_ptr<RasterStack> stack;
  std::vector<std::string> inputs;
  RegionScoring scoring;
  std::vector<double> breaks;
  std::vector<std::unique_ptr<Scorer>> scorers;  // one per ensemble member
  int readers = 1;
  // Every file the run reads is protected; the outputs are staged now and committed together.
  OutputSet outputs{false};
  // With the final paths, and where they are staged.
  OutputSpec probability, classes, spread, distance, outside, contributions;
  std::string probability_path, classes_path, spread_path, distance_path, outside_path, contributions_path;
  AreasRequest areas;
  QuicklookRequest quicklook;
  std::unique_ptr<PolygonMask> mask;  // --mask, on the stack's grid
  bool flag_cells = false;            // the areas or the quick look need each cell's flags
};

// The option that needs the model's applicability statistics, or "" when none does.
std::string ApplicabilityOption(const MapOptions& options) {
  if (!options.applicability.empty()) return "--applicability";
  if (options.mask_outside_applicability) return "--mask-outside-applicability";
  return "";
}

MapPlan PlanMap(const MapOptions& options) {
  MapPlan plan;
  if (options.output.empty()) throw UsageError("-o", "is required");
  plan.bundle = LoadModel(options.model);
  plan.model_path = plan.bundle.path;
  const Bundle& bundle = plan.bundle;
  StackSources sources;
  sources.paths = options.inputs;
  sources.align_to = options.align_to;
  sources.resampling = options.resampling;
  plan.stack = std::make_unique<RasterStack>(sources);
  if (!options.elements.empty()) plan.stack->Select(SplitList(options.elements), "--elements");
  plan.stack->Select(bundle.elements, "the model (" + plan.model_path + ")");
  plan.inputs = plan.stack->input_paths();

  RegionScoring& scoring = plan.scoring;
  scoring.composition = bundle.composition;
  if (!options.zero_replace.empty()) {
    scoring.composition.zero_rule = options.zero_replace;
    if (options.zero_replace == "half-min")
      throw UsageError("--zero-replace", "half-min is fitted at training; give a concentration");
    scoring.composition.zero_replacement =
        ZeroReplacementValues(options.zero_replace, nullptr, 0, int(bundle.elements.size()), {}, bundle.elements);
  }
  scoring.graph = bundle.graph;
  scoring.context = bundle.context;  // checked against the architecture when the bundle was loaded
  scoring.adjacency = bundle.adjacency;
  scoring.correlation = bundle.correlation;
  scoring.model = plan.model_path;
  if (!options.raw_score) scoring.calibration = bundle.calibration;
  const std::vector<double>& model_breaks = scoring.calibration.active() || bundle.score_class_breaks.empty()
                                                ? bundle.class_breaks
                                                : bundle.score_class_breaks;
  plan.breaks = CheckedBreaks(options.class_breaks.empty() ? model_breaks : options.class_breaks);
  scoring.region = ResolveWindow(options.srcwin, options.tile, plan.stack->grid().width, plan.stack->grid().height);
  const PixelWindow& region = scoring.region;
  if (const std::string option = ApplicabilityOption(options); !option.empty() && !bundle.applicability.present()) {
    throw Error(plan.model_path, "holds no applicability statistics, which " + option +
                                     " needs: it was trained by a geoprosp older than them; train it again with "
                                     "geoprosp-train");
  }
  for (const auto& [option, given] : {std::pair<std::string, bool>{"--mask", !options.mask.empty()},
                                      {"--mask-outside-applicability", options.mask_outside_applicability}}) {
    if (given && options.classes.empty() && options.areas.empty() && options.quicklook.empty())
      throw UsageError(option, "restricts the --classes raster, the --areas and the --quicklook; give one of them");
  }
  // Distances also give the target areas their share outside applicability, whenever the model can.
  if (!ApplicabilityOption(options).empty() || (!options.areas.empty() && bundle.applicability.present()))
    scoring.applicability = bundle.applicability;
  if (!options.mask.empty()) {
    plan.mask = std::make_unique<PolygonMask>(options.mask, plan.stack->grid());
    if (plan.mask->CountInside(region.x0, region.y0, region.width, region.height) == 0)
      throw Error(options.mask, "does not overlap the mapped area: no cell centre of it lies inside its polygons");
  }
  plan.flag_cells =
      (!options.areas.empty() || !options.quicklook.empty()) && (plan.mask || scoring.applicability.present());
  if (options.batch_size < 1) throw UsageError("--batch-size", "must be positive");
  scoring.batch_size = options.batch_size;
  scoring.threads = options.threads > 0 ? options.threads : DefaultThreadCount();
  plan.readers = options.readers > 0 ? options.readers : DefaultReaderCount(scoring.threads);

  OutputSet& outputs = plan.outputs = OutputSet(options.overwrite);
  outputs.AddInputs(MapCommand().table.ValuesWithRole(options, "input_"));
  outputs.AddInput("--model", plan.model_path);  // the default model too
  const auto stage_raster = [&](const std::string& option, OutputSpec& spec, const std::string& path, OutputKind kind) {
    spec = {path, options.format, options.creation_options};
    if (path.empty()) return std::string();
    CheckRasterFormat(spec, kind);
    return outputs.Stage(option, path, OutputForm::Dataset);
  };
  plan.probability_path = stage_raster("-o", plan.probability, options.output, OutputKind::Probability);
  plan.classes_path = stage_raster("--classes", plan.classes, options.classes, OutputKind::Classes);
  if (!options.sd.empty() && bundle.members < 2)
    throw UsageError("--sd", "needs an ensemble model (geoprosp-train --ensemble N)");
  plan.spread_path = stage_raster("--sd", plan.spread, options.sd, OutputKind::Spread);
  plan.distance_path = stage_raster("--applicability", plan.distance, options.applicability, OutputKind::Distance);
  if (!options.applicability.empty())
    plan.outside_path = stage_raster("--applicability", plan.outside, ApplicabilityMaskPath(options.applicability),
                                     OutputKind::Outside);
  plan.contributions_path = stage_raster("--explain", plan.contributions, options.explain, OutputKind::Contributions);
  // --areas and --quicklook are made from the staged rasters once written; they are checked now.
  if (!options.deposits.empty() && options.areas.empty() && options.quicklook.empty())
    throw UsageError("--deposits", "is used only with --areas or --quicklook");
  const std::vector<DepositPoint> deposits =
      options.deposits.empty() ? std::vector<DepositPoint>() : ReadDeposits(options.source(), plan.stack->grid());
  plan.areas = {plan.classes_path,
                plan.probability_path,
                plan.breaks,
                plan.contributions_path,
                deposits,
                options.areas,
                ParseMinClass(options.areas_min_class),
                options.areas_min_size,
                options.overwrite,
                {},
                scoring.applicability.present()};
  const std::string areas_path = options.areas.empty() ? "" : CheckAreasRequest(plan.areas, outputs);
  scoring.explain = !options.explain.empty() || !options.areas.empty();
  if (!options.areas.empty() && options.explain.empty()) {
    // The areas name their top elements: only the cells that can lie in an area are explained, into a
    // scratch raster that is never committed.
    scoring.explain_from = plan.breaks[plan.areas.min_class - 1];
    plan.areas.contributions = plan.contributions_path = outputs.Scratch("contributions.tif");
    plan.contributions = {plan.contributions_path, "GTiff", {"COMPRESS=ZSTD"}};
  }
  plan.quicklook = {plan.probability_path,   areas_path, deposits,          options.quicklook,
                    "Mineral prospectivity", "",         options.overwrite, {}};
  if (!options.quicklook.empty()) CheckQuicklookRequest(plan.quicklook, outputs);
  const ScorerSettings scorer_settings{options.engine, options.device, scoring.threads};
  for (int member = 0; member < bundle.members; ++member) {
    plan.scorers.push_back(MakeScorer(MemberBundle(bundle, member), scorer_settings));
  }
  return plan;
}

Grid RegionGrid(Grid grid, const PixelWindow& region) {
  auto& gt = grid.geotransform;
  gt[0] += region.x0 * gt[1] + region.y0 * gt[2];
  gt[3] += region.x0 * gt[4] + region.y0 * gt[5];
  grid.width = region.width;
  grid.height = region.height;
  return grid;
}

// What the probability raster's numbers mean.
std::string ValueMeaning(const Calibration& calibration) {
  if (!calibration.active()) return "raw model score (uncalibrated): it ranks cells; it is not a probability";
  return "probability that a cell is a deposit cell (" + ToString(calibration.method) +
         " calibration on out-of-fold scores, " + std::to_string(calibration.deposit_cells) + " deposit cells in " +
         std::to_string(calibration.cells) + ")";
}

// What made the map, stamped into every output raster.
std::map<std::string, std::string> Provenance(const MapPlan& plan) {
  const Bundle& bundle = plan.bundle;
  return {
      {"GEOPROSP_VERSION", GEOPROSP_VERSION},
      {"GEOPROSP_MODEL", ModelProvenance(bundle)},
      {"GEOPROSP_MODEL_SHA256", bundle.hash},
      {"GEOPROSP_ELEMENTS", Join(bundle.elements)},
      {"GEOPROSP_ARCH", bundle.model.arch},
      {"GEOPROSP_GRAPH", ToString(bundle.graph.mode) + " alpha=" + FormatNumber(bundle.graph.alpha)},
      {"GEOPROSP_CLASS_BREAKS", JoinNumbers(plan.breaks)},
      {"GEOPROSP_TRANSFORM",
       ToString(plan.scoring.composition.transform) + " zero-replace=" + plan.scoring.composition.zero_rule},
      {"GEOPROSP_VALUE", ValueMeaning(plan.scoring.calibration)},
  };
}

// What the applicability rasters hold, stamped into both.
std::map<std::string, std::string> ApplicabilityProvenance(const Applicability& a) {
  return {{"GEOPROSP_APPLICABILITY", "Mahalanobis distance of each cell's model features from those of " +
                                         a.cells_from + " (mean and " + "covariance of " + std::to_string(a.cells) +
                                         " cells, ridge " + FormatNumber(a.ridge) + ")"},
          {"GEOPROSP_APPLICABILITY_THRESHOLD", CPLSPrintf("%.9g", a.threshold)},  // a float's every digit
          {"GEOPROSP_APPLICABILITY_RULE", "outside when the distance exceeds the " + FormatNumber(a.percentile) +
                                              "th percentile of those cells' own distances"}};
}

// What the contributions raster holds.
std::map<std::string, std::string> ExplainProvenance(const MapPlan& plan) {
  return {{"GEOPROSP_VALUE", "contribution of each element (band) to the " + ValueMeaning(plan.scoring.calibration) +
                                 ": the value minus the value with the element at its training mean (occlusion)"},
          {"GEOPROSP_EXPLAIN", "occlusion: standardised feature set to the training mean (0), graph kept"}};
}

// The rasters a map run writes, where its plan staged them (null: not asked for).
struct MapRasters {
  std::unique_ptr<RasterOutput> probability, classes, spread, distance, outside, contributions;

  MapRasters(const MapPlan& plan, const Grid& grid) {
    const auto make = [&](const std::string& path, const OutputSpec& spec, OutputKind kind) {
      return path.empty() ? nullptr : std::make_unique<RasterOutput>(path, spec, grid, kind, plan.stack->elements());
    };
    probability = make(plan.probability_path, plan.probability,
                       plan.scoring.calibration.active() ? OutputKind::Probability : OutputKind::Score);
    classes = make(plan.classes_path, plan.classes, OutputKind::Classes);
    spread = make(plan.spread_path, plan.spread, OutputKind::Spread);
    distance = make(plan.distance_path, plan.distance, OutputKind::Distance);
    outside = make(plan.outside_path, plan.outside, OutputKind::Outside);
    contributions = make(plan.contributions_path, plan.contributions, OutputKind::Contributions);
  }

  StripRasters Strips() const {
    return {probability.get(), classes.get(), spread.get(), distance.get(), outside.get(), contributions.get()};
  }

  // Stamps the provenance and completes every file.
  void Finish(const MapPlan& plan, const Progress& progress) {
    const auto provenance = Provenance(plan);
    for (RasterOutput* output :
         {outside.get(), distance.get(), spread.get(), classes.get(), probability.get(), contributions.get()}) {
      if (!output) continue;
      output->SetMetadata(provenance);
      if (output == distance.get() || output == outside.get())
        output->SetMetadata(ApplicabilityProvenance(plan.scoring.applicability));
      if (output == contributions.get()) output->SetMetadata(ExplainProvenance(plan));
      output->Finish(progress);
    }
  }
};

// The stack for each reader thread: the plan's own, and reopened copies.
std::vector<std::unique_ptr<RasterStack>> ExtraReaders(const RasterStack& stack, int readers) {
  std::vector<std::unique_ptr<RasterStack>> extra;
  for (int r = 1; r < readers; ++r) extra.push_back(stack.Reopen());
  return extra;
}

}  // namespace

MapSummary RunMap(const MapOptions& options, const Progress& progress) {
  const auto start = std::chrono::steady_clock::now();
  MapPlan plan = PlanMap(options);
  const double areas_share = options.areas.empty() ? 0.0 : 0.05;  // of the progress bar
  const double compute_share = (options.format == "COG" ? 0.9 : 1.0) - areas_share;

  MapRasters rasters(plan, RegionGrid(plan.stack->grid(), plan.scoring.region));
  const PixelWindow& region = plan.scoring.region;
  ClassRestriction restriction{plan.mask.get(), region.x0, region.y0, plan.scoring.applicability.threshold,
                               options.mask_outside_applicability};
  std::vector<uint8_t> cell_flags(plan.flag_cells ? size_t(region.width) * region.height : 0);
  RasterStripSink sink(rasters.Strips(), plan.breaks, restriction, plan.flag_cells ? &cell_flags : nullptr);
  const auto extra_readers = ExtraReaders(*plan.stack, plan.readers);
  std::vector<const RasterStack*> readers = {plan.stack.get()};
  for (const auto& reader : extra_readers) readers.push_back(reader.get());
  ScaledProgress scoring_progress(progress, 0.0, compute_share);
  const RegionTotals totals = ScoreRegion(readers, plan.scorers, plan.scoring, sink, scoring_progress.get());
  if (totals.valid_cells == 0) {
    plan.stack->ThrowNoValidCell(region.x0, region.y0, region.width, region.height, "the mapped area");
  }

  ScaledProgress finish(progress, compute_share, 1.0 - areas_share);
  rasters.Finish(plan, finish.get());
  MapSummary summary;
  if (!options.areas.empty()) {
    ScaledProgress areas_progress(progress, 1.0 - areas_share, 1.0);
    AreasRequest areas = plan.areas;
    areas.cell_flags = cell_flags;
    summary.areas = DelineateAreas(areas, plan.outputs, areas_progress.get());
  }
  if (!options.quicklook.empty()) {
    QuicklookRequest quicklook = plan.quicklook;
    if (summary.areas) quicklook.subtitle = DescribeAreas(*summary.areas);
    quicklook.cell_flags = std::move(cell_flags);
    RenderQuicklook(quicklook, plan.outputs);
  }
  progress.Report(1.0);
  plan.outputs.Commit();
  summary.elements = plan.stack->elements();
  summary.width = plan.scoring.region.width;
  summary.height = plan.scoring.region.height;
  summary.valid_cells = totals.valid_cells;
  summary.nonfinite_cells = totals.nonfinite_cells;
  summary.replaced = totals.replaced;
  summary.class_cells = sink.class_cells();
  summary.excluded_cells = sink.excluded_cells();
  if (plan.scoring.applicability.present()) {
    summary.outside_cells = sink.outside_cells();
    summary.applicability_threshold = plan.scoring.applicability.threshold;
  }
  summary.engine = plan.scorers.front()->name();
  summary.model_hash = plan.bundle.hash;
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

std::string ApplicabilityMaskPath(const std::string& applicability) {
  const std::string stem = std::string(CPLGetBasename(applicability.c_str())) + "_outside";
  return CPLFormFilename(CPLGetPath(applicability.c_str()), stem.c_str(), CPLGetExtension(applicability.c_str()));
}

Command<MapOptions> MapCommand() {
  Command<MapOptions> command;
  command.program = "geoprosp-map";
  command.title = "Map prospectivity";
  command.description = "Map mineral prospectivity from geochemical element rasters with a residual GNN.";
  auto& t = command.table;
  t.Add("inputs", &MapOptions::inputs)
      .Label("Element rasters")
      .Positional()
      .Path()
      .Role("input_rasters")
      .Required()
      .Help("Element rasters (any GDAL format): one file per element, or multi-band files with band descriptions");
  t.Add("output", &MapOptions::output)
      .Label("Probability raster")
      .FormHelp(
          "Probability raster (Float32, 0..1): the calibrated chance that a cell is a deposit cell; the model's raw "
          "score, and named so, when the model has no calibration or when the raw score is asked for. The output "
          "format must hold Float32")
      .Flags({"-o", "--output"})
      .Path()
      .Role("output_raster")
      .Required()
      .Help(
          "Probability raster (Float32, 0..1; -of must hold Float32): the calibrated chance that a cell is a deposit "
          "cell (the model's raw score, and named so, when the model has no calibration or with --raw-score)");
  t.Add("classes", &MapOptions::classes)
      .Label("Prospective classes raster")
      .Path()
      .Role("output_raster")
      .Help("Classified prospective-area raster (Byte: 0 background, 1 low, 2 moderate, 3 high)");
  t.Add("areas", &MapOptions::areas)
      .Label("Target areas")
      .FormHelp(
          "Ranked polygons of the connected cells at or above the lowest class for a target area (the vector format "
          "follows the file extension; GeoPackage without one), with a QGIS style beside them (<name>.qml)")
      .Path()
      .Role("output_vector")
      .Extensions(AreasExtensions())
      .Help(
          "Target areas: ranked polygons of the connected cells at or above --areas-min-class (OGR format by"
          " extension, GeoPackage without one), with a QGIS style (<name>.qml, shared by layers of one name)");
  t.Add("areas-min-class", &MapOptions::areas_min_class)
      .Label("Lowest class in a target area")
      .Choices({"low", "moderate", "high"})
      .Help("Lowest class inside a target area");
  t.Add("areas-min-size", &MapOptions::areas_min_size)
      .Label("Smallest target area")
      .Help("Smallest target area: in cells or km2, e.g. 10cells or 0.5km2");
  AddDepositOptions(t,
                    "Known deposits (points, any OGR format or a table) counted in the target areas and shown on"
                    " the quick look");
  t.Add("quicklook", &MapOptions::quicklook)
      .Label("Quick-look map (PNG)")
      .Path()
      .Role("output_file")
      .Extensions({"png"})
      .Help("Quick-look map (PNG) of the probability, target areas and deposits");
  t.Add("applicability", &MapOptions::applicability)
      .Label("Applicability raster")
      .Path()
      .Role("output_raster")
      .Help(
          "Applicability raster (Float32): each cell's distance from the model's training cells (Mahalanobis, in the"
          " model's feature space); beside it, <name>_outside (Byte), 1 where the distance exceeds the model's"
          " threshold (the training cells' 99th percentile): there the model extrapolates");
  t.Add("mask", &MapOptions::mask)
      .Label("Restrict classes and areas to polygons")
      .Path()
      .Role("input_vector")
      .Help(
          "Polygons (any OGR format) to which the classes, target areas and quick look are restricted; cells outside"
          " are nodata in the classes (the probability stays complete)");
  t.Add("mask-outside-applicability", &MapOptions::mask_outside_applicability)
      .Label("Leave out cells beyond applicability")
      .Help("Leave cells beyond the model's applicability threshold out of the classes, target areas and quick look");
  t.Add("explain", &MapOptions::explain)
      .Label("Element contributions raster")
      .Path()
      .Role("output_raster")
      .Help(
          "Element contributions (Float32, one band per element, named by it): how much each element raises (+) or"
          " lowers (-) the cell's probability, by occlusion against the training mean; costs about E + 1 times the"
          " scoring");
  t.Add("sd", &MapOptions::sd)
      .Label("Ensemble spread raster")
      .Path()
      .Role("output_raster")
      .Help("Per-cell standard deviation across an ensemble model's members (Float32)");
  t.Add("model", &MapOptions::model)
      .Label("Model bundle folder")
      .Path()
      .Role("input_model")
      .Help("Model bundle folder (default: the sample_data model)");
  t.Add("elements", &MapOptions::elements)
      .Label("Elements to use")
      .Help("Comma-separated elements to use (default: those the model needs)");
  t.Add("align-to", &MapOptions::align_to)
      .Label("Align the inputs to this raster")
      .Path()
      .Role("input_raster")
      .Advanced()
      .Help("Warp every input onto this raster's grid instead of requiring aligned inputs");
  t.Add("resampling", &MapOptions::resampling)
      .Label("Resampling for alignment")
      .FormHelp("Resampling used when the inputs are aligned to a raster")
      .Choices({"near", "bilinear", "cubic", "average"})
      .Advanced()
      .Help("Resampling used by --align-to");
  t.Add("of", &MapOptions::format)
      .Label("Output format")
      .Flags({"-of", "--of"})
      .Help("Output format (GDAL driver short name, e.g. GTiff, COG)");
  t.Add("co", &MapOptions::creation_options)
      .Label("Creation options")
      .Flags({"-co", "--co"})
      .Advanced()
      .Help("Creation option NAME=VALUE");
  t.Add("class-breaks", &MapOptions::class_breaks)
      .Label("Class breaks (low, moderate, high)")
      .Range(0, 1)
      .Help("Probability thresholds low,moderate,high (default: the model's)");
  t.Add("zero-replace", &MapOptions::zero_replace)
      .Label("Replacement for zero values")
      .Advanced()
      .Help("Concentration that replaces zero or negative values (default: the model's half-min values)");
  t.Add("srcwin", &MapOptions::srcwin)
      .Label("Window to map (pixels)")
      .Advanced()
      .Help("Map only the window xoff,yoff,xsize,ysize");
  t.Add("tile", &MapOptions::tile)
      .Label("Row band to map (i/n)")
      .Advanced()
      .Help("Map only row band i of n (0-based), e.g. 2/8; tiles mosaic exactly");
  t.Add("engine", &MapOptions::engine)
      .Label("Inference engine")
      .Choices({"auto", "fused", "torch"})
      .Advanced()
      .Help("Inference engine: fused CPU kernels or LibTorch (auto: fused on the CPU, LibTorch on CUDA)");
  t.Add("device", &MapOptions::device)
      .Label("Device")
      .Choices({"cpu", "cuda"})
      .Advanced()
      .Help("Device: cpu, or cuda where LibTorch has it (agrees to ~1e-7, but tiles do not mosaic byte for byte)");
  t.Add("threads", &MapOptions::threads).Label("Threads").Range(0, 1024).Advanced().Help("Threads (0: all cores)");
  t.Add("readers", &MapOptions::readers)
      .Label("Reader threads")
      .Range(0, 64)
      .Advanced()
      .Help("Threads reading the inputs, each with its own file handles (0: one per four threads, at most 4)");
  t.Add("batch-size", &MapOptions::batch_size)
      .Label("Cells per processing strip")
      .Range(1, 1 << 24)
      .Advanced()
      .Help("Cells per processing strip");
  t.Add("raw-score", &MapOptions::raw_score)
      .Label("Raw score instead of probability")
      .Advanced()
      .Help("Write the model's raw score instead of the calibrated probability (named as a score in the raster)");
  t.Add("overwrite", &MapOptions::overwrite).Role("ui").Help("Replace existing outputs");
  AddCommonOptions(t);
  command.run = [](const MapOptions& options, const Progress& progress) {
    const MapSummary summary = RunMap(options, progress);
    if (!options.quiet) PrintSummary(options, summary);
  };
  return command;
}

}  // namespace geoprosp
