// Defects, scrap reasons and rework: op.report breaks scrap down by codes of the defect
// catalogue, the Pareto adds the breakdowns up by defect, step, material, equipment or shift
// over a period, and op.rework sends a quantity back to an earlier step where the routing
// allows it.
#include "custody/domain/views.h"
#include "domain/plant_fixture.h"

namespace custody::testing {
namespace {

constexpr TimeNs kHour = 3600LL * 1'000'000'000LL;

class DefectsTest : public PlantTest {
 protected:
  // master_data() plus the defect catalogue, two shifts (UTC: the fixture's site) and a
  // routing salad-rw whose pack step may send work back to wash.
  void catalogue() {
    master_data();
    ok("defect.define", R"({"defect":"bruised","name":"Bruised leaves","category":"appearance"})");
    ok("defect.define",
       R"({"defect":"foreign","name":"Foreign matter","category":"contamination"})");
    ok("defect.define", R"({"defect":"seal","name":"Leaking seal","category":"pack"})");
    ok("shift.define", R"({"shift":"early","name":"Early","start":"06:00","end":"14:00"})");
    ok("shift.define", R"({"shift":"late","name":"Late","start":"14:00","end":"22:00"})");
    ok("routing.define", R"({"routing":"salad-rw","material":"salad","steps":[)"
                         R"({"step":"wash","workCenter":"wash"},)"
                         R"({"step":"pack","workCenter":"pack","reworkTo":["wash"]}]})");
  }

  // A released order on salad-rw, wash running on washer-1.
  void rework_order(const std::string& wo = "WO-R") { running_order(wo, "salad-rw"); }

  boost::json::object pareto(domain::ParetoQuery q) {
    if (q.to == 0) q.to = std::numeric_limits<TimeNs>::max();
    return query([&](auto& queries, auto& w) { return queries.defect_pareto(q, TimeZone(), w); });
  }
};

TEST_F(DefectsTest, ScrapBrokenDownByDefectMakesAParetoByDefectStepEquipmentAndShift) {
  catalogue();
  running_order("WO-1");  // 08:00, early shift
  ok("op.report", R"({"wo":"WO-1","step":"wash","good":80,"scrap":20,)"
                  R"("defects":[{"defect":"bruised","qty":15},{"defect":"foreign","qty":5}]})");
  ok("op.complete", R"({"wo":"WO-1","step":"wash"})");
  clock_.advance(7 * kHour);  // 15:00, late shift
  ok("op.start", R"({"wo":"WO-1","step":"pack","equipment":"packer-1"})");
  ok("op.report",
     R"({"wo":"WO-1","step":"pack","good":70,"scrap":10,"defects":[{"defect":"seal","qty":10}]})");
  ok("op.report", R"({"wo":"WO-1","step":"pack","good":0,"scrap":4})");  // no reason given
  clock_.advance(8 * kHour);  // 23:00, outside both shifts
  ok("op.report", R"({"wo":"WO-1","step":"pack","good":0,"scrap":7,)"
                  R"("defects":[{"defect":"bruised","qty":7}]})");

  auto p = pareto({});
  EXPECT_EQ(num(p["scrap"]), 41);
  EXPECT_EQ(num(p["classified"]), 37);
  EXPECT_EQ(num(p["unclassified"]), 4);
  const auto& rows = p["rows"].as_array();
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].at("key"), "bruised");  // 22 of 41
  EXPECT_EQ(rows[0].at("name"), "Bruised leaves");
  EXPECT_EQ(num(rows[0].at("qty")), 22);
  EXPECT_EQ(num(rows[0].at("percent")), 53.7);
  EXPECT_EQ(rows[1].at("key"), "seal");
  EXPECT_EQ(num(rows[1].at("cumulativePercent")), 78);
  EXPECT_EQ(rows[2].at("key"), "foreign");
  EXPECT_TRUE(rows[3].at("key").is_null()) << "unclassified scrap comes last";
  EXPECT_EQ(num(rows[3].at("qty")), 4);
  EXPECT_EQ(num(rows[3].at("cumulativePercent")), 100);

  auto by_step = pareto({.by = "step"});
  const auto& steps = by_step["rows"].as_array();
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(steps[0].at("key"), "pack");  // 21: seal 10, bruised 7, 4 without a reason
  EXPECT_EQ(num(steps[0].at("qty")), 21);
  EXPECT_EQ(steps[0].at("defects").as_array()[0].at("defect"), "seal");
  EXPECT_EQ(num(steps[0].at("unclassified")), 4);
  EXPECT_EQ(steps[1].at("key"), "wash");
  EXPECT_EQ(num(steps[1].at("unclassified")), 0);

  auto by_equipment = pareto({.by = "equipment"});
  EXPECT_EQ(by_equipment["rows"].as_array()[0].at("key"), "packer-1");
  EXPECT_EQ(by_equipment["rows"].as_array()[0].at("name"), "Packer 1");

  auto by_shift = pareto({.by = "shift"});
  const auto& shifts = by_shift["rows"].as_array();
  ASSERT_EQ(shifts.size(), 3u);
  EXPECT_EQ(shifts[0].at("key"), "early");
  EXPECT_EQ(num(shifts[0].at("qty")), 20);
  EXPECT_EQ(shifts[1].at("key"), "late");
  EXPECT_EQ(shifts[1].at("name"), "Late");
  EXPECT_EQ(num(shifts[1].at("qty")), 14);
  EXPECT_TRUE(shifts[2].at("key").is_null()) << "23:00 is in no shift";
  EXPECT_EQ(num(shifts[2].at("qty")), 7);

  auto by_material = pareto({.by = "material"});
  EXPECT_EQ(by_material["rows"].as_array()[0].at("key"), "salad");

  // Filters and the period: the late shift's pack scrap only; a period before any report.
  auto late_pack = pareto({.step = "pack", .shift = "late"});
  EXPECT_EQ(num(late_pack["scrap"]), 14);
  EXPECT_EQ(late_pack["filters"].at("shift"), "late");
  auto before = pareto({.from = 0, .to = kStart});
  EXPECT_EQ(num(before["scrap"]), 0);
  EXPECT_TRUE(before["rows"].as_array().empty());
  expect_rebuild_gives_the_same_state();
  EXPECT_EQ(num(pareto({})["classified"]), 37);
}

TEST_F(DefectsTest, ShiftsFollowTheSitesClock) {
  catalogue();
  auto paris = TimeZone::load("Europe/Paris");
  ASSERT_TRUE(paris);
  running_order("WO-1");
  // 13:30 UTC is 14:30 in Paris in November: the late shift there, the early one in UTC.
  clock_.advance(5 * kHour + kHour / 2);
  ok("op.report", R"({"wo":"WO-1","step":"wash","good":0,"scrap":3})");
  auto q = domain::ParetoQuery{.to = std::numeric_limits<TimeNs>::max(), .by = "shift"};
  auto local = query([&](auto& queries, auto& w) { return queries.defect_pareto(q, *paris, w); });
  EXPECT_EQ(local["rows"].as_array()[0].at("key"), "late");
  EXPECT_EQ(pareto(q)["rows"].as_array()[0].at("key"), "early");
}

TEST_F(DefectsTest, ABreakdownNamesKnownDefectsOnceAndAddsUpToTheScrap) {
  catalogue();
  running_order("WO-1");
  const std::string r = R"({"wo":"WO-1","step":"wash","good":10,"scrap":5,"defects":)";
  expect_rejected("op.report", r + R"([{"defect":"mould","qty":5}]})", ErrorCode::kNotFound,
                  "data.defects[0].defect");
  expect_rejected("op.report",
                  r + R"([{"defect":"bruised","qty":2},{"defect":"bruised","qty":3}]})",
                  ErrorCode::kInvalidArgument, "data.defects[1].defect");
  expect_rejected("op.report", r + R"([{"defect":"bruised","qty":0},{"defect":"seal","qty":5}]})",
                  ErrorCode::kInvalidArgument, "data.defects[0].qty");
  expect_rejected("op.report", r + R"([{"defect":"bruised","qty":4}]})",
                  ErrorCode::kInvalidArgument, "data.defects");
  expect_rejected("op.report",
                  R"({"wo":"WO-1","step":"wash","good":10,"defects":[{"defect":"seal","qty":1}]})",
                  ErrorCode::kInvalidArgument, "data.defects");
  ok("op.report", r + R"([{"defect":"bruised","qty":4},{"defect":"seal","qty":1}]})");
  auto kpis =
      query([](auto& q, auto& w) { return q.kpis(0, std::numeric_limits<TimeNs>::max(), w); });
  EXPECT_EQ(num(kpis["production"].at("scrap")), 5);
}

TEST_F(DefectsTest, ACorrectionKeepsTheBreakdownAndTheScrapTogether) {
  catalogue();
  running_order("WO-1");
  auto rep = run("op.report", R"({"wo":"WO-1","step":"wash","good":10,"scrap":5,)"
                              R"("defects":[{"defect":"bruised","qty":5}]})");
  ASSERT_TRUE(rep);
  auto correct = [&](const std::string& data) {
    return R"({"seq":)" + std::to_string(rep->seq) + R"(,"reason":"miscounted","data":)" + data +
           "}";
  };
  expect_rejected("record.correct", correct(R"({"scrap":7})"), ErrorCode::kInvalidArgument,
                  "data.data.defects");
  expect_rejected("record.correct", correct(R"({"defects":[{"defect":"mould","qty":5}]})"),
                  ErrorCode::kNotFound, "data.data.defects[0].defect");
  ok("record.correct",
     correct(R"({"scrap":7,"defects":[{"defect":"bruised","qty":4},{"defect":"seal","qty":3}]})"));
  auto p = pareto({});
  EXPECT_EQ(num(p["scrap"]), 7);
  EXPECT_EQ(p["rows"].as_array()[0].at("key"), "bruised");
  EXPECT_EQ(num(p["rows"].as_array()[1].at("qty")), 3);
  // Dropping the breakdown leaves the scrap unclassified.
  ok("record.correct", correct(R"({"defects":[]})"));
  EXPECT_EQ(num(pareto({})["unclassified"]), 7);
  expect_rebuild_gives_the_same_state();
}

TEST_F(DefectsTest, TheCatalogueAndTheShiftsRefuseWhatWouldMakeThemAmbiguous) {
  catalogue();
  expect_rejected("defect.define", R"({"defect":"seal","name":"Seal"})", ErrorCode::kAlreadyExists,
                  "data.defect");
  expect_rejected("defect.define", R"({"defect":"torn","name":""})", ErrorCode::kInvalidArgument,
                  "data.name");
  expect_rejected("shift.define", R"({"shift":"early","start":"05:00","end":"06:00"})",
                  ErrorCode::kAlreadyExists, "data.shift");
  expect_rejected("shift.define", R"({"shift":"night","start":"22:00","end":"6:00"})",
                  ErrorCode::kInvalidArgument, "data.end");
  expect_rejected("shift.define", R"({"shift":"night","start":"24:00","end":"06:00"})",
                  ErrorCode::kInvalidArgument, "data.start");
  // Start equal to end is the whole day: it overlaps every other shift.
  expect_rejected("shift.define", R"({"shift":"night","start":"22:00","end":"22:00"})",
                  ErrorCode::kInvalidArgument, "data.start");
  expect_rejected("shift.define", R"({"shift":"night","start":"10pm","end":"06:00"})",
                  ErrorCode::kInvalidArgument, "data.start");
  // 21:00 to 07:00 runs into the late shift's end and the early shift's start.
  expect_rejected("shift.define", R"({"shift":"night","start":"21:00","end":"07:00"})",
                  ErrorCode::kInvalidArgument, "data.start");
  ok("shift.define", R"({"shift":"night","name":"Night","start":"22:00","end":"06:00"})");
  expect_rejected("shift.define", R"({"shift":"swing","start":"23:00","end":"01:00"})",
                  ErrorCode::kInvalidArgument, "data.start");
}

TEST_F(DefectsTest, AParetoAsksForAKnownBreakdownOverAPeriod) {
  catalogue();
  auto snap = ledger_->snapshot();
  domain::Queries q(*snap);
  std::string out;
  codec::JsonWriter w(out);
  auto bad = q.defect_pareto({.to = kStart, .by = "operator"}, TimeZone(), w);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.error().field, "by");
  auto backwards = q.defect_pareto({.from = kStart, .to = kStart}, TimeZone(), w);
  ASSERT_FALSE(backwards);
  EXPECT_EQ(backwards.error().field, "to");

  std::string answer;
  auto view = domain::answer_view(*snap, R"({"view":"pareto","by":"shift"})", {}, answer);
  ASSERT_TRUE(view) << view.error().message;
  EXPECT_EQ(boost::json::parse(answer).at("by"), "shift");
  auto wrong = domain::answer_view(*snap, R"({"view":"pareto","by":"line"})", {}, answer);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().field, "by");
}

TEST_F(DefectsTest, BruisedCasesFoundAtPackGoBackToWashAndTheStepYieldsCountThem) {
  catalogue();
  rework_order();
  ok("op.report", R"({"wo":"WO-R","step":"wash","good":100})");
  ok("op.complete", R"({"wo":"WO-R","step":"wash"})");
  ok("op.start", R"({"wo":"WO-R","step":"pack","equipment":"packer-1"})");
  ok("op.report", R"({"wo":"WO-R","step":"pack","good":90})");
  ok("op.rework",
     R"({"wo":"WO-R","step":"pack","toStep":"wash","qty":10,"defect":"bruised","reason":"re-trim"})");
  auto wo = state("wo", "WO-R");
  EXPECT_EQ(num(wo["steps"].as_array()[0].at("reworkIn")), 10);
  EXPECT_EQ(num(wo["steps"].as_array()[1].at("reworkOut")), 10);
  // Wash processes the ten again; pack packs them.
  ok("op.report", R"({"wo":"WO-R","step":"wash","good":10})");
  ok("op.report", R"({"wo":"WO-R","step":"pack","good":10})");
  auto y = query([](auto& q, auto& w) { return q.work_order_yield("WO-R", w); });
  const auto& steps = y["steps"].as_array();
  EXPECT_EQ(num(steps[0].at("theoretical")), 110);  // 100 ordered and 10 sent back
  EXPECT_EQ(num(steps[0].at("actual")), 110);
  EXPECT_EQ(num(steps[1].at("theoretical")), 110);  // what wash passed on
  EXPECT_EQ(num(steps[1].at("actual")), 110);       // 100 packed and 10 sent back
  EXPECT_EQ(num(steps[1].at("percentOfTheoretical")), 100);
  auto history = show("wo", "WO-R")["history"].as_array();
  bool recorded = false;
  for (const auto& h : history) recorded = recorded || h.at("type") == "op.reworked";
  EXPECT_TRUE(recorded);
  expect_rebuild_gives_the_same_state();
}

TEST_F(DefectsTest, AWrongReworkQuantityIsCorrectedWithinTheSameLimit) {
  catalogue();
  rework_order();
  auto wash = run("op.report", R"({"wo":"WO-R","step":"wash","good":30})");
  ASSERT_TRUE(wash);
  ok("op.complete", R"({"wo":"WO-R","step":"wash"})");
  ok("op.start", R"({"wo":"WO-R","step":"pack","equipment":"packer-1"})");
  auto rework = run("op.rework", R"({"wo":"WO-R","step":"pack","toStep":"wash","qty":12})");
  ASSERT_TRUE(rework) << rework.error().message;
  auto correct = [&](const std::string& data) {
    return R"({"seq":)" + std::to_string(rework->seq) + R"(,"reason":"typed 12 for 2","data":)" +
           data + "}";
  };
  expect_rejected("record.correct", correct(R"({"qty":0})"), ErrorCode::kInvalidArgument,
                  "data.data.qty");
  expect_rejected("record.correct", correct(R"({"qty":31})"), ErrorCode::kInvalidArgument,
                  "data.data.qty");
  ok("record.correct", correct(R"({"qty":2})"));
  auto steps = state("wo", "WO-R")["steps"].as_array();
  EXPECT_EQ(num(steps[0].at("reworkIn")), 2);
  EXPECT_EQ(num(steps[1].at("reworkOut")), 2);
  // Nor may a correction of wash's report leave it with less good than came back to it.
  const std::string fix_wash =
      R"({"seq":)" + std::to_string(wash->seq) + R"(,"reason":"recount","data":{"good":1}})";
  expect_rejected("record.correct", fix_wash, ErrorCode::kInvalidArgument, "data.data.good");
  expect_rebuild_gives_the_same_state();
}

TEST_F(DefectsTest, OnlyAQualifiedOperatorSendsBackFromACriticalStep) {
  catalogue();
  ok("routing.define",
     R"({"routing":"crit-rw","material":"salad","steps":[{"step":"wash","workCenter":"wash"},)"
     R"({"step":"pack","workCenter":"pack","critical":true,"reworkTo":["wash"]}]})");
  ok("wo.create",
     R"({"wo":"WO-Q","material":"salad","qty":10,"routing":"crit-rw","due":"2026-11-30T00:00:00Z"})");
  ok("wo.release", R"({"wo":"WO-Q"})");
  ok("op.start", R"({"wo":"WO-Q","step":"wash","equipment":"washer-1"})");
  ok("op.report", R"({"wo":"WO-Q","step":"wash","good":10})");
  ok("op.complete", R"({"wo":"WO-Q","step":"wash"})");
  ok("qualification.grant",
     R"({"user":"op:ana","routing":"crit-rw","step":"pack","until":"2027-06-01T00:00:00Z",)"
     R"("trainer":"trainer:ines","procedure":"SOP-9"})",
     "sup:lee");
  ok("op.start", R"({"wo":"WO-Q","step":"pack","equipment":"packer-1"})", "op:ana");
  const std::string back = R"({"wo":"WO-Q","step":"pack","toStep":"wash","qty":2})";
  expect_rejected("op.rework", back, ErrorCode::kNotQualified, "actor", "op:ben");
  ok("op.rework", back, "op:ana");
}

TEST_F(DefectsTest, ReworkGoesOnlyBackAndOnlyWhereTheRoutingAllows) {
  catalogue();
  running_order("WO-1");  // salad-r: pack may not send work back
  ok("op.report", R"({"wo":"WO-1","step":"wash","good":50})");
  ok("op.complete", R"({"wo":"WO-1","step":"wash"})");
  ok("op.start", R"({"wo":"WO-1","step":"pack","equipment":"packer-1"})");
  expect_rejected("op.rework", R"({"wo":"WO-1","step":"pack","toStep":"wash","qty":5})",
                  ErrorCode::kReworkNotAllowed, "data.toStep");
  ok("op.complete", R"({"wo":"WO-1","step":"pack"})");  // frees packer-1

  rework_order();
  const std::string w = R"({"wo":"WO-R",)";
  expect_rejected("op.rework", w + R"("step":"pack","toStep":"wash","qty":5})",
                  ErrorCode::kInvalidState, "data.step");  // pack has not started
  ok("op.report", w + R"("step":"wash","good":20})");
  ok("op.complete", w + R"("step":"wash"})");
  ok("op.start", w + R"("step":"pack","equipment":"packer-1"})");
  expect_rejected("op.rework", w + R"("step":"wash","toStep":"pack","qty":5})",
                  ErrorCode::kReworkNotAllowed, "data.toStep");
  expect_rejected("op.rework", w + R"("step":"pack","toStep":"chill","qty":5})",
                  ErrorCode::kNotFound, "data.toStep");
  expect_rejected("op.rework", w + R"("step":"label","toStep":"wash","qty":5})",
                  ErrorCode::kNotFound, "data.step");
  expect_rejected("op.rework", w + R"("step":"pack","toStep":"wash","qty":0})",
                  ErrorCode::kInvalidArgument, "data.qty");
  expect_rejected("op.rework", w + R"("step":"pack","toStep":"wash","qty":21})",
                  ErrorCode::kInvalidArgument, "data.qty");  // wash passed on 20
  expect_rejected("op.rework", w + R"("step":"pack","toStep":"wash","qty":5,"defect":"mould"})",
                  ErrorCode::kNotFound, "data.defect");
  ok("op.rework", w + R"("step":"pack","toStep":"wash","qty":5,"defect":"seal"})");
  // Five of wash's twenty came back already: sixteen more would be more than it made.
  expect_rejected("op.rework", w + R"("step":"pack","toStep":"wash","qty":16})",
                  ErrorCode::kInvalidArgument, "data.qty");
  ok("op.rework", w + R"("step":"pack","toStep":"wash","qty":15})");
  ok("op.complete", w + R"("step":"pack"})");
  ok("wo.complete", R"({"wo":"WO-R"})");
  expect_rejected("op.rework", w + R"("step":"pack","toStep":"wash","qty":1})",
                  ErrorCode::kInvalidState, "data.wo");

  // The routing itself may only send work back to a step before.
  expect_rejected("routing.define",
                  R"({"routing":"bad-r","material":"salad","steps":[)"
                  R"({"step":"wash","workCenter":"wash","reworkTo":["pack"]},)"
                  R"({"step":"pack","workCenter":"pack"}]})",
                  ErrorCode::kInvalidArgument, "data.steps[0].reworkTo[0]");
  expect_rejected("routing.define",
                  R"({"routing":"bad-r","material":"salad","steps":[)"
                  R"({"step":"wash","workCenter":"wash"},)"
                  R"({"step":"pack","workCenter":"pack","reworkTo":["chill"]}]})",
                  ErrorCode::kInvalidArgument, "data.steps[1].reworkTo[0]");
}

}  // namespace
}  // namespace custody::testing
