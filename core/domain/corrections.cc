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
#include "custody/ledger/record.h"

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

// Moves projections by the difference between the payload in force and the new one (the
// corrected type's shift), then records the new payload in force.
void apply_corrected(Apply& a, s::RecordCorrected::Reader r) {
  const std::uint64_t seq = r.getSeq();
  auto original = ledger::decode_record(*a.state.record(seq));
  const std::string before = payload_in_force(a.state, a.cf, seq, original->payload);
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

}  // namespace

const Area& corrections_area() {
  static const Area area{"corrections",
                         {command<s::RecordCorrect, decide_correct>(
                             "record.correct", {"record.corrected"},
                             stream_described("the stream of the corrected record"))},
                         {event<s::RecordCorrected, apply_corrected>("record.corrected")}};
  return area;
}

}  // namespace custody::domain
