#pragma once
// geoprosp-eval's tables as CSV (comma-separated, quoted where needed, numbers with 6 decimals and
// locale-independent). Ours and the study's are separate files: no row or column of one in the other.
#include <string>
#include <vector>

#include "geoprosp/experiment/results.hpp"

namespace geoprosp {

// models.csv: per model, a row per fold, then the mean and the sd over the scored folds.
std::string ModelsCsv(const std::vector<ModelComparison>& models);
// augmentation.csv: a row per augmentation method, means and sds, the confusion summed over the folds.
std::string AugmentationCsv(const AugmentationComparison& augmentation);
// alpha_sweep.csv: a row per model and alpha.
std::string AlphaSweepCsv(const std::vector<AlphaSweepModel>& sweep);

// element_importance.csv: a row per element, by global importance (mean |contribution|).
std::string ElementImportanceCsv(const ImportanceSummary& importance);

// study_table2.csv and study_figure6.csv: the study's own figures, as it printed them (percent, counts).
std::string StudyTable2Csv(const StudyFigures& study);
std::string StudyFigure6Csv(const StudyFigures& study);

}  // namespace geoprosp
