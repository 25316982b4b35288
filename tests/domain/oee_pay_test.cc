// OEE and piecework pay: an equipment's time (running, idle, down with a reason, a planned
// stop) and the counts reported on it give availability, performance and quality per shift;
// piece rates effective from an instant turn each operator's good quantity into pay.
#include "custody/domain/views.h"
#include "plant_fixture.h"

namespace custody::testing {
namespace {

constexpr TimeNs kMinute = 60'000'000'000;
constexpr TimeNs kHour = 60 * kMinute;

class OeePayTest : public PlantTest {
 protected:
  // master_data() with the site's early and late shifts and line-1, a washer rated at 120
  // cases an hour.
  void plant() {
    master_data();
    ok("shift.define", R"({"shift":"early","name":"Early","start":"06:00","end":"14:00"})");
    ok("shift.define", R"({"shift":"late","name":"Late","start":"14:00","end":"22:00"})");
    ok("equipment.define",
       R"({"equipment":"line-1","name":"Wash line 1","workCenter":"wash","idealRate":120})");
  }

  boost::json::object oee(const std::string& from, const std::string& to, TimeNs now,
                          const std::string& equipment = "") {
    domain::OeeQuery q{
        .from = *parse_rfc3339(from), .to = *parse_rfc3339(to), .now = now, .equipment = equipment};
    return query([&](auto& queries, auto& w) { return queries.oee(q, TimeZone(), w); });
  }

  boost::json::object pay(const std::string& from, const std::string& to) {
    return query([&](auto& queries, auto& w) {
      return queries.piecework_pay(*parse_rfc3339(from), *parse_rfc3339(to), w);
    });
  }

  static const boost::json::object& reason(const boost::json::object& row, const char* list,
                                           std::size_t i) {
    return row.at(list).as_array().at(i).as_object();
  }

  void rate(const std::string& step, const std::string& effective, double per_unit,
            const std::string& scrap) {
    ok("piece_rate.define", R"({"material":"salad","step":")" + step + R"(","effective":")" +
                                effective + R"(","rate":)" + std::to_string(per_unit) +
                                R"(,"currency":"EUR","scrap":")" + scrap + R"("})");
  }
};

TEST_F(OeePayTest, AnEarlyShiftOnTheWashLineGivesItsAvailabilityPerformanceAndQuality) {
  plant();  // 08:00: line-1 is idle from now on
  ok("wo.create",
     R"({"wo":"WO-1","material":"salad","qty":100,"routing":"salad-r","due":"2026-11-22T00:00:00Z"})");
  ok("wo.release", R"({"wo":"WO-1"})");
  clock_.advance(30 * kMinute);  // 08:30: running
  ok("op.start", R"({"wo":"WO-1","step":"wash","equipment":"line-1"})");
  clock_.advance(kHour);  // 09:30: a jam takes it down
  ok("exception.raise",
     R"({"exception":"EX-J","category":"equipment","severity":"high","description":"belt jam",)"
     R"("equipment":"line-1"})");
  ok("exception.assign", R"({"exception":"EX-J","assignee":"user:max"})");
  ok("exception.acknowledge", R"({"exception":"EX-J"})");
  clock_.advance(30 * kMinute);  // 10:00: fixed, running again
  ok("exception.resolve", R"({"exception":"EX-J","rootCause":"leaf","action":"cleared"})");
  clock_.advance(kHour);  // 11:00: 100 washed, 10 of them trimmed off; idle
  ok("op.report", R"({"wo":"WO-1","step":"wash","good":90,"scrap":10})");
  ok("op.complete", R"({"wo":"WO-1","step":"wash"})");
  clock_.advance(30 * kMinute);  // 11:30: the planned break
  ok("equipment.set_status",
     R"({"equipment":"line-1","status":"plannedStop","reason":"lunch break"})");
  clock_.advance(15 * kMinute);  // 11:45: nothing starts in a planned stop
  ok("wo.create",
     R"({"wo":"WO-2","material":"salad","qty":50,"routing":"salad-r","due":"2026-11-22T00:00:00Z"})");
  ok("wo.release", R"({"wo":"WO-2"})");
  expect_rejected("op.start", R"({"wo":"WO-2","step":"wash","equipment":"line-1"})",
                  ErrorCode::kPlannedStop, "data.equipment");
  clock_.advance(15 * kMinute);  // 12:00: back, idle until the shift ends at 14:00
  ok("equipment.set_status",
     R"({"equipment":"line-1","status":"inService","reason":"break over"})");
  EXPECT_EQ(state("equipment", "line-1").at("oeeState"), "idle");

  const TimeNs end = kStart + 6 * kHour;  // 14:00
  auto r = oee("2026-11-21T08:00:00Z", "2026-11-21T14:00:00Z", end);
  ASSERT_EQ(r.at("equipment").as_array().size(), 1u) << "washer-1 has no ideal rate";
  const auto& line = r.at("equipment").as_array()[0].as_object();
  EXPECT_EQ(line.at("equipment"), "line-1");
  EXPECT_EQ(num(line.at("idealRate")), 120);
  ASSERT_EQ(line.at("shifts").as_array().size(), 1u);
  const auto& early = line.at("shifts").as_array()[0].as_object();
  EXPECT_EQ(early.at("shift"), "early");
  for (const auto* row : {&early, &line}) {
    EXPECT_EQ(num(row->at("runningMinutes")), 120);  // 08:30-09:30, 10:00-11:00
    EXPECT_EQ(num(row->at("idleMinutes")), 180);     // 08:00-08:30, 11:00-11:30, 12:00-14:00
    EXPECT_EQ(num(row->at("downMinutes")), 30);
    EXPECT_EQ(num(row->at("plannedStopMinutes")), 30);
    EXPECT_EQ(num(row->at("plannedProductionMinutes")), 330);
    EXPECT_EQ(reason(*row, "downReasons", 0).at("reason"), "belt jam");
    EXPECT_EQ(num(reason(*row, "downReasons", 0).at("minutes")), 30);
    EXPECT_EQ(reason(*row, "plannedStops", 0).at("reason"), "lunch break");
    EXPECT_EQ(num(row->at("good")), 90);
    EXPECT_EQ(num(row->at("scrap")), 10);
    EXPECT_NEAR(num(row->at("availability")), 120.0 / 330, 1e-4);
    EXPECT_NEAR(num(row->at("performance")), 100.0 / (120 * 2), 1e-4);
    EXPECT_NEAR(num(row->at("quality")), 0.9, 1e-4);
    EXPECT_NEAR(num(row->at("oee")), 120.0 / 330 * 100.0 / 240 * 0.9, 1e-4);
  }

  // Two hours into the late shift: its own row, idle, and the span in force counts up to now.
  auto later = oee("2026-11-21T08:00:00Z", "2026-11-22T00:00:00Z", end + 2 * kHour);
  const auto& shifts = later.at("equipment").as_array()[0].at("shifts").as_array();
  ASSERT_EQ(shifts.size(), 2u);
  EXPECT_EQ(shifts[1].at("shift"), "late");
  EXPECT_EQ(num(shifts[1].at("idleMinutes")), 120);
  EXPECT_EQ(num(shifts[1].at("availability")), 0);
  EXPECT_TRUE(shifts[1].at("performance").is_null()) << "nothing ran";
  expect_rebuild_gives_the_same_state();
  EXPECT_EQ(oee("2026-11-21T08:00:00Z", "2026-11-21T14:00:00Z", end), r);
}

TEST_F(OeePayTest, MaintenanceIsDownTimeAndTimeOutsideTheShiftsIsLeftOutOfTheTotal) {
  plant();
  clock_.advance(kHour);  // 09:00
  ok("equipment.set_status",
     R"({"equipment":"line-1","status":"maintenance","reason":"replace the spray bar"})");
  clock_.advance(13 * kHour);  // 22:00, after the late shift
  ok("equipment.set_status", R"({"equipment":"line-1","status":"inService","reason":"done"})");
  auto r = oee("2026-11-21T08:00:00Z", "2026-11-22T00:00:00Z", kStart + 16 * kHour);
  const auto& total = r.at("equipment").as_array()[0].as_object();
  EXPECT_EQ(num(total.at("idleMinutes")), 60);
  EXPECT_EQ(num(total.at("downMinutes")), 13 * 60) << "09:00-14:00 early, 14:00-22:00 late";
  EXPECT_EQ(reason(total, "downReasons", 0).at("reason"),
            "under maintenance: replace the spray bar");
  EXPECT_EQ(num(total.at("availability")), 0);
  const auto& shifts = total.at("shifts").as_array();
  ASSERT_EQ(shifts.size(), 3u);
  EXPECT_TRUE(shifts[0].at("shift").is_null()) << "22:00-00:00 is in no shift";
  EXPECT_EQ(num(shifts[0].at("idleMinutes")), 120);

  // Equipment without an ideal rate has no OEE; an unknown one is not found.
  domain::OeeQuery q{.from = kStart, .to = kStart + kHour, .now = kStart, .equipment = ""};
  auto snap = ledger_->snapshot();
  domain::Queries queries(*snap);
  std::string out;
  codec::JsonWriter w(out);
  q.equipment = "washer-1";
  auto no_rate = queries.oee(q, TimeZone(), w);
  ASSERT_FALSE(no_rate);
  EXPECT_EQ(no_rate.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(no_rate.error().field, "equipment");
  q.equipment = "line-9";
  auto unknown = queries.oee(q, TimeZone(), w);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
  q.equipment = "";
  q.to = q.from;
  auto empty = queries.oee(q, TimeZone(), w);
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().field, "to");

  // The plugin views: the same answers, and their own refusals.
  std::string answer;
  domain::ViewOptions options;
  options.now = kStart + 16 * kHour;
  auto view = domain::answer_view(
      *snap, R"({"view":"oee","from":"2026-11-21T08:00:00Z","to":"2026-11-22T00:00:00Z"})", options,
      answer);
  ASSERT_TRUE(view) << view.error().message;
  EXPECT_EQ(boost::json::parse(answer).as_object(), r);
  for (const auto& [request, field] : std::vector<std::pair<std::string, std::string>>{
           {R"({"view":"oee","from":"2026-11-21T08:00:00Z"})", "to"},
           {R"({"view":"oee","from":"2026-11-21T08:00:00Z","to":"2026-11-22","by":"x"})", "by"},
           {R"({"view":"pay","from":"2026-11-22T00:00:00Z","to":"2026-11-21T00:00:00Z"})", "to"},
           {R"({"view":"pay","from":"soon","to":"2026-11-21T00:00:00Z"})", "from"}}) {
    auto refused = domain::answer_view(*snap, request, options, answer);
    ASSERT_FALSE(refused) << request;
    EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument) << request;
    EXPECT_EQ(refused.error().field, field) << request;
  }
}

TEST_F(OeePayTest, AnExceptionStillOpenAfterMaintenanceStaysTheDownReason) {
  plant();
  ok("exception.raise",
     R"({"exception":"EX-L","category":"equipment","severity":"high","description":"pump leak",)"
     R"("equipment":"line-1"})");  // 08:00
  clock_.advance(kHour);           // 09:00: a fitter takes it over
  ok("equipment.set_status",
     R"({"equipment":"line-1","status":"maintenance","reason":"new pump seal"})");
  clock_.advance(kHour);  // 10:00: back in service, the leak not yet signed off
  ok("equipment.set_status", R"({"equipment":"line-1","status":"inService","reason":"done"})");
  clock_.advance(30 * kMinute);  // 10:30
  ok("exception.assign", R"({"exception":"EX-L","assignee":"user:max"})");
  ok("exception.acknowledge", R"({"exception":"EX-L"})");
  ok("exception.resolve", R"({"exception":"EX-L","rootCause":"seal","action":"replaced"})");
  auto r = oee("2026-11-21T08:00:00Z", "2026-11-21T12:00:00Z", kStart + 4 * kHour);
  const auto& total = r.at("equipment").as_array()[0].as_object();
  EXPECT_EQ(num(total.at("downMinutes")), 150);
  EXPECT_EQ(num(total.at("idleMinutes")), 90);
  EXPECT_EQ(reason(total, "downReasons", 0).at("reason"), "pump leak");
  EXPECT_EQ(num(reason(total, "downReasons", 0).at("minutes")), 90) << "08:00-09:00, 10:00-10:30";
  EXPECT_EQ(reason(total, "downReasons", 1).at("reason"), "under maintenance: new pump seal");
  expect_rebuild_gives_the_same_state();
}

TEST_F(OeePayTest, OperatorsArePaidTheirGoodCasesAtTheRateInForceWithScrapAsTheRateSays) {
  master_data();
  rate("wash", "2026-11-21T08:00:00Z", 0.05, "unpaid");
  rate("pack", "2026-11-21T08:00:00Z", 0.10, "deducted");
  rate("pack", "2026-11-21T12:00:00Z", 0.12, "deducted");  // a raise from noon
  ok("wo.create",
     R"({"wo":"WO-1","material":"salad","qty":100,"routing":"salad-r","due":"2026-11-22T00:00:00Z"})");
  ok("wo.release", R"({"wo":"WO-1"})");
  ok("op.start", R"({"wo":"WO-1","step":"wash","equipment":"washer-1"})", "user:ana");
  clock_.advance(kHour);  // 09:00
  ok("op.report", R"({"wo":"WO-1","step":"wash","good":90,"scrap":10})", "user:ana");
  ok("op.complete", R"({"wo":"WO-1","step":"wash"})", "user:ana");
  ok("op.start", R"({"wo":"WO-1","step":"pack","equipment":"packer-1"})", "user:ben");
  clock_.advance(kHour);  // 10:00
  ok("op.report", R"({"wo":"WO-1","step":"pack","good":80,"scrap":5})", "user:ben");
  clock_.advance(3 * kHour);  // 13:00, at the new rate
  ok("op.report", R"({"wo":"WO-1","step":"pack","good":5.5,"scrap":0})", "user:ben");
  // Another product with no rate: shown, paid nothing.
  ok("routing.define",
     R"({"routing":"iceberg-r","material":"iceberg","steps":[{"step":"trim","workCenter":"wash"}]})");
  ok("wo.create",
     R"({"wo":"WO-I","material":"iceberg","qty":10,"routing":"iceberg-r","due":"2026-11-22T00:00:00Z"})");
  ok("wo.release", R"({"wo":"WO-I"})");
  ok("op.start", R"({"wo":"WO-I","step":"trim","equipment":"washer-1"})", "user:ana");
  ok("op.report", R"({"wo":"WO-I","step":"trim","good":10,"scrap":1})", "user:ana");

  auto p = pay("2026-11-21T00:00:00Z", "2026-11-22T00:00:00Z");
  EXPECT_EQ(p.at("currency"), "EUR");
  const auto& ops = p.at("operators").as_array();
  ASSERT_EQ(ops.size(), 2u);
  const auto& ana = ops[0].as_object();
  EXPECT_EQ(ana.at("operator"), "user:ana");
  EXPECT_EQ(num(ana.at("amount")), 4.5);  // 90 x 0.05; scrap unpaid
  const auto& ana_lines = ana.at("lines").as_array();
  ASSERT_EQ(ana_lines.size(), 2u);
  EXPECT_EQ(ana_lines[0].at("material"), "iceberg");
  EXPECT_TRUE(ana_lines[0].at("rate").is_null());
  EXPECT_EQ(num(ana_lines[0].at("amount")), 0);
  EXPECT_EQ(ana_lines[1].at("scrapPay"), "unpaid");
  const auto& ben = ops[1].as_object();
  const auto& ben_lines = ben.at("lines").as_array();
  ASSERT_EQ(ben_lines.size(), 2u);
  EXPECT_EQ(ben_lines[0].at("effective"), "2026-11-21T08:00:00Z");
  EXPECT_EQ(num(ben_lines[0].at("paidQty")), 75);  // 80 less the 5 scrapped
  EXPECT_EQ(num(ben_lines[0].at("amount")), 7.5);
  EXPECT_EQ(ben_lines[1].at("effective"), "2026-11-21T12:00:00Z");
  EXPECT_EQ(num(ben_lines[1].at("amount")), 0.66);  // 5.5 x 0.12
  EXPECT_EQ(num(ben.at("amount")), 8.16);
  const auto& total = p.at("total").as_object();
  EXPECT_EQ(num(total.at("amount")), 12.66);
  EXPECT_EQ(num(total.at("unratedGood")), 10);
  // The pay's quantities are the KPIs'.
  auto kpi = query([&](auto& q, auto& w) {
    return q.kpis(*parse_rfc3339("2026-11-21T00:00:00Z"), *parse_rfc3339("2026-11-22T00:00:00Z"),
                  w);
  });
  EXPECT_EQ(num(total.at("good")), num(kpi.at("production").at("good")));
  EXPECT_EQ(num(total.at("scrap")), num(kpi.at("production").at("scrap")));
  // Before noon only the first pack rate applies.
  auto morning = pay("2026-11-21T00:00:00Z", "2026-11-21T12:00:00Z");
  EXPECT_EQ(num(morning.at("total").at("amount")), 12);
  expect_rebuild_gives_the_same_state();
}

TEST_F(OeePayTest, BadRatesAndEquipmentAreRefusedAndWriteNothing) {
  master_data();
  const std::string good =
      R"({"material":"salad","step":"pack","effective":"2026-11-21T08:00:00Z","rate":0.1,)"
      R"("currency":"EUR"})";
  expect_rejected("piece_rate.define",
                  R"({"material":"kale","step":"pack","effective":"2026-11-21T08:00:00Z",)"
                  R"("rate":0.1,"currency":"EUR"})",
                  ErrorCode::kNotFound, "data.material");
  expect_rejected("piece_rate.define",
                  R"({"material":"salad","step":"dry","effective":"2026-11-21T08:00:00Z",)"
                  R"("rate":0.1,"currency":"EUR"})",
                  ErrorCode::kNotFound, "data.step");
  expect_rejected("piece_rate.define",
                  R"({"material":"salad","step":"pack","effective":"2026-11-21T08:00:00Z",)"
                  R"("rate":-0.1,"currency":"EUR"})",
                  ErrorCode::kInvalidArgument, "data.rate");
  expect_rejected("piece_rate.define",
                  R"({"material":"salad","step":"pack","effective":"2026-11-21T08:00:00Z",)"
                  R"("rate":0.1,"currency":"euro"})",
                  ErrorCode::kInvalidArgument, "data.currency");
  expect_rejected("piece_rate.define",
                  R"({"material":"salad","step":"pack","effective":"2026-11-21T07:59:59Z",)"
                  R"("rate":0.1,"currency":"EUR"})",
                  ErrorCode::kInvalidArgument, "data.effective");  // before it is defined
  ok("piece_rate.define", good);
  expect_rejected("piece_rate.define", good, ErrorCode::kAlreadyExists, "data.effective");
  expect_rejected("piece_rate.define",
                  R"({"material":"salad","step":"wash","effective":"2026-11-21T08:00:00Z",)"
                  R"("rate":0.1,"currency":"USD"})",
                  ErrorCode::kInvalidState, "data.currency");
  expect_rejected("equipment.define",
                  R"({"equipment":"line-2","name":"Line 2","workCenter":"wash","idealRate":-5})",
                  ErrorCode::kInvalidArgument, "data.idealRate");
  EXPECT_EQ(state("equipment", "washer-1").at("oeeState"), "idle")
      << "without an ideal rate no OEE time is kept";
}

}  // namespace
}  // namespace custody::testing
