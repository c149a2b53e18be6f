#include "geoprosp/apps/grid.hpp"

int main(int argc, char** argv) { return geoprosp::RunCommandLine(geoprosp::GridCommand(), argc, argv); }
