// Corrections: record.correct names an earlier record, says why, and gives the fields that
// were entered wrongly. The original record stays in the log untouched; the correction is a
// new record in the same stream, and projections move by the difference. Only fields whose
// change has a clear meaning can be corrected (quantities, measured values, free text), as
// each event type's declaration says, with its own checks and projection moves (catalogue.h);
// anything structural (which lot, which order) is undone by a compensating command instead.
#include <algorithm>
#include <boost/json.hpp>

#include "catalogue.h"
#include "custody/codec/json_binding.h"
#include "custody/codec/json_parse.h"
#include "custody/domain/projections.h"
#include "custody/ledger/record.h"
#include "received.h"

namespace custody::domain {
namespace {

// The payload in force for record `seq`: its latest correction, or the record's own.
std::string payload_in_force(const State& state, const Cfs& cf, std::uint64_t seq,
                             const std::string& original) {
  if (auto c = load<s::Correction>(state, cf.corrections, keys::correction(seq))) {
    auto p = c->get().getPayload();
    return std::string(reinterpret_cast<const char*>(p.begin()), p.size());
  }
  return original;
}

// Fields that differ between two structs of the same schema, by name, compared through
// their JSON form (exact for every field type).
std::vector<std::string> changed_fields(capnp::DynamicStruct::Reader a,
                                        capnp::DynamicStruct::Reader b) {
  std::vector<std::string> out;
  for (auto field : a.getSchema().getFields()) {
    std::string ja, jb;
    codec::JsonWriter wa(ja), wb(jb);
    codec::write_field(a, field, wa);
    codec::write_field(b, field, wb);
    if (ja != jb) out.push_back(field.getProto().getName().cStr());
  }
  return out;
}

Result<void> decide_correct(Decide& d, s::RecordCorrect::Reader r) {
  const std::uint64_t seq = r.getSeq();
  auto original_bytes = d.state.record(seq);
  if (seq == 0 || !original_bytes) return not_found("data.seq", "record " + std::to_string(seq));
  auto original = ledger::decode_record(*original_bytes);
  if (!original) return std::unexpected(original.error());
  if (original->type == "record.corrected") {
    return invalid("data.seq", "record " + std::to_string(seq) +
                                   " is itself a correction; correct the original record");
  }
  if (!original->payload_present) {
    return invalid("data.seq", "record " + std::to_string(seq) + " has been redacted");
  }
  const EventSpec* spec = find_event_spec(original->type);
  if (spec == nullptr || spec->correction.fields.empty()) {
    return invalid("data.seq", "records of type " + original->type +
                                   " cannot be corrected; record a compensating command");
  }
  const auto& correctable = spec->correction.fields;

  auto parsed =
      codec::parse_json(std::string_view(r.getData().cStr(), r.getData().size()), "data.data");
  if (!parsed) return std::unexpected(parsed.error());
  const boost::json::value& json = *parsed;
  if (!json.is_object()) return invalid("data.data", "must be an object of corrected fields");
  const std::string current = payload_in_force(d.state, d.cf, seq, original->payload);
  codec::MessageView before(current);
  auto old = before.reader().getRoot<capnp::DynamicStruct>(spec->payload);
  capnp::MallocMessageBuilder msg(256);
  msg.setRoot(old);
  auto fixed = msg.getRoot<capnp::DynamicStruct>(spec->payload);
  if (auto bound = codec::bind_struct(json, fixed, "data.data", codec::BindMode::kPatch); !bound) {
    return std::unexpected(bound.error());
  }
  const auto changed = changed_fields(old, fixed.asReader());
  if (changed.empty()) {
    return invalid("data.data", "changes nothing in record " + std::to_string(seq));
  }
  for (const auto& f : changed) {
    if (std::find(correctable.begin(), correctable.end(), f) == correctable.end()) {
      return invalid("data.data." + f, "cannot be corrected on " + original->type +
                                           "; record a compensating command");
    }
  }
  // The type's own rules: derived fields follow, quantities stay possible.
  if (auto ok = spec->correction.check(d, current, msg); !ok) return ok;

  capnp::MallocMessageBuilder out(256);
  auto e = out.initRoot<s::RecordCorrected>();
  e.setSeq(seq);
  e.setReason(r.getReason());
  e.setType(original->type);
  const std::string corrected = codec::canonical_bytes(msg.getRoot<capnp::AnyStruct>().asReader());
  e.setPayload(kj::arrayPtr(reinterpret_cast<const kj::byte*>(corrected.data()), corrected.size()));
  auto ch = e.initChanged(changed.size());
  for (unsigned i = 0; i < changed.size(); ++i) ch.set(i, changed[i]);
  d.emit_struct(original->stream, "record.corrected", e);
  return {};
}

// The payload in force when record `a.rec` corrects record `seq`. Live (and in a rebuild) the
// corrections projection says it. A replay against later projections (apply_records_after,
// which keeps only the genealogy graph) finds them past this record, so it walks the stream
// back from this record to the previous correction of the same record, or the original.
std::string payload_before(const Apply& a, std::uint64_t seq, const std::string& original) {
  auto c = load<s::Correction>(a.state, a.cf.corrections, keys::correction(seq));
  if (!c || c->get().getLastSeq() < a.rec.seq) {
    return payload_in_force(a.state, a.cf, seq, original);
  }
  const auto prev = [&](std::uint64_t at) -> std::optional<ledger::RecordFields> {
    auto bytes = a.state.record(at);
    if (!bytes) return std::nullopt;
    auto r = ledger::decode_record(*bytes);
    if (!r || r->stream_prev_seq >= at) return std::nullopt;
    auto p = a.state.record(r->stream_prev_seq);
    if (!p) return std::nullopt;
    auto rec = ledger::decode_record(*p);
    return rec ? std::optional(std::move(*rec)) : std::nullopt;
  };
  for (auto r = prev(a.rec.seq); r && r->seq > seq; r = prev(r->seq)) {
    if (r->type != "record.corrected" || !r->payload_present) continue;
    codec::MessageView view(r->payload);
    auto earlier = view.root<s::RecordCorrected>();
    if (earlier.getSeq() != seq) continue;
    return std::string(reinterpret_cast<const char*>(earlier.getPayload().begin()),
                       earlier.getPayload().size());
  }
  return original.empty() ? payload_in_force(a.state, a.cf, seq, original) : original;
}

// Moves projections by the difference between the payload in force and the new one (the
// corrected type's shift), then records the new payload in force.
void apply_corrected(Apply& a, s::RecordCorrected::Reader r) {
  const std::uint64_t seq = r.getSeq();
  auto original = ledger::decode_record(*a.state.record(seq));
  const std::string before = payload_before(a, seq, original->payload);
  const std::string after(reinterpret_cast<const char*>(r.getPayload().begin()),
                          r.getPayload().size());
  if (const EventSpec* spec = find_event_spec(codec::view(r.getType()))) {
    spec->correction.shift(a, before, after, *original);
  }

  capnp::MallocMessageBuilder msg(128);
  auto c = msg.initRoot<s::Correction>();
  c.setPayload(r.getPayload());
  std::uint32_t count = 1;
  if (auto old = load<s::Correction>(a.state, a.cf.corrections, keys::correction(seq))) {
    count += old->get().getCorrections();
  }
  c.setCorrections(count);
  c.setLastSeq(a.rec.seq);
  put_struct(a.state, a.cf.corrections, keys::correction(seq), c);
}

// record.redact: blanks personal data in free-text fields and removes the record's payload
// bytes from the log (the sequencer does that, for the event's `erases`). What stays in force
// is the payload with those fields blanked (the remainder), kept in the record.redacted
// record and, for views, in the corrections projection as the payload in force.
Result<void> decide_redact(Decide& d, s::RecordRedact::Reader r) {
  const std::uint64_t seq = r.getSeq();
  auto bytes = seq == 0 ? std::nullopt : d.state.record(seq);
  if (!bytes) return not_found("data.seq", "record " + std::to_string(seq));
  auto original = ledger::decode_record(*bytes);
  if (!original) return std::unexpected(original.error());
  if (!original->payload_present) {
    return invalid("data.seq", "record " + std::to_string(seq) + " has been redacted already");
  }
  if (load<s::Correction>(d.state, d.cf.corrections, keys::correction(seq))) {
    return invalid("data.seq",
                   "record " + std::to_string(seq) +
                       " has been corrected or redacted; its corrections hold the same text, so "
                       "it cannot be redacted alone");
  }
  const EventSpec* spec = find_event_spec(original->type);
  std::vector<capnp::StructSchema::Field> text_fields;
  if (spec != nullptr) {
    for (auto name : spec->correction.fields) {
      auto f = spec->payload.getFieldByName(kj::StringPtr(name.data(), name.size()));
      if (f.getType().isText()) text_fields.push_back(f);
    }
  }
  if (text_fields.empty()) {
    return invalid("data.seq",
                   "records of type " + original->type + " hold no free text that can be redacted");
  }
  if (codec::view(r.getReason()).find_first_not_of(" \t") == std::string_view::npos) {
    return invalid("data.reason", "must say why the data is erased");
  }
  if (r.getFields().size() == 0) return invalid("data.fields", "name at least one field");

  codec::MessageView before(original->payload);
  capnp::MallocMessageBuilder msg(256);
  msg.setRoot(before.reader().getRoot<capnp::DynamicStruct>(spec->payload));
  auto blanked = msg.getRoot<capnp::DynamicStruct>(spec->payload);
  std::vector<std::string> names;
  for (unsigned i = 0; i < r.getFields().size(); ++i) {
    const std::string name(codec::view(r.getFields()[i]));
    const std::string field = "data.fields[" + std::to_string(i) + "]";
    auto it = std::find_if(text_fields.begin(), text_fields.end(),
                           [&](const auto& f) { return name == f.getProto().getName().cStr(); });
    if (it == text_fields.end()) {
      std::string allowed;
      for (const auto& f : text_fields) {
        allowed += (allowed.empty() ? "" : ", ") + std::string(f.getProto().getName().cStr());
      }
      return invalid(field, "'" + name + "' is not a free-text field of " + original->type +
                                " (these are: " + allowed + ")");
    }
    if (std::find(names.begin(), names.end(), name) != names.end()) {
      return invalid(field, "names '" + name + "' twice");
    }
    names.push_back(name);
    blanked.set(*it, capnp::Text::Reader(""));
  }
  const std::string remainder = codec::canonical_bytes(msg.getRoot<capnp::AnyStruct>().asReader());

  capnp::MallocMessageBuilder out(256);
  auto e = out.initRoot<s::RecordRedacted>();
  e.setSeq(seq);
  e.setReason(r.getReason());
  e.setType(original->type);
  auto fl = e.initFields(names.size());
  for (unsigned i = 0; i < names.size(); ++i) fl.set(i, names[i]);
  e.setRemainder(
      kj::arrayPtr(reinterpret_cast<const kj::byte*>(remainder.data()), remainder.size()));
  d.emit_struct(original->stream, "record.redacted", e);
  d.events.back().erases = seq;
  return {};
}

// The projections move from what the record said to its remainder (as a correction would),
// and the remainder becomes the payload in force. In a replay the redacted record itself was
// applied with its remainder already (PlantMachine::apply), so nothing moves then.
void apply_redacted(Apply& a, s::RecordRedacted::Reader r) {
  const std::uint64_t seq = r.getSeq();
  auto original = ledger::decode_record(*a.state.record(seq));
  const std::string after(reinterpret_cast<const char*>(r.getRemainder().begin()),
                          r.getRemainder().size());
  // Live, the record still has its payload here (its rewrite is in this record's batch);
  // in a replay its payload is gone and it was applied with the remainder.
  const std::string before = original->payload_present ? original->payload : after;
  if (const EventSpec* spec = find_event_spec(codec::view(r.getType()))) {
    if (before != after) spec->correction.shift(a, before, after, *original);
  }
  capnp::MallocMessageBuilder msg(128);
  auto c = msg.initRoot<s::Correction>();
  c.setPayload(r.getRemainder());
  c.setCorrections(0);
  c.setLastSeq(a.rec.seq);
  put_struct(a.state, a.cf.corrections, keys::correction(seq), c);
}

}  // namespace

std::optional<Received> received_in_force(const ledger::Snapshot& snap, std::string_view lot) {
  std::optional<Received> out;
  (void)snap.stream_records(keys::stream("lot", lot), 1, 1,
                            [&](std::uint64_t seq, std::string_view bytes) {
                              auto rec = ledger::decode_record(bytes);
                              if (!rec || rec->type != "lot.received" || !rec->payload_present) {
                                return false;
                              }
                              out = Received{seq, rec->recorded_at, std::move(rec->payload)};
                              return false;
                            });
  if (out) {
    if (auto c = snap.get(snap.family(kCorrectionsCf), keys::correction(out->seq))) {
      codec::MessageView view(*c);
      const auto p = view.root<s::Correction>().getPayload();
      out->payload.assign(reinterpret_cast<const char*>(p.begin()), p.size());
    }
  }
  return out;
}

// What is left of a redacted record: the remainder its record.redacted record holds.
std::string redacted_remainder(const ledger::State& state, std::uint64_t seq,
                               std::uint64_t redacted_by) {
  auto bytes = state.record(redacted_by);
  if (!bytes)
    throw std::runtime_error("the redaction record " + std::to_string(redacted_by) + " is missing");
  auto rec = ledger::decode_record(*bytes);
  if (!rec || rec->type != "record.redacted" || !rec->payload_present) {
    throw std::runtime_error("record " + std::to_string(redacted_by) + " is not a redaction");
  }
  codec::MessageView v(rec->payload);
  auto r = v.root<s::RecordRedacted>();
  if (r.getSeq() != seq) {
    throw std::runtime_error("record " + std::to_string(seq) + " has no payload, and record " +
                             std::to_string(redacted_by) + ", said to redact it, redacts record " +
                             std::to_string(r.getSeq()));
  }
  auto p = r.getRemainder();
  return std::string(reinterpret_cast<const char*>(p.begin()), p.size());
}

std::uint64_t redacted_seq(std::string_view payload) noexcept {
  try {
    codec::MessageView v(payload);
    return v.root<s::RecordRedacted>().getSeq();
  } catch (...) {
    return 0;
  }
}

const Area& corrections_area() {
  static const Area area{"corrections",
                         {command<s::RecordCorrect, decide_correct>(
                              "record.correct", {"record.corrected"},
                              stream_described("the stream of the corrected record")),
                          command<s::RecordRedact, decide_redact>(
                              "record.redact", {"record.redacted"},
                              stream_described("the stream of the redacted record"))},
                         {event<s::RecordCorrected, apply_corrected>("record.corrected"),
                          event<s::RecordRedacted, apply_redacted>("record.redacted")}};
  return area;
}

}  // namespace custody::domain
