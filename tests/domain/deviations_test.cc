// Deviations and CAPA: a quality exception escalated to a deviation holds every lot the
// genealogy says it may touch until the investigation is assessed and approved by a second
// person; its corrective and preventive actions are done by their owner and checked by someone
// else, and the boards show what is open and what is overdue.
#include "domain/plant_fixture.h"

namespace custody::testing {
namespace {

constexpr TimeNs kDayNs = 86400LL * 1'000'000'000LL;

class DeviationsTest : public PlantTest {
 protected:
  // Raw lots R-1 and R-2; order WO-1 washes 200 kg of R-1 and packs lot P-1 (100 salad,
  // awaiting release); then an inspection of R-1 out of limits raises a quality exception on
  // R-1 alone. Returns its id.
  std::string failed_inspection() {
    master_data();
    receive("R-1", 300);
    receive("R-2", 100, "romaine", "GF-2");
    running_order("WO-1");
    ok("lot.consume", R"({"wo":"WO-1","step":"wash","lot":"R-1","qty":200})");
    ok("op.report", R"({"wo":"WO-1","step":"wash","good":100,"scrap":0})");
    ok("op.complete", R"({"wo":"WO-1","step":"wash"})");
    ok("op.start", R"({"wo":"WO-1","step":"pack","equipment":"packer-1"})");
    ok("lot.produce", R"({"wo":"WO-1","step":"pack","lot":"P-1","qty":100})");
    ok("inspection.record",
       R"({"lot":"R-1","characteristic":"core temperature","value":9,"min":0,"max":5,"unit":"C"})",
       "user:quinn");
    return "auto:t-" + std::to_string(n_);
  }

  std::string open_deviation(const std::string& exception, const std::string& id = "DEV-1",
                             const std::string& classification = "major") {
    return R"({"deviation":")" + id + R"(","exception":")" + exception + R"(","classification":")" +
           classification +
           R"(","description":"romaine received warm, used before the result came back"})";
  }

  std::string capa(const std::string& id, TimeNs due, const std::string& deviation = "DEV-1") {
    return R"({"capa":")" + id + R"(","deviation":")" + deviation +
           R"(","kind":"corrective","action":"Hold raw lots until the receiving check is done",)"
           R"("owner":"user:mia","due":")" +
           format_rfc3339(due) + R"("})";
  }

  boost::json::object board(const std::string& name) {
    return query([&](auto& q, auto& w) { return q.board(name, clock_.now(), 30, w); });
  }

  static std::vector<std::string> texts(const boost::json::value& v) {
    std::vector<std::string> out;
    for (const auto& x : v.as_array()) out.emplace_back(x.as_string());
    return out;
  }
};

TEST_F(DeviationsTest, AWarmRawLotHoldsWhatWasMadeFromItUntilQaApprovesTheInvestigation) {
  const std::string exception = failed_inspection();
  EXPECT_EQ(state("lot", "R-1")["status"], "released");

  ok("deviation.open", open_deviation(exception), "user:quinn");
  // The impact, from the genealogy: the inspected lot and the salad made from it; not R-2.
  auto dev = state("deviation", "DEV-1");
  EXPECT_EQ(dev["status"], "open");
  EXPECT_EQ(dev["classification"], "major");
  EXPECT_EQ(dev["wo"], "");
  EXPECT_EQ(texts(dev["lots"]), (std::vector<std::string>{"R-1", "P-1"}));
  EXPECT_EQ(dev["openedBy"], "user:quinn");
  EXPECT_EQ(state("exception", exception)["deviation"], "DEV-1");
  // R-1 was released and still in stock: now on hold. P-1 awaits release, and stays so.
  EXPECT_EQ(state("lot", "R-1")["status"], "held");
  EXPECT_EQ(state("lot", "R-1")["holdReason"], "deviation DEV-1");
  EXPECT_EQ(state("lot", "P-1")["status"], "awaitingRelease");
  EXPECT_EQ(num(state("lot", "P-1")["deviations"]), 1);
  EXPECT_EQ(state("lot", "R-2")["status"], "released");
  EXPECT_EQ(num(state("lot", "R-2")["deviations"]), 0);

  // Neither is released while the deviation is open.
  expect_rejected("lot.release", R"({"lot":"P-1"})", ErrorCode::kOpenDeviation, "data.lot",
                  "user:quinn");
  expect_rejected("lot.release", R"({"lot":"R-1"})", ErrorCode::kOpenDeviation, "data.lot",
                  "user:quinn");

  // WO-1 packs on from R-1 after the deviation opened: its new lot was not in the impact, but
  // is held from release through its ancestor all the same.
  ok("lot.produce", R"({"wo":"WO-1","step":"pack","lot":"P-2","qty":10})");
  EXPECT_EQ(num(state("lot", "P-2")["deviations"]), 0);
  expect_rejected("lot.release", R"({"lot":"P-2"})", ErrorCode::kOpenDeviation, "data.lot",
                  "user:quinn");

  auto b = board("deviations");
  EXPECT_EQ(num(b["open"]), 1);
  EXPECT_EQ(num(b["lotsHeld"]), 2);
  EXPECT_EQ(num(b["byClassification"].at("major")), 1);
  EXPECT_EQ(b["deviations"].as_array()[0].at("deviation"), "DEV-1");

  // Approval needs the investigation first.
  expect_rejected("deviation.approve", R"({"deviation":"DEV-1","conclusion":"fine"})",
                  ErrorCode::kInvalidState, "data.deviation", "user:quinn");
  // The salad was tested and found safe: the assessment clears P-1, which may now be released.
  ok("deviation.assess",
     R"({"deviation":"DEV-1","impact":"P-1 tested: core temperature and micro in limits",)"
     R"("rootCause":"receiving released the lot before the temperature result","cleared":["P-1"]})",
     "user:sam");
  EXPECT_EQ(state("deviation", "DEV-1")["status"], "assessed");
  EXPECT_EQ(state("deviation", "DEV-1")["assessedBy"], "user:sam");
  EXPECT_EQ(num(state("lot", "P-1")["deviations"]), 0);
  ok("lot.release", R"({"lot":"P-1"})", "user:quinn");
  expect_rejected("lot.release", R"({"lot":"R-1"})", ErrorCode::kOpenDeviation, "data.lot",
                  "user:quinn");
  EXPECT_EQ(num(board("deviations")["lotsHeld"]), 1);

  // The one who assessed it does not approve it; a major deviation needs a CAPA first.
  expect_rejected("deviation.approve", R"({"deviation":"DEV-1","conclusion":"reject R-1"})",
                  ErrorCode::kPermissionDenied, "actor", "user:sam");
  expect_rejected("deviation.approve", R"({"deviation":"DEV-1","conclusion":"reject R-1"})",
                  ErrorCode::kInvalidState, "data.deviation", "user:quinn");
  ok("capa.open", capa("CAPA-1", clock_.now() + 14 * kDayNs), "user:quinn");
  EXPECT_EQ(texts(state("deviation", "DEV-1")["capas"]), (std::vector<std::string>{"CAPA-1"}));
  ok("deviation.approve", R"({"deviation":"DEV-1","conclusion":"reject the rest of R-1"})",
     "user:quinn");
  dev = state("deviation", "DEV-1");
  EXPECT_EQ(dev["status"], "approved");
  EXPECT_EQ(dev["approvedBy"], "user:quinn");
  EXPECT_EQ(texts(dev["cleared"]), (std::vector<std::string>{"P-1"}));
  // R-1 is no longer kept from release; it stays on hold until QA disposes of it.
  EXPECT_EQ(num(state("lot", "R-1")["deviations"]), 0);
  EXPECT_EQ(state("lot", "R-1")["status"], "held");
  ok("lot.reject", R"({"lot":"R-1","reason":"DEV-1"})", "user:quinn");
  ok("lot.release", R"({"lot":"P-2"})", "user:quinn");
  EXPECT_EQ(num(board("deviations")["open"]), 0);
  expect_rebuild_gives_the_same_state();
}

TEST_F(DeviationsTest, ACapaIsDoneByItsOwnerCheckedBySomeoneElseAndShowsOverdue) {
  failed_inspection();
  ok("deviation.open", open_deviation("auto:t-" + std::to_string(n_)), "user:quinn");
  ok("capa.open", capa("CAPA-1", clock_.now() + 14 * kDayNs), "user:quinn");
  auto b = board("capa");
  EXPECT_EQ(num(b["open"]), 1);
  EXPECT_EQ(num(b["overdue"]), 0);
  EXPECT_EQ(b["actions"].as_array()[0].at("owner"), "user:mia");

  // Only the owner records it done; it is not checked before.
  expect_rejected("capa.check", R"({"capa":"CAPA-1","effective":true,"note":"ok"})",
                  ErrorCode::kInvalidState, "data.capa", "user:quinn");
  expect_rejected("capa.complete", R"({"capa":"CAPA-1","note":"done"})",
                  ErrorCode::kPermissionDenied, "actor", "user:quinn");

  // (The next command also carries what the passage of time calls for: escalations.)
  clock_.advance(15 * kDayNs);
  b = board("capa");
  EXPECT_EQ(num(b["overdue"]), 1);
  EXPECT_EQ(b["actions"].as_array()[0].at("overdue"), true);
  ok("capa.complete", R"({"capa":"CAPA-1","note":"receiving SOP 12 rev 4 in force"})", "user:mia");
  expect_rejected("capa.complete", R"({"capa":"CAPA-1","note":"done"})", ErrorCode::kInvalidState,
                  "data.capa", "user:mia");
  b = board("capa");
  EXPECT_EQ(num(b["overdue"]), 0);
  EXPECT_EQ(num(b["awaitingCheck"]), 1);

  // The owner does not judge their own action; one that did not work is due again.
  expect_rejected("capa.check", R"({"capa":"CAPA-1","effective":true,"note":"ok"})",
                  ErrorCode::kPermissionDenied, "actor", "user:mia");
  expect_rejected("capa.check", R"({"capa":"CAPA-1","effective":false,"note":"warm lot again"})",
                  ErrorCode::kInvalidArgument, "data.due", "user:quinn");
  ok("capa.check",
     R"({"capa":"CAPA-1","effective":false,"note":"a warm lot was used again on day 20","due":")" +
         format_rfc3339(clock_.now() + 7 * kDayNs) + R"("})",
     "user:quinn");
  auto c = state("capa", "CAPA-1");
  EXPECT_EQ(c["status"], "open");
  EXPECT_EQ(num(c["ineffective"]), 1);
  EXPECT_EQ(c["checkedBy"], "user:quinn");
  ok("capa.complete", R"({"capa":"CAPA-1","note":"receiving blocks lots in the scanner"})",
     "user:mia");
  ok("capa.check", R"({"capa":"CAPA-1","effective":true,"note":"no warm lot used in 30 days"})",
     "user:quinn");
  EXPECT_EQ(state("capa", "CAPA-1")["status"], "effective");
  b = board("capa");
  EXPECT_EQ(num(b["open"]), 0);
  EXPECT_TRUE(b["actions"].as_array().empty());
  // The deviation's history shows its CAPA's records.
  EXPECT_EQ(show("deviation", "DEV-1")["history"].as_array().size(), 6u);
  expect_rebuild_gives_the_same_state();
}

TEST_F(DeviationsTest, AMinorDeviationIsApprovedWithoutCapaAndMayGetOneAfter) {
  const std::string exception = failed_inspection();
  ok("deviation.open", open_deviation(exception, "DEV-2", "minor"), "user:quinn");
  ok("deviation.assess",
     R"({"deviation":"DEV-2","impact":"none","rootCause":"thermometer not settled"})", "user:sam");
  // Assessed again: the latest text stands.
  ok("deviation.assess",
     R"({"deviation":"DEV-2","impact":"none: retest 3.1 C","rootCause":"probe not settled"})",
     "user:quinn");
  EXPECT_EQ(state("deviation", "DEV-2")["rootCause"], "probe not settled");
  // The second person is judged against the last assessment: quinn's, so sam approves.
  expect_rejected("deviation.approve", R"({"deviation":"DEV-2","conclusion":"release"})",
                  ErrorCode::kPermissionDenied, "actor", "user:quinn");
  ok("deviation.approve", R"({"deviation":"DEV-2","conclusion":"release"})", "user:sam");
  ok("lot.release", R"({"lot":"R-1"})", "user:quinn");
  ok("capa.open", capa("CAPA-2", clock_.now() + kDayNs, "DEV-2"), "user:quinn");
  expect_rebuild_gives_the_same_state();
}

TEST_F(DeviationsTest, BadDeviationsAreRefusedAndWriteNothing) {
  const std::string exception = failed_inspection();
  ok("exception.raise",
     R"({"exception":"EX-EQ","category":"equipment","severity":"high","description":"belt torn",)"
     R"("equipment":"packer-1"})");
  ok("exception.raise",
     R"({"exception":"EX-Q","category":"quality","severity":"low","description":"label smudged"})");
  ok("exception.assign", R"({"exception":"EX-Q","assignee":"user:sam"})");
  ok("exception.acknowledge", R"({"exception":"EX-Q"})");
  ok("exception.resolve", R"({"exception":"EX-Q","rootCause":"ink","action":"cleaned"})");
  ok("exception.close", R"({"exception":"EX-Q"})");

  expect_rejected("deviation.open", open_deviation("EX-NONE"), ErrorCode::kNotFound,
                  "data.exception");
  expect_rejected("deviation.open", open_deviation("EX-EQ"), ErrorCode::kInvalidArgument,
                  "data.exception");
  expect_rejected("deviation.open", open_deviation("EX-Q"), ErrorCode::kInvalidState,
                  "data.exception");
  expect_rejected("deviation.open",
                  R"({"deviation":"DEV-1","exception":")" + exception + R"(","description":"x"})",
                  ErrorCode::kInvalidArgument, "data.classification");
  expect_rejected("deviation.open",
                  R"({"deviation":"DEV-1","exception":")" + exception +
                      R"(","classification":"grave","description":"x"})",
                  ErrorCode::kInvalidArgument, "data.classification");
  ok("deviation.open", open_deviation(exception));
  expect_rejected("deviation.open", open_deviation(exception), ErrorCode::kAlreadyExists,
                  "data.deviation");
  expect_rejected("deviation.open", open_deviation(exception, "DEV-9"), ErrorCode::kInvalidState,
                  "data.exception");

  const std::string assess = R"({"deviation":"DEV-1","impact":"i","rootCause":"r","cleared":)";
  expect_rejected("deviation.assess", R"({"deviation":"DEV-0","impact":"i","rootCause":"r"})",
                  ErrorCode::kNotFound, "data.deviation");
  expect_rejected("deviation.assess", R"({"deviation":"DEV-1","rootCause":"r"})",
                  ErrorCode::kInvalidArgument, "data.impact");
  expect_rejected("deviation.assess", assess + R"(["R-2"]})", ErrorCode::kInvalidArgument,
                  "data.cleared[0]");
  expect_rejected("deviation.assess", assess + R"(["P-1","P-1"]})", ErrorCode::kInvalidArgument,
                  "data.cleared[1]");
  ok("deviation.assess", assess + R"(["P-1"]})", "user:sam");
  expect_rejected("deviation.assess", assess + R"(["R-1","P-1"]})", ErrorCode::kInvalidArgument,
                  "data.cleared[1]");
  expect_rejected("deviation.approve", R"({"deviation":"DEV-0","conclusion":"c"})",
                  ErrorCode::kNotFound, "data.deviation");

  const TimeNs later = clock_.now() + kDayNs;
  expect_rejected("capa.open", capa("CAPA-1", later, "DEV-0"), ErrorCode::kNotFound,
                  "data.deviation");
  expect_rejected("capa.open", capa("CAPA-1", clock_.now()), ErrorCode::kInvalidArgument,
                  "data.due");
  expect_rejected("capa.open",
                  R"({"capa":"CAPA-1","deviation":"DEV-1","kind":"corrective","action":"a",)"
                  R"("due":"2027-01-01"})",
                  ErrorCode::kInvalidArgument, "data.owner");
  expect_rejected("capa.open",
                  R"({"capa":"CAPA-1","deviation":"DEV-1","kind":"corrective","action":"a",)"
                  R"("owner":"mia","due":"2027-01-01"})",
                  ErrorCode::kInvalidArgument, "data.owner");
  ok("capa.open", capa("CAPA-1", later));
  expect_rejected("capa.open", capa("CAPA-1", later), ErrorCode::kAlreadyExists, "data.capa");
  expect_rejected("capa.complete", R"({"capa":"CAPA-0","note":"n"})", ErrorCode::kNotFound,
                  "data.capa");
  expect_rejected("capa.check", R"({"capa":"CAPA-1","note":"n"})", ErrorCode::kInvalidArgument,
                  "data.effective");
  expect_rejected("capa.check", R"({"capa":"CAPA-0","effective":true,"note":"n"})",
                  ErrorCode::kNotFound, "data.capa");

  ok("deviation.approve", R"({"deviation":"DEV-1","conclusion":"c"})");
  expect_rejected("deviation.approve", R"({"deviation":"DEV-1","conclusion":"c"})",
                  ErrorCode::kInvalidState, "data.deviation", "user:quinn");
  expect_rejected("deviation.assess", assess + "[]}", ErrorCode::kInvalidState, "data.deviation");
}

}  // namespace
}  // namespace custody::testing
