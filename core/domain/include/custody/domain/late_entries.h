// Late entries (ALCOA "contemporaneous"): a command dated further behind custody's clock than
// lateEntrySeconds, or before the last record of its stream, needs a lateReason; custody
// records it in a record.entered_late after the command's records, and every view of those
// records shows the flag and the reason.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "custody/codec/json_writer.h"
#include "custody/common/clock.h"
#include "custody/common/error.h"
#include "custody/ledger/snapshot.h"

namespace custody::domain {

struct LateEntryView {
  std::uint64_t seq = 0;  // of the record.entered_late record
  std::string reason;
  std::uint32_t records = 0;  // the records before it, of its command, it covers
  TimeNs occurred_at = 0;
  TimeNs stream_last_at = 0;  // 0: the stream had no record
  bool by_age = false;
  bool by_order = false;
  std::int64_t late_by_seconds = 0;
};

// The late-entry note that covers record `seq`, if it was entered late.
[[nodiscard]] Result<std::optional<LateEntryView>> late_entry_of(const ledger::Snapshot& snap,
                                                                 std::uint64_t seq);

// {"reason","seq","byAge","byOrder","lateBySeconds","streamLastAt"}: as every reader shows it.
void write_late_entry_json(const LateEntryView& late, codec::JsonWriter& w);

}  // namespace custody::domain
