// The reports plugin through the real host: a batch record that tells the whole story of an
// order, corrections flagged where they happened, and the piecework pay CSV against the KPIs.
#include <fstream>
#include <sstream>

#include "plugin/host_fixture.h"

namespace custody::testing {
namespace {

class Reports : public HostTest {
 protected:
  void start_reports() {
    start_host({plugin("reports", CUSTODY_PLUGIN_CUSTODY_REPORTS, {"read"})});
  }

  // An order run from release to close: two lots of romaine washed and packed, a chlorine
  // excursion during the wash, an inspection, two corrections and a QA release.
  void run_an_order() {
    master_data();
    receive("R-1", 150);
    receive("R-2", 150);
    ok("wo.create",
       R"({"wo":"WO-1","material":"salad","qty":100,"routing":"salad-r","due":"2026-11-22T00:00:00Z"})");
    ok("wo.release", R"({"wo":"WO-1"})", "user:planner");
    ok("op.start", R"({"wo":"WO-1","step":"wash","equipment":"washer-1"})", "user:maria");
    consumed_ =
        run("lot.consume", R"({"wo":"WO-1","step":"wash","lot":"R-1","qty":120})", "user:maria")
            ->seq;
    ok("reading.record", R"({"equipment":"washer-1","param":"chlorine","value":120,"unit":"ppm"})");
    ok("reading.record", R"({"equipment":"washer-1","param":"chlorine","value":260,"unit":"ppm"})");
    reported_ =
        run("op.report", R"({"wo":"WO-1","step":"wash","good":195,"scrap":5})", "user:maria")->seq;
    ok("op.complete", R"({"wo":"WO-1","step":"wash"})", "user:maria");
    ok("op.verify", R"({"wo":"WO-1","step":"wash","note":"chlorine log checked"})", "user:lead");
    ok("op.start", R"({"wo":"WO-1","step":"pack","equipment":"packer-1"})", "user:jose");
    ok("lot.produce", R"({"wo":"WO-1","step":"pack","lot":"F-1","qty":100})", "user:jose");
    ok("inspection.record",
       R"({"wo":"WO-1","step":"pack","characteristic":"seal <strength>","value":4.2,"min":3,"max":6,"unit":"N"})",
       "user:qa-ann");
    ok("op.report", R"({"wo":"WO-1","step":"pack","good":100,"scrap":2})", "user:jose");
    ok("op.complete", R"({"wo":"WO-1","step":"pack"})", "user:jose");
    ok("inspection.record",
       R"({"lot":"F-1","characteristic":"temperature","value":3.5,"min":0,"max":5,"unit":"C"})",
       "user:qa-ann");
    // The QA release with an electronic signature, as the server submits it once Ann has
    // confirmed with her password.
    ok("user.add", R"({"user":"qa-ann","name":"Ann Li","roles":["qa"]})", "user:admin");
    auto release = domain::decode_command(
        R"({"type":"lot.release","commandId":"rel-F-1","actor":"user:qa-ann","data":{"lot":"F-1"}})");
    ASSERT_TRUE(release);
    release->signature = "released";
    auto released = ledger_->submit(std::move(*release)).get();
    ASSERT_TRUE(released) << released.error().message;
    ok("wo.complete", R"({"wo":"WO-1"})", "user:supervisor");
    // Found at review: the wash reported 190 good, and 118 kg were consumed.
    ok("record.correct",
       R"({"seq":)" + std::to_string(reported_) +
           R"(,"reason":"miscounted at shift end","data":{"good":190}})",
       "user:supervisor");
    ok("record.correct",
       R"({"seq":)" + std::to_string(consumed_) +
           R"(,"reason":"scale not tared","data":{"qty":118}})",
       "user:supervisor");
  }

  std::uint64_t consumed_ = 0;
  std::uint64_t reported_ = 0;
};

bool has(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST_F(Reports, TheBatchRecordTellsTheWholeStoryOfTheOrder) {
  run_an_order();
  start_reports();
  auto html = host_->render("batch-record", R"({"wo":"WO-1"})");
  ASSERT_TRUE(html) << html.error().message;
  const std::string& h = *html;
  EXPECT_TRUE(h.starts_with("<!DOCTYPE html>"));
  // Header and steps.
  EXPECT_TRUE(has(h, "work order WO-1"));
  EXPECT_TRUE(has(h, "salad — Chopped salad"));
  EXPECT_TRUE(has(h, "<td>completed</td>"));
  for (const char* s : {"Steps", "Materials consumed", "Lots produced", "Process readings",
                        "Inspections and QA disposition", "Exceptions", "Corrections",
                        "Signatures and audit trail"}) {
    EXPECT_TRUE(has(h, std::string("<h2>") + s + "</h2>")) << s;
  }
  // Operators, equipment, lots and quantities.
  EXPECT_TRUE(has(h, "user:maria")) << "operator of the wash";
  EXPECT_TRUE(has(h, "user:jose"));
  EXPECT_TRUE(has(h, "washer-1"));
  EXPECT_TRUE(has(h, "<td>R-1</td>"));
  EXPECT_TRUE(has(h, "<td>F-1</td>"));
  EXPECT_TRUE(has(h, "100 case"));
  // Readings while it ran, the excursion marked, and the exception it raised.
  EXPECT_TRUE(has(h, "<span class=\"bad\">260 ppm</span>"));
  EXPECT_TRUE(has(h, "120 ppm"));
  EXPECT_TRUE(has(h, "chlorine 260 ppm outside 50..200"));
  // Inspections of the step and of the lot produced, and its QA release.
  EXPECT_TRUE(has(h, "seal &lt;strength&gt;")) << "text is escaped";
  EXPECT_FALSE(has(h, "seal <strength>"));
  EXPECT_TRUE(has(h, "temperature"));
  EXPECT_TRUE(has(h, "QA released lot F-1"));
  EXPECT_TRUE(has(h, "user:qa-ann"));
  // Corrections: each flagged where the value appears, old struck through, with the reason.
  EXPECT_TRUE(has(h, "190 <span class=\"was\">195</span>"));
  EXPECT_TRUE(has(h, "118 <span class=\"was\">120</span>"));
  EXPECT_TRUE(has(h, "miscounted at shift end"));
  EXPECT_TRUE(has(h, "scale not tared"));
  EXPECT_GE(static_cast<int>(std::count(h.begin(), h.end(), '#')), 10);
  std::size_t flags = 0;
  for (auto at = h.find("changed after original entry"); at != std::string::npos;
       at = h.find("changed after original entry", at + 1)) {
    ++flags;
  }
  EXPECT_GE(flags, 4u) << "both corrected records, in their tables and in the signatures";
  // Signatures: who, what it meant; and the ledger head it reflects.
  EXPECT_TRUE(has(h, "Released for production"));
  EXPECT_TRUE(has(h, "Started step wash on washer-1"));
  EXPECT_TRUE(has(h, "user:supervisor"));
  // The release's electronic signature: printed name, meaning, time with its zone; records
  // nobody signed say so.
  EXPECT_TRUE(has(h, "<td><strong>Ann Li</strong> (qa-ann)<br>released<br>2026-11-"))
      << "the signature's manifestation";
  EXPECT_TRUE(has(h, " UTC</td>"));
  EXPECT_TRUE(has(h, "<td>&mdash;</td>"));
  // The second person who verified the wash.
  EXPECT_TRUE(has(h, "<th>Verified by</th>"));
  EXPECT_TRUE(has(h, "<td>user:lead<br>2026-11-"));
  EXPECT_TRUE(has(h, "through record #" + std::to_string(ledger_->head().seq)));
  // Yield against theory: now from the corrected 118 kg (59 cases), and as judged at
  // completion from the 120 kg entered then.
  EXPECT_TRUE(has(h, "<h2>Yield against theory</h2>"));
  EXPECT_TRUE(has(h,
                  "<td><strong>Order</strong> (produced into lots)</td><td>components</td>"
                  "<td>59</td><td>100</td>"));
  EXPECT_TRUE(has(h, "): actual 100 of theoretical 60.</p>"));
  EXPECT_TRUE(has(h, "Completed the order: yield 100 of theoretical 60"));
  EXPECT_TRUE(has(h, "The product has no yield limits."));
}

TEST_F(Reports, TheBatchRecordMarksAYieldOutsideTheProductsLimits) {
  master_data();
  ok("material.define",
     R"({"material":"slaw","name":"Slaw","uom":"case","yieldMin":95,"yieldMax":102})");
  ok("routing.define",
     R"({"routing":"slaw-r","material":"slaw","steps":[{"step":"wash","workCenter":"wash","inputs":[{"material":"romaine","qtyPerUnit":2}]}]})");
  receive("R-1", 300);
  ok("wo.create",
     R"({"wo":"WO-S","material":"slaw","qty":100,"routing":"slaw-r","due":"2026-11-22T00:00:00Z"})");
  ok("wo.release", R"({"wo":"WO-S"})");
  ok("op.start", R"({"wo":"WO-S","step":"wash","equipment":"washer-1"})");
  ok("lot.consume", R"({"wo":"WO-S","step":"wash","lot":"R-1","qty":200})");
  ok("op.report", R"({"wo":"WO-S","step":"wash","good":90,"scrap":10})");
  ok("lot.produce", R"({"wo":"WO-S","step":"wash","lot":"F-S","qty":90})");
  ok("op.complete", R"({"wo":"WO-S","step":"wash"})");
  ok("wo.complete", R"({"wo":"WO-S"})");
  start_reports();
  auto html = host_->render("batch-record", R"({"wo":"WO-S"})");
  ASSERT_TRUE(html) << html.error().message;
  const std::string& h = *html;
  EXPECT_TRUE(has(h, "Limits of the product: 95% to 102% of theoretical."));
  EXPECT_TRUE(has(h,
                  "<td>Step wash</td><td>components</td><td>100</td><td>90</td><td>10</td>"
                  "<td>90%</td>"));
  EXPECT_TRUE(has(h,
                  "<td><strong>Order</strong> (produced into lots)</td><td>components</td>"
                  "<td>100</td><td>90</td><td></td>"
                  "<td><span class=\"bad\">90% (outside the limits)</span></td>"));
  EXPECT_TRUE(has(h, "Yield of work order WO-S is 90.0% of theoretical")) << "the exception";
}

TEST_F(Reports, TheBatchRecordShowsScrapReasonsAndRework) {
  master_data();
  ok("defect.define", R"({"defect":"bruised","name":"Bruised"})");
  ok("defect.define", R"({"defect":"soil","name":"Soil <on> leaves"})");
  ok("routing.define",
     R"({"routing":"rw-r","material":"salad","steps":[{"step":"wash","workCenter":"wash"},)"
     R"({"step":"pack","workCenter":"pack","reworkTo":["wash"]}]})");
  running_order("WO-R", "rw-r");
  auto rep =
      run("op.report", R"({"wo":"WO-R","step":"wash","good":90,"scrap":10,)"
                       R"("defects":[{"defect":"bruised","qty":6},{"defect":"soil","qty":4}]})");
  ASSERT_TRUE(rep);
  ok("op.complete", R"({"wo":"WO-R","step":"wash"})");
  ok("op.start", R"({"wo":"WO-R","step":"pack","equipment":"packer-1"})");
  auto rework = run(
      "op.rework",
      R"({"wo":"WO-R","step":"pack","toStep":"wash","qty":6,"defect":"soil","reason":"<re-wash>"})");
  ASSERT_TRUE(rework);
  ok("record.correct",
     R"({"seq":)" + std::to_string(rework->seq) + R"(,"reason":"miscounted","data":{"qty":5}})",
     "user:qa");
  // QA corrects the breakdown: the record shows the corrected reasons.
  ok("record.correct",
     R"({"seq":)" + std::to_string(rep->seq) +
         R"(,"reason":"recount","data":{"defects":[{"defect":"bruised","qty":10}]}})",
     "user:qa");
  start_reports();
  auto html = host_->render("batch-record", R"({"wo":"WO-R"})");
  ASSERT_TRUE(html) << html.error().message;
  const std::string& h = *html;
  EXPECT_TRUE(has(h, "<th>Scrap reasons</th>"));
  EXPECT_TRUE(has(h, "<td>bruised 10 <span class=\"was\">bruised 6, soil 4</span></td>"))
      << "as corrected, the original beside it";
  EXPECT_TRUE(has(h,
                  "<td>defects</td><td><span class=\"was\">bruised 6, soil 4</span></td>"
                  "<td>bruised 10</td>"))
      << "the correction";
  EXPECT_TRUE(has(h, "<h3>Rework</h3>"));
  EXPECT_TRUE(has(h,
                  "<td>pack</td><td>wash</td><td>5 <span class=\"was\">6</span></td>"
                  "<td>soil</td><td>&lt;re-wash&gt;</td>"));
  EXPECT_TRUE(has(h, "Sent 6 back from step pack to wash for rework"));
}

TEST_F(Reports, TheBatchRecordShowsTheLineClearanceAndTheLabelCount) {
  master_data();
  ok("routing.define",
     R"({"routing":"lc-r","material":"salad","steps":[{"step":"wash","workCenter":"wash"},)"
     R"({"step":"pack","workCenter":"pack","lineClearance":true,"labelling":true}]})");
  running_order("WO-L", "lc-r");
  ok("op.complete", R"({"wo":"WO-L","step":"wash"})");
  // Before the clearance: the record says what is missing.
  start_reports();
  auto before = host_->render("batch-record", R"({"wo":"WO-L"})");
  ASSERT_TRUE(before) << before.error().message;
  EXPECT_TRUE(has(*before, "<h3>Line clearance and labels</h3>"));
  EXPECT_TRUE(has(*before,
                  "<td>pack</td><td><span class=\"flag\">not recorded</span></td>"
                  "<td><span class=\"flag\">not reconciled</span></td>"));

  ok("line.clear",
     R"({"wo":"WO-L","step":"pack","equipment":"packer-1","materialsRemoved":true,)"
     R"("labelsRemoved":true,"note":"<WO-K> cartons removed"})",
     "user:ana");
  ok("line.verify", R"({"wo":"WO-L","step":"pack"})", "user:bo");
  ok("op.start", R"({"wo":"WO-L","step":"pack","equipment":"packer-1"})");
  ok("label.reconcile",
     R"({"wo":"WO-L","step":"pack","issued":120,"used":100,"destroyed":12,"returned":5})",
     "user:ana");
  auto html = host_->render("batch-record", R"({"wo":"WO-L"})");
  ASSERT_TRUE(html) << html.error().message;
  const std::string& h = *html;
  EXPECT_TRUE(has(h, "on packer-1 by user:ana")) << h;
  EXPECT_TRUE(has(h, "&lt;WO-K&gt; cartons removed")) << "the note is escaped";
  EXPECT_FALSE(has(h, "<WO-K>"));
  EXPECT_TRUE(has(h, "verified by user:bo"));
  EXPECT_TRUE(has(h,
                  "120 issued: 100 used, 12 destroyed, 5 returned <span class=\"flag\">"
                  "does not reconcile: 3 unaccounted for</span>"));
  EXPECT_TRUE(has(h, "Cleared the line for step pack on packer-1"));
  EXPECT_TRUE(has(h, "Reconciled the labels of step pack: 120 issued"));
}

TEST_F(Reports, TheBatchRecordShowsTheDeviationsOnItsLotsAndWhoApprovedThem) {
  master_data();
  receive("R-1", 300);
  running_order("WO-1");
  ok("lot.consume", R"({"wo":"WO-1","step":"wash","lot":"R-1","qty":200})");
  start_reports();
  auto before = host_->render("batch-record", R"({"wo":"WO-1"})");
  ASSERT_TRUE(before) << before.error().message;
  EXPECT_TRUE(has(*before, "No deviation names a lot this order consumed or produced."));

  ok("inspection.record",
     R"({"lot":"R-1","characteristic":"core temperature","value":9,"min":0,"max":5,"unit":"C"})");
  const std::string exception = "auto:t-" + std::to_string(n_);
  ok("deviation.open",
     R"({"deviation":"DEV-1","exception":")" + exception +
         R"(","classification":"minor","description":"warm <romaine> used"})",
     "user:quinn");
  auto open = host_->render("batch-record", R"({"wo":"WO-1"})");
  ASSERT_TRUE(open) << open.error().message;
  EXPECT_TRUE(has(*open,
                  "<tr class=\"changed\"><td>DEV-1<br>warm &lt;romaine&gt; used</td>"
                  "<td>minor</td><td>open</td><td>R-1</td>"))
      << *open;
  ok("deviation.assess", R"({"deviation":"DEV-1","impact":"none","rootCause":"probe not settled"})",
     "user:sam");
  ok("deviation.approve", R"({"deviation":"DEV-1","conclusion":"use as is"})", "user:quinn");
  auto html = host_->render("batch-record", R"({"wo":"WO-1"})");
  ASSERT_TRUE(html) << html.error().message;
  EXPECT_TRUE(has(*html,
                  "<td>minor</td><td>approved</td><td>R-1</td><td>none</td>"
                  "<td>probe not settled</td><td>use as is</td><td>user:quinn<br>"))
      << *html;
}

TEST_F(Reports, ALateEntryIsFlaggedWithItsReason) {
  run_an_order();
  // The close was signed on paper two days ago and typed in now: a late entry.
  auto close = domain::decode_command(
      R"({"type":"wo.close","commandId":"close-late","actor":"user:supervisor",)"
      R"("occurredAt":"2026-11-19T08:00:00Z","lateReason":"closed on paper <at review>",)"
      R"("data":{"wo":"WO-1"}})");
  ASSERT_TRUE(close) << close.error().message;
  auto closed = ledger_->submit(std::move(*close)).get();
  ASSERT_TRUE(closed) << closed.error().message;
  start_reports();
  auto html = host_->render("batch-record", R"({"wo":"WO-1"})");
  ASSERT_TRUE(html) << html.error().message;
  EXPECT_TRUE(has(*html,
                  "late entry (48 h after the fact, dated before the last record of its stream): "
                  "closed on paper &lt;at review&gt;"))
      << *html;
  EXPECT_FALSE(has(*html, "<at review>")) << "the reason is escaped";
  EXPECT_FALSE(has(*html, "record.entered_late")) << "shown on the record, not as a row";
}

TEST_F(Reports, TheBatchRecordShowsWhoseTrainingQualifiedEachCriticalStep) {
  critical_routing();
  // Maria is qualified for the step, the lead for the whole work center; Maria's grant revoked
  // an hour later makes no difference to the step she ran while it held.
  ok("qualification.grant",
     R"({"user":"user:maria","routing":"rte-r","step":"wash","until":"2027-01-01T00:00:00Z",)"
     R"("trainer":"user:elena","procedure":"SOP-WASH-01 <rev 3>"})",
     "user:rosa");
  const auto grant = ledger_->head().seq;
  ok("qualification.grant",
     R"({"user":"user:lead","workCenter":"wash","until":"2027-01-01T00:00:00Z",)"
     R"("trainer":"user:elena","procedure":"SOP-VERIFY-02"})",
     "user:rosa");
  ok("op.start", R"({"wo":"WO-C","step":"wash","equipment":"washer-1"})", "user:maria");
  // Jose, trained half an hour after the start, takes over at the shift change and reports:
  // he is judged at his report, not at Maria's start.
  clock_.advance(1800LL * 1'000'000'000LL);
  ok("qualification.grant",
     R"({"user":"user:jose","workCenter":"wash","until":"2027-01-01T00:00:00Z",)"
     R"("trainer":"user:elena","procedure":"SOP-WASH-01 rev 3"})",
     "user:rosa");
  ok("op.report", R"({"wo":"WO-C","step":"wash","good":9,"scrap":1})", "user:jose");
  ok("op.complete", R"({"wo":"WO-C","step":"wash"})", "user:maria");
  ok("op.verify", R"({"wo":"WO-C","step":"wash"})", "user:lead");
  clock_.advance(3600LL * 1'000'000'000LL);
  ok("qualification.revoke",
     R"({"user":"user:maria","routing":"rte-r","step":"wash","reason":"procedure replaced"})",
     "user:rosa");
  start_reports();
  auto html = host_->render("batch-record", R"({"wo":"WO-C"})");
  ASSERT_TRUE(html) << html.error().message;
  const std::string& h = *html;
  EXPECT_TRUE(has(h, "<h2>Qualification of the people on critical steps</h2>")) << h;
  EXPECT_TRUE(has(h, "wash<br>critical")) << h;
  EXPECT_TRUE(has(h,
                  "<td>wash</td><td>user:maria</td><td>performed</td><td>step wash</td>"
                  "<td>user:elena</td><td>SOP-WASH-01 &lt;rev 3&gt;</td>"))
      << h;
  EXPECT_TRUE(has(h, "<td>#" + std::to_string(grant) + "</td>")) << h;
  EXPECT_TRUE(has(h, "<td>user:lead</td><td>verified</td><td>work center wash</td>")) << h;
  EXPECT_TRUE(has(h, "<td>user:jose</td><td>performed</td><td>work center wash</td>")) << h;
  EXPECT_FALSE(has(h, "no qualification in force")) << h;
  EXPECT_FALSE(has(h, "<rev 3>")) << "the procedure is escaped";
}

TEST_F(Reports, TheBatchRecordShowsEachStepsEquipmentCleaningAndCalibration) {
  master_data();
  ok("equipment.define",
     R"({"equipment":"washer-2","name":"Washer 2","workCenter":"wash","cleanOnChange":"material",)"
     R"("requiresCalibration":true})");
  ok("equipment.calibrate",
     R"({"equipment":"washer-2","until":"2026-11-21T09:00:00Z","certificate":"CAL-<77>"})",
     "user:victor");
  ok("equipment.clean", R"({"equipment":"washer-2","procedure":"SSOP-3 <wet clean>"})",
     "user:luis");
  const auto cleaned = ledger_->head().seq;
  ok("wo.create",
     R"({"wo":"WO-1","material":"salad","qty":100,"routing":"salad-r","due":"2026-11-22T00:00:00Z"})");
  ok("wo.release", R"({"wo":"WO-1"})");
  ok("op.start", R"({"wo":"WO-1","step":"wash","equipment":"washer-2"})", "user:maria");
  // The probe's calibration lapses while the step runs: its reading is kept, and flagged.
  clock_.advance(2 * 3600LL * 1'000'000'000LL);
  ok("reading.record", R"({"equipment":"washer-2","param":"chlorine","value":120,"unit":"ppm"})",
     "device:cl-2");
  ok("op.complete", R"({"wo":"WO-1","step":"wash"})", "user:maria");
  start_reports();
  auto html = host_->render("batch-record", R"({"wo":"WO-1"})");
  ASSERT_TRUE(html) << html.error().message;
  const std::string& h = *html;
  EXPECT_TRUE(has(h, "<h2>Equipment: cleaning and calibration at the start of each step</h2>"))
      << h;
  EXPECT_TRUE(has(h, "<td>wash</td><td>washer-2</td>")) << h;
  EXPECT_TRUE(
      has(h, " by user:luis<br>SSOP-3 &lt;wet clean&gt; (#" + std::to_string(cleaned) + ")"))
      << h;
  EXPECT_TRUE(has(h, "<br>certificate CAL-&lt;77&gt; (#")) << h;
  EXPECT_FALSE(has(h, "<span class=\"flag\">lapsed")) << "in force when the step started";
  EXPECT_TRUE(has(h, "instrument out of calibration")) << h;
  EXPECT_FALSE(has(h, "<wet clean>")) << "the procedure is escaped";
}

TEST_F(Reports, TheBatchRecordShowsTheSitesLocalTimeWithItsZone) {
  // The plant is in Paris: config.json names its zone (read when the host starts).
  {
    const auto path = dir_ / "config.json";
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    auto config = boost::json::parse(text.str()).as_object();
    config["site"] = {{"name", "Plant 7"}, {"timeZone", "Europe/Paris"}};
    std::ofstream(path, std::ios::trunc) << boost::json::serialize(config);
  }
  master_data();
  ok("wo.create",
     R"({"wo":"WO-1","material":"salad","qty":100,"routing":"salad-r","due":"2027-07-01T10:00:00Z"})");
  // Released from a terminal whose clock reads India's time: kept, and said.
  auto release =
      domain::decode_command(R"({"type":"wo.release","commandId":"rel-1","actor":"user:planner",)"
                             R"("occurredAt":"2026-11-21T13:30:00+05:30","data":{"wo":"WO-1"}})");
  ASSERT_TRUE(release) << release.error().message;
  ASSERT_TRUE(ledger_->submit(std::move(*release)).get());
  start_reports();
  auto html = host_->render("batch-record", R"({"wo":"WO-1"})");
  ASSERT_TRUE(html) << html.error().message;
  EXPECT_TRUE(has(*html, "site time, Europe/Paris"));
  EXPECT_TRUE(has(*html, "2027-07-01 12:00:00 CEST (UTC+02:00)")) << "summer time, when due";
  EXPECT_TRUE(has(*html, "2026-11-21 09:00:00 CET (UTC+01:00)")) << "winter time, created";
  EXPECT_TRUE(has(*html,
                  "<td>user:planner</td><td>2026-11-21 09:00:00 CET (UTC+01:00) "
                  "(entered at UTC+05:30)</td>"))
      << *html;
  EXPECT_FALSE(has(*html, " UTC</td>")) << "no time is left in UTC";
}

TEST_F(Reports, AnOrderWithoutCorrectionsSaysSo) {
  master_data();
  receive("R-1", 150);
  running_order();
  start_reports();
  auto html = host_->render("batch-record", R"({"wo":"WO-1"})");
  ASSERT_TRUE(html) << html.error().message;
  EXPECT_TRUE(has(*html, "No record of this batch was changed after it was entered."));
  EXPECT_FALSE(has(*html, "changed after original entry ("));
}

TEST_F(Reports, BadRequestsGetClearErrorsAndWriteNothing) {
  master_data();
  start_reports();
  const auto head = ledger_->head().seq;
  auto missing = host_->render("batch-record", R"({"wo":"WO-404"})");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(missing.error().field, "wo");
  EXPECT_TRUE(has(missing.error().message, "WO-404"));
  auto no_wo = host_->render("batch-record", R"({})");
  ASSERT_FALSE(no_wo);
  EXPECT_EQ(no_wo.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(no_wo.error().field, "wo");
  auto no_from = host_->render("piecework", R"({"to":"2026-12-01T00:00:00Z"})");
  ASSERT_FALSE(no_from);
  EXPECT_EQ(no_from.error().field, "from");
  auto bad_time = host_->render("piecework", R"({"from":"yesterday","to":"2026-12-01T00:00:00Z"})");
  ASSERT_FALSE(bad_time);
  EXPECT_EQ(bad_time.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad_time.error().field, "from");
  auto unknown = host_->render("sales-forecast", "{}");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(unknown.error().field, "report");
  EXPECT_EQ(ledger_->head().seq, head);
}

TEST_F(Reports, PieceworkPaysEachOperatorAndReconcilesWithTheKpis) {
  run_an_order();
  ok("piece_rate.define",
     R"({"material":"salad","step":"wash","effective":"2026-11-21T08:00:00Z","rate":0.05,)"
     R"("currency":"EUR"})");
  ok("piece_rate.define",
     R"({"material":"salad","step":"pack","effective":"2026-11-21T08:00:00Z","rate":0.12,)"
     R"("currency":"EUR","scrap":"deducted"})");
  start_reports();
  auto csv =
      host_->render("piecework", R"({"from":"2026-11-21T00:00:00Z","to":"2026-11-22T00:00:00Z"})");
  ASSERT_TRUE(csv) << csv.error().message;
  std::istringstream in(*csv);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line,
            "record,key,material,step,effective,rate,scrap_pay,good,scrap,paid_qty,amount,currency,"
            "yield_pct,value");
  std::map<std::string, std::string> rows;
  while (std::getline(in, line)) rows[line.substr(0, line.find(',', line.find(',') + 1))] = line;
  // Maria reported the wash (corrected to 190 good, 5 scrap; scrap unpaid); Jose the pack
  // (100 good, 2 scrap deducted).
  EXPECT_EQ(rows["line,user:maria"],
            "line,user:maria,salad,wash,2026-11-21T08:00:00Z,0.05,unpaid,190,5,190,9.50,EUR,,");
  EXPECT_EQ(rows["operator,user:maria"], "operator,user:maria,,,,,,190,5,,9.50,EUR,97.44,");
  EXPECT_EQ(rows["line,user:jose"],
            "line,user:jose,salad,pack,2026-11-21T08:00:00Z,0.12,deducted,100,2,98,11.76,EUR,,");
  EXPECT_EQ(rows["operator,user:jose"], "operator,user:jose,,,,,,100,2,,11.76,EUR,98.04,");
  EXPECT_EQ(rows["total,"], "total,,,,,,,290,7,,21.26,EUR,97.64,");
  EXPECT_EQ(rows["kpi,work_orders_completed"], "kpi,work_orders_completed,,,,,,,,,,,,1");
  EXPECT_EQ(rows["kpi,good"], "kpi,good,,,,,,,,,,,,290");
  EXPECT_EQ(rows["kpi,scrap"], "kpi,scrap,,,,,,,,,,,,7");
  EXPECT_EQ(rows["check,reconciled"], "check,reconciled,,,,,,,,,,,,true");
}

TEST_F(Reports, CustodyReportWritesTheFileFromTheCli) {
  run_an_order();
  ledger_.reset();  // the CLI opens the ledger itself
  auto added = run_custody(
      {"plugins", "add", dir_.string(), CUSTODY_PLUGIN_CUSTODY_REPORTS, "--grant", "read"});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  const auto out = tmp_ / "WO-1.html";
  auto r =
      run_custody({"report", dir_.string(), "batch-record", "--wo", "WO-1", "--out", out.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.out, R"("ok":true)"));
  std::ifstream f(out);
  std::stringstream body;
  body << f.rdbuf();
  EXPECT_TRUE(has(body.str(), "work order WO-1"));

  auto missing = run_custody({"report", dir_.string(), "batch-record", "--wo", "WO-9"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_TRUE(has(missing.err, "not_found")) << missing.err;
  auto unknown = run_custody({"report", dir_.string(), "forecast"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_TRUE(has(unknown.err, "no configured report plugin makes 'forecast'")) << unknown.err;
}

}  // namespace
}  // namespace custody::testing
