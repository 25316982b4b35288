// Verification throughput on a warm ledger (default 5M records of ~300 bytes).
//
//   bench_verify        env: CUSTODY_BENCH_VERIFY_RECORDS (default 5000000),
//                            CUSTODY_BENCH_DIR (default /tmp/custody-bench),
//                            CUSTODY_BENCH_VERIFY_LEDGER (an existing ledger to use instead)
//
// The ledger is built once through the sequencer and kept in $CUSTODY_BENCH_DIR/verify-<n>
// for later runs. One untimed pass warms the page cache, then verify_ledger is timed, and
// so is the hash-and-scan limit: reading every record of the log and hashing it into its
// leaf with as many threads, and nothing else; no verification can be faster.
#include <benchmark/benchmark.h>
#include <rocksdb/db.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <thread>

#include "bench_support.h"
#include "custody/common/encoding.h"
#include "custody/crypto/sha256.h"
#include "custody/domain/plant.h"
#include "custody/ledger/ledger.h"
#include "custody/ledger/verifier.h"

namespace custody::bench {
namespace {

std::uint64_t total_records() {
  const char* env = std::getenv("CUSTODY_BENCH_VERIFY_RECORDS");
  return env ? std::strtoull(env, nullptr, 10) : 5000000;
}

std::filesystem::path ledger_dir(std::uint64_t n) {
  if (const char* given = std::getenv("CUSTODY_BENCH_VERIFY_LEDGER")) return given;
  const char* base = std::getenv("CUSTODY_BENCH_DIR");
  return std::filesystem::path(base ? base : "/tmp/custody-bench") /
         ("verify-" + std::to_string(n));
}

bool build(const std::filesystem::path& dir, std::uint64_t n) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir.parent_path());
  auto machine = domain::make_state_machine();
  if (!ledger::Ledger::init(dir, {}, *machine)) return false;
  auto ledger =
      ledger::Ledger::open(dir, ledger::OpenMode::kReadWrite, domain::make_state_machine(), {});
  if (!ledger) return false;
  std::atomic<std::uint64_t> failures{0};
  for (std::uint64_t i = 0; i < n; ++i) {
    (*ledger)->submit(note_command(i, 300), [&](Result<ledger::CommandResult> r) {
      if (!r) failures.fetch_add(1);
    });
  }
  ledger->reset();
  return failures.load() == 0;
}

void BM_VerifyWarm(benchmark::State& state) {
  const std::uint64_t n = total_records();
  const auto dir = ledger_dir(n);
  {
    auto probe =
        ledger::Ledger::open(dir, ledger::OpenMode::kReadOnly, domain::make_state_machine(), {});
    if (std::getenv("CUSTODY_BENCH_VERIFY_LEDGER") == nullptr &&
        (!probe || (*probe)->head().seq != n)) {
      probe = std::unexpected(Error{});
      std::fprintf(stderr, "building a %llu-record ledger in %s ...\n",
                   static_cast<unsigned long long>(n), dir.c_str());
      if (!build(dir, n)) {
        state.SkipWithError("could not build the ledger");
        return;
      }
    }
  }
  auto ledger =
      ledger::Ledger::open(dir, ledger::OpenMode::kReadOnly, domain::make_state_machine(), {});
  if (!ledger) {
    state.SkipWithError(ledger.error().message.c_str());
    return;
  }
  (void)ledger::verify_ledger((*ledger)->store(), {});  // warm the caches
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    auto r = ledger::verify_ledger((*ledger)->store(), {});
    const double secs = seconds_since(t0);
    state.SetIterationTime(secs);
    if (!r || !r->ok) {
      state.SkipWithError("verification failed");
      return;
    }
    state.counters["records"] = static_cast<double>(r->records);
    state.counters["records_per_s"] = static_cast<double>(r->records) / secs;
  }
}

BENCHMARK(BM_VerifyWarm)->Iterations(3)->UseManualTime()->Unit(benchmark::kMillisecond);

// The limit: the log's records read in order as verify reads them, each hashed into its
// leaf, batches spread over one thread per core. Run after BM_VerifyWarm (warm cache).
void BM_HashAndScan(benchmark::State& state) {
  auto ledger = ledger::Ledger::open(ledger_dir(total_records()), ledger::OpenMode::kReadOnly,
                                     domain::make_state_machine(), {});
  if (!ledger) {
    state.SkipWithError(ledger.error().message.c_str());
    return;
  }
  auto& store = (*ledger)->store();
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    rocksdb::ReadOptions ro;
    ro.readahead_size = 4 << 20;
    ro.fill_cache = false;
    std::unique_ptr<rocksdb::Iterator> it(store.db().NewIterator(ro, store.cf(ledger::Cf::kLog)));
    std::uint64_t records = 0;
    std::uint8_t fold = 0;  // keeps the hashes from being optimised away
    std::vector<std::string> batch;
    std::vector<crypto::Digest> leaves;
    for (it->SeekToFirst(); it->Valid();) {
      batch.clear();
      for (; it->Valid() && batch.size() < 4096; it->Next())
        batch.push_back(it->value().ToString());
      leaves.resize(batch.size());
      auto hash = [&](std::size_t from, std::size_t to) {
        for (std::size_t i = from; i < to; ++i) leaves[i] = crypto::leaf_hash(as_bytes(batch[i]));
      };
      const std::size_t per = (batch.size() + threads - 1) / threads;
      std::vector<std::future<void>> helpers;
      for (unsigned t = 1; t < threads && t * per < batch.size(); ++t) {
        helpers.push_back(
            std::async(std::launch::async, hash, t * per, std::min(batch.size(), (t + 1) * per)));
      }
      hash(0, std::min(per, batch.size()));
      for (auto& h : helpers) h.get();
      for (const auto& l : leaves) fold ^= l[0];
      records += batch.size();
    }
    const double secs = seconds_since(t0);
    state.SetIterationTime(secs);
    benchmark::DoNotOptimize(fold);
    state.counters["records"] = static_cast<double>(records);
    state.counters["records_per_s"] = static_cast<double>(records) / secs;
  }
}

BENCHMARK(BM_HashAndScan)->Iterations(3)->UseManualTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace custody::bench

BENCHMARK_MAIN();
