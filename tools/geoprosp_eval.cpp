#include "geoprosp/apps/eval.hpp"

int main(int argc, char** argv) { return geoprosp::RunCommandLine(geoprosp::EvalCommand(), argc, argv); }
