#include <gtest/gtest.h>
#include "geoprosp/map.hpp"
TEST(Options, Placeholder) { EXPECT_TRUE(true); }
