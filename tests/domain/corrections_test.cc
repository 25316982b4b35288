// Corrections: the original stays, the correction names it and says why, projections move
// by the difference, and structural fields cannot be "corrected" into something else.
#include "domain/plant_fixture.h"

namespace custody::testing {
namespace {

using Corrections = PlantTest;

std::string correct(std::uint64_t seq, const std::string& data,
                    const std::string& reason = "typo") {
  return R"({"seq":)" + std::to_string(seq) + R"(,"reason":")" + reason + R"(","data":)" + data +
         "}";
}

TEST_F(Corrections, QuantityCorrectionMovesOnHandAndKeepsTheOriginal) {
  master_data();
  auto rcv = run(
      "lot.receive",
      R"({"lot":"R-1","material":"romaine","qty":1000,"uom":"kg","supplier":"farm","supplierLot":"GF-1"})");
  ASSERT_TRUE(rcv);
  ok("record.correct", correct(rcv->seq, R"({"qty":100})", "decimal point misplaced"));
  auto lot = state("lot", "R-1");
  EXPECT_EQ(num(lot["onHand"]), 100);
  EXPECT_EQ(num(lot["created"]), 100);
  auto history = show("lot", "R-1")["history"].as_array();
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].at("corrected"), true);
  EXPECT_EQ(num(history[0].at("payload").at("qty")), 1000);  // the original, untouched
  EXPECT_EQ(history[1].at("type"), "record.corrected");
  EXPECT_EQ(history[1].at("payload").at("reason"), "decimal point misplaced");
  EXPECT_EQ(history[1].at("payload").at("changed").as_array()[0], "qty");
  // A second correction works from the first one's values.
  ok("record.correct", correct(rcv->seq, R"({"qty":150})"));
  EXPECT_EQ(num(state("lot", "R-1")["onHand"]), 150);
}

TEST_F(Corrections, ConsumptionCorrectionFollowsIntoOrderAndGenealogy) {
  master_data();
  receive("R-1", 100);
  running_order();
  auto c = run("lot.consume", R"({"wo":"WO-1","step":"wash","lot":"R-1","qty":40})");
  ASSERT_TRUE(c);
  ok("lot.produce", R"({"wo":"WO-1","step":"wash","lot":"W-1","qty":10,"material":"romaine"})");
  ok("record.correct", correct(c->seq, R"({"qty":45})"));
  EXPECT_EQ(num(state("lot", "R-1")["onHand"]), 55);
  EXPECT_EQ(num(state("wo", "WO-1")["consumed"].as_array()[0].at("qty")), 45);
  expect_rejected("record.correct", correct(c->seq, R"({"qty":200})"),
                  ErrorCode::kInsufficientQuantity, "data.data.qty");
}

TEST_F(Corrections, ReportCorrectionChangesKpis) {
  master_data();
  running_order();
  auto rep = run("op.report", R"({"wo":"WO-1","step":"wash","good":50,"scrap":5})", "user:maria");
  ASSERT_TRUE(rep);
  ok("record.correct", correct(rep->seq, R"({"good":48,"scrap":7})"));
  auto k = query([](const domain::Queries& q, codec::JsonWriter& w) {
    return q.kpis(0, std::numeric_limits<TimeNs>::max(), w);
  });
  EXPECT_EQ(num(k["production"].at("good")), 48);
  EXPECT_EQ(num(k["production"].at("scrap")), 7);
  EXPECT_EQ(num(state("wo", "WO-1")["steps"].as_array()[0].at("good")), 48);
}

TEST_F(Corrections, Rules) {
  master_data();
  receive("R-1", 10);
  const std::uint64_t rcv = ledger_->head().seq;
  auto note = run("note.add", R"({"subject":"s","text":"t"})");
  ASSERT_TRUE(note);
  expect_rejected("record.correct", correct(999, R"({"qty":1})"), ErrorCode::kNotFound, "data.seq");
  expect_rejected("record.correct", correct(0, R"({"qty":1})"), ErrorCode::kNotFound, "data.seq");
  expect_rejected("record.correct", correct(rcv, R"({"lot":"R-2"})"), ErrorCode::kInvalidArgument,
                  "data.data.lot");
  expect_rejected("record.correct", correct(rcv, R"({"qty":10})"), ErrorCode::kInvalidArgument,
                  "data.data");
  expect_rejected("record.correct", correct(rcv, R"({"qty":"ten"})"), ErrorCode::kInvalidArgument,
                  "data.data.qty");
  expect_rejected("record.correct", correct(rcv, R"({"colour":1})"), ErrorCode::kInvalidArgument,
                  "data.data.colour");
  expect_rejected("record.correct", correct(rcv, R"([1])"), ErrorCode::kInvalidArgument,
                  "data.data");
  expect_rejected("record.correct", correct(rcv, R"({"qty":0})"), ErrorCode::kInvalidArgument,
                  "data.data.qty");
  expect_rejected("record.correct", R"({"seq":1,"data":{"qty":1}})", ErrorCode::kInvalidArgument,
                  "data.reason");
  expect_rejected("record.correct", correct(1, R"({"name":"x"})"), ErrorCode::kInvalidArgument,
                  "data.seq");  // material.defined records cannot be corrected
  ok("record.correct", correct(note->seq, R"({"text":"better text"})"));
  expect_rejected("record.correct", correct(ledger_->head().seq, R"({"reason":"x"})"),
                  ErrorCode::kInvalidArgument, "data.seq");  // a correction itself
}

}  // namespace
}  // namespace custody::testing
