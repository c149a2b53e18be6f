// Lane operations in plain vector arithmetic, for Lanes of any width: what models/lane_ops.hpp needs,
// but Fma and InRegister (FmaOfEachLane is the portable Fma). Included (without an include guard)
// inside an instruction set's namespace, after Lanes and kLanes, in a translation unit that included
// models/exact_fma.hpp first; gives the same bits as the instructions of lanes_avx512.hpp.

typedef int32_t LaneInts __attribute__((vector_size(kLanes * sizeof(int32_t))));

// std::fma's bits lane by lane: its instruction where the target has one, else computed in double
// (std::fma would be a slow library call there).
inline Lanes FmaOfEachLane(Lanes a, Lanes b, Lanes c) { return FusedMultiplyAdd(a, b, c); }
inline Lanes Max(Lanes a, Lanes b) { return a > b ? a : b; }
inline Lanes Min(Lanes a, Lanes b) { return a < b ? a : b; }
inline Lanes RoundToInteger(Lanes t) { return (t + 12582912.0f) - 12582912.0f; }  // exact for |t| < 2^22
inline Lanes TimesTwoTo(Lanes y, Lanes n) {
  return y * (Lanes)((__builtin_convertvector(n, LaneInts) + 127) << 23);  // the bits of 2^n
}
