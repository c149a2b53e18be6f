#include "geoprosp/map.hpp"

int main(int argc, char** argv) { return geoprosp::RunCommandLine(geoprosp::MapCommand(), argc, argv); }
