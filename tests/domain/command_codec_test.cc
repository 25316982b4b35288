// The JSON command envelope: what `custody append` accepts and how it says no.
#include "custody/domain/command_codec.h"

#include <gtest/gtest.h>

#include "custody/common/encoding.h"

namespace custody::domain {
namespace {

TEST(CommandCodec, DecodesAFullCommand) {
  std::string id;
  auto c = decode_command(
      R"({"type":"note.add","commandId":"c-1","actor":"user:alice","expectedVersion":2,)"
      R"("occurredAt":"2026-11-21T08:00:00Z","data":{"subject":"line-1","text":"hi"}})",
      &id);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(id, "c-1");
  EXPECT_EQ(c->type, "note.add");
  EXPECT_EQ(c->actor, "user:alice");
  EXPECT_EQ(c->expected_version, 2u);
  EXPECT_EQ(c->occurred_at, *parse_rfc3339("2026-11-21T08:00:00Z"));
  EXPECT_FALSE(c->data.empty());
}

TEST(CommandCodec, EnvelopeErrorsNameTheField) {
  struct Case {
    std::string json;
    std::string field;
  };
  const std::string data = R"("data":{"subject":"s","text":"t"})";
  for (const auto& c : std::vector<Case>{
           {"{not json", ""},
           {"[1,2]", ""},
           {R"({"commandId":"c","actor":"a",)" + data + "}", "type"},
           {R"({"type":"lot.teleport","commandId":"c","actor":"a",)" + data + "}", "type"},
           {R"({"type":"note.add","actor":"a",)" + data + "}", "commandId"},
           {R"({"type":"note.add","commandId":7,"actor":"a",)" + data + "}", "commandId"},
           {R"({"type":"note.add","commandId":"c",)" + data + "}", "actor"},
           {R"({"type":"note.add","commandId":"c","actor":"system",)" + data + "}", "actor"},
           {R"({"type":"note.add","commandId":"c","actor":"a","expectedVersion":-1,)" + data + "}",
            "expectedVersion"},
           {R"({"type":"note.add","commandId":"c","actor":"a","occurredAt":"noon",)" + data + "}",
            "occurredAt"},
           {R"({"type":"note.add","commandId":"c","actor":"a"})", "data"},
           {R"({"type":"note.add","commandId":"c","actor":"a","data":{"subject":"s"}})",
            "data.text"},
           {R"({"type":"note.add","commandId":"c","actor":"a","extra":1,)" + data + "}", "extra"},
       }) {
    auto r = decode_command(c.json);
    ASSERT_FALSE(r) << c.json;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << c.json;
    EXPECT_EQ(r.error().field, c.field) << c.json << " -> " << r.error().message;
  }
}

TEST(CommandCodec, ResultLines) {
  ledger::CommandResult ok;
  ok.seq = 7;
  ok.records = 1;
  EXPECT_EQ(result_json("c", ok),
            R"({"ok":true,"seq":7,"hash":")" + std::string(64, '0') + R"(","commandId":"c"})");
  ok.duplicate = true;
  EXPECT_NE(result_json("c", ok).find(R"("duplicate":true)"), std::string::npos);
  const Result<ledger::CommandResult> bad =
      std::unexpected(Error::invalid_argument("data.text", "is required"));
  EXPECT_EQ(result_json("", bad),
            R"({"ok":false,"commandId":null,"error":{"code":"invalid_argument",)"
            R"("message":"is required","field":"data.text"}})");
}

}  // namespace
}  // namespace custody::domain
