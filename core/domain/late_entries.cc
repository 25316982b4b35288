// Late entries: the record.entered_late custody writes after a late command's records (the
// sequencer decides lateness, StateMachine::on_late_entry), its index, and how readers show it.
#include "custody/domain/late_entries.h"

#include "catalogue.h"
#include "custody/common/encoding.h"
#include "custody/ledger/reader.h"

namespace custody::domain {
namespace {

// late/<late record seq><note seq>: each record of a late entry -> its record.entered_late.
constexpr std::string_view kLateIndex = "late/";

void apply_entered_late(Apply& a, s::RecordEnteredLate::Reader late) {
  for (std::uint64_t seq = a.rec.seq - late.getRecords(); seq < a.rec.seq; ++seq) {
    a.index(std::string(kLateIndex) + be64(seq) + be64(a.rec.seq));
  }
}

}  // namespace

const Area& late_entries_area() {
  static const Area area{
      "late entries", {}, {event<s::RecordEnteredLate, apply_entered_late>("record.entered_late")}};
  return area;
}

ledger::Event late_entry_event(const ledger::StateMachine::LateEntry& late) {
  capnp::MallocMessageBuilder msg(128);
  auto e = msg.initRoot<s::RecordEnteredLate>();
  e.setReason(late.command.late_reason);
  e.setRecords(late.records);
  e.setOccurredAt(late.command.occurred_at);
  e.setStreamLastAt(late.stream_last_at);
  e.setByAge(late.by_age);
  e.setByOrder(late.by_order);
  e.setLateBySeconds((late.now - late.command.occurred_at) / 1'000'000'000);
  return ledger::Event{
      std::string(late.stream), "record.entered_late", codec::canonical_bytes(e.asReader()), {}};
}

Result<std::optional<LateEntryView>> late_entry_of(const ledger::Snapshot& snap,
                                                   std::uint64_t seq) {
  std::optional<std::uint64_t> note;
  const std::string prefix = std::string(kLateIndex) + be64(seq);
  auto listed = ledger::reading([&]() -> Result<void> {
    snap.scan_prefix(snap.family(kIndexCf), prefix, [&](std::string_view key, std::string_view) {
      if (key.size() == prefix.size() + 8) note = get_be64(key.data() + prefix.size());
      return false;
    });
    return {};
  });
  if (!listed) return std::unexpected(listed.error());
  if (!note) return std::optional<LateEntryView>{};
  auto bytes = snap.record(*note);
  if (!bytes) return std::unexpected(bytes.error());
  auto rec = ledger::decode_record(*bytes);
  if (!rec) return std::unexpected(rec.error());
  if (rec->type != "record.entered_late" || !rec->payload_present) {
    return fail(ErrorCode::kCorruption, "record " + std::to_string(*note) +
                                            " is indexed as a late-entry note but is a " +
                                            rec->type);
  }
  return ledger::reading([&]() -> Result<std::optional<LateEntryView>> {
    codec::MessageView v(rec->payload);
    auto l = v.root<s::RecordEnteredLate>();
    LateEntryView out;
    out.seq = *note;
    out.reason = str(l.getReason());
    out.records = l.getRecords();
    out.occurred_at = l.getOccurredAt();
    out.stream_last_at = l.getStreamLastAt();
    out.by_age = l.getByAge();
    out.by_order = l.getByOrder();
    out.late_by_seconds = l.getLateBySeconds();
    return std::optional<LateEntryView>(std::move(out));
  });
}

void write_late_entry_json(const LateEntryView& late, codec::JsonWriter& w) {
  w.begin_object();
  w.key("reason").string(late.reason);
  w.key("seq").uint64(late.seq);
  w.key("byAge").boolean(late.by_age);
  w.key("byOrder").boolean(late.by_order);
  w.key("lateBySeconds").int64(late.late_by_seconds);
  if (late.stream_last_at != 0) w.key("streamLastAt").string(format_rfc3339(late.stream_last_at));
  w.end_object();
}

}  // namespace custody::domain
