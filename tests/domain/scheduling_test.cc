// wo.schedule: a plan for an order's remaining steps, checked against the order and its
// routing, replacing earlier plans step by step.
#include "domain/plant_fixture.h"

namespace custody::testing {
namespace {

using Scheduling = PlantTest;

TEST_F(Scheduling, APlanLandsOnTheOrderAndALaterOneReplacesIt) {
  master_data();
  ok("wo.create",
     R"({"wo":"WO-1","material":"salad","qty":100,"routing":"salad-r","due":"2026-11-22T00:00:00Z"})");
  ok("wo.release", R"({"wo":"WO-1"})");
  ok("wo.schedule",
     R"({"wo":"WO-1","plan":"p1","steps":[)"
     R"({"step":"wash","start":"2026-11-21T09:00:00Z","end":"2026-11-21T10:00:00Z","equipment":"washer-1"},)"
     R"({"step":"pack","start":"2026-11-21T10:00:00Z","end":"2026-11-21T11:30:00Z"}]})",
     "user:planner");
  auto wo = state("wo", "WO-1");
  EXPECT_EQ(wo["plan"], "p1");
  EXPECT_EQ(wo["scheduledStart"], "2026-11-21T09:00:00Z");
  EXPECT_EQ(wo["scheduledEnd"], "2026-11-21T11:30:00Z");
  const auto& steps = wo["steps"].as_array();
  EXPECT_EQ(steps[0].at("scheduledEquipment"), "washer-1");
  EXPECT_EQ(steps[1].at("scheduledStart"), "2026-11-21T10:00:00Z");

  // Wash runs; a re-plan moves only the pack step.
  ok("op.start", R"({"wo":"WO-1","step":"wash","equipment":"washer-1"})");
  ok("wo.schedule",
     R"({"wo":"WO-1","plan":"p2","steps":[)"
     R"({"step":"pack","start":"2026-11-21T13:00:00Z","end":"2026-11-21T14:00:00Z"}]})",
     "user:planner");
  wo = state("wo", "WO-1");
  EXPECT_EQ(wo["plan"], "p2");
  EXPECT_EQ(wo["scheduledStart"], "2026-11-21T09:00:00Z");
  EXPECT_EQ(wo["scheduledEnd"], "2026-11-21T14:00:00Z");
  EXPECT_EQ(wo["steps"].as_array()[1].at("scheduledStart"), "2026-11-21T13:00:00Z");
}

TEST_F(Scheduling, BadPlansAreRejectedAndWriteNothing) {
  master_data();
  ok("equipment.define", R"({"equipment":"washer-2","name":"Washer 2","workCenter":"wash"})");
  ok("wo.create",
     R"({"wo":"WO-1","material":"salad","qty":100,"routing":"salad-r","due":"2026-11-22T00:00:00Z"})");
  auto plan = [](const std::string& steps, const std::string& wo = "WO-1") {
    return R"({"wo":")" + wo + R"(","steps":[)" + steps + "]}";
  };
  const std::string wash =
      R"({"step":"wash","start":"2026-11-21T09:00:00Z","end":"2026-11-21T10:00:00Z"})";
  const std::string pack =
      R"({"step":"pack","start":"2026-11-21T10:00:00Z","end":"2026-11-21T11:00:00Z"})";
  expect_rejected("wo.schedule", plan(wash, "WO-9"), ErrorCode::kNotFound, "data.wo");
  expect_rejected("wo.schedule", plan(""), ErrorCode::kInvalidArgument, "data.steps");
  expect_rejected(
      "wo.schedule",
      plan(R"({"step":"dry","start":"2026-11-21T09:00:00Z","end":"2026-11-21T10:00:00Z"})"),
      ErrorCode::kNotFound, "data.steps[0].step");
  expect_rejected("wo.schedule", plan(pack + "," + wash), ErrorCode::kSequenceViolation,
                  "data.steps[1].step");
  expect_rejected("wo.schedule", plan(wash + "," + wash), ErrorCode::kInvalidArgument,
                  "data.steps[1].step");
  // Pack planned to start before wash ends.
  expect_rejected(
      "wo.schedule",
      plan(wash +
           R"(,{"step":"pack","start":"2026-11-21T09:30:00Z","end":"2026-11-21T11:00:00Z"})"),
      ErrorCode::kSequenceViolation, "data.steps[1].start");
  expect_rejected(
      "wo.schedule",
      plan(R"({"step":"wash","start":"2026-11-21T10:00:00Z","end":"2026-11-21T10:00:00Z"})"),
      ErrorCode::kInvalidArgument, "data.steps[0].end");
  expect_rejected(
      "wo.schedule",
      plan(
          R"({"step":"wash","start":"2026-11-21T09:00:00Z","end":"2026-11-21T10:00:00Z","equipment":"packer-1"})"),
      ErrorCode::kInvalidArgument, "data.steps[0].equipment");
  expect_rejected(
      "wo.schedule",
      plan(
          R"({"step":"wash","start":"2026-11-21T09:00:00Z","end":"2026-11-21T10:00:00Z","equipment":"washer-9"})"),
      ErrorCode::kNotFound, "data.steps[0].equipment");
  expect_rejected(
      "wo.schedule",
      R"({"wo":"WO-1","steps":[{"step":"wash","start":"soon","end":"2026-11-21T10:00:00Z"}]})",
      ErrorCode::kInvalidArgument, "data.steps[0].start");

  // A completed step cannot be planned again; a completed order not at all.
  ok("wo.release", R"({"wo":"WO-1"})");
  ok("op.start", R"({"wo":"WO-1","step":"wash","equipment":"washer-2"})");
  ok("op.complete", R"({"wo":"WO-1","step":"wash"})");
  expect_rejected("wo.schedule", plan(wash), ErrorCode::kInvalidState, "data.steps[0].step");
  ok("op.start", R"({"wo":"WO-1","step":"pack","equipment":"packer-1"})");
  ok("op.complete", R"({"wo":"WO-1","step":"pack"})");
  ok("wo.complete", R"({"wo":"WO-1"})");
  expect_rejected("wo.schedule", plan(pack), ErrorCode::kInvalidState, "data.wo");
}

}  // namespace
}  // namespace custody::testing
