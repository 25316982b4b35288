// custody enterprise status and recall on the two sites of tests/fixtures/enterprise: the
// recall crosses from plant-a into plant-b on the pallet's SSCC, and bad input is named.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>

#include "support/enterprise_fixture.h"
#include "support/test_support.h"

namespace custody {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using testing::run_custody;
using testing::TempDir;

class EnterpriseCli : public ::testing::Test {
 protected:
  void SetUp() override { testing::make_enterprise(ent()); }
  [[nodiscard]] fs::path ent() const { return tmp_.path() / "ent"; }

  // Expects exit 2 naming `code` and `field`.
  static void expect_refused(const std::vector<std::string>& args, const std::string& code,
                             const std::string& field) {
    auto r = run_custody(args);
    EXPECT_EQ(r.exit_code, 2) << r.out;
    EXPECT_NE(r.err.find("custody: " + code + ":"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("(field " + field + ")"), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }

  TempDir tmp_;
};

TEST_F(EnterpriseCli, StatusAndRecallCrossTheSites) {
  auto st = run_custody({"enterprise", "status", ent().string()});
  ASSERT_EQ(st.exit_code, 0) << st.err;
  const auto sites = json::parse(st.out).at("sites").as_array();
  ASSERT_EQ(sites.size(), 2u);
  EXPECT_EQ(sites[0].at("site"), "plant-a");
  EXPECT_EQ(sites[0].at("copy"), false);
  EXPECT_EQ(sites[0].at("stale"), false);

  auto r =
      run_custody({"enterprise", "recall", ent().string(), "--site", "plant-a", "--lot", "R-1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto doc = json::parse(r.out).as_object();
  EXPECT_EQ(doc.at("summary").at("sitesReached"), 2);
  EXPECT_EQ(doc.at("summary").at("crossSiteEdges"), 1);
  const auto& edge = doc.at("edges").as_array()[0];
  EXPECT_EQ(edge.at("basis"), "sscc");
  EXPECT_EQ(edge.at("sscc"), "106141411234567897");
  EXPECT_EQ(edge.at("shipment"), "BOL-7");
  // plant-a's customers to call: the DC, not plant B.
  const auto& a = doc.at("sites").as_array()[0].at("recall").as_object();
  ASSERT_EQ(a.at("customers").as_array().size(), 1u);
  EXPECT_EQ(a.at("customers").as_array()[0].at("customer"), "dc-east");

  // The site's own recall names the pallet a shipment left on.
  auto own = run_custody({"recall", (ent() / "plant-a").string(), "--lot", "S-1"});
  ASSERT_EQ(own.exit_code, 0) << own.err;
  const auto shipments = json::parse(own.out).at("shipments").as_array();
  ASSERT_EQ(shipments.size(), 2u);
  EXPECT_EQ(shipments[0].at("sscc"), "106141411234567897");
  EXPECT_FALSE(shipments[1].as_object().contains("sscc"));

  auto table = run_custody({"enterprise", "recall", ent().string(), "--site", "plant-a", "--lot",
                            "R-1", "--format", "table"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("plant-b B-IN-1"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("shop-9"), std::string::npos) << table.out;
}

TEST_F(EnterpriseCli, TraceCrossesTheSitesBothWays) {
  auto t =
      run_custody({"enterprise", "trace", ent().string(), "--site", "plant-a", "--lot", "R-1"});
  ASSERT_EQ(t.exit_code, 0) << t.err;
  const auto doc = json::parse(t.out).as_object();
  EXPECT_EQ(doc.at("fromGraphs"), false);  // a one-shot command walks the sites' families
  EXPECT_EQ(doc.at("summary").at("sitesReached"), 2);
  const auto& link = doc.at("links").as_array().at(0);
  EXPECT_EQ(link.at("fromSite"), "plant-a");
  EXPECT_EQ(link.at("toLot"), "B-IN-1");
  auto back = run_custody({"enterprise", "trace", ent().string(), "--site", "plant-b", "--lot",
                           "K-1", "--backward", "--format", "table"});
  ASSERT_EQ(back.exit_code, 0) << back.err;
  EXPECT_NE(back.out.find("plant-b B-IN-1"), std::string::npos) << back.out;
  EXPECT_NE(back.out.find("backward"), std::string::npos) << back.out;
  expect_refused({"enterprise", "trace", ent().string(), "--site", "plant-a", "--lot", "NOPE"},
                 "not_found", "--lot");
}

TEST_F(EnterpriseCli, BadInputIsNamed) {
  expect_refused({"enterprise", "recall", ent().string(), "--site", "plant-z", "--lot", "R-1"},
                 "not_found", "--site");
  expect_refused({"enterprise", "recall", ent().string(), "--site", "plant-b", "--lot", "R-1"},
                 "not_found", "--lot");
  expect_refused({"enterprise", "status", (tmp_.path() / "none").string()}, "not_found", "ENT");
  std::ofstream(ent() / "enterprise.json", std::ios::trunc)
      << R"({"sites": [{"site": "plant-a", "gln": "061414100000"}]})";
  expect_refused({"enterprise", "status", ent().string()}, "invalid_argument",
                 "enterprise.sites[0].gln");
  auto usage = run_custody({"enterprise", "recall", ent().string(), "--site", "plant-a"});
  EXPECT_EQ(usage.exit_code, 2);
  EXPECT_NE(usage.err.find("--lot"), std::string::npos) << usage.err;
}

}  // namespace
}  // namespace custody
