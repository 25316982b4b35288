// custody serve DIR [--listen HOST:PORT] [--tls-cert F --tls-key F]: one process owns the
// ledger. It holds the sequencer, hosts the configured plugins with the genealogy graph in
// memory (what `custody run` does), and serves the /v1 API over HTTP/1.1. SIGTERM or SIGINT
// stops it cleanly: no new connections, commands in flight finish and are answered, plugins
// stop, the ledger closes with a final checkpoint; exit 0.
#include <signal.h>
#include <sys/resource.h>

#include <iostream>

#include "cli/cli_common.h"
#include "custody/codec/json_writer.h"
#include "custody/common/clock.h"
#include "custody/common/files.h"
#include "custody/domain/enterprise.h"
#include "custody/ledger/config.h"
#include "custody/plugin/host.h"
#include "custody/plugin/plugin_config.h"
#include "custody/replication/jetstream.h"
#include "custody/server/api.h"
#include "custody/server/credentials.h"
#include "custody/server/http.h"

namespace custody::cli {
namespace {

struct ServeArgs {
  std::string dir;
  server::HttpOptions http;
  server::ApiOptions api;
  std::string replicate;       // NATS URL(s): publish the ledger's batches (docs/replication.md)
  std::string replicate_site;  // default: the ledger's id
  std::string replicate_stream = "CUSTODY";
  int replicate_replicas = 1;  // of the stream, when the publisher creates it
  std::string enterprise;      // an enterprise directory to offer read-only (docs/enterprise.md)
};

int serve(ServeArgs a) {
  // Signals are taken by this thread only: block them before any other thread exists.
  sigset_t signals = block_stop_signals();
  // Every connection is a descriptor, beside RocksDB's files: take what the system allows
  // (the soft limit is often 1,024, below --max-connections plus the database).
  if (rlimit nofile{};
      ::getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
    nofile.rlim_cur = nofile.rlim_max;
    (void)::setrlimit(RLIMIT_NOFILE, &nofile);
  }

  auto configs = plugin::load_plugin_configs(a.dir);
  if (!configs) return report(configs.error());
  auto config = ledger::load_config(a.dir);
  if (!config) return report(config.error());
  auto machine = host_machine(*config);
  const domain::PlantMachine* plant = machine.get();
  if (!a.replicate_site.empty()) {
    if (auto n = replication::check_name(a.replicate_site, "replicateSite"); !n) {
      return report(n.error());
    }
  }
  if (auto n = replication::check_name(a.replicate_stream, "replicateStream"); !n) {
    return report(n.error());
  }
  if (auto r = replication::check_replicas(a.replicate_replicas, "replicateReplicas"); !r) {
    return report(r.error());
  }
  // The address and the certificate, before the ledger is opened or written to.
  if (auto h = server::HttpServer::check(a.http); !h) return report(h.error());
  const SystemClock clock;
  std::unique_ptr<domain::Enterprise> enterprise;
  if (!a.enterprise.empty()) {
    // A long-running server keeps every site's genealogy graph, as it keeps its own.
    auto e = domain::Enterprise::open(a.enterprise, clock, {.graphs = true});
    if (!e) {
      Error err = e.error();
      // enterprise.json's own paths start with "enterprise"; a site's are "sites[i]...".
      if (err.field == "dir") {
        err.field = "enterprise";
      } else if (!err.field.starts_with("enterprise")) {
        err.field = "enterprise." + err.field;
      }
      return report(err);
    }
    enterprise = std::move(*e);
    a.api.enterprise = enterprise.get();
  }
  auto ledger = open_ledger(a.dir, ledger::OpenMode::kReadWrite, std::move(machine));
  if (!ledger) return report(ledger.error());
  const std::string site =
      a.replicate_site.empty() ? (*ledger)->meta().ledger_id : a.replicate_site;
  a.api.site = config->site;
  a.api.plugins = *configs;
  auto credentials = server::Credentials::load(a.dir);
  if (!credentials) return report(credentials.error());
  // A ledger people sign in to gets the default signature policy unless it has one.
  if (auto policy = server::record_default_signature_policy(**ledger); !policy) {
    return report(policy.error());
  }
  plugin::HostOptions options;
  options.graph = plant->graph();
  options.site = config->site;
  auto host = plugin::PluginHost::start(**ledger, *configs, options);
  if (!host) return report(host.error());

  // The publisher runs beside the writer; the broker being away never holds a commit back.
  std::unique_ptr<replication::PublishingThread> publisher;
  if (!a.replicate.empty()) {
    replication::NatsConfig nats;
    nats.url = a.replicate;
    nats.stream = a.replicate_stream;
    nats.replicas = a.replicate_replicas;
    publisher = replication::PublishingThread::start(**ledger, nats, site);
  }
  server::Metrics metrics;
  metrics.graph = plant->graph();
  metrics.plant = plant;
  metrics.enterprise = enterprise.get();
  metrics.replication = publisher.get();
  server::Api api(**ledger, **credentials, metrics, host->get(), a.api);
  auto http = server::HttpServer::start(api, metrics, a.http);
  if (!http) return report(http.error());
  const std::string url = std::string((*http)->tls() ? "https://" : "http://") + (*http)->address();
  // Where a CLI write that finds the ledger locked is sent (removed at a clean stop).
  const std::filesystem::path marker = std::filesystem::path(a.dir) / kServerMarker;
  (void)replace_file(marker, url + "\n", 0644);
  {
    std::string line;
    codec::JsonWriter w(line);
    w.begin_object().key("ok").boolean(true);
    w.key("serving").string(url);
    w.key("head").uint64((*ledger)->head().seq);
    w.key("plugins").uint64((*host)->status().size());
    if (publisher) w.key("replicating").string(site);
    if (enterprise) w.key("enterpriseSites").uint64(enterprise->config().sites.size());
    w.end_object();
    std::cout << line << std::endl;
  }

  int sig = 0;
  sigwait(&signals, &sig);
  (*http)->stop();
  host->reset();  // stops every plugin before the ledger closes
  publisher.reset();
  const std::uint64_t head = (*ledger)->head().seq;
  ledger->reset();
  std::error_code ignored;
  std::filesystem::remove(marker, ignored);
  std::string line;
  codec::JsonWriter w(line);
  w.begin_object().key("ok").boolean(true).key("stopped").boolean(true);
  w.key("signal").string(sig == SIGINT ? "SIGINT" : "SIGTERM");
  w.key("head").uint64(head);
  w.end_object();
  std::cout << line << std::endl;
  return kExitOk;
}

}  // namespace

void add_serve(CLI::App& app, Action& run) {
  auto a = std::make_shared<ServeArgs>();
  auto* cmd = app.add_subcommand(
      "serve", "Own the ledger: host its plugins and serve the /v1 HTTP API until stopped");
  cmd->add_option("DIR", a->dir, "Ledger directory")->required();
  cmd->add_option("--listen", a->http.listen, "HOST:PORT to listen on (port 0: any free port)")
      ->capture_default_str();
  cmd->add_option("--tls-cert", a->http.tls_cert, "PEM certificate chain: serve HTTPS only");
  cmd->add_option("--tls-key", a->http.tls_key, "PEM private key of --tls-cert");
  cmd->add_option("--threads", a->http.threads,
                  "Network threads (they read requests, write answers and admit commands)")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  cmd->add_option("--query-threads", a->api.query_threads, "Threads that answer reads (GET)")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  cmd->add_option("--max-connections", a->http.max_connections,
                  "Connections served at once; more are closed at once")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  auto request_timeout = std::make_shared<double>(10);
  auto idle_timeout = std::make_shared<double>(60);
  cmd->add_option("--request-timeout", *request_timeout,
                  "Seconds a request may take to arrive whole (slow clients are cut off)")
      ->check(CLI::Range(0.05, 3600.0))
      ->capture_default_str();
  cmd->add_option("--idle-timeout", *idle_timeout,
                  "Seconds a kept-alive connection may wait for its next request")
      ->check(CLI::Range(0.05, 86400.0))
      ->capture_default_str();
  auto stream_timeout = std::make_shared<double>(30);
  cmd->add_option("--stream-write-timeout", *stream_timeout,
                  "Seconds a WebSocket stream's next record may wait for the client to take it "
                  "before the stream is closed (code 4008)")
      ->check(CLI::Range(0.05, 3600.0))
      ->capture_default_str();
  auto session_idle = std::make_shared<long>(15 * 60);
  auto session_max = std::make_shared<long>(12 * 3600);
  auto lockout = std::make_shared<long>(30 * 60);
  cmd->add_option("--session-idle", *session_idle,
                  "Seconds a signed-in session may be idle before it ends")
      ->check(CLI::Range(1L, 86400L))
      ->capture_default_str();
  cmd->add_option("--session-max", *session_max, "Seconds a session lasts at most")
      ->check(CLI::Range(1L, 7 * 86400L))
      ->capture_default_str();
  cmd->add_option("--web-root", a->api.web_root,
                  "Serve the web UI's own files from this folder (a copy of server/web) "
                  "instead of the binary, for working on the UI");
  cmd->add_option("--lockout", *lockout,
                  "Seconds an account stays locked after 5 failed sign-ins in 15 minutes")
      ->check(CLI::Range(1L, 30 * 86400L))
      ->capture_default_str();
  cmd->add_option("--replicate", a->replicate,
                  "Publish the ledger's batches to NATS JetStream at this URL, beside the writer "
                  "(docs/replication.md)");
  cmd->add_option("--replicate-site", a->replicate_site,
                  "The site's name on the stream (default: the ledger's id)");
  cmd->add_option("--replicate-stream", a->replicate_stream, "The JetStream stream")
      ->capture_default_str();
  cmd->add_option("--replicate-replicas", a->replicate_replicas,
                  "Replicas of the stream on a JetStream cluster (1-5), when the server creates it")
      ->capture_default_str();
  cmd->add_option("--enterprise", a->enterprise,
                  "Offer the enterprise recall over this enterprise directory's site copies, "
                  "read-only (docs/enterprise.md)");
  cmd->callback([&run, a, request_timeout, idle_timeout, session_idle, session_max, lockout,
                 stream_timeout] {
    a->http.stream_write_timeout =
        std::chrono::milliseconds(static_cast<long>(*stream_timeout * 1000));
    a->api.sessions.idle = std::chrono::seconds(*session_idle);
    a->api.sessions.absolute = std::chrono::seconds(*session_max);
    a->api.lockout = std::chrono::seconds(*lockout);
    a->http.request_timeout = std::chrono::milliseconds(static_cast<long>(*request_timeout * 1000));
    a->http.idle_timeout = std::chrono::milliseconds(static_cast<long>(*idle_timeout * 1000));
    run = [a] {
      return serve(*a);
    };
  });
}

}  // namespace custody::cli
