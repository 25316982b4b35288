// The domain's CLI views and maintenance commands, end to end through the binary.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>

#include "support/test_support.h"

namespace custody {
namespace {

using testing::lines;
using testing::run_custody;

class Views : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(run_custody({"init", dir(), "--import-history"}).exit_code, 0);
    const std::string plant = R"(
{"type":"material.define","commandId":"m1","actor":"user:qa","data":{"material":"romaine","name":"Romaine","uom":"kg"}}
{"type":"party.define","commandId":"p1","actor":"user:qa","data":{"party":"farm","name":"Farm","role":"supplier"}}
{"type":"lot.receive","commandId":"r1","actor":"user:dock","occurredAt":"2026-11-20T07:00:00Z","data":{"lot":"R-1","material":"romaine","qty":500,"uom":"kg","supplier":"farm","supplierLot":"F-1"}}
{"type":"exception.raise","commandId":"x1","actor":"user:qa","occurredAt":"2026-11-20T08:00:00Z","data":{"exception":"EX-1","severity":"critical","description":"Glass on line","lot":"R-1"}}
)";
    auto r = run_custody({"append", dir()}, plant);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }
  std::string dir() const { return (tmp_ / "ledger").string(); }
  testing::TempDir tmp_;
};

TEST_F(Views, ShowInJsonAndTable) {
  auto json = run_custody({"show", dir(), "lot", "R-1"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  auto v = boost::json::parse(json.out).as_object();
  EXPECT_EQ(v["state"].at("onHand"), 500);
  EXPECT_EQ(v["history"].as_array().size(), 2u);  // received, and named by the exception
  auto table = run_custody({"show", dir(), "lot", "R-1", "--format", "table"});
  ASSERT_EQ(table.exit_code, 0);
  EXPECT_NE(table.out.find("onHand: 500"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("lot.received"), std::string::npos) << table.out;
}

TEST_F(Views, BoardsAndKpis) {
  auto board = run_custody({"board", dir(), "exceptions", "--at", "2026-11-20T10:00:00Z"});
  ASSERT_EQ(board.exit_code, 0) << board.err;
  auto b = boost::json::parse(board.out).as_object();
  EXPECT_EQ(b["open"], 1);
  EXPECT_EQ(b["exceptions"].as_array()[0].at("ageHours").to_number<double>(), 2.0);
  auto wip = run_custody({"board", dir(), "wip", "--format", "table"});
  EXPECT_EQ(wip.exit_code, 0);
  auto kpi = run_custody({"kpi", dir(), "--from", "2026-11-20", "--to", "2026-11-21"});
  ASSERT_EQ(kpi.exit_code, 0) << kpi.err;
  EXPECT_EQ(boost::json::parse(kpi.out).as_object()["exceptions"].at("raised"), 1);
}

TEST_F(Views, TheExpiryBoardLooksAsFarAheadAsTheSiteSays) {
  auto r = run_custody({"append", dir()}, R"(
{"type":"material.define","commandId":"m2","actor":"user:qa","data":{"material":"spinach","name":"Spinach","uom":"kg","shelfLifeDays":10}}
{"type":"lot.receive","commandId":"r2","actor":"user:dock","occurredAt":"2026-11-20T07:00:00Z","data":{"lot":"S-1","material":"spinach","qty":50,"uom":"kg","supplier":"farm","supplierLot":"F-2","produced":"2026-11-19T06:00:00Z"}}
{"type":"lot.receive","commandId":"r3","actor":"user:dock","occurredAt":"2026-11-20T07:00:00Z","data":{"lot":"S-2","material":"spinach","qty":50,"uom":"kg","supplier":"farm","supplierLot":"F-3","expires":"2026-12-15T00:00:00Z"}}
)");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto board = [&](std::vector<std::string> extra) {
    std::vector<std::string> args{"board", dir(), "expiry", "--at", "2026-11-21T00:00:00Z"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto b = run_custody(args);
    EXPECT_EQ(b.exit_code, 0) << b.err;
    return boost::json::parse(b.out).as_object();
  };
  // The default horizon, 30 days, holds both; a week only S-1 (expires 2026-11-29T06:00Z).
  auto b = board({});
  EXPECT_EQ(b["withinDays"], 30);
  ASSERT_EQ(b["lots"].as_array().size(), 2u);
  EXPECT_EQ(b["lots"].as_array()[0].at("lot"), "S-1");
  EXPECT_EQ(b["lots"].as_array()[0].at("expires"), "2026-11-29T06:00:00Z");
  b = board({"--within", "7"});
  EXPECT_EQ(b["lots"].as_array().size(), 0u);
  b = board({"--within", "9"});
  EXPECT_EQ(b["lots"].as_array().size(), 1u);
  // The site's horizon, from config.json.
  {
    std::ofstream config(tmp_ / "ledger" / "config.json");
    config << R"({"site":{"name":"Plant","expiryHorizonDays":9}})";
  }
  b = board({});
  EXPECT_EQ(b["withinDays"], 9);
  EXPECT_EQ(b["lots"].as_array().size(), 1u);
  for (const auto& bad :
       {R"({"site":{"expiryHorizonDays":0}})", R"({"site":{"expiryHorizonDays":"9"}})",
        R"({"site":{"expiryHorizonDays":3661}})"}) {
    {
      std::ofstream config(tmp_ / "ledger" / "config.json");
      config << bad;
    }
    auto refused = run_custody({"board", dir(), "expiry"});
    EXPECT_EQ(refused.exit_code, 2) << bad << refused.out;
    EXPECT_NE(refused.err.find("config.site.expiryHorizonDays"), std::string::npos) << refused.err;
  }
  for (const auto& days : {"0", "3661", "soon"}) {
    auto refused = run_custody({"board", dir(), "expiry", "--within", days});
    EXPECT_EQ(refused.exit_code, 2) << days << refused.out;
  }
}

TEST_F(Views, TheRetentionReportListsWhatIsPastItsPeriodAndRefusesBadInput) {
  auto set =
      run_custody({"append", dir()},
                  R"({"type":"retention.set_policy","commandId":"rp","actor":"user:qa","data":)"
                  R"({"recordType":"lot.received","keepDays":10,"reason":"SOP-WH-3"}})"
                  "\n");
  ASSERT_EQ(set.exit_code, 0) << set.out << set.err;
  auto r = run_custody({"retention", dir(), "--report", "--at", "2026-12-15"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto report = boost::json::parse(r.out).as_object();
  EXPECT_EQ(report.at("pastRetention").to_number<int>(), 1) << r.out;
  EXPECT_EQ(report.at("records").as_array().at(0).at("type"), "lot.received");
  EXPECT_EQ(report.at("records").as_array().at(0).at("retainedUntil"), "2026-11-30T07:00:00Z");
  auto before = run_custody({"retention", dir(), "--report", "--at", "2026-11-29"});
  EXPECT_EQ(boost::json::parse(before.out).at("pastRetention").to_number<int>(), 0);
  auto table = run_custody({"retention", dir(), "--report", "--format", "table"});
  EXPECT_NE(table.out.find("SOP-WH-3"), std::string::npos) << table.out;
  for (const auto& [args, field] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"retention", dir(), "--report", "--at", "soon"}, "(field at)"},
           {{"retention", dir(), "--report", "--limit", "0"}, "(field limit)"}}) {
    auto bad = run_custody(args);
    EXPECT_EQ(bad.exit_code, 2) << bad.err;
    EXPECT_NE(bad.err.find(field), std::string::npos) << bad.err;
    EXPECT_TRUE(bad.out.empty());
  }
  EXPECT_EQ(run_custody({"retention", dir()}).exit_code, 2);  // --report is the one mode
}

TEST_F(Views, RebuildReproducesTheDigest) {
  auto before = run_custody({"state-digest", dir()});
  ASSERT_EQ(before.exit_code, 0) << before.err;
  auto rebuild = run_custody({"rebuild", dir()});
  ASSERT_EQ(rebuild.exit_code, 0) << rebuild.err;
  auto r = boost::json::parse(rebuild.out).as_object();
  EXPECT_EQ(r["records"], 5);  // the import's configuration (config.recorded) and the four
  auto after = run_custody({"state-digest", dir()});
  EXPECT_EQ(boost::json::parse(before.out).as_object()["digest"], r["digest"]);
  EXPECT_EQ(before.out, after.out);
}

TEST_F(Views, TheYieldOfAnOrderInJsonAndTable) {
  auto r = run_custody({"append", dir()}, R"(
{"type":"material.define","commandId":"m3","actor":"user:qa","data":{"material":"salad","name":"Salad","uom":"case","yieldMin":95}}
{"type":"equipment.define","commandId":"e1","actor":"user:qa","data":{"equipment":"washer-1","name":"Washer","workCenter":"wash"}}
{"type":"routing.define","commandId":"rt","actor":"user:qa","data":{"routing":"salad-r","material":"salad","steps":[{"step":"wash","workCenter":"wash","inputs":[{"material":"romaine","qtyPerUnit":2}]}]}}
{"type":"wo.create","commandId":"w1","actor":"user:plan","occurredAt":"2026-11-20T08:00:00Z","data":{"wo":"WO-1","material":"salad","qty":100,"routing":"salad-r","due":"2026-11-21T00:00:00Z"}}
{"type":"wo.release","commandId":"w2","actor":"user:plan","occurredAt":"2026-11-20T08:01:00Z","data":{"wo":"WO-1"}}
{"type":"op.start","commandId":"w3","actor":"user:op","occurredAt":"2026-11-20T08:02:00Z","data":{"wo":"WO-1","step":"wash","equipment":"washer-1"}}
{"type":"lot.consume","commandId":"w4","actor":"user:op","occurredAt":"2026-11-20T08:03:00Z","data":{"wo":"WO-1","step":"wash","lot":"R-1","qty":200}}
{"type":"op.report","commandId":"w5","actor":"user:op","occurredAt":"2026-11-20T09:00:00Z","data":{"wo":"WO-1","step":"wash","good":92,"scrap":8}}
{"type":"lot.produce","commandId":"w6","actor":"user:op","occurredAt":"2026-11-20T09:01:00Z","data":{"wo":"WO-1","step":"wash","lot":"F-1","qty":92}}
{"type":"op.complete","commandId":"w7","actor":"user:op","occurredAt":"2026-11-20T09:02:00Z","data":{"wo":"WO-1","step":"wash"}}
{"type":"wo.complete","commandId":"w8","actor":"user:sup","occurredAt":"2026-11-20T09:03:00Z","data":{"wo":"WO-1"}}
)");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto json = run_custody({"yield", dir(), "WO-1"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  auto y = boost::json::parse(json.out).as_object();
  EXPECT_EQ(y["theoretical"], 100);  // 200 kg of romaine at 2 kg a case
  EXPECT_EQ(y["actual"], 92);
  EXPECT_EQ(y["percentOfTheoretical"].to_number<double>(), 92.0);
  EXPECT_EQ(y["inLimits"], false);
  auto table = run_custody({"yield", dir(), "WO-1", "--format", "table"});
  ASSERT_EQ(table.exit_code, 0);
  EXPECT_NE(table.out.find("percentOfTheoretical: 92"), std::string::npos) << table.out;
}

TEST_F(Views, AParetoOfDefectsInJsonAndTable) {
  auto r = run_custody({"append", dir()}, R"(
{"type":"material.define","commandId":"m3","actor":"user:qa","data":{"material":"salad","name":"Salad","uom":"case"}}
{"type":"equipment.define","commandId":"e1","actor":"user:qa","data":{"equipment":"washer-1","name":"Washer","workCenter":"wash"}}
{"type":"routing.define","commandId":"rt","actor":"user:qa","data":{"routing":"salad-r","material":"salad","steps":[{"step":"wash","workCenter":"wash"}]}}
{"type":"defect.define","commandId":"d1","actor":"user:qa","data":{"defect":"bruised","name":"Bruised leaves"}}
{"type":"defect.define","commandId":"d2","actor":"user:qa","data":{"defect":"foreign","name":"Foreign <matter>"}}
{"type":"shift.define","commandId":"s1","actor":"user:qa","data":{"shift":"early","name":"Early","start":"06:00","end":"14:00"}}
{"type":"wo.create","commandId":"w1","actor":"user:plan","occurredAt":"2026-11-20T08:00:00Z","data":{"wo":"WO-1","material":"salad","qty":100,"routing":"salad-r","due":"2026-11-21T00:00:00Z"}}
{"type":"wo.release","commandId":"w2","actor":"user:plan","occurredAt":"2026-11-20T08:01:00Z","data":{"wo":"WO-1"}}
{"type":"op.start","commandId":"w3","actor":"user:op","occurredAt":"2026-11-20T08:02:00Z","data":{"wo":"WO-1","step":"wash","equipment":"washer-1"}}
{"type":"op.report","commandId":"w5","actor":"user:op","occurredAt":"2026-11-20T09:00:00Z","data":{"wo":"WO-1","step":"wash","good":90,"scrap":10,"defects":[{"defect":"bruised","qty":7},{"defect":"foreign","qty":3}]}}
{"type":"op.report","commandId":"w6","actor":"user:op","occurredAt":"2026-11-20T15:00:00Z","data":{"wo":"WO-1","step":"wash","good":0,"scrap":2}}
)");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto json = run_custody({"pareto", dir()});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  auto p = boost::json::parse(json.out).as_object();
  EXPECT_EQ(p["scrap"], 12);
  EXPECT_EQ(p["rows"].as_array()[0].at("key"), "bruised");
  EXPECT_TRUE(p["rows"].as_array()[2].at("key").is_null());
  auto shifts = run_custody({"pareto", dir(), "--by", "shift", "--from", "2026-11-20T00:00:00Z",
                             "--to", "2026-11-21T00:00:00Z", "--step", "wash"});
  ASSERT_EQ(shifts.exit_code, 0) << shifts.err;
  auto rows = boost::json::parse(shifts.out).at("rows").as_array();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].at("key"), "early");
  EXPECT_EQ(rows[0].at("defects").as_array().size(), 2u);
  auto defect = run_custody({"show", dir(), "defect", "foreign"});
  ASSERT_EQ(defect.exit_code, 0) << defect.err;
  EXPECT_EQ(boost::json::parse(defect.out).at("state").at("name"), "Foreign <matter>");
  EXPECT_EQ(run_custody({"show", dir(), "shift", "early"}).exit_code, 0);
  auto table = run_custody({"pareto", dir(), "--format", "table"});
  ASSERT_EQ(table.exit_code, 0);
  EXPECT_NE(table.out.find("Bruised leaves"), std::string::npos) << table.out;

  // A breakdown that does not add up is refused and writes nothing.
  auto head = run_custody({"log", dir()}).out;
  auto bad = run_custody({"append", dir()}, R"(
{"type":"op.report","commandId":"w7","actor":"user:op","data":{"wo":"WO-1","step":"wash","good":1,"scrap":2,"defects":[{"defect":"bruised","qty":1}]}}
)");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE((bad.out + bad.err).find("data.defects"), std::string::npos) << bad.out << bad.err;
  EXPECT_EQ(run_custody({"log", dir()}).out, head);
}

TEST_F(Views, BadArgumentsExitTwo) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
    std::string field = {};  // named in the message as "(field F)" where given
  };
  const std::string head = run_custody({"log", dir()}).out;
  for (const auto& c : std::vector<Case>{
           {{"show", dir(), "lot", "NOPE"}, "not_found"},
           {{"show", dir(), "pallet", "R-1"}, ""},
           {{"board", dir(), "scrap"}, ""},
           {{"board", dir(), "wip", "--at", "noon"}, "invalid_argument"},
           {{"kpi", dir(), "--from", "2026-11-21", "--to", "2026-11-20"}, "invalid_argument"},
           {{"kpi", dir(), "--from", "yesterday", "--to", "2026-11-20"}, "invalid_argument"},
           {{"kpi", dir(), "--from", "2026-11-20"}, ""},
           {{"show", dir(), "lot", "R-1", "--format", "xml"}, ""},
           {{"yield", dir(), "WO-9"}, "not_found"},
           {{"yield", dir()}, ""},
           {{"logbook", dir(), "washer-9"}, "not_found"},
           {{"logbook", dir(), "washer-9", "--from", "soon"}, "invalid_argument"},
           {{"pareto", dir(), "--by", "operator"}, ""},
           {{"pareto", dir(), "--from", "soon"}, "invalid_argument"},
           {{"pareto", dir(), "--from", "2026-11-21", "--to", "2026-11-20"}, "invalid_argument"},
           {{"pareto", (tmp_ / "nowhere").string()}, "not_a_ledger"},
           {{"oee", dir(), "--from", "2026-11-21", "--to", "2026-11-20"}, "invalid_argument", "to"},
           {{"oee", dir(), "--from", "soon", "--to", "2026-11-20"}, "invalid_argument", "from"},
           {{"oee", dir(), "--from", "2026-11-20"}, ""},
           {{"oee", dir(), "--from", "2026-11-20", "--to", "2026-11-21", "--at", "noon"},
            "invalid_argument",
            "at"},
           {{"oee", dir(), "--from", "2026-11-20", "--to", "2026-11-21", "--equipment", "nope"},
            "not_found",
            "equipment"},
           {{"pay", dir(), "--from", "2026-11-21", "--to", "2026-11-20"}, "invalid_argument", "to"},
           {{"pay", dir(), "--from", "2026-11-20", "--to", "later"}, "invalid_argument", "to"},
           {{"pay", dir(), "--to", "2026-11-20"}, ""},
           {{"rebuild", (tmp_ / "nowhere").string()}, "not_a_ledger"},
           {{"state-digest", (tmp_ / "nowhere").string()}, "not_a_ledger"},
       }) {
    auto r = run_custody(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args[0] << " " << r.out << r.err;
    if (!c.message.empty()) {
      EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
    }
    if (!c.field.empty()) {
      EXPECT_NE(r.err.find("(field " + c.field + ")"), std::string::npos) << r.err;
    }
  }
  EXPECT_EQ(run_custody({"log", dir()}).out, head);  // nothing written
}

}  // namespace
}  // namespace custody
