// Recall scoping on a small plant: from a lot, a supplier lot and an equipment window, with
// shipments, customers, the mass balance and the FSMA 204 spreadsheet.
#include "custody/domain/recall.h"

#include <fstream>
#include <sstream>

#include "domain/plant_fixture.h"

namespace custody::testing {
namespace {

class Recall : public PlantTest {
 protected:
  // Two farm lots, one contaminated: both washed into WO-1, which makes F-1 and F-2; F-1
  // ships to the DC in two shipments, F-2 stays; R-2 alone goes into WO-2 and F-3.
  void SetUp() override {
    PlantTest::SetUp();
    master_data();
    ok("party.define",
       R"({"party":"dc2","name":"West DC","role":"customer","address":"Reno, NV"})");
    receive("R-1", 100, "romaine", "GF-BAD");
    receive("R-2", 100, "romaine", "GF-OK");
    running_order("WO-1");
    ok("lot.consume", R"({"wo":"WO-1","step":"wash","lot":"R-1","qty":60})");
    ok("lot.consume", R"({"wo":"WO-1","step":"wash","lot":"R-2","qty":40})");
    ok("op.complete", R"({"wo":"WO-1","step":"wash"})");
    ok("op.start", R"({"wo":"WO-1","step":"pack","equipment":"packer-1"})");
    ok("lot.produce", R"({"wo":"WO-1","step":"pack","lot":"F-1","qty":30})");
    ok("lot.produce", R"({"wo":"WO-1","step":"pack","lot":"F-2","qty":20})");
    ok("lot.release", R"({"lot":"F-1"})");
    ok("lot.ship", R"({"lot":"F-1","qty":10,"customer":"dc","shipment":"BOL-1"})");
    ok("lot.ship", R"({"lot":"F-1","qty":5,"customer":"dc2","shipment":"BOL-2"})");
    ok("op.complete", R"({"wo":"WO-1","step":"pack"})");
    running_order("WO-2");
    ok("lot.consume", R"({"wo":"WO-2","step":"wash","lot":"R-2","qty":10})");
  }

  domain::RecallReport recall(const domain::RecallScope& scope) {
    auto snap = ledger_->snapshot();
    auto r = domain::build_recall(*snap, scope, nullptr);
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    return r ? std::move(*r) : domain::RecallReport{};
  }
};

TEST_F(Recall, FromASupplierLot) {
  domain::RecallScope scope;
  scope.from = domain::RecallScope::From::kSupplierLot;
  scope.supplier = "farm";
  scope.supplier_lot = "GF-BAD";
  const auto r = recall(scope);
  ASSERT_EQ(r.starts, std::vector<std::string>{"R-1"});
  std::set<std::string> lots;
  for (const auto& l : r.lots) lots.insert(l.lot);
  EXPECT_EQ(lots, (std::set<std::string>{"R-1", "F-1", "F-2"}));
  EXPECT_EQ(r.work_orders, std::vector<std::string>{"WO-1"});
  ASSERT_EQ(r.shipments.size(), 2u);
  EXPECT_EQ(r.shipments[0].shipment, "BOL-1");
  ASSERT_EQ(r.customers.size(), 2u);
  EXPECT_EQ(r.customers[0].customer, "dc");
  EXPECT_EQ(r.customers[0].qty, 10000);
  ASSERT_EQ(r.balance.size(), 1u);
  EXPECT_EQ(r.balance[0].received, 100000);
  EXPECT_EQ(r.balance[0].consumed, 60000);
  EXPECT_EQ(r.balance[0].on_hand, 40000);
  EXPECT_DOUBLE_EQ(r.balance[0].accounted_pct, 100.0);
}

TEST_F(Recall, OrdersStillInProgressAreFound) {
  domain::RecallScope scope;
  scope.lot = "R-2";
  const auto r = recall(scope);
  // WO-2 consumed R-2 and has produced nothing yet: it is in scope all the same.
  EXPECT_EQ(r.work_orders, (std::vector<std::string>{"WO-1", "WO-2"}));
}

TEST_F(Recall, ExcludeConsumedLeavesOutWhatIsGone) {
  ok("lot.ship", R"({"lot":"F-1","qty":15,"customer":"dc","shipment":"BOL-3"})");
  domain::RecallScope scope;
  scope.lot = "R-1";
  scope.exclude_consumed = true;
  const auto r = recall(scope);
  std::set<std::string> lots;
  for (const auto& l : r.lots) lots.insert(l.lot);
  EXPECT_EQ(lots, (std::set<std::string>{"R-1", "F-2"}));  // F-1 is all shipped
  EXPECT_EQ(r.lots_reached, 3u);
  EXPECT_EQ(r.shipments.size(), 3u);  // its shipments still count
}

TEST_F(Recall, FromAnEquipmentWindow) {
  domain::RecallScope scope;
  scope.from = domain::RecallScope::From::kEquipment;
  scope.equipment = "packer-1";
  scope.window_from = kStart;
  scope.window_to = kStart + 3600LL * 1'000'000'000LL;
  const auto r = recall(scope);
  EXPECT_EQ(std::set<std::string>(r.starts.begin(), r.starts.end()),
            (std::set<std::string>{"F-1", "F-2"}));
  scope.window_from = kStart + 3600LL * 1'000'000'000LL;
  scope.window_to = kStart + 7200LL * 1'000'000'000LL;
  EXPECT_TRUE(recall(scope).starts.empty());
}

TEST_F(Recall, NothingToRecallIsNotFound) {
  auto snap = ledger_->snapshot();
  domain::RecallScope scope;
  scope.lot = "ghost";
  EXPECT_EQ(domain::build_recall(*snap, scope, nullptr).error().code, ErrorCode::kNotFound);
  scope.from = domain::RecallScope::From::kSupplierLot;
  scope.supplier = "farm";
  scope.supplier_lot = "GF-NEVER";
  auto r = domain::build_recall(*snap, scope, nullptr);
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(r.error().field, "supplier-lot");
  scope.from = domain::RecallScope::From::kEquipment;
  scope.equipment = "washer-1";
  scope.window_from = 10;
  scope.window_to = 5;
  EXPECT_EQ(domain::build_recall(*snap, scope, nullptr).error().code, ErrorCode::kInvalidArgument);
}

TEST_F(Recall, CsvHasARecordColumn) {
  domain::RecallScope scope;
  scope.lot = "R-1";
  const std::string csv = domain::recall_csv(recall(scope));
  EXPECT_EQ(csv.rfind("record,lot,", 0), 0u);
  EXPECT_NE(csv.find("\nshipment,F-1,"), std::string::npos);
  EXPECT_NE(csv.find("\nbalance,R-1,"), std::string::npos);
  EXPECT_EQ(domain::csv_field("a,\"b\""), "\"a,\"\"b\"\"\"");
}

// What a spreadsheet would run as a formula is written as text; numbers stay numbers.
TEST_F(Recall, CsvFieldsAreNeverFormulas) {
  EXPECT_EQ(domain::csv_field("=HYPERLINK(\"http://x\",\"y\")"),
            "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
  EXPECT_EQ(domain::csv_field("@SUM(A1)"), "'@SUM(A1)");
  EXPECT_EQ(domain::csv_field("+cmd"), "'+cmd");
  EXPECT_EQ(domain::csv_field("-2+3"), "'-2+3");
  EXPECT_EQ(domain::csv_field("\tx"), "'\tx");
  EXPECT_EQ(domain::csv_field("-1.5"), "-1.5");
  EXPECT_EQ(domain::csv_field("+12"), "+12");
  EXPECT_EQ(domain::csv_field("L-7"), "L-7");
  EXPECT_EQ(domain::csv_field(""), "");
  std::string row;
  domain::append_csv_row(row, {"=1+1", "a,b", "2"});
  EXPECT_EQ(row, "'=1+1,\"a,b\",2\n");
}

}  // namespace
}  // namespace custody::testing
