#pragma once
// The k x k window around a cell, clipped at the edges of the array it lies in, and its valid cells:
// what the window graphs and the spatial context both read, so that both treat edges and nodata alike.
#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace geoprosp {

struct WindowCells {
  int r0, r1, c0, c1;  // rows and columns, inclusive
  int width;           // of the array
  const uint8_t* valid;

  WindowCells(const uint8_t* valid_cells, int array_width, int array_height, int col, int row, int half)
      : r0(std::max(row - half, 0)),
        r1(std::min(row + half, array_height - 1)),
        c0(std::max(col - half, 0)),
        c1(std::min(col + half, array_width - 1)),
        width(array_width),
        valid(valid_cells) {}

  size_t size() const { return size_t(r1 - r0 + 1) * (c1 - c0 + 1); }

  // visit(cell index) for every valid cell, row by row (always inlined, so that each target clone of
  // a caller gets its own copy); returns how many there were.
  template <class Visit>
  inline __attribute__((always_inline)) int ForEachValid(Visit&& visit) const {
    int count = 0;
    for (int y = r0; y <= r1; ++y) {
      for (int x = c0; x <= c1; ++x) {
        const size_t cell = size_t(y) * width + x;
        if (!valid[cell]) continue;
        visit(cell);
        ++count;
      }
    }
    return count;
  }
};

}  // namespace geoprosp
