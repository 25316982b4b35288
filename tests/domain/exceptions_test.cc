// The exception workflow, equipment going down and coming back, and escalation when a
// deadline passes (driven by the injected clock, not by sleeping).
#include "domain/plant_fixture.h"

namespace custody::testing {
namespace {

using Exceptions = PlantTest;

TEST_F(Exceptions, WorkflowInOrderOnly) {
  master_data();
  ok("exception.raise",
     R"({"exception":"EX-1","category":"personnel","severity":"medium","description":"short-staffed on line 2"})");
  expect_rejected("exception.acknowledge", R"({"exception":"EX-1"})", ErrorCode::kInvalidState,
                  "data.exception");
  expect_rejected("exception.resolve", R"({"exception":"EX-1","rootCause":"x","action":"y"})",
                  ErrorCode::kInvalidState, "data.exception");
  expect_rejected("exception.close", R"({"exception":"EX-1"})", ErrorCode::kInvalidState,
                  "data.exception");
  ok("exception.assign", R"({"exception":"EX-1","assignee":"user:lead"})");
  ok("exception.assign", R"({"exception":"EX-1","assignee":"user:lead2"})");  // reassigned
  ok("exception.acknowledge", R"({"exception":"EX-1"})", "user:lead2");
  expect_rejected("exception.acknowledge", R"({"exception":"EX-1"})", ErrorCode::kInvalidState,
                  "data.exception");
  expect_rejected("exception.resolve", R"({"exception":"EX-1","rootCause":"","action":"y"})",
                  ErrorCode::kInvalidArgument, "data.rootCause");
  ok("exception.resolve",
     R"({"exception":"EX-1","rootCause":"two sick calls","action":"called in float"})");
  expect_rejected("exception.assign", R"({"exception":"EX-1","assignee":"user:x"})",
                  ErrorCode::kInvalidState, "data.exception");
  ok("exception.close", R"({"exception":"EX-1"})");
  auto e = state("exception", "EX-1");
  EXPECT_EQ(e["status"], "closed");
  EXPECT_EQ(e["assignee"], "user:lead2");
  EXPECT_EQ(e["rootCause"], "two sick calls");
  expect_rejected("exception.close", R"({"exception":"EX-1"})", ErrorCode::kInvalidState,
                  "data.exception");
}

TEST_F(Exceptions, RaiseRules) {
  master_data();
  ok("exception.raise",
     R"({"exception":"EX-1","category":"quality","severity":"low","description":"d"})");
  expect_rejected("exception.raise",
                  R"({"exception":"EX-1","category":"quality","severity":"low","description":"d"})",
                  ErrorCode::kAlreadyExists, "data.exception");
  expect_rejected("exception.raise", R"({"exception":"EX-2","description":"d","wo":"WO-9"})",
                  ErrorCode::kNotFound, "data.wo");
  expect_rejected("exception.raise", R"({"exception":"EX-2","description":"d","lot":"L-9"})",
                  ErrorCode::kNotFound, "data.lot");
  expect_rejected("exception.raise", R"({"exception":"EX-2","description":"d","equipment":"x"})",
                  ErrorCode::kNotFound, "data.equipment");
  expect_rejected("exception.raise",
                  R"({"exception":"EX-2","description":"d","severity":"apocalyptic"})",
                  ErrorCode::kInvalidArgument, "data.severity");
  expect_rejected("exception.assign", R"({"exception":"EX-9","assignee":"u"})",
                  ErrorCode::kNotFound, "data.exception");
}

TEST_F(Exceptions, EquipmentExceptionTakesItDownUntilResolved) {
  master_data();
  ok("wo.create",
     R"({"wo":"WO-1","material":"salad","qty":1,"routing":"salad-r","due":"2026-11-22"})");
  ok("wo.release", R"({"wo":"WO-1"})");
  ok("exception.raise",
     R"({"exception":"EX-1","category":"equipment","severity":"critical","description":"pump seized","equipment":"washer-1"})");
  EXPECT_EQ(state("equipment", "washer-1")["state"], "down");
  expect_rejected("op.start", R"({"wo":"WO-1","step":"wash","equipment":"washer-1"})",
                  ErrorCode::kInvalidState, "data.equipment");
  ok("exception.assign", R"({"exception":"EX-1","assignee":"user:maint"})");
  ok("exception.acknowledge", R"({"exception":"EX-1"})");
  ok("exception.resolve", R"({"exception":"EX-1","rootCause":"bearing","action":"replaced"})");
  EXPECT_EQ(state("equipment", "washer-1")["state"], "idle");
  ok("op.start", R"({"wo":"WO-1","step":"wash","equipment":"washer-1"})");
}

TEST_F(Exceptions, OverdueExceptionsAreEscalatedOnceByTheSystem) {
  master_data();
  ok("exception.raise",
     R"({"exception":"EX-1","category":"material","severity":"high","description":"film jam","deadline":"2026-11-21T10:00:00Z"})");
  ok("exception.raise",
     R"({"exception":"EX-2","category":"material","severity":"low","description":"later","deadline":"2026-11-23T10:00:00Z"})");
  ok("exception.raise",
     R"({"exception":"EX-3","category":"material","severity":"low","description":"fixed","deadline":"2026-11-21T09:00:00Z"})");
  ok("exception.assign", R"({"exception":"EX-3","assignee":"u"})");
  ok("exception.acknowledge", R"({"exception":"EX-3"})");
  ok("exception.resolve", R"({"exception":"EX-3","rootCause":"r","action":"a"})");
  EXPECT_EQ(state("exception", "EX-1")["escalated"], false);

  // 11:00: EX-1 is an hour overdue. The next commit group runs the clock's check first.
  clock_.set(kStart + 3 * 3600LL * 1'000'000'000LL);
  ok("note.add", R"({"subject":"shift","text":"tick"})");
  auto e1 = state("exception", "EX-1");
  EXPECT_EQ(e1["escalated"], true);
  EXPECT_EQ(state("exception", "EX-2")["escalated"], false);
  EXPECT_EQ(state("exception", "EX-3")["escalated"], false);  // resolved in time
  auto history = show("exception", "EX-1")["history"].as_array();
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[1].at("type"), "exception.escalated");
  EXPECT_EQ(history[1].at("actor"), "system");
  EXPECT_EQ(history[1].at("commandId"), "escalate:EX-1");

  // Later ticks do not escalate it again.
  const auto head = ledger_->head().seq;
  clock_.advance(2 * 3600LL * 1'000'000'000LL);
  ok("note.add", R"({"subject":"shift","text":"tick"})");
  EXPECT_EQ(ledger_->head().seq, head + 1);
  expect_rejected("exception.escalate", R"({"exception":"EX-1"})", ErrorCode::kInvalidState,
                  "data.exception");
}

// Replaying an old month must not escalate everything at once: deadlines are judged by when
// things happened while the log catches up, not by the wall clock a month later.
TEST_F(Exceptions, ReplayingAnOldDayJudgesDeadlinesByWhenThingsHappened) {
  import_history();
  master_data();
  constexpr TimeNs kSecond = 1'000'000'000LL;
  clock_.set(kStart + 30 * 24 * 3600LL * kSecond);  // a month after the day being imported
  auto step = [&](const std::string& type, const std::string& data, const std::string& at) {
    clock_.advance(2 * kSecond);  // the import takes a little time: each group may tick
    ok_at(type, data, at);
  };
  step(
      "exception.raise",
      R"({"exception":"EX-1","category":"material","severity":"high","description":"jam","deadline":"2026-11-21T10:00:00Z"})",
      "2026-11-21T08:05:00Z");
  step(
      "exception.raise",
      R"({"exception":"EX-2","category":"material","severity":"low","description":"slow","deadline":"2026-11-21T10:30:00Z"})",
      "2026-11-21T08:06:00Z");
  step("note.add", R"({"subject":"shift","text":"09:00"})", "2026-11-21T09:00:00Z");
  step("exception.assign", R"({"exception":"EX-1","assignee":"u"})", "2026-11-21T09:10:00Z");
  step("exception.acknowledge", R"({"exception":"EX-1"})", "2026-11-21T09:20:00Z");
  step("exception.resolve", R"({"exception":"EX-1","rootCause":"r","action":"a"})",
       "2026-11-21T09:30:00Z");
  EXPECT_EQ(state("exception", "EX-1")["escalated"], false);
  EXPECT_EQ(state("exception", "EX-2")["escalated"], false);
  step("note.add", R"({"subject":"shift","text":"11:00"})", "2026-11-21T11:00:00Z");
  step("note.add", R"({"subject":"shift","text":"11:05"})", "2026-11-21T11:05:00Z");
  // EX-1 was resolved in time; EX-2 passed its deadline in the imported day.
  EXPECT_EQ(state("exception", "EX-1")["escalated"], false);
  EXPECT_EQ(state("exception", "EX-2")["escalated"], true);
}

TEST_F(Exceptions, CommentsGoIntoTheHistoryUntilTheExceptionIsClosed) {
  master_data();
  expect_rejected("exception.comment", R"({"exception":"EX-9","text":"t"})", ErrorCode::kNotFound,
                  "data.exception");
  ok("exception.raise",
     R"({"exception":"EX-1","category":"quality","severity":"high","description":"foreign body"})");
  expect_rejected("exception.comment", R"({"exception":"EX-1","text":""})",
                  ErrorCode::kInvalidArgument, "data.text");
  expect_rejected("exception.comment", R"({"exception":"EX-1"})", ErrorCode::kInvalidArgument,
                  "data.text");
  ok("exception.comment", R"({"exception":"EX-1","text":"sieve 3 found torn"})", "user:qa");
  auto before = state("exception", "EX-1");
  EXPECT_EQ(before["status"], "open");  // a comment moves nothing in the workflow
  ok("exception.assign", R"({"exception":"EX-1","assignee":"user:lead"})");
  ok("exception.acknowledge", R"({"exception":"EX-1"})");
  ok("exception.resolve", R"({"exception":"EX-1","rootCause":"torn sieve","action":"replaced"})");
  ok("exception.comment", R"({"exception":"EX-1","text":"supplier informed"})", "user:qa");
  ok("exception.close", R"({"exception":"EX-1"})");
  const auto head = ledger_->head().seq;
  expect_rejected("exception.comment", R"({"exception":"EX-1","text":"late"})",
                  ErrorCode::kInvalidState, "data.exception");
  EXPECT_EQ(ledger_->head().seq, head);

  auto history = show("exception", "EX-1")["history"].as_array();
  ASSERT_EQ(history.size(), 7u);
  EXPECT_EQ(history[1].at("type"), "exception.commented");
  EXPECT_EQ(history[1].at("actor"), "user:qa");
  EXPECT_EQ(history[1].at("payload").at("text"), "sieve 3 found torn");
  EXPECT_EQ(history[5].at("payload").at("text"), "supplier informed");

  // A comment's text can be corrected, after the close too: the correction is a record of its
  // own and the original stays.
  const auto seq = history[1].at("seq").as_int64();
  ok("record.correct",
     R"({"seq":)" + std::to_string(seq) +
         R"(,"reason":"wrong sieve","data":{"exception":"EX-1","text":"sieve 4 found torn"}})",
     "user:qa");
  history = show("exception", "EX-1")["history"].as_array();
  ASSERT_EQ(history.size(), 8u);
  EXPECT_EQ(history[1].at("corrected"), true);
  EXPECT_EQ(history[7].at("payload").at("payload").at("text"), "sieve 4 found torn");
}

}  // namespace
}  // namespace custody::testing
