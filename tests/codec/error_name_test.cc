// Error codes cross process boundaries by name (runner messages, CLI output, plugin results),
// so every name must read back as its code.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "custody/common/error.h"

namespace custody {
namespace {

TEST(ErrorCodeName, EveryCodeReadsBackFromItsName) {
  std::set<std::string> names;
  for (int c = 0; c <= static_cast<int>(kLastErrorCode); ++c) {
    const auto code = static_cast<ErrorCode>(c);
    const std::string name(code_name(code));
    EXPECT_TRUE(names.insert(name).second) << name << " names two codes";
    EXPECT_EQ(code_from_name(name), code) << name;
  }
  EXPECT_EQ(names.count("permission_denied"), 1u);
}

TEST(ErrorCodeName, AnUnknownNameIsInternal) {
  EXPECT_EQ(code_from_name("quota_exceeded"), ErrorCode::kInternal);
  EXPECT_EQ(code_from_name(""), ErrorCode::kInternal);
  EXPECT_EQ(code_from_name("Invalid_Argument"), ErrorCode::kInternal);
}

}  // namespace
}  // namespace custody
