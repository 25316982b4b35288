// Retention: how long records of each type are kept (retention.set_policy, a record like any
// other), and which records are past it. custody never deletes by itself: the report is what
// a QA lead reviews before any separate, signed act of disposal.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "custody/common/clock.h"
#include "custody/common/error.h"
#include "custody/ledger/snapshot.h"

namespace custody::domain {

struct RetentionPolicyView {
  std::string record_type;
  std::uint32_t keep_days = 0;
  std::string basis;  // "recorded" or "streamEnd"
  std::string reason;
};

// Every retention policy in force, by record type.
[[nodiscard]] Result<std::vector<RetentionPolicyView>> list_retention_policies(
    const ledger::Snapshot& snap);

struct RetentionReport {
  TimeNs at = 0;
  struct Line {
    RetentionPolicyView policy;
    std::uint64_t records = 0;  // records of the type
    std::uint64_t past = 0;     // of them past their retention at `at`
  };
  std::vector<Line> lines;           // one per policy, by record type
  std::uint64_t without_policy = 0;  // records of types no policy covers
  struct Past {
    std::uint64_t seq = 0;
    std::string type;
    std::string stream;
    TimeNs occurred_at = 0;  // its event time: occurredAt, else recordedAt
    TimeNs due = 0;          // when its retention ended
  };
  std::vector<Past> listed;  // the first `limit` records past retention, in seq order
  bool truncated = false;    // more are past retention than are listed
};

// Reads every record of `snap` once. kInvalidArgument (field "limit") for a limit of 0.
[[nodiscard]] Result<RetentionReport> retention_report(const ledger::Snapshot& snap, TimeNs at,
                                                       std::size_t limit);

}  // namespace custody::domain
