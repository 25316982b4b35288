// Verification throughput on a warm ledger (default 5M records of ~300 bytes).
//
//   bench_verify        env: CUSTODY_BENCH_VERIFY_RECORDS (default 5000000),
//                            CUSTODY_BENCH_DIR (default /tmp/custody-bench)
//
// The ledger is built once through the sequencer and kept in $CUSTODY_BENCH_DIR/verify-<n>
// for later runs. One untimed pass warms the page cache, then verify_ledger is timed.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "bench_support.h"
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
    if (!probe || (*probe)->head().seq != n) {
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

}  // namespace
}  // namespace custody::bench

BENCHMARK_MAIN();
