// Training and qualification: a routing marks a step critical; only someone qualified for
// that step, or for its work center, on the day may start it, report it or verify it
// (not_qualified); qualifications are granted by a trainer until a date, replaced by a
// requalification, and revoked; the training board shows where everyone stands.
#include "custody/domain/views.h"
#include "domain/plant_fixture.h"

namespace custody::testing {
namespace {

constexpr TimeNs kHourNs = 3600LL * 1'000'000'000LL;
constexpr TimeNs kDayNs = 24 * kHourNs;

class TrainingTest : public PlantTest {
 protected:
  static std::string grant(const std::string& user, const std::string& scope,
                           const std::string& until = "2027-06-01T00:00:00Z",
                           const std::string& trainer = "trainer:ines") {
    return R"({"user":")" + user + R"(",)" + scope + R"(,"until":")" + until + R"(","trainer":")" +
           trainer + R"(","procedure":"SOP-112 rev 4"})";
  }
  static constexpr const char* kWashStep = R"("routing":"rte-r","step":"wash")";
  static constexpr const char* kWashCenter = R"("workCenter":"wash")";
  static constexpr const char* kStartWash = R"({"wo":"WO-C","step":"wash","equipment":"washer-1"})";
};

TEST_F(TrainingTest, AnUntrainedOperatorCannotRunACriticalStepUntilQualified) {
  critical_routing();
  expect_rejected("op.start", kStartWash, ErrorCode::kNotQualified, "actor", "op:ana");
  // Trained on the step by a trainer: now she may.
  ok("qualification.grant", grant("op:ana", kWashStep), "sup:lee");
  ok("op.start", kStartWash, "op:ana");
  // Reporting needs it too: someone else on the line who is not qualified may not report.
  expect_rejected("op.report", R"({"wo":"WO-C","step":"wash","good":10,"scrap":0})",
                  ErrorCode::kNotQualified, "actor", "op:bo");
  ok("op.report", R"({"wo":"WO-C","step":"wash","good":10,"scrap":1})", "op:ana");
  ok("op.complete", R"({"wo":"WO-C","step":"wash"})", "op:ana");
  // The second person who verifies a critical step must be qualified as well: by work center
  // is enough.
  expect_rejected("op.verify", R"({"wo":"WO-C","step":"wash"})", ErrorCode::kNotQualified, "actor",
                  "qa:kim");
  ok("qualification.grant", grant("qa:kim", kWashCenter), "sup:lee");
  ok("op.verify", R"({"wo":"WO-C","step":"wash"})", "qa:kim");
  // The step that is not critical asks nobody.
  ok("op.start", R"({"wo":"WO-C","step":"pack","equipment":"packer-1"})", "op:bo");
  auto wo = state("wo", "WO-C");
  EXPECT_EQ(wo["steps"].as_array()[0].at("critical"), true);
  const auto& pack = wo["steps"].as_array()[1].as_object();
  EXPECT_TRUE(!pack.contains("critical") || pack.at("critical") == false);
  expect_rebuild_gives_the_same_state();
}

TEST_F(TrainingTest, AQualificationLapsesAtItsDateAndARequalificationRestoresIt) {
  import_history();  // the late op.start below needs no reason
  critical_routing();
  ok("qualification.grant", grant("op:ana", kWashStep, "2026-11-22T00:00:00Z"), "sup:lee");
  clock_.set(kStart + kDayNs);  // 2026-11-22T08:00Z: expired at midnight
  auto r = run("op.start", kStartWash, "op:ana");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotQualified);
  EXPECT_NE(r.error().message.find("expired at 2026-11-22T00:00:00Z"), std::string::npos)
      << r.error().message;
  // An operation that happened before the date still counts as qualified (a late entry).
  ok_at("op.start", R"({"wo":"WO-C","step":"wash","equipment":"washer-1"})", "2026-11-21T20:00:00Z",
        "op:ana");
  ok("op.complete", R"({"wo":"WO-C","step":"wash"})", "op:ana");
  // Requalified: the new grant replaces the old one.
  ok("qualification.grant", grant("op:ana", kWashStep, "2027-11-22T00:00:00Z"), "sup:lee");
  ok("wo.create",
     R"({"wo":"WO-D","material":"salad","qty":10,"routing":"rte-r","due":"2026-11-30T00:00:00Z"})");
  ok("wo.release", R"({"wo":"WO-D"})");
  ok("op.start", R"({"wo":"WO-D","step":"wash","equipment":"washer-1"})", "op:ana");
  // A late entry is judged by the grant in force at its time, not the one that replaced it:
  // covered by the first before midnight, by nothing between midnight and the requalification.
  ok("op.complete", R"({"wo":"WO-D","step":"wash"})", "op:ana");
  ok("wo.create",
     R"({"wo":"WO-E","material":"salad","qty":10,"routing":"rte-r","due":"2026-11-30T00:00:00Z"})");
  ok("wo.release", R"({"wo":"WO-E"})");
  const std::string start_e = R"({"wo":"WO-E","step":"wash","equipment":"washer-1"})";
  auto gap = run_at("op.start", start_e, "2026-11-22T02:00:00Z", "op:ana");
  ASSERT_FALSE(gap);
  EXPECT_EQ(gap.error().code, ErrorCode::kNotQualified);
  EXPECT_NE(gap.error().message.find("expired at 2026-11-22T00:00:00Z"), std::string::npos)
      << gap.error().message;
  ok_at("op.start", start_e, "2026-11-21T21:00:00Z", "op:ana");
  expect_rebuild_gives_the_same_state();
}

TEST_F(TrainingTest, ARevokedQualificationNoLongerCounts) {
  import_history();  // the late op.start below needs no reason
  critical_routing();
  ok("qualification.grant", grant("op:ana", kWashCenter), "sup:lee");
  ok("qualification.revoke",
     R"({"user":"op:ana","workCenter":"wash","reason":"failed the hygiene reassessment"})",
     "qa:kim");
  auto r = run("op.start", kStartWash, "op:ana");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotQualified);
  EXPECT_NE(r.error().message.find("revoked at"), std::string::npos) << r.error().message;
  // Revoking it twice, or what was never granted, is refused.
  expect_rejected("qualification.revoke",
                  R"({"user":"op:ana","workCenter":"wash","reason":"again"})",
                  ErrorCode::kInvalidState, "data.user");
  expect_rejected("qualification.revoke",
                  R"({"user":"op:bo","routing":"rte-r","step":"wash","reason":"never had it"})",
                  ErrorCode::kNotFound, "data.user");
  // Granted again an hour later: a late entry from between the two is still refused as
  // revoked, one from now is not.
  clock_.set(kStart + kHourNs);
  ok("qualification.grant", grant("op:ana", kWashCenter), "sup:lee");
  auto between = run_at("op.start", kStartWash, "2026-11-21T08:30:00Z", "op:ana");
  ASSERT_FALSE(between);
  EXPECT_EQ(between.error().code, ErrorCode::kNotQualified);
  EXPECT_NE(between.error().message.find("revoked at"), std::string::npos)
      << between.error().message;
  ok("op.start", kStartWash, "op:ana");
  expect_rebuild_gives_the_same_state();
}

TEST_F(TrainingTest, BadGrantsAreRefusedAndWriteNothing) {
  critical_routing();
  // Neither scope, or both.
  expect_rejected("qualification.grant",
                  R"({"user":"op:ana","until":"2027-01-01T00:00:00Z","trainer":"t"})",
                  ErrorCode::kInvalidArgument, "data.routing");
  expect_rejected("qualification.grant",
                  grant("op:ana", R"("routing":"rte-r","step":"wash","workCenter":"wash")"),
                  ErrorCode::kInvalidArgument, "data.workCenter");
  // A step without its routing, a routing without its step.
  expect_rejected("qualification.grant", grant("op:ana", R"("step":"wash")"),
                  ErrorCode::kInvalidArgument, "data.routing");
  expect_rejected("qualification.grant", grant("op:ana", R"("routing":"rte-r")"),
                  ErrorCode::kInvalidArgument, "data.step");
  // What does not exist.
  expect_rejected("qualification.grant", grant("op:ana", R"("routing":"nope","step":"wash")"),
                  ErrorCode::kNotFound, "data.routing");
  expect_rejected("qualification.grant", grant("op:ana", R"("routing":"rte-r","step":"dry")"),
                  ErrorCode::kNotFound, "data.step");
  expect_rejected("qualification.grant", grant("op:ana", R"("workCenter":"bake")"),
                  ErrorCode::kNotFound, "data.workCenter");
  // Already over, or self-trained.
  expect_rejected("qualification.grant", grant("op:ana", kWashStep, "2026-11-21T07:00:00Z"),
                  ErrorCode::kInvalidArgument, "data.until");
  expect_rejected("qualification.grant",
                  grant("op:ana", kWashStep, "2027-01-01T00:00:00Z", "op:ana"),
                  ErrorCode::kInvalidArgument, "data.trainer");
  // Required fields.
  expect_rejected("qualification.grant", R"({"user":"op:ana","workCenter":"wash","trainer":"t"})",
                  ErrorCode::kInvalidArgument, "data.until");
  expect_rejected("qualification.grant",
                  R"({"user":"op:ana","workCenter":"wash","until":"2027-01-01T00:00:00Z"})",
                  ErrorCode::kInvalidArgument, "data.trainer");
  expect_rejected("qualification.revoke", R"({"user":"op:ana","workCenter":"wash"})",
                  ErrorCode::kInvalidArgument, "data.reason");
  // Nobody qualifies themselves, whoever trained them.
  expect_rejected("qualification.grant", grant("sup:lee", kWashCenter),
                  ErrorCode::kPermissionDenied, "data.user", "sup:lee");
  // A revocation names one scope as a grant does: not both, not none.
  ok("qualification.grant", grant("op:ana", kWashCenter), "sup:lee");
  expect_rejected(
      "qualification.revoke",
      R"({"user":"op:ana","routing":"nope","step":"zzz","workCenter":"wash","reason":"r"})",
      ErrorCode::kInvalidArgument, "data.workCenter", "qa:kim");
  expect_rejected("qualification.revoke", R"({"user":"op:ana","reason":"r"})",
                  ErrorCode::kInvalidArgument, "data.routing", "qa:kim");
  expect_rejected("qualification.revoke", R"({"user":"op:ana","step":"wash","reason":"r"})",
                  ErrorCode::kInvalidArgument, "data.routing", "qa:kim");
  ok("op.start", kStartWash, "op:ana");  // her grant still stands
}

TEST_F(TrainingTest, TheTrainingBoardShowsWhereEveryoneStands) {
  critical_routing();
  ok("qualification.grant", grant("op:ana", kWashStep, "2027-06-01T00:00:00Z"), "sup:lee");
  ok("qualification.grant", grant("op:bo", kWashCenter, "2026-12-01T00:00:00Z"), "sup:lee");
  ok("qualification.grant", grant("op:cy", kWashCenter, "2026-11-22T00:00:00Z"), "sup:lee");
  ok("qualification.grant", grant("op:dee", kWashStep), "sup:lee");
  clock_.set(kStart + kHourNs);
  ok("qualification.revoke", R"({"user":"op:dee","routing":"rte-r","step":"wash","reason":"left"})",
     "qa:kim");
  // As of before the revocation, Dee still stands; as of before the grants, nobody is there.
  auto earlier = query([&](const domain::Queries& q, codec::JsonWriter& w) {
    return q.training_board(kStart + kHourNs / 2, 30, w);
  });
  EXPECT_EQ(earlier["revoked"].as_int64(), 0);
  EXPECT_EQ(earlier["qualifications"].as_array().size(), 4u);
  EXPECT_FALSE(earlier["qualifications"].as_array()[3].as_object().contains("revokedAt"));
  auto before = query([&](const domain::Queries& q, codec::JsonWriter& w) {
    return q.training_board(kStart - 1, 30, w);
  });
  EXPECT_TRUE(before["qualifications"].as_array().empty());
  clock_.set(kStart + 2 * kDayNs);  // 2026-11-23T08:00Z
  auto board = query([&](const domain::Queries& q, codec::JsonWriter& w) {
    return q.training_board(clock_.now(), 30, w);
  });
  EXPECT_EQ(board["board"], "training");
  EXPECT_EQ(board["valid"].as_int64(), 1);
  EXPECT_EQ(board["expiring"].as_int64(), 1);
  EXPECT_EQ(board["expired"].as_int64(), 1);
  EXPECT_EQ(board["revoked"].as_int64(), 1);
  auto rows = board["qualifications"].as_array();
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].at("user"), "op:ana");
  EXPECT_EQ(rows[0].at("standing"), "valid");
  EXPECT_EQ(rows[0].at("routing"), "rte-r");
  EXPECT_EQ(rows[0].at("trainer"), "trainer:ines");
  EXPECT_EQ(rows[0].at("grantedBy"), "sup:lee");
  EXPECT_EQ(rows[1].at("user"), "op:bo");
  EXPECT_EQ(rows[1].at("standing"), "expiring");
  EXPECT_EQ(rows[1].at("workCenter"), "wash");
  EXPECT_EQ(rows[2].at("standing"), "expired");
  EXPECT_EQ(rows[3].at("standing"), "revoked");
  EXPECT_EQ(rows[3].at("reason"), "left");
  // The same through the plugins' view, with its own horizon.
  auto snap = ledger_->snapshot();
  domain::ViewOptions options;
  options.now = clock_.now();
  std::string out;
  auto r =
      domain::answer_view(*snap, R"({"view":"board","board":"training","within":5})", options, out);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(boost::json::parse(out).at("expiring"), 0);
  EXPECT_EQ(boost::json::parse(out).at("valid"), 2);
}

}  // namespace
}  // namespace custody::testing
