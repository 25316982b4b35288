// retention.set_policy and the retention report (custody/domain/retention.h).
#include "custody/domain/retention.h"

#include <map>
#include <unordered_map>

#include "catalogue.h"
#include "custody/common/encoding.h"
#include "custody/domain/projections.h"
#include "custody/ledger/record.h"

namespace custody::domain {
namespace {

constexpr std::string_view kRetentionKind = "retention";

Result<void> decide_retention(Decide& d, s::RetentionPolicySet::Reader p) {
  const std::string type = str(p.getRecordType());
  if (find_event_spec(type) == nullptr) {
    return invalid("data.recordType", "'" + type + "' is not a record type (see custody types)");
  }
  if (p.getKeepDays() == 0) return invalid("data.keepDays", "must be at least 1 day");
  if (p.getKeepDays() > 365 * 100) return invalid("data.keepDays", "must be at most 100 years");
  if (sv(p.getReason()).find_first_not_of(" \t") == std::string_view::npos) {
    return invalid("data.reason", "must say which rule the period follows");
  }
  d.emit_data("retention.policy_set");
  return {};
}

void apply_retention(Apply& a, s::RetentionPolicySet::Reader p) {
  capnp::MallocMessageBuilder msg(128);
  msg.setRoot(p);
  put_struct(a.state, a.cf.entities, keys::entity(kRetentionKind, sv(p.getRecordType())),
             msg.getRoot<s::RetentionPolicySet>());
}

RetentionPolicyView view_of(std::string_view bytes) {
  codec::MessageView v(bytes);
  auto p = v.root<s::RetentionPolicySet>();
  return {str(p.getRecordType()), p.getKeepDays(),
          p.getBasis() == s::RetentionBasis::STREAM_END ? "streamEnd" : "recorded",
          str(p.getReason())};
}

}  // namespace

const Area& retention_area() {
  static const Area area{"retention",
                         {command<s::RetentionPolicySet, decide_retention>(
                             "retention.set_policy", {"retention.policy_set"},
                             stream("retention-policy", "recordType"))},
                         {event<s::RetentionPolicySet, apply_retention>("retention.policy_set")}};
  return area;
}

Result<std::vector<RetentionPolicyView>> list_retention_policies(const ledger::Snapshot& snap) {
  return ledger::reading([&]() -> Result<std::vector<RetentionPolicyView>> {
    std::vector<RetentionPolicyView> out;
    snap.scan_prefix(snap.family(kEntitiesCf), keys::entity(kRetentionKind, ""),
                     [&](std::string_view, std::string_view value) {
                       out.push_back(view_of(value));
                       return true;
                     });
    return out;
  });
}

Result<RetentionReport> retention_report(const ledger::Snapshot& snap, TimeNs at,
                                         std::size_t limit) {
  if (limit == 0) return invalid("limit", "must be at least 1");
  auto policies = list_retention_policies(snap);
  if (!policies) return std::unexpected(policies.error());
  RetentionReport out;
  out.at = at;
  std::map<std::string, std::size_t, std::less<>> by_type;
  for (auto& p : *policies) {
    by_type.emplace(p.record_type, out.lines.size());
    out.lines.push_back({std::move(p), 0, 0});
  }
  // The last record's recordedAt of each stream, for policies kept from a stream's end.
  std::unordered_map<std::string, TimeNs> stream_end;
  auto end_of = [&](const std::string& stream) -> Result<TimeNs> {
    if (auto it = stream_end.find(stream); it != stream_end.end()) return it->second;
    auto value = snap.get(snap.store().cf(ledger::Cf::kStreams), stream);
    if (!value || value->size() != 16) {
      return std::unexpected(Error::corruption("stream " + stream + " has no head"));
    }
    auto bytes = snap.record(get_be64(value->data() + 8));
    if (!bytes) return std::unexpected(bytes.error());
    auto last = ledger::decode_record(*bytes);
    if (!last) return std::unexpected(last.error());
    const TimeNs t = last->occurred_at != 0 ? last->occurred_at : last->recorded_at;
    stream_end.emplace(stream, t);
    return t;
  };
  std::optional<Error> failed;
  auto r = snap.records(1, 0, [&](std::uint64_t seq, std::string_view bytes) {
    auto rec = ledger::decode_record(bytes);
    if (!rec) {
      failed = rec.error();
      return false;
    }
    auto it = by_type.find(rec->type);
    if (it == by_type.end()) {
      ++out.without_policy;
      return true;
    }
    auto& line = out.lines[it->second];
    ++line.records;
    // From when the thing happened: an imported history keeps its own dates.
    TimeNs from = rec->occurred_at != 0 ? rec->occurred_at : rec->recorded_at;
    if (line.policy.basis == "streamEnd") {
      auto end = end_of(rec->stream);
      if (!end) {
        failed = end.error();
        return false;
      }
      from = *end;
    }
    const TimeNs due = from + static_cast<TimeNs>(line.policy.keep_days) * kDay;
    if (due > at) return true;
    ++line.past;
    if (out.listed.size() < limit) {
      out.listed.push_back({seq, rec->type, rec->stream, from, due});
    } else {
      out.truncated = true;
    }
    return true;
  });
  if (!r) return std::unexpected(r.error());
  if (failed) return std::unexpected(*failed);
  return out;
}

}  // namespace custody::domain
