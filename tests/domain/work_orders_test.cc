// A work order from creation to close, the rules that guard each step, and the genealogy
// that consumption and production leave behind.
#include "custody/codec/capnp_util.h"
#include "custody/domain/projections.h"
#include "domain/plant_fixture.h"
#include "schema/projections.capnp.h"

namespace custody::testing {
namespace {

using WorkOrders = PlantTest;

TEST_F(WorkOrders, ACompleteOrderOnTheFloor) {
  master_data();
  receive("R-1", 150);
  receive("R-2", 150);
  running_order();
  ok("lot.consume", R"({"wo":"WO-1","step":"wash","lot":"R-1","qty":120})", "user:maria");
  ok("lot.consume", R"({"wo":"WO-1","step":"wash","lot":"R-2","qty":80.5})", "user:maria");
  ok("op.report", R"({"wo":"WO-1","step":"wash","good":195,"scrap":5.5})", "user:maria");
  ok("op.complete", R"({"wo":"WO-1","step":"wash"})", "user:maria");
  EXPECT_EQ(state("equipment", "washer-1")["state"], "idle");
  ok("op.start", R"({"wo":"WO-1","step":"pack","equipment":"packer-1"})", "user:jose");
  ok("lot.produce", R"({"wo":"WO-1","step":"pack","lot":"F-1","qty":60})", "user:jose");
  ok("lot.produce", R"({"wo":"WO-1","step":"pack","lot":"F-2","qty":40})", "user:jose");
  ok("op.report", R"({"wo":"WO-1","step":"pack","good":100,"scrap":2})", "user:jose");
  ok("op.complete", R"({"wo":"WO-1","step":"pack"})", "user:jose");
  ok("wo.complete", R"({"wo":"WO-1"})");
  ok("wo.close", R"({"wo":"WO-1"})");

  auto wo = state("wo", "WO-1");
  EXPECT_EQ(wo["status"], "closed");
  EXPECT_EQ(num(wo["steps"].as_array()[0].at("good")), 195);
  // Whoever started the step and whoever reported on it are its operators.
  const auto& operators = wo["steps"].as_array()[0].at("operators").as_array();
  ASSERT_EQ(operators.size(), 2u);
  EXPECT_EQ(operators[0], "user:test");
  EXPECT_EQ(operators[1], "user:maria");
  EXPECT_EQ(wo["consumed"].as_array().size(), 2u);
  EXPECT_EQ(num(wo["consumed"].as_array()[1].at("qty")), 80.5);
  auto f1 = state("lot", "F-1");
  EXPECT_EQ(f1["status"], "awaitingRelease");
  EXPECT_EQ(f1["wo"], "WO-1");
  EXPECT_EQ(f1["location"], "pack");
  EXPECT_EQ(num(state("lot", "R-1")["onHand"]), 30);
  EXPECT_EQ(num(state("lot", "R-1")["consumed"]), 120);

  // Each produced lot derives from every lot consumed, with the quantity consumed.
  auto snap = ledger_->snapshot();
  auto* bwd = ledger_->store().cf(domain::kGenealogyBwdCf);
  for (const char* produced : {"F-1", "F-2"}) {
    for (const auto& [src, qty] : {std::pair{"R-1", 120000}, std::pair{"R-2", 80500}}) {
      auto edge = snap->get(bwd, domain::keys::edge(produced, src));
      ASSERT_TRUE(edge) << produced << " <- " << src;
      codec::MessageView v(*edge);
      EXPECT_EQ(v.root<schema::Edge>().getQty(), qty);
      EXPECT_EQ(v.root<schema::Edge>().getKind(), schema::EdgeKind::CONSUMED_INTO);
    }
  }
}

TEST_F(WorkOrders, ConsumptionAfterProductionStillLinks) {
  master_data();
  receive("R-1", 100);
  receive("R-2", 100);
  running_order();
  ok("lot.consume", R"({"wo":"WO-1","step":"wash","lot":"R-1","qty":10})");
  ok("lot.produce", R"({"wo":"WO-1","step":"wash","lot":"W-1","qty":10,"material":"romaine"})");
  ok("lot.consume", R"({"wo":"WO-1","step":"wash","lot":"R-2","qty":5})");
  auto snap = ledger_->snapshot();
  auto edge =
      snap->get(ledger_->store().cf(domain::kGenealogyFwdCf), domain::keys::edge("R-2", "W-1"));
  ASSERT_TRUE(edge);
}

TEST_F(WorkOrders, OrderStateRules) {
  master_data();
  receive("R-1", 100);
  const std::string create =
      R"({"wo":"WO-1","material":"salad","qty":10,"routing":"salad-r","due":"2026-11-22T00:00:00Z"})";
  expect_rejected("wo.release", R"({"wo":"WO-1"})", ErrorCode::kNotFound, "data.wo");
  expect_rejected(
      "wo.create",
      R"({"wo":"WO-1","material":"romaine","qty":10,"routing":"salad-r","due":"2026-11-22"})",
      ErrorCode::kInvalidArgument, "data.routing");
  expect_rejected(
      "wo.create",
      R"({"wo":"WO-1","material":"salad","qty":10,"routing":"nope","due":"2026-11-22"})",
      ErrorCode::kNotFound, "data.routing");
  expect_rejected("wo.create", R"({"wo":"WO-1","material":"salad","qty":10,"routing":"salad-r"})",
                  ErrorCode::kInvalidArgument, "data.due");
  ok("wo.create", create);
  expect_rejected("wo.create", create, ErrorCode::kAlreadyExists, "data.wo");
  // Not released yet: no work.
  expect_rejected("op.start", R"({"wo":"WO-1","step":"wash","equipment":"washer-1"})",
                  ErrorCode::kInvalidState, "data.wo");
  expect_rejected("wo.complete", R"({"wo":"WO-1"})", ErrorCode::kInvalidState, "data.wo");
  expect_rejected("wo.close", R"({"wo":"WO-1"})", ErrorCode::kInvalidState, "data.wo");
  ok("wo.release", R"({"wo":"WO-1"})");
  expect_rejected("wo.release", R"({"wo":"WO-1"})", ErrorCode::kInvalidState, "data.wo");
  // Steps run in routing order.
  expect_rejected("op.start", R"({"wo":"WO-1","step":"pack","equipment":"packer-1"})",
                  ErrorCode::kSequenceViolation, "data.step");
  expect_rejected("op.start", R"({"wo":"WO-1","step":"fry","equipment":"washer-1"})",
                  ErrorCode::kNotFound, "data.step");
  expect_rejected("op.start", R"({"wo":"WO-1","step":"wash","equipment":"packer-1"})",
                  ErrorCode::kInvalidArgument, "data.equipment");
  expect_rejected("op.start", R"({"wo":"WO-1","step":"wash","equipment":"nope"})",
                  ErrorCode::kNotFound, "data.equipment");
  ok("op.start", R"({"wo":"WO-1","step":"wash","equipment":"washer-1"})");
  expect_rejected("op.start", R"({"wo":"WO-1","step":"wash","equipment":"washer-1"})",
                  ErrorCode::kInvalidState, "data.step");
  expect_rejected("wo.complete", R"({"wo":"WO-1"})", ErrorCode::kInvalidState, "data.wo");
  expect_rejected("op.complete", R"({"wo":"WO-1","step":"pack"})", ErrorCode::kInvalidState,
                  "data.step");
  expect_rejected("op.report", R"({"wo":"WO-1","step":"pack","good":1})", ErrorCode::kInvalidState,
                  "data.step");
  expect_rejected("op.report", R"({"wo":"WO-1","step":"wash","good":0,"scrap":0})",
                  ErrorCode::kInvalidArgument, "data.good");
  expect_rejected("op.report", R"({"wo":"WO-1","step":"wash","good":-1})",
                  ErrorCode::kInvalidArgument, "data.good");
}

TEST_F(WorkOrders, EquipmentRunsOneStepAtATime) {
  master_data();
  running_order("WO-1");
  ok("wo.create",
     R"({"wo":"WO-2","material":"salad","qty":10,"routing":"salad-r","due":"2026-11-22"})");
  ok("wo.release", R"({"wo":"WO-2"})");
  expect_rejected("op.start", R"({"wo":"WO-2","step":"wash","equipment":"washer-1"})",
                  ErrorCode::kInvalidState, "data.equipment");
  EXPECT_EQ(state("equipment", "washer-1")["wo"], "WO-1");
}

TEST_F(WorkOrders, ConsumptionRules) {
  master_data();
  receive("R-1", 100);
  receive("I-1", 100, "iceberg");
  ok("wo.create",
     R"({"wo":"WO-1","material":"salad","qty":10,"routing":"salad-r","due":"2026-11-22"})");
  ok("wo.release", R"({"wo":"WO-1"})");
  expect_rejected("lot.consume", R"({"wo":"WO-1","step":"wash","lot":"R-1","qty":1})",
                  ErrorCode::kInvalidState, "data.step");
  ok("op.start", R"({"wo":"WO-1","step":"wash","equipment":"washer-1"})");
  expect_rejected("lot.consume", R"({"wo":"WO-1","step":"wash","lot":"R-1","qty":100.001})",
                  ErrorCode::kInsufficientQuantity, "data.qty");
  expect_rejected("lot.consume", R"({"wo":"WO-1","step":"wash","lot":"I-1","qty":1})",
                  ErrorCode::kInvalidArgument, "data.lot");
  expect_rejected("lot.consume", R"({"wo":"WO-1","step":"wash","lot":"R-9","qty":1})",
                  ErrorCode::kNotFound, "data.lot");
  expect_rejected("lot.consume", R"({"wo":"WO-9","step":"wash","lot":"R-1","qty":1})",
                  ErrorCode::kNotFound, "data.wo");
  ok("lot.hold", R"({"lot":"R-1","reason":"pathogen test pending"})");
  expect_rejected("lot.consume", R"({"wo":"WO-1","step":"wash","lot":"R-1","qty":1})",
                  ErrorCode::kLotNotAvailable, "data.lot");
  ok("material.define", R"({"material":"kale","name":"Kale","uom":"kg","requiresRelease":true})");
  ok("lot.receive",
     R"({"lot":"K-1","material":"kale","qty":5,"uom":"kg","supplier":"farm","supplierLot":"K"})");
  expect_rejected("lot.produce", R"({"wo":"WO-1","step":"wash","lot":"K-1","qty":1})",
                  ErrorCode::kAlreadyExists, "data.lot");
  expect_rejected("lot.produce",
                  R"({"wo":"WO-1","step":"wash","lot":"F-1","qty":1,"material":"nope"})",
                  ErrorCode::kNotFound, "data.material");
}

TEST_F(WorkOrders, ClosedOrdersTakeNoMoreWork) {
  master_data();
  receive("R-1", 100);
  running_order();
  ok("op.complete", R"({"wo":"WO-1","step":"wash"})");
  ok("op.start", R"({"wo":"WO-1","step":"pack","equipment":"packer-1"})");
  ok("op.complete", R"({"wo":"WO-1","step":"pack"})");
  ok("wo.complete", R"({"wo":"WO-1"})");
  expect_rejected("lot.consume", R"({"wo":"WO-1","step":"pack","lot":"R-1","qty":1})",
                  ErrorCode::kInvalidState, "data.wo");
  ok("wo.close", R"({"wo":"WO-1"})");
  expect_rejected("op.report", R"({"wo":"WO-1","step":"pack","good":1})", ErrorCode::kInvalidState,
                  "data.wo");
  expect_rejected("wo.close", R"({"wo":"WO-1"})", ErrorCode::kInvalidState, "data.wo");
}

TEST_F(WorkOrders, ASecondPersonVerifiesACompletedStep) {
  master_data();
  receive("R-1", 150);
  running_order();  // wash started by user:test
  expect_rejected("op.verify", R"({"wo":"WO-1","step":"wash"})", ErrorCode::kInvalidState,
                  "data.step");
  ok("op.complete", R"({"wo":"WO-1","step":"wash"})");
  // The operator who performed it cannot be its verifier.
  expect_rejected("op.verify", R"({"wo":"WO-1","step":"wash","note":"checked"})",
                  ErrorCode::kPermissionDenied, "actor");
  expect_rejected("op.verify", R"({"wo":"WO-1","step":"rinse"})", ErrorCode::kNotFound,
                  "data.step");
  expect_rejected("op.verify", R"({"wo":"WO-9","step":"wash"})", ErrorCode::kNotFound, "data.wo");
  ok("op.verify", R"({"wo":"WO-1","step":"wash","note":"chlorine log checked"})", "user:lead");
  auto wo = state("wo", "WO-1");
  const auto& wash = wo["steps"].as_array()[0].as_object();
  EXPECT_EQ(wash.at("verifiedBy"), "user:lead");
  EXPECT_FALSE(std::string(wash.at("verifiedAt").as_string()).empty());
  auto again = run("op.verify", R"({"wo":"WO-1","step":"wash"})", "user:qa");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kInvalidState);
}

}  // namespace
}  // namespace custody::testing
