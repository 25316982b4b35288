// What /metrics reports, in the Prometheus text format: the server's own counters here,
// the ledger's and the plugins' read when scraped.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "custody/ledger/sequencer.h"

namespace custody::plugin {
struct PluginStatus;
}
namespace custody::domain {
class Enterprise;
class GenealogyGraph;
class PlantMachine;
}  // namespace custody::domain
namespace custody::replication {
class PublishingThread;
}

namespace custody::server {

class Metrics {
 public:
  // Upper bounds of the commit-latency buckets, in seconds (a command from arrival to
  // durable answer).
  static constexpr std::array<double, 12> kLatencyBuckets = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5};

  void observe_commit(double seconds);
  void request_done(unsigned status);

  std::atomic<std::int64_t> open_connections{0};
  std::atomic<std::int64_t> open_streams{0};
  std::atomic<std::uint64_t> connections_refused{0};  // over the connection cap
  std::atomic<std::uint64_t> failed_logins{0};        // bad passwords and unknown tokens
  std::atomic<std::uint64_t> denials{0};              // 403 permission_denied
  std::atomic<std::uint64_t> bad_requests{0};         // malformed HTTP
  // The host's in-memory genealogy graph, when it keeps one (set before serving).
  const domain::GenealogyGraph* graph = nullptr;
  // The host's plant domain, for the graph's saves (set before serving, with `graph`).
  const domain::PlantMachine* plant = nullptr;
  // The enterprise view `--enterprise` offers, when there is one (set before serving).
  const domain::Enterprise* enterprise = nullptr;
  // The site's publisher to NATS JetStream, when `--replicate` runs one (set before serving).
  const replication::PublishingThread* replication = nullptr;

  // The text exposition, with the ledger's counters and the plugins' states.
  [[nodiscard]] std::string render(const ledger::Sequencer::Stats& ledger, std::uint64_t head,
                                   const std::vector<plugin::PluginStatus>& plugins) const;

 private:
  std::array<std::atomic<std::uint64_t>, kLatencyBuckets.size() + 1> latency_{};
  std::atomic<std::uint64_t> latency_count_{0};
  std::atomic<std::uint64_t> latency_sum_us_{0};
  std::array<std::atomic<std::uint64_t>, 6> by_class_{};  // 1xx..5xx, [0] unused
};

}  // namespace custody::server
