// Dates and shelf life: lots carry a production date, an expiry and a best-before (the
// supplier's, or derived from the material's shelf life); an expired lot is neither consumed
// nor shipped; custody records a lot in stock reaching its expiry and raises one exception;
// consuming a lot while an older one is released is warned of, or refused where the material
// says so (first expired, first out); the expiry board lists what is expired and expiring.
#include "custody/domain/plant.h"
#include "custody/domain/views.h"
#include "domain/plant_fixture.h"

namespace custody::testing {
namespace {

constexpr TimeNs kHourNs = 3600LL * 1'000'000'000LL;
constexpr TimeNs kDayNs = 24 * kHourNs;

class ExpiryTest : public PlantTest {
 protected:
  // master_data() plus spinach with a 10-day shelf life and a 7-day best-before, first
  // expired first out warned of, and kale whose first-expired-first-out is enforced.
  void dated_master_data() {
    master_data();
    ok("material.define", R"({"material":"spinach","name":"Baby spinach","uom":"kg","kind":"raw",)"
                          R"("requiresRelease":true,"shelfLifeDays":10,"bestBeforeDays":7})");
    ok("material.define",
       R"({"material":"kale","name":"Kale","uom":"kg","kind":"raw","shelfLifeDays":10,)"
       R"("requiresRelease":true,"fefo":"enforce"})");
    ok("routing.define",
       R"({"routing":"greens-r","material":"salad","steps":[)"
       R"({"step":"wash","workCenter":"wash","inputs":[{"material":"spinach","qtyPerUnit":1},)"
       R"({"material":"kale","qtyPerUnit":1}]},{"step":"pack","workCenter":"pack"}]})");
    ok("wo.create",
       R"({"wo":"WO-G","material":"salad","qty":100,"routing":"greens-r","due":"2026-11-30T00:00:00Z"})");
    ok("wo.release", R"({"wo":"WO-G"})");
    ok("op.start", R"({"wo":"WO-G","step":"wash","equipment":"washer-1"})");
  }

  // A lot of `material` received with `dates` (JSON members, leading comma).
  std::string dated_receipt(const std::string& lot, const std::string& material,
                            const std::string& dates, const std::string& qty = "100") {
    return R"({"lot":")" + lot + R"(","material":")" + material + R"(","qty":)" + qty +
           R"(,"uom":"kg","supplier":"farm","supplierLot":"GF-)" + lot + R"(")" + dates + "}";
  }

  void consume(const std::string& lot, const std::string& qty = "10") {
    ok("lot.consume", R"({"wo":"WO-G","step":"wash","lot":")" + lot + R"(","qty":)" + qty + "}");
  }
};

TEST_F(ExpiryTest, LotsCarryTheSuppliersDatesOrTheShelfLifes) {
  dated_master_data();
  // Produced yesterday: expires 10 days after, best before 7 days after.
  ok("lot.receive", dated_receipt("S-1", "spinach", R"(,"produced":"2026-11-20T06:00:00Z")"));
  auto lot = state("lot", "S-1");
  EXPECT_EQ(lot["produced"], "2026-11-20T06:00:00Z");
  EXPECT_EQ(lot["expires"], "2026-11-30T06:00:00Z");
  EXPECT_EQ(lot["bestBefore"], "2026-11-27T06:00:00Z");
  // The supplier's own expiry wins over the derived one, and is on the record.
  ok("lot.receive",
     dated_receipt("S-2", "spinach",
                   R"(,"produced":"2026-11-20T06:00:00Z","expires":"2026-11-28T00:00:00Z")"));
  EXPECT_EQ(state("lot", "S-2")["expires"], "2026-11-28T00:00:00Z");
  auto history = show("lot", "S-2")["history"].as_array();
  EXPECT_EQ(history[0].at("payload").at("expires"), "2026-11-28T00:00:00Z");
  EXPECT_EQ(history[0].at("payload").at("bestBefore"), "2026-11-27T06:00:00Z");
  // Only an expiry: no production date is made up.
  ok("lot.receive", dated_receipt("S-3", "spinach", R"(,"expires":"2026-11-29T00:00:00Z")"));
  EXPECT_FALSE(state("lot", "S-3").contains("produced"));
  // A material without a shelf life: no dates, and none needed.
  receive("R-1", 50);
  EXPECT_FALSE(state("lot", "R-1").contains("expires"));

  // Split parts keep the dates; a merge is as old as its oldest part.
  ok("lot.split", R"({"lot":"S-1","into":[{"lot":"S-1a","qty":20}]})");
  EXPECT_EQ(state("lot", "S-1a")["expires"], "2026-11-30T06:00:00Z");
  ok("lot.release", R"({"lot":"S-2"})");
  ok("lot.release", R"({"lot":"S-3"})");
  ok("lot.merge", R"({"lots":["S-1a","S-2","S-3"],"into":"S-M"})");
  lot = state("lot", "S-M");
  EXPECT_EQ(lot["expires"], "2026-11-28T00:00:00Z");
  EXPECT_EQ(lot["produced"], "2026-11-20T06:00:00Z");

  // A lot made of a material with a shelf life expires that long after it was made.
  ok("material.define",
     R"({"material":"kit","name":"Salad kit","uom":"kg","kind":"finished","shelfLifeDays":5,)"
     R"("requiresRelease":true})");
  ok("lot.release", R"({"lot":"S-M"})");
  ok("lot.transform",
     R"({"lot":"K-1","material":"kit","qty":4,"inputs":[{"lot":"S-M","qty":10}]})");
  lot = state("lot", "K-1");
  EXPECT_EQ(lot["createdAt"], "2026-11-21T08:00:00Z");  // custody made it: its production
  EXPECT_EQ(lot["expires"], "2026-11-26T08:00:00Z");
  // Merged with a received lot, the older production date is the supplier's.
  ok("lot.receive", dated_receipt("K-2", "kit", R"(,"produced":"2026-11-19T00:00:00Z")", "2"));
  ok("lot.release", R"({"lot":"K-2"})");
  ok("lot.merge", R"({"lots":["K-1","K-2"],"into":"K-M"})");
  EXPECT_EQ(state("lot", "K-M")["produced"], "2026-11-19T00:00:00Z");

  // Rebuilt from the log, the projections and the indexes are the same.
  expect_rebuild_gives_the_same_state();
}

TEST_F(ExpiryTest, DatesThatCannotBeRightAreRefusedAndWriteNothing) {
  dated_master_data();
  expect_rejected("lot.receive", dated_receipt("S-1", "spinach", ""), ErrorCode::kInvalidArgument,
                  "data.expires");
  expect_rejected("lot.receive",
                  dated_receipt("S-1", "spinach", R"(,"produced":"2026-11-22T00:00:00Z")"),
                  ErrorCode::kInvalidArgument, "data.produced");
  expect_rejected(
      "lot.receive",
      dated_receipt("S-1", "spinach",
                    R"(,"produced":"2026-11-20T00:00:00Z","expires":"2026-11-19T00:00:00Z")"),
      ErrorCode::kInvalidArgument, "data.expires");
  // Expired on arrival: not received into stock.
  expect_rejected("lot.receive",
                  dated_receipt("S-1", "spinach", R"(,"produced":"2026-11-01T00:00:00Z")"),
                  ErrorCode::kLotExpired, "data.expires");
  expect_rejected("lot.receive",
                  dated_receipt("S-1", "romaine", R"(,"expires":"2026-11-21T07:00:00Z")"),
                  ErrorCode::kLotExpired, "data.expires");
  expect_rejected("material.define",
                  R"({"material":"rice","name":"Rice","uom":"kg","shelfLifeDays":40000})",
                  ErrorCode::kInvalidArgument, "data.shelfLifeDays");
  expect_rejected("material.define",
                  R"({"material":"rice","name":"Rice","uom":"kg","bestBeforeDays":40000})",
                  ErrorCode::kInvalidArgument, "data.bestBeforeDays");
  expect_rejected("material.define",
                  R"({"material":"rice","name":"Rice","uom":"kg","fefo":"sometimes"})",
                  ErrorCode::kInvalidArgument, "data.fefo");
}

TEST_F(ExpiryTest, AnExpiredLotIsRecordedOnceAndCanNeitherBeConsumedNorShipped) {
  dated_master_data();
  ok("lot.receive", dated_receipt("S-1", "spinach", R"(,"expires":"2026-11-21T12:00:00Z")"));
  ok("lot.receive", dated_receipt("S-2", "spinach", R"(,"expires":"2026-11-21T12:00:00Z")", "5"));
  ok("lot.release", R"({"lot":"S-1"})");
  consume("S-1");
  // S-2 is used up before it expires: nothing to raise about it.
  ok("lot.release", R"({"lot":"S-2"})");
  consume("S-2", "5");
  // Nobody but custody records an expiry.
  expect_rejected("lot.expire", R"({"lot":"S-1"})", ErrorCode::kPermissionDenied, "actor");

  // 12:00 passes: the next tick records lot.expired and raises one exception.
  clock_.set(kStart + 5 * kHourNs);
  ok("note.add", R"({"subject":"shift","text":"tick"})");
  auto lot = state("lot", "S-1");
  EXPECT_EQ(lot["expired"], true);
  // The lot's history: lot.expired by custody, then the exception that names the lot.
  auto history = show("lot", "S-1")["history"].as_array();
  ASSERT_GE(history.size(), 2u);
  EXPECT_EQ(history[history.size() - 2].at("type"), "lot.expired");
  EXPECT_EQ(history[history.size() - 2].at("actor"), "system");
  EXPECT_EQ(history.back().at("type"), "exception.raised");
  auto e = state("exception", "auto:system:lot-expired:S-1");
  EXPECT_EQ(e["category"], "quality");
  EXPECT_EQ(e["status"], "open");
  ASSERT_EQ(e["lots"].as_array().size(), 1u);
  EXPECT_EQ(e["lots"].as_array()[0], "S-1");
  const std::string description(e["description"].as_string());
  EXPECT_NE(description.find("90 kg on hand"), std::string::npos) << description;
  EXPECT_EQ(state("lot", "S-2")["expired"], false);  // empty: never in stock past its date
  const auto head = ledger_->head().seq;
  clock_.advance(2 * kHourNs);
  ok("note.add", R"({"subject":"shift","text":"tick"})");
  EXPECT_EQ(ledger_->head().seq, head + 1);

  // Neither consumed, moved into a new lot, nor shipped.
  expect_rejected("lot.consume", R"({"wo":"WO-G","step":"wash","lot":"S-1","qty":1})",
                  ErrorCode::kLotExpired, "data.lot");
  expect_rejected("lot.ship", R"({"lot":"S-1","qty":1,"customer":"dc","shipment":"BOL-1"})",
                  ErrorCode::kLotExpired, "data.lot");
  expect_rejected("lot.transform",
                  R"({"lot":"X-1","material":"spinach","qty":1,"inputs":[{"lot":"S-1","qty":1}]})",
                  ErrorCode::kLotExpired, "data.inputs[0].lot");
  expect_rejected("lot.expire", R"({"lot":"S-1"})", ErrorCode::kPermissionDenied, "actor");
  // QA decides what becomes of it.
  ok("lot.reject", R"({"lot":"S-1","reason":"expired in stock"})");
}

TEST_F(ExpiryTest, ConsumingPastAnOlderReleasedLotIsWarnedOfOrRefused) {
  dated_master_data();
  ok("lot.receive", dated_receipt("S-OLD", "spinach", R"(,"expires":"2026-11-25T00:00:00Z")"));
  ok("lot.receive", dated_receipt("S-NEW", "spinach", R"(,"expires":"2026-11-28T00:00:00Z")"));
  ok("lot.release", R"({"lot":"S-NEW"})");
  // The older lot awaits release: nothing is skipped.
  consume("S-NEW");
  auto history = show("lot", "S-NEW")["history"].as_array();
  EXPECT_FALSE(history.back().at("payload").as_object().contains("fefoSkipped"));
  // Released, it should go first: the consumption is accepted and records what it skipped.
  ok("lot.release", R"({"lot":"S-OLD"})");
  consume("S-NEW");
  history = show("lot", "S-NEW")["history"].as_array();
  EXPECT_EQ(history.back().at("payload").at("fefoSkipped"), "S-OLD");
  consume("S-OLD");
  history = show("lot", "S-OLD")["history"].as_array();
  EXPECT_FALSE(history.back().at("payload").as_object().contains("fefoSkipped"));
  // Used up, the old lot no longer counts.
  consume("S-OLD", "90");
  consume("S-NEW");
  history = show("lot", "S-NEW")["history"].as_array();
  EXPECT_FALSE(history.back().at("payload").as_object().contains("fefoSkipped"));

  // Kale enforces it: refused, nothing written, until the older lot is used or held.
  ok("lot.receive", dated_receipt("K-OLD", "kale", R"(,"expires":"2026-11-25T00:00:00Z")"));
  ok("lot.receive", dated_receipt("K-NEW", "kale", R"(,"expires":"2026-11-28T00:00:00Z")"));
  ok("lot.release", R"({"lot":"K-OLD"})");
  ok("lot.release", R"({"lot":"K-NEW"})");
  expect_rejected("lot.consume", R"({"wo":"WO-G","step":"wash","lot":"K-NEW","qty":1})",
                  ErrorCode::kFefoViolation, "data.lot");
  ok("lot.hold", R"({"lot":"K-OLD","reason":"foreign matter"})");
  consume("K-NEW");
  // A correction that puts stock back into an emptied lot makes it count again.
  ok("lot.release", R"({"lot":"K-OLD"})");
  ok("lot.consume", R"({"wo":"WO-G","step":"wash","lot":"K-OLD","qty":100})");
  const auto seq = ledger_->head().seq;
  expect_rejected("lot.consume", R"({"wo":"WO-G","step":"wash","lot":"K-OLD","qty":1})",
                  ErrorCode::kInsufficientQuantity, "data.qty");
  consume("K-NEW");
  ok("record.correct",
     R"({"seq":)" + std::to_string(seq) + R"(,"reason":"weighed again","data":{"qty":95}})",
     "user:qa");
  expect_rejected("lot.consume", R"({"wo":"WO-G","step":"wash","lot":"K-NEW","qty":1})",
                  ErrorCode::kFefoViolation, "data.lot");
}

TEST_F(ExpiryTest, TheExpiryBoardListsWhatIsExpiredAndWhatExpiresSoon) {
  dated_master_data();
  ok("lot.receive", dated_receipt("S-1", "spinach", R"(,"expires":"2026-11-22T00:00:00Z")"));
  ok("lot.receive", dated_receipt("S-2", "spinach", R"(,"expires":"2026-11-30T00:00:00Z")"));
  ok("lot.receive", dated_receipt("S-3", "spinach", R"(,"expires":"2026-12-31T00:00:00Z")"));
  ok("lot.receive", dated_receipt("S-4", "spinach", R"(,"expires":"2026-11-23T00:00:00Z")", "1"));
  ok("lot.release", R"({"lot":"S-4"})");
  consume("S-4", "1");              // empty: not on the board
  clock_.set(kStart + 2 * kDayNs);  // 2026-11-23T08:00Z
  auto board = query([&](const domain::Queries& q, codec::JsonWriter& w) {
    return q.expiry_board(clock_.now(), 14, w);
  });
  EXPECT_EQ(board["board"], "expiry");
  EXPECT_EQ(board["withinDays"].as_int64(), 14);
  EXPECT_EQ(board["expired"].as_int64(), 1);
  EXPECT_EQ(board["expiring"].as_int64(), 1);
  auto lots = board["lots"].as_array();
  ASSERT_EQ(lots.size(), 2u);
  EXPECT_EQ(lots[0].at("lot"), "S-1");
  EXPECT_EQ(lots[0].at("expired"), true);
  EXPECT_EQ(num(lots[0].at("onHand")), 100);
  EXPECT_EQ(lots[1].at("lot"), "S-2");
  EXPECT_EQ(lots[1].at("expired"), false);
  EXPECT_EQ(num(lots[1].at("daysLeft")), 6.7);
}

TEST_F(ExpiryTest, ThePluginViewOfTheBoardTakesAHorizonAndRefusesABadOne) {
  dated_master_data();
  ok("lot.receive", dated_receipt("S-1", "spinach", R"(,"expires":"2026-11-30T00:00:00Z")"));
  auto view = [&](const std::string& request) {
    auto snap = ledger_->snapshot();
    domain::ViewOptions options;
    options.now = clock_.now();
    std::string out;
    auto r = domain::answer_view(*snap, request, options, out);
    return std::pair{r, out};
  };
  auto [ok7, seven] = view(R"({"view":"board","board":"expiry","within":7})");
  ASSERT_TRUE(ok7) << ok7.error().message;
  EXPECT_EQ(boost::json::parse(seven).at("lots").as_array().size(), 0u);
  auto [ok30, thirty] = view(R"({"view":"board","board":"expiry"})");
  ASSERT_TRUE(ok30);
  EXPECT_EQ(boost::json::parse(thirty).at("withinDays"), 30);
  EXPECT_EQ(boost::json::parse(thirty).at("lots").as_array().size(), 1u);
  const auto head = ledger_->head().seq;
  for (const char* bad : {R"({"view":"board","board":"expiry","within":0})",
                          R"({"view":"board","board":"expiry","within":3661})",
                          R"({"view":"board","board":"expiry","within":"soon"})"}) {
    auto [r, out] = view(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << bad;
    EXPECT_EQ(r.error().field, "within") << bad;
  }
  EXPECT_EQ(ledger_->head().seq, head);  // a read writes nothing, refused or not
}

}  // namespace
}  // namespace custody::testing
