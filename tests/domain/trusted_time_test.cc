// Contemporaneous records (ALCOA): nothing is recorded as having happened in the future, an
// entry made long after the fact (or dated before its stream's last record) needs a reason
// that is recorded and shown with it, and a wall clock that is stepped back or jumps ahead is
// put on the record, never absorbed.
#include <fstream>

#include "custody/ledger/config.h"
#include "custody/ledger/record.h"
#include "domain/plant_fixture.h"

namespace custody::testing {
namespace {

constexpr TimeNs kSecond = 1'000'000'000LL;

class TrustedTime : public PlantTest {
 protected:
  Result<ledger::CommandResult> note_at(const std::string& occurred_at,
                                        const std::string& subject = "line-1") {
    const std::string line = R"({"type":"note.add","commandId":"t-at-)" + std::to_string(++at_) +
                             R"(","actor":"user:test","occurredAt":")" + occurred_at +
                             R"(","data":{"subject":")" + subject + R"(","text":"t"}})";
    auto cmd = domain::decode_command(line);
    if (!cmd) return std::unexpected(cmd.error());
    return ledger_->submit(std::move(*cmd)).get();
  }
  // Any command with an occurredAt and, when given, a lateReason.
  Result<ledger::CommandResult> at(const std::string& type, const std::string& data,
                                   const std::string& occurred_at,
                                   const std::string& late_reason = {}) {
    const std::string reason = late_reason.empty() ? "" : R"(","lateReason":")" + late_reason;
    auto cmd =
        domain::decode_command(R"({"type":")" + type + R"(","commandId":"t-late-)" +
                               std::to_string(++at_) + R"(","actor":"user:test","occurredAt":")" +
                               occurred_at + reason + R"(","data":)" + data + "}");
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
  // Within the accepted skew (five minutes by default) is taken; so is the past (late
  // entries aside, below).
  EXPECT_TRUE(note_at("2026-11-20T08:00:00Z", "line-2"));
  EXPECT_TRUE(note_at("2026-11-21T08:04:00Z"));
}

TEST_F(TrustedTime, ALateEntryWithoutAReasonIsRefusedAndWritesNothing) {
  master_data();
  receive("R-1", 10);
  const auto head = ledger_->head().seq;
  const std::string before = digest();
  // Two days after the fact (the default age is a day): a paper record typed in later.
  const std::string lot2 =
      R"({"lot":"R-2","material":"romaine","qty":5,"uom":"kg","supplier":"farm","supplierLot":"GF-2"})";
  auto r = at("lot.receive", lot2, "2026-11-19T07:00:00Z");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kLateEntry);
  EXPECT_EQ(code_name(r.error().code), "late_entry");
  EXPECT_EQ(r.error().field, "lateReason");
  EXPECT_NE(r.error().message.find("late entry"), std::string::npos) << r.error().message;
  EXPECT_EQ(ledger_->head().seq, head);
  EXPECT_EQ(digest(), before);

  // With the reason it is taken, and the reason is recorded with it.
  auto taken = at("lot.receive", lot2, "2026-11-19T07:00:00Z", "paper receiving log typed in");
  ASSERT_TRUE(taken) << taken.error().message;
  EXPECT_EQ(taken->records, 2u) << "the receipt and the record of its lateness";
  const auto late = records_of("record.entered_late");
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0].seq, taken->seq + 1);
  EXPECT_EQ(late[0].stream, "lot:R-2");
  EXPECT_EQ(late[0].actor, "user:test");

  // Every view of the receipt shows it entered late, and why.
  const auto shown = show("lot", "R-2");
  const auto& history = shown.at("history").as_array();
  ASSERT_EQ(history.size(), 2u);
  const auto& flag = history[0].as_object().at("late").as_object();
  EXPECT_EQ(flag.at("reason"), "paper receiving log typed in");
  EXPECT_EQ(flag.at("byAge"), true);
  EXPECT_EQ(flag.at("byOrder"), false);
  EXPECT_EQ(flag.at("lateBySeconds").to_number<std::int64_t>(), 49 * 3600);
  EXPECT_EQ(flag.at("seq").to_number<std::uint64_t>(), late[0].seq);
  EXPECT_FALSE(history[1].as_object().contains("late"));
  EXPECT_FALSE(show("lot", "R-1").at("history").as_array()[0].as_object().contains("late"));
}

TEST_F(TrustedTime, AnEntryDatedBeforeItsStreamsLastRecordIsLate) {
  master_data();
  ASSERT_TRUE(at(
      "lot.receive",
      R"({"lot":"R-1","material":"romaine","qty":10,"uom":"kg","supplier":"farm","supplierLot":"GF-1"})",
      "2026-11-21T07:50:00Z"));
  // A little out of order, within the clock skew custody accepts (five minutes): not late.
  ASSERT_TRUE(at("lot.move", R"({"lot":"R-1","location":"dock"})", "2026-11-21T07:47:00Z"));
  const std::string before = digest();
  // Twenty minutes ago, within the age, but before what the lot's stream already holds.
  const std::string move = R"({"lot":"R-1","location":"cold-2"})";
  auto r = at("lot.move", move, "2026-11-21T07:40:00Z");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kLateEntry);
  EXPECT_NE(r.error().message.find("before the last record of lot:R-1"), std::string::npos)
      << r.error().message;
  EXPECT_EQ(digest(), before);
  // Another stream has no such record: the same time is not late there.
  EXPECT_TRUE(note_at("2026-11-21T07:40:00Z"));
  auto taken = at("lot.move", move, "2026-11-21T07:40:00Z", "forklift scanner was offline");
  ASSERT_TRUE(taken) << taken.error().message;
  const auto shown = show("lot", "R-1");
  const auto& history = shown.at("history").as_array();
  EXPECT_FALSE(history[1].as_object().contains("late")) << "the move within the skew";
  const auto& flag = history[2].as_object().at("late");
  EXPECT_EQ(flag.at("byOrder"), true);
  EXPECT_EQ(flag.at("byAge"), false);
  EXPECT_EQ(flag.at("streamLastAt"), "2026-11-21T07:47:00Z");
  // The stream's order survives a restart (read back from its last record).
  reopen();
  auto again = at("lot.move", R"({"lot":"R-1","location":"cold-3"})", "2026-11-21T07:30:00Z");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kLateEntry);
  // A ledger that takes history has no late entries.
  import_history();
  EXPECT_TRUE(at("lot.move", R"({"lot":"R-1","location":"cold-3"})", "2026-11-01T07:30:00Z"));
}

TEST_F(TrustedTime, TheOffsetASenderGaveIsKeptAndShownBack) {
  master_data();
  // 09:00 in Paris is the fixture's 08:00Z: the instant is the same, the offset is kept.
  ASSERT_TRUE(at(
      "lot.receive",
      R"({"lot":"R-1","material":"romaine","qty":10,"uom":"kg","supplier":"farm","supplierLot":"GF-1"})",
      "2026-11-21T09:00:00+01:00"));
  const auto received = records_of("lot.received");
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].occurred_at, kStart);
  EXPECT_EQ(received[0].occurred_offset, 60);
  const auto shown = show("lot", "R-1");
  EXPECT_EQ(shown.at("history").as_array()[0].at("occurredAt"), "2026-11-21T09:00:00+01:00");
  // The same instant written in UTC is another command (a retry must repeat it as sent).
  auto a = domain::decode_command(
      R"({"type":"note.add","commandId":"o1","actor":"user:a","occurredAt":"2026-11-21T09:00:00+01:00","data":{"subject":"s","text":"t"}})");
  auto b = domain::decode_command(
      R"({"type":"note.add","commandId":"o1","actor":"user:a","occurredAt":"2026-11-21T08:00:00Z","data":{"subject":"s","text":"t"}})");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->occurred_at, b->occurred_at);
  EXPECT_NE(ledger::command_digest(*a), ledger::command_digest(*b));
}

TEST_F(TrustedTime, ABadLateReasonIsRefusedByTheDecoder) {
  const std::string head = R"({"type":"note.add","commandId":"c1","actor":"user:a",)";
  const std::string data = R"("data":{"subject":"s","text":"t"}})";
  for (const std::string& reason :
       {std::string(R"(42)"), std::string(R"("   ")"), std::string(R"("tab\there")"),
        "\"" + std::string(1001, 'x') + "\""}) {
    auto cmd = domain::decode_command(head + R"("lateReason":)" + reason + "," + data);
    ASSERT_FALSE(cmd) << reason;
    EXPECT_EQ(cmd.error().field, "lateReason") << reason;
  }
  auto good = domain::decode_command(head + R"("lateReason":"typed in from paper",)" + data);
  ASSERT_TRUE(good) << good.error().message;
  EXPECT_EQ(good->late_reason, "typed in from paper");
  // The reason is part of what a retry must repeat.
  auto plain = domain::decode_command(head + data);
  ASSERT_TRUE(plain);
  EXPECT_NE(ledger::command_digest(*good), ledger::command_digest(*plain));
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
           {R"({"clockStepSeconds":"a minute"})", "config.clockStepSeconds"},
           {R"({"lateEntrySeconds":-5})", "config.lateEntrySeconds"},
           {R"({"lateEntrySeconds":999999999999})", "config.lateEntrySeconds"}}) {
    std::ofstream(cfg, std::ios::trunc) << text;
    auto c = ledger::load_config(dir_);
    ASSERT_FALSE(c) << text;
    EXPECT_EQ(c.error().field, field) << text;
  }
  std::ofstream(cfg, std::ios::trunc)
      << R"({"maxFutureSkewSeconds":0,"clockStepSeconds":5,"lateEntrySeconds":0})";
  auto c = ledger::load_config(dir_);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->sequencer.max_future_skew.count(), 0);
  EXPECT_EQ(c->sequencer.clock_step.count(), 5);
  EXPECT_EQ(c->sequencer.late_entry.count(), 0);
}

}  // namespace
}  // namespace custody::testing
