// Durable append throughput through the full sequencer path, against a raw RocksDB baseline
// in the same run.
//
//   bench_append [--benchmark_...]       env: CUSTODY_BENCH_RECORDS (default 400000)
//
// Sequencer: 8 producer threads submit ~300-byte note.add commands, each keeping up to 1024
// in flight (as `custody append` does), until CUSTODY_BENCH_RECORDS are durable. Reports
// durable records/s and commit latency (submit -> durable acknowledgement) p50/p99.
// Raw baseline: one thread writes the same number of 300-byte values to a bare RocksDB in
// WriteBatches of the sequencer's mean group size, sync=true, no hashing, no validation.
#include <benchmark/benchmark.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "bench_support.h"
#include "custody/common/encoding.h"
#include "custody/domain/plant.h"
#include "custody/ledger/ledger.h"

namespace custody::bench {
namespace {

constexpr std::size_t kRecordBytes = 300;
constexpr int kProducers = 8;
constexpr int kWindow = 1024;

std::uint64_t total_records() {
  const char* env = std::getenv("CUSTODY_BENCH_RECORDS");
  return env ? std::strtoull(env, nullptr, 10) : 400000;
}

struct Summary {
  double sequencer_rps = 0;
  double raw_rps = 0;
  double mean_group = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  std::size_t record_bytes = 0;
} g_summary;

void BM_SequencerAppend(benchmark::State& state) {
  const std::uint64_t total = total_records();
  for (auto _ : state) {
    const auto dir = scratch_dir("append");
    auto machine = domain::make_state_machine();
    if (!ledger::Ledger::init(dir, {}, *machine)) {
      state.SkipWithError("init failed");
      return;
    }
    ledger::LedgerOptions options;
    auto ledger = ledger::Ledger::open(dir, ledger::OpenMode::kReadWrite,
                                       domain::make_state_machine(), options);
    if (!ledger) {
      state.SkipWithError(ledger.error().message.c_str());
      return;
    }
    // Commands are built before the clock starts: this measures the sequencer path.
    std::vector<std::vector<ledger::Command>> work(kProducers);
    for (std::uint64_t n = 0; n < total; ++n) {
      work[n % kProducers].push_back(note_command(n, kRecordBytes));
    }
    std::vector<std::vector<double>> latencies(kProducers);
    std::atomic<std::uint64_t> failures{0};

    const auto t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> producers;
    for (int p = 0; p < kProducers; ++p) {
      producers.emplace_back([&, p] {
        // Each producer keeps up to kWindow commands in flight, as `custody append` does, and
        // sleeps when the window is full until half of it has drained.
        std::atomic<int> in_flight{0};
        std::atomic<bool> waiting{false};
        std::mutex mu;
        std::condition_variable cv;
        auto& lat = latencies[p];
        lat.assign(work[p].size(), 0.0);
        for (std::size_t n = 0; n < work[p].size(); ++n) {
          if (in_flight.load() >= kWindow) {
            std::unique_lock lock(mu);
            waiting = true;
            cv.wait(lock, [&] { return in_flight.load() <= kWindow / 2; });
            waiting = false;
          }
          in_flight.fetch_add(1);
          const auto sent = std::chrono::steady_clock::now();
          (*ledger)->submit(std::move(work[p][n]), [&, n, sent](Result<ledger::CommandResult> r) {
            lat[n] =
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - sent)
                    .count();
            if (!r) failures.fetch_add(1);
            if (in_flight.fetch_sub(1) - 1 <= kWindow / 2 && waiting.load()) {
              std::lock_guard lock(mu);
              cv.notify_one();
            }
          });
        }
        std::unique_lock lock(mu);
        waiting = true;
        cv.wait(lock, [&] { return in_flight.load() == 0; });
      });
    }
    for (auto& t : producers) t.join();
    const double secs = seconds_since(t0);
    state.SetIterationTime(secs);

    const auto stats = (*ledger)->stats();
    std::vector<double> all;
    for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
    g_summary.sequencer_rps = static_cast<double>(stats.records) / secs;
    g_summary.mean_group = static_cast<double>(stats.records) / static_cast<double>(stats.groups);
    g_summary.p50_ms = percentile(all, 50);
    g_summary.p99_ms = percentile(all, 99);
    auto snap = (*ledger)->snapshot();
    if (auto rec = snap->record(1)) g_summary.record_bytes = rec->size();
    state.counters["records_per_s"] = g_summary.sequencer_rps;
    state.counters["p50_ms"] = g_summary.p50_ms;
    state.counters["p99_ms"] = g_summary.p99_ms;
    state.counters["mean_group"] = g_summary.mean_group;
    state.counters["record_bytes"] = static_cast<double>(g_summary.record_bytes);
    state.counters["seq_busy_s"] = static_cast<double>(stats.busy_ns) / 1e9;
    state.counters["seq_write_s"] = static_cast<double>(stats.write_ns) / 1e9;
    if (failures.load() != 0) state.SkipWithError("some appends failed");
  }
}

void BM_RawRocksDBBaseline(benchmark::State& state) {
  const std::uint64_t total = total_records();
  const std::size_t batch_size =
      g_summary.mean_group > 0 ? static_cast<std::size_t>(g_summary.mean_group + 0.5) : 1024;
  const std::size_t value_bytes = g_summary.record_bytes ? g_summary.record_bytes : kRecordBytes;
  for (auto _ : state) {
    const auto dir = scratch_dir("raw");
    rocksdb::Options o;
    o.create_if_missing = true;
    o.write_buffer_size = 64 << 20;
    o.compression = rocksdb::kLZ4Compression;
    rocksdb::DB* raw = nullptr;
    if (!rocksdb::DB::Open(o, dir.string(), &raw).ok()) {
      state.SkipWithError("open failed");
      return;
    }
    std::unique_ptr<rocksdb::DB> db(raw);
    std::string value(value_bytes, 'x');
    rocksdb::WriteOptions wo;
    wo.sync = true;
    const auto t0 = std::chrono::steady_clock::now();
    std::uint64_t seq = 0;
    while (seq < total) {
      rocksdb::WriteBatch b;
      for (std::size_t i = 0; i < batch_size && seq < total; ++i) {
        ++seq;
        value[0] = static_cast<char>(seq);
        b.Put(be64(seq), value);
      }
      if (!db->Write(wo, &b).ok()) {
        state.SkipWithError("write failed");
        return;
      }
    }
    const double secs = seconds_since(t0);
    state.SetIterationTime(secs);
    g_summary.raw_rps = static_cast<double>(total) / secs;
    state.counters["records_per_s"] = g_summary.raw_rps;
    state.counters["batch"] = static_cast<double>(batch_size);
  }
}

BENCHMARK(BM_SequencerAppend)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RawRocksDBBaseline)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace custody::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  const auto& s = custody::bench::g_summary;
  if (s.sequencer_rps > 0 && s.raw_rps > 0) {
    std::printf(
        "\nsummary: %s\n  sequencer %.0f records/s (p50 %.2f ms, p99 %.2f ms, mean group %.0f, "
        "record %zu B)\n  raw RocksDB %.0f records/s\n  ratio sequencer/raw = %.2f\n",
        custody::bench::machine_description().c_str(), s.sequencer_rps, s.p50_ms, s.p99_ms,
        s.mean_group, s.record_bytes, s.raw_rps, s.sequencer_rps / s.raw_rps);
  }
  return 0;
}
