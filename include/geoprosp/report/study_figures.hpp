#pragma once
// The study's reported figures (../shared/paper-notes.md: Table 2, Figure 6 and its alpha), as typed
// constants. They come from other data under the augment-then-split protocol: the report shows them
// in a section of their own, never beside ours.
#include "geoprosp/experiment/results.hpp"

namespace geoprosp {

const StudyFigures& ReportedStudyFigures();

}  // namespace geoprosp
