// The SDK's settings reader and refusal (custody/settings.hpp), which the bundled plugins use, on
// their own: each problem is named by its path, the first one is kept, and a refusal is the
// SDK's invalid_argument with the field under "config".
#include "custody/settings.hpp"

#include <gtest/gtest.h>

namespace custody::sdk {
namespace {

namespace json = boost::json;

TEST(PluginSettings, ParseWantsAJsonObject) {
  auto ok = parse_settings(R"({"a":1})");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok.object.at("a"), 1);
  auto not_json = parse_settings("{");
  ASSERT_FALSE(not_json);
  EXPECT_EQ(not_json.error->field, "");
  EXPECT_NE(not_json.error->message.find("is not JSON"), std::string::npos);
  auto array = parse_settings("[]");
  ASSERT_FALSE(array);
  EXPECT_EQ(array.error->text(), "must be a JSON object");
}

TEST(PluginSettings, ReadsWithDefaultsAndKeepsTheFirstProblem) {
  const json::value v =
      json::parse(R"({"name":"washer-1","n":7,"big":18446744073709551615,"x":1.5,"list":[1],)"
                  R"("bad":"x","worse":-1})");
  SettingsReader r(v.as_object(), "devices[2].", "the test");
  EXPECT_EQ(r.text("name", Need::kRequired, Form::kIdentifier), "washer-1");
  EXPECT_EQ(r.text("absent", Need::kOptional, Form::kText, "fallback"), "fallback");
  EXPECT_EQ(r.integer("n", 0, 10, 1), 7);
  EXPECT_EQ(r.integer("absent", 0, 10, 3), 3);
  EXPECT_EQ(r.whole("big", 0, UINT64_MAX, 0), UINT64_MAX);
  EXPECT_EQ(r.number("x", Need::kRequired, 0), 1.5);
  ASSERT_NE(r.array("list", Need::kRequired), nullptr);
  EXPECT_FALSE(r.error());

  EXPECT_EQ(r.integer("bad", 0, 10, 4), 4);  // the first problem
  EXPECT_EQ(r.whole("worse", 0, 10, 5), 5);  // a second one, not kept
  r.only({"name"});
  ASSERT_TRUE(r.error());
  EXPECT_EQ(r.error()->field, "devices[2].bad");
  EXPECT_EQ(r.error()->message, "must be a whole number from 0 to 10");
}

TEST(PluginSettings, IdentifiersFollowTheLedgersRule) {
  struct Case {
    std::string json;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {R"({"id":""})", "must be 1 to 128 bytes"},
           {R"({"id":")" + std::string(129, 'a') + R"("})", "must be 1 to 128 bytes"},
           {R"({"id":"a "})", "must not start or end with a space"},
           {R"({"id":"a\tb"})", "must not contain control characters"},
           {R"({"id":"a\u007fb"})", "must not contain control characters"},
           {R"({"id":3})", "must be a string"},
           {R"({})", "is required"},
       }) {
    SCOPED_TRACE(c.json);
    const json::value v = json::parse(c.json);
    SettingsReader r(v.as_object(), "", "the test");
    r.text("id", Need::kRequired, Form::kIdentifier);
    ASSERT_TRUE(r.error());
    EXPECT_EQ(r.error()->field, "id");
    EXPECT_EQ(r.error()->message, c.message);
  }
  const json::value v = json::parse(R"({"id":"a b\u00e9"})");
  SettingsReader r(v.as_object(), "", "the test");
  EXPECT_EQ(r.text("id", Need::kRequired, Form::kIdentifier), "a b\xc3\xa9");
  r.joined_budget("equipment", "washer-1", "param", "chlorine", 16);
  EXPECT_FALSE(r.error());
  r.joined_budget("equipment", "washer-1", "param", "chlorine", 15);
  ASSERT_TRUE(r.error());
  EXPECT_EQ(r.error()->field, "param");
}

TEST(PluginSettings, UnknownKeysAreNamedWithTheirOwner) {
  const json::value v = json::parse(R"({"adress":3})");
  SettingsReader r(v.as_object(), "registers[0].", "the modbus driver");
  r.only({"address"});
  ASSERT_TRUE(r.error());
  EXPECT_EQ(r.error()->text(), "registers[0].adress: is not a setting of the modbus driver");
}

TEST(PluginSettings, ARefusalIsInvalidArgumentUnderConfig) {
  try {
    refuse_config({"registers[1].format", "must be one of uint16"});
    FAIL() << "refuse_config returned";
  } catch (const sdk::Refusal& r) {
    EXPECT_EQ(r.status(), CUSTODY_ERR_INVALID_ARGUMENT);
    EXPECT_STREQ(r.what(), "invalid configuration: registers[1].format: must be one of uint16");
    EXPECT_EQ(r.field(), "config.registers[1].format");
  }
  try {
    refuse_config({"", "must be a JSON object"});
    FAIL() << "refuse_config returned";
  } catch (const sdk::Refusal& r) {
    EXPECT_EQ(r.field(), "config");
  }
}

}  // namespace
}  // namespace custody::sdk
