// Yield against theory (21 CFR 211.188(b)(7)): theoretical yield from the components an order
// consumed (routing inputs with a qtyPerUnit, packaging aside, the scarcest deciding), else its
// quantity; actual yield is what it produced into lots of its material. wo.complete records
// both, and a yield outside the product's limits raises a quality exception on its lots.
#include "custody/domain/views.h"
#include "domain/plant_fixture.h"

namespace custody::testing {
namespace {

class YieldTest : public PlantTest {
 protected:
  // Coleslaw (limits 95%..102%) from cabbage (2 kg a case) and carrot (0.5 kg a case), packed
  // in film (packaging: one a case): shred takes the vegetables, mix has no inputs, pack takes
  // the film.
  void slaw_plant() {
    master_data();
    ok("material.define", R"({"material":"cabbage","name":"Cabbage","uom":"kg","kind":"raw"})");
    ok("material.define", R"({"material":"carrot","name":"Carrot","uom":"kg","kind":"raw"})");
    ok("material.define", R"({"material":"film","name":"Bag film","uom":"kg","kind":"packaging"})");
    ok("material.define",
       R"({"material":"slaw","name":"Coleslaw","uom":"case","kind":"finished","yieldMin":95,"yieldMax":102})");
    ok("equipment.define", R"({"equipment":"shredder-1","name":"Shredder","workCenter":"shred"})");
    ok("equipment.define", R"({"equipment":"mixer-1","name":"Mixer","workCenter":"mix"})");
    ok("routing.define",
       R"({"routing":"slaw-r","material":"slaw","steps":[)"
       R"({"step":"shred","workCenter":"shred","inputs":[{"material":"cabbage","qtyPerUnit":2},)"
       R"({"material":"carrot","qtyPerUnit":0.5}]},)"
       R"({"step":"mix","workCenter":"mix"},)"
       R"({"step":"pack","workCenter":"pack","inputs":[{"material":"film","qtyPerUnit":1}]}]})");
    receive("CB-1", 1000, "cabbage");
    receive("CR-1", 1000, "carrot");
    receive("FM-1", 1000, "film");
  }

  // Runs order `wo` (100 cases) through: consumes `cabbage` kg and 55 kg of carrot, shred
  // good `shred_good`, mix passes it all, pack packs `packed` into lot `lot`.
  void run_slaw(const std::string& wo, double cabbage, double shred_good, double packed,
                const std::string& lot) {
    ok("wo.create",
       R"({"wo":")" + wo +
           R"(","material":"slaw","qty":100,"routing":"slaw-r","due":"2026-11-30T00:00:00Z"})");
    ok("wo.release", R"({"wo":")" + wo + R"("})");
    const std::string w = R"({"wo":")" + wo + R"(","step":")";
    ok("op.start", w + R"(shred","equipment":"shredder-1"})");
    ok("lot.consume", w + R"(shred","lot":"CB-1","qty":)" + std::to_string(cabbage) + "}");
    ok("lot.consume", w + R"(shred","lot":"CR-1","qty":55})");
    ok("op.report", w + R"(shred","good":)" + std::to_string(shred_good) + R"(,"scrap":2})");
    ok("op.complete", w + R"(shred"})");
    ok("op.start", w + R"(mix","equipment":"mixer-1"})");
    ok("op.report", w + R"(mix","good":)" + std::to_string(shred_good) + "}");
    ok("op.complete", w + R"(mix"})");
    ok("op.start", w + R"(pack","equipment":"packer-1"})");
    ok("lot.consume", w + R"(pack","lot":"FM-1","qty":)" + std::to_string(packed) + "}");
    ok("op.report", w + R"(pack","good":)" + std::to_string(packed) + "}");
    ok("lot.produce", w + R"(pack","lot":")" + lot + R"(","qty":)" + std::to_string(packed) + "}");
    ok("op.complete", w + R"(pack"})");
  }

  boost::json::object yield_of(const std::string& wo) {
    return query([&](auto& q, auto& w) { return q.work_order_yield(wo, w); });
  }

  // The automatic exceptions on the exceptions board.
  boost::json::array open_exceptions() {
    auto board = query([&](auto& q, auto& w) { return q.exception_board(clock_.now(), w); });
    return board["exceptions"].as_array();
  }
};

TEST_F(YieldTest, ALowYieldRaisesAQualityExceptionOnTheLotsAndAGoodOneDoesNot) {
  slaw_plant();
  // 210 kg of cabbage covers 105 cases and 55 kg of carrot 110: cabbage is the scarcest, so
  // theoretical is 105; 103 packed is 98.1%, within 95..102.
  run_slaw("WO-1", 210, 103, 103, "F-1");
  ok("wo.complete", R"({"wo":"WO-1"})");
  EXPECT_TRUE(open_exceptions().empty());

  // 220 kg covers 110 cases (carrot still covers 110): 98 packed is 89.1%, below 95%.
  run_slaw("WO-2", 220, 98, 98, "F-2");
  ok("wo.complete", R"({"wo":"WO-2"})");
  auto open = open_exceptions();
  ASSERT_EQ(open.size(), 1u);
  const auto& x = open[0].as_object();
  EXPECT_EQ(x.at("wo"), "WO-2");
  EXPECT_EQ(x.at("severity"), "high");
  const std::string description(x.at("description").as_string());
  EXPECT_NE(description.find("89.1%"), std::string::npos) << description;
  EXPECT_NE(description.find("98 of 110 slaw"), std::string::npos) << description;
  EXPECT_NE(description.find("at least 95% and at most 102%"), std::string::npos) << description;
  auto exception = state("exception", std::string(x.at("exception").as_string()));
  ASSERT_EQ(exception["lots"].as_array().size(), 1u);
  EXPECT_EQ(exception["lots"].as_array()[0], "F-2");
  EXPECT_EQ(exception["automatic"], true);
  EXPECT_EQ(exception["category"], "quality");
  expect_rebuild_gives_the_same_state();
}

TEST_F(YieldTest, TheOrderAndEachStepShowTheirYieldAsAPercentageOfTheoretical) {
  slaw_plant();
  run_slaw("WO-1", 210, 103, 101, "F-1");
  auto y = yield_of("WO-1");
  EXPECT_EQ(y["basis"], "components");
  EXPECT_EQ(num(y["theoretical"]), 105);
  EXPECT_EQ(num(y["actual"]), 101);
  EXPECT_EQ(num(y["percentOfTheoretical"]), 96.2);
  EXPECT_EQ(num(y["limits"].at("min")), 95);
  EXPECT_EQ(num(y["limits"].at("max")), 102);
  EXPECT_TRUE(y["inLimits"].is_null()) << "judged when the order completes";
  // Film is packaging: reconciled, not a component of the yield.
  const auto& components = y["components"].as_array();
  ASSERT_EQ(components.size(), 2u);
  EXPECT_EQ(components[0].at("material"), "cabbage");
  EXPECT_EQ(num(components[0].at("consumed")), 210);
  EXPECT_EQ(num(components[1].at("qtyPerUnit")), 0.5);
  const auto& steps = y["steps"].as_array();
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_EQ(steps[0].at("basis"), "components");  // shred: 103 of the 105 its inputs cover
  EXPECT_EQ(num(steps[0].at("theoretical")), 105);
  EXPECT_EQ(num(steps[0].at("percentOfTheoretical")), 98.1);
  EXPECT_EQ(steps[1].at("basis"), "previousStep");  // mix: all of the 103 shred passed on
  EXPECT_EQ(num(steps[1].at("theoretical")), 103);
  EXPECT_EQ(num(steps[1].at("percentOfTheoretical")), 100);
  EXPECT_EQ(steps[2].at("basis"), "previousStep");  // pack: film does not count
  EXPECT_EQ(num(steps[2].at("actual")), 101);
  EXPECT_EQ(num(steps[2].at("scrap")), 0);

  // wo.complete records the yield it judged, in the order's history.
  ok("wo.complete", R"({"wo":"WO-1"})");
  auto history = show("wo", "WO-1")["history"].as_array();
  const auto& completed = history.back().as_object();
  ASSERT_EQ(completed.at("type"), "wo.completed");
  EXPECT_EQ(num(completed.at("payload").at("theoretical")), 105);
  EXPECT_EQ(num(completed.at("payload").at("actual")), 101);
  EXPECT_EQ(completed.at("payload").at("basis"), "components");
  EXPECT_EQ(yield_of("WO-1")["inLimits"], true);
}

TEST_F(YieldTest, WithoutComponentsTheoreticalIsTheOrderQuantity) {
  master_data();  // salad-r: wash takes romaine at 2 a case; salad has no yield limits
  running_order("WO-1");
  ok("op.report", R"({"wo":"WO-1","step":"wash","good":90,"scrap":10})");
  auto y = yield_of("WO-1");
  EXPECT_EQ(y["basis"], "orderQty");  // no romaine consumed yet
  EXPECT_EQ(num(y["theoretical"]), 100);
  EXPECT_EQ(num(y["actual"]), 0);
  EXPECT_EQ(num(y["percentOfTheoretical"]), 0);
  EXPECT_TRUE(y["limits"].at("min").is_null());
  EXPECT_TRUE(y["inLimits"].is_null());  // running
  EXPECT_EQ(y["steps"].as_array()[0].at("basis"), "orderQty");
  EXPECT_EQ(num(y["steps"].as_array()[0].at("percentOfTheoretical")), 90);
  // Pack has not run: of the 90 wash passed on, nothing yet.
  EXPECT_EQ(num(y["steps"].as_array()[1].at("theoretical")), 90);
  EXPECT_EQ(num(y["steps"].as_array()[1].at("percentOfTheoretical")), 0);
}

TEST_F(YieldTest, YieldLimitsMustBePercentagesTheRightWayRound) {
  master_data();
  const std::string m = R"({"material":"slaw","name":"Coleslaw","uom":"case",)";
  expect_rejected("material.define", m + R"("yieldMin":-1})", ErrorCode::kInvalidArgument,
                  "data.yieldMin");
  expect_rejected("material.define", m + R"("yieldMax":1001})", ErrorCode::kInvalidArgument,
                  "data.yieldMax");
  expect_rejected("material.define", m + R"("yieldMin":-0.0})", ErrorCode::kInvalidArgument,
                  "data.yieldMin");
  expect_rejected("material.define", m + R"("yieldMin":98,"yieldMax":95})",
                  ErrorCode::kInvalidArgument, "data.yieldMax");
  ok("material.define", m + R"("yieldMin":98})");  // no upper limit
  EXPECT_EQ(num(state("material", "slaw")["yieldMin"]), 98);
}

TEST_F(YieldTest, TheYieldOfAnOrderThatDoesNotExistIsNotFound) {
  master_data();
  auto snap = ledger_->snapshot();
  domain::Queries q(*snap);
  std::string out;
  codec::JsonWriter w(out);
  auto r = q.work_order_yield("WO-9", w);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(r.error().field, "wo");

  std::string answer;
  auto missing = domain::answer_view(*snap, R"({"view":"yield"})", {}, answer);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().field, "wo");
  auto unknown = domain::answer_view(*snap, R"({"view":"yield","wo":"WO-9"})", {}, answer);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace custody::testing
