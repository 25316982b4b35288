#include "custody/ledger/sequencer.h"

#include <capnp/message.h>
#include <pthread.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <cstring>
#include <future>

#include "custody/codec/capnp_util.h"
#include "custody/common/encoding.h"
#include "custody/ledger/checkpoint.h"
#include "custody/ledger/node_key.h"
#include "custody/ledger/record.h"
#include "idempotency.h"
#include "schema/record.capnp.h"

namespace custody::ledger {
namespace {

// Soft bound on the stream-head cache: heads already on disk are dropped past it.
constexpr std::size_t kMaxCachedStreams = 1 << 20;
// Groups prepared ahead of the disk: one being written, one waiting.
constexpr std::size_t kMaxInFlight = 2;

void hash_part(crypto::Sha256& h, std::string_view bytes) {
  h.update(be64(bytes.size()));
  h.update(bytes);
}

TimeNs to_ns(std::chrono::milliseconds ms) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(ms).count();
}

std::uint64_t elapsed_ns(std::chrono::steady_clock::time_point since) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - since)
          .count());
}

Error closing_error() {
  return Error{ErrorCode::kUnavailable, "the ledger is closing", {}};
}

}  // namespace

crypto::Digest command_digest(const Command& c) {
  crypto::Sha256 h;
  hash_part(h, c.type);
  hash_part(h, c.actor);
  hash_part(h, c.data);
  h.update(be64(static_cast<std::uint64_t>(c.occurred_at)));
  h.update(c.expected_version ? "v" + be64(*c.expected_version) : std::string("-"));
  if (!c.signature.empty()) hash_part(h, "signed:" + c.signature);
  if (!c.late_reason.empty()) hash_part(h, "late:" + c.late_reason);
  if (c.occurred_offset != 0) hash_part(h, "tz:" + std::to_string(c.occurred_offset));
  return h.finish();
}

// A group, prepared by the sequencer thread, written and completed by the writer thread.
struct Sequencer::Prepared {
  explicit Prepared(std::size_t reserve_bytes = 0) : batch(reserve_bytes) {}
  std::uint64_t id = 0;
  rocksdb::WriteBatch batch;
  std::vector<Item> items;
  std::vector<std::optional<Result<CommandResult>>> results;  // per item; unset: checkpoint
  bool write = false;
  Head head;
  std::uint64_t records = 0;
  std::string checkpoint;             // the note this group writes, or ""
  std::vector<std::uint64_t> erased;  // records whose payload this group removes
};

Sequencer::Sequencer(Store& store, StateMachine& machine, const Clock& clock,
                     crypto::NoteSigner signer, SequencerOptions options)
    : store_(store),
      machine_(machine),
      clock_(clock),
      signer_(std::move(signer)),
      options_(options),
      idem_(std::make_unique<IdempotencyIndex>(store, options.idem_spill_at)),
      state_(store.db(), store.cf(Cf::kLog)) {}

Result<std::unique_ptr<Sequencer>> Sequencer::start(Store& store, StateMachine& machine,
                                                    const Clock& clock, crypto::NoteSigner signer,
                                                    SequencerOptions options) {
  if (store.mode() != OpenMode::kReadWrite) {
    return fail(ErrorCode::kInternal, "the sequencer needs a ledger opened for writing");
  }
  options.max_group = std::max<std::size_t>(options.max_group, 1);
  options.queue_capacity = std::max(options.queue_capacity, options.max_group);
  std::unique_ptr<Sequencer> s(new Sequencer(store, machine, clock, std::move(signer), options));
  if (auto loaded = s->load(); !loaded) return std::unexpected(loaded.error());
  // DIR/HEAD may lag the database by the last group of a process that died before recording
  // it; the keeper records the head it starts from when so.
  const auto& acknowledged = store.acknowledged_head();
  s->head_recorded_ = acknowledged ? std::min(acknowledged->seq, s->head_.seq) : 0;
  s->head_durable_ = s->head_;
  s->head_keeper_ = std::thread([raw = s.get()] { raw->keep_head(); });
  s->writer_ = std::thread([raw = s.get()] { raw->write_loop(); });
  s->thread_ = std::thread([raw = s.get()] { raw->run(); });
  return s;
}

Result<void> Sequencer::load() {
  auto head = store_.read_head();
  if (!head) return std::unexpected(head.error());
  head_ = *head;
  rocksdb::DB& db = store_.db();

  // The head must be the last record: each group is one atomic batch, so anything else
  // means the database was changed behind custody's back.
  {
    std::unique_ptr<rocksdb::Iterator> it(
        db.NewIterator(rocksdb::ReadOptions(), store_.cf(Cf::kLog)));
    it->SeekToLast();
    const std::uint64_t last =
        it->Valid() && it->key().size() == 8 ? get_be64(it->key().data()) : 0;
    if (!it->status().ok()) return std::unexpected(Error::io(it->status().ToString()));
    if (last != head_.seq) {
      return fail(ErrorCode::kCorruption, "log ends at seq " + std::to_string(last) +
                                              " but the head is " + std::to_string(head_.seq) +
                                              "; run `custody verify`");
    }
  }

  auto frontier = store_.load_frontier(head_.seq);
  if (!frontier) return std::unexpected(frontier.error());
  frontier_ = std::move(*frontier);

  {
    std::unique_ptr<rocksdb::Iterator> it(
        db.NewIterator(rocksdb::ReadOptions(), store_.cf(Cf::kCheckpoints)));
    it->SeekToLast();
    if (it->Valid() && it->key().size() == 8) {
      checkpoint_size_ = get_be64(it->key().data());
      latest_checkpoint_ = it->value().ToString();
      have_checkpoint_ = true;
    }
  }
  // Commands after `idem_through` are not in `idem` yet: read them back from the log.
  if (auto r = idem_->load(); !r) return r;

  committed_head_ = head_;
  durable_seq_ = head_.seq;
  head_event_at_ = head_.recorded_at;
  if (head_.seq > 0) {
    std::string bytes;
    auto st = db.Get(rocksdb::ReadOptions(), store_.cf(Cf::kLog), keys::log(head_.seq), &bytes);
    if (!st.ok()) return fail(ErrorCode::kIoError, "cannot read the head record: " + st.ToString());
    auto rec = decode_record(bytes);
    if (!rec) return std::unexpected(rec.error());
    if (rec->occurred_at != 0) head_event_at_ = rec->occurred_at;
  }
  checkpoint_at_ = clock_.now();
  last_tick_ = checkpoint_at_;
  return {};
}

Sequencer::~Sequencer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  not_empty_.notify_all();
  not_full_.notify_all();
  if (thread_.joinable()) thread_.join();  // it stops the writer once everything is handed over
  if (writer_.joinable()) writer_.join();
  {
    std::lock_guard lock(head_mu_);
    head_stop_ = true;
  }
  head_cv_.notify_all();
  if (head_keeper_.joinable()) head_keeper_.join();  // it records the last durable head first
  bool failed = false;
  {
    std::lock_guard lock(mu_);
    failed = failed_.has_value();
  }
  // After a failed write, memory is ahead of the disk: the log replay at open covers it.
  if (!failed) idem_->close(head_.seq);
}

void Sequencer::submit(Command command, Completion done) {
  const crypto::Digest digest = command_digest(command);  // on the caller's thread
  std::unique_lock lock(mu_);
  not_full_.wait(lock, [&] { return queue_.size() < options_.queue_capacity || stopping_; });
  if (stopping_ || failed_) {
    Error e = failed_ ? *failed_ : closing_error();
    lock.unlock();
    done(std::unexpected(std::move(e)));
    return;
  }
  queue_.push_back(Item{std::move(command), std::move(done), {}, digest});
  const bool wake = queue_.size() >= wake_at_;
  lock.unlock();
  if (wake) not_empty_.notify_one();
}

Result<std::string> Sequencer::checkpoint() {
  return await_checkpoint(Item{});
}

Result<std::string> Sequencer::rotate_key(crypto::NoteSigner next) {
  Item item;
  item.rotate_to = std::make_shared<crypto::NoteSigner>(std::move(next));
  return await_checkpoint(std::move(item));
}

Result<std::string> Sequencer::await_checkpoint(Item item) {
  std::promise<Result<std::string>> promise;
  auto future = promise.get_future();
  {
    std::lock_guard lock(mu_);
    if (stopping_ || failed_) return std::unexpected(failed_ ? *failed_ : closing_error());
    item.checkpoint_done = [&promise](Result<std::string> r) {
      promise.set_value(std::move(r));
    };
    queue_.push_back(std::move(item));
  }
  not_empty_.notify_one();
  return future.get();
}

Head Sequencer::head() const {
  std::lock_guard lock(mu_);
  return committed_head_;
}

std::string Sequencer::latest_checkpoint() const {
  std::lock_guard lock(mu_);
  return latest_checkpoint_;
}

Sequencer::Stats Sequencer::stats() const {
  Stats out;
  {
    std::lock_guard lock(mu_);
    out = stats_;
  }
  out.idem_spills = idem_->spills();
  out.idem_spill_failures = idem_->spill_failures();
  return out;
}

void Sequencer::run() {
  pthread_setname_np(pthread_self(), "custody-seq");
  for (;;) {
    std::vector<Item> group;
    bool stopping = false;
    {
      std::unique_lock lock(mu_);
      if (queue_.empty() && !stopping_) {
        not_empty_.wait_for(lock, options_.tick_interval,
                            [&] { return !queue_.empty() || stopping_; });
      }
      // The group is cut when the writer can take it: at once while the writer is free; while
      // it writes a group, once the queue holds as many commands as that group; while a
      // prepared group already waits for it, only once a whole group (max_group) is queued.
      // Cut earlier, a group would be smaller than it need be and wait for the disk all the
      // same, and its commands' callers would wait for more, smaller groups. Commands that
      // arrive meanwhile join it. A bulk load, always a whole group ahead, is cut at once.
      while (!queue_.empty() && !stopping_ && !to_write_.empty() &&
             queue_.size() < options_.max_group &&
             !(to_write_.size() == 1 && queue_.size() >= to_write_.front()->items.size())) {
        wake_at_ = to_write_.size() == 1
                       ? std::min(to_write_.front()->items.size(), options_.max_group)
                       : options_.max_group;
        not_empty_.wait(lock);
      }
      if (!queue_.empty() && options_.max_wait.count() > 0 && !stopping_ &&
          queue_.size() < options_.max_group) {
        wake_at_ = options_.max_group;
        not_empty_.wait_for(lock, options_.max_wait,
                            [&] { return queue_.size() >= options_.max_group || stopping_; });
      }
      wake_at_ = 1;
      const std::size_t n = std::min(queue_.size(), options_.max_group);
      group.reserve(n);
      for (std::size_t i = 0; i < n; ++i) {
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      stopping = stopping_ && queue_.empty();
    }
    not_full_.notify_all();
    bool tick = false;
    const TimeNs now = clock_.now();
    if (!stopping && options_.tick_interval.count() > 0 &&
        now - last_tick_ >= to_ns(options_.tick_interval)) {
      tick = true;
      last_tick_ = now;
    }
    if (!group.empty() || tick) {
      if (auto prepared = prepare(std::move(group), tick ? Tick::kDue : Tick::kNotDue)) {
        hand_to_writer(std::move(prepared));
      }
    }
    if (stopping) break;
  }
  // A clean shutdown leaves the head signed.
  bool failed = false;
  {
    std::lock_guard lock(mu_);
    failed = failed_.has_value();
  }
  if (!failed && (frontier_.size() > checkpoint_size_)) {
    std::vector<Item> last(1);
    last[0].checkpoint_done = [](Result<std::string>) {
    };
    if (auto prepared = prepare(std::move(last), Tick::kNotDue))
      hand_to_writer(std::move(prepared));
  }
  {
    std::lock_guard lock(mu_);
    writer_stop_ = true;
  }
  write_cv_.notify_all();
}

void Sequencer::hand_to_writer(std::unique_ptr<Prepared> group) {
  {
    std::unique_lock lock(mu_);
    write_cv_.wait(lock, [&] { return to_write_.size() < kMaxInFlight; });
    to_write_.push_back(std::move(group));
  }
  write_cv_.notify_all();
}

void Sequencer::write_loop() {
  pthread_setname_np(pthread_self(), "custody-write");
  for (;;) {
    // The group stays at the front of to_write_ while it is written (the sequencer thread
    // sizes the next cut by it), and is taken out once it is durable.
    Prepared* writing = nullptr;
    std::optional<Error> failure;
    std::uint64_t before = 0;
    {
      std::unique_lock lock(mu_);
      write_cv_.wait(lock, [&] { return !to_write_.empty() || writer_stop_; });
      if (to_write_.empty()) return;
      writing = to_write_.front().get();
      failure = failed_;
      before = durable_seq_;
    }
    std::uint64_t write_ns = 0;
    if (!failure && writing->write) {
      const auto started = std::chrono::steady_clock::now();
      if (auto w = store_.write(writing->batch); !w) failure = w.error();
      // Nobody is told of this group before DIR/HEAD holds the group before it (recorded
      // while this one was written); this one is recorded next, beside the next write.
      if (!failure && writing->records > 0) failure = await_head(before);
      if (!failure && writing->records > 0) head_is_durable(writing->head);
      write_ns = elapsed_ns(started);
    }
    std::unique_ptr<Prepared> group;
    {
      std::lock_guard lock(mu_);
      group = std::move(to_write_.front());
      to_write_.pop_front();
      if (failure) {
        if (!failed_) failed_ = failure;
      } else {
        durable_group_ = group->id;
        durable_seq_ = group->head.seq;
        committed_head_ = group->head;
        if (!group->checkpoint.empty()) latest_checkpoint_ = group->checkpoint;
        if (group->write) ++stats_.groups;
        stats_.records += group->records;
        stats_.write_ns += write_ns;
      }
      stats_.commands += group->items.size();
    }
    write_cv_.notify_all();
    not_empty_.notify_one();  // the sequencer thread may be waiting to cut the next group
    if (!failure && !group->erased.empty()) {
      // The redaction is durable; now the erased bytes leave the disk too (older table and
      // log files still hold them until they are rewritten), before the redaction is
      // acknowledged. A failure here leaves them to RocksDB's next compaction of those
      // files, and is said in the database's info log.
      if (auto r = store_.purge(group->erased); !r) store_.log_warning(r.error().message);
    }
    complete(*group, failure);
    if (!failure && group->records > 0) {
      std::lock_guard lock(listeners_mu_);
      for (const auto& [id, fn] : listeners_) fn(group->head.seq);
    }
  }
}

void Sequencer::keep_head() {
  pthread_setname_np(pthread_self(), "custody-head");
  std::unique_lock lock(head_mu_);
  for (;;) {
    head_cv_.wait(lock, [&] { return head_durable_.seq > head_recorded_ || head_stop_; });
    if (head_durable_.seq <= head_recorded_) return;  // stopping, and nothing left to record
    const Head head = head_durable_;
    lock.unlock();
    auto recorded = store_.acknowledge(head);
    lock.lock();
    if (!recorded) {
      head_failed_ = recorded.error();
      head_cv_.notify_all();
      return;
    }
    head_recorded_ = head.seq;
    head_cv_.notify_all();
  }
}

std::optional<Error> Sequencer::await_head(std::uint64_t seq) {
  std::unique_lock lock(head_mu_);
  head_cv_.wait(lock, [&] { return head_recorded_ >= seq || head_failed_; });
  if (head_recorded_ >= seq) return std::nullopt;
  return head_failed_;
}

void Sequencer::head_is_durable(const Head& head) {
  {
    std::lock_guard lock(head_mu_);
    head_durable_ = head;
  }
  head_cv_.notify_all();
}

std::uint64_t Sequencer::add_commit_listener(CommitListener fn) {
  std::lock_guard lock(listeners_mu_);
  listeners_.emplace_back(next_listener_, std::move(fn));
  return next_listener_++;
}

void Sequencer::remove_commit_listener(std::uint64_t id) {
  std::lock_guard lock(listeners_mu_);
  std::erase_if(listeners_, [&](const auto& l) { return l.first == id; });
}

void Sequencer::complete(Prepared& group, const std::optional<Error>& failure) {
  const std::string checkpoint = failure ? std::string() : latest_checkpoint();
  for (std::size_t i = 0; i < group.items.size(); ++i) {
    Item& item = group.items[i];
    if (item.checkpoint_done) {
      if (failure) {
        item.checkpoint_done(std::unexpected(*failure));
      } else {
        item.checkpoint_done(checkpoint);
      }
    } else if (item.done) {
      if (failure) {
        item.done(std::unexpected(*failure));
      } else {
        item.done(std::move(*group.results[i]));
      }
    }
  }
}

void Sequencer::retire_durable() {
  std::uint64_t durable = 0;
  std::uint64_t durable_seq = 0;
  {
    std::lock_guard lock(mu_);
    durable = durable_group_;
    durable_seq = durable_seq_;
  }
  if (durable > retired_group_) {
    state_.retire(durable);
    if (streams_.size() > kMaxCachedStreams) {
      std::erase_if(streams_, [&](const auto& kv) { return kv.second.group <= durable; });
    }
    retired_group_ = durable;
  }
  idem_->durable(durable, durable_seq);
}

Sequencer::StreamHead& Sequencer::stream_head(std::string_view stream) {
  if (auto it = streams_.find(stream); it != streams_.end()) return it->second;
  StreamHead h;
  std::string v;
  auto st = store_.db().Get(rocksdb::ReadOptions(), store_.cf(Cf::kStreams), stream, &v);
  if (st.ok() && v.size() == 16) {
    h.version = get_be64(v.data());
    h.last_seq = get_be64(v.data() + 8);
  } else if (!st.ok() && !st.IsNotFound()) {
    throw std::runtime_error("cannot read stream head: " + st.ToString());
  }
  return streams_.emplace(std::string(stream), h).first->second;
}

// Into the tree: the frontier, and the subtree roots high enough to be stored.
void Sequencer::append_leaf(const Digest& leaf, rocksdb::WriteBatch& batch) {
  frontier_.append(leaf, [&](const MerkleFrontier::Node& node) {
    if (node.level >= kStoredMinLevel) {
      batch.Put(store_.cf(Cf::kMerkle), keys::merkle(node.level, node.index),
                crypto::as_view(node.hash));
    }
  });
}

// The node key changes (node_key.h): the old key signs a last checkpoint over everything
// before, then a record naming the new key carries the old key's note handing over to it;
// every checkpoint from that record on is the new key's (the group's, at its end, the first).
void Sequencer::rotate_key_now(crypto::NoteSigner& next, TimeNs now, rocksdb::WriteBatch& batch,
                               RecordFields& f, EncodedRecord& enc) {
  if (frontier_.size() > checkpoint_size_) {
    Checkpoint last{store_.meta().origin, frontier_.size(), frontier_.root(), {}};
    batch.Put(store_.cf(Cf::kCheckpoints), be64(last.size), sign_checkpoint(last, signer_));
    checkpoint_size_ = last.size;
    have_checkpoint_ = true;
  }
  const crypto::NoteVerifier next_key = next.verifier();
  capnp::MallocMessageBuilder msg(256);
  auto r = msg.initRoot<schema::KeyRotated>();
  r.setKey(next_key.vkey());
  r.setNote(key_rotation_note(store_.meta().origin, signer_, next_key));
  StreamHead& sh = stream_head(kKeyStream);
  f.seq = head_.seq + 1;
  f.recorded_at = now;
  f.occurred_at = 0;
  f.occurred_offset = 0;
  f.command_id = "system:key-rotation-" + std::to_string(f.seq);
  f.actor = "system";
  f.stream = std::string(kKeyStream);
  f.stream_version = sh.version + 1;
  f.stream_prev_seq = sh.last_seq;
  f.type = std::string(kKeyRotationType);
  f.payload = codec::canonical_bytes(r.asReader());
  f.prev_hash = head_.leaf;
  encode_record(f, enc);
  batch.Put(store_.cf(Cf::kLog), keys::log(f.seq), enc.bytes);
  state_.add_record(f.seq, enc.bytes);
  append_leaf(enc.leaf, batch);
  sh.version = f.stream_version;
  sh.last_seq = f.seq;
  sh.last_at = now;
  batch.Put(store_.cf(Cf::kStreams), kKeyStream, be64(sh.version) + be64(sh.last_seq));
  head_.seq = f.seq;
  head_.leaf = enc.leaf;
  head_.recorded_at = now;
  head_event_at_ = now;
  machine_.apply(RecordRef{f.seq, f.recorded_at, f.occurred_at, f.command_id, f.actor, f.stream,
                           f.stream_version, f.type, f.payload},
                 state_);
  batch.Put(store_.cf(Cf::kMeta), kCurrentKeyMeta, next_key.vkey());
  signer_ = std::move(next);
}

TimeNs Sequencer::stream_last_at(StreamHead& head) {
  if (head.last_at != kUnknownTime) return head.last_at;
  head.last_at = 0;
  if (head.last_seq == 0) return 0;
  auto bytes = state_.record(head.last_seq);
  if (!bytes) throw std::runtime_error("the stream's last record is missing");
  auto rec = decode_record(*bytes);
  if (!rec) throw std::runtime_error("the stream's last record: " + rec.error().message);
  head.last_at = rec->occurred_at != 0 ? rec->occurred_at : rec->recorded_at;
  return head.last_at;
}

std::unique_ptr<Sequencer::Prepared> Sequencer::prepare(std::vector<Item> items, Tick tick) {
  {
    std::unique_lock lock(mu_);
    if (failed_) {
      Error e = *failed_;
      lock.unlock();
      Prepared dead;
      dead.items = std::move(items);
      complete(dead, e);
      return nullptr;
    }
  }
  retire_durable();
  const auto started = std::chrono::steady_clock::now();
  // About 512 bytes of batch per command saves the batch's buffer from regrowing.
  auto group = std::make_unique<Prepared>(items.size() * 512);
  group->id = next_group_++;
  rocksdb::WriteBatch& batch = group->batch;
  state_.begin(group->id, batch);
  const TimeNs wall = clock_.now();
  const TimeNs now = std::max(wall, head_.recorded_at);
  const Head head_before = head_;

  // A wall clock stepped since the last group (set back, or jumped ahead) is put on the
  // record, as the system's own commands, ahead of everything else in this group.
  std::vector<Command> clock_steps;
  {
    const TimeNs mono = clock_.monotonic();
    if (clock_seen_) {
      const TimeNs expected = last_wall_ + (mono - last_mono_);
      const TimeNs drift = wall - expected;
      if (drift > to_ns(options_.clock_step) || -drift > to_ns(options_.clock_step)) {
        clock_steps = machine_.on_clock_step(state_, expected, wall);
      }
    }
    last_wall_ = wall;
    last_mono_ = mono;
    clock_seen_ = true;
  }

  // Commands the clock calls for go first, as the system's own. Time is judged by the log's
  // clock: while it catches up on what happened earlier (an import of last month), that is
  // the newest record's event time plus the time since it was recorded, not the wall clock.
  // The system's own commands go ahead of the callers'.
  auto put_first = [&items](std::vector<Command> system) {
    if (system.empty()) return;
    std::vector<Item> merged;
    merged.reserve(system.size() + items.size());
    for (auto& c : system) {
      const crypto::Digest digest = command_digest(c);
      merged.push_back(Item{std::move(c), {}, {}, digest});
    }
    for (auto& i : items) merged.push_back(std::move(i));
    items = std::move(merged);
  };
  if (tick == Tick::kDue) {
    const TimeNs log_now =
        head_.seq == 0 ? now : std::min(now, head_event_at_ + (now - head_.recorded_at));
    put_first(machine_.on_tick(state_, log_now));
  }
  put_first(std::move(clock_steps));
  if (items.empty()) return nullptr;
  const std::size_t total = items.size();
  group->results.resize(total);

  // 1. Idempotency: every id once, in memory or in one batched read. A retry inside the
  // group itself is rare; those items are looked up again, in memory, in the loop.
  std::vector<bool> repeats(total, false);
  {
    std::vector<std::string_view> ids;
    std::vector<crypto::Digest> digests;
    std::vector<std::size_t> owner;
    boost::unordered_flat_map<std::string_view, std::size_t> in_group;
    in_group.reserve(total);
    for (std::size_t i = 0; i < total; ++i) {
      if (items[i].checkpoint_done) continue;
      const std::string& id = items[i].command.command_id;
      if (!in_group.emplace(id, i).second) {
        repeats[i] = true;
        continue;
      }
      ids.push_back(id);
      digests.push_back(items[i].digest);
      owner.push_back(i);
    }
    auto earlier = idem_->look_up(ids, digests);
    for (std::size_t k = 0; k < ids.size(); ++k) {
      if (earlier[k]) group->results[owner[k]] = std::move(*earlier[k]);
    }
  }

  std::vector<std::pair<std::string_view, StreamHead*>> dirty_streams;
  bool wrote = false;
  bool want_checkpoint = false;
  RecordFields fields;  // reused for every record: its strings keep their capacity
  EncodedRecord enc;

  try {
    for (std::size_t i = 0; i < total; ++i) {
      Item& item = items[i];
      if (item.rotate_to) {
        rotate_key_now(*item.rotate_to, now, batch, fields, enc);
        wrote = true;
        want_checkpoint = true;
        continue;
      }
      if (item.checkpoint_done) {
        want_checkpoint = true;
        continue;
      }
      if (group->results[i]) continue;  // decided above: a retry, a conflict, a lookup error
      const Command& cmd = item.command;
      if (repeats[i]) {
        if (auto earlier = idem_->recent(cmd.command_id, item.digest)) {
          group->results[i] = std::move(*earlier);  // accepted earlier in this very group
          continue;
        }
      }

      // Contemporaneous: nothing is recorded as having happened later than now (a device
      // or client whose clock is wrong). Retries of accepted commands were answered above.
      if (cmd.occurred_at > now && cmd.occurred_at - now > to_ns(options_.max_future_skew)) {
        group->results[i] = std::unexpected(Error::invalid_argument(
            "occurredAt", "is " + std::to_string((cmd.occurred_at - now) / 1'000'000'000) +
                              " s ahead of custody's clock (" + format_rfc3339(now) +
                              "); at most " + std::to_string(options_.max_future_skew.count()) +
                              " s are accepted: check the sender's clock"));
        continue;
      }

      Result<std::vector<Event>> events = [&]() -> Result<std::vector<Event>> {
        try {
          return machine_.decide(cmd, state_, now);
        } catch (const std::exception& e) {
          return fail(ErrorCode::kInternal, std::string("command handler failed: ") + e.what());
        }
      }();
      if (!events) {
        group->results[i] = std::unexpected(std::move(events.error()));
        continue;
      }
      if (events->empty()) {
        group->results[i] = std::unexpected(Error::internal(cmd.type + " produced no events"));
        continue;
      }
      if (cmd.expected_version) {
        const StreamHead& primary = stream_head(events->front().stream);
        if (primary.version != *cmd.expected_version) {
          group->results[i] =
              std::unexpected(Error{ErrorCode::kConflict,
                                    "stream " + events->front().stream + " is at version " +
                                        std::to_string(primary.version) + ", not the expected " +
                                        std::to_string(*cmd.expected_version),
                                    "expectedVersion"});
          continue;
        }
      }

      // Contemporaneous, looking back: an entry made long after the fact, or dated before
      // the last record its stream already holds, is a late entry. It needs a reason, which
      // the machine records with it.
      // lateEntrySeconds 0 turns this off (a migration of history, recorded as the
      // configuration change it is).
      if (cmd.occurred_at != 0 && options_.late_entry.count() > 0) {
        StreamHead& primary = stream_head(events->front().stream);
        const TimeNs last_at = stream_last_at(primary);
        const bool by_age = now - cmd.occurred_at > to_ns(options_.late_entry);
        // Clocks may disagree by the accepted skew: within it, order says nothing (a device's
        // reading a moment behind a record custody timed itself is not late).
        const bool by_order = cmd.occurred_at < last_at - to_ns(options_.max_future_skew);
        if (by_age || by_order) {
          if (cmd.late_reason.empty()) {
            group->results[i] = std::unexpected(Error{
                ErrorCode::kLateEntry,
                "occurredAt " + format_rfc3339(cmd.occurred_at) + " makes this a late entry (" +
                    (by_order ? "before the last record of " + events->front().stream + ", " +
                                    format_rfc3339(last_at)
                              : "more than " + std::to_string(options_.late_entry.count()) +
                                    " s before custody's clock, " + format_rfc3339(now)) +
                    "): say why in lateReason",
                "lateReason"});
            continue;
          }
          auto note = machine_.on_late_entry(
              StateMachine::LateEntry{cmd, events->front().stream, last_at, by_age, by_order,
                                      static_cast<std::uint32_t>(events->size()), now});
          if (note) events->push_back(std::move(*note));
        }
      }

      // A redaction rewrites the record it names into its leaf form (payload bytes gone,
      // digest kept), in this command's batch. Made before anything of the command is
      // written, so that the command is all or nothing.
      std::vector<std::string> erased(events->size());
      std::optional<Error> erase_error;
      for (std::size_t e = 0; e < events->size() && !erase_error; ++e) {
        const std::uint64_t target = (*events)[e].erases;
        if (target == 0) continue;
        auto bytes = target <= head_.seq ? state_.record(target) : std::nullopt;
        auto rec = bytes ? decode_record(*bytes)
                         : Result<RecordFields>(std::unexpected(Error::internal(
                               "no record " + std::to_string(target) + " to redact")));
        if (!rec) {
          erase_error = rec.error();
          break;
        }
        rec->payload_present = false;
        rec->payload.clear();
        erased[e] = canonical_record(*rec, RecordForm::kLeaf);
      }
      if (erase_error) {
        group->results[i] = std::unexpected(std::move(*erase_error));
        continue;
      }

      CommandResult result;
      result.seq = head_.seq + 1;
      result.records = static_cast<std::uint32_t>(events->size());
      std::size_t event_index = 0;
      for (Event& ev : *events) {
        const std::uint64_t erases = ev.erases;
        const std::string& erased_bytes = erased[event_index++];
        RecordFields& f = fields;
        auto sh_it = streams_.find(ev.stream);
        if (sh_it == streams_.end()) {
          stream_head(ev.stream);
          sh_it = streams_.find(ev.stream);
        }
        StreamHead& sh = sh_it->second;
        f.seq = head_.seq + 1;
        f.recorded_at = now;
        f.occurred_at = cmd.occurred_at;
        f.occurred_offset = cmd.occurred_offset;
        sh.last_at = cmd.occurred_at != 0 ? cmd.occurred_at : now;
        f.command_id = cmd.command_id;
        if (ev.actor.empty()) {
          f.actor = cmd.actor;
        } else {
          f.actor = std::move(ev.actor);
        }
        f.stream = std::move(ev.stream);
        f.stream_version = sh.version + 1;
        f.stream_prev_seq = sh.last_seq;
        f.type = std::move(ev.type);
        f.payload = std::move(ev.payload);
        f.prev_hash = head_.leaf;
        encode_record(f, enc);

        batch.Put(store_.cf(Cf::kLog), keys::log(f.seq), enc.bytes);
        state_.add_record(f.seq, enc.bytes);
        if (erases != 0) {
          batch.Put(store_.cf(Cf::kLog), keys::log(erases), erased_bytes);
          batch.Put(store_.cf(Cf::kMeta), keys::redaction(erases), be64(f.seq));
          group->erased.push_back(erases);
        }
        append_leaf(enc.leaf, batch);
        sh.version = f.stream_version;
        sh.last_seq = f.seq;
        if (sh.group != group->id) {
          sh.group = group->id;
          dirty_streams.emplace_back(sh_it->first, &sh);
        }
        head_.seq = f.seq;
        head_.leaf = enc.leaf;
        head_.recorded_at = now;
        head_event_at_ = f.occurred_at != 0 ? f.occurred_at : now;
        if (f.seq == result.seq) result.hash = enc.leaf;

        machine_.apply(RecordRef{f.seq, f.recorded_at, f.occurred_at, f.command_id, f.actor,
                                 f.stream, f.stream_version, f.type, f.payload},
                       state_);
      }
      idem_->accepted(cmd.command_id, result, group->id, item.digest);
      group->results[i] = result;
      wrote = true;
    }

    state_.finish_group();
    const bool checkpoint_due = (wrote || want_checkpoint) &&
                                (frontier_.size() > checkpoint_size_ || !have_checkpoint_) &&
                                (want_checkpoint || options_.checkpoint_interval.count() == 0 ||
                                 now - checkpoint_at_ >= to_ns(options_.checkpoint_interval));
    if (checkpoint_due) {
      Checkpoint cp{store_.meta().origin, frontier_.size(), frontier_.root(), {}};
      group->checkpoint = sign_checkpoint(cp, signer_);
      batch.Put(store_.cf(Cf::kCheckpoints), be64(cp.size), group->checkpoint);
      checkpoint_size_ = cp.size;
      checkpoint_at_ = now;
      have_checkpoint_ = true;
    }
    if (wrote || checkpoint_due) {
      for (const auto& [name, sh] : dirty_streams) {
        batch.Put(store_.cf(Cf::kStreams), name, be64(sh->version) + be64(sh->last_seq));
      }
      batch.Put(store_.cf(Cf::kMeta), "head", keys::head_value(head_));
      idem_->write_group(batch, head_before.seq + 1);
      group->write = true;
    }
  } catch (const std::exception& e) {
    // In-memory state may now be ahead of anything that can be written: stop.
    Error error = Error::io(std::string("preparing a commit group failed: ") + e.what());
    {
      std::lock_guard lock(mu_);
      if (!failed_) failed_ = error;
    }
    group->items = std::move(items);
    group->write = false;
    complete(*group, error);
    return nullptr;
  }

  group->head = head_;
  group->records = head_.seq - head_before.seq;
  group->items = std::move(items);
  if (group->records > 0) machine_.applied(store_, head_);
  {
    std::lock_guard lock(mu_);
    stats_.busy_ns += elapsed_ns(started);
  }
  return group;
}

}  // namespace custody::ledger
