#include "custody/codec/json_writer.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace custody::codec {
namespace {

TEST(JsonWriter, WritesNestedValuesWithCommas) {
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.key("a").int64(-1);
  w.key("b").begin_array().string("x\"y\n").boolean(true).null().end_array();
  w.key("c").decimal(12500, 3);
  w.key("d").begin_object().end_object();
  w.end_object();
  EXPECT_EQ(out, R"({"a":-1,"b":["x\"y\n",true,null],"c":12.5,"d":{}})");
}

TEST(JsonWriter, DecimalsPrintExactly) {
  EXPECT_EQ(format_decimal(12500, 3), "12.5");
  EXPECT_EQ(format_decimal(-1, 3), "-0.001");
  EXPECT_EQ(format_decimal(3000, 3), "3");
  EXPECT_EQ(format_decimal(0, 3), "0");
  EXPECT_EQ(format_decimal(123456789, 0), "123456789");
}

// Found by fuzz_http: a 404 that named a path with a 0xFF byte was not valid JSON.
TEST(JsonWriter, BytesThatAreNotUtf8BecomeReplacementCharacters) {
  std::string out;
  append_json_string(out, "caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80");
  EXPECT_EQ(out, "\"caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80\"") << "UTF-8 is kept";
  const std::pair<std::string, std::string> cases[] = {
      {"/v1/comm\xff\xff", "\"/v1/comm\\ufffd\\ufffd\""},
      {"\xc0\xaf", "\"\\ufffd\\ufffd\""},                        // an overlong '/'
      {"\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""},             // a surrogate
      {"\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""},  // above U+10FFFF
      {"ab\xe4\xb8", "\"ab\\ufffd\\ufffd\""},                    // cut short
      {"\x80x", "\"\\ufffdx\""},
  };
  for (const auto& [in, expected] : cases) {
    std::string o;
    append_json_string(o, in);
    EXPECT_EQ(o, expected);
    boost::system::error_code ec;
    (void)boost::json::parse(o, ec);
    EXPECT_FALSE(ec) << o;
  }
}

TEST(JsonWriter, EscapesControlCharacters) {
  std::string out;
  append_json_string(out, std::string("a\x01"
                                      "b",
                                      3));
  EXPECT_EQ(out, R"("a\u0001b")");
}

}  // namespace
}  // namespace custody::codec
