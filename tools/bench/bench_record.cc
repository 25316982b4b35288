// Micro-benchmarks of the per-record work on the sequencer and verifier paths: encoding a
// record (canonical form, payload digest, leaf hash) and checking a stored one.
//
//   bench_record
#include <benchmark/benchmark.h>

#include "bench_support.h"
#include "custody/crypto/sha256.h"
#include "custody/ledger/merkle.h"
#include "custody/ledger/record.h"

namespace custody::bench {
namespace {

ledger::RecordFields sample_record() {
  ledger::RecordFields r;
  r.seq = 123456;
  r.recorded_at = 1'700'000'000'000'000'000;
  r.command_id = "bench-123456";
  r.actor = "user:bench";
  r.stream = "note:line-7";
  r.stream_version = 1929;
  r.type = "note.added";
  r.payload = note_command(123456, 300).data;
  return r;
}

void BM_EncodeRecord(benchmark::State& state) {
  ledger::RecordFields r = sample_record();
  for (auto _ : state) {
    auto enc = ledger::encode_record(r);
    benchmark::DoNotOptimize(enc);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EncodeRecord);

void BM_CheckRecord(benchmark::State& state) {
  ledger::RecordFields r = sample_record();
  const auto enc = ledger::encode_record(r);
  for (auto _ : state) {
    auto c = ledger::check_record(enc.bytes);
    benchmark::DoNotOptimize(c);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CheckRecord);

void BM_Sha256_352B(benchmark::State& state) {
  const std::string data(352, 'x');
  for (auto _ : state) benchmark::DoNotOptimize(crypto::sha256(data));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Sha256_352B);

void BM_MerkleAppend(benchmark::State& state) {
  ledger::MerkleFrontier f;
  crypto::Digest leaf{};
  for (auto _ : state) {
    leaf[0]++;
    f.append(leaf);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MerkleAppend);

}  // namespace
}  // namespace custody::bench

BENCHMARK_MAIN();
