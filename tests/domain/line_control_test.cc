// Line clearance and label control: a step whose routing asks for it starts only where one
// person cleared the line and a second verified it; a labelling step completes only once its
// labels are reconciled, and labels that do not add up raise a quality exception.
#include "domain/plant_fixture.h"

namespace custody::testing {
namespace {

class LineControlTest : public PlantTest {
 protected:
  // master_data() plus routing salad-lc whose pack step needs a line clearance and is issued
  // labels, and order WO-L on it with its wash complete and 90 cases made.
  void packing_order(const std::string& wo = "WO-L") {
    if (!defined_) {
      master_data();
      ok("routing.define", R"({"routing":"salad-lc","material":"salad","steps":[)"
                           R"({"step":"wash","workCenter":"wash"},)"
                           R"({"step":"pack","workCenter":"pack","lineClearance":true,)"
                           R"("labelling":true}]})");
      ok("equipment.define", R"({"equipment":"packer-2","name":"Packer 2","workCenter":"pack"})");
      defined_ = true;
    }
    running_order(wo, "salad-lc");
    ok("op.report", R"({"wo":")" + wo + R"(","step":"wash","good":90,"scrap":0})");
    ok("op.complete", R"({"wo":")" + wo + R"(","step":"wash"})");
  }

  std::string clear(const std::string& wo = "WO-L", const std::string& equipment = "packer-1") {
    return R"({"wo":")" + wo + R"(","step":"pack","equipment":")" + equipment +
           R"(","materialsRemoved":true,"labelsRemoved":true,"note":"previous order's cartons gone"})";
  }
  std::string pack(const std::string& wo = "WO-L", const std::string& equipment = "packer-1") {
    return R"({"wo":")" + wo + R"(","step":"pack","equipment":")" + equipment + R"("})";
  }

  boost::json::object pack_step(const std::string& wo = "WO-L") {
    return state("wo", wo)["steps"].as_array()[1].as_object();
  }

  bool defined_ = false;
};

TEST_F(LineControlTest, APackStepStartsOnlyAfterTheLineIsClearedAndVerifiedByASecondPerson) {
  packing_order();
  expect_rejected("op.start", pack(), ErrorCode::kLineNotCleared, "data.step");

  ok("line.clear", clear(), "user:ana");
  auto c = pack_step()["clearance"].as_object();
  EXPECT_EQ(c["by"], "user:ana");
  EXPECT_EQ(c["equipment"], "packer-1");
  EXPECT_EQ(c["note"], "previous order's cartons gone");
  EXPECT_EQ(state("equipment", "packer-1")["clearedFor"], "WO-L/pack");
  // Cleared but not verified: still no start.
  expect_rejected("op.start", pack(), ErrorCode::kLineNotCleared, "data.step", "user:ana");
  // The one who cleared it cannot verify it.
  expect_rejected("line.verify", R"({"wo":"WO-L","step":"pack"})", ErrorCode::kPermissionDenied,
                  "actor", "user:ana");

  ok("line.verify", R"({"wo":"WO-L","step":"pack","note":"checked under the conveyor"})",
     "user:bo");
  EXPECT_EQ(pack_step()["clearance"].at("verifiedBy"), "user:bo");
  // Cleared on packer-1, so not on packer-2.
  expect_rejected("op.start", pack("WO-L", "packer-2"), ErrorCode::kLineNotCleared,
                  "data.equipment");
  ok("op.start", pack(), "user:ana");
  EXPECT_EQ(state("equipment", "packer-1")["clearedFor"], "") << "a start uses the clearance up";
  // The equipment's logbook shows the clearance before the use (21 CFR 211.182).
  auto book = query([](auto& q, auto& w) {
    return q.equipment_logbook("packer-1", 0, std::numeric_limits<TimeNs>::max(), w);
  });
  const auto& entries = book["entries"].as_array();
  ASSERT_EQ(entries.size(), 3u) << book;  // defined, cleared, started
  EXPECT_EQ(entries[1].at("event"), "cleared");
  EXPECT_EQ(entries[1].at("actor"), "user:ana");
  EXPECT_EQ(entries[1].at("wo"), "WO-L");
  EXPECT_EQ(entries[1].at("material"), "salad");
  EXPECT_EQ(entries[2].at("event"), "started");
  expect_rebuild_gives_the_same_state();
}

TEST_F(LineControlTest, AnotherStartOnTheEquipmentVoidsAClearance) {
  packing_order("WO-L");
  packing_order("WO-M");
  ok("line.clear", clear("WO-L"), "user:ana");
  // WO-M clears and starts packer-1 first: WO-L's clearance there no longer holds.
  ok("line.clear", clear("WO-M"), "user:ana");
  EXPECT_EQ(state("equipment", "packer-1")["clearedFor"], "WO-M/pack");
  expect_rejected("line.verify", R"({"wo":"WO-L","step":"pack"})", ErrorCode::kInvalidState,
                  "data.step", "user:bo");
  ok("line.verify", R"({"wo":"WO-M","step":"pack"})", "user:bo");
  ok("op.start", pack("WO-M"));
  ok("op.report", R"({"wo":"WO-M","step":"pack","good":90,"scrap":0})");
  ok("label.reconcile", R"({"wo":"WO-M","step":"pack","issued":100,"used":90,"returned":10})");
  ok("op.complete", R"({"wo":"WO-M","step":"pack"})");
  // packer-1 is free again, but WO-L's line must be cleared anew.
  expect_rejected("op.start", pack("WO-L"), ErrorCode::kLineNotCleared, "data.equipment");
  ok("line.clear", clear("WO-L"), "user:ana");
  ok("line.verify", R"({"wo":"WO-L","step":"pack"})", "user:bo");
  ok("op.start", pack("WO-L"));
  expect_rebuild_gives_the_same_state();
}

TEST_F(LineControlTest, AStartEnteredLateFromBeforeTheVerificationIsRefused) {
  packing_order();
  const std::string earlier = format_rfc3339(clock_.now());
  clock_.advance(3600LL * 1'000'000'000LL);
  ok("line.clear", clear(), "user:ana");
  ok("line.verify", R"({"wo":"WO-L","step":"pack"})", "user:bo");
  const auto head = ledger_->head().seq;
  auto late = domain::decode_command(
      R"({"type":"op.start","commandId":"late-1","actor":"user:ana","occurredAt":")" + earlier +
      R"(","lateReason":"typed in from the paper log","data":)" + pack() + "}");
  ASSERT_TRUE(late);
  auto r = ledger_->submit(std::move(*late)).get();
  ASSERT_FALSE(r) << "a start from before the line was verified";
  EXPECT_EQ(code_name(r.error().code), "line_not_cleared") << r.error().message;
  EXPECT_EQ(r.error().field, "data.step");
  EXPECT_EQ(ledger_->head().seq, head);
  // Nor is a verification dated before the clearance it verifies.
  packing_order("WO-M");
  ok("line.clear", clear("WO-M", "packer-2"), "user:ana");
  const auto before = ledger_->head().seq;
  const std::string digest_before = digest();
  auto early = domain::decode_command(
      R"({"type":"line.verify","commandId":"late-2","actor":"user:bo","occurredAt":")" + earlier +
      R"(","lateReason":"typed in from the paper log","data":{"wo":"WO-M","step":"pack"}})");
  ASSERT_TRUE(early);
  auto v = ledger_->submit(std::move(*early)).get();
  ASSERT_FALSE(v) << "a verification from before the clearance";
  EXPECT_EQ(code_name(v.error().code), "invalid_state") << v.error().message;
  EXPECT_EQ(v.error().field, "data.step");
  EXPECT_EQ(ledger_->head().seq, before);
  EXPECT_EQ(digest(), digest_before);
  EXPECT_EQ(state("equipment", "packer-1")["clearedFor"], "WO-L/pack");
  ok("op.start", pack());
  expect_rebuild_gives_the_same_state();
}

TEST_F(LineControlTest, ClearanceRefusalsNameTheFieldAndWriteNothing) {
  packing_order();
  ok("wo.create", R"({"wo":"WO-P","material":"salad","qty":10,"routing":"salad-r",)"
                  R"("due":"2026-11-22T00:00:00Z"})");
  ok("wo.release", R"({"wo":"WO-P"})");
  expect_rejected("line.clear", clear("WO-P"), ErrorCode::kInvalidArgument, "data.step");
  expect_rejected("line.clear", clear("WO-X"), ErrorCode::kNotFound, "data.wo");
  expect_rejected("line.clear",
                  R"({"wo":"WO-L","step":"label","equipment":"packer-1","materialsRemoved":true,)"
                  R"("labelsRemoved":true})",
                  ErrorCode::kNotFound, "data.step");
  expect_rejected("line.clear",
                  R"({"wo":"WO-L","step":"pack","equipment":"packer-1","labelsRemoved":true})",
                  ErrorCode::kInvalidArgument, "data.materialsRemoved");
  expect_rejected("line.clear",
                  R"({"wo":"WO-L","step":"pack","equipment":"packer-1","materialsRemoved":true,)"
                  R"("labelsRemoved":false})",
                  ErrorCode::kInvalidArgument, "data.labelsRemoved");
  expect_rejected("line.clear", clear("WO-L", "washer-1"), ErrorCode::kInvalidArgument,
                  "data.equipment");
  expect_rejected("line.clear", clear("WO-L", "packer-9"), ErrorCode::kNotFound, "data.equipment");
  expect_rejected("line.clear", R"({"wo":"WO-L","step":"pack"})", ErrorCode::kInvalidArgument,
                  "data.equipment");
  expect_rejected("line.verify", R"({"wo":"WO-L","step":"pack"})", ErrorCode::kInvalidState,
                  "data.step", "user:bo");
  // Equipment still running the previous order cannot be cleared.
  packing_order("WO-Q");
  ok("line.clear", clear("WO-Q", "packer-2"), "user:ana");
  ok("line.verify", R"({"wo":"WO-Q","step":"pack"})", "user:bo");
  ok("op.start", pack("WO-Q", "packer-2"));
  expect_rejected("line.clear", clear("WO-L", "packer-2"), ErrorCode::kInvalidState,
                  "data.equipment");
  // A started step is not cleared again, nor verified.
  expect_rejected("line.clear", clear("WO-Q", "packer-1"), ErrorCode::kInvalidState, "data.step");
  ok("line.clear", clear(), "user:ana");
  ok("line.verify", R"({"wo":"WO-L","step":"pack"})", "user:bo");
  expect_rejected("line.verify", R"({"wo":"WO-L","step":"pack"})", ErrorCode::kInvalidState,
                  "data.step", "user:cy");
}

TEST_F(LineControlTest, ACriticalStepsLineIsClearedAndVerifiedOnlyByTheQualified) {
  master_data();
  ok("routing.define", R"({"routing":"salad-cq","material":"salad","steps":[)"
                       R"({"step":"pack","workCenter":"pack","critical":true,)"
                       R"("lineClearance":true}]})");
  ok("wo.create", R"({"wo":"WO-K","material":"salad","qty":10,"routing":"salad-cq",)"
                  R"("due":"2026-11-22T00:00:00Z"})");
  ok("wo.release", R"({"wo":"WO-K"})");
  const std::string c = clear("WO-K");
  expect_rejected("line.clear", c, ErrorCode::kNotQualified, "actor", "user:ana");
  ok("qualification.grant", R"({"user":"user:ana","routing":"salad-cq","step":"pack",)"
                            R"("trainer":"user:tr","until":"2027-11-22T00:00:00Z"})");
  ok("line.clear", c, "user:ana");
  expect_rejected("line.verify", R"({"wo":"WO-K","step":"pack"})", ErrorCode::kNotQualified,
                  "actor", "user:bo");
}

TEST_F(LineControlTest, LabelsThatDoNotReconcileRaiseAQualityExceptionOnTheOrdersLots) {
  packing_order();
  ok("line.clear", clear(), "user:ana");
  ok("line.verify", R"({"wo":"WO-L","step":"pack"})", "user:bo");
  ok("op.start", pack());
  ok("op.report", R"({"wo":"WO-L","step":"pack","good":88,"scrap":2})");
  ok("lot.produce", R"({"wo":"WO-L","step":"pack","lot":"SAL-1","qty":88})");
  // The step cannot complete before its labels are counted.
  expect_rejected("op.complete", R"({"wo":"WO-L","step":"pack"})", ErrorCode::kLabelsNotReconciled,
                  "data.step");

  const auto head = ledger_->head().seq;
  ok("label.reconcile",
     R"({"wo":"WO-L","step":"pack","issued":100,"used":88,"destroyed":2,)"
     R"("returned":5,"note":"roll end"})",
     "user:ana");
  EXPECT_EQ(ledger_->head().seq, head + 2) << "the count and its exception";
  auto labels = pack_step()["labels"].as_object();
  EXPECT_EQ(num(labels["issued"]), 100);
  EXPECT_EQ(num(labels["returned"]), 5);
  EXPECT_EQ(labels["by"], "user:ana");
  auto x = state("exception", "auto:t-" + std::to_string(n_));
  EXPECT_EQ(x["category"], "quality");
  EXPECT_EQ(x["wo"], "WO-L");
  EXPECT_EQ(x["lots"].as_array().at(0), "SAL-1");
  EXPECT_NE(x["description"].as_string().find("5 unaccounted for"), std::string::npos)
      << x["description"];
  // Once only.
  expect_rejected("label.reconcile", R"({"wo":"WO-L","step":"pack","issued":100,"used":100})",
                  ErrorCode::kInvalidState, "data.step");
  ok("op.complete", R"({"wo":"WO-L","step":"pack"})");
  expect_rebuild_gives_the_same_state();
}

TEST_F(LineControlTest, LabelsThatReconcileRaiseNothing) {
  packing_order();
  ok("line.clear", clear(), "user:ana");
  ok("line.verify", R"({"wo":"WO-L","step":"pack"})", "user:bo");
  ok("op.start", pack());
  const auto head = ledger_->head().seq;
  ok("label.reconcile",
     R"({"wo":"WO-L","step":"pack","issued":100,"used":90,"destroyed":4,"returned":6})");
  EXPECT_EQ(ledger_->head().seq, head + 1);
}

TEST_F(LineControlTest, LabelCountRefusalsNameTheFieldAndWriteNothing) {
  packing_order();
  // Not started yet; a step that is not issued labels.
  expect_rejected("label.reconcile", R"({"wo":"WO-L","step":"pack","issued":10,"used":10})",
                  ErrorCode::kInvalidState, "data.step");
  expect_rejected("label.reconcile", R"({"wo":"WO-L","step":"wash","issued":10,"used":10})",
                  ErrorCode::kInvalidArgument, "data.step");
  ok("line.clear", clear(), "user:ana");
  ok("line.verify", R"({"wo":"WO-L","step":"pack"})", "user:bo");
  ok("op.start", pack());
  expect_rejected("label.reconcile", R"({"wo":"WO-L","step":"pack","issued":0})",
                  ErrorCode::kInvalidArgument, "data.issued");
  expect_rejected("label.reconcile", R"({"wo":"WO-L","step":"pack","used":10})",
                  ErrorCode::kInvalidArgument, "data.issued");
  expect_rejected("label.reconcile", R"({"wo":"WO-L","step":"pack","issued":10,"used":-1})",
                  ErrorCode::kInvalidArgument, "data.used");
  expect_rejected("label.reconcile",
                  R"({"wo":"WO-L","step":"pack","issued":10,"used":5,"destroyed":-5})",
                  ErrorCode::kInvalidArgument, "data.destroyed");
  expect_rejected("label.reconcile",
                  R"({"wo":"WO-L","step":"pack","issued":10,"used":5,"returned":-5})",
                  ErrorCode::kInvalidArgument, "data.returned");
  expect_rejected("label.reconcile", R"({"wo":"WO-L","step":"pick","issued":10})",
                  ErrorCode::kNotFound, "data.step");
  expect_rejected("label.reconcile", R"({"wo":"WO-X","step":"pack","issued":10})",
                  ErrorCode::kNotFound, "data.wo");
  // Counts beyond what custody holds.
  expect_rejected("label.reconcile",
                  R"({"wo":"WO-L","step":"pack","issued":10,"used":9000000000000000000,)"
                  R"("destroyed":9000000000000000000})",
                  ErrorCode::kOutOfRange, "data.destroyed");
  // Once the order is complete its labels are no longer counted.
  ok("label.reconcile", R"({"wo":"WO-L","step":"pack","issued":100,"used":90,"returned":10})");
  ok("op.complete", R"({"wo":"WO-L","step":"pack"})");
  ok("wo.complete", R"({"wo":"WO-L"})");
  expect_rejected("label.reconcile", R"({"wo":"WO-L","step":"pack","issued":10,"used":10})",
                  ErrorCode::kInvalidState, "data.wo");
  expect_rejected("line.verify", R"({"wo":"WO-L","step":"pack"})", ErrorCode::kInvalidState,
                  "data.wo", "user:bo");
}

}  // namespace
}  // namespace custody::testing
