// The enterprise view: three sites, a shipment from one received at the next, matched by
// SSCC, bill of lading and lot code; the recall crosses them, says how current each copy is,
// and refuses bad settings.
#include "custody/domain/enterprise.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>

#include "custody/common/files.h"
#include "custody/ledger/replica.h"
#include "domain/replication_fixture.h"

namespace custody::testing {
namespace {

namespace fs = std::filesystem;
using domain::Enterprise;

constexpr const char* kGlnA = "0614141000005";
constexpr const char* kGlnB = "0614141000012";
constexpr const char* kSscc = "106141411234567897";
constexpr const char* kSecondSscc = "106141411234567873";
constexpr const char* kOtherSscc = "106141411234567880";

class EnterpriseTest : public ReplicationTest {
 protected:
  // Starts the ledger of `site` in ENT/<site> (the fixture's ledger is that one until the next).
  void site(const std::string& name) {
    ledger_.reset();
    dir_ = ent_ / name;
    reopen(true);
    master_data();
  }

  // plant-a makes salad F-1 from farm lot R-1 and ships it to plant-b on two pallets (10 on
  // kSscc with BOL-7, 4 on kSecondSscc with BOL-8) and to an outside customer; plant-b
  // receives it three times (on the first pallet, by lot code alone, and once on a pallet
  // plant-a never shipped, which is not it), makes K-1 from the first and ships it
  // to plant-c and a shop; plant-c receives K-1 against BOL-C1, and a farm lot that happens to
  // be called F-1.
  void SetUp() override {
    ReplicationTest::SetUp();
    site("plant-a");
    ok("party.define", R"({"party":"PLANT-B","name":"Plant B","role":"customer","gln":")" +
                           std::string(kGlnB) + "\"}");
    receive("R-1", 100, "romaine", "GF-1");
    make("WO-A", "R-1", "F-1");
    ok("lot.ship", R"({"lot":"F-1","qty":10,"customer":"PLANT-B","shipment":"BOL-7","sscc":")" +
                       std::string(kSscc) + "\"}");
    ok("lot.ship", R"({"lot":"F-1","qty":4,"customer":"PLANT-B","shipment":"BOL-8","sscc":")" +
                       std::string(kSecondSscc) + "\"}");
    ok("lot.ship", R"({"lot":"F-1","qty":3,"customer":"dc","shipment":"BOL-9"})");
    // Raw romaine sent to plant-c, which has not received it (yet).
    ok("party.define", R"({"party":"PLANT-C","name":"Plant C","role":"customer"})");
    ok("lot.ship", R"({"lot":"R-1","qty":5,"customer":"PLANT-C","shipment":"BOL-T1"})");

    site("plant-b");
    // plant-a is known here by its GLN; plant-c by the id the enterprise lists.
    ok("party.define", R"({"party":"ACME-A","name":"Acme plant A","role":"supplier","gln":")" +
                           std::string(kGlnA) + "\"}");
    ok("party.define", R"({"party":"PLANT-C","name":"Plant C","role":"customer"})");
    ok("party.define", R"({"party":"shop","name":"Corner shop","role":"customer"})");
    ok("lot.receive",
       R"({"lot":"B-IN-1","material":"romaine","qty":10,"uom":"kg","supplier":"ACME-A",)"
       R"("supplierLot":"F-1","document":"BOL-7","sscc":")" +
           std::string(kSscc) + "\"}");
    ok("lot.receive",
       R"({"lot":"B-IN-2","material":"romaine","qty":4,"uom":"kg","supplier":"ACME-A",)"
       R"("supplierLot":"F-1"})");
    ok("lot.receive",
       R"({"lot":"B-IN-3","material":"romaine","qty":1,"uom":"kg","supplier":"ACME-A",)"
       R"("supplierLot":"F-1","sscc":")" +
           std::string(kOtherSscc) + "\"}");
    make("WO-B", "B-IN-1", "K-1");
    ok("lot.ship", R"({"lot":"K-1","qty":2,"customer":"PLANT-C","shipment":"BOL-C1"})");
    ok("lot.ship", R"({"lot":"K-1","qty":1,"customer":"shop","shipment":"BOL-S1"})");

    site("plant-c");
    ok("party.define", R"({"party":"SITE-B","name":"Plant B","role":"supplier"})");
    ok("lot.receive", R"({"lot":"C-1","material":"romaine","qty":2,"uom":"kg","supplier":"SITE-B",)"
                      R"("supplierLot":"K-1","document":"BOL-C1"})");
    receive("C-9", 5, "romaine", "F-1");  // the farm's, not plant-a's
    ledger_.reset();
    write_sites(R"({"site": "plant-c", "own": true, "parties": ["PLANT-C"]})");
  }

  // A released order WO on salad-r that consumes `from` and makes `into` (released).
  void make(const std::string& wo, const std::string& from, const std::string& into) {
    running_order(wo);
    ok("lot.consume", R"({"wo":")" + wo + R"(","step":"wash","lot":")" + from + R"(","qty":4})");
    ok("op.complete", R"({"wo":")" + wo + R"(","step":"wash"})");
    ok("op.start", R"({"wo":")" + wo + R"(","step":"pack","equipment":"packer-1"})");
    ok("lot.produce", R"({"wo":")" + wo + R"(","step":"pack","lot":")" + into + R"(","qty":20})");
    ok("lot.release", R"({"lot":")" + into + R"("})");
  }

  void write_config(const std::string& text) {
    std::ofstream(ent_ / "enterprise.json", std::ios::trunc) << text;
  }
  // enterprise.json: plant-a and plant-b as their own ledgers (by GLN; plant-b also as
  // SITE-B), and `plant_c` as given; `top` adds settings before "sites".
  void write_sites(const std::string& plant_c, const std::string& top = "") {
    write_config("{" + top + R"("sites": [{"site": "plant-a", "own": true, "gln": ")" + kGlnA +
                 R"("}, {"site": "plant-b", "own": true, "gln": ")" + kGlnB +
                 R"(", "parties": ["SITE-B"]}, )" + plant_c + "]}");
  }

  std::unique_ptr<Enterprise> open() {
    auto e = Enterprise::open(ent_, clock_);
    EXPECT_TRUE(e) << e.error().message << " (" << e.error().field << ")";
    return e ? std::move(*e) : nullptr;
  }

  void expect_config_refused(const std::string& text, ErrorCode code, const std::string& field) {
    write_config(text);
    auto e = Enterprise::open(ent_, clock_);
    ASSERT_FALSE(e) << text;
    EXPECT_EQ(code_name(e.error().code), code_name(code)) << e.error().message;
    EXPECT_EQ(e.error().field, field) << e.error().message;
    EXPECT_FALSE(e.error().message.empty());
  }

  fs::path ent_ = tmp_ / "ent";
};

std::set<std::string> lots_of(const domain::EnterpriseRecall::Site& s) {
  std::set<std::string> out;
  for (const auto& l : s.report.lots) out.insert(l.lot);
  return out;
}

TEST_F(EnterpriseTest, ARecallFollowsShipmentsIntoTheSitesThatReceivedThem) {
  auto e = open();
  ASSERT_TRUE(e);
  auto r = e->recall("plant-a", "R-1");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->sites.size(), 3u);
  EXPECT_EQ(lots_of(r->sites[0]), (std::set<std::string>{"R-1", "F-1"}));
  // B-IN-3 came on a pallet plant-a never shipped, but it is plant-a's F-1 all the same; C-9 is
  // the farm's F-1.
  EXPECT_EQ(lots_of(r->sites[1]), (std::set<std::string>{"B-IN-1", "B-IN-2", "B-IN-3", "K-1"}));
  EXPECT_EQ(lots_of(r->sites[2]), (std::set<std::string>{"C-1"}));

  // Each receipt by the shipment lines that match it best.
  std::vector<std::tuple<std::string, std::string, std::string, std::string>> edges;
  for (const auto& edge : r->edges) {
    edges.emplace_back(edge.from_site + " " + edge.from_lot, edge.to_site + " " + edge.to_lot,
                       edge.basis, edge.shipment);
  }
  std::sort(edges.begin(), edges.end());
  EXPECT_EQ(edges, (std::vector<std::tuple<std::string, std::string, std::string, std::string>>{
                       {"plant-a F-1", "plant-b B-IN-1", "sscc", "BOL-7"},
                       {"plant-a F-1", "plant-b B-IN-2", "lot", "BOL-7"},
                       {"plant-a F-1", "plant-b B-IN-2", "lot", "BOL-8"},
                       {"plant-a F-1", "plant-b B-IN-3", "supplierLot", "BOL-7"},
                       {"plant-a F-1", "plant-b B-IN-3", "supplierLot", "BOL-8"},
                       {"plant-a F-1", "plant-b B-IN-3", "supplierLot", "BOL-9"},
                       {"plant-b K-1", "plant-c C-1", "bol", "BOL-C1"}}));
  for (const auto& edge : r->edges) {
    if (edge.basis == "sscc") {
      EXPECT_EQ(edge.sscc, kSscc);
      EXPECT_EQ(edge.shipped, 10'000);
      EXPECT_EQ(edge.received, 10'000);
    }
  }
  // The romaine sent to plant-c that plant-c has not received: said, not dropped.
  ASSERT_EQ(r->unfollowed.size(), 1u);
  EXPECT_EQ(r->unfollowed[0].from_site, "plant-a");
  EXPECT_EQ(r->unfollowed[0].to_site, "plant-c");
  EXPECT_EQ(r->unfollowed[0].shipment.shipment, "BOL-T1");
  EXPECT_EQ(r->unfollowed[0].shipment.lot, "R-1");
  // Customers to call are outside the enterprise: plant-b and plant-c are not among them.
  ASSERT_EQ(r->sites[0].report.customers.size(), 1u);
  EXPECT_EQ(r->sites[0].report.customers[0].customer, "dc");
  ASSERT_EQ(r->sites[1].report.customers.size(), 1u);
  EXPECT_EQ(r->sites[1].report.customers[0].customer, "shop");
  EXPECT_TRUE(r->sites[2].report.customers.empty());
  // Each site's own ledger is current by definition.
  for (const auto& s : r->sites) {
    EXPECT_FALSE(s.status.copy);
    EXPECT_FALSE(s.status.stale);
    EXPECT_GT(s.status.seq, 0u);
  }

  // From the middle: only what plant-b made and what followed it.
  auto mid = e->recall("plant-b", "B-IN-2");
  ASSERT_TRUE(mid);
  EXPECT_FALSE(mid->sites[0].reached);
  EXPECT_EQ(lots_of(mid->sites[1]), (std::set<std::string>{"B-IN-2"}));
  EXPECT_FALSE(mid->sites[2].reached);
  EXPECT_TRUE(mid->edges.empty());

  std::string out;
  codec::JsonWriter w(out);
  domain::write_enterprise_recall_json(*r, w);
  auto doc = boost::json::parse(out).as_object();
  EXPECT_EQ(doc.at("summary").at("sitesReached").to_number<std::uint64_t>(), 3u);
  EXPECT_EQ(doc.at("summary").at("crossSiteEdges").to_number<std::uint64_t>(), 7u);
  EXPECT_EQ(doc.at("summary").at("unfollowedTransfers").to_number<std::uint64_t>(), 1u);
  EXPECT_EQ(doc.at("unfollowedTransfers").as_array()[0].at("shipment"), "BOL-T1");
  EXPECT_EQ(doc.at("sites").as_array()[2].at("recall").at("scope").at("lots").as_array().size(),
            1u);
}

// site -> lots, from a trace.
std::map<std::string, std::set<std::string>> by_site(const domain::EnterpriseTrace& t) {
  std::map<std::string, std::set<std::string>> out;
  for (const auto& l : t.lots) out[t.sites[l.site].site].insert(l.lot);
  return out;
}

// A trace crosses the sites where the recall does, both ways, with the same answers from the
// sites' graphs (a server) as from their column families (the CLI); the graphs follow what the
// sites write after the open.
TEST_F(EnterpriseTest, ATraceCrossesSitesBothWaysFromGraphsAndFamiliesAlike) {
  auto walked = open();
  ASSERT_TRUE(walked);
  auto opened = Enterprise::open(ent_, clock_, {.graphs = true});
  ASSERT_TRUE(opened) << opened.error().message;
  auto graphs = std::move(*opened);
  EXPECT_EQ(graphs->graph_size().links, 4u);  // F-1 to B-IN-1, -2, -3; K-1 to C-1
  EXPECT_GT(graphs->graph_size().edges, 0u);
  EXPECT_EQ(walked->graph_size().edges, 0u);

  const std::map<std::string, std::set<std::string>> forward{
      {"plant-a", {"R-1", "F-1"}},
      {"plant-b", {"B-IN-1", "B-IN-2", "B-IN-3", "K-1"}},
      {"plant-c", {"C-1"}}};
  for (auto* e : {walked.get(), graphs.get()}) {
    auto t = e->trace("plant-a", "R-1", domain::Direction::kForward);
    ASSERT_TRUE(t) << t.error().message;
    EXPECT_EQ(t->graphs, e == graphs.get());
    EXPECT_EQ(by_site(*t), forward);
    for (const auto& l : t->lots) {
      const auto& site = t->sites[l.site].site;
      EXPECT_EQ(l.hops, site == "plant-a" ? 0u : site == "plant-b" ? 1u : 2u) << l.lot;
    }
    ASSERT_EQ(t->links.size(), 4u);
    EXPECT_EQ(t->links.back().from_lot, "K-1");
    EXPECT_EQ(t->links.back().to_lot, "C-1");
    // The recall reaches the same lots, site by site.
    auto r = e->recall("plant-a", "R-1");
    ASSERT_TRUE(r);
    for (const auto& s : r->sites) {
      EXPECT_EQ(lots_of(s), forward.at(s.status.site)) << s.status.site;
    }

    auto back = e->trace("plant-c", "C-1", domain::Direction::kBackward);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(
        by_site(*back),
        (std::map<std::string, std::set<std::string>>{
            {"plant-a", {"R-1", "F-1"}}, {"plant-b", {"B-IN-1", "K-1"}}, {"plant-c", {"C-1"}}}));
    // The farm's F-1 at plant-c is no sister site's lot: the trace stays there.
    auto farm = e->trace("plant-c", "C-9", domain::Direction::kBackward);
    ASSERT_TRUE(farm);
    EXPECT_EQ(farm->lots.size(), 1u);
    EXPECT_TRUE(farm->links.empty());

    for (auto [site, lot, field] :
         {std::tuple{"plant-x", "R-1", "site"}, std::tuple{"plant-a", "NOPE", "lot"}}) {
      auto bad = e->trace(site, lot, domain::Direction::kForward);
      ASSERT_FALSE(bad);
      EXPECT_EQ(bad.error().code, ErrorCode::kNotFound);
      EXPECT_EQ(bad.error().field, field);
    }
  }

  // plant-c splits C-1 and receives more of K-1 while the enterprise is open: after a refresh,
  // the graphs hold the split and the new crossing.
  dir_ = ent_ / "plant-c";
  reopen();
  ok("lot.split", R"({"lot":"C-1","into":[{"lot":"C-1a","qty":1}]})");
  ok("lot.receive", R"({"lot":"C-2","material":"romaine","qty":1,"uom":"kg","supplier":"SITE-B",)"
                    R"("supplierLot":"K-1"})");
  ledger_.reset();
  graphs->refresh();
  walked->refresh();
  for (auto* e : {walked.get(), graphs.get()}) {
    auto t = e->trace("plant-a", "R-1", domain::Direction::kForward);
    ASSERT_TRUE(t) << t.error().message;
    EXPECT_EQ(by_site(*t)["plant-c"], (std::set<std::string>{"C-1", "C-1a", "C-2"}));
    EXPECT_EQ(t->links.size(), 5u);
  }

  std::string out;
  codec::JsonWriter w(out);
  auto t = graphs->trace("plant-a", "R-1", domain::Direction::kForward);
  ASSERT_TRUE(t);
  domain::write_enterprise_trace_json(*t, w);
  auto doc = boost::json::parse(out).as_object();
  EXPECT_EQ(doc.at("direction"), "forward");
  EXPECT_EQ(doc.at("fromGraphs"), true);
  EXPECT_EQ(doc.at("summary").at("lots").to_number<std::uint64_t>(), 9u);
  EXPECT_EQ(doc.at("summary").at("sitesReached").to_number<std::uint64_t>(), 3u);
  EXPECT_EQ(doc.at("summary").at("crossSiteLinks").to_number<std::uint64_t>(), 5u);
  EXPECT_EQ(doc.at("links").as_array()[0].at("fromSite"), "plant-a");
  EXPECT_EQ(doc.at("sites").as_array()[2].at("lots").to_number<std::uint64_t>(), 3u);
}

TEST_F(EnterpriseTest, ACopySaysHowOldItIsAndAnUnknownSiteOrLotIsNotFound) {
  // plant-c becomes a follower's copy.
  dir_ = ent_ / "plant-c";
  reopen();
  const fs::path copy = ent_ / "plant-c-copy";
  {
    ASSERT_TRUE(ledger_->checkpoint());
    auto batches = ledger::read_batches(ledger_->store(), 0);
    ASSERT_TRUE(batches);
    auto r = ledger::Replica::open(copy, "plant-c", ledger_->meta().node_public_key,
                                   domain::make_state_machine());
    ASSERT_TRUE(r) << r.error().message;
    for (const auto& b : *batches) ASSERT_TRUE((*r)->offer(b, "p"));
  }
  ledger_.reset();
  write_sites(R"({"site": "plant-c", "dir": "plant-c-copy", "parties": ["PLANT-C"]})",
              R"("staleAfterSeconds": 60, )");
  auto e = open();
  ASSERT_TRUE(e);
  auto with_graphs = Enterprise::open(ent_, clock_, {.graphs = true});
  ASSERT_TRUE(with_graphs) << with_graphs.error().message;
  auto g = std::move(*with_graphs);
  auto status = e->status();
  ASSERT_EQ(status.size(), 3u);
  EXPECT_TRUE(status[2].copy);
  EXPECT_TRUE(status[2].stale) << "a copy whose follower never said it was current";
  EXPECT_EQ(status[2].synced_at, 0);

  ASSERT_TRUE(domain::write_synced(copy, status[2].seq, clock_.now()));
  status = e->status();
  EXPECT_FALSE(status[2].stale);
  EXPECT_EQ(status[2].synced_at, clock_.now());
  clock_.advance(90LL * 1'000'000'000);
  status = e->status();
  EXPECT_TRUE(status[2].stale);
  EXPECT_NEAR(status[2].age_seconds, 90, 0.01);
  // The recall crosses into the copy the same, and says the copy is stale.
  auto r = e->recall("plant-a", "R-1");
  ASSERT_TRUE(r);
  EXPECT_EQ(lots_of(r->sites[2]), (std::set<std::string>{"C-1"}));
  EXPECT_TRUE(r->sites[2].status.stale);

  auto no_site = e->recall("plant-z", "R-1");
  ASSERT_FALSE(no_site);
  EXPECT_EQ(code_name(no_site.error().code), "not_found");
  EXPECT_EQ(no_site.error().field, "site");
  auto no_lot = e->recall("plant-a", "NOPE");
  ASSERT_FALSE(no_lot);
  EXPECT_EQ(code_name(no_lot.error().code), "not_found");
  EXPECT_EQ(no_lot.error().field, "lot");

  // The copy grows while the enterprise is open (a follower writing beside it): a refresh
  // shows it. The romaine plant-a sent reaches plant-c, from its own party for plant-a.
  {
    dir_ = ent_ / "plant-c";
    reopen();
    ok("party.define", R"({"party":"PLANT-A","name":"Plant A","role":"supplier","gln":")" +
                           std::string(kGlnA) + "\"}");
    ok("lot.receive",
       R"({"lot":"C-2","material":"romaine","qty":5,"uom":"kg","supplier":"PLANT-A",)"
       R"("supplierLot":"R-1","document":"BOL-T1"})");
    ASSERT_TRUE(ledger_->checkpoint());
    auto more = ledger::read_batches(ledger_->store(), e->status()[2].seq);
    ASSERT_TRUE(more);
    auto r2 = ledger::Replica::open(copy, "plant-c", ledger_->meta().node_public_key,
                                    domain::make_state_machine());
    ASSERT_TRUE(r2) << r2.error().message;
    for (const auto& b : *more) ASSERT_TRUE((*r2)->offer(b, "q"));
    ledger_.reset();
  }
  e->refresh();
  auto grown = e->recall("plant-a", "R-1");
  ASSERT_TRUE(grown);
  EXPECT_EQ(lots_of(grown->sites[2]), (std::set<std::string>{"C-1", "C-2"}));
  EXPECT_TRUE(grown->unfollowed.empty());
  // The same from the graphs, which took the copy's new records at the refresh.
  g->refresh();
  auto from_graphs = g->recall("plant-a", "R-1");
  ASSERT_TRUE(from_graphs);
  EXPECT_EQ(lots_of(from_graphs->sites[2]), (std::set<std::string>{"C-1", "C-2"}));
  // Its close saves the copy's graph beside the enterprise, never in the copy; the next open
  // reads it (and a damaged one is only a slower open).
  g.reset();
  const fs::path saved = ent_ / domain::kGraphsDir / "plant-c.graph";
  EXPECT_TRUE(fs::exists(saved));
  EXPECT_FALSE(fs::exists(copy / "genealogy.graph"));
  EXPECT_FALSE(fs::exists(ent_ / domain::kGraphsDir / "plant-a.graph"));  // plant-a's own
  for (bool damage : {false, true}) {
    if (damage) fs::resize_file(saved, fs::file_size(saved) - 8);
    auto again = Enterprise::open(ent_, clock_, {.graphs = true});
    ASSERT_TRUE(again) << again.error().message;
    auto t = (*again)->trace("plant-a", "R-1", domain::Direction::kForward);
    ASSERT_TRUE(t);
    EXPECT_TRUE(t->graphs);
    EXPECT_EQ(by_site(*t)["plant-c"], (std::set<std::string>{"C-1", "C-2"})) << damage;
  }

  // A copy named as another site is refused, and so is a copy called the site's own.
  expect_config_refused(R"({"sites": [{"site": "plant-b", "dir": "plant-c-copy"}]})",
                        ErrorCode::kInvalidArgument, "sites[0].site");
  expect_config_refused(R"({"sites": [{"site": "plant-c", "dir": "plant-c-copy", "own": true}]})",
                        ErrorCode::kInvalidArgument, "sites[0].own");
  // A ledger that is not a copy must be said to be the site's own.
  expect_config_refused(R"({"sites": [{"site": "plant-a"}]})", ErrorCode::kInvalidArgument,
                        "sites[0].dir");
}

TEST_F(EnterpriseTest, GoodsThatComeBackToTheirFirstSiteAreFollowedAndTheRecallEnds) {
  // plant-c sends part of C-1 back to plant-a, which receives it against that bill of lading.
  dir_ = ent_ / "plant-c";
  reopen();
  ok("party.define", R"({"party":"PLANT-A","name":"Plant A","role":"customer","gln":")" +
                         std::string(kGlnA) + "\"}");
  ok("lot.ship", R"({"lot":"C-1","qty":1,"customer":"PLANT-A","shipment":"BOL-R1"})");
  dir_ = ent_ / "plant-a";
  reopen();
  ok("party.define", R"({"party":"PLANT-C-SUP","name":"Plant C","role":"supplier"})");
  ok("lot.receive",
     R"({"lot":"A-RET-1","material":"romaine","qty":1,"uom":"kg","supplier":"PLANT-C-SUP",)"
     R"("supplierLot":"C-1","document":"BOL-R1"})");
  ledger_.reset();
  write_sites(R"({"site": "plant-c", "own": true, "parties": ["PLANT-C", "PLANT-C-SUP"]})");
  auto e = open();
  ASSERT_TRUE(e);
  auto r = e->recall("plant-a", "R-1");
  ASSERT_TRUE(r) << r.error().message;
  // Around the loop and back: plant-a's report now starts from R-1 and the returned lot.
  EXPECT_EQ(lots_of(r->sites[0]), (std::set<std::string>{"R-1", "F-1", "A-RET-1"}));
  EXPECT_EQ(r->sites[0].report.starts, (std::vector<std::string>{"A-RET-1", "R-1"}));
  const auto back = std::find_if(r->edges.begin(), r->edges.end(),
                                 [](const auto& edge) { return edge.to_site == "plant-a"; });
  ASSERT_NE(back, r->edges.end());
  EXPECT_EQ(back->from_site + " " + back->from_lot, "plant-c C-1");
  EXPECT_EQ(back->to_lot, "A-RET-1");
  EXPECT_EQ(back->basis, "bol");
  // Starting from the returned lot reaches nothing else.
  auto from_return = e->recall("plant-a", "A-RET-1");
  ASSERT_TRUE(from_return);
  EXPECT_EQ(lots_of(from_return->sites[0]), (std::set<std::string>{"A-RET-1"}));
  EXPECT_FALSE(from_return->sites[1].reached);
}

TEST_F(EnterpriseTest, BadSettingsAreRefusedWithTheirPath) {
  expect_config_refused("[]", ErrorCode::kInvalidArgument, "enterprise");
  expect_config_refused("{\"sites\": []}", ErrorCode::kInvalidArgument, "enterprise.sites");
  expect_config_refused(R"({"sites": [{"site": "plant-a"}], "stale": 3})",
                        ErrorCode::kInvalidArgument, "enterprise.stale");
  expect_config_refused(R"({"sites": [{"site": "plant-a"}], "staleAfterSeconds": 0})",
                        ErrorCode::kInvalidArgument, "enterprise.staleAfterSeconds");
  expect_config_refused(R"({"sites": [{"site": "plant a"}]})", ErrorCode::kInvalidArgument,
                        "enterprise.sites[0].site");
  expect_config_refused(R"({"sites": [{"site": "plant-a", "gln": "123"}]})",
                        ErrorCode::kInvalidArgument, "enterprise.sites[0].gln");
  expect_config_refused(R"({"sites": [{"site": "plant-a"}, {"site": "plant-a"}]})",
                        ErrorCode::kInvalidArgument, "enterprise.sites[1].site");
  expect_config_refused(
      R"({"sites": [{"site": "plant-a", "parties": ["X"]}, {"site": "plant-b", "parties": ["X"]}]})",
      ErrorCode::kInvalidArgument, "enterprise.sites[1].parties");
  expect_config_refused(R"({"sites": [{"site": "plant-a", "parties": [7]}]})",
                        ErrorCode::kInvalidArgument, "enterprise.sites[0].parties[0]");
  expect_config_refused(R"({"sites": [{"site": "plant-a", "colour": "red"}]})",
                        ErrorCode::kInvalidArgument, "enterprise.sites[0].colour");
  expect_config_refused(R"({"sites": [{"site": "plant-a", "own": "yes"}]})",
                        ErrorCode::kInvalidArgument, "enterprise.sites[0].own");
  expect_config_refused(R"({"sites": [{"site": "nowhere"}]})", ErrorCode::kNotALedger,
                        "sites[0].dir");
  fs::remove(ent_ / "enterprise.json");
  auto none = Enterprise::open(ent_, clock_);
  ASSERT_FALSE(none);
  EXPECT_EQ(code_name(none.error().code), "not_found");
  EXPECT_EQ(none.error().field, "dir");
}

TEST_F(EnterpriseTest, AShipmentsSsccIsCheckedAndKept) {
  dir_ = ent_ / "plant-a";
  reopen();
  expect_rejected("lot.ship",
                  R"({"lot":"F-1","qty":1,"customer":"dc","shipment":"B","sscc":"12345"})",
                  ErrorCode::kInvalidArgument, "data.sscc");
  expect_rejected(
      "lot.ship",
      R"({"lot":"F-1","qty":1,"customer":"dc","shipment":"B","sscc":"106141411234567890"})",
      ErrorCode::kInvalidArgument, "data.sscc");
  auto snap = ledger_->snapshot();
  domain::RecallScope scope;
  scope.lot = "F-1";
  auto r = domain::build_recall(*snap, scope, nullptr);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->shipments.size(), 3u);
  EXPECT_EQ(r->shipments[0].sscc, kSscc);
  EXPECT_EQ(r->shipments[1].sscc, kSecondSscc);
  EXPECT_EQ(r->shipments[2].sscc, "");
}

}  // namespace
}  // namespace custody::testing
