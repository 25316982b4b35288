#include "custody/codec/json_parse.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

namespace custody::codec {
namespace {

// parse_json builds its value and checks keys in one pass: it must read what Boost.JSON's own
// parser reads, and refuse what it would silently take.
TEST(ParseJson, ReadsWhatBoostJsonReads) {
  const std::string text =
      R"( {"type":"lot.receive","n":-3,"u":18446744073709551615,"d":2.5e-3,"t":true,)"
      R"("f":false,"z":null,"s":"a\"b\\c\u00e9\ud83d\ude00","e":"","a":[1,[2,{"k":[]}],{}],)"
      R"("o":{"inner":{"deeper":{"x":"y"}}},"long":")" +
      std::string(5000, 'q') + R"("}  )";
  auto mine = parse_json(text, "body");
  ASSERT_TRUE(mine) << mine.error().message;
  EXPECT_EQ(*mine, boost::json::parse(text));
  auto scalar = parse_json("  42 ", "body");
  ASSERT_TRUE(scalar);
  EXPECT_EQ(*scalar, boost::json::value(42));
}

TEST(ParseJson, RefusesARepeatedKeyAtAnyDepthAndNamesIt) {
  for (const auto& [text, key] : std::vector<std::pair<std::string, std::string>>{
           {R"({"actor":"system","actor":"user:a"})", "actor"},
           {R"({"data":{"lot":"A","qty":1,"lot":"B"}})", "lot"},
           {R"({"a":[{"x":1},{"y":1,"y":2}]})", "y"},
           // The same key once escaped: one key once read.
           {R"({"ab":1,"a\u0062":2})", "ab"},
           // The second comes after a nested object that had closed.
           {R"({"k":{"k":{"k":1}},"j":1,"k":2})", "k"},
       }) {
    auto r = parse_json(text, "body");
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(r.error().field, "body");
    EXPECT_NE(r.error().message.find("\"" + key + "\" twice"), std::string::npos)
        << text << ": " << r.error().message;
  }
}

TEST(ParseJson, TheSameKeyInDifferentObjectsIsNoRepeat) {
  const std::string text = R"({"a":{"a":1,"b":{"a":2}},"b":[{"a":3},{"a":4}],"c":{"a":{}}})";
  auto r = parse_json(text, "body");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, boost::json::parse(text));
}

TEST(ParseJson, MalformedTrailingAndOversizedTextAreRefused) {
  for (const std::string text : {"{", R"({"a":1)", R"({"a":1} {"b":2})", R"({"a":1}x)", "",
                                 R"({"a":01})", R"(["a",])", "nul"}) {
    auto r = parse_json(text, "line");
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << text;
    EXPECT_EQ(r.error().field, "line");
    EXPECT_TRUE(r.error().message.starts_with("malformed JSON")) << r.error().message;
  }
  auto big = parse_json(R"({"a":")" + std::string(100, 'x') + R"("})", "body", 64);
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code, ErrorCode::kOutOfRange);
}

TEST(ParseJson, BuildsInTheStorageItIsGiven) {
  unsigned char buffer[1024];
  boost::json::monotonic_resource arena(buffer, sizeof buffer);
  auto r = parse_json(R"({"type":"note.add","data":{"text":")" + std::string(3000, 'x') + R"("}})",
                      "", 1 << 20, &arena);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->storage().get(), &arena);
  EXPECT_EQ(r->at("data").at("text").as_string().size(), 3000U);
}

}  // namespace
}  // namespace custody::codec
