// Lots: receiving, splitting, merging, holds and releases, shipping; quantities exact.
#include "domain/plant_fixture.h"

namespace custody::testing {
namespace {

using Lots = PlantTest;

TEST_F(Lots, ReceiveKeepsExactQuantitiesAndStartsReleasedOrAwaiting) {
  master_data();
  ok("lot.receive",
     R"({"lot":"R-1","material":"romaine","qty":"1000.125","uom":"kg","supplier":"farm","supplierLot":"GF-1"})");
  auto lot = state("lot", "R-1");
  EXPECT_EQ(num(lot["onHand"]), 1000.125);
  EXPECT_EQ(lot["status"], "released");
  EXPECT_EQ(lot["location"], "receiving");
  ok("material.define", R"({"material":"herbs","name":"Herbs","uom":"kg","requiresRelease":true})");
  ok("lot.receive",
     R"({"lot":"H-1","material":"herbs","qty":5,"uom":"kg","supplier":"farm","supplierLot":"GF-2"})");
  EXPECT_EQ(state("lot", "H-1")["status"], "awaitingRelease");
}

TEST_F(Lots, ReceiveRules) {
  master_data();
  receive("R-1", 10);
  const std::string rest = R"(,"uom":"kg","supplier":"farm","supplierLot":"X"})";
  expect_rejected("lot.receive", R"({"lot":"R-1","material":"romaine","qty":1)" + rest,
                  ErrorCode::kAlreadyExists, "data.lot");
  expect_rejected("lot.receive", R"({"lot":"R-2","material":"kale","qty":1)" + rest,
                  ErrorCode::kNotFound, "data.material");
  expect_rejected(
      "lot.receive",
      R"({"lot":"R-2","material":"romaine","qty":1,"uom":"kg","supplier":"nobody","supplierLot":"X"})",
      ErrorCode::kNotFound, "data.supplier");
  expect_rejected(
      "lot.receive",
      R"({"lot":"R-2","material":"romaine","qty":1,"uom":"kg","supplier":"dc","supplierLot":"X"})",
      ErrorCode::kInvalidArgument, "data.supplier");
  expect_rejected(
      "lot.receive",
      R"({"lot":"R-2","material":"romaine","qty":1,"uom":"lb","supplier":"farm","supplierLot":"X"})",
      ErrorCode::kInvalidArgument, "data.uom");
  expect_rejected("lot.receive", R"({"lot":"R-2","material":"romaine","qty":0)" + rest,
                  ErrorCode::kInvalidArgument, "data.qty");
  expect_rejected("lot.receive", R"({"lot":"R-2","material":"romaine","qty":1.0001)" + rest,
                  ErrorCode::kInvalidArgument, "data.qty");
  // The pallet's SSCC: 18 digits with GS1's check digit.
  const std::string lot2 = R"({"lot":"R-2","material":"romaine","qty":1,"uom":"kg",)"
                           R"("supplier":"farm","supplierLot":"X","sscc":")";
  for (const char* bad : {"10614141234567890", "1061414123456789O8", "106141412345678907"}) {
    expect_rejected("lot.receive", lot2 + bad + "\"}", ErrorCode::kInvalidArgument, "data.sscc");
  }
  ok("lot.receive", lot2 + "106141412345678908\"}");
}

TEST_F(Lots, SplitAndMerge) {
  master_data();
  receive("R-1", 100);
  receive("R-2", 50);
  ok("lot.split", R"({"lot":"R-1","into":[{"lot":"R-1a","qty":30},{"lot":"R-1b","qty":20}]})");
  EXPECT_EQ(num(state("lot", "R-1")["onHand"]), 50);
  EXPECT_EQ(num(state("lot", "R-1")["splitOff"]), 50);
  EXPECT_EQ(num(state("lot", "R-1a")["onHand"]), 30);
  EXPECT_EQ(state("lot", "R-1a")["supplierLot"], "GF-1");
  ok("lot.merge", R"({"lots":["R-1b","R-2"],"into":"M-1"})");
  EXPECT_EQ(num(state("lot", "M-1")["onHand"]), 70);
  EXPECT_EQ(num(state("lot", "R-2")["onHand"]), 0);
  EXPECT_EQ(state("lot", "M-1")["origin"], "merged");

  expect_rejected("lot.split", R"({"lot":"R-1","into":[{"lot":"R-1c","qty":51}]})",
                  ErrorCode::kInsufficientQuantity, "data.into");
  expect_rejected("lot.split", R"({"lot":"R-1","into":[{"lot":"R-1a","qty":1}]})",
                  ErrorCode::kAlreadyExists, "data.into[0].lot");
  expect_rejected("lot.split", R"({"lot":"R-9","into":[{"lot":"R-9a","qty":1}]})",
                  ErrorCode::kNotFound, "data.lot");
  expect_rejected("lot.merge", R"({"lots":["R-2","R-1"],"into":"M-2"})",
                  ErrorCode::kInsufficientQuantity, "data.lots[0]");
  receive("I-1", 5, "iceberg");
  expect_rejected("lot.merge", R"({"lots":["R-1","I-1"],"into":"M-2"})",
                  ErrorCode::kInvalidArgument, "data.lots[1]");
  ok("lot.hold", R"({"lot":"R-1a","reason":"COA missing"})");
  expect_rejected("lot.merge", R"({"lots":["R-1","R-1a"],"into":"M-2"})",
                  ErrorCode::kLotNotAvailable, "data.lots[1]");
}

TEST_F(Lots, HoldReleaseRejectTransitions) {
  master_data();
  receive("R-1", 10);
  expect_rejected("lot.release", R"({"lot":"R-1"})", ErrorCode::kInvalidState, "data.lot");
  ok("lot.hold", R"({"lot":"R-1","reason":"foreign material"})");
  EXPECT_EQ(state("lot", "R-1")["status"], "held");
  expect_rejected("lot.hold", R"({"lot":"R-1","reason":"again"})", ErrorCode::kInvalidState,
                  "data.lot");
  ok("lot.release", R"({"lot":"R-1"})");
  ok("lot.reject", R"({"lot":"R-1","reason":"failed re-test"})");
  expect_rejected("lot.reject", R"({"lot":"R-1","reason":"again"})", ErrorCode::kInvalidState,
                  "data.lot");
  expect_rejected("lot.release", R"({"lot":"R-1"})", ErrorCode::kInvalidState, "data.lot");
  expect_rejected("lot.hold", R"({"lot":"nope","reason":"x"})", ErrorCode::kNotFound, "data.lot");
  ok("lot.move", R"({"lot":"R-1","location":"quarantine"})");
  EXPECT_EQ(state("lot", "R-1")["location"], "quarantine");
}

TEST_F(Lots, ShippingNeedsAReleasedLotWithEnoughOnHand) {
  master_data();
  receive("R-1", 10);
  ok("lot.ship", R"({"lot":"R-1","qty":4,"customer":"dc","shipment":"BOL-1"})");
  EXPECT_EQ(num(state("lot", "R-1")["onHand"]), 6);
  EXPECT_EQ(num(state("lot", "R-1")["shipped"]), 4);
  expect_rejected("lot.ship", R"({"lot":"R-1","qty":7,"customer":"dc","shipment":"BOL-2"})",
                  ErrorCode::kInsufficientQuantity, "data.qty");
  expect_rejected("lot.ship", R"({"lot":"R-1","qty":1,"customer":"farm","shipment":"BOL-2"})",
                  ErrorCode::kInvalidArgument, "data.customer");
  expect_rejected("lot.ship", R"({"lot":"R-1","qty":1,"customer":"x","shipment":"BOL-2"})",
                  ErrorCode::kNotFound, "data.customer");
  ok("lot.hold", R"({"lot":"R-1","reason":"recall"})");
  expect_rejected("lot.ship", R"({"lot":"R-1","qty":1,"customer":"dc","shipment":"BOL-2"})",
                  ErrorCode::kLotNotAvailable, "data.lot");
}

TEST_F(Lots, HistoryListsEveryRecordThatTouchedTheLot) {
  master_data();
  receive("R-1", 10);
  ok("lot.hold", R"({"lot":"R-1","reason":"x"})");
  ok("lot.release", R"({"lot":"R-1"})");
  auto s = show("lot", "R-1");
  const auto& history = s["history"].as_array();
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(history[0].at("type"), "lot.received");
  EXPECT_EQ(history[2].at("type"), "lot.released");
}

}  // namespace
}  // namespace custody::testing
