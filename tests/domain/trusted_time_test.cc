// Contemporaneous records (ALCOA): nothing is recorded as having happened in the future, and
// a wall clock that is stepped back or jumps ahead is put on the record, never absorbed.
#include <fstream>

#include "custody/ledger/config.h"
#include "custody/ledger/record.h"
#include "domain/plant_fixture.h"

namespace custody::testing {
namespace {

constexpr TimeNs kSecond = 1'000'000'000LL;

class TrustedTime : public PlantTest {
 protected:
  Result<ledger::CommandResult> note_at(const std::string& occurred_at) {
    const std::string line = R"({"type":"note.add","commandId":"t-at-)" + std::to_string(++at_) +
                             R"(","actor":"user:test","occurredAt":")" + occurred_at +
                             R"(","data":{"subject":"line-1","text":"t"}})";
    auto cmd = domain::decode_command(line);
    if (!cmd) return std::unexpected(cmd.error());
    return ledger_->submit(std::move(*cmd)).get();
  }
  // The records of type `type` after seq `from`, decoded.
  std::vector<ledger::RecordFields> records_of(const std::string& type, std::uint64_t from = 0) {
    std::vector<ledger::RecordFields> out;
    auto snap = ledger_->snapshot();
    for (std::uint64_t s = from + 1; s <= snap->head().seq; ++s) {
      auto bytes = snap->record(s);
      auto r = ledger::decode_record(*bytes);
      if (r && r->type == type) out.push_back(*r);
    }
    return out;
  }
  int at_ = 0;
};

TEST_F(TrustedTime, AFutureDatedCommandIsRefusedAndWritesNothing) {
  ok("note.add", R"({"subject":"line-1","text":"first"})");
  const auto head = ledger_->head().seq;
  const std::string before = digest();
  // The fixture's clock reads 2026-11-21T08:00:00Z.
  auto r = note_at("2026-11-21T09:00:00Z");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().field, "occurredAt");
  EXPECT_NE(r.error().message.find("3600 s ahead"), std::string::npos) << r.error().message;
  EXPECT_EQ(ledger_->head().seq, head);
  EXPECT_EQ(digest(), before);
  // Within the accepted skew (five minutes by default), and anything in the past, is taken.
  EXPECT_TRUE(note_at("2026-11-21T08:04:00Z"));
  EXPECT_TRUE(note_at("2026-11-20T08:00:00Z"));
}

TEST_F(TrustedTime, AClockSteppedBackIsRecordedAndRecordedAtNeverGoesBack) {
  ok("note.add", R"({"subject":"line-1","text":"before"})");
  const auto first = records_of("note.added").back();
  clock_.step(-3600 * kSecond);  // someone sets the server's clock back an hour
  ok("note.add", R"({"subject":"line-1","text":"after"})");
  const auto raised = records_of("exception.raised", first.seq);
  ASSERT_EQ(raised.size(), 1u);
  EXPECT_EQ(raised[0].actor, "system");
  const auto notes = records_of("note.added");
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_GE(notes[1].recorded_at, notes[0].recorded_at);
  EXPECT_LT(raised[0].seq, notes[1].seq) << "the step is recorded before what follows it";
  const auto ex = state("exception", raised[0].stream.substr(std::string("exception:").size()));
  EXPECT_EQ(ex.at("category"), "security");
  EXPECT_EQ(ex.at("severity"), "high");
  EXPECT_NE(std::string(ex.at("description").as_string()).find("stepped back by 1 h 0 min 0 s"),
            std::string::npos)
      << ex;
}

TEST_F(TrustedTime, AJumpAheadIsRecordedButTimePassingIsNot) {
  ok("note.add", R"({"subject":"line-1","text":"a"})");
  clock_.advance(5 * 3600 * kSecond);  // hours pass: the two clocks agree
  ok("note.add", R"({"subject":"line-1","text":"b"})");
  EXPECT_TRUE(records_of("exception.raised").empty());
  clock_.step(2 * 3600 * kSecond);  // the wall clock alone jumps
  ok("note.add", R"({"subject":"line-1","text":"c"})");
  const auto raised = records_of("exception.raised");
  ASSERT_EQ(raised.size(), 1u);
  const auto ex = state("exception", raised[0].stream.substr(std::string("exception:").size()));
  EXPECT_NE(std::string(ex.at("description").as_string()).find("jumped forward by 2 h 0 min 0 s"),
            std::string::npos)
      << ex;
  // A step within the bound (a minute by default) is ordinary clock discipline.
  clock_.step(-30 * kSecond);
  ok("note.add", R"({"subject":"line-1","text":"d"})");
  EXPECT_EQ(records_of("exception.raised").size(), 1u);
}

TEST_F(TrustedTime, TheBoundsAreSettingsAndBadOnesAreRefused) {
  const auto cfg = dir_ / "config.json";
  for (const auto& [text, field] : std::vector<std::pair<std::string, std::string>>{
           {R"({"maxFutureSkewSeconds":-1})", "config.maxFutureSkewSeconds"},
           {R"({"maxFutureSkewSeconds":86401})", "config.maxFutureSkewSeconds"},
           {R"({"clockStepSeconds":0})", "config.clockStepSeconds"},
           {R"({"clockStepSeconds":"a minute"})", "config.clockStepSeconds"}}) {
    std::ofstream(cfg, std::ios::trunc) << text;
    auto c = ledger::load_config(dir_);
    ASSERT_FALSE(c) << text;
    EXPECT_EQ(c.error().field, field) << text;
  }
  std::ofstream(cfg, std::ios::trunc) << R"({"maxFutureSkewSeconds":0,"clockStepSeconds":5})";
  auto c = ledger::load_config(dir_);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->sequencer.max_future_skew.count(), 0);
  EXPECT_EQ(c->sequencer.clock_step.count(), 5);
}

}  // namespace
}  // namespace custody::testing
