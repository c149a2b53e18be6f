#include "geoprosp/report/study_figures.hpp"

namespace geoprosp {

const StudyFigures& ReportedStudyFigures() {
  static const StudyFigures figures = [] {
    StudyFigures study;
    study.source =
        "Research on Prediction of Mineralized Prospective Areas Based on Residual Graph Neural Network (Hans "
        "Publishers, paper 91222): Pangxidong, Guangdong; 10-fold CV after augmentation (the paper protocol)";
    // Table 2: accuracy, sensitivity, specificity and F1, in percent, as printed.
    study.table2 = {
        {"SVM", {73.2, 69.72, 75.33, 69.63}},          {"logistic regression", {72.26, 66.50, 76.91, 68.56}},
        {"k-means", {77.03, 76.10, 77.81, 76.79}},     {"KNN", {76.32, 75.59, 77.04, 75.88}},
        {"autoencoder", {80.65, 76.66, 84.35, 77.63}}, {"GIN", {90.89, 85.77, 95.26, 90.03}},
        {"DiffPool", {90.08, 85.36, 94.99, 89.01}},    {"GraphSAGE", {89.37, 83.75, 94.73, 88.62}},
        {"ResGCN", {95.34, 89.33, 99.9, 94.43}},       {"ResGAT", {95.92, 90.21, 99.9, 94.94}}};
    // Figure 6: TN, FP, FN, TP of 6,700 background and 6,500 deposit samples, by augmentation.
    study.figure6 = {{AugmentMethod::Noise, {5652, 1048, 1517, 4983}},
                     {AugmentMethod::Smote, {6347, 353, 1056, 5444}},
                     {AugmentMethod::Vae, {6364, 336, 951, 5549}},
                     {AugmentMethod::Gan, {6690, 10, 700, 5800}}};
    study.figure6_note = "random noise FN reads 517 in the scan; 1517 makes 6,500 positives like the others";
    study.alphas_tried = {0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8};
    study.best_alpha = 0.6;
    return study;
  }();
  return figures;
}

}  // namespace geoprosp
