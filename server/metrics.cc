#include "custody/server/metrics.h"

#include <fmt/format.h>

#include "custody/domain/enterprise.h"
#include "custody/domain/genealogy.h"
#include "custody/domain/plant.h"
#include "custody/plugin/host.h"
#include "custody/replication/jetstream.h"

namespace custody::server {

void Metrics::observe_commit(double seconds) {
  std::size_t i = 0;
  while (i < kLatencyBuckets.size() && seconds > kLatencyBuckets[i]) ++i;
  latency_[i].fetch_add(1, std::memory_order_relaxed);
  latency_count_.fetch_add(1, std::memory_order_relaxed);
  latency_sum_us_.fetch_add(static_cast<std::uint64_t>(seconds * 1e6), std::memory_order_relaxed);
}

void Metrics::request_done(unsigned status) {
  const unsigned c = status / 100;
  if (c >= 1 && c <= 5) by_class_[c].fetch_add(1, std::memory_order_relaxed);
}

namespace {

void metric(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

// A gauge without labels: its HELP and TYPE lines, then its one sample.
void gauge(std::string& out, std::string_view name, std::string_view help, std::uint64_t value) {
  metric(out, name, "gauge", help);
  out += fmt::format("{} {}\n", name, value);
}

// A label value, escaped as the exposition format asks.
std::string label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string Metrics::render(const ledger::Sequencer::Stats& ledger, std::uint64_t head,
                            const std::vector<plugin::PluginStatus>& plugins) const {
  std::string out;
  metric(out, "custody_commit_latency_seconds", "histogram",
         "Time from a command's arrival to its durable answer.");
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    cumulative += latency_[i].load(std::memory_order_relaxed);
    out += fmt::format("custody_commit_latency_seconds_bucket{{le=\"{}\"}} {}\n",
                       kLatencyBuckets[i], cumulative);
  }
  cumulative += latency_[kLatencyBuckets.size()].load(std::memory_order_relaxed);
  out += fmt::format("custody_commit_latency_seconds_bucket{{le=\"+Inf\"}} {}\n", cumulative);
  out += fmt::format("custody_commit_latency_seconds_sum {:.6f}\n",
                     static_cast<double>(latency_sum_us_.load()) / 1e6);
  out += fmt::format("custody_commit_latency_seconds_count {}\n", latency_count_.load());

  metric(out, "custody_records_total", "counter", "Records written since the server started.");
  out += fmt::format("custody_records_total {}\n", ledger.records);
  metric(out, "custody_groups_total", "counter", "Commit groups written since the server started.");
  out += fmt::format("custody_groups_total {}\n", ledger.groups);
  metric(out, "custody_commands_total", "counter",
         "Commands answered (accepted, duplicate or rejected) since the server started.");
  out += fmt::format("custody_commands_total {}\n", ledger.commands);
  metric(out, "custody_head_seq", "gauge", "The seq of the last record.");
  out += fmt::format("custody_head_seq {}\n", head);

  metric(out, "custody_http_responses_total", "counter", "HTTP responses by status class.");
  for (unsigned c = 1; c <= 5; ++c) {
    out += fmt::format("custody_http_responses_total{{class=\"{}xx\"}} {}\n", c,
                       by_class_[c].load(std::memory_order_relaxed));
  }
  metric(out, "custody_open_connections", "gauge", "Open HTTP connections.");
  out += fmt::format("custody_open_connections {}\n", open_connections.load());
  metric(out, "custody_open_streams", "gauge", "Open WebSocket streams.");
  out += fmt::format("custody_open_streams {}\n", open_streams.load());
  metric(out, "custody_connections_refused_total", "counter",
         "Connections closed at once because the connection cap was reached.");
  out += fmt::format("custody_connections_refused_total {}\n", connections_refused.load());
  metric(out, "custody_failed_logins_total", "counter",
         "Sign-ins and API tokens that did not check out.");
  out += fmt::format("custody_failed_logins_total {}\n", failed_logins.load());
  metric(out, "custody_permission_denied_total", "counter", "Requests refused for want of a role.");
  out += fmt::format("custody_permission_denied_total {}\n", denials.load());
  metric(out, "custody_bad_requests_total", "counter", "Malformed HTTP requests.");
  out += fmt::format("custody_bad_requests_total {}\n", bad_requests.load());

  metric(out, "custody_plugin_up", "gauge", "1 when a plugin is running.");
  for (const auto& p : plugins) {
    out += fmt::format("custody_plugin_up{{plugin=\"{}\",state=\"{}\"}} {}\n", label(p.id),
                       label(p.state), p.state == "running" ? 1 : 0);
  }
  metric(out, "custody_plugin_backlog_records", "gauge",
         "Records committed that a subscribed plugin has not handled yet.");
  for (const auto& p : plugins) {
    if (p.position == 0) continue;
    const std::uint64_t backlog = head > p.handled ? head - p.handled : 0;
    out +=
        fmt::format("custody_plugin_backlog_records{{plugin=\"{}\"}} {}\n", label(p.id), backlog);
  }
  metric(out, "custody_plugin_restarts_total", "counter", "Plugin runners restarted.");
  for (const auto& p : plugins) {
    out +=
        fmt::format("custody_plugin_restarts_total{{plugin=\"{}\"}} {}\n", label(p.id), p.restarts);
  }
  if (graph != nullptr) {
    gauge(out, "custody_genealogy_graph_lots", "Lots in the in-memory genealogy graph.",
          graph->lot_count());
    gauge(out, "custody_genealogy_graph_edges", "Edges in the in-memory genealogy graph.",
          graph->edge_count());
    gauge(out, "custody_genealogy_graph_bytes", "Memory the in-memory genealogy graph holds.",
          graph->memory_bytes());
    gauge(out, "custody_genealogy_graph_from_saved",
          "1 when the graph was read from genealogy.graph at start, 0 when it was built from "
          "the genealogy family.",
          graph->from_saved() ? 1 : 0);
    gauge(out, "custody_genealogy_lot_table_lots",
          "Lots whose recall facts the graph's lot table holds (0: kept without one).",
          graph->lots().size());
  }
  if (graph != nullptr && plant != nullptr) {
    gauge(out, "custody_genealogy_graph_saved_seq",
          "The seq genealogy.graph was last saved at or read from (0: none): a restart replays "
          "the records after it on the saved graph.",
          plant->graph_saved_seq());
    metric(out, "custody_genealogy_graph_save_failures_total", "counter",
           "Saves of the genealogy graph beside the sequencer that failed (tried again later).");
    out += fmt::format("custody_genealogy_graph_save_failures_total {}\n",
                       plant->graph_save_failures());
  }
  if (enterprise != nullptr) {
    const auto size = enterprise->graph_size();
    gauge(out, "custody_enterprise_graph_lots", "Lots in the enterprise's in-memory site graphs.",
          size.lots);
    gauge(out, "custody_enterprise_graph_edges", "Edges in the enterprise's in-memory site graphs.",
          size.edges);
    gauge(out, "custody_enterprise_graph_bytes",
          "Memory the enterprise's site graphs hold, their lot tables included.", size.bytes);
    gauge(out, "custody_enterprise_lot_table_lots",
          "Lots whose recall facts the site graphs' lot tables hold.", size.table_lots);
    gauge(out, "custody_enterprise_crossings",
          "Receipts at one site matched to a sister site's shipment (cross-site edges).",
          size.links);
  }
  if (replication != nullptr) {
    const auto r = replication->status();
    const std::string site = label(r.site);
    const auto per_site = [&](std::string_view name, std::string_view type, std::string_view help,
                              std::uint64_t value) {
      metric(out, name, type, help);
      out += fmt::format("{}{{site=\"{}\"}} {}\n", name, site, value);
    };
    per_site("custody_replication_published_seq", "gauge",
             "The last seq the broker acknowledged for this site.", r.published);
    per_site("custody_replication_backlog_records", "gauge",
             "Records committed and not yet published (they wait for the broker or a checkpoint).",
             head > r.published ? head - r.published : 0);
    per_site("custody_replication_broker_connected", "gauge",
             "1 when the last request to the broker was answered.", r.connected ? 1 : 0);
    per_site("custody_replication_failures_total", "counter",
             "Publishing rounds that failed (the broker away, a refusal).", r.failures);
    per_site("custody_replication_cosignatures_total", "counter",
             "Witness cosignature lines received for the site's checkpoints and kept.",
             r.cosignatures);
    per_site("custody_replication_foreign_messages", "gauge",
             "Messages on the site's subject that are not its own, seen at the last resume.",
             r.foreign);
  }
  return out;
}

}  // namespace custody::server
