// The views production and QA read: WIP board, exception board, KPIs.
#include "domain/plant_fixture.h"

namespace custody::testing {
namespace {

using Queries = PlantTest;

TEST_F(Queries, WipBoardShowsReleasedOrdersByDueDate) {
  master_data();
  ok("wo.create",
     R"({"wo":"WO-B","material":"salad","qty":5,"routing":"salad-r","due":"2026-11-23"})");
  ok("wo.create",
     R"({"wo":"WO-A","material":"salad","qty":5,"routing":"salad-r","due":"2026-11-21T12:00:00Z"})");
  ok("wo.create",
     R"({"wo":"WO-C","material":"salad","qty":5,"routing":"salad-r","due":"2026-11-22"})");
  ok("wo.release", R"({"wo":"WO-B"})");
  ok("wo.release", R"({"wo":"WO-A"})");
  ok("op.start", R"({"wo":"WO-A","step":"wash","equipment":"washer-1"})");
  auto board = query([](const domain::Queries& q, codec::JsonWriter& w) {
    return q.wip_board(*parse_rfc3339("2026-11-21T13:00:00Z"), w);
  });
  const auto& rows = board["workOrders"].as_array();
  ASSERT_EQ(rows.size(), 2u);  // WO-C is not released
  EXPECT_EQ(rows[0].at("wo"), "WO-A");
  EXPECT_EQ(rows[0].at("late"), true);
  EXPECT_EQ(rows[0].at("step"), "wash");
  EXPECT_EQ(rows[0].at("stepStatus"), "running");
  EXPECT_EQ(rows[0].at("equipment"), "washer-1");
  // The board names a status as `custody show wo` does: the schema's enumerant.
  EXPECT_EQ(rows[0].at("status"), "inProgress");
  EXPECT_EQ(rows[0].at("status"), state("wo", "WO-A")["status"]);
  EXPECT_EQ(rows[1].at("wo"), "WO-B");
  EXPECT_EQ(rows[1].at("late"), false);
  EXPECT_EQ(rows[1].at("status"), "released");
}

TEST_F(Queries, ExceptionBoardBySeverityThenAge) {
  master_data();
  ok("exception.raise", R"({"exception":"low-old","severity":"low","description":"d"})");
  clock_.advance(3600LL * 1'000'000'000LL);
  ok("exception.raise", R"({"exception":"crit","severity":"critical","description":"d"})");
  ok("exception.raise", R"({"exception":"low-new","severity":"low","description":"d"})");
  ok("exception.raise", R"({"exception":"done","severity":"high","description":"d"})");
  ok("exception.assign", R"({"exception":"done","assignee":"u"})");
  ok("exception.acknowledge", R"({"exception":"done"})");
  ok("exception.resolve", R"({"exception":"done","rootCause":"r","action":"a"})");
  clock_.advance(2 * 3600LL * 1'000'000'000LL);
  ok("exception.close", R"({"exception":"done"})");
  auto board = query([&](const domain::Queries& q, codec::JsonWriter& w) {
    return q.exception_board(clock_.now(), w);
  });
  EXPECT_EQ(num(board["open"]), 3);
  const auto& rows = board["exceptions"].as_array();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].at("exception"), "crit");
  EXPECT_EQ(rows[0].at("severity"), "critical");
  EXPECT_EQ(rows[0].at("status"), "open");
  EXPECT_EQ(rows[1].at("exception"), "low-old");
  EXPECT_EQ(rows[2].at("exception"), "low-new");
  EXPECT_EQ(num(rows[1].at("ageHours")), 3);
  EXPECT_EQ(num(board["closed"]), 1);
  EXPECT_EQ(num(board["meanHoursToClose"]), 2);
  EXPECT_EQ(num(board["bySeverity"].at("critical")), 1);
}

TEST_F(Queries, KpisOverATimeRange) {
  master_data();
  receive("R-1", 100);
  // Work stamped with plant time (occurredAt) lands in the range it happened in.
  running_order();
  ok("op.report", R"({"wo":"WO-1","step":"wash","good":90,"scrap":10})", "user:maria");
  ok("op.complete", R"({"wo":"WO-1","step":"wash"})");
  ok("op.start", R"({"wo":"WO-1","step":"pack","equipment":"packer-1"})", "user:jose");
  ok("op.report", R"({"wo":"WO-1","step":"pack","good":45,"scrap":5})", "user:jose");
  ok("op.report", R"({"wo":"WO-1","step":"pack","good":45})", "user:maria");
  ok("op.complete", R"({"wo":"WO-1","step":"pack"})");
  ok("wo.complete", R"({"wo":"WO-1"})");
  ok("exception.raise", R"({"exception":"EX-1","severity":"medium","description":"d"})");
  auto k = query([](const domain::Queries& q, codec::JsonWriter& w) {
    return q.kpis(*parse_rfc3339("2026-11-21"), *parse_rfc3339("2026-11-22"), w);
  });
  EXPECT_EQ(num(k["workOrders"].at("completed")), 1);
  EXPECT_EQ(num(k["workOrders"].at("onTimeRate")), 1);
  EXPECT_EQ(num(k["production"].at("good")), 180);
  EXPECT_EQ(num(k["production"].at("scrap")), 15);
  EXPECT_NEAR(num(k["production"].at("firstPassYield")), 180.0 / 195.0, 1e-4);
  EXPECT_NEAR(num(k["production"].at("scrapRate")), 15.0 / 195.0, 1e-4);
  EXPECT_EQ(num(k["exceptions"].at("raised")), 1);
  const auto& ops = k["operators"].as_array();
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_EQ(ops[0].at("operator"), "user:jose");
  EXPECT_EQ(num(ops[0].at("good")), 45);
  EXPECT_EQ(num(ops[1].at("good")), 135);
  auto empty = query([](const domain::Queries& q, codec::JsonWriter& w) {
    return q.kpis(*parse_rfc3339("2026-10-01"), *parse_rfc3339("2026-10-02"), w);
  });
  EXPECT_EQ(num(empty["workOrders"].at("completed")), 0);
}

TEST_F(Queries, ShowUnknownIsNotFound) {
  auto snap = ledger_->snapshot();
  domain::Queries q(*snap);
  std::string out;
  codec::JsonWriter w(out);
  auto r = q.show(domain::EntityKind::kLot, "nope", 0, w);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace custody::testing
