// Equipment status: a step starts only on equipment that is in service, calibrated where it
// must be, and clean for the product (equipment_dirty, out_of_calibration, under_maintenance,
// out_of_service); readings from an instrument whose calibration lapsed are flagged; the
// equipment's logbook lists its cleanings, calibrations, maintenance and uses.
#include <limits>

#include "custody/domain/views.h"
#include "domain/plant_fixture.h"

namespace custody::testing {
namespace {

constexpr TimeNs kHourNs = 3600LL * 1'000'000'000LL;

class EquipmentStatusTest : public PlantTest {
 protected:
  // master_data() plus two more finished products, one with tree nuts, one-step routings
  // for each in work center "mix", and `mixer` defined with `rules` (JSON members).
  void mixing(const std::string& rules) {
    master_data();
    ok("material.define",
       R"({"material":"nut-salad","name":"Salad with walnuts","uom":"case","kind":"finished","allergenClass":"tree-nut"})");
    ok("material.define",
       R"({"material":"slaw","name":"Coleslaw","uom":"case","kind":"finished"})");
    for (const char* m : {"salad", "nut-salad", "slaw"}) {
      ok("routing.define", R"({"routing":"mix-)" + std::string(m) + R"(","material":")" + m +
                               R"(","steps":[{"step":"mix","workCenter":"mix"}]})");
    }
    ok("equipment.define",
       R"({"equipment":"mixer-1","name":"Mixer 1","workCenter":"mix")" + rules + "}");
  }

  // Creates and releases order `wo` of `material` on its mixing routing.
  void order(const std::string& wo, const std::string& material) {
    ok("wo.create", R"({"wo":")" + wo + R"(","material":")" + material +
                        R"(","qty":10,"routing":"mix-)" + material +
                        R"(","due":"2026-11-30T00:00:00Z"})");
    ok("wo.release", R"({"wo":")" + wo + R"("})");
  }
  static std::string start(const std::string& wo) {
    return R"({"wo":")" + wo + R"(","step":"mix","equipment":"mixer-1"})";
  }
  void run_through(const std::string& wo) {
    ok("op.start", start(wo), "op:ana");
    ok("op.complete", R"({"wo":")" + wo + R"(","step":"mix"})", "op:ana");
  }
  void clean() {
    ok("equipment.clean", R"({"equipment":"mixer-1","procedure":"SSOP-4 rev 2"})", "op:ana");
  }

  boost::json::object logbook(TimeNs from = 0, TimeNs to = std::numeric_limits<TimeNs>::max()) {
    return query([&](const domain::Queries& q, codec::JsonWriter& w) {
      return q.equipment_logbook("mixer-1", from, to, w);
    });
  }
};

TEST_F(EquipmentStatusTest, ADirtyMixerBlocksTheStartAndCleaningUnblocksIt) {
  mixing(R"(,"cleanOnChange":"allergenClass")");
  order("WO-1", "salad");
  order("WO-2", "slaw");
  order("WO-3", "nut-salad");
  order("WO-4", "salad");
  run_through("WO-1");
  // Another product of the same allergen class (none) needs no cleaning.
  run_through("WO-2");
  // Walnuts after coleslaw do.
  expect_rejected("op.start", start("WO-3"), ErrorCode::kEquipmentDirty, "data.equipment",
                  "op:ana");
  auto r = run("op.start", start("WO-3"), "op:ana");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("last ran slaw (no allergen class)"), std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find("nut-salad (allergen class tree-nut)"), std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find("never been cleaned"), std::string::npos) << r.error().message;
  clean();
  run_through("WO-3");
  // And the salad after the walnuts needs the mixer cleaned again.
  expect_rejected("op.start", start("WO-4"), ErrorCode::kEquipmentDirty, "data.equipment",
                  "op:ana");
  clean();
  ok("op.start", start("WO-4"), "op:ana");
  auto e = state("equipment", "mixer-1");
  EXPECT_EQ(e["cleanedBy"], "op:ana");
  EXPECT_EQ(e["cleanProcedure"], "SSOP-4 rev 2");
  EXPECT_EQ(e["lastMaterial"], "salad");
  expect_rebuild_gives_the_same_state();
}

TEST_F(EquipmentStatusTest, AChangeOfMaterialNeedsACleaningWhereTheEquipmentSaysSo) {
  mixing(R"(,"cleanOnChange":"material")");
  order("WO-1", "salad");
  order("WO-2", "salad");
  order("WO-3", "slaw");
  run_through("WO-1");
  run_through("WO-2");  // the same product again: no cleaning
  expect_rejected("op.start", start("WO-3"), ErrorCode::kEquipmentDirty, "data.equipment",
                  "op:ana");
  clean();
  ok("op.start", start("WO-3"), "op:ana");
  // Cleaning while it runs is refused: the step is not over.
  expect_rejected("equipment.clean", R"({"equipment":"mixer-1","procedure":"SSOP-4"})",
                  ErrorCode::kInvalidState, "data.equipment", "op:ana");
}

TEST_F(EquipmentStatusTest, ACleaningIntervalLapses) {
  mixing(R"(,"cleanEveryHours":8)");
  order("WO-1", "salad");
  order("WO-2", "salad");
  // Never cleaned: an interval means it is cleaned before its first use.
  expect_rejected("op.start", start("WO-1"), ErrorCode::kEquipmentDirty, "data.equipment",
                  "op:ana");
  clean();
  clock_.advance(8 * kHourNs);  // exactly the interval: still clean
  run_through("WO-1");
  clock_.advance(1'000'000'000);  // a second more
  auto r = run("op.start", start("WO-2"), "op:ana");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kEquipmentDirty);
  EXPECT_NE(r.error().message.find("must be cleaned every 8 hours; it was last cleaned at "
                                   "2026-11-21T08:00:00Z"),
            std::string::npos)
      << r.error().message;
  clean();
  ok("op.start", start("WO-2"), "op:ana");
}

TEST_F(EquipmentStatusTest, AnInstrumentOutOfCalibrationBlocksTheStartAndFlagsItsReadings) {
  mixing(R"(,"requiresCalibration":true)");
  order("WO-1", "salad");
  order("WO-2", "salad");
  expect_rejected("op.start", start("WO-1"), ErrorCode::kOutOfCalibration, "data.equipment",
                  "op:ana");
  ok("equipment.calibrate",
     R"({"equipment":"mixer-1","until":"2026-11-22T08:00:00Z","certificate":"CAL-0091"})",
     "maint:raj");
  run_through("WO-1");
  ok("reading.record", R"({"equipment":"mixer-1","param":"temperature","value":4.1,"unit":"C"})",
     "plc:mix");
  EXPECT_EQ(show("equipment", "mixer-1")["lastReadings"].as_array()[0].at("outOfCalibration"),
            false);
  clock_.advance(25 * kHourNs);  // past the calibration's date
  ok("reading.record", R"({"equipment":"mixer-1","param":"temperature","value":4.3,"unit":"C"})",
     "plc:mix");
  auto last = show("equipment", "mixer-1")["lastReadings"].as_array()[0].as_object();
  EXPECT_EQ(last["value"], 4.3);
  EXPECT_EQ(last["outOfCalibration"], true);
  auto r = run("op.start", start("WO-2"), "op:ana");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kOutOfCalibration);
  EXPECT_NE(r.error().message.find("calibration lapsed at 2026-11-22T08:00:00Z"), std::string::npos)
      << r.error().message;
  // A calibration must run into the future.
  expect_rejected("equipment.calibrate",
                  R"({"equipment":"mixer-1","until":"2026-11-22T00:00:00Z"})",
                  ErrorCode::kInvalidArgument, "data.until", "maint:raj");
  ok("equipment.calibrate", R"({"equipment":"mixer-1","until":"2027-05-22T00:00:00Z"})",
     "maint:raj");
  ok("op.start", start("WO-2"), "op:ana");
  expect_rebuild_gives_the_same_state();
}

TEST_F(EquipmentStatusTest, MaintenanceAndOutOfServiceEachBlockTheStart) {
  mixing("");
  order("WO-1", "salad");
  ok("equipment.set_status",
     R"({"equipment":"mixer-1","status":"maintenance","reason":"replace the paddle seal"})",
     "maint:raj");
  expect_rejected("op.start", start("WO-1"), ErrorCode::kUnderMaintenance, "data.equipment",
                  "op:ana");
  expect_rejected("equipment.set_status",
                  R"({"equipment":"mixer-1","status":"maintenance","reason":"again"})",
                  ErrorCode::kInvalidState, "data.status", "maint:raj");
  ok("equipment.set_status",
     R"({"equipment":"mixer-1","status":"outOfService","reason":"gearbox cracked"})", "maint:raj");
  auto r = run("op.start", start("WO-1"), "op:ana");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kOutOfService);
  EXPECT_NE(r.error().message.find("(gearbox cracked)"), std::string::npos) << r.error().message;
  ok("equipment.set_status",
     R"({"equipment":"mixer-1","status":"inService","reason":"gearbox replaced"})", "maint:raj");
  ok("op.start", start("WO-1"), "op:ana");
  // Running equipment is not taken out from under the step.
  expect_rejected("equipment.set_status",
                  R"({"equipment":"mixer-1","status":"maintenance","reason":"noise"})",
                  ErrorCode::kInvalidState, "data.equipment", "maint:raj");
}

TEST_F(EquipmentStatusTest, BadEquipmentCommandsGetClearErrorsAndWriteNothing) {
  mixing("");
  expect_rejected("equipment.clean", R"({"equipment":"mixer-9","procedure":"SSOP-4"})",
                  ErrorCode::kNotFound, "data.equipment");
  expect_rejected("equipment.clean", R"({"equipment":"mixer-1"})", ErrorCode::kInvalidArgument,
                  "data.procedure");
  expect_rejected("equipment.calibrate", R"({"equipment":"mixer-1"})", ErrorCode::kInvalidArgument,
                  "data.until");
  expect_rejected("equipment.calibrate",
                  R"({"equipment":"mixer-9","until":"2027-01-01T00:00:00Z"})", ErrorCode::kNotFound,
                  "data.equipment");
  expect_rejected("equipment.set_status", R"({"equipment":"mixer-1","status":"maintenance"})",
                  ErrorCode::kInvalidArgument, "data.reason");
  expect_rejected("equipment.set_status",
                  R"({"equipment":"mixer-1","status":"broken","reason":"x"})",
                  ErrorCode::kInvalidArgument, "data.status");
  expect_rejected("equipment.set_status",
                  R"({"equipment":"mixer-1","status":"inService","reason":"x"})",
                  ErrorCode::kInvalidState, "data.status");
  expect_rejected(
      "equipment.define",
      R"({"equipment":"mixer-2","name":"M2","workCenter":"mix","cleanEveryHours":9000})",
      ErrorCode::kInvalidArgument, "data.cleanEveryHours");
  expect_rejected(
      "equipment.define",
      R"({"equipment":"mixer-2","name":"M2","workCenter":"mix","cleanOnChange":"colour"})",
      ErrorCode::kInvalidArgument, "data.cleanOnChange");
}

TEST_F(EquipmentStatusTest, ALateCleaningBeforeTheLastStartDoesNotCleanWhatThatStartLeft) {
  import_history();  // the late entries below need no reason
  mixing(R"(,"cleanOnChange":"material")");
  order("WO-1", "salad");
  order("WO-2", "slaw");
  clock_.advance(2 * kHourNs);
  run_through("WO-1");  // 10:00
  // A paper record of a cleaning at 09:00, entered now: before the salad ran, so the mixer
  // still has salad on it.
  ok_at("equipment.clean", R"({"equipment":"mixer-1","procedure":"SSOP-4"})",
        "2026-11-21T09:00:00Z", "op:ana");
  expect_rejected("op.start", start("WO-2"), ErrorCode::kEquipmentDirty, "data.equipment",
                  "op:ana");
  expect_rebuild_gives_the_same_state();
}

TEST_F(EquipmentStatusTest, ALateStartBeforeTheLastCleaningDoesNotDirtyTheEquipmentAgain) {
  import_history();
  mixing(R"(,"cleanOnChange":"material")");
  order("WO-1", "salad");
  order("WO-2", "slaw");
  clock_.advance(2 * kHourNs);
  clean();  // 10:00
  // The salad's start at 09:00 is entered late, after the 10:00 cleaning: the salad was
  // cleaned off.
  ok_at("op.start", start("WO-1"), "2026-11-21T09:00:00Z", "op:ana");
  ok("op.complete", R"({"wo":"WO-1","step":"mix"})", "op:ana");
  EXPECT_EQ(state("equipment", "mixer-1")["lastMaterial"], "");
  ok("op.start", start("WO-2"), "op:ana");
  expect_rebuild_gives_the_same_state();
}

TEST_F(EquipmentStatusTest, EquipmentDownMidStepIsStillRunningIt) {
  mixing("");
  order("WO-1", "salad");
  ok("op.start", start("WO-1"), "op:ana");
  ok("exception.raise",
     R"({"exception":"EX-1","category":"equipment","severity":"high","description":"jam","equipment":"mixer-1"})");
  EXPECT_EQ(state("equipment", "mixer-1")["state"], "down");
  expect_rejected("equipment.clean", R"({"equipment":"mixer-1","procedure":"SSOP-4"})",
                  ErrorCode::kInvalidState, "data.equipment", "op:ana");
  expect_rejected("equipment.set_status",
                  R"({"equipment":"mixer-1","status":"maintenance","reason":"jam"})",
                  ErrorCode::kInvalidState, "data.equipment", "maint:raj");
}

TEST_F(EquipmentStatusTest, WithoutRulesOnlyTheDatesAndTheStatusBind) {
  mixing("");
  for (const char* wo : {"WO-1", "WO-2", "WO-3"})
    order(wo, "WO-2" == std::string(wo) ? "nut-salad" : "salad");
  // No cleaning rule: products follow each other as they come.
  run_through("WO-1");
  run_through("WO-2");
  // Calibrated once, the equipment is held to the date even though it does not require it;
  // at the date itself it is still good, a second after it is not.
  ok("equipment.calibrate", R"({"equipment":"mixer-1","until":"2026-11-21T10:00:00Z"})",
     "maint:raj");
  clock_.advance(2 * kHourNs);
  ok("reading.record", R"({"equipment":"mixer-1","param":"temperature","value":4,"unit":"C"})");
  EXPECT_EQ(show("equipment", "mixer-1")["lastReadings"].as_array()[0].at("outOfCalibration"),
            false);
  clock_.advance(1'000'000'000);
  expect_rejected("op.start", start("WO-3"), ErrorCode::kOutOfCalibration, "data.equipment",
                  "op:ana");
  expect_rejected("equipment.set_status",
                  R"({"equipment":"mixer-9","status":"maintenance","reason":"x"})",
                  ErrorCode::kNotFound, "data.equipment", "maint:raj");
}

TEST_F(EquipmentStatusTest, TheLogbookListsCleaningsCalibrationsMaintenanceAndEachUse) {
  mixing(R"(,"cleanOnChange":"material")");
  order("WO-1", "salad");
  order("WO-2", "slaw");
  run_through("WO-1");
  clock_.advance(kHourNs);
  clean();
  ok("equipment.calibrate",
     R"({"equipment":"mixer-1","until":"2027-05-21T00:00:00Z","certificate":"CAL-7"})",
     "maint:raj");
  ok("equipment.set_status", R"({"equipment":"mixer-1","status":"maintenance","reason":"seal"})",
     "maint:raj");
  ok("equipment.set_status", R"({"equipment":"mixer-1","status":"inService","reason":"done"})",
     "maint:raj");
  ok("reading.record", R"({"equipment":"mixer-1","param":"temperature","value":4,"unit":"C"})");
  clock_.advance(kHourNs);
  run_through("WO-2");

  auto book = logbook();
  EXPECT_EQ(book["equipment"], "mixer-1");
  EXPECT_EQ(book["service"], "inService");
  EXPECT_EQ(book["cleanedBy"], "op:ana");
  EXPECT_EQ(book["calibratedUntil"], "2027-05-21T00:00:00Z");
  std::vector<std::string> events;
  for (const auto& e : book["entries"].as_array())
    events.push_back(std::string(e.at("event").as_string()));
  const std::vector<std::string> expected = {"defined", "started",    "completed",
                                             "cleaned", "calibrated", "status",
                                             "status",  "started",    "completed"};
  EXPECT_EQ(events, expected) << boost::json::serialize(book);
  EXPECT_EQ(book["count"].to_number<std::size_t>(), expected.size());
  const auto& entries = book["entries"].as_array();
  EXPECT_EQ(entries[1].at("wo"), "WO-1");
  EXPECT_EQ(entries[1].at("material"), "salad");
  EXPECT_EQ(entries[1].at("actor"), "op:ana");
  EXPECT_EQ(entries[3].at("procedure"), "SSOP-4 rev 2");
  EXPECT_EQ(entries[4].at("certificate"), "CAL-7");
  EXPECT_EQ(entries[5].at("status"), "maintenance");
  EXPECT_EQ(entries[5].at("reason"), "seal");
  EXPECT_EQ(entries[7].at("material"), "slaw");

  // A period: only what happened in it.
  auto later = logbook(kStart + kHourNs / 2, kStart + 90 * kHourNs / 60);
  std::vector<std::string> in_period;
  for (const auto& e : later["entries"].as_array())
    in_period.push_back(std::string(e.at("event").as_string()));
  EXPECT_EQ(in_period, (std::vector<std::string>{"cleaned", "calibrated", "status", "status"}))
      << boost::json::serialize(later);

  // The view the plugin host and the API answer is the same document.
  auto snap = ledger_->snapshot();
  std::string out;
  ASSERT_TRUE(domain::answer_view(*snap, R"({"view":"logbook","equipment":"mixer-1"})", {}, out));
  EXPECT_EQ(boost::json::parse(out).as_object(), book);
  out.clear();
  auto missing = domain::answer_view(*snap, R"({"view":"logbook","equipment":"mixer-9"})", {}, out);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  auto backwards = domain::answer_view(
      *snap, R"({"view":"logbook","equipment":"mixer-1","from":"2026-11-22","to":"2026-11-21"})",
      {}, out);
  ASSERT_FALSE(backwards);
  EXPECT_EQ(backwards.error().field, "to");
}

}  // namespace
}  // namespace custody::testing
