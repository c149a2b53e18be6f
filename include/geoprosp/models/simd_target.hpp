#pragma once
// Code compiled for a wider instruction set than the build's baseline, chosen at run time: the fused
// inference kernels (models/) and the fused trainer's kernels (learning/). A translation unit includes
// everything it uses before GEOPROSP_BEGIN_TARGET, so that no library function is compiled for a wider
// instruction set than the CPU running it has.
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define GEOPROSP_FUSED_X86 1  // the AVX2 and AVX-512 kernels are built

// Code between these is compiled for `isa` (e.g. "arch=x86-64-v4"), whatever the build's -march.
#define GEOPROSP_PRAGMA(text) _Pragma(#text)
#if defined(__clang__)
#define GEOPROSP_BEGIN_TARGET(isa) \
  GEOPROSP_PRAGMA(clang attribute push(__attribute__((target(isa))), apply_to = function))
#define GEOPROSP_END_TARGET GEOPROSP_PRAGMA(clang attribute pop)
#else
#define GEOPROSP_BEGIN_TARGET(isa) GEOPROSP_PRAGMA(GCC push_options) GEOPROSP_PRAGMA(GCC target(isa))
#define GEOPROSP_END_TARGET GEOPROSP_PRAGMA(GCC pop_options)
#endif
#endif
