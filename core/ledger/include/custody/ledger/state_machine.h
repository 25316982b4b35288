// The contract between the ledger core and the domain that gives records their meaning.
//
// The core knows nothing of lots or work orders. For each command, the sequencer asks the
// state machine to decide() which events the command produces (or why it is rejected),
// assigns them seqs and hashes, and then apply()s each committed record to the projections.
// Rebuilding projections calls apply() alone, over the whole log, so projection state is a
// function of the log: decide() must not write, and apply() must not fail or read
// anything but State and the record.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "custody/common/clock.h"
#include "custody/common/error.h"
#include "custody/ledger/column_families.h"
#include "custody/ledger/command.h"
#include "custody/ledger/head.h"
#include "custody/ledger/state.h"

namespace custody::ledger {

class Store;

// One event a command produces. It becomes one record.
struct Event {
  std::string stream;   // "note:line-1"
  std::string type;     // "note.added"; names the payload struct
  std::string payload;  // canonical Cap'n Proto of that struct
  std::string actor;    // empty: the command's actor; "system" for automatic consequences
  // Nonzero: committing this event removes the payload bytes of record `erases` (a
  // redaction). The record keeps its payload digest, so its leaf hash, the chain and every
  // proof stay as they were; meta "redacted/" be64(erases) then names this event's record.
  std::uint64_t erases = 0;
};

// A committed record as apply() sees it. Views are valid for the call only.
struct RecordRef {
  std::uint64_t seq = 0;
  TimeNs recorded_at = 0;
  TimeNs occurred_at = 0;
  std::string_view command_id;
  std::string_view actor;
  std::string_view stream;
  std::uint64_t stream_version = 0;
  std::string_view type;
  std::string_view payload;  // empty when redacted
  // When the payload was redacted: the seq of the record that redacted it (from meta
  // "redacted/"), for apply() to find what is left of it there. 0 otherwise.
  std::uint64_t redacted_by = 0;
};

class StateMachine {
 public:
  virtual ~StateMachine() = default;

  // Projection column families this state machine reads and writes. Called once at open.
  [[nodiscard]] virtual std::vector<std::string> column_families() const = 0;

  // The version of what apply() writes. Raise it whenever a build projects the log
  // differently (a new projection, a changed key or value): a ledger whose projections were
  // built by another version refuses writes (kProjectionsStale) until `custody rebuild`.
  [[nodiscard]] virtual std::uint32_t projection_version() const { return 1; }

  // Binds column family handles: after the store is open, before anything else, and again
  // whenever the families move (a rebuild, a replay into a scratch database).
  virtual void attach(const ColumnFamilies& families) = 0;

  // Once, when a ledger has opened with this machine attached to its store: a chance to
  // load what a long-running host keeps in memory. Default: nothing.
  virtual void opened(Store& store) { (void)store; }

  // Once, when a read-write ledger closes, after its sequencer has stopped and before its
  // store closes: a chance to save what opened() loaded, for the next open. Must not throw.
  // Default: nothing.
  virtual void closing(Store& store) noexcept { (void)store; }

  // Sequencer thread. Checks `command` against `state` and returns its events (at least
  // one), or the error that rejects it. Must not write to `state`.
  [[nodiscard]] virtual Result<std::vector<Event>> decide(const Command& command,
                                                          const State& state, TimeNs now) = 0;

  // Sequencer thread and rebuild. Folds one committed record into the projections.
  virtual void apply(const RecordRef& record, State& state) = 0;

  // The seq of the record whose payload `record` erased when it was committed (its event's
  // `erases`), read from the record itself; 0 when it erased none. A follower's copy
  // (replica.h) erases the same payload, and applies a record that comes to it without its
  // payload as what that redaction left of it. Must not throw. Default: none.
  [[nodiscard]] virtual std::uint64_t erased_by(const RecordRef& record) const {
    (void)record;
    return 0;
  }

  // Sequencer thread, after it has applied a group's records, before the group is durable:
  // `head` is the last of them. A chance to mark what the machine keeps in memory, to save it
  // on another thread once `store` holds that head (read_head). Must not throw. Default:
  // nothing.
  virtual void applied(Store& store, const Head& head) {
    (void)store;
    (void)head;
  }

  // Sequencer thread, at most once per tick interval: commands the passage of time calls
  // for (escalating overdue exceptions). Each goes through decide() like any other. `now` is
  // the log's clock: the wall clock, except while the log is catching up on records that
  // happened earlier (their occurredAt in the past): then the newest record's event time plus
  // the time since it was recorded, so a replayed month is judged by when things happened.
  [[nodiscard]] virtual std::vector<Command> on_tick(const State& state, TimeNs now) {
    (void)state;
    (void)now;
    return {};
  }

  // Sequencer thread, when the wall clock moved by more than the configured bound away from
  // the time that passed (a step back, or a jump forward): commands that record it. Between
  // the two readings `expected` is where the wall clock should be, `now` where it is. The
  // log's recordedAt never goes back (it stays at the last record's until the clock passes
  // it); this makes sure the step is on the record rather than silently absorbed.
  [[nodiscard]] virtual std::vector<Command> on_clock_step(const State& state, TimeNs expected,
                                                           TimeNs now) {
    (void)state;
    (void)expected;
    (void)now;
    return {};
  }

  // Sequencer thread, after decide(): `command` is a late entry (its occurredAt is more than
  // the configured age behind `now`, or before `stream_last_at`, the event time of the last
  // record of its primary stream) and gave the reason. The event that records the reason, the
  // lateness and how many of the command's records (`records`, just before it) it covers; it
  // is written after them, as part of the command. nullopt: this machine records none.
  struct LateEntry {
    const Command& command;
    std::string_view stream;    // the command's primary stream
    TimeNs stream_last_at = 0;  // 0: the stream had no record
    bool by_age = false;        // older than the configured age
    bool by_order = false;      // older than the stream's last record
    std::uint32_t records = 0;
    TimeNs now = 0;
  };
  [[nodiscard]] virtual std::optional<Event> on_late_entry(const LateEntry& late) {
    (void)late;
    return std::nullopt;
  }
};

}  // namespace custody::ledger
