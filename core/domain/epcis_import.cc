#include "custody/domain/epcis_import.h"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <deque>
#include <mutex>
#include <optional>
#include <set>

#include "custody/codec/capnp_util.h"
#include "custody/common/encoding.h"
#include "custody/crypto/sha256.h"
#include "custody/domain/command_codec.h"
#include "custody/domain/projections.h"
#include "custody/epcis/gs1_keys.h"
#include "custody/epcis/validate.h"
#include "custody/ledger/record.h"
#include "partners.h"
#include "received.h"
#include "state_access.h"

namespace custody::domain {

namespace json = boost::json;

namespace {

std::unexpected<Error> refuse(std::string pointer, std::string message) {
  return std::unexpected(
      Error{ErrorCode::kInvalidArgument, std::move(message), std::move(pointer)});
}

// Where the events of a document stand, as a JSON pointer.
std::string list_pointer(const json::value& document) {
  const json::value* body =
      document.is_object() ? document.get_object().if_contains("epcisBody") : nullptr;
  if (body != nullptr && body->is_object() && body->get_object().contains("queryResults")) {
    return "/epcisBody/queryResults/resultsBody/eventList/";
  }
  return "/epcisBody/eventList/";
}

}  // namespace

Result<EpcisImportPlan> plan_epcis_import(const ledger::Snapshot& snap, std::string_view document,
                                          std::string_view source, std::string_view partner) {
  if (document.starts_with("\xEF\xBB\xBF")) {
    return refuse("",
                  "the document starts with a byte order mark (U+FEFF), which JSON text "
                  "exchanged between systems must not (RFC 8259 section 8.1)");
  }
  json::error_code ec;
  json::value doc = json::parse(document, ec);
  if (ec) return refuse("", "the document is not JSON: " + ec.message());
  if (auto v = epcis::validate_document(doc); !v) return std::unexpected(v.error());
  auto events = epcis::document_events(doc);
  if (!events) return refuse(pointer_of(events.error().field), events.error().message);
  if (!partner.empty() &&
      !snap.get(snap.family(kEntitiesCf), keys::entity("party", partner)).has_value()) {
    return std::unexpected(Error{ErrorCode::kNotFound,
                                 "party " + std::string(partner) + " does not exist", "partner"});
  }
  if (source.size() > 1000 || std::any_of(source.begin(), source.end(),
                                          [](unsigned char c) { return c < 0x20 || c == 0x7f; })) {
    return std::unexpected(Error{ErrorCode::kInvalidArgument,
                                 "must be at most 1000 bytes without control characters",
                                 "source"});
  }
  const json::value* at_context =
      doc.is_object() ? doc.get_object().if_contains("@context") : nullptr;
  const std::string context_json = at_context != nullptr ? json::serialize(*at_context) : "";
  // Every record keeps the context its event needs, so it must stay small.
  if (context_json.size() > kMaxEpcisContextBytes) {
    return refuse("/@context", "is larger than the " + std::to_string(kMaxEpcisContextBytes) +
                                   " bytes custody keeps with each event");
  }
  const std::string at = list_pointer(doc);
  if (events->events.size() > kMaxEpcisEvents) {
    return refuse(at.substr(0, at.size() - 1), "holds more than " +
                                                   std::to_string(kMaxEpcisEvents) +
                                                   " events: send it as several documents");
  }
  const auto index = snap.family(kIndexCf);

  EpcisImportPlan plan;
  plan.events = events->events.size();
  std::set<std::string> seen;
  for (std::size_t i = 0; i < events->events.size(); ++i) {
    const json::object& event = events->events[i];
    const std::string pointer = at + std::to_string(i);
    auto id = epcis_event_identity(event, events->context);
    if (!id) return refuse(pointer + id.error().field, id.error().message);
    // A partner retracts an event by sending it again with an errorDeclaration: that is new
    // once, where the event itself is not.
    const bool declares = event.contains("errorDeclaration");
    const std::string key = declares ? id->event_id + "\n#errorDeclaration" : id->event_id;
    const auto stored = stored_event(snap, index, id->event_id);
    if (stored) {
      if (stored->hash_id != id->hash_id) {
        return refuse(pointer + "/eventID", "event " + id->event_id +
                                                " is stored already with other content (record " +
                                                std::to_string(stored->seq) + ")");
      }
      if (declares && stored->partner != partner) {
        return std::unexpected(Error{
            ErrorCode::kPermissionDenied,
            "only " +
                (stored->partner.empty() ? std::string("an unnamed partner") : stored->partner) +
                ", who sent event " + id->event_id + ", may declare it wrong",
            "partner"});
      }
    }
    if (!seen.insert(key).second ||
        (declares ? snap.get(index, keys::epcis_error(id->event_id)).has_value()
                  : stored.has_value())) {
      plan.duplicates.push_back(id->event_id);
      continue;
    }
    const std::string event_json = json::serialize(event);
    if (event_json.size() > kMaxEpcisEventBytes) {
      return refuse(pointer, "the event is larger than the " + std::to_string(kMaxEpcisEventBytes) +
                                 " bytes custody keeps of one event");
    }
    std::string data;
    codec::JsonWriter w(data);
    w.begin_object();
    w.key("event").raw(event_json);
    if (!context_json.empty()) w.key("context").raw(context_json);
    w.key("source").string(source);
    if (!partner.empty()) w.key("partner").string(partner);
    w.end_object();
    // The command id covers the data: a retry of this very import is the ledger's duplicate,
    // and the same event in another document or request is refused by the rule as stored.
    plan.fresh.push_back(EpcisImportItem{
        id->event_id, event_text(event, "type"),
        std::string(kEpcisCommandIdPrefix) + to_hex(crypto::sha256(key + "\n" + data)),
        std::move(data)});
  }
  return plan;
}

std::string epcis_capture_command(const EpcisImportItem& item, std::string_view actor) {
  std::string line;
  codec::JsonWriter w(line);
  w.begin_object();
  w.key("type").string("epcis.capture");
  w.key("commandId").string(item.command_id);
  w.key("actor").string(actor);
  w.key("data").raw(item.data_json);
  w.end_object();
  return line;
}

void submit_epcis_import(const EpcisImportPlan& plan, std::string_view actor,
                         const SubmitCommand& submit,
                         std::function<void(Result<std::string>)> done) {
  struct Outcome {
    std::mutex mu;
    std::vector<std::optional<Result<ledger::CommandResult>>> results;
    std::size_t pending = 0;
    std::vector<EpcisImportItem> items;
    std::size_t events = 0, duplicates = 0;
    std::function<void(Result<std::string>)> done;
    void finish() {
      std::string out;
      codec::JsonWriter w(out);
      w.begin_object();
      w.key("ok").boolean(true);
      w.key("events").uint64(events);
      w.key("stored").begin_array();
      for (std::size_t i = 0; i < results.size(); ++i) {
        const auto& r = *results[i];
        if (!r && r.error().code == ErrorCode::kAlreadyExists) {  // stored meanwhile
          ++duplicates;
          continue;
        }
        if (!r) return done(std::unexpected(r.error()));
        if (r->duplicate) {
          ++duplicates;
          continue;
        }
        w.begin_object();
        w.key("eventId").string(items[i].event_id);
        w.key("type").string(items[i].event_type);
        w.key("seq").uint64(r->seq);
        w.end_object();
      }
      w.end_array();
      w.key("duplicates").uint64(duplicates);
      w.end_object();
      done(std::move(out));
    }
  };
  auto outcome = std::make_shared<Outcome>();
  outcome->items = plan.fresh;
  outcome->events = plan.events;
  outcome->duplicates = plan.duplicates.size();
  outcome->results.resize(plan.fresh.size());
  outcome->pending = plan.fresh.size() + 1;  // one for the loop below
  outcome->done = std::move(done);
  auto one_done = [outcome] {
    bool last = false;
    {
      std::lock_guard lock(outcome->mu);
      last = --outcome->pending == 0;
    }
    if (last) outcome->finish();
  };
  for (std::size_t i = 0; i < plan.fresh.size(); ++i) {
    submit(epcis_capture_command(plan.fresh[i], actor),
           [outcome, i, one_done](Result<ledger::CommandResult> r) {
             {
               std::lock_guard lock(outcome->mu);
               outcome->results[i] = std::move(r);
             }
             one_done();
           });
  }
  one_done();
}

namespace {

struct Found {
  std::string event_id;
  std::string role;
};

// The stored events naming `key`'s identifier (an "epcis_id/" or "epcis_lot/" prefix).
std::vector<Found> events_under(const ledger::Snapshot& snap, ledger::Reader::Cf index,
                                const std::string& prefix) {
  std::vector<Found> out;
  snap.scan_prefix(index, prefix, [&](std::string_view key, std::string_view value) {
    out.push_back(Found{std::string(key.substr(prefix.size())), std::string(value)});
    return true;
  });
  return out;
}

}  // namespace

namespace {

// The SSCC a received lot's receipt named, or "".
std::string received_sscc(const ledger::Snapshot& snap, std::string_view lot) {
  auto in_force = received_in_force(snap, lot);
  if (!in_force) return {};
  codec::MessageView view(in_force->payload);
  return str(view.root<s::LotReceived>().getSscc());
}

}  // namespace

std::vector<PartnerHop> partner_trace(const ledger::Snapshot& snap, const Trace& trace,
                                      Direction direction, std::uint32_t max_depth) {
  const std::string& origin = snap.store().meta().origin;
  const auto index = snap.family(kIndexCf);
  // A ledger that never took a partner's event (most, and every benchmark) pays one seek.
  bool any = false;
  snap.scan_prefix(index, keys::epcis_event(""), [&](std::string_view, std::string_view) {
    any = true;
    return false;
  });
  if (!any) return {};
  const auto entities = snap.family(kEntitiesCf);
  const bool back = direction == Direction::kBackward;
  // Upstream, an event that made or shipped what we hold; downstream, one that used or
  // received what we shipped. Only a transformation or a packing leads on, through the
  // identifiers on its other side.
  const std::string_view leads_on = back ? "output" : "input";
  auto has = [](std::string_view roles, std::string_view role) {
    return ("," + std::string(roles) + ",").find("," + std::string(role) + ",") !=
           std::string::npos;
  };
  auto wanted = [&](std::string_view roles) {
    return has(roles, leads_on) || has(roles, "object");
  };

  struct Step {
    std::string identifier;
    std::string prefix;
    std::string lot;
    std::uint32_t depth;
    std::string only_partner;  // a lot code alone is trusted only from the lot's supplier
  };
  std::deque<Step> queue;
  std::set<std::string> queued;  // prefixes already looked up
  auto enqueue = [&](std::string identifier, std::string prefix, std::string_view lot,
                     std::uint32_t depth, std::string only_partner = {}) {
    if (queued.insert(prefix + '\n' + only_partner).second) {
      queue.push_back(Step{std::move(identifier), std::move(prefix), std::string(lot), depth,
                           std::move(only_partner)});
    }
  };
  for (const auto& l : trace.lots) {
    auto v = snap.get(entities, keys::entity("lot", l.lot));
    if (!v) continue;
    codec::MessageView view(*v);
    auto lot = view.root<s::Lot>();
    const bool received = lot.getOrigin() == s::LotOrigin::RECEIVED;
    if (back ? !received : lot.getShipped() == 0) continue;
    std::string cls = lot_epc_class(snap, l.lot, origin);
    if (auto c = epcis::canonical_identifier(cls)) cls = std::move(*c);
    enqueue(cls, keys::epcis_identifier_prefix(cls), l.lot, 1);
    // A supplier who writes the lot under another GTIN, or under a private class, still
    // writes its lot code: the one the receipt recorded. Lot codes are not unique across
    // suppliers, so only events filed for the receipt's supplier count.
    if (back && lot.getSupplierLot().size() > 0 && lot.getSupplier().size() > 0) {
      enqueue("lot code " + str(lot.getSupplierLot()),
              keys::epcis_lot_prefix(sv(lot.getSupplierLot())), l.lot, 1, str(lot.getSupplier()));
    }
    // The pallet it came on: the supplier's shipping event names its SSCC, and the packing
    // event that put lots on it leads on to them. An SSCC is unique to its company prefix,
    // so it is trusted from whoever filed it.
    if (back) {
      if (auto sscc = received_sscc(snap, l.lot); !sscc.empty()) {
        const std::string unit = "https://id.gs1.org/00/" + sscc;
        enqueue(unit, keys::epcis_identifier_prefix(unit), l.lot, 1);
      }
    }
  }

  std::vector<PartnerHop> hops;
  std::set<std::string> reached;
  while (!queue.empty()) {
    Step step = std::move(queue.front());
    queue.pop_front();
    for (const Found& f : events_under(snap, index, step.prefix)) {
      if (!wanted(f.role) || reached.contains(f.event_id)) continue;
      auto stored = stored_event(snap, index, f.event_id);
      if (!stored) continue;
      if (!step.only_partner.empty() && stored->partner != step.only_partner) continue;
      reached.insert(f.event_id);
      const std::uint64_t seq = stored->seq;
      auto bytes = snap.record(seq);
      if (!bytes) continue;
      auto rec = ledger::decode_record(*bytes);
      if (!rec) continue;
      codec::MessageView pv(rec->payload);
      auto e = pv.root<s::EpcisCaptured>();
      auto retracted = snap.get(index, keys::epcis_error(f.event_id));
      hops.push_back(PartnerHop{step.lot, step.identifier, f.role, step.depth, f.event_id,
                                str(e.getEventType()), str(e.getBizStep()), str(e.getPartner()),
                                str(e.getSource()), e.getEventTime(), seq, retracted.has_value(),
                                retracted.value_or(""), rec->actor});
      if (hops.size() >= kMaxPartnerHops) return hops;
      if (retracted || !has(f.role, leads_on) || (max_depth != 0 && step.depth >= max_depth)) {
        continue;
      }
      for (auto next : back ? e.getInputs() : e.getOutputs()) {
        enqueue(str(next), keys::epcis_identifier_prefix(sv(next)), step.lot, step.depth + 1);
      }
    }
  }
  return hops;
}

void write_partner_hops(const std::vector<PartnerHop>& hops, codec::JsonWriter& w) {
  w.key("partnerEvents").begin_array();
  for (const auto& h : hops) {
    w.begin_object();
    w.key("lot").string(h.lot);
    w.key("depth").uint64(h.depth);
    w.key("identifier").string(h.identifier);
    w.key("role").string(h.role);
    w.key("eventType").string(h.event_type);
    if (!h.biz_step.empty()) w.key("bizStep").string(h.biz_step);
    w.key("eventTime").string(format_rfc3339(h.event_time));
    w.key("evidence").begin_object();
    w.key("by").string(h.partner.empty() ? "partner" : h.partner);
    w.key("eventId").string(h.event_id);
    w.key("document").string(h.source);
    w.key("seq").uint64(h.seq);
    w.key("filedBy").string(h.filed_by);
    w.end_object();
    if (h.error_declared) {
      w.key("errorDeclared").begin_object();
      w.key("reason").string(h.declaration_reason);
      w.end_object();
    }
    w.end_object();
  }
  w.end_array();
}

}  // namespace custody::domain
