// custody's records as EPCIS 2.0 events: what each record becomes (docs/epcis.md), eventIDs
// that are the events' CBV 2.0 hashes, and scopes. The document's validity against GS1's JSON
// schema is checked by an independent validator (tests/epcis/export_validates.sh).
#include "custody/domain/epcis_export.h"

#include <boost/json.hpp>

#include "custody/epcis/event_hash.h"
#include "custody/epcis/validate.h"
#include "domain/plant_fixture.h"

namespace custody::testing {
namespace {

namespace json = boost::json;

std::string str(const json::value& v) {
  return std::string(v.as_string());
}

class EpcisExport : public PlantTest {
 protected:
  // Two farm lots into WO-1, which makes two lots of GTIN-coded salad; one farm lot split,
  // one held and released, a shipment, a chlorine reading on the washer.
  void SetUp() override {
    PlantTest::SetUp();
    master_data();
    ok("material.define", R"({"material":"kit","name":"Salad kit","uom":"ea","kind":"finished",)"
                          R"("gtin":"10614141100108"})");
    ok("party.define", R"({"party":"dc2","name":"West DC","role":"customer",)"
                       R"("address":"Reno, NV","gln":"0614141000029"})");
    ok("lot.receive", R"({"lot":"R-1","material":"romaine","qty":100,"uom":"kg",)"
                      R"("supplier":"farm","supplierLot":"GF-1","document":"BOL-IN-7"})");
    receive("R-2", 50, "romaine", "GF-2");
    running_order("WO-1");
    ok("reading.record",
       R"({"equipment":"washer-1","param":"chlorine","value":120.5,"unit":"ppm"})");
    ok("lot.consume", R"({"wo":"WO-1","step":"wash","lot":"R-1","qty":60.5})");
    ok("op.complete", R"({"wo":"WO-1","step":"wash"})");
    ok("op.start", R"({"wo":"WO-1","step":"pack","equipment":"packer-1"})");
    ok("lot.produce", R"({"wo":"WO-1","step":"pack","lot":"K-1","qty":30,"material":"kit"})");
    ok("lot.hold", R"({"lot":"R-2","reason":"pathogen test pending"})");
    ok("lot.release", R"({"lot":"R-2"})");
    ok("lot.split", R"({"lot":"R-2","into":[{"lot":"R-2a","qty":30},{"lot":"R-2b","qty":20}]})");
    ok("lot.ship", R"({"lot":"R-2a","qty":30,"customer":"dc2","shipment":"BOL-9"})");
  }

  json::object doc(const domain::EpcisScope& scope = {}) {
    auto snap = ledger_->snapshot();
    ledger::Site site;
    site.gln = "0614141000005";
    site.time_zone = "America/Los_Angeles";
    auto e = domain::epcis_export(*snap, scope, site, ledger_->meta().origin);
    EXPECT_TRUE(e) << e.error().message;
    if (!e) return {};
    auto parsed = json::parse(e->document);
    EXPECT_EQ(parsed.at("epcisBody").at("eventList").as_array().size(), e->events);
    return parsed.as_object();
  }

  // The events of a document by custody record type.
  static std::multimap<std::string, json::object> by_type(const json::object& d) {
    std::multimap<std::string, json::object> out;
    for (const auto& e : d.at("epcisBody").at("eventList").as_array()) {
      out.emplace(str(e.at("custody:recordType")), e.as_object());
    }
    return out;
  }

  std::string urn(const std::string& kind, const std::string& id) {
    std::string origin;
    for (char c : ledger_->meta().origin) {
      if (std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.' || c == '_') {
        origin += c;
      } else {
        char buf[4];
        std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
        origin += buf;
      }
    }
    return "urn:custody:" + origin + ":" + kind + ":" + id;
  }
};

TEST_F(EpcisExport, EveryEventIdIsTheEventsCbvHash) {
  const auto d = doc();
  auto context = epcis::Context::from_json_ld(d.at("@context"));
  ASSERT_TRUE(context);
  std::set<std::string> ids;
  for (const auto& e : d.at("epcisBody").at("eventList").as_array()) {
    json::object without = e.as_object();
    const std::string id = str(without.at("eventID"));
    without.erase("eventID");
    auto again = epcis::event_hash_id(without, *context);
    ASSERT_TRUE(again);
    EXPECT_EQ(id, *again);
    EXPECT_TRUE(ids.insert(id).second) << "two events share " << id;
  }
  EXPECT_EQ(ids.size(), 9u);
}

TEST_F(EpcisExport, ReceivingAndShippingAreObjectEventsWithPartiesAndBillsOfLading) {
  const auto events = by_type(doc());
  const auto& r = events.find("lot.received")->second;
  EXPECT_EQ(str(r.at("type")), "ObjectEvent");
  EXPECT_EQ(str(r.at("action")), "OBSERVE") << "received, not made here";
  EXPECT_EQ(str(r.at("bizStep")), "receiving");
  EXPECT_EQ(str(r.at("eventTime")), "2026-11-21T00:00:00-08:00");
  EXPECT_EQ(str(r.at("eventTimeZoneOffset")), "-08:00");
  EXPECT_EQ(str(r.at("bizLocation").at("id")), "https://id.gs1.org/414/0614141000005");
  const auto& q = r.at("quantityList").at(0);
  EXPECT_EQ(str(q.at("epcClass")), urn("lot", "romaine%2FR-1"));
  EXPECT_EQ(q.at("quantity").to_number<double>(), 100);
  EXPECT_EQ(str(q.at("uom")), "KGM");
  EXPECT_EQ(str(r.at("sourceList").at(0).at("source")), urn("party", "farm"));
  EXPECT_EQ(str(r.at("bizTransactionList").at(0).at("type")), "bol");
  EXPECT_EQ(str(r.at("bizTransactionList").at(0).at("bizTransaction")),
            urn("document", "BOL-IN-7"));
  EXPECT_EQ(str(r.at("custody:supplierLot")), "GF-1");
  EXPECT_EQ(str(r.at("custody:lot")), "R-1");
  EXPECT_FALSE(r.contains("ilmd"));
  const auto& s = events.find("lot.shipped")->second;
  EXPECT_EQ(str(s.at("action")), "OBSERVE");
  EXPECT_EQ(str(s.at("bizStep")), "shipping");
  EXPECT_EQ(str(s.at("disposition")), "in_transit");
  EXPECT_EQ(str(s.at("destinationList").at(0).at("destination")),
            "https://id.gs1.org/414/0614141000029");
  EXPECT_EQ(str(s.at("bizTransactionList").at(0).at("bizTransaction")), urn("document", "BOL-9"));
}

// A work order's consumption and output are one transformation (its transformationID); a
// material with a GTIN is named by its LGTIN in GS1 Digital Link form.
TEST_F(EpcisExport, AWorkOrderIsOneTransformationAndGtinsBecomeLgtins) {
  const auto events = by_type(doc());
  const auto& in = events.find("lot.consumed")->second;
  const auto& out = events.find("lot.produced")->second;
  EXPECT_EQ(str(in.at("type")), "TransformationEvent");
  EXPECT_EQ(str(in.at("transformationID")), urn("wo", "WO-1"));
  EXPECT_EQ(in.at("transformationID"), out.at("transformationID"));
  EXPECT_EQ(in.at("inputQuantityList").at(0).at("quantity").to_number<double>(), 60.5);
  EXPECT_EQ(str(out.at("outputQuantityList").at(0).at("epcClass")),
            "https://id.gs1.org/01/10614141100108/10/K-1");
  EXPECT_EQ(str(out.at("outputQuantityList").at(0).at("uom")), "EA");
  // A GTIN with a wrong check digit makes no LGTIN: the private URN instead.
  ok("material.define", R"({"material":"bad-gtin","name":"B","uom":"ea","kind":"finished",)"
                        R"("gtin":"10614141100109"})");
  ok("lot.receive", R"({"lot":"B-1","material":"bad-gtin","qty":1,"uom":"ea","supplier":"farm",)"
                    R"("supplierLot":"X"})");
  domain::EpcisScope b;
  b.by = domain::EpcisScope::By::kLot;
  b.lot = "B-1";
  const auto bad = by_type(doc(b));
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_EQ(str(bad.begin()->second.at("quantityList").at(0).at("epcClass")),
            urn("lot", "bad-gtin%2FB-1"));
  // A received lot with a GTIN is the supplier's lot: its LGTIN carries their lot code.
  ok("material.define", R"({"material":"leaf","name":"Leaf","uom":"kg","kind":"raw",)"
                        R"("gtin":"10614141100108"})");
  ok("lot.receive", R"({"lot":"L-1","material":"leaf","qty":1,"uom":"kg","supplier":"farm",)"
                    R"("supplierLot":"FARM-9"})");
  b.lot = "L-1";
  const auto leaf = by_type(doc(b));
  EXPECT_EQ(str(leaf.begin()->second.at("quantityList").at(0).at("epcClass")),
            "https://id.gs1.org/01/10614141100108/10/FARM-9");
  // A split makes no new traceability lot: the split is the lot observed, and the part
  // shipped is the class R-2 was received as (the supplier's lot), as FSMA 204 keeps its code.
  const auto& split = events.find("lot.split")->second;
  EXPECT_EQ(str(split.at("type")), "ObjectEvent");
  EXPECT_FALSE(split.contains("outputQuantityList"));
  EXPECT_EQ(split.at("custody:parts").as_array().size(), 2u);
  EXPECT_EQ(str(split.at("custody:parts").at(0).at("lot")), "R-2a");
  EXPECT_EQ(split.at("quantityList").at(0).at("quantity").to_number<double>(), 50);
  std::string received_as;
  for (const auto& [type, e] : events) {
    if (type == "lot.received" && str(e.at("custody:lot")) == "R-2") {
      received_as = str(e.at("quantityList").at(0).at("epcClass"));
    }
  }
  ASSERT_FALSE(received_as.empty());
  EXPECT_EQ(str(split.at("quantityList").at(0).at("epcClass")), received_as);
  EXPECT_EQ(str(events.find("lot.shipped")->second.at("quantityList").at(0).at("epcClass")),
            received_as);
}

TEST_F(EpcisExport, ALotMadeHereCarriesItsUseByAndBestBeforeAsCbvDates) {
  ok("material.define", R"({"material":"boxed","name":"Boxed greens","uom":"kg",)"
                        R"("kind":"finished","shelfLifeDays":14,"bestBeforeDays":12})");
  ok("lot.transform",
     R"({"lot":"BX-1","material":"boxed","qty":2,"inputs":[{"lot":"R-2b","qty":5}]})");
  const auto events = by_type(doc());
  // Made at 2026-11-21T08:00Z, midnight in Los Angeles: it may be used through 4 December
  // (it expires at the midnight that ends that day), best before 2 December.
  const auto& made = events.find("lot.transformed")->second;
  EXPECT_EQ(str(made.at("ilmd").at("cbvmda:itemExpirationDate")), "2026-12-04");
  EXPECT_EQ(str(made.at("ilmd").at("cbvmda:bestBeforeDate")), "2026-12-02");
  // The master data is part of the event's CBV hash, which its eventID is.
  const auto d = doc();
  auto context = epcis::Context::from_json_ld(d.at("@context"));
  ASSERT_TRUE(context);
  json::object without = made;
  without.erase("eventID");
  auto again = epcis::event_hash_id(without, *context);
  ASSERT_TRUE(again);
  EXPECT_EQ(str(made.at("eventID")), *again);
  json::object other = without;
  other["ilmd"].as_object()["cbvmda:itemExpirationDate"] = "2026-12-05";
  EXPECT_NE(*epcis::event_hash_id(other, *context), *again);
  // A lot of a material without a shelf life has no dates to tell.
  EXPECT_FALSE(events.find("lot.produced")->second.contains("ilmd"));
}

TEST_F(EpcisExport, HoldReleaseAndReadingsKeepTheirMeaning) {
  const auto events = by_type(doc());
  const auto& held = events.find("lot.held")->second;
  EXPECT_EQ(str(held.at("bizStep")), "holding");
  EXPECT_EQ(str(held.at("disposition")), "non_sellable_other");
  EXPECT_EQ(str(held.at("custody:reason")), "pathogen test pending");
  EXPECT_EQ(str(events.find("lot.released")->second.at("disposition")), "conformant");
  const auto& reading = events.find("reading.recorded")->second;
  EXPECT_EQ(str(reading.at("bizStep")), "sensor_reporting");
  EXPECT_EQ(str(reading.at("readPoint").at("id")), urn("equipment", "washer-1"));
  const auto& report = reading.at("sensorElementList").at(0).at("sensorReport").at(0);
  EXPECT_EQ(report.at("value").to_number<double>(), 120.5);
  EXPECT_EQ(str(report.at("uom")), "59");
  EXPECT_EQ(str(report.at("type")), urn("parameter", "chlorine"));
}

TEST_F(EpcisExport, ScopesSelectTheirRecordsAndBadOnesAreRefused) {
  domain::EpcisScope lot;
  lot.by = domain::EpcisScope::By::kLot;
  lot.lot = "R-2";
  std::multiset<std::string> types;
  for (const auto& [t, e] : by_type(doc(lot))) types.insert(t);
  EXPECT_EQ(types,
            (std::multiset<std::string>{"lot.received", "lot.held", "lot.released", "lot.split"}));
  domain::EpcisScope wo;
  wo.by = domain::EpcisScope::By::kWorkOrder;
  wo.wo = "WO-1";
  types.clear();
  for (const auto& [t, e] : by_type(doc(wo))) types.insert(t);
  // Readings are the equipment's records, not the order's: --from/--to brings them.
  EXPECT_EQ(types, (std::multiset<std::string>{"lot.consumed", "lot.produced"}));
  domain::EpcisScope since;
  since.by = domain::EpcisScope::By::kSinceSeq;
  since.since_seq = ledger_->head().seq;  // the shipment, last
  const auto last = by_type(doc(since));
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last.begin()->first, "lot.shipped");

  auto snap = ledger_->snapshot();
  auto refused = [&](const domain::EpcisScope& scope, ErrorCode code, const std::string& field) {
    auto e = domain::epcis_export(*snap, scope, {}, "x");
    ASSERT_FALSE(e);
    EXPECT_EQ(e.error().code, code);
    EXPECT_EQ(e.error().field, field);
  };
  lot.lot = "NOPE";
  refused(lot, ErrorCode::kNotFound, "lot");
  wo.wo = "WO-NOPE";
  refused(wo, ErrorCode::kNotFound, "wo");
  domain::EpcisScope empty;
  empty.by = domain::EpcisScope::By::kTime;
  empty.from = empty.to = 5;
  refused(empty, ErrorCode::kInvalidArgument, "to");
}

// A corrected record is exported as EPCIS declares an error: the event in force again, with
// the same eventID and an errorDeclaration naming the corrective event, then the corrective
// event. A second correction declares the first corrective event in error.
TEST_F(EpcisExport, CorrectionsAreErrorDeclarationsWithTheirCorrectiveEvents) {
  auto seq_of = [&](const std::string& type, const std::string& key, const std::string& value) {
    for (const auto& [t, e] : by_type(doc())) {
      if (t == type && e.contains(key) && str(e.at(key)) == value) {
        return e.at("custody:seq").to_number<std::uint64_t>();
      }
    }
    ADD_FAILURE() << "no " << type;
    return std::uint64_t{0};
  };
  const std::uint64_t received = seq_of("lot.received", "custody:lot", "R-1");
  const std::uint64_t consumed = seq_of("lot.consumed", "transformationID", urn("wo", "WO-1"));
  auto correct = [&](std::uint64_t seq, const std::string& data, const std::string& reason) {
    auto r = run("record.correct", R"({"seq":)" + std::to_string(seq) + R"(,"reason":")" + reason +
                                       R"(","data":)" + data + "}");
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    return r ? r->seq : 0;
  };
  const auto before = doc();
  const std::uint64_t first = correct(received, R"({"qty":98})", "scale misread");
  const std::uint64_t second = correct(received, R"({"qty":97.5})", "tare not taken");
  const std::uint64_t third = correct(consumed, R"({"qty":60})", "rounded on the sheet");

  const auto d = doc();
  ASSERT_TRUE(epcis::validate_document(d)) << "GS1's schema, CBV words";
  const auto& list = d.at("epcisBody").at("eventList").as_array();
  EXPECT_EQ(list.size(), 9u + 6u) << "two events for each correction";
  auto context = epcis::Context::from_json_ld(d.at("@context"));
  ASSERT_TRUE(context);
  std::vector<json::object> declared, corrective;
  for (const auto& v : list) {
    json::object e = v.as_object();
    const std::string id = str(e.at("eventID"));
    e.erase("eventID");
    const bool is_declaration = e.erase("errorDeclaration") == 1;
    auto again = epcis::event_hash_id(e, *context);
    ASSERT_TRUE(again);
    EXPECT_EQ(id, *again) << "the declaration is not hashed; everything else is";
    if (is_declaration) declared.push_back(v.as_object());
    if (e.contains("custody:corrects") && !is_declaration) corrective.push_back(v.as_object());
  }
  ASSERT_EQ(declared.size(), 3u);
  ASSERT_EQ(corrective.size(), 3u);
  auto qty = [](const json::object& e, const char* list_name) {
    return e.at(list_name).at(0).at("quantity").to_number<double>();
  };
  std::string original_id;
  for (const auto& e : before.at("epcisBody").at("eventList").as_array()) {
    if (e.at("custody:seq").to_number<std::uint64_t>() == received)
      original_id = str(e.at("eventID"));
  }
  // First correction: the receipt as recorded, declared wrong, and the receipt of 98 kg.
  EXPECT_EQ(str(declared[0].at("eventID")), original_id) << "the same event, declared";
  EXPECT_EQ(qty(declared[0], "quantityList"), 100);
  const auto& decl = declared[0].at("errorDeclaration").as_object();
  EXPECT_EQ(str(decl.at("reason")), "incorrect_data");
  EXPECT_EQ(str(decl.at("custody:reason")), "scale misread");
  EXPECT_EQ(str(decl.at("declarationTime")), str(corrective[0].at("recordTime")))
      << "declared when the correction was recorded";
  ASSERT_EQ(decl.at("correctiveEventIDs").as_array().size(), 1u);
  EXPECT_EQ(str(decl.at("correctiveEventIDs").at(0)), str(corrective[0].at("eventID")));
  EXPECT_EQ(qty(corrective[0], "quantityList"), 98);
  EXPECT_EQ(corrective[0].at("custody:seq").to_number<std::uint64_t>(), first);
  EXPECT_EQ(corrective[0].at("custody:corrects").to_number<std::uint64_t>(), received);
  EXPECT_EQ(str(corrective[0].at("custody:recordType")), "lot.received");
  EXPECT_EQ(str(corrective[0].at("eventTime")), str(declared[0].at("eventTime")))
      << "what happened, when it happened; only the record is new";
  // Second: the first corrective event is the one declared wrong now.
  EXPECT_EQ(str(declared[1].at("eventID")), str(corrective[0].at("eventID")));
  EXPECT_EQ(str(declared[1].at("errorDeclaration").at("custody:reason")), "tare not taken");
  EXPECT_EQ(qty(corrective[1], "quantityList"), 97.5);
  EXPECT_EQ(corrective[1].at("custody:seq").to_number<std::uint64_t>(), second);
  // The consumption's correction: a transformation's input.
  EXPECT_EQ(qty(declared[2], "inputQuantityList"), 60.5);
  EXPECT_EQ(qty(corrective[2], "inputQuantityList"), 60);
  EXPECT_EQ(corrective[2].at("custody:seq").to_number<std::uint64_t>(), third);

  // A lot's export has the corrections of its records, also those filed in another stream
  // (the consumption is the work order's); an export since a seq has the ones after it.
  domain::EpcisScope lot;
  lot.by = domain::EpcisScope::By::kLot;
  lot.lot = "R-1";
  std::size_t declarations = 0;
  const auto lot_doc = doc(lot);
  for (const auto& e : lot_doc.at("epcisBody").at("eventList").as_array()) {
    declarations += e.as_object().contains("errorDeclaration") ? 1 : 0;
  }
  EXPECT_EQ(declarations, 3u);
  domain::EpcisScope since;
  since.by = domain::EpcisScope::By::kSinceSeq;
  since.since_seq = third;
  const auto tail = doc(since).at("epcisBody").at("eventList").as_array();
  ASSERT_EQ(tail.size(), 2u);
  EXPECT_EQ(str(tail[0].at("errorDeclaration").at("custody:reason")), "rounded on the sheet");
}

}  // namespace
}  // namespace custody::testing
