// Replication over NATS JetStream (docs/replication.md): the transport of the batches that
// custody/ledger/replica.h defines.
//
// One JetStream stream (default "CUSTODY", file storage) holds every site's batches, each
// site on its own subject, custody.log.<site>. JetStream is the transport, never the record:
// Debian's nats-server flushes its files only now and then, so a batch counts as
// replicated when a follower has checked and fsynced it, not when the broker has it.
//
// A site's publisher publishes its batches in order. Each message has the id
// "<site>:<first>-<last>:<first 16 hex digits of the last record's leaf>" (JetStream drops
// a second message with an id it saw in the last two minutes) and names the subject's last
// stream sequence it expects, so two publishers, or a message someone else put on the
// subject, make a publish fail rather than interleave.
// It resumes after the last batch on the subject that its own log recognises.
//
// A follower reads the subject by stream sequence (direct gets, so it needs no consumer on
// the broker), offers each batch to its Replica, and stores the next stream sequence with
// each write, so that it resumes where its copy ends.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "custody/common/error.h"
#include "custody/ledger/replica.h"

struct __natsConnection;
struct __jsCtx;
struct __natsSubscription;

namespace custody::ledger {
class Ledger;
class Store;
}  // namespace custody::ledger

namespace custody::replication {

struct NatsConfig {
  std::string url;                          // nats://127.0.0.1:4222; several, comma-separated
  std::string stream = "CUSTODY";           // the JetStream stream
  int replicas = 1;                         // the stream's replicas, when this creates it
  std::chrono::milliseconds timeout{5000};  // each request to the broker
};

// A site or stream name: 1..64 of [A-Za-z0-9_-] (a site name is a subject token). Otherwise
// kInvalidArgument naming `field`.
[[nodiscard]] Result<void> check_name(std::string_view name, std::string field);
// A stream's replicas on a JetStream cluster: 1..5. Otherwise kInvalidArgument naming `field`.
[[nodiscard]] Result<void> check_replicas(int replicas, std::string field);
[[nodiscard]] std::string log_subject(std::string_view site);
// Where followers that witness a site publish their cosigned checkpoints of it.
[[nodiscard]] std::string cosig_subject(std::string_view site);

// One connection to the broker. Reconnects by itself; a request made while the broker is
// away fails with kUnavailable.
class JetStream {
 public:
  // Connects and makes sure the stream exists (creating it when missing). kUnavailable when
  // no server answers, kInvalidArgument (field "stream") for a bad stream name.
  [[nodiscard]] static Result<std::unique_ptr<JetStream>> connect(const NatsConfig& config,
                                                                  std::string_view client_name);
  ~JetStream();
  JetStream(const JetStream&) = delete;
  JetStream& operator=(const JetStream&) = delete;

  struct Message {
    std::uint64_t stream_seq = 0;
    std::string subject;
    std::string data;
  };
  // The last message on `subject`, or nullopt when it has none.
  [[nodiscard]] Result<std::optional<Message>> last(std::string_view subject);
  // The first message on `subject` at stream sequence `from` or later; nullopt when none.
  [[nodiscard]] Result<std::optional<Message>> next(std::string_view subject, std::uint64_t from);
  // The message at stream sequence `seq` (any subject); nullopt when none.
  [[nodiscard]] Result<std::optional<Message>> at(std::uint64_t seq);
  // The last message on `subject` before stream sequence `before`; nullopt when none. Each
  // stream sequence looked at takes one from `budget`; none is looked at once it is 0.
  [[nodiscard]] Result<std::optional<Message>> previous(std::string_view subject,
                                                        std::uint64_t before,
                                                        std::uint64_t& budget);

  struct Published {
    std::uint64_t stream_seq = 0;
    bool duplicate = false;  // the broker had a message with this id already
  };
  // Publishes with a message id and, when `expect_last` is nonzero, the stream sequence of
  // the subject's last message. kConflict when the subject's last message is another.
  [[nodiscard]] Result<Published> publish(std::string_view subject, std::string_view data,
                                          std::string_view msg_id, std::uint64_t expect_last);
  // Plain publish on any subject (no stream acknowledgement).
  [[nodiscard]] Result<void> send(std::string_view subject, std::string_view data);

  // Listens on `subject` (plain NATS): wait() returns when a message arrives there or after
  // `timeout`, whichever comes first. For waking a follower when a batch is published.
  [[nodiscard]] Result<void> listen(std::string_view subject);
  void wait(std::chrono::milliseconds timeout);

  [[nodiscard]] const NatsConfig& config() const { return config_; }

 private:
  JetStream() = default;
  [[nodiscard]] Result<std::optional<Message>> direct_get(std::uint64_t seq,
                                                          const char* next_by_subject,
                                                          const char* last_by_subject);
  NatsConfig config_;
  __natsConnection* nc_ = nullptr;
  __jsCtx* js_ = nullptr;
  __natsSubscription* doorbell_ = nullptr;
};

// A site's side: publishes its ledger's batches.
class Publisher {
 public:
  Publisher(JetStream& js, std::string site) : js_(js), site_(std::move(site)) {}

  // Finds where the subject ends: the last message there that this ledger's log recognises
  // (its last record's leaf is this log's at that seq). A message after it that the log does
  // not recognise (someone else's, or forged) is counted in foreign(). kConflict when the
  // subject holds another ledger's batches only.
  [[nodiscard]] Result<void> resume(ledger::Store& store);
  // Publishes every batch the store has ready (up to its last checkpoint). Returns the
  // records published. A publish refused because someone else wrote to the subject resumes
  // and goes on.
  [[nodiscard]] Result<std::uint64_t> publish_ready(ledger::Store& store);

  // The last seq published.
  [[nodiscard]] std::uint64_t published() const { return published_; }
  [[nodiscard]] std::uint64_t foreign() const { return foreign_; }

 private:
  JetStream& js_;
  std::string site_;
  bool resumed_ = false;
  std::uint64_t published_ = 0;
  std::uint64_t expect_last_ = 0;  // stream sequence of the subject's last message
  std::uint64_t foreign_ = 0;
};

// A site's publisher on a thread of its own, beside the ledger's writer (`custody serve`).
// It wakes when a group commits, or every 250 ms, and publishes every batch that is ready.
// When records have waited a second for a checkpoint and nothing else is to publish, it asks
// the ledger to sign one. While the broker is away it retries every second. The writer never
// waits for it: a broker outage only grows the backlog (head - published).
class PublishingThread {
 public:
  // Starts at once; the first connection is made on the thread.
  [[nodiscard]] static std::unique_ptr<PublishingThread> start(ledger::Ledger& ledger,
                                                               NatsConfig config, std::string site);
  ~PublishingThread();  // stops the thread (a publish in flight finishes first)
  PublishingThread(const PublishingThread&) = delete;
  PublishingThread& operator=(const PublishingThread&) = delete;

  struct Status {
    std::string site;
    std::uint64_t published = 0;     // the last seq the broker acknowledged
    bool connected = false;          // the last request to the broker got an answer
    std::uint64_t failures = 0;      // rounds that failed (broker away, a refusal)
    std::uint64_t foreign = 0;       // messages on the subject that are not this site's
    std::uint64_t cosignatures = 0;  // witnesses' cosignature lines kept since the start
    std::string last_error;          // of the last failed round ("" when none since)
  };
  [[nodiscard]] Status status() const;

 private:
  struct Impl;
  explicit PublishingThread(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A follower as a witness: cosigns the newest checkpoint its copy holds with the witness in
// `witness_dir` (`custody witness init`), proving from the copy that the tree extends the
// last one that witness cosigned, and publishes the cosigned note on cosig_subject(site).
// Returns false when the witness has cosigned a larger tree already; the same checkpoint
// again is cosigned and sent again (the caller calls once per new checkpoint). The
// witness's refusals (a rollback, a fork: custody/ledger/witness.h) come back as errors.
[[nodiscard]] Result<bool> cosign_newest(JetStream& js, ledger::Replica& replica,
                                         const std::filesystem::path& witness_dir,
                                         std::string_view site);

// A site's side of witnessing: takes the cosigned checkpoints on cosig_subject(site) and
// keeps their cosignatures beside the ledger (ledger::keep_cosignatures). Notes that are
// not cosigned checkpoints of this ledger are counted as refused.
class CosignatureCollector {
 public:
  CosignatureCollector(JetStream& js, std::string site) : js_(js), site_(std::move(site)) {}
  // Takes what came since the last call; returns the cosignature lines newly kept.
  [[nodiscard]] Result<std::size_t> collect(ledger::Store& store);
  [[nodiscard]] std::uint64_t refused() const { return refused_; }

 private:
  JetStream& js_;
  std::string site_;
  std::uint64_t next_ = 1;
  std::uint64_t refused_ = 0;
};

// What a follower refused: a batch that did not verify, a rewrite, a gap.
struct Alarm {
  std::uint64_t stream_seq = 0;
  Error error;
};
using AlarmFn = std::function<void(const Alarm&)>;

// A follower's side: one site's messages into one Replica.
class Follower {
 public:
  Follower(JetStream& js, ledger::Replica& replica, std::string site)
      : js_(js), replica_(replica), site_(std::move(site)) {}

  // Takes the messages on the subject from the replica's position on, until none is left or
  // `max` were taken. Returns how many were taken. Batches that are refused are reported to
  // `alarm` and skipped; a copy that cannot be written ends the call with the error.
  //
  // A batch that starts beyond the copy's next record (a broker that lost its last messages
  // in a crash, and a publisher that published them again under new stream sequences before
  // the follower came back) sends the follower back along the subject to the batch that
  // holds its next record; only when there is none is the gap an alarm.
  [[nodiscard]] Result<std::size_t> poll(const AlarmFn& alarm, std::size_t max = SIZE_MAX);

 private:
  JetStream& js_;
  ledger::Replica& replica_;
  std::string site_;
  std::uint64_t next_ = 0;  // the next stream sequence to read (0: from the replica's position)
  std::uint64_t rewound_at_ = 0;  // the gap a rewind was made for (one rewind per gap)
};

}  // namespace custody::replication
