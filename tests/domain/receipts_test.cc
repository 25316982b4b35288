// Expected receipts: the ERP announces a purchase order line or an ASN; receiving against it
// checks material, supplier, the supplier's lot and the quantity with its tolerance; a line
// not received in full by its date raises one exception, written by custody itself.
#include "custody/domain/plant.h"
#include "domain/plant_fixture.h"

namespace custody::testing {
namespace {

constexpr TimeNs kHourNs = 3600LL * 1'000'000'000LL;

class ReceiptsTest : public PlantTest {
 protected:
  // 1000 kg of romaine from the farm by 2026-11-22T08:00Z (a day after kStart), 5 % over
  // accepted.
  void expect_line(const std::string& id = "4500012345/10", const std::string& extra = "") {
    ok("receipt.expect", R"({"receipt":")" + id +
                             R"(","supplier":"farm","material":"romaine","qty":1000,"uom":"kg",)"
                             R"("expected":"2026-11-22T08:00:00Z","tolerance":5,)"
                             R"("document":"PO 4500012345")" +
                             extra + "}");
  }
  std::string receipt_json(const std::string& lot, const std::string& qty,
                           const std::string& receipt = "4500012345/10",
                           const std::string& material = "romaine",
                           const std::string& supplier = "farm",
                           const std::string& supplier_lot = "GF-1") {
    return R"({"lot":")" + lot + R"(","material":")" + material + R"(","qty":)" + qty +
           R"(,"uom":"kg","supplier":")" + supplier + R"(","supplierLot":")" + supplier_lot +
           R"(","receipt":")" + receipt + R"("})";
  }
};

TEST_F(ReceiptsTest, ReceivingAgainstALineCountsUpToItsQuantity) {
  master_data();
  expect_line();
  auto r = state("receipt", "4500012345/10");
  EXPECT_EQ(r["status"], "open");
  EXPECT_EQ(r["kind"], "po");
  EXPECT_EQ(num(r["qty"]), 1000);
  EXPECT_EQ(num(r["tolerance"]), 5);
  EXPECT_EQ(num(r["received"]), 0);

  ok("lot.receive", receipt_json("R-1", "400"));
  r = state("receipt", "4500012345/10");
  EXPECT_EQ(r["status"], "open");
  EXPECT_EQ(num(r["received"]), 400);
  ASSERT_EQ(r["lots"].as_array().size(), 1u);
  EXPECT_EQ(r["lots"].as_array()[0], "R-1");
  EXPECT_EQ(state("lot", "R-1")["onHand"].to_number<double>(), 400);

  // 600 completes it; up to 50 more is within the 5 % tolerance.
  ok("lot.receive", receipt_json("R-2", "620.5"));
  r = state("receipt", "4500012345/10");
  EXPECT_EQ(r["status"], "received");
  EXPECT_EQ(num(r["received"]), 1020.5);
  EXPECT_EQ(r["lots"].as_array().size(), 2u);
  // The receipt's history lists the lots' receipts.
  auto history = show("receipt", "4500012345/10")["history"].as_array();
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(history[0].at("type"), "receipt.expected");
  EXPECT_EQ(history[2].at("type"), "lot.received");
  // The lot's own record names the receipt.
  auto lot_history = show("lot", "R-2")["history"].as_array();
  EXPECT_EQ(lot_history[0].at("payload").at("receipt"), "4500012345/10");

  // Past its date, a received line raises nothing.
  const auto head = ledger_->head().seq;
  clock_.set(kStart + 48 * kHourNs);
  ok("note.add", R"({"subject":"shift","text":"tick"})");
  EXPECT_EQ(ledger_->head().seq, head + 1);
}

TEST_F(ReceiptsTest, ReceiptsThatDoNotMatchAreRefusedAndWriteNothing) {
  master_data();
  ok("party.define", R"({"party":"other-farm","name":"Other Farm","role":"supplier"})");
  expect_line("ASN-77", R"(,"kind":"asn","supplierLot":"GF-9")");
  expect_rejected("lot.receive", receipt_json("R-1", "10", "ASN-78", "romaine", "farm", "GF-9"),
                  ErrorCode::kNotFound, "data.receipt");
  expect_rejected("lot.receive", receipt_json("R-1", "10", "ASN-77", "iceberg", "farm", "GF-9"),
                  ErrorCode::kReceiptMismatch, "data.material");
  expect_rejected("lot.receive",
                  receipt_json("R-1", "10", "ASN-77", "romaine", "other-farm", "GF-9"),
                  ErrorCode::kReceiptMismatch, "data.supplier");
  expect_rejected("lot.receive", receipt_json("R-1", "10", "ASN-77", "romaine", "farm", "GF-1"),
                  ErrorCode::kReceiptMismatch, "data.supplierLot");
  // 1050 kg is the most: 1050.001 is over.
  expect_rejected("lot.receive",
                  receipt_json("R-1", "1050.001", "ASN-77", "romaine", "farm", "GF-9"),
                  ErrorCode::kOverReceipt, "data.qty");
  ok("lot.receive", receipt_json("R-1", "1000", "ASN-77", "romaine", "farm", "GF-9"));
  expect_rejected("lot.receive", receipt_json("R-2", "50.5", "ASN-77", "romaine", "farm", "GF-9"),
                  ErrorCode::kOverReceipt, "data.qty");
  ok("lot.receive", receipt_json("R-2", "50", "ASN-77", "romaine", "farm", "GF-9"));
  EXPECT_EQ(num(state("receipt", "ASN-77")["received"]), 1050);
}

TEST_F(ReceiptsTest, ExpectRules) {
  master_data();
  const std::string tail = R"(,"qty":10,"uom":"kg","expected":"2026-11-22T08:00:00Z"})";
  expect_rejected("receipt.expect",
                  R"({"receipt":"P-1","supplier":"nobody","material":"romaine")" + tail,
                  ErrorCode::kNotFound, "data.supplier");
  expect_rejected("receipt.expect",
                  R"({"receipt":"P-1","supplier":"dc","material":"romaine")" + tail,
                  ErrorCode::kInvalidArgument, "data.supplier");
  expect_rejected("receipt.expect",
                  R"({"receipt":"P-1","supplier":"farm","material":"kale")" + tail,
                  ErrorCode::kNotFound, "data.material");
  expect_rejected(
      "receipt.expect",
      R"({"receipt":"P-1","supplier":"farm","material":"romaine","qty":10,"uom":"case","expected":"2026-11-22T08:00:00Z"})",
      ErrorCode::kInvalidArgument, "data.uom");
  expect_rejected(
      "receipt.expect",
      R"({"receipt":"P-1","supplier":"farm","material":"romaine","qty":0,"uom":"kg","expected":"2026-11-22T08:00:00Z"})",
      ErrorCode::kInvalidArgument, "data.qty");
  expect_rejected(
      "receipt.expect",
      R"({"receipt":"P-1","supplier":"farm","material":"romaine","qty":10,"uom":"kg","expected":"2026-11-22T08:00:00Z","tolerance":101})",
      ErrorCode::kInvalidArgument, "data.tolerance");
  expect_rejected("receipt.expect",
                  R"({"receipt":"P-1","supplier":"farm","material":"romaine","qty":10,"uom":"kg"})",
                  ErrorCode::kInvalidArgument, "data.expected");
  expect_rejected("receipt.expect",
                  R"({"receipt":")" + std::string(97, 'x') +
                      R"(","supplier":"farm","material":"romaine")" + tail,
                  ErrorCode::kInvalidArgument, "data.receipt");
  ok("receipt.expect", R"({"receipt":"P-1","supplier":"farm","material":"romaine")" + tail);
  expect_rejected("receipt.expect",
                  R"({"receipt":"P-1","supplier":"farm","material":"romaine")" + tail,
                  ErrorCode::kAlreadyExists, "data.receipt");
  // Nobody but custody writes receipt.late.
  expect_rejected("receipt.late", R"({"receipt":"P-1"})", ErrorCode::kPermissionDenied, "actor");
}

TEST_F(ReceiptsTest, ALineNotReceivedByItsDateRaisesOneException) {
  master_data();
  expect_line();
  ok("receipt.expect",
     R"({"receipt":"P-2","supplier":"farm","material":"romaine","qty":10,"uom":"kg","expected":"2026-11-22T08:00:00Z"})");
  ok("receipt.expect",
     R"({"receipt":"P-3","supplier":"farm","material":"romaine","qty":10,"uom":"kg","expected":"2026-11-25T08:00:00Z"})");
  ok("lot.receive", receipt_json("R-1", "400"));
  ok("receipt.cancel", R"({"receipt":"P-2","reason":"supplier cannot deliver; reordered as P-3"})");
  EXPECT_EQ(state("receipt", "P-2")["status"], "cancelled");

  // 2026-11-22T09:00Z: the PO line is an hour late; P-2 was cancelled, P-3 is not due yet.
  clock_.set(kStart + 25 * kHourNs);
  ok("note.add", R"({"subject":"shift","text":"tick"})");
  auto r = state("receipt", "4500012345/10");
  EXPECT_EQ(r["late"], true);
  EXPECT_EQ(r["status"], "open");
  EXPECT_EQ(state("receipt", "P-2")["late"], false);
  EXPECT_EQ(state("receipt", "P-3")["late"], false);
  auto e = state("exception", "auto:system:receipt-late:4500012345/10");
  EXPECT_EQ(e["category"], "material");
  EXPECT_EQ(e["status"], "open");
  EXPECT_EQ(e["automatic"], true);
  ASSERT_EQ(e["lots"].as_array().size(), 1u);
  EXPECT_EQ(e["lots"].as_array()[0], "R-1");
  const std::string description(e["description"].as_string());
  EXPECT_NE(description.find("400 kg received in 1 lot"), std::string::npos) << description;
  EXPECT_NE(description.find("PO 4500012345"), std::string::npos) << description;
  auto history = show("receipt", "4500012345/10")["history"].as_array();
  EXPECT_EQ(history.back().at("type"), "receipt.late");
  EXPECT_EQ(history.back().at("actor"), "system");

  // Once: later ticks add nothing; the rest may still be received against it.
  const auto head = ledger_->head().seq;
  clock_.advance(2 * kHourNs);
  ok("note.add", R"({"subject":"shift","text":"tick"})");
  EXPECT_EQ(ledger_->head().seq, head + 1);
  ok("lot.receive", receipt_json("R-2", "600"));
  EXPECT_EQ(state("receipt", "4500012345/10")["status"], "received");

  // A cancelled line takes nothing more.
  expect_rejected("lot.receive", receipt_json("R-3", "1", "P-2"), ErrorCode::kInvalidState,
                  "data.receipt");
  expect_rejected("receipt.cancel", R"({"receipt":"P-2","reason":"again"})",
                  ErrorCode::kInvalidState, "data.receipt");
  expect_rejected("receipt.cancel", R"({"receipt":"P-9","reason":"x"})", ErrorCode::kNotFound,
                  "data.receipt");
}

TEST_F(ReceiptsTest, CorrectingAReceiptMovesTheLineAndKeepsItsLimit) {
  master_data();
  expect_line();
  ok("lot.receive", receipt_json("R-1", "1000"));
  EXPECT_EQ(state("receipt", "4500012345/10")["status"], "received");
  const auto seq = ledger_->head().seq;
  const std::string fix = R"({"seq":)" + std::to_string(seq) + R"(,"reason":"miscounted","data":)";
  ok("record.correct", fix + R"({"qty":900}})", "user:qa");
  auto r = state("receipt", "4500012345/10");
  EXPECT_EQ(num(r["received"]), 900);
  EXPECT_EQ(r["status"], "open");
  expect_rejected("record.correct", fix + R"({"qty":1100}})", ErrorCode::kOverReceipt,
                  "data.data.qty");
  // Open again, it becomes late like any other.
  clock_.set(kStart + 25 * kHourNs);
  ok("note.add", R"({"subject":"shift","text":"tick"})");
  EXPECT_EQ(state("receipt", "4500012345/10")["late"], true);
}

TEST_F(ReceiptsTest, AReplayRebuildsTheSameReceipts) {
  master_data();
  expect_line();
  ok("lot.receive", receipt_json("R-1", "400"));
  clock_.set(kStart + 25 * kHourNs);
  ok("note.add", R"({"subject":"shift","text":"tick"})");
  expect_rebuild_gives_the_same_state();
  EXPECT_EQ(state("receipt", "4500012345/10")["late"], true);
}

}  // namespace
}  // namespace custody::testing
