#include "geoprosp/apps/map.hpp"

int main(int argc, char** argv) { return geoprosp::RunCommandLine(geoprosp::MapCommand(), argc, argv); }
