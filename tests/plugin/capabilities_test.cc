// Capabilities: parsing, what a grant allows, and requested ∩ granted.
#include "custody/plugin/capabilities.h"

#include <gtest/gtest.h>

namespace custody::plugin {
namespace {

Capabilities caps(std::vector<std::string> names) {
  auto c = Capabilities::parse(names, "grants");
  EXPECT_TRUE(c) << c.error().message;
  return c ? *c : Capabilities{};
}

TEST(Capabilities, ParseAndAllow) {
  const auto c = caps({"read", "submit:wo", "subscribe"});
  EXPECT_TRUE(c.read());
  EXPECT_TRUE(c.subscribe());
  EXPECT_TRUE(c.may_submit("wo.schedule"));
  EXPECT_FALSE(c.may_submit("lot.ship"));
  EXPECT_FALSE(c.may_submit("work.x"));  // a family is the whole prefix
  EXPECT_EQ(c.names(), (std::vector<std::string>{"read", "submit:wo", "subscribe"}));
  EXPECT_EQ(Capabilities::submit_capability("reading.record"), "submit:reading");
}

TEST(Capabilities, BadNamesAreRejectedWithTheirIndex) {
  for (const auto& [names, field] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"read", "write"}, "grants[1]"},
           {{"submit:"}, "grants[0]"},
           {{"submit:Wo"}, "grants[0]"},
           {{"submit:wo.schedule"}, "grants[0]"},
           {{"read", "submit:access"}, "grants[1]"}}) {
    auto c = Capabilities::parse(names, "grants");
    ASSERT_FALSE(c) << names.back();
    EXPECT_EQ(c.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(c.error().field, field);
  }
}

TEST(Capabilities, AccessRecordsAreNeverSubmittable) {
  EXPECT_FALSE(caps({"submit:*"}).may_submit("access.deny"));
  EXPECT_TRUE(caps({"submit:*"}).may_submit("lot.ship"));
}

TEST(Capabilities, AHolderGetsOnlyWhatIsBothRequestedAndGranted) {
  const auto requested = caps({"read", "subscribe", "submit:wo", "submit:note"});
  EXPECT_EQ(requested.intersect(caps({"read", "submit:wo", "submit:lot"})).names(),
            (std::vector<std::string>{"read", "submit:wo"}));
  EXPECT_EQ(requested.intersect(caps({"submit:*"})).names(),
            (std::vector<std::string>{"submit:note", "submit:wo"}));
  EXPECT_EQ(caps({"submit:*"}).intersect(caps({"submit:lot"})).names(),
            (std::vector<std::string>{"submit:lot"}));
  EXPECT_TRUE(requested.intersect(caps({})).names().empty());
}

}  // namespace
}  // namespace custody::plugin
