// Partners' EPCIS 2.0 documents as evidence: each event stored once under its id, a re-sent
// document adding nothing, bad events refused by the rule itself, and a trace that crosses
// the plant's gate into a supplier's and a customer's events, each hop naming its evidence.
#include "custody/domain/epcis_import.h"

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>

#include "custody/domain/recall.h"
#include "custody/domain/views.h"
#include "custody/epcis/gs1_keys.h"
#include "domain/plant_fixture.h"

namespace custody::testing {
namespace {

namespace json = boost::json;

std::string str(const json::value& v) {
  return std::string(v.as_string());
}

// A GTIN-14 with its check digit, from 13 digits.
std::string gtin(const std::string& first13) {
  return first13 + epcis::gs1_check_digit(first13);
}

std::string lgtin(const std::string& gtin14, const std::string& lot) {
  return "https://id.gs1.org/01/" + gtin14 + "/10/" + lot;
}

std::string document(const std::string& events) {
  return R"({"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",)"
         R"({"farm":"https://farm.example.com/epcis/"}],"type":"EPCISDocument",)"
         R"("schemaVersion":"2.0","creationDate":"2026-11-20T10:00:00Z",)"
         R"("epcisBody":{"eventList":[)" +
         events + "]}}";
}

std::string transformation(const std::string& in, const std::string& out, const std::string& at) {
  return R"({"type":"TransformationEvent","eventTime":")" + at +
         R"(","eventTimeZoneOffset":"-08:00","inputQuantityList":[{"epcClass":")" + in +
         R"(","quantity":500,"uom":"KGM"}],"outputQuantityList":[{"epcClass":")" + out +
         R"(","quantity":400,"uom":"KGM"}],"bizStep":"commissioning",)"
         R"("readPoint":{"id":"https://id.gs1.org/414/0614141000111"}})";
}

std::string observe(const std::string& what, const std::string& step, const std::string& at) {
  return R"({"type":"ObjectEvent","eventTime":")" + at +
         R"(","eventTimeZoneOffset":"-08:00","action":"OBSERVE","quantityList":[{"epcClass":")" +
         what + R"(","quantity":400,"uom":"KGM"}],"bizStep":")" + step + R"("})";
}

class EpcisImport : public PlantTest {
 protected:
  // Spinach (with a GTIN) from the farm's lot SP-77 into WO-1, which makes kit K-1, shipped to
  // the DC. Romaine has no GTIN: its lot GF-9 can only be matched by the supplier's lot code.
  void SetUp() override {
    PlantTest::SetUp();
    master_data();
    ok("material.define", R"({"material":"spinach","name":"Spinach","uom":"kg","kind":"raw",)"
                          R"("gtin":")" +
                              spinach_ + R"("})");
    ok("material.define", R"({"material":"kit","name":"Salad kit","uom":"ea","kind":"finished",)"
                          R"("gtin":")" +
                              kit_ + R"("})");
    receive("S-1", 100, "spinach", "SP-77");
    receive("R-9", 50, "romaine", "GF-9");
    ok("routing.define",
       R"({"routing":"kit-r","material":"kit","steps":[{"step":"pack",)"
       R"("workCenter":"pack","inputs":[{"material":"spinach","qtyPerUnit":1}]}]})");
    ok("wo.create", R"({"wo":"WO-1","material":"kit","qty":40,"routing":"kit-r",)"
                    R"("due":"2026-11-22T00:00:00Z"})");
    ok("wo.release", R"({"wo":"WO-1"})");
    ok("op.start", R"({"wo":"WO-1","step":"pack","equipment":"packer-1"})");
    ok("lot.consume", R"({"wo":"WO-1","step":"pack","lot":"S-1","qty":40})");
    ok("lot.produce", R"({"wo":"WO-1","step":"pack","lot":"K-1","qty":40,"material":"kit"})");
    ok("lot.ship", R"({"lot":"K-1","qty":40,"customer":"dc","shipment":"BOL-1"})");
  }

  // Plans the import as `custody epcis import` does and submits what is new; returns the plan.
  domain::EpcisImportPlan import(const std::string& doc, const std::string& partner) {
    auto snap = ledger_->snapshot();
    auto plan = domain::plan_epcis_import(*snap, doc, "test.jsonld", partner);
    EXPECT_TRUE(plan) << plan.error().message << " at " << plan.error().field;
    if (!plan) return {};
    for (const auto& item : plan->fresh) ok("epcis.capture", item.data_json);
    return *plan;
  }

  json::object trace(const std::string& lot, domain::Direction direction) {
    auto snap = ledger_->snapshot();
    auto t = domain::trace_lot(*snap, lot, direction, 0);
    EXPECT_TRUE(t);
    std::string out;
    codec::JsonWriter w(out);
    domain::write_trace_answer(*snap, lot, direction, 0, *t, w);
    return json::parse(out).as_object();
  }

  const std::string spinach_ = gtin("1061414110012");
  const std::string kit_ = gtin("1061414110013");
  const std::string seed_ = gtin("1061414110014");
  const std::string meal_ = gtin("1061414110015");
};

// The farm grew SP-77 from seed lot SEED-1 and shipped it; the DC received K-1 and made meals
// of it. custody received SP-77 as S-1 and made K-1 of it: trace K-1 back and the farm's events
// come with it, S-1 forward and the DC's; each partner hop names its document and event.
TEST_F(EpcisImport, ATraceCrossesThePlantGateIntoPartnersEvidence) {
  const std::string farm_doc = document(
      transformation(lgtin(seed_, "SEED-1"), lgtin(spinach_, "SP-77"), "2026-11-10T06:00:00Z") +
      "," + observe(lgtin(spinach_, "SP-77"), "shipping", "2026-11-11T06:00:00Z") + "," +
      transformation(lgtin(seed_, "SOIL-1"), lgtin(seed_, "SEED-1"), "2026-03-01T06:00:00Z"));
  const auto farm = import(farm_doc, "farm");
  EXPECT_EQ(farm.events, 3u);
  EXPECT_EQ(farm.fresh.size(), 3u);
  const std::string dc_doc =
      document(observe(lgtin(kit_, "K-1"), "receiving", "2026-11-22T09:00:00Z") + "," +
               transformation(lgtin(kit_, "K-1"), lgtin(meal_, "M-5"), "2026-11-23T09:00:00Z"));
  import(dc_doc, "dc");

  const auto back = trace("K-1", domain::Direction::kBackward);
  const auto& hops = back.at("partnerEvents").as_array();
  ASSERT_EQ(hops.size(), 3u) << json::serialize(back);
  std::map<std::string, json::object> by_step;
  for (const auto& h : hops) {
    EXPECT_EQ(str(h.at("lot")), "S-1");
    EXPECT_EQ(str(h.at("evidence").at("by")), "farm");
    EXPECT_EQ(str(h.at("evidence").at("document")), "test.jsonld");
    EXPECT_EQ(str(h.at("evidence").at("filedBy")), "user:test");
    EXPECT_TRUE(str(h.at("evidence").at("eventId")).starts_with("ni:///sha-256;"));
    by_step[str(h.at("eventTime"))] = h.as_object();
  }
  EXPECT_EQ(str(by_step.at("2026-11-11T06:00:00Z").at("bizStep")), "shipping");
  EXPECT_EQ(by_step.at("2026-11-11T06:00:00Z").at("depth").as_int64(), 1);
  EXPECT_EQ(str(by_step.at("2026-11-10T06:00:00Z").at("role")), "output");
  EXPECT_EQ(by_step.at("2026-11-10T06:00:00Z").at("depth").as_int64(), 1);
  // The seed lot's own making is one hop further, joined by the seed lot's identifier.
  EXPECT_EQ(by_step.at("2026-03-01T06:00:00Z").at("depth").as_int64(), 2);
  EXPECT_EQ(str(by_step.at("2026-03-01T06:00:00Z").at("identifier")), lgtin(seed_, "SEED-1"));
  for (const auto& e : back.at("edges").as_array()) EXPECT_EQ(str(e.at("evidence")), "custody");

  const auto fwd = trace("S-1", domain::Direction::kForward);
  const auto& down = fwd.at("partnerEvents").as_array();
  ASSERT_EQ(down.size(), 2u) << json::serialize(fwd);
  for (const auto& h : down) {
    EXPECT_EQ(str(h.at("lot")), "K-1");
    EXPECT_EQ(str(h.at("identifier")), lgtin(kit_, "K-1"));
    EXPECT_EQ(str(h.at("evidence").at("by")), "dc");
  }
  // A lot that never left the plant reaches nobody's events.
  EXPECT_TRUE(trace("R-9", domain::Direction::kForward).at("partnerEvents").as_array().empty());

  // The recall of S-1 has the DC's events, also in its CSV: rows of their own, with the
  // partner, the event and the evidence record in the last columns.
  auto snap = ledger_->snapshot();
  domain::RecallScope scope;
  scope.lot = "S-1";
  auto recall = domain::build_recall(*snap, scope, nullptr);
  ASSERT_TRUE(recall) << recall.error().message;
  ASSERT_EQ(recall->partner_events.size(), 2u);
  const std::string csv = domain::recall_csv(*recall);
  std::vector<std::vector<std::string>> rows;
  std::size_t at = 0;
  while (at < csv.size()) {
    const std::size_t end = csv.find('\n', at);
    std::vector<std::string> cells;
    std::size_t from = at;
    for (std::size_t comma; (comma = csv.find(',', from)) < end; from = comma + 1) {
      cells.push_back(csv.substr(from, comma - from));
    }
    cells.push_back(csv.substr(from, end - from));
    rows.push_back(std::move(cells));
    at = end + 1;
  }
  const auto& header = rows.front();
  ASSERT_EQ(header.size(), 28u);
  EXPECT_EQ(header[20], "partner");
  EXPECT_EQ(header[27], "evidence_seq");
  std::size_t partner_rows = 0;
  for (const auto& cells : rows) {
    ASSERT_EQ(cells.size(), header.size()) << "every row has every column";
    if (cells[0] != "partner_event") continue;
    ++partner_rows;
    EXPECT_EQ(cells[1], "K-1");
    EXPECT_EQ(cells[20], "dc");
    EXPECT_TRUE(cells[21].starts_with("ni:///sha-256;"));
    EXPECT_EQ(cells[24], lgtin(kit_, "K-1"));
    EXPECT_NE(std::stoull(cells[27]), 0u);
  }
  EXPECT_EQ(partner_rows, 2u);
}

// A receipt that names the pallet's SSCC meets the supplier's events about the pallet: its
// shipping, and the packing that put a lot on it (which custody knows by no other name),
// and on to how that lot was made. The SSCC may be written as a URN or a Digital Link.
TEST_F(EpcisImport, AReceivedPalletsSsccLeadsToTheLotsPackedOnIt) {
  ok("lot.receive", R"({"lot":"S-2","material":"spinach","qty":40,"uom":"kg","supplier":"farm",)"
                    R"("supplierLot":"PAL-1","sscc":"106141412345678908"})");
  const std::string packing =
      R"({"type":"AggregationEvent","eventTime":"2026-11-12T05:00:00Z",)"
      R"("eventTimeZoneOffset":"-08:00","action":"ADD","bizStep":"packing",)"
      R"("parentID":"urn:epc:id:sscc:0614141.1234567890","childQuantityList":[{"epcClass":")" +
      lgtin(seed_, "MIX-1") + R"(","quantity":40,"uom":"KGM"}]})";
  const std::string shipping =
      R"({"type":"ObjectEvent","eventTime":"2026-11-12T06:00:00Z","eventTimeZoneOffset":"-08:00",)"
      R"("action":"OBSERVE","bizStep":"shipping","epcList":["https://id.gs1.org/00/106141412345678908"]})";
  import(document(
             packing + "," + shipping + "," +
             transformation(lgtin(seed_, "SOIL-2"), lgtin(seed_, "MIX-1"), "2026-11-01T06:00:00Z")),
         "farm");
  const auto back = trace("S-2", domain::Direction::kBackward);
  const auto& hops = back.at("partnerEvents").as_array();
  ASSERT_EQ(hops.size(), 3u) << json::serialize(back);
  std::map<std::string, json::object> by_type;
  for (const auto& h : hops) by_type[str(h.at("eventType"))] = h.as_object();
  EXPECT_EQ(str(by_type.at("ObjectEvent").at("identifier")),
            "https://id.gs1.org/00/106141412345678908");
  EXPECT_EQ(str(by_type.at("ObjectEvent").at("bizStep")), "shipping");
  EXPECT_EQ(str(by_type.at("AggregationEvent").at("role")), "output");
  EXPECT_EQ(by_type.at("TransformationEvent").at("depth").as_int64(), 2);
  EXPECT_EQ(str(by_type.at("TransformationEvent").at("identifier")), lgtin(seed_, "MIX-1"));
  // A receipt without an SSCC reaches none of it.
  EXPECT_TRUE(trace("R-9", domain::Direction::kBackward).at("partnerEvents").as_array().empty());
}

// A part split off a received lot keeps the supplier's lot (FSMA 204: a split makes no new
// traceability lot): shipped, it is the class SP-77, and the customer's receipt of SP-77
// continues the part's trace.
TEST_F(EpcisImport, ASplitPartIsItsParentsLotToTheCustomer) {
  ok("lot.split", R"({"lot":"S-1","into":[{"lot":"S-1a","qty":20}]})");
  ok("lot.split", R"({"lot":"S-1a","into":[{"lot":"S-1b","qty":5}]})");
  ok("lot.ship", R"({"lot":"S-1b","qty":5,"customer":"dc","shipment":"BOL-2"})");
  import(document(observe(lgtin(spinach_, "SP-77"), "receiving", "2026-11-24T09:00:00Z")), "dc");
  const auto fwd = trace("S-1b", domain::Direction::kForward);
  const auto& down = fwd.at("partnerEvents").as_array();
  ASSERT_EQ(down.size(), 1u) << json::serialize(fwd);
  EXPECT_EQ(str(down.at(0).at("lot")), "S-1b");
  EXPECT_EQ(str(down.at(0).at("identifier")), lgtin(spinach_, "SP-77"));
  EXPECT_EQ(str(down.at(0).at("evidence").at("by")), "dc");
}

// A supplier that ships under a GTIN custody does not know still names its lot code; the same
// code from another partner is another lot.
TEST_F(EpcisImport, AReceiptIsMatchedByTheSuppliersLotCode) {
  ok("party.define", R"({"party":"mill","name":"Other Mill","role":"supplier"})");
  import(document(observe(lgtin(meal_, "GF-9"), "shipping", "2026-11-11T05:00:00Z")), "mill");
  import(document(observe(lgtin(seed_, "GF-9"), "shipping", "2026-11-11T06:00:00Z")), "farm");
  const auto back = trace("R-9", domain::Direction::kBackward);
  const auto& hops = back.at("partnerEvents").as_array();
  ASSERT_EQ(hops.size(), 1u) << json::serialize(back);
  EXPECT_EQ(str(hops.at(0).at("identifier")), "lot code GF-9");
  EXPECT_EQ(str(hops.at(0).at("role")), "object");
}

// The same document twice, or an event twice in one document, stores each event once.
TEST_F(EpcisImport, AReSentEventIsADuplicateNotASecondRecord) {
  const std::string event = observe(lgtin(spinach_, "SP-77"), "shipping", "2026-11-11T06:00:00Z");
  const auto first = import(document(event + "," + event), "farm");
  EXPECT_EQ(first.fresh.size(), 1u);
  EXPECT_EQ(first.duplicates.size(), 1u);
  const auto head = ledger_->head().seq;
  const auto again = import(document(event), "farm");
  EXPECT_TRUE(again.fresh.empty());
  EXPECT_EQ(again.duplicates.size(), 1u);
  EXPECT_EQ(ledger_->head().seq, head);
  // Sent straight to the rule, it is refused.
  auto snap = ledger_->snapshot();
  const std::string data = R"({"event":)" + event + R"(,"source":"x"})";
  expect_rejected("epcis.capture", data, ErrorCode::kAlreadyExists, "data.event/eventID");
  // An eventID custody holds, with other content, is not a duplicate: the document is refused.
  std::string changed = event;
  changed.replace(changed.find("\"quantity\":400"), 14, "\"quantity\":401");
  const std::string id = R"({"eventID":"urn:uuid:6a1f0c1e-1111-4a4a-9b9b-000000000001",)";
  // An eventID the partner gave is the key, whatever the content's hash.
  const std::string with_id =
      R"({"eventID":"urn:uuid:6a1f0c1e-1111-4a4a-9b9b-000000000001",)" + event.substr(1);
  const auto named = import(document(with_id), "farm");
  ASSERT_EQ(named.fresh.size(), 1u);
  EXPECT_EQ(named.fresh[0].event_id, "urn:uuid:6a1f0c1e-1111-4a4a-9b9b-000000000001");
  auto conflict = domain::plan_epcis_import(*ledger_->snapshot(), document(id + changed.substr(1)),
                                            "x", "farm");
  ASSERT_FALSE(conflict);
  EXPECT_EQ(conflict.error().field, "/epcisBody/eventList/0/eventID");
  EXPECT_NE(conflict.error().message.find("other content"), std::string::npos);
  expect_rejected("epcis.capture", R"({"event":)" + id + changed.substr(1) + R"(,"source":"x"})",
                  ErrorCode::kInvalidArgument, "data.event/eventID");
}

// A partner retracts an event by sending it again with an errorDeclaration: recorded once,
// after the event in its stream; the trace still lists the event, flagged with the reason,
// and goes no further through it.
TEST_F(EpcisImport, APartnersErrorDeclarationIsRecordedOnceAndStopsTheTrace) {
  const std::string harvest =
      R"({"eventID":"urn:uuid:0d7c7a4e-0000-4000-8000-000000000001",)" +
      transformation(lgtin(seed_, "SEED-1"), lgtin(spinach_, "SP-77"), "2026-11-10T06:00:00Z")
          .substr(1);
  const std::string seed =
      transformation(lgtin(seed_, "SOIL-1"), lgtin(seed_, "SEED-1"), "2026-03-01T06:00:00Z");
  import(document(harvest + "," + seed), "farm");
  ASSERT_EQ(trace("S-1", domain::Direction::kBackward).at("partnerEvents").as_array().size(), 2u);

  const std::string declared =
      harvest.substr(0, harvest.size() - 1) +
      R"(,"errorDeclaration":{"declarationTime":"2026-11-12T08:00:00Z","reason":"incorrect_data"}})";
  const auto head = ledger_->head().seq;
  const auto retraction = import(document(declared), "farm");
  ASSERT_EQ(retraction.fresh.size(), 1u) << "a retraction is not a duplicate";
  EXPECT_EQ(ledger_->head().seq, head + 1);
  EXPECT_EQ(import(document(declared), "farm").duplicates.size(), 1u) << "but only once";
  EXPECT_EQ(import(document(harvest), "farm").duplicates.size(), 1u);
  expect_rejected("epcis.capture", R"({"event":)" + declared + R"(,"source":"x","partner":"farm"})",
                  ErrorCode::kAlreadyExists, "data.event/errorDeclaration");
  // Only the partner who sent an event may retract it.
  const std::string other =
      R"({"eventID":"urn:uuid:0d7c7a4e-0000-4000-8000-000000000002",)" + seed.substr(1);
  import(document(other), "farm");
  const std::string other_declared =
      other.substr(0, other.size() - 1) +
      R"(,"errorDeclaration":{"declarationTime":"2026-11-12T08:00:00Z"}})";
  auto snap = ledger_->snapshot();
  auto theirs = domain::plan_epcis_import(*snap, document(other_declared), "x", "dc");
  ASSERT_FALSE(theirs);
  EXPECT_EQ(theirs.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(theirs.error().field, "partner");
  expect_rejected("epcis.capture",
                  R"({"event":)" + other_declared + R"(,"source":"x","partner":"dc"})",
                  ErrorCode::kPermissionDenied, "data.partner");

  const auto back = trace("S-1", domain::Direction::kBackward);
  const auto& hops = back.at("partnerEvents").as_array();
  ASSERT_EQ(hops.size(), 1u) << json::serialize(back);
  EXPECT_EQ(str(hops.at(0).at("evidence").at("eventId")),
            "urn:uuid:0d7c7a4e-0000-4000-8000-000000000001");
  EXPECT_EQ(str(hops.at(0).at("errorDeclared").at("reason")), "incorrect_data");
}

// The rule checks what it stores, so an event sent as a command (not through the importer)
// meets the same refusals; each writes nothing.
TEST_F(EpcisImport, TheRuleRefusesWhatTheImporterWouldAndWritesNothing) {
  const std::string good = observe(lgtin(spinach_, "SP-77"), "shipping", "2026-11-11T06:00:00Z");
  std::string bad_step = good;
  bad_step.replace(bad_step.find("\"shipping\""), 10, "\"in_transport\"");
  expect_rejected("epcis.capture", R"({"event":)" + bad_step + R"(,"source":"x"})",
                  ErrorCode::kInvalidArgument, "data.event/bizStep");
  expect_rejected("epcis.capture", R"({"event":[1],"source":"x"})", ErrorCode::kInvalidArgument,
                  "data.event");
  expect_rejected("epcis.capture", R"({"event":)" + good + R"(,"source":"x","context":7})",
                  ErrorCode::kInvalidArgument, "data.context");
  expect_rejected("epcis.capture", R"({"event":)" + good + R"(,"source":"x","partner":"nobody"})",
                  ErrorCode::kNotFound, "data.partner");
}

// The importer refuses a whole document for one bad event, with the JSON pointer of the value,
// and an unknown partner; a document with a byte order mark is not JSON text to exchange.
TEST_F(EpcisImport, APlanIsRefusedWholeWithThePointerOfTheFirstProblem) {
  auto snap = ledger_->snapshot();
  const std::string good = observe(lgtin(spinach_, "SP-77"), "shipping", "2026-11-11T06:00:00Z");
  std::string bad = good;
  bad.replace(bad.find("\"OBSERVE\""), 9, "\"CREATE\"");
  auto refused = domain::plan_epcis_import(*snap, document(good + "," + bad), "x", "");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().field, "/epcisBody/eventList/1/action");
  auto bom = domain::plan_epcis_import(*snap, "\xEF\xBB\xBF" + document(good), "x", "");
  ASSERT_FALSE(bom);
  EXPECT_NE(bom.error().message.find("byte order mark"), std::string::npos);
  auto nobody = domain::plan_epcis_import(*snap, document(good), "x", "nobody");
  ASSERT_FALSE(nobody);
  EXPECT_EQ(nobody.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(nobody.error().field, "partner");
  auto control = domain::plan_epcis_import(*snap, document(good), "a\x1b[2Jb", "");
  ASSERT_FALSE(control);
  EXPECT_EQ(control.error().field, "source");
  // An event larger than custody keeps of one is refused before anything is written.
  std::string big = good;
  big.insert(big.size() - 1, R"(,"farm:note":")" + std::string(70'000, 'x') + "\"");
  auto large = domain::plan_epcis_import(*snap, document(good + "," + big), "x", "");
  ASSERT_FALSE(large);
  EXPECT_EQ(large.error().field, "/epcisBody/eventList/1");
  // Every record keeps the document's @context, so a large one is refused whole.
  std::string wide = document(good);
  wide.insert(wide.find("{\"farm\""), R"({"pad":")" + std::string(9000, 'p') + R"(:"},)");
  auto context = domain::plan_epcis_import(*snap, wide, "x", "");
  ASSERT_FALSE(context);
  EXPECT_EQ(context.error().field, "/@context") << context.error().message;
  EXPECT_NE(context.error().message.find("bytes custody keeps"), std::string::npos);
  auto not_json = domain::plan_epcis_import(*snap, "{", "x", "");
  ASSERT_FALSE(not_json);
  EXPECT_EQ(not_json.error().field, "");
}

// Every example document GS1 and openepcis publish is taken (each into an empty ledger), except
// two the importer refuses
// with the reason and the JSON pointer: OpenTraceability's traceback sample names SSCCs of 15
// digits (an SSCC has 18), which no Event Hash ID can be computed for, and its query document
// starts with a byte order mark.
TEST_F(EpcisImport, EveryPublishedExampleIsTakenOrRefusedWithAPointer) {
  const std::map<std::string, std::pair<std::string, std::string>> refused = {
      {"traceback/traceback_tests.jsonld",
       {"/epcisBody/eventList/9/epcList/0", "not a valid GS1 EPC URI"}},
      {"traceback/epcisquerydoc-example01.jsonld", {"", "byte order mark"}}};
  const std::filesystem::path root = std::filesystem::path(CUSTODY_EPCIS_FIXTURES) / "examples";
  std::size_t taken = 0;
  for (const auto& f : std::filesystem::recursive_directory_iterator(root)) {
    const auto ext = f.path().extension();
    if (ext != ".json" && ext != ".jsonld") continue;
    const std::string name = f.path().lexically_relative(root).string();
    std::ifstream in(f.path(), std::ios::binary);
    const std::string text{std::istreambuf_iterator<char>(in), {}};
    // Each into a ledger of its own: GS1's examples reuse event ids for different events,
    // which one ledger rightly refuses.
    ledger_.reset();
    std::filesystem::remove_all(dir_);
    reopen(true);
    auto snap = ledger_->snapshot();
    auto plan = domain::plan_epcis_import(*snap, text, name, "");
    if (auto it = refused.find(name); it != refused.end()) {
      ASSERT_FALSE(plan) << name;
      EXPECT_EQ(plan.error().field, it->second.first) << name;
      EXPECT_NE(plan.error().message.find(it->second.second), std::string::npos)
          << name << ": " << plan.error().message;
      continue;
    }
    ASSERT_TRUE(plan) << name << ": " << plan.error().message << " at " << plan.error().field;
    EXPECT_GT(plan->events, 0u) << name;
    for (const auto& item : plan->fresh) ok("epcis.capture", item.data_json);
    ++taken;
  }
  EXPECT_EQ(taken, 41u);
}

}  // namespace
}  // namespace custody::testing
