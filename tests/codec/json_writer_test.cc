#include "custody/codec/json_writer.h"

#include <gtest/gtest.h>

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

TEST(JsonWriter, EscapesControlCharacters) {
  std::string out;
  append_json_string(out, std::string("a\x01"
                                      "b",
                                      3));
  EXPECT_EQ(out, R"("a\u0001b")");
}

}  // namespace
}  // namespace custody::codec
