// Partners' EPCIS 2.0 events as evidence: a supplier's shipping or transformation, a
// customer's receipt. Each event is one record in its own stream, "epcis:<eventId>", and is
// indexed under every identifier it names so that a trace can cross the plant's gate
// (partner_trace.cc). The rule, not the importer, works out what is stored: the Event Hash ID,
// the identifiers and the event time, so a command sent straight to the API gets the same
// checks as `custody epcis import`.
#include "partners.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <map>
#include <set>

#include "catalogue.h"
#include "custody/common/encoding.h"
#include "custody/common/percent.h"
#include "custody/epcis/event_hash.h"
#include "custody/epcis/gs1_keys.h"
#include "custody/epcis/validate.h"

namespace custody::domain {

namespace json = boost::json;

namespace {

// The identifiers of a list of EPCs, or of a quantity list's classes, canonical.
void add_identifiers(const json::object& event, std::string_view key, bool quantities,
                     std::vector<std::string>& out) {
  std::set<std::string> seen(out.begin(), out.end());
  const json::value* list = event.if_contains(key);
  if (list == nullptr || !list->is_array()) return;
  for (const json::value& item : list->get_array()) {
    const json::value* id = &item;
    if (quantities) {
      id = item.is_object() ? item.get_object().if_contains("epcClass") : nullptr;
    }
    if (id == nullptr || !id->is_string()) continue;
    auto canonical = epcis::canonical_identifier(id->get_string());
    std::string value = canonical ? std::move(*canonical) : std::string(id->get_string());
    if (seen.insert(value).second) out.push_back(std::move(value));
  }
}

void add_parent(const json::object& event, std::vector<std::string>& out) {
  const json::value* parent = event.if_contains("parentID");
  if (parent == nullptr || !parent->is_string()) return;
  auto canonical = epcis::canonical_identifier(parent->get_string());
  out.push_back(canonical ? std::move(*canonical) : std::string(parent->get_string()));
}

Result<void> decide_capture(Decide& d, s::EpcisCapture::Reader c) {
  json::error_code ec;
  json::value event = json::parse(sv(c.getEvent()), ec);
  if (ec || !event.is_object()) return invalid("data.event", "must be a JSON object (one event)");
  epcis::Context context;
  if (c.getContext().size() > 0) {
    json::value at_context = json::parse(sv(c.getContext()), ec);
    if (ec) return invalid("data.context", "must be JSON");
    auto parsed = epcis::Context::from_json_ld(at_context);
    if (!parsed) return invalid("data.context", parsed.error().message);
    context = std::move(*parsed);
  }
  const json::object& e = event.get_object();
  if (auto v = epcis::validate_event(e, context, ""); !v) {
    return invalid("data.event" + v.error().field, v.error().message);
  }
  auto identity = epcis_event_identity(e, context);
  if (!identity) return invalid("data.event" + identity.error().field, identity.error().message);
  const json::value* declaration = e.if_contains("errorDeclaration");
  if (auto stored = stored_event(d.state, d.cf.index, identity->event_id)) {
    if (stored->hash_id != identity->hash_id) {
      return invalid("data.event/eventID", "event " + identity->event_id +
                                               " is stored already with other content (record " +
                                               std::to_string(stored->seq) + ")");
    }
    if (declaration != nullptr && stored->partner != sv(c.getPartner())) {
      return std::unexpected(
          Error{ErrorCode::kPermissionDenied,
                "only the partner who sent event " + identity->event_id + " may declare it wrong",
                "data.partner"});
    }
    // Stored already: only the partner's retraction of it is new, and only once.
    if (declaration == nullptr) {
      return already_exists("data.event/eventID", "EPCIS event " + identity->event_id);
    }
    if (d.state.get(d.cf.index, keys::epcis_error(identity->event_id))) {
      return already_exists("data.event/errorDeclaration",
                            "the error declaration of EPCIS event " + identity->event_id);
    }
  }
  if (c.getPartner().size() > 0 && !find_party(d, sv(c.getPartner()))) {
    return not_found("data.partner", "party " + str(c.getPartner()));
  }
  auto at = parse_rfc3339(event_text(e, "eventTime"));
  if (!at) return invalid("data.event/eventTime", at.error().message);

  const EventIdentifiers ids = event_identifiers(e);
  capnp::MallocMessageBuilder msg(1024);
  auto out = msg.initRoot<s::EpcisCaptured>();
  out.setEventId(identity->event_id);
  out.setHashId(identity->hash_id);
  out.setEventType(event_text(e, "type"));
  out.setEventTime(*at);
  out.setBizStep(event_text(e, "bizStep"));
  out.setPartner(c.getPartner());
  out.setSource(c.getSource());
  out.setEvent(json::serialize(event));
  out.setContext(c.getContext());
  auto fill = [](auto list, const std::vector<std::string>& from) {
    for (unsigned i = 0; i < from.size(); ++i) list.set(i, from[i]);
  };
  fill(out.initInputs(static_cast<unsigned>(ids.inputs.size())), ids.inputs);
  fill(out.initOutputs(static_cast<unsigned>(ids.outputs.size())), ids.outputs);
  fill(out.initObjects(static_cast<unsigned>(ids.objects.size())), ids.objects);
  if (declaration != nullptr && declaration->is_object()) {
    out.setErrorDeclared(true);
    out.setDeclarationReason(event_text(declaration->get_object(), "reason"));
    auto when = parse_rfc3339(event_text(declaration->get_object(), "declarationTime"));
    if (!when) return invalid("data.event/errorDeclaration/declarationTime", when.error().message);
    out.setDeclarationTime(*when);
  }
  d.emit_struct(keys::stream("epcis", identity->event_id), "epcis.captured", out);
  return {};
}

void apply_captured(Apply& a, s::EpcisCaptured::Reader e) {
  const std::string id = str(e.getEventId());
  if (e.getPartner().size() > 0) a.history("party", sv(e.getPartner()));
  if (e.getErrorDeclared()) a.index(keys::epcis_error(id), sv(e.getDeclarationReason()));
  if (a.state.get(a.cf.index, keys::epcis_event(id))) return;  // a retraction: indexed already
  a.index(keys::epcis_event(id),
          stored_event_value(a.rec.seq, sv(e.getPartner()), sv(e.getHashId())));
  // An identifier may be on both sides (a lot repacked under its own class): its roles are
  // kept together, "input,output".
  std::map<std::string, std::string> roles;
  auto add = [&](capnp::List<capnp::Text>::Reader list, std::string_view role) {
    for (auto x : list) {
      auto note = [&](std::string key) {
        std::string& r = roles[std::move(key)];
        if (!r.empty()) r += ',';
        r += role;
      };
      note(keys::epcis_identifier_prefix(sv(x)) + id);
      if (auto lot = lgtin_lot_code(sv(x))) note(keys::epcis_lot_prefix(*lot) + id);
    }
  };
  add(e.getInputs(), "input");
  add(e.getOutputs(), "output");
  add(e.getObjects(), "object");
  for (const auto& [key, role] : roles) a.index(key, role);
}

}  // namespace

EventIdentifiers event_identifiers(const json::object& event) {
  EventIdentifiers ids;
  const std::string type = event_text(event, "type");
  const std::string action = event_text(event, "action");
  if (type == "TransformationEvent") {
    add_identifiers(event, "inputEPCList", false, ids.inputs);
    add_identifiers(event, "inputQuantityList", true, ids.inputs);
    add_identifiers(event, "outputEPCList", false, ids.outputs);
    add_identifiers(event, "outputQuantityList", true, ids.outputs);
  } else if (type == "AggregationEvent" && action != "DELETE") {
    // Packing: the children go into the parent (a pallet's SSCC holds the lots on it).
    add_identifiers(event, "childEPCs", false, ids.inputs);
    add_identifiers(event, "childQuantityList", true, ids.inputs);
    add_parent(event, ids.outputs);
  } else if (type == "AggregationEvent") {
    // Unpacking: the parent gives up its children.
    add_parent(event, ids.inputs);
    add_identifiers(event, "childEPCs", false, ids.outputs);
    add_identifiers(event, "childQuantityList", true, ids.outputs);
  } else {
    add_parent(event, ids.objects);
    add_identifiers(event, "epcList", false, ids.objects);
    add_identifiers(event, "childEPCs", false, ids.objects);
    add_identifiers(event, "quantityList", true, ids.objects);
    add_identifiers(event, "childQuantityList", true, ids.objects);
  }
  return ids;
}

std::optional<std::string> lgtin_lot_code(std::string_view identifier) {
  constexpr std::string_view kPrefix = "https://id.gs1.org/01/";
  if (!identifier.starts_with(kPrefix)) return std::nullopt;
  const std::string_view rest = identifier.substr(kPrefix.size());
  if (rest.size() < 18 || rest.substr(14, 4) != "/10/") return std::nullopt;
  std::string lot;
  const std::string_view encoded = rest.substr(18);
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    if (encoded[i] == '%' && i + 2 < encoded.size()) {
      auto hex = from_hex(encoded.substr(i + 1, 2));
      if (hex && hex->size() == 1) {
        lot += static_cast<char>((*hex)[0]);
        i += 2;
        continue;
      }
    }
    lot += encoded[i];
  }
  return lot;
}

std::string event_text(const json::object& event, std::string_view key) {
  const json::value* v = event.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

bool valid_gtin(std::string_view gtin) {
  const std::size_t n = gtin.size();
  if ((n != 8 && n != 12 && n != 13 && n != 14) ||
      gtin.find_first_not_of("0123456789") != std::string_view::npos) {
    return false;
  }
  return epcis::gs1_check_digit(gtin.substr(0, n - 1)) == gtin.back();
}

std::optional<std::string> split_parent(const ledger::Reader& reader, ledger::Reader::Cf bwd,
                                        std::string_view lot) {
  std::optional<std::string> parent;
  const std::string prefix = keys::edge_prefix(lot);
  reader.scan_prefix(bwd, prefix, [&](std::string_view key, std::string_view value) {
    codec::MessageView ev(value);
    if (ev.root<s::Edge>().getKind() != s::EdgeKind::SPLIT) return true;
    parent = std::string(key.substr(prefix.size()));
    return false;
  });
  return parent;
}

std::string lot_epc_class(const ledger::Snapshot& snap, std::string_view part,
                          std::string_view origin) {
  const auto entities = snap.family(kEntitiesCf);
  // The first lot of the chain of splits the part came from (a cycle or a chain of more than
  // 64 splits ends the walk).
  std::string root(part);
  for (int hops = 0; hops < 64; ++hops) {
    auto v = snap.get(entities, keys::entity("lot", root));
    if (!v) break;
    codec::MessageView view(*v);
    if (view.root<s::Lot>().getOrigin() != s::LotOrigin::SPLIT) break;
    auto parent = split_parent(snap, snap.family(kGenealogyBwdCf), root);
    if (!parent) break;
    root = std::move(*parent);
  }
  const std::string_view lot = root;
  std::string material, code(lot);
  if (auto v = snap.get(entities, keys::entity("lot", lot))) {
    codec::MessageView view(*v);
    auto l = view.root<s::Lot>();
    material = str(l.getMaterial());
    if (l.getOrigin() == s::LotOrigin::RECEIVED && l.getSupplierLot().size() > 0) {
      code = str(l.getSupplierLot());
    }
    if (auto m = snap.get(entities, keys::entity("material", material))) {
      codec::MessageView mv(*m);
      const std::string gtin = str(mv.root<s::Material>().getGtin());
      if (valid_gtin(gtin)) {
        return "https://id.gs1.org/01/" + std::string(14 - gtin.size(), '0') + gtin + "/10/" +
               percent_encode(code);
      }
    }
  }
  const std::string id = material.empty() ? std::string(lot) : material + "/" + std::string(lot);
  return "urn:custody:" + percent_encode(origin) + ":lot:" + percent_encode(id);
}

// The event hash names a field as a path ("epcList[2]", "sensorElementList[0].sensorMetadata");
// an importer's refusals are JSON pointers ("/epcList/2").
std::string pointer_of(std::string_view path) {
  std::string out = "/";
  for (char c : path) {
    if (c == '.' || c == '[') {
      out += '/';
    } else if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else if (c != ']') {
      out += c;
    }
  }
  return out;
}

std::string stored_event_value(std::uint64_t seq, std::string_view partner,
                               std::string_view hash_id) {
  return be64(seq) + std::string(partner) + '\0' + std::string(hash_id);
}

std::optional<StoredEvent> stored_event(const ledger::Reader& reader, ledger::Reader::Cf index,
                                        std::string_view event_id) {
  auto v = reader.get(index, keys::epcis_event(event_id));
  if (!v || v->size() < 9) return std::nullopt;
  const std::size_t nul = v->find('\0', 8);
  if (nul == std::string::npos) return std::nullopt;
  return StoredEvent{get_be64(v->data()), v->substr(nul + 1), v->substr(8, nul - 8)};
}

Result<EpcisEventIdentity> epcis_event_identity(const json::object& event,
                                                const epcis::Context& context) {
  auto hash = epcis::event_hash_id(event, context);
  if (!hash) {
    return std::unexpected(
        Error{hash.error().code, hash.error().message, pointer_of(hash.error().field)});
  }
  EpcisEventIdentity id{event_text(event, "eventID"), std::move(*hash)};
  if (id.event_id.empty()) id.event_id = id.hash_id;
  if (id.event_id.size() > 128) {
    return std::unexpected(Error{ErrorCode::kInvalidArgument,
                                 "eventID is longer than the 128 bytes custody keeps", "/eventID"});
  }
  for (unsigned char ch : id.event_id) {
    if (ch < 0x20 || ch == 0x7f) {
      return std::unexpected(
          Error{ErrorCode::kInvalidArgument, "eventID holds a control character", "/eventID"});
    }
  }
  return id;
}

const Area& partners_area() {
  static const Area area{
      "partners",
      {command<s::EpcisCapture, decide_capture>("epcis.capture", {"epcis.captured"},
                                                stream_described("epcis:<the event's id>"))},
      {event<s::EpcisCaptured, apply_captured>("epcis.captured")}};
  return area;
}

}  // namespace custody::domain
