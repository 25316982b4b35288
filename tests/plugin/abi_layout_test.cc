// The ABI's layout, asserted at compile time (abi_layout.h) in C++ and in C.
#include "plugin/abi_layout.h"

#include <gtest/gtest.h>

extern "C" int custody_abi_layout_checked_in_c(void);
extern "C" const char* custody_type_map_struct_in_c(const char* event_type);

namespace {

TEST(AbiLayout, CAndCppAgree) {
  EXPECT_EQ(custody_abi_layout_checked_in_c(), static_cast<int>(sizeof(custody_result)));
}

}  // namespace

namespace {

TEST(AbiLayout, TheTypeMapIsUsableFromC) {
  EXPECT_STREQ(custody_type_map_struct_in_c("lot.received"), "LotReceived");
  EXPECT_STREQ(custody_type_map_struct_in_c("no.such"), "");
}

}  // namespace
