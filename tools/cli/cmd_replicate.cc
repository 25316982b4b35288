// custody replicate DIR --nats URL: publish a site's committed records to NATS JetStream.
// custody follow DIR --nats URL --site NAME --key-file F: keep a checked copy of a site's
// ledger from them (custody/replication/jetstream.h, docs/replication.md).
#include <iostream>

#include "cli/cli_common.h"
#include "custody/codec/json_writer.h"
#include "custody/common/clock.h"
#include "custody/common/files.h"
#include "custody/domain/enterprise.h"
#include "custody/ledger/replica.h"
#include "custody/ledger/witness.h"
#include "custody/replication/jetstream.h"

namespace custody::cli {
namespace {

namespace repl = custody::replication;

// The broker options both commands take.
struct Broker {
  std::string url;
  std::string stream = "CUSTODY";
  int replicas = 1;
};

void add_broker_options(CLI::App* cmd, Broker& b) {
  cmd->add_option("--nats", b.url, "The NATS server(s), nats://HOST:PORT[,nats://...]")->required();
  cmd->add_option("--stream", b.stream, "The JetStream stream (created when missing)")
      ->capture_default_str();
  cmd->add_option("--replicas", b.replicas,
                  "Replicas of the stream on a JetStream cluster, when this creates it")
      ->capture_default_str();
}

Result<std::unique_ptr<repl::JetStream>> connect(const Broker& b, std::string_view client) {
  repl::NatsConfig config;
  config.url = b.url;
  config.stream = b.stream;
  config.replicas = b.replicas;
  return repl::JetStream::connect(config, client);
}

// Waits up to `ms` for SIGINT or SIGTERM; true when one came.
bool stopped(const sigset_t& signals, long ms) {
  const timespec t{ms / 1000, (ms % 1000) * 1'000'000};
  return sigtimedwait(&signals, nullptr, &t) > 0;
}

// A broker that is away is waited for; anything else ends the command.
bool transient(const Error& e) {
  return e.code == ErrorCode::kUnavailable;
}

void warn(std::string_view site, const Error& e) {
  std::string out;
  codec::JsonWriter w(out);
  w.begin_object().key("warning").string(code_name(e.code)).key("site").string(site);
  w.key("message").string(e.message).end_object();
  std::cerr << out << std::endl;
}

struct Replicate {
  std::string dir, site;
  Broker broker;
  bool once = false;
};

int run_replicate(const Replicate& o) {
  const sigset_t signals = block_stop_signals();
  if (auto r = repl::check_replicas(o.broker.replicas, "replicas"); !r) return report(r.error());
  auto ledger = open_ledger(o.dir, ledger::OpenMode::kReadOnly);
  if (!ledger) return report(ledger.error());
  ledger::Store& store = (*ledger)->store();
  const std::string site = o.site.empty() ? store.meta().ledger_id : o.site;
  if (auto n = repl::check_name(site, "site"); !n) return report(n.error());
  auto js = connect(o.broker, "custody replicate " + site);
  if (!js) return report(js.error());
  repl::Publisher publisher(**js, site);
  repl::CosignatureCollector cosignatures(**js, site);
  std::uint64_t records = 0;
  std::uint64_t cosigned = 0;
  bool warned = false;
  for (;;) {
    auto published = publisher.publish_ready(store);
    if (published) {
      // Witnesses' cosignatures of what was published before, kept beside the ledger.
      auto kept = cosignatures.collect(store);
      if (kept) cosigned += *kept;
      if (!kept) published = std::unexpected(kept.error());
    }
    if (!published) {
      if (!transient(published.error()) || o.once) return report(published.error());
      if (!warned) warn(site, published.error());
      warned = true;
    } else {
      warned = false;
      records += *published;
      if (o.once && *published == 0) break;
    }
    if (stopped(signals, published && *published > 0 ? 0 : 200)) break;
    if (auto c = store.catch_up(); !c) return report(c.error());
  }
  std::string out;
  codec::JsonWriter w(out);
  w.begin_object().key("ok").boolean(true).key("site").string(site);
  w.key("ledgerId").string(store.meta().ledger_id);
  w.key("published").uint64(publisher.published()).key("records").uint64(records);
  w.key("foreign").uint64(publisher.foreign()).key("cosignatures").uint64(cosigned);
  w.end_object();
  std::cout << out << std::endl;
  return kExitOk;
}

struct Follow {
  std::string dir, site, key, key_file, witness;
  Broker broker;
  bool once = false;
};

// When the follower last had all the stream held (DIR/SYNCED, for the enterprise view's
// staleness): written when the copy grew, else at most every five seconds.
struct Synced {
  std::uint64_t seq = 0;
  std::chrono::steady_clock::time_point at{};
};

void note_synced(const std::string& dir, std::uint64_t seq, Synced& last) {
  const auto now = std::chrono::steady_clock::now();
  if (seq == 0 || (seq == last.seq && now - last.at < std::chrono::seconds(5))) return;
  if (auto w = domain::write_synced(dir, seq, SystemClock().now()); !w) {
    std::cerr << "warning: " << w.error().message << std::endl;
  }
  last = Synced{seq, now};
}

int run_follow(const Follow& o) {
  const sigset_t signals = block_stop_signals();
  if (auto n = repl::check_name(o.site, "site"); !n) return report(n.error());
  // Checked before anything is opened or asked of the broker, as the names are.
  if (auto r = repl::check_replicas(o.broker.replicas, "replicas"); !r) return report(r.error());
  std::string key = o.key;
  if (!o.key_file.empty()) {
    auto text = read_key_file(o.key_file, "key");
    if (!text) return report(text.error());
    key = std::move(*text);
  }
  if (!o.witness.empty()) {
    // The witness must be one for this site's key, before anything is taken.
    auto state = ledger::witness_state(o.witness);
    if (!state) return report(Error{state.error().code, state.error().message, "witness"});
    auto site_key = crypto::NoteVerifier::parse(key);
    if (site_key && state->log_key != site_key->vkey()) {
      return report(Error::invalid_argument(
          "witness", o.witness + " witnesses another ledger's key, not --key's"));
    }
  }
  auto replica = ledger::Replica::open(o.dir, o.site, key, domain::make_state_machine());
  if (!replica) return report(replica.error());
  auto js = connect(o.broker, "custody follow " + o.site);
  if (!js) return report(js.error());
  if (auto l = (*js)->listen(repl::log_subject(o.site)); !l) return report(l.error());
  repl::Follower follower(**js, **replica, o.site);
  std::uint64_t alarms = 0;
  const auto alarm = [&](const repl::Alarm& a) {
    ++alarms;
    std::string out;
    codec::JsonWriter w(out);
    w.begin_object().key("alarm").string(code_name(a.error.code));
    w.key("site").string(o.site).key("streamSeq").uint64(a.stream_seq);
    w.key("message").string(a.error.message).end_object();
    std::cerr << out << std::endl;
  };
  const std::uint64_t start = (*replica)->head().seq;
  std::uint64_t cosigned = 0;
  std::string cosigned_note;  // the checkpoint last cosigned and sent
  bool warned = false;
  Synced synced;
  std::uint64_t synced_head = (*replica)->head().seq, alarms_at_growth = 0;
  for (;;) {
    auto taken = follower.poll(alarm);
    if (!taken) {
      if (!transient(taken.error()) || o.once) return report(taken.error());
      if (!warned) warn(o.site, taken.error());
      warned = true;
      if (stopped(signals, 1000)) break;
      continue;
    }
    warned = false;
    if (!o.witness.empty() && (*replica)->checkpoint() != cosigned_note) {
      // As a witness: cosign the newest checkpoint the copy verified, and send it back.
      auto c = repl::cosign_newest(**js, **replica, o.witness, o.site);
      if (c) cosigned_note = (*replica)->checkpoint();
      if (c && *c) ++cosigned;
      if (!c && transient(c.error())) {
        if (!warned) warn(o.site, c.error());
        warned = true;
      } else if (!c) {
        alarm(repl::Alarm{0, c.error()});
      }
    }
    // Complete as far as the broker goes: nothing new, nothing held back for a checkpoint,
    // and no batch refused since the copy last grew (a refused one may hide a gap).
    if ((*replica)->head().seq != synced_head) {
      synced_head = (*replica)->head().seq;
      alarms_at_growth = alarms;
    }
    if (*taken == 0 && alarms == alarms_at_growth && (*replica)->held() == 0) {
      note_synced(o.dir, (*replica)->head().seq, synced);
    }
    if (o.once && *taken == 0) break;
    if (*taken == 0) (*js)->wait(std::chrono::milliseconds(500));
    if (stopped(signals, 0)) break;
  }
  const auto& r = **replica;
  std::string out;
  codec::JsonWriter w(out);
  w.begin_object().key("ok").boolean(alarms == 0).key("site").string(o.site);
  w.key("copy").string(o.dir).key("head").uint64(r.head().seq);
  w.key("written").uint64(r.head().seq - start).key("held").uint64(r.held());
  w.key("alarms").uint64(alarms);
  if (!o.witness.empty()) w.key("cosigned").uint64(cosigned);
  w.end_object();
  std::cout << out << std::endl;
  return alarms == 0 ? kExitOk : kExitTampered;
}

}  // namespace

void add_replicate(CLI::App& app, Action& run) {
  auto o = std::make_shared<Replicate>();
  auto* cmd =
      app.add_subcommand("replicate",
                         "Publish a site's committed records, with its signed checkpoints, to NATS "
                         "JetStream for followers (runs until stopped)");
  cmd->add_option("DIR", o->dir, "The site's ledger")->required();
  cmd->add_option("--site", o->site, "The name the site publishes under (default: its ledger id)");
  add_broker_options(cmd, o->broker);
  cmd->add_flag("--once", o->once, "Publish what is ready and stop");
  cmd->callback([&run, o] {
    run = [o] {
      return run_replicate(*o);
    };
  });
}

void add_follow(CLI::App& app, Action& run) {
  auto o = std::make_shared<Follow>();
  auto* cmd =
      app.add_subcommand("follow",
                         "Keep a checked copy of a site's ledger from its published batches (runs "
                         "until stopped)");
  cmd->add_option("DIR", o->dir, "The copy (created at the first batch)")->required();
  cmd->add_option("--site", o->site, "The site's name on the stream")->required();
  auto* k = cmd->add_option("--key", o->key, "The site's checkpoint key at seq 1 (its node.pub)");
  auto* kf = cmd->add_option("--key-file", o->key_file, "A file holding it");
  k->excludes(kf);
  cmd->add_option("--witness", o->witness,
                  "A witness folder (custody witness init): cosign each checkpoint the copy "
                  "verified and send the cosignature back to the site");
  add_broker_options(cmd, o->broker);
  cmd->add_flag("--once", o->once, "Take what the stream holds now and stop");
  cmd->callback([&run, o, k, kf] {
    if (k->count() + kf->count() == 0) {
      throw CLI::ValidationError("follow", "give --key or --key-file");
    }
    run = [o] {
      return run_follow(*o);
    };
  });
}

}  // namespace custody::cli
