#include "custody/replication/jetstream.h"

#include <nats/nats.h>

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include "custody/common/encoding.h"
#include "custody/ledger/checkpoint.h"
#include "custody/ledger/ledger.h"
#include "custody/ledger/proof.h"
#include "custody/ledger/record.h"
#include "custody/ledger/snapshot.h"
#include "custody/ledger/store.h"
#include "custody/ledger/witness.h"

namespace custody::replication {
namespace {

// How many stream sequences a publisher (for its own last batch) or a follower (for the batch
// that holds its next record) looks back at, at most, each time it looks.
constexpr std::uint64_t kMaxLookBack = 10'000;

std::string status_text(natsStatus s) {
  const char* last = nats_GetLastError(nullptr);
  std::string text = natsStatus_GetText(s);
  if (last != nullptr && *last != '\0' && text.find(last) == std::string::npos) {
    text += ": ";
    text += last;
  }
  return text;
}

Error broker_error(natsStatus s, std::string_view what) {
  const ErrorCode code = (s == NATS_NO_SERVER || s == NATS_TIMEOUT || s == NATS_NO_RESPONDERS ||
                          s == NATS_CONNECTION_CLOSED || s == NATS_CONNECTION_DISCONNECTED ||
                          s == NATS_STALE_CONNECTION)
                             ? ErrorCode::kUnavailable
                             : ErrorCode::kIoError;
  return Error{code, std::string(what) + ": " + status_text(s), "nats"};
}

// Owns a natsMsg.
struct MsgPtr {
  natsMsg* m = nullptr;
  MsgPtr() = default;
  MsgPtr(const MsgPtr&) = delete;
  MsgPtr& operator=(const MsgPtr&) = delete;
  ~MsgPtr() {
    if (m != nullptr) natsMsg_Destroy(m);
  }
};

std::uint64_t header_u64(natsMsg* m, const char* key) {
  const char* v = nullptr;
  if (natsMsgHeader_Get(m, key, &v) != NATS_OK || v == nullptr) return 0;
  std::uint64_t out = 0;
  std::from_chars(v, v + std::strlen(v), out);
  return out;
}

}  // namespace

Result<void> check_name(std::string_view name, std::string field) {
  const bool ok =
      !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '_';
      });
  if (ok) return {};
  return fail(ErrorCode::kInvalidArgument,
              "a site or stream name is 1..64 letters, digits, '-' or '_'", std::move(field));
}

Result<void> check_replicas(int replicas, std::string field) {
  if (replicas >= 1 && replicas <= 5) return {};
  return fail(ErrorCode::kInvalidArgument,
              "a JetStream stream has 1 to 5 replicas, not " + std::to_string(replicas),
              std::move(field));
}

std::string log_subject(std::string_view site) {
  return "custody.log." + std::string(site);
}

std::string cosig_subject(std::string_view site) {
  return "custody.cosig." + std::string(site);
}

Result<std::unique_ptr<JetStream>> JetStream::connect(const NatsConfig& config,
                                                      std::string_view client_name) {
  if (auto n = check_name(config.stream, "stream"); !n) return std::unexpected(n.error());
  if (auto r = check_replicas(config.replicas, "replicas"); !r) return std::unexpected(r.error());
  std::unique_ptr<JetStream> js(new JetStream());
  js->config_ = config;
  natsOptions* opts = nullptr;
  natsStatus s = natsOptions_Create(&opts);
  const std::string name(client_name);
  // nats.c takes one URL, or a list as servers: a comma-separated list (a cluster's nodes)
  // given as one URL is tried as one address and never connects.
  std::vector<std::string> urls;
  for (std::size_t at = 0; at <= config.url.size();) {
    const std::size_t comma = std::min(config.url.find(',', at), config.url.size());
    std::string one = config.url.substr(at, comma - at);
    one.erase(0, one.find_first_not_of(' '));
    one.erase(one.find_last_not_of(' ') + 1);
    if (!one.empty()) urls.push_back(std::move(one));
    at = comma + 1;
  }
  std::vector<const char*> servers;
  for (const auto& u : urls) servers.push_back(u.c_str());
  if (servers.empty()) {
    natsOptions_Destroy(opts);
    return fail(ErrorCode::kInvalidArgument, "no NATS URL was given", "nats");
  }
  if (s == NATS_OK) s = natsOptions_SetURL(opts, nullptr);
  if (s == NATS_OK) {
    s = natsOptions_SetServers(opts, servers.data(), static_cast<int>(servers.size()));
  }
  if (s == NATS_OK) s = natsOptions_SetName(opts, name.c_str());
  if (s == NATS_OK) s = natsOptions_SetTimeout(opts, config.timeout.count());
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts, -1);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(opts, 250);
  if (s == NATS_OK) s = natsOptions_SetRetryOnFailedConnect(opts, false, nullptr, nullptr);
  if (s != NATS_OK) {
    natsOptions_Destroy(opts);
    return fail(ErrorCode::kInvalidArgument, "bad NATS URL " + config.url + ": " + status_text(s),
                "nats");
  }
  s = natsConnection_Connect(&js->nc_, opts);
  natsOptions_Destroy(opts);
  if (s != NATS_OK) return std::unexpected(broker_error(s, "cannot connect to " + config.url));
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = config.timeout.count();
  s = natsConnection_JetStream(&js->js_, js->nc_, &jo);
  if (s != NATS_OK) return std::unexpected(broker_error(s, "JetStream"));

  jsStreamInfo* si = nullptr;
  jsErrCode err = static_cast<jsErrCode>(0);
  s = js_GetStreamInfo(&si, js->js_, config.stream.c_str(), nullptr, &err);
  if (s == NATS_OK) {
    jsStreamInfo_Destroy(si);
    return js;
  }
  if (s != NATS_NOT_FOUND && err != JSStreamNotFoundErr) {
    return std::unexpected(broker_error(s, "stream " + config.stream));
  }
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  const char* subj[] = {"custody.log.>", "custody.cosig.>"};
  cfg.Name = config.stream.c_str();
  cfg.Subjects = subj;
  cfg.SubjectsLen = 2;
  cfg.Storage = js_FileStorage;
  cfg.Replicas = config.replicas;
  cfg.AllowDirect = true;
  s = js_AddStream(&si, js->js_, &cfg, nullptr, &err);
  if (s != NATS_OK && err != JSStreamNameExistErr) {
    return std::unexpected(broker_error(s, "cannot create stream " + config.stream));
  }
  if (si != nullptr) jsStreamInfo_Destroy(si);
  return js;
}

JetStream::~JetStream() {
  if (doorbell_ != nullptr) natsSubscription_Destroy(doorbell_);
  if (js_ != nullptr) jsCtx_Destroy(js_);
  if (nc_ != nullptr) {
    natsConnection_Close(nc_);
    natsConnection_Destroy(nc_);
  }
}

Result<std::optional<JetStream::Message>> JetStream::direct_get(std::uint64_t seq,
                                                                const char* next_by_subject,
                                                                const char* last_by_subject) {
  jsDirectGetMsgOptions o;
  jsDirectGetMsgOptions_Init(&o);
  o.Sequence = seq;
  o.NextBySubject = next_by_subject;
  o.LastBySubject = last_by_subject;
  MsgPtr m;
  natsStatus s = js_DirectGetMsg(&m.m, js_, config_.stream.c_str(), nullptr, &o);
  if (s == NATS_NOT_FOUND) return std::optional<Message>{};
  if (s != NATS_OK) return std::unexpected(broker_error(s, "reading stream " + config_.stream));
  Message out;
  out.stream_seq = header_u64(m.m, "Nats-Sequence");
  const char* subject = nullptr;
  if (natsMsgHeader_Get(m.m, "Nats-Subject", &subject) == NATS_OK && subject != nullptr) {
    out.subject = subject;
  }
  out.data.assign(natsMsg_GetData(m.m), static_cast<std::size_t>(natsMsg_GetDataLength(m.m)));
  if (out.stream_seq == 0) {
    return fail(ErrorCode::kIoError, "the broker's answer carries no stream sequence", "nats");
  }
  return std::optional<Message>{std::move(out)};
}

Result<std::optional<JetStream::Message>> JetStream::last(std::string_view subject) {
  const std::string s(subject);
  return direct_get(0, nullptr, s.c_str());
}

Result<std::optional<JetStream::Message>> JetStream::next(std::string_view subject,
                                                          std::uint64_t from) {
  const std::string s(subject);
  return direct_get(from, s.c_str(), nullptr);
}

Result<std::optional<JetStream::Message>> JetStream::at(std::uint64_t seq) {
  return direct_get(seq, nullptr, nullptr);
}

Result<std::optional<JetStream::Message>> JetStream::previous(std::string_view subject,
                                                              std::uint64_t before,
                                                              std::uint64_t& budget) {
  // Direct gets go forward only: step back one stream sequence at a time, each a request
  // taken from `budget`.
  for (std::uint64_t seq = before; seq > 1 && budget > 0;) {
    --seq;
    --budget;
    auto m = at(seq);
    if (!m) return std::unexpected(m.error());
    if (*m && (*m)->subject == subject) return m;
  }
  return std::optional<Message>{};
}

Result<JetStream::Published> JetStream::publish(std::string_view subject, std::string_view data,
                                                std::string_view msg_id,
                                                std::uint64_t expect_last) {
  const std::string subj(subject);
  const std::string id(msg_id);
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MsgId = id.c_str();
  po.ExpectLastSubjectSeq = expect_last;
  po.MaxWait = config_.timeout.count();
  jsPubAck* ack = nullptr;
  jsErrCode err = static_cast<jsErrCode>(0);
  natsStatus s =
      js_Publish(&ack, js_, subj.c_str(), data.data(), static_cast<int>(data.size()), &po, &err);
  if (s != NATS_OK) {
    if (err == JSStreamWrongLastSequenceErr) {
      return fail(ErrorCode::kConflict,
                  "the subject " + subj + " has a message this publisher did not expect", "nats");
    }
    return std::unexpected(broker_error(s, "publishing to " + subj));
  }
  Published out{ack->Sequence, ack->Duplicate};
  jsPubAck_Destroy(ack);
  return out;
}

Result<void> JetStream::send(std::string_view subject, std::string_view data) {
  const std::string subj(subject);
  natsStatus s =
      natsConnection_Publish(nc_, subj.c_str(), data.data(), static_cast<int>(data.size()));
  if (s == NATS_OK) s = natsConnection_FlushTimeout(nc_, config_.timeout.count());
  if (s != NATS_OK) return std::unexpected(broker_error(s, "publishing to " + subj));
  return {};
}

Result<void> JetStream::listen(std::string_view subject) {
  const std::string subj(subject);
  natsStatus s = natsConnection_SubscribeSync(&doorbell_, nc_, subj.c_str());
  if (s != NATS_OK) return std::unexpected(broker_error(s, "subscribing to " + subj));
  return {};
}

void JetStream::wait(std::chrono::milliseconds timeout) {
  if (doorbell_ == nullptr) {
    nats_Sleep(timeout.count());
    return;
  }
  MsgPtr m;
  if (natsSubscription_NextMsg(&m.m, doorbell_, timeout.count()) != NATS_OK) return;
  // Ring once for every message that came meanwhile.
  for (;;) {
    MsgPtr more;
    if (natsSubscription_NextMsg(&more.m, doorbell_, 0) != NATS_OK) break;
  }
}

Result<void> Publisher::resume(ledger::Store& store) {
  const std::string subject = log_subject(site_);
  auto last = js_.last(subject);
  if (!last) return std::unexpected(last.error());
  published_ = 0;
  expect_last_ = 0;
  foreign_ = 0;
  resumed_ = false;
  if (!*last) {
    resumed_ = true;
    return {};
  }
  expect_last_ = (*last)->stream_seq;
  // Back from the end to the last message of this log.
  std::optional<JetStream::Message> msg = std::move(*last);
  bool other_ledger = false;
  std::uint64_t budget = kMaxLookBack;
  while (msg) {
    if (auto b = ledger::decode_batch(msg->data)) {
      other_ledger = other_ledger || b->ledger_id != store.meta().ledger_id;
      auto ours = ledger::batch_is_from(store, *b);
      if (!ours) return std::unexpected(ours.error());
      if (*ours) {
        published_ = b->last();
        resumed_ = true;
        return {};
      }
    }
    ++foreign_;
    auto prev = js_.previous(subject, msg->stream_seq, budget);
    if (!prev) return std::unexpected(prev.error());
    msg = std::move(*prev);
  }
  if (other_ledger) {
    return fail(ErrorCode::kConflict,
                "the subject " + subject + " holds batches that are not this ledger's", "site");
  }
  resumed_ = true;
  return {};
}

Result<std::uint64_t> Publisher::publish_ready(ledger::Store& store) {
  if (!resumed_) {
    if (auto r = resume(store); !r) return std::unexpected(r.error());
  }
  const std::string subject = log_subject(site_);
  std::uint64_t records = 0;
  for (;;) {
    auto batches = ledger::read_batches(store, published_);
    if (!batches) return std::unexpected(batches.error());
    if (batches->empty()) return records;
    for (const auto& b : *batches) {
      // The last leaf too: another history under the same seqs (a restored site) is another
      // message, not a duplicate of this one.
      auto leaf = ledger::record_leaf(b.records.back());
      if (!leaf) return std::unexpected(leaf.error());
      const std::string id = site_ + ":" + std::to_string(b.first) + "-" +
                             std::to_string(b.last()) + ":" + to_hex(*leaf).substr(0, 16);
      auto p = js_.publish(subject, ledger::encode_batch(b), id, expect_last_);
      if (!p && p.error().code == ErrorCode::kConflict) {
        // Someone else wrote on the subject: find our end again and go on from there.
        if (auto r = resume(store); !r) return std::unexpected(r.error());
        break;
      }
      if (!p) return std::unexpected(p.error());
      expect_last_ = p->stream_seq;
      published_ = b.last();
      records += b.records.size();
    }
  }
}

Result<bool> cosign_newest(JetStream& js, ledger::Replica& replica,
                           const std::filesystem::path& witness_dir, std::string_view site) {
  if (!replica.exists() || replica.checkpoint().empty()) return false;
  auto cp = ledger::parse_checkpoint_note_unverified(replica.checkpoint());
  if (!cp) return std::unexpected(cp.error());
  auto state = ledger::witness_state(witness_dir);
  if (!state) return std::unexpected(state.error());
  // The same size again is cosigned again (the witness allows it for the same root): a
  // cosignature whose publish failed is sent once more.
  if (state->size > cp->size) return false;
  ledger::CosignRequest req;
  req.note = replica.checkpoint();
  if (state->size > 0) {
    ledger::Snapshot snap(replica.store());
    auto proof = ledger::prove_consistency(snap, state->size, cp->size);
    if (!proof) return std::unexpected(proof.error());
    req.proof_from = proof->from_size;
    req.proof_to = proof->to_size;
    req.proof = std::move(proof->path);
  }
  auto cosigned = ledger::witness_cosign(witness_dir, req);
  if (!cosigned) return std::unexpected(cosigned.error());
  const std::string id = "cosig:" + std::string(site) + ":" + std::to_string(cp->size) + ":" +
                         to_hex(crypto::sha256(*cosigned)).substr(0, 16);
  auto p = js.publish(cosig_subject(site), *cosigned, id, 0);
  if (!p) return std::unexpected(p.error());
  return true;
}

Result<std::size_t> CosignatureCollector::collect(ledger::Store& store) {
  const std::string subject = cosig_subject(site_);
  std::size_t kept = 0;
  for (;;) {
    auto msg = js_.next(subject, next_);
    if (!msg) return std::unexpected(msg.error());
    if (!*msg) return kept;
    next_ = (*msg)->stream_seq + 1;
    auto k = ledger::keep_cosignatures(store, (*msg)->data);
    if (k) {
      kept += *k;
    } else if (k.error().code == ErrorCode::kCorruption && k.error().field == "note") {
      ++refused_;
    } else {
      return std::unexpected(k.error());
    }
  }
}

struct PublishingThread::Impl {
  ledger::Ledger& ledger;
  NatsConfig config;
  mutable std::mutex mu;
  std::condition_variable wake;
  bool stop = false;
  bool committed = false;
  Status status;
  std::uint64_t listener = 0;
  std::thread thread;

  Impl(ledger::Ledger& l, NatsConfig c, std::string site) : ledger(l), config(std::move(c)) {
    status.site = std::move(site);
  }

  // Waits up to `timeout` for a commit or a stop; false when stopping.
  bool sleep(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu);
    wake.wait_for(lock, timeout, [&] { return stop || committed; });
    committed = false;
    return !stop;
  }
  void failed(const Error& e) {
    std::lock_guard lock(mu);
    ++status.failures;
    status.connected = e.code != ErrorCode::kUnavailable && status.connected;
    status.last_error = e.message;
  }

  void run() {
    using namespace std::chrono_literals;
    std::unique_ptr<JetStream> js;
    std::unique_ptr<Publisher> publisher;
    std::unique_ptr<CosignatureCollector> collector;
    auto waiting_since = std::chrono::steady_clock::time_point{};
    for (;;) {
      if (!js) {
        auto c = JetStream::connect(config, "custody serve " + status.site);
        if (!c) {
          failed(c.error());
          if (!sleep(1000ms)) return;
          continue;
        }
        js = std::move(*c);
        publisher = std::make_unique<Publisher>(*js, status.site);
        collector = std::make_unique<CosignatureCollector>(*js, status.site);
      }
      auto published = publisher->publish_ready(ledger.store());
      if (!published) {
        failed(published.error());
        if (!sleep(1000ms)) return;
        continue;
      }
      auto cosigned = collector->collect(ledger.store());
      if (!cosigned) {
        failed(cosigned.error());
        if (!sleep(1000ms)) return;
        continue;
      }
      {
        std::lock_guard lock(mu);
        status.connected = true;
        status.cosignatures += *cosigned;
        status.published = publisher->published();
        status.foreign = publisher->foreign();
        status.last_error.clear();
      }
      // Records that no checkpoint covers yet: after a second, ask for one.
      const auto now = std::chrono::steady_clock::now();
      if (*published == 0 && ledger.head().seq > publisher->published()) {
        if (waiting_since == std::chrono::steady_clock::time_point{}) {
          waiting_since = now;
        } else if (now - waiting_since >= 1s) {
          waiting_since = {};
          if (auto cp = ledger.checkpoint(); !cp) failed(cp.error());
          continue;
        }
      } else {
        waiting_since = {};
      }
      if (*published > 0) continue;  // more may be ready
      if (!sleep(250ms)) return;
    }
  }
};

PublishingThread::PublishingThread(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

std::unique_ptr<PublishingThread> PublishingThread::start(ledger::Ledger& ledger, NatsConfig config,
                                                          std::string site) {
  auto impl = std::make_unique<Impl>(ledger, std::move(config), std::move(site));
  Impl* raw = impl.get();
  raw->listener = ledger.add_commit_listener([raw](std::uint64_t) {
    {
      std::lock_guard lock(raw->mu);
      raw->committed = true;
    }
    raw->wake.notify_one();
  });
  raw->thread = std::thread([raw] { raw->run(); });
  return std::unique_ptr<PublishingThread>(new PublishingThread(std::move(impl)));
}

PublishingThread::~PublishingThread() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stop = true;
  }
  impl_->wake.notify_one();
  impl_->ledger.remove_commit_listener(impl_->listener);
  if (impl_->thread.joinable()) impl_->thread.join();
}

PublishingThread::Status PublishingThread::status() const {
  std::lock_guard lock(impl_->mu);
  return impl_->status;
}

Result<std::size_t> Follower::poll(const AlarmFn& alarm, std::size_t max) {
  const std::string subject = log_subject(site_);
  if (next_ == 0) {
    next_ = 1;
    if (const std::string& p = replica_.position(); !p.empty()) {
      std::from_chars(p.data(), p.data() + p.size(), next_);
    }
  }
  std::size_t taken = 0;
  while (taken < max) {
    auto msg = js_.next(subject, next_);
    if (!msg) return std::unexpected(msg.error());
    if (!*msg) break;
    const std::uint64_t seq = (*msg)->stream_seq;
    ++taken;
    next_ = seq + 1;
    auto batch = ledger::decode_batch((*msg)->data);
    if (!batch) {
      alarm(Alarm{seq, Error{ErrorCode::kCorruption, batch.error().message, "batch"}});
      continue;
    }
    auto offered = replica_.offer(*batch, std::to_string(seq + 1));
    if (!offered && offered.error().code == ErrorCode::kInvalidState && rewound_at_ != seq) {
      // A gap: go back to the message that holds the next record, if the subject has one.
      const std::uint64_t want = replica_.head().seq + replica_.held() + 1;
      std::uint64_t back = seq;
      std::optional<std::uint64_t> from;
      std::uint64_t budget = kMaxLookBack;
      for (;;) {
        auto prev = js_.previous(subject, back, budget);
        if (!prev) return std::unexpected(prev.error());
        if (!*prev) break;
        back = (*prev)->stream_seq;
        auto b = ledger::decode_batch((*prev)->data);
        if (b && b->first <= want && b->last() >= want) from = back;
        if (b && b->first <= want) break;
      }
      if (from) {
        rewound_at_ = seq;
        next_ = *from;
        continue;
      }
    }
    if (!offered) {
      const ErrorCode code = offered.error().code;
      if (code != ErrorCode::kCorruption && code != ErrorCode::kConflict &&
          code != ErrorCode::kInvalidState) {
        return std::unexpected(offered.error());  // the copy, not the batch
      }
      alarm(Alarm{seq, offered.error()});
    }
  }
  return taken;
}

}  // namespace custody::replication
