// custody's records as EPCIS 2.0 events (docs/epcis.md, "Export").
#include "custody/domain/epcis_export.h"

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <cmath>

#include "custody/codec/capnp_util.h"
#include "custody/codec/json_parse.h"
#include "custody/common/encoding.h"
#include "custody/common/percent.h"
#include "custody/common/time_zone.h"
#include "custody/domain/epcis_import.h"
#include "custody/domain/projections.h"
#include "custody/epcis/event_hash.h"
#include "custody/epcis/gs1_keys.h"
#include "custody/ledger/record.h"
#include "partners.h"
#include "state_access.h"

namespace custody::domain {
namespace {

namespace json = boost::json;

constexpr std::string_view kStandardContext =
    "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld";
// custody's own fields (seq, record type, units without a UN/CEFACT code) in events.
constexpr std::string_view kNamespace = "urn:custody:epcis:";

// custody's units and their UN/CEFACT Recommendation 20 codes.
std::string_view uncefact(std::string_view uom) {
  static const std::map<std::string_view, std::string_view> codes{
      {"kg", "KGM"},  {"g", "GRM"},   {"mg", "MGM"},    {"t", "TNE"},   {"lb", "LBR"},
      {"oz", "ONZ"},  {"l", "LTR"},   {"L", "LTR"},     {"ml", "MLT"},  {"mL", "MLT"},
      {"m", "MTR"},   {"ea", "EA"},   {"pcs", "H87"},   {"case", "CS"}, {"cs", "CS"},
      {"bag", "BG"},  {"box", "BX"},  {"pallet", "PX"}, {"C", "CEL"},   {"°C", "CEL"},
      {"F", "FAH"},   {"°F", "FAH"},  {"%", "P1"},      {"ppm", "59"},  {"bar", "BAR"},
      {"kPa", "KPA"}, {"Pa", "PAL"},  {"pH", "Q30"},    {"s", "SEC"},   {"min", "MIN"},
      {"h", "HUR"},   {"rpm", "RPM"}, {"m/s", "MTS"},   {"l/h", "E32"}, {"kg/h", "E93"}};
  auto it = codes.find(uom);
  return it == codes.end() ? std::string_view{} : it->second;
}

// A quantity in thousandths as a JSON number: an integer when whole.
std::string bytes_of(capnp::Data::Reader d) {
  return {reinterpret_cast<const char*>(d.begin()), d.size()};
}

// Calls fn(correction record, its payload) for each correction of record `seq`, latest first,
// walking back along the corrected record's stream (where corrections go) from its record
// `from`, until fn returns false.
using CorrectionFn = std::function<bool(const ledger::RecordFields&, s::RecordCorrected::Reader)>;
Result<void> corrections_back(const ledger::Snapshot& snap, std::uint64_t seq, std::uint64_t from,
                              const CorrectionFn& fn) {
  for (std::uint64_t at = from; at > seq;) {
    auto bytes = snap.record(at);
    if (!bytes) return std::unexpected(bytes.error());
    auto r = ledger::decode_record(*bytes);
    if (!r) return std::unexpected(r.error());
    if (r->type == "record.corrected" && r->payload_present) {
      codec::MessageView view(r->payload);
      auto c = view.root<s::RecordCorrected>();
      if (c.getSeq() == seq && !fn(*r, c)) return {};
    }
    at = r->stream_prev_seq;
  }
  return {};
}

json::value quantity(std::int64_t milli) {
  if (milli % 1000 == 0) return json::value(milli / 1000);
  return json::value(static_cast<double>(milli) / 1000.0);
}

}  // namespace

// JSON text with quantities as decimals ("36.5", not Boost's "3.65E1").
void write_epcis_json(const json::value& v, std::string& out) {
  switch (v.kind()) {
    case json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& [k, x] : v.get_object()) {
        if (!first) out += ',';
        first = false;
        out += json::serialize(json::string(k));
        out += ':';
        write_epcis_json(x, out);
      }
      out += '}';
      return;
    }
    case json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& x : v.get_array()) {
        if (!first) out += ',';
        first = false;
        write_epcis_json(x, out);
      }
      out += ']';
      return;
    }
    case json::kind::double_: {
      const double d = v.get_double();
      char buf[64];
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
      out.append(buf, ec == std::errc{} ? end : buf);
      return;
    }
    default:
      out += json::serialize(v);
  }
}

namespace {

class Mapper {
 public:
  Mapper(const ledger::Snapshot& snap, const ledger::Site& site, const std::string& origin)
      : snap_(snap),
        site_(site),
        entities_(snap.family(kEntitiesCf)),
        origin_(origin),
        origin_part_(percent_encode(origin)) {
    if (auto zone = TimeZone::load(site.time_zone)) zone_ = std::move(*zone);
    context_.declare("custody", std::string(kNamespace));
  }

  // Adds the record's event (for record.corrected, two: see add_correction), or counts its
  // type as not mapped.
  Result<void> add(const ledger::RecordFields& rec);
  Result<EpcisExport> finish();
  // From now on each event goes to `sink` instead of into the document, until it says stop.
  void send_to(const EpcisEventVisitor* sink) { sink_ = sink; }
  [[nodiscard]] bool stopped() const { return stopped_; }

 private:
  std::string urn(std::string_view kind, std::string_view id) const {
    return "urn:custody:" + origin_part_ + ":" + std::string(kind) + ":" + percent_encode(id);
  }
  // A lot as an EPC class: LGTIN in GS1 Digital Link form when its material has a GTIN,
  // custody's private URN otherwise.
  std::string lot_class(std::string_view lot);
  std::string site_location() const {
    return site_.gln.empty() ? "urn:custody:" + origin_part_ + ":site"
                             : "https://id.gs1.org/414/" + site_.gln;
  }
  std::string party_location(std::string_view party);
  json::object quantity_element(std::string_view lot, std::optional<std::int64_t> milli);
  json::object event(std::string_view type, const ledger::RecordFields& rec, TimeNs at);
  // Instance/lot master data of a lot made here: its use-by and best-before as CBV dates
  // (cbvmda:itemExpirationDate, cbvmda:bestBeforeDate), the last day of each in the site's
  // time; set on `e` only when the lot has them.
  void set_lot_dates(json::object& e, TimeNs expires, TimeNs best_before) const;
  // The record's event, not yet written; nullopt for a type with no EPCIS meaning.
  std::optional<json::object> map(const ledger::RecordFields& rec);
  // A correction, as EPCIS 2.0 section 7.4.1.2 has it: the event in force before it (the
  // corrected record's, or that of its previous correction) again, with an errorDeclaration
  // naming the corrective event, then the corrective event (the corrected record mapped with
  // the corrected payload, its own seq and time, and custody:corrects).
  Result<void> add_correction(const ledger::RecordFields& rec);
  Result<std::string> push(json::object e, json::object error_declaration = {});

  const ledger::Snapshot& snap_;
  const ledger::Site& site_;
  ledger::Reader::Cf entities_;
  std::string origin_, origin_part_;
  TimeZone zone_;
  epcis::Context context_;
  std::map<std::string, std::pair<std::string, std::string>, std::less<>> lots_;  // class, uom
  std::string events_;  // the eventList's members, as JSON text: no tree of the whole log
  std::size_t count_ = 0;
  std::map<std::string, std::size_t> not_mapped_;
  const EpcisEventVisitor* sink_ = nullptr;
  std::uint32_t index_ = 0;  // of the next event of the current record, for the sink
  bool stopped_ = false;
};

std::string Mapper::lot_class(std::string_view lot) {
  auto it = lots_.find(lot);
  if (it == lots_.end()) {
    std::string uom;
    if (auto v = snap_.get(entities_, keys::entity("lot", lot))) {
      codec::MessageView view(*v);
      uom = str(view.root<s::Lot>().getUom());
    }
    it = lots_.emplace(std::string(lot), std::pair{lot_epc_class(snap_, lot, origin_), uom}).first;
  }
  return it->second.first;
}

std::string Mapper::party_location(std::string_view party) {
  if (auto v = snap_.get(entities_, keys::entity("party", party))) {
    codec::MessageView view(*v);
    const std::string gln = str(view.root<s::Party>().getGln());
    if (!gln.empty()) return "https://id.gs1.org/414/" + gln;
  }
  return urn("party", party);
}

json::object Mapper::quantity_element(std::string_view lot, std::optional<std::int64_t> milli) {
  json::object q;
  q["epcClass"] = lot_class(lot);
  if (milli) {
    q["quantity"] = quantity(*milli);
    const std::string& uom = lots_.find(lot)->second.second;
    if (auto code = uncefact(uom); !code.empty()) {
      q["uom"] = code;
    } else if (!uom.empty()) {
      q["custody:uom"] = uom;
    }
  }
  return q;
}

void Mapper::set_lot_dates(json::object& e, TimeNs expires, TimeNs best_before) const {
  json::object ilmd;
  auto day = [&](TimeNs t) {
    // `expires` is the first instant the lot may not be used: its date is the day before
    // when that is midnight.
    const TimeNs last = t - 1;
    return format_rfc3339(last, zone_.at(last / 1'000'000'000).minutes).substr(0, 10);
  };
  if (expires != 0) ilmd["cbvmda:itemExpirationDate"] = day(expires);
  if (best_before != 0) ilmd["cbvmda:bestBeforeDate"] = day(best_before);
  if (!ilmd.empty()) e["ilmd"] = std::move(ilmd);
}

json::object Mapper::event(std::string_view type, const ledger::RecordFields& rec, TimeNs at) {
  json::object e;
  e["type"] = type;
  const int offset = zone_.at(at / 1'000'000'000).minutes;
  e["eventTime"] = format_rfc3339(at, offset);
  char tz[32];
  std::snprintf(tz, sizeof tz, "%c%02d:%02d", offset < 0 ? '-' : '+', std::abs(offset) / 60,
                std::abs(offset) % 60);
  e["eventTimeZoneOffset"] = tz;
  e["recordTime"] = format_rfc3339(rec.recorded_at);
  e["bizLocation"] = json::object{{"id", site_location()}};
  e["custody:seq"] = rec.seq;
  e["custody:recordType"] = rec.type;
  return e;
}

Result<std::string> Mapper::push(json::object e, json::object error_declaration) {
  auto id = epcis::event_hash_id(e, context_);  // the declaration is not part of the hash
  if (!id) return std::unexpected(id.error());
  json::object out;
  out["eventID"] = *id;
  for (auto& [k, v] : e) out[k] = std::move(v);
  if (!error_declaration.empty()) out["errorDeclaration"] = std::move(error_declaration);
  if (sink_ != nullptr) {
    const auto seq = out["custody:seq"].to_number<std::uint64_t>();
    if (!stopped_ && !(*sink_)(seq, index_++, out)) stopped_ = true;
    return *id;
  }
  if (count_++ != 0) events_ += ',';
  write_epcis_json(out, events_);
  return *id;
}

Result<void> Mapper::add(const ledger::RecordFields& rec) {
  index_ = 0;
  if (!rec.payload_present) {
    ++not_mapped_[rec.type + " (redacted)"];
    return {};
  }
  if (rec.type == "record.corrected") return add_correction(rec);
  auto e = map(rec);
  if (!e) {
    ++not_mapped_[rec.type];
    return {};
  }
  if (auto id = push(std::move(*e)); !id) return std::unexpected(id.error());
  return {};
}

Result<void> Mapper::add_correction(const ledger::RecordFields& rec) {
  codec::MessageView view(rec.payload);
  auto c = view.root<s::RecordCorrected>();
  const std::uint64_t seq = c.getSeq();
  auto bytes = snap_.record(seq);
  if (!bytes) return std::unexpected(bytes.error());
  auto original = ledger::decode_record(*bytes);
  if (!original) return std::unexpected(original.error());
  if (!original->payload_present) {
    ++not_mapped_["record.corrected (of a redacted record)"];
    return {};
  }
  // What was in force before: the latest earlier correction of the same record, if any.
  ledger::RecordFields before = *original;
  auto earlier = corrections_back(snap_, seq, rec.stream_prev_seq,
                                  [&](const ledger::RecordFields& r, s::RecordCorrected::Reader e) {
                                    before.seq = r.seq;
                                    before.recorded_at = r.recorded_at;
                                    before.payload = bytes_of(e.getPayload());
                                    return false;
                                  });
  if (!earlier) return std::unexpected(earlier.error());
  ledger::RecordFields after = *original;
  after.seq = rec.seq;
  after.recorded_at = rec.recorded_at;
  after.payload = bytes_of(c.getPayload());
  auto declared = map(before);
  auto corrective = map(after);
  if (!declared || !corrective) {
    ++not_mapped_["record.corrected (" + original->type + ")"];
    return {};
  }
  if (before.seq != seq) (*declared)["custody:corrects"] = seq;
  (*corrective)["custody:corrects"] = seq;
  auto id = epcis::event_hash_id(*corrective, context_);
  if (!id) return std::unexpected(id.error());
  json::object declaration;
  declaration["declarationTime"] = format_rfc3339(rec.recorded_at);
  declaration["reason"] = "incorrect_data";
  declaration["correctiveEventIDs"] = json::array{json::value(*id)};
  declaration["custody:reason"] = str(c.getReason());
  if (auto r = push(std::move(*declared), std::move(declaration)); !r) {
    return std::unexpected(r.error());
  }
  if (auto r = push(std::move(*corrective)); !r) return std::unexpected(r.error());
  return {};
}

std::optional<json::object> Mapper::map(const ledger::RecordFields& rec) {
  const std::string& t = rec.type;
  const TimeNs at = rec.occurred_at != 0 ? rec.occurred_at : rec.recorded_at;
  codec::MessageView view(rec.payload);
  auto list = [](std::initializer_list<json::object> items) {
    json::array a;
    for (const auto& i : items) a.push_back(i);
    return a;
  };
  auto bol = [&](std::string_view doc) {
    return list({json::object{{"type", "bol"}, {"bizTransaction", urn("document", doc)}}});
  };
  if (t == "lot.received") {
    auto p = view.root<s::LotReceived>();
    auto e = event("ObjectEvent", rec, at);
    // OBSERVE: the lot existed before this site received it (ADD would say it was made here).
    e["action"] = "OBSERVE";
    e["bizStep"] = "receiving";
    e["disposition"] = p.getStatus() == s::LotStatus::RELEASED ? "available" : "in_progress";
    // The logistic unit it came on, as the supplier's shipping event names it.
    if (p.hasSscc())
      e["epcList"] = json::array{json::value("https://id.gs1.org/00/" + str(p.getSscc()))};
    e["quantityList"] = list({quantity_element(sv(p.getLot()), p.getQty())});
    e["sourceList"] =
        list({json::object{{"type", "location"}, {"source", party_location(sv(p.getSupplier()))}}});
    e["destinationList"] =
        list({json::object{{"type", "location"}, {"destination", site_location()}}});
    json::array transactions;
    if (p.getDocument().size()) transactions = bol(sv(p.getDocument()));
    // Received against a purchase order line or an ASN (CBV: po, desadv).
    if (p.hasReceipt()) {
      std::string type = "po";
      if (auto v = snap_.get(entities_, keys::entity("receipt", sv(p.getReceipt())))) {
        codec::MessageView receipt(*v);
        if (receipt.root<s::Receipt>().getKind() == s::ReceiptKind::ASN) type = "desadv";
      }
      transactions.push_back(
          json::object{{"type", type}, {"bizTransaction", urn("receipt", sv(p.getReceipt()))}});
    }
    if (!transactions.empty()) e["bizTransactionList"] = std::move(transactions);
    if (p.getSupplierLot().size()) e["custody:supplierLot"] = str(p.getSupplierLot());
    e["custody:lot"] = str(p.getLot());  // the class names the supplier's lot, not ours
    return e;
  }
  if (t == "lot.shipped") {
    auto p = view.root<s::LotShip>();
    auto e = event("ObjectEvent", rec, at);
    e["action"] = "OBSERVE";
    e["bizStep"] = "shipping";
    e["disposition"] = "in_transit";
    e["quantityList"] = list({quantity_element(sv(p.getLot()), p.getQty())});
    e["sourceList"] = list({json::object{{"type", "location"}, {"source", site_location()}}});
    e["destinationList"] = list(
        {json::object{{"type", "location"}, {"destination", party_location(sv(p.getCustomer()))}}});
    e["bizTransactionList"] = bol(sv(p.getShipment()));
    if (p.getSscc().size() != 0) {  // the pallet it left on, which the receiver scans
      e["epcList"] = json::array{json::value("https://id.gs1.org/00/" + str(p.getSscc()))};
    }
    return e;
  }
  if (t == "lot.held" || t == "lot.rejected" || t == "lot.released") {
    const std::string lot = t == "lot.released" ? str(view.root<s::LotRef>().getLot())
                                                : str(view.root<s::LotReason>().getLot());
    auto e = event("ObjectEvent", rec, at);
    e["action"] = "OBSERVE";
    e["bizStep"] = t == "lot.held" ? "holding" : "inspecting";
    e["disposition"] = t == "lot.held"       ? "non_sellable_other"
                       : t == "lot.rejected" ? "non_conformant"
                                             : "conformant";
    e["quantityList"] = list({quantity_element(lot, std::nullopt)});
    if (t != "lot.released") e["custody:reason"] = str(view.root<s::LotReason>().getReason());
    return e;
  }
  // Consumption and output of a work order: one transformation, named by the order.
  if (t == "lot.consumed") {
    auto p = view.root<s::LotConsumed>();
    auto e = event("TransformationEvent", rec, at);
    e["transformationID"] = urn("wo", sv(p.getWo()));
    e["inputQuantityList"] = list({quantity_element(sv(p.getLot()), p.getQty())});
    return e;
  }
  if (t == "lot.produced") {
    auto p = view.root<s::LotProduced>();
    auto e = event("TransformationEvent", rec, at);
    e["transformationID"] = urn("wo", sv(p.getWo()));
    e["bizStep"] = "creating_class_instance";
    e["outputQuantityList"] = list({quantity_element(sv(p.getLot()), p.getQty())});
    set_lot_dates(e, p.getExpires(), p.getBestBefore());
    return e;
  }
  // A split makes no new traceability lot: the parts are the parent's class (lot_epc_class),
  // so the split is the lot observed, with its parts in custody's terms.
  if (t == "lot.split") {
    auto p = view.root<s::LotSplit>();
    auto e = event("ObjectEvent", rec, at);
    e["action"] = "OBSERVE";
    std::int64_t total = 0;
    json::array parts;
    for (auto c : p.getInto()) {
      parts.push_back(json::object{{"lot", str(c.getLot())}, {"quantity", quantity(c.getQty())}});
      total += c.getQty();
    }
    e["quantityList"] = list({quantity_element(sv(p.getLot()), total)});
    e["custody:lot"] = str(p.getLot());
    e["custody:parts"] = std::move(parts);
    return e;
  }
  if (t == "lot.transformed" || t == "lot.merged") {
    auto e = event("TransformationEvent", rec, at);
    json::array in, out;
    if (t == "lot.transformed") {
      auto p = view.root<s::LotTransformed>();
      for (auto i : p.getInputs()) in.push_back(quantity_element(sv(i.getLot()), i.getQty()));
      out.push_back(quantity_element(sv(p.getLot()), p.getQty()));
      e["bizStep"] = "creating_class_instance";
      set_lot_dates(e, p.getExpires(), p.getBestBefore());
      if (p.getDocument().size()) {
        // Its own document (a batch sheet, a pallet tag), not a bill of lading.
        e["bizTransactionList"] =
            list({json::object{{"type", std::string(kNamespace) + "document"},
                               {"bizTransaction", urn("document", sv(p.getDocument()))}}});
      }
    } else if (t == "lot.merged") {
      auto p = view.root<s::LotMerged>();
      std::int64_t total = 0;
      for (auto i : p.getSources()) {
        in.push_back(quantity_element(sv(i.getLot()), i.getQty()));
        total += i.getQty();
      }
      out.push_back(quantity_element(sv(p.getInto()), total));
      set_lot_dates(e, p.getExpires(), p.getBestBefore());
    }
    e["inputQuantityList"] = std::move(in);
    e["outputQuantityList"] = std::move(out);
    return e;
  }
  if (t == "reading.recorded") {
    auto p = view.root<s::ReadingRecorded>();
    const TimeNs when = p.getAt() != 0 ? p.getAt() : at;
    auto e = event("ObjectEvent", rec, when);
    e["action"] = "OBSERVE";
    e["bizStep"] = "sensor_reporting";
    e["epcList"] = json::array{};
    e["readPoint"] = json::object{{"id", urn("equipment", sv(p.getEquipment()))}};
    json::object report;
    report["type"] = urn("parameter", sv(p.getParam()));
    report["value"] = p.getValue();
    if (auto code = uncefact(sv(p.getUnit())); !code.empty()) {
      report["uom"] = code;
    } else if (p.getUnit().size()) {
      report["custody:unit"] = str(p.getUnit());
    }
    json::object element;
    element["sensorMetadata"] = json::object{{"time", format_rfc3339(when)}};
    element["sensorReport"] = json::array{report};
    e["sensorElementList"] = json::array{element};
    if (p.getWo().size()) e["custody:wo"] = str(p.getWo());
    return e;
  }
  return std::nullopt;
}

Result<EpcisExport> Mapper::finish() {
  json::object doc;
  doc["@context"] = json::array{json::value(kStandardContext),
                                json::object{{"custody", std::string(kNamespace)}}};
  doc["type"] = "EPCISDocument";
  doc["schemaVersion"] = "2.0";
  doc["creationDate"] = format_rfc3339(SystemClock().now());
  doc["epcisHeader"] =
      json::object{{"custody:origin", origin_}, {"custody:asOfSeq", snap_.head().seq}};
  EpcisExport out;
  out.events = count_;
  doc["epcisBody"] = json::object{{"eventList", json::array{}}};
  write_epcis_json(doc, out.document);
  // The events go where the empty list is: the document's text ends with "[]}}".
  out.document.resize(out.document.size() - 3);
  out.document += events_;
  out.document += "]}}\n";
  out.not_mapped = std::move(not_mapped_);
  return out;
}

// A partner's event as custody captured it: as received, with the eventID it is stored
// under, and its document's @context when that declared more than the standard one.
Result<json::object> captured_event(const ledger::RecordFields& rec) {
  codec::MessageView view(rec.payload);
  auto c = view.root<s::EpcisCaptured>();
  auto event = codec::parse_json(sv(c.getEvent()), "event", kMaxEpcisEventBytes * 2);
  if (!event || !event->is_object()) {
    return fail(
        ErrorCode::kCorruption,
        "record " + std::to_string(rec.seq) + " holds an EPCIS event that is not a JSON object",
        "event");
  }
  json::object out;
  out["eventID"] = str(c.getEventId());
  for (auto& [k, v] : event->get_object()) {
    if (k != "eventID" && k != "recordTime") out[k] = std::move(v);
  }
  out["recordTime"] = format_rfc3339(rec.recorded_at);  // when this repository captured it
  if (c.getContext().size() > 0 && !out.contains("@context")) {
    auto context = codec::parse_json(sv(c.getContext()), "context");
    if (context && !(context->is_string() && context->get_string() == kStandardContext)) {
      out["@context"] = std::move(*context);
    }
  }
  return out;
}

}  // namespace

std::string_view epcis_standard_context() {
  return kStandardContext;
}

Result<void> epcis_events(const ledger::Snapshot& snap, std::uint64_t from_seq,
                          const ledger::Site& site, const std::string& origin,
                          const EpcisEventVisitor& visit, std::uint64_t limit) {
  return ledger::reading([&]() -> Result<void> {
    Mapper mapper(snap, site, origin);
    mapper.send_to(&visit);
    std::optional<Error> problem;
    auto r = snap.records(std::max<std::uint64_t>(from_seq, 1), limit,
                          [&](std::uint64_t seq, std::string_view bytes) {
                            auto rec = ledger::decode_record(bytes);
                            if (!rec) {
                              problem = rec.error();
                              return false;
                            }
                            if (rec->type == "epcis.captured" && rec->payload_present) {
                              auto e = captured_event(*rec);
                              if (!e) {
                                problem = e.error();
                                return false;
                              }
                              return visit(seq, 0, *e);
                            }
                            if (auto added = mapper.add(*rec); !added) {
                              problem = added.error();
                              return false;
                            }
                            return !mapper.stopped();
                          });
    if (!r) return std::unexpected(r.error());
    if (problem) return std::unexpected(*problem);
    return {};
  });
}

Result<std::string> epcis_record_document(const ledger::Snapshot& snap, std::uint64_t seq,
                                          const ledger::Site& site, const std::string& origin,
                                          std::size_t* events) {
  if (seq == 0 || seq > snap.head().seq) {
    return fail(ErrorCode::kNotFound,
                "record " + std::to_string(seq) + " is not in the log (its head is " +
                    std::to_string(snap.head().seq) + ")",
                "seq");
  }
  TimeNs recorded_at = 0;
  std::optional<Error> problem;
  auto read = snap.records(seq, 1, [&](std::uint64_t, std::string_view bytes) {
    auto rec = ledger::decode_record(bytes);
    if (!rec) {
      problem = rec.error();
    } else {
      recorded_at = rec->recorded_at;
    }
    return false;
  });
  if (!read) return std::unexpected(read.error());
  if (problem) return std::unexpected(*problem);
  json::array list;
  auto walked = epcis_events(
      snap, seq, site, origin,
      [&](std::uint64_t s, std::uint32_t, json::object& e) {
        if (s != seq) return false;
        list.push_back(std::move(e));
        return true;
      },
      1);
  if (!walked) return std::unexpected(walked.error());
  if (events != nullptr) *events = list.size();
  json::object doc;
  doc["@context"] = json::array{json::value(kStandardContext),
                                json::object{{"custody", std::string(kNamespace)}}};
  doc["type"] = "EPCISDocument";
  doc["schemaVersion"] = "2.0";
  doc["creationDate"] = format_rfc3339(recorded_at);
  doc["epcisHeader"] = json::object{{"custody:origin", origin}, {"custody:seq", seq}};
  doc["epcisBody"] = json::object{{"eventList", std::move(list)}};
  std::string out;
  write_epcis_json(doc, out);
  return out;
}

Result<EpcisExport> epcis_export(const ledger::Snapshot& snap, const EpcisScope& scope,
                                 const ledger::Site& site, const std::string& origin) {
  return ledger::reading([&]() -> Result<EpcisExport> {
    Mapper mapper(snap, site, origin);
    std::optional<Error> problem;
    auto each = [&](std::uint64_t, std::string_view bytes) {
      auto rec = ledger::decode_record(bytes);
      if (!rec) {
        problem = rec.error();
        return false;
      }
      if (scope.by == EpcisScope::By::kTime) {
        const TimeNs at = rec->occurred_at != 0 ? rec->occurred_at : rec->recorded_at;
        if (at < scope.from || at >= scope.to) return true;
      }
      if (auto r = mapper.add(*rec); !r) {
        problem = r.error();
        return false;
      }
      return true;
    };
    if (scope.by == EpcisScope::By::kLot || scope.by == EpcisScope::By::kWorkOrder) {
      const bool lot = scope.by == EpcisScope::By::kLot;
      const std::string& id = lot ? scope.lot : scope.wo;
      if (!snap.get(snap.family(kEntitiesCf), keys::entity(lot ? "lot" : "wo", id))) {
        return fail(ErrorCode::kNotFound, (lot ? "lot " : "work order ") + id + " does not exist",
                    lot ? "lot" : "wo");
      }
      // The records of its own stream, and those of other streams its history index lists.
      std::vector<std::uint64_t> seqs;
      if (auto r = snap.stream_records(keys::stream(lot ? "lot" : "wo", id), 1, 0,
                                       [&](std::uint64_t seq, std::string_view) {
                                         seqs.push_back(seq);
                                         return true;
                                       });
          !r) {
        return std::unexpected(r.error());
      }
      snap.scan_prefix(snap.family(kHistoryCf), keys::history_prefix(lot ? "lot" : "wo", id),
                       [&](std::string_view key, std::string_view) {
                         if (auto seq = keys::parse_history(key)) seqs.push_back(*seq);
                         return true;
                       });
      // Their corrections, which are in the corrected record's stream, perhaps another one:
      // back along that stream from the latest (the corrections projection names it).
      const auto corrections = snap.family(kCorrectionsCf);
      for (std::size_t i = 0, listed = seqs.size(); i < listed; ++i) {
        auto in_force = snap.get(corrections, keys::correction(seqs[i]));
        if (!in_force) continue;
        codec::MessageView view(*in_force);
        const std::uint64_t latest = view.root<s::Correction>().getLastSeq();
        auto found =
            corrections_back(snap, seqs[i], latest, [&](const ledger::RecordFields& r, auto) {
              seqs.push_back(r.seq);
              return true;
            });
        if (!found) return std::unexpected(found.error());
      }
      std::sort(seqs.begin(), seqs.end());
      seqs.erase(std::unique(seqs.begin(), seqs.end()), seqs.end());
      for (auto seq : seqs) {
        auto bytes = snap.record(seq);
        if (!bytes) return std::unexpected(bytes.error());
        if (!each(seq, *bytes)) break;
      }
    } else {
      if (scope.to <= scope.from)
        return fail(ErrorCode::kInvalidArgument, "the time window is empty", "to");
      const std::uint64_t from = scope.by == EpcisScope::By::kSinceSeq ? scope.since_seq : 1;
      if (auto r = snap.records(from, 0, each); !r) return std::unexpected(r.error());
    }
    if (problem) return std::unexpected(*problem);
    return mapper.finish();
  });
}

}  // namespace custody::domain
