// The sequencer: the ledger's only writer.
//
// Producers on any thread submit() commands into a bounded queue. The sequencer thread takes
// them in groups (up to max_group commands; after the first, waiting up to max_wait for
// more) and prepares each group. It cuts a group when the writer can take it: at once while
// the writer is free; while the writer is on a group, once as many commands are queued as
// that group holds; while another prepared group is waiting, only once max_group commands
// are. So groups grow with the load instead of being cut small and then waiting for the
// disk anyway. Each group:
//
//   1. looks every commandId up (idempotency.h): a retry gets its first result back marked
//      duplicate and writes nothing, and a different command under a used id is refused
//      (kIdempotencyConflict);
//   2. asks the state machine to decide() each remaining command against committed state
//      plus the effects of every command accepted before it; checks expectedVersion
//      against the primary stream;
//   3. turns each accepted command's events into records: next seq, recordedAt, stream
//      version, prevHash = previous leaf; encodes them canonically and hashes them; appends
//      the leaves to the Merkle frontier; apply()s each record to the projections;
//   4. puts the records, stream heads, completed Merkle nodes, meta head, the idempotency
//      index's share and (when due) a signed checkpoint into ONE WriteBatch.
//
// The writer thread writes prepared groups in order, each with sync=true, and only then
// completes the group's commands, in submission order. While it writes group k, the
// sequencer prepares group k+1 on top of k's effects (kept in memory until k is durable),
// so hashing and encoding overlap the disk.
//
// A rejected command writes nothing. If a write fails the ledger stops: that group and every
// later one get the error, and later submits get kUnavailable, because in-memory state is
// ahead of the disk.
#pragma once

#include <boost/unordered/unordered_flat_map.hpp>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "custody/common/clock.h"
#include "custody/common/error.h"
#include "custody/crypto/note.h"
#include "custody/ledger/command.h"
#include "custody/ledger/merkle.h"
#include "custody/ledger/record.h"
#include "custody/ledger/state.h"
#include "custody/ledger/state_machine.h"
#include "custody/ledger/store.h"

namespace rocksdb {
class WriteBatch;
}

namespace custody::ledger {

class IdempotencyIndex;

struct SequencerOptions {
  std::size_t max_group = 1024;                         // commands per commit group
  std::chrono::microseconds max_wait{0};                // extra wait for a group to fill
  std::chrono::milliseconds checkpoint_interval{1000};  // 0: a checkpoint every group
  std::chrono::milliseconds tick_interval{1000};        // StateMachine::on_tick cadence
  std::size_t queue_capacity = 65536;                   // submit() blocks beyond this
  std::size_t idem_spill_at = 65536;                    // recent ids kept before a spill
  // A command whose occurredAt is further ahead of the clock than this is refused
  // (invalid_argument, field occurredAt): a device or client with a wrong clock.
  std::chrono::seconds max_future_skew{300};
  // A wall clock that moves this much more or less than the time that passed is a step,
  // recorded through StateMachine::on_clock_step.
  std::chrono::seconds clock_step{60};
  // A command whose occurredAt is further behind the clock than this, or before the last
  // record of its stream by more than max_future_skew (clocks disagree that much), is a late
  // entry: refused without a lateReason, recorded with it
  // (StateMachine::on_late_entry). 0: nothing is a late entry (while history is imported).
  std::chrono::seconds late_entry{86'400};
};

class Sequencer {
 public:
  // Loads the head, the Merkle frontier and the latest checkpoint from `store`, then starts
  // the sequencer and writer threads. `store`, `machine` and `clock` must outlive it.
  [[nodiscard]] static Result<std::unique_ptr<Sequencer>> start(Store& store, StateMachine& machine,
                                                                const Clock& clock,
                                                                crypto::NoteSigner signer,
                                                                SequencerOptions options);

  // Stops: finishes every command already submitted, writes a final checkpoint when the
  // head moved since the last one, and joins both threads.
  ~Sequencer();
  Sequencer(const Sequencer&) = delete;
  Sequencer& operator=(const Sequencer&) = delete;

  // Any thread. `done` is called exactly once, on the writer thread, after the outcome is
  // durable (or at once with kUnavailable when the sequencer has stopped).
  void submit(Command command, Completion done);

  // Any thread; blocks until a signed checkpoint covers every record committed before the
  // call, and returns it.
  [[nodiscard]] Result<std::string> checkpoint();

  // Any thread; blocks. Rotates the node key to `next` (node_key.h): the old key's last
  // checkpoint, then the rotation record; checkpoints from it on are signed by `next`.
  // Returns the latest checkpoint (the new key's first) once durable.
  [[nodiscard]] Result<std::string> rotate_key(crypto::NoteSigner next);

  // Any thread: the durable head and the latest durable checkpoint note ("" when none).
  [[nodiscard]] Head head() const;
  [[nodiscard]] std::string latest_checkpoint() const;

  // Any thread. `fn(head_seq)` runs on the writer thread each time a group becomes durable,
  // until remove_commit_listener(id) returns. It runs on the write path: it must be quick
  // and must not block or call into the ledger (wake a reader thread and return).
  using CommitListener = std::function<void(std::uint64_t head_seq)>;
  [[nodiscard]] std::uint64_t add_commit_listener(CommitListener fn);
  void remove_commit_listener(std::uint64_t id);

  // Counters since start, for operators and benchmarks. Any thread.
  struct Stats {
    std::uint64_t groups = 0;               // commit groups written to disk
    std::uint64_t records = 0;              // records written
    std::uint64_t commands = 0;             // commands completed (accepted, duplicate or rejected)
    std::uint64_t busy_ns = 0;              // sequencer thread: time preparing groups
    std::uint64_t write_ns = 0;             // writer thread: time writing (memtables, WAL, fsync)
    std::uint64_t idem_spills = 0;          // idempotency spills ingested
    std::uint64_t idem_spill_failures = 0;  // spills that failed (their ids stay in memory)
  };
  [[nodiscard]] Stats stats() const;

 private:
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  template <typename V>
  using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

  struct StreamHead {
    std::uint64_t version = 0;
    std::uint64_t last_seq = 0;
    std::uint64_t group = 0;  // last group that changed it (0: as stored)
    // The event time of its last record (occurredAt, else recordedAt); read from that record
    // when first needed (kUnknownTime until then).
    TimeNs last_at = kUnknownTime;
  };
  static constexpr TimeNs kUnknownTime = std::numeric_limits<TimeNs>::min();
  struct Item {
    Command command;
    Completion done;                                           // commands
    std::function<void(Result<std::string>)> checkpoint_done;  // checkpoint requests
    crypto::Digest digest{};  // command_digest(command), computed by the submitting thread
    std::shared_ptr<crypto::NoteSigner> rotate_to;  // a key rotation request (with checkpoint_done)
  };
  struct Prepared;

  Sequencer(Store& store, StateMachine& machine, const Clock& clock, crypto::NoteSigner signer,
            SequencerOptions options);
  [[nodiscard]] Result<void> load();
  void run();
  void write_loop();
  void keep_head();
  // Blocks until DIR/HEAD records `seq` or later; the keeper's error if it failed.
  [[nodiscard]] std::optional<Error> await_head(std::uint64_t seq);
  void head_is_durable(const Head& head);
  // Whether the clock's commands (StateMachine::on_tick) are due with this group.
  enum class Tick { kDue, kNotDue };
  [[nodiscard]] std::unique_ptr<Prepared> prepare(std::vector<Item> items, Tick tick);
  void hand_to_writer(std::unique_ptr<Prepared> group);
  void retire_durable();
  [[nodiscard]] Result<std::string> await_checkpoint(Item item);
  void append_leaf(const Digest& leaf, rocksdb::WriteBatch& batch);
  void rotate_key_now(crypto::NoteSigner& next, TimeNs now, rocksdb::WriteBatch& batch,
                      RecordFields& fields, EncodedRecord& enc);
  StreamHead& stream_head(std::string_view stream);
  // The event time of `head`'s last record (0 for a new stream), read once.
  TimeNs stream_last_at(StreamHead& head);
  void complete(Prepared& group, const std::optional<Error>& failure);

  Store& store_;
  StateMachine& machine_;
  const Clock& clock_;
  crypto::NoteSigner signer_;
  const SequencerOptions options_;

  // Sequencer-thread state.
  Head head_;
  MerkleFrontier frontier_;
  StringMap<StreamHead> streams_;  // cache of `streams`, ahead of the disk by in-flight groups
  std::unique_ptr<IdempotencyIndex> idem_;
  State state_;
  std::uint64_t next_group_ = 1;
  std::uint64_t retired_group_ = 0;
  std::uint64_t checkpoint_size_ = 0;
  bool have_checkpoint_ = false;
  TimeNs checkpoint_at_ = 0;
  TimeNs last_tick_ = 0;
  TimeNs last_wall_ = 0;  // the clocks at the last group, to notice a stepped wall clock
  TimeNs last_mono_ = 0;
  bool clock_seen_ = false;
  TimeNs head_event_at_ = 0;  // the head record's event time: its occurredAt, else recordedAt

  // Shared; guarded by mu_.
  mutable std::mutex mu_;
  std::condition_variable not_empty_;  // input queue
  std::condition_variable not_full_;   // input queue
  std::condition_variable write_cv_;   // prepared groups, both directions
  std::deque<Item> queue_;
  std::deque<std::unique_ptr<Prepared>> to_write_;  // the front one is being written
  std::size_t wake_at_ = 1;  // submit() wakes the sequencer thread at this queue length
  bool stopping_ = false;
  bool writer_stop_ = false;
  std::optional<Error> failed_;
  std::uint64_t durable_group_ = 0;
  Head committed_head_;
  std::string latest_checkpoint_;
  Stats stats_;

  std::uint64_t durable_seq_ = 0;  // head seq of durable_group_

  // Commit listeners; guarded by listeners_mu_ (never held with mu_).
  std::mutex listeners_mu_;
  std::vector<std::pair<std::uint64_t, CommitListener>> listeners_;
  std::uint64_t next_listener_ = 1;

  // The head keeper records each durable head in DIR/HEAD on its own thread, so that fsync
  // runs beside the next group's write instead of after it; guarded by head_mu_.
  std::mutex head_mu_;
  std::condition_variable head_cv_;
  Head head_durable_;                // the newest durable head, to be recorded
  std::uint64_t head_recorded_ = 0;  // the seq DIR/HEAD holds
  bool head_stop_ = false;
  std::optional<Error> head_failed_;

  std::thread writer_;
  std::thread thread_;
  std::thread head_keeper_;
};

}  // namespace custody::ledger
