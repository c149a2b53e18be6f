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
#include "geoprosp/models/simd_target.hpp"

// The scalar kernel: SSE2 lanes (x86-64's baseline), each multiply-add computed in double where the
// target has no FMA instruction (models/exact_fma.hpp), with the same bits.
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
