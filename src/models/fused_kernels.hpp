#pragma once
// The fused CPU kernels, one per instruction set, and what each translation unit of them includes
// before its `#pragma GCC target` region: everything fused_kernel_body.hpp uses comes from here, so
// that no library function is compiled for a wider instruction set than the CPU running it has.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <new>
#include <string>
#include <type_traits>
#include <vector>

#include "geoprosp/core/error.hpp"
#include "geoprosp/models/bundle.hpp"
#include "geoprosp/models/scorer.hpp"

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

// The scalar kernel: SSE2 lanes (x86-64's baseline), each multiply-add a std::fma (slow where the CPU
// has no FMA unit, but the same bits).
namespace geoprosp::fused::scalar {
std::unique_ptr<Scorer> MakeScorer(const Bundle& bundle, int threads);
}
#ifdef GEOPROSP_FUSED_X86
namespace geoprosp::fused::avx2 {  // x86-64-v3: AVX2 and FMA
std::unique_ptr<Scorer> MakeScorer(const Bundle& bundle, int threads);
}
namespace geoprosp::fused::avx512 {  // x86-64-v4: AVX-512
std::unique_ptr<Scorer> MakeScorer(const Bundle& bundle, int threads);
}
#endif
