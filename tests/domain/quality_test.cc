// Readings and inspections: limits from the running step (or the equipment), and the
// exception custody raises itself, in the same commit, when a value breaks them.
#include "domain/plant_fixture.h"

namespace custody::testing {
namespace {

using Quality = PlantTest;

TEST_F(Quality, OutOfLimitReadingRaisesALinkedExceptionOnce) {
  master_data();
  receive("R-1", 100);
  running_order();
  ok("lot.consume", R"({"wo":"WO-1","step":"wash","lot":"R-1","qty":10})");
  auto in =
      run("reading.record",
          R"({"equipment":"washer-1","param":"chlorine","value":120,"unit":"ppm"})", "device:cl-1");
  ASSERT_TRUE(in);
  EXPECT_EQ(in->records, 1u);
  const std::uint64_t head = ledger_->head().seq;
  auto out =
      run("reading.record",
          R"({"equipment":"washer-1","param":"chlorine","value":12,"unit":"ppm"})", "device:cl-1");
  ASSERT_TRUE(out);
  EXPECT_EQ(out->records, 2u);  // the reading and the exception, one commit
  EXPECT_EQ(out->seq, head + 1);
  const std::string id = "auto:t-" + std::to_string(n_);
  auto e = state("exception", id);
  EXPECT_EQ(e["status"], "open");
  EXPECT_EQ(e["automatic"], true);
  EXPECT_EQ(e["category"], "process");
  EXPECT_EQ(e["equipment"], "washer-1");
  EXPECT_EQ(e["wo"], "WO-1");
  EXPECT_EQ(e["lots"].as_array().size(), 1u);
  EXPECT_EQ(num(e["cause"]), static_cast<double>(head + 1));
  auto recs = show("exception", id)["history"].as_array();
  EXPECT_EQ(recs[0].at("actor"), "system");

  // The excursion continues: no second exception.
  auto again = run("reading.record", R"({"equipment":"washer-1","param":"chlorine","value":11})");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->records, 1u);
  // Back in limits, then out again: a new one.
  ok("reading.record", R"({"equipment":"washer-1","param":"chlorine","value":100})");
  auto next = run("reading.record", R"({"equipment":"washer-1","param":"chlorine","value":300})");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->records, 2u);
  auto eq = show("equipment", "washer-1");
  const auto& last = eq["lastReadings"].as_array();
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0].at("param"), "chlorine");
  EXPECT_EQ(last[0].at("inLimits"), false);
  // Its history: its definition and five readings (its own stream), and the order's start.
  EXPECT_EQ(eq["history"].as_array().size(), 7u);
}

TEST_F(Quality, ReadingsWithoutLimitsAreJustRecorded) {
  master_data();
  auto r = run("reading.record", R"({"equipment":"washer-1","param":"chlorine","value":1})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->records, 1u);  // nothing runs on the washer: no limits apply
  ok("equipment.define",
     R"({"equipment":"cold-1","name":"Cold room","workCenter":"cold","params":[{"name":"temperature","min":0,"max":5,"unit":"C"}]})");
  auto warm = run("reading.record",
                  R"({"equipment":"cold-1","param":"temperature","value":9.5,"unit":"C"})");
  ASSERT_TRUE(warm);
  EXPECT_EQ(warm->records, 2u);  // the room's own limits apply
  expect_rejected("reading.record", R"({"equipment":"nope","param":"t","value":1})",
                  ErrorCode::kNotFound, "data.equipment");
  expect_rejected("reading.record", R"({"equipment":"cold-1","param":"t","value":"warm"})",
                  ErrorCode::kInvalidArgument, "data.value");
}

TEST_F(Quality, FailedInspectionRaisesAQualityException) {
  master_data();
  receive("R-1", 100);
  auto pass = run("inspection.record",
                  R"({"lot":"R-1","characteristic":"brix","value":4,"min":3,"max":6})");
  ASSERT_TRUE(pass);
  EXPECT_EQ(pass->records, 1u);
  auto fail =
      run("inspection.record",
          R"({"lot":"R-1","characteristic":"temperature","value":9,"min":0,"max":5,"unit":"C"})");
  ASSERT_TRUE(fail);
  EXPECT_EQ(fail->records, 2u);
  auto e = state("exception", "auto:t-" + std::to_string(n_));
  EXPECT_EQ(e["category"], "quality");
  EXPECT_EQ(e["lots"].as_array()[0], "R-1");
  EXPECT_EQ(e["severity"], "high");
}

TEST_F(Quality, InspectionRules) {
  master_data();
  receive("R-1", 10);
  expect_rejected("inspection.record", R"({"characteristic":"x","value":1,"min":0,"max":2})",
                  ErrorCode::kInvalidArgument, "data.lot");
  expect_rejected(
      "inspection.record",
      R"({"lot":"R-1","wo":"WO-1","step":"wash","characteristic":"x","value":1,"min":0,"max":2})",
      ErrorCode::kInvalidArgument, "data.lot");
  expect_rejected("inspection.record", R"({"lot":"R-1","characteristic":"x","value":1})",
                  ErrorCode::kInvalidArgument, "data.min");
  expect_rejected("inspection.record",
                  R"({"lot":"R-1","characteristic":"x","value":1,"min":3,"max":2})",
                  ErrorCode::kInvalidArgument, "data.max");
  expect_rejected("inspection.record",
                  R"({"lot":"R-9","characteristic":"x","value":1,"min":0,"max":2})",
                  ErrorCode::kNotFound, "data.lot");
  expect_rejected("inspection.record",
                  R"({"wo":"WO-9","step":"wash","characteristic":"x","value":1,"min":0,"max":2})",
                  ErrorCode::kNotFound, "data.wo");
  ok("wo.create",
     R"({"wo":"WO-1","material":"salad","qty":1,"routing":"salad-r","due":"2026-11-22"})");
  expect_rejected("inspection.record",
                  R"({"wo":"WO-1","step":"wash","characteristic":"x","value":1,"min":0,"max":2})",
                  ErrorCode::kInvalidState, "data.wo");
}

}  // namespace
}  // namespace custody::testing
