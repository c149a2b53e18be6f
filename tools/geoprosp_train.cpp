#include "geoprosp/apps/train.hpp"

int main(int argc, char** argv) { return geoprosp::RunCommandLine(geoprosp::TrainCommand(), argc, argv); }
