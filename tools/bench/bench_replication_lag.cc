// A follower's lag under a steady load (docs/BENCHMARKS.md). A site ledger commits note.add
// commands at a steady rate while the publisher `custody serve --replicate` runs
// (replication::PublishingThread) sends its batches to NATS JetStream. A follower
// (ledger::Replica fed by replication::Follower, as `custody follow` runs them) keeps a copy.
// A record's lag is the time from its commit at the site (its command's completion: durable)
// to the follower's fsync of the write that holds it (checked, applied, synced).
//
//   CUSTODY_NATS_URL=nats://127.0.0.1:PORT bench_replication_lag [RATE] [SECONDS]
//
// RATE commands/s (default 2000) for SECONDS (default 20), 300-byte records; the site signs a
// checkpoint every CUSTODY_BENCH_CHECKPOINT_MS (default 1000, the default config). Prints the
// lag's p50, p90, p99 and maximum, and whether the copy's state digest is the site's.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <thread>

#include "bench_support.h"
#include "custody/common/encoding.h"
#include "custody/domain/plant.h"
#include "custody/ledger/ledger.h"
#include "custody/ledger/rebuild.h"
#include "custody/ledger/replica.h"
#include "custody/replication/jetstream.h"

namespace {

using namespace custody;
using Steady = std::chrono::steady_clock;

int fail(const std::string& what) {
  std::fprintf(stderr, "bench_replication_lag: %s\n", what.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const char* url = std::getenv("CUSTODY_NATS_URL");
  if (url == nullptr) return fail("set CUSTODY_NATS_URL to a nats-server with JetStream");
  const double rate = argc > 1 ? std::atof(argv[1]) : 2000;
  const double seconds = argc > 2 ? std::atof(argv[2]) : 20;
  if (rate <= 0 || seconds <= 0) return fail("RATE and SECONDS are positive numbers");

  const auto dir = bench::scratch_dir("replication-lag");
  const auto site_dir = dir / "site";
  const auto copy_dir = dir / "copy";
  {
    auto machine = domain::make_state_machine();
    if (!ledger::Ledger::init(site_dir, {}, *machine)) return fail("init failed");
  }
  // The site's checkpoint interval bounds the lag: records are published once a checkpoint
  // covers them (checkpointIntervalMs in config.json; CUSTODY_BENCH_CHECKPOINT_MS here).
  ledger::LedgerOptions options;
  if (const char* ms = std::getenv("CUSTODY_BENCH_CHECKPOINT_MS")) {
    options.sequencer.checkpoint_interval = std::chrono::milliseconds(std::atol(ms));
  }
  auto site = ledger::Ledger::open(site_dir, ledger::OpenMode::kReadWrite,
                                   domain::make_state_machine(), options);
  if (!site) return fail(site.error().message);
  const std::string site_name = "lag-" + std::to_string(::getpid());
  replication::NatsConfig nats;
  nats.url = url;
  auto publisher = replication::PublishingThread::start(**site, nats, site_name);

  std::mutex mu;
  std::map<std::uint64_t, Steady::time_point> committed;  // seq -> when durable at the site
  std::map<std::uint64_t, Steady::time_point> copied;     // seq -> when durable in the copy

  // The follower, on its own thread.
  std::atomic<bool> stop{false};
  std::string follower_error;
  std::thread follower([&] {
    auto js = replication::JetStream::connect(nats, "bench follower");
    if (!js) {
      follower_error = js.error().message;
      return;
    }
    (void)(*js)->listen(replication::log_subject(site_name));
    auto replica = ledger::Replica::open(copy_dir, site_name, (*site)->meta().node_public_key,
                                         domain::make_state_machine());
    if (!replica) {
      follower_error = replica.error().message;
      return;
    }
    replication::Follower f(**js, **replica, site_name);
    std::uint64_t seen = 0;
    while (!stop) {
      auto taken = f.poll([&](const replication::Alarm& a) { follower_error = a.error.message; });
      const auto now = Steady::now();
      {
        std::lock_guard lock(mu);
        for (std::uint64_t s = seen + 1; s <= (*replica)->head().seq; ++s) copied[s] = now;
      }
      seen = (*replica)->head().seq;
      if (!taken || *taken == 0) (*js)->wait(std::chrono::milliseconds(20));
    }
  });

  // The steady load: a tick every millisecond submits what the rate owes by then.
  const auto t0 = Steady::now();
  std::uint64_t submitted = 0;
  std::atomic<std::uint64_t> completed{0};
  const auto total = static_cast<std::uint64_t>(rate * seconds);
  while (submitted < total) {
    const double elapsed = bench::seconds_since(t0);
    const auto due = std::min<std::uint64_t>(total, static_cast<std::uint64_t>(elapsed * rate));
    for (; submitted < due; ++submitted) {
      (*site)->submit(bench::note_command(submitted, 300), [&](Result<ledger::CommandResult> r) {
        if (r) {
          const auto now = Steady::now();
          std::lock_guard lock(mu);
          for (std::uint32_t i = 0; i < r->records; ++i) {
            committed[r->seq + i] = now;
          }
        }
        ++completed;
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  // Everything committed, then wait (up to 30 s) for the copy to hold it all.
  while (completed < total) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  (void)(*site)->checkpoint();
  const std::uint64_t head = (*site)->head().seq;
  const auto until = Steady::now() + std::chrono::seconds(30);
  std::uint64_t copy_head = 0;
  while (Steady::now() < until) {
    {
      std::lock_guard lock(mu);
      copy_head = copied.empty() ? 0 : copied.rbegin()->first;
    }
    if (copy_head >= head) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stop = true;
  follower.join();
  publisher.reset();
  if (!follower_error.empty()) return fail("follower: " + follower_error);

  std::vector<double> lag_ms;
  for (const auto& [seq, at] : committed) {
    auto it = copied.find(seq);
    if (it == copied.end()) continue;
    lag_ms.push_back(std::chrono::duration<double, std::milli>(it->second - at).count());
  }
  const std::size_t measured = lag_ms.size();
  const double p50 = bench::percentile(lag_ms, 50);
  const double p90 = bench::percentile(lag_ms, 90);
  const double p99 = bench::percentile(lag_ms, 99);
  const double max = bench::percentile(lag_ms, 100);
  site->reset();
  auto site_digest = [&](const std::filesystem::path& d) {
    auto l = ledger::Ledger::open(d, ledger::OpenMode::kReadOnly, domain::make_state_machine(), {});
    if (!l) return std::string("?");
    auto digest = ledger::state_digest((*l)->store(), (*l)->machine());
    return digest ? to_hex(digest->digest) : std::string("?");
  };
  const bool same = site_digest(site_dir) == site_digest(copy_dir);
  std::printf(
      "steady load %.0f commands/s for %.0f s, checkpoints every %lld ms: %zu records "
      "committed, %zu in the copy\n"
      "lag commit -> follower fsync: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms\n"
      "copy state digest %s the site's\n",
      rate, seconds, static_cast<long long>(options.sequencer.checkpoint_interval.count()),
      committed.size(), measured, p50, p90, p99, max, same ? "equal to" : "DIFFERENT FROM");
  return same && measured == committed.size() ? 0 : 1;
}
