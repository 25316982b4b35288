// custody's records as EPCIS 2.0 events: what each record becomes (docs/epcis.md), eventIDs
// that are the events' CBV 2.0 hashes, and scopes. The document's validity against GS1's JSON
// schema is checked by an independent validator (tests/epcis/export_validates.sh).
#include "custody/domain/epcis_export.h"

#include <boost/json.hpp>

#include "custody/epcis/event_hash.h"
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
  const auto& split = events.find("lot.split")->second;
  EXPECT_EQ(split.at("inputQuantityList").as_array().size(), 1u);
  EXPECT_EQ(split.at("outputQuantityList").as_array().size(), 2u);
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

}  // namespace
}  // namespace custody::testing
