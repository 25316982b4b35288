// The schema-driven JSON binding: every shape error names its field, and values round-trip.
#include "custody/codec/json_binding.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "custody/codec/capnp_util.h"
#include "schema/commands.capnp.h"

namespace custody::codec {
namespace {

capnp::StructSchema note_schema() {
  return capnp::Schema::from<schema::NoteAdd>();
}

Error bind_error(const std::string& json) {
  auto r = bind_canonical(boost::json::parse(json), note_schema(), "data");
  EXPECT_FALSE(r) << json;
  return r ? Error{} : r.error();
}

TEST(JsonBinding, BindsAndWritesBack) {
  auto bytes = bind_canonical(boost::json::parse(R"({"subject":"line-1","text":"ok \u00e9"})"),
                              note_schema(), "data");
  ASSERT_TRUE(bytes) << bytes.error().message;
  MessageView view(*bytes);
  auto n = view.root<schema::NoteAdd>();
  EXPECT_EQ(codec::view(n.getSubject()), "line-1");
  std::string out;
  JsonWriter w(out);
  ASSERT_TRUE(write_canonical(*bytes, note_schema(), w));
  EXPECT_EQ(out, R"({"subject":"line-1","text":"ok )"
                 "\xc3\xa9"
                 R"("})");
}

TEST(JsonBinding, ShapeErrorsNameTheField) {
  struct Case {
    std::string json;
    std::string field;
  };
  for (const auto& c : std::vector<Case>{
           {R"({"text":"t"})", "data.subject"},
           {R"({"subject":"s"})", "data.text"},
           {R"({"subject":"s","text":null})", "data.text"},
           {R"({"subject":"","text":"t"})", "data.subject"},
           {R"({"subject":" padded","text":"t"})", "data.subject"},
           {R"({"subject":"a\u0001b","text":"t"})", "data.subject"},
           {R"({"subject":5,"text":"t"})", "data.subject"},
           {R"({"subject":"s","text":["t"]})", "data.text"},
           {R"({"subject":"s","text":"t","colour":"red"})", "data.colour"},
           {R"("just a string")", "data"},
       }) {
    const Error e = bind_error(c.json);
    EXPECT_EQ(e.code, ErrorCode::kInvalidArgument) << c.json;
    EXPECT_EQ(e.field, c.field) << c.json << " -> " << e.message;
    EXPECT_FALSE(e.message.empty());
  }
  EXPECT_EQ(bind_error(R"({"subject":")" + std::string(129, 'x') + R"(","text":"t"})").field,
            "data.subject");
}

TEST(JsonBinding, IdentifierRule) {
  EXPECT_TRUE(check_identifier("lot:L-17/a").empty());
  EXPECT_FALSE(check_identifier("").empty());
  EXPECT_FALSE(check_identifier(std::string(129, 'a')).empty());
  EXPECT_FALSE(check_identifier("tab\there").empty());
  EXPECT_FALSE(check_identifier("trailing ").empty());
}

TEST(JsonBinding, EnumNameIsTheSchemaNameAndUnknownBeyondIt) {
  EXPECT_EQ(enum_name(schema::LotStatus::AWAITING_RELEASE), "awaitingRelease");
  EXPECT_EQ(enum_name(schema::Severity::CRITICAL), "critical");
  // A value a newer custody wrote, which this schema does not know.
  EXPECT_EQ(enum_name(static_cast<schema::Severity>(40)), "unknown");
}

}  // namespace
}  // namespace custody::codec
