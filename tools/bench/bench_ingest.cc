// Domain command ingest and rebuild speed, on the generated salad plant.
//
//   bench_ingest      env: CUSTODY_BENCH_DAYS (default 30), CUSTODY_BENCH_DIR
//
// Ingest: 8 plants (`custody gen plant --prefix Pn --seed n`), one per producer thread; each
// producer decodes its plant's NDJSON lines (the JSON codec `custody append` uses) and
// submits them in order with up to 1024 in flight. Reported: commands/s from the first
// submit to the last durable acknowledgement, and records/s.
// CLI: `custody append DIR FILE` on one plant, as a separate process, for the same path
// end to end (reading, decoding, printing results).
// Rebuild: `rebuild_ledger` over the 8-plant ledger: records/s.
#include <benchmark/benchmark.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "bench_support.h"
#include "custody/domain/command_codec.h"
#include "custody/domain/plant.h"
#include "custody/ledger/ledger.h"
#include "custody/ledger/rebuild.h"
#include "gen/plant_generator.h"

namespace custody::bench {
namespace {

constexpr int kPlants = 8;

int days() {
  const char* v = std::getenv("CUSTODY_BENCH_DAYS");
  return v ? std::atoi(v) : 30;
}

std::vector<std::string> plant_lines(int n) {
  gen::PlantOptions o;
  o.days = days();
  // The days end today: custody refuses records dated in its future.
  constexpr custody::TimeNs kDay = 86'400LL * 1'000'000'000LL;
  o.start = (custody::SystemClock().now() / kDay - o.days) * kDay;
  o.seed = static_cast<std::uint64_t>(n + 1);
  o.prefix = "P" + std::to_string(n);
  std::ostringstream out;
  if (!gen::generate_plant(o, out)) return {};
  std::vector<std::string> lines;
  std::istringstream in(out.str());
  for (std::string line; std::getline(in, line);) lines.push_back(std::move(line));
  return lines;
}

struct Summary {
  double ingest_cps = 0, ingest_rps = 0, cli_cps = 0, rebuild_rps = 0;
  std::uint64_t commands = 0, records = 0, rejected = 0;
} g;

std::filesystem::path g_ledger;

void BM_Ingest8Producers(benchmark::State& state) {
  std::vector<std::vector<std::string>> plants(kPlants);
  for (int p = 0; p < kPlants; ++p) plants[p] = plant_lines(p);
  for (auto _ : state) {
    g_ledger = scratch_dir("ingest");
    auto machine = domain::make_state_machine();
    if (!ledger::Ledger::init(g_ledger, {}, *machine)) {
      state.SkipWithError("init failed");
      return;
    }
    // The plants' month lies in the past: a ledger that takes history (`custody init
    // --import-history`), where nothing is a late entry however long ago it happened.
    ledger::LedgerOptions options;
    options.sequencer.late_entry = std::chrono::seconds(0);
    auto ledger = ledger::Ledger::open(g_ledger, ledger::OpenMode::kReadWrite,
                                       domain::make_state_machine(), options);
    if (!ledger) {
      state.SkipWithError(ledger.error().message.c_str());
      return;
    }
    std::atomic<std::uint64_t> rejected{0};
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> producers;
    for (int p = 0; p < kPlants; ++p) {
      producers.emplace_back([&, p] {
        SubmitWindow window(1024);
        for (const auto& line : plants[p]) {
          auto cmd = domain::decode_command(line);
          if (!cmd) {
            rejected.fetch_add(1);
            continue;
          }
          window.acquire();
          (*ledger)->submit(std::move(*cmd), [&](Result<ledger::CommandResult> r) {
            if (!r) rejected.fetch_add(1);
            window.release();
          });
        }
        window.drain();
      });
    }
    for (auto& t : producers) t.join();
    const double secs = seconds_since(t0);
    state.SetIterationTime(secs);
    const auto st = (*ledger)->stats();
    g.commands = 0;
    for (const auto& p : plants) g.commands += p.size();
    g.records = st.records;
    g.rejected = rejected.load();
    g.ingest_cps = static_cast<double>(g.commands) / secs;
    g.ingest_rps = static_cast<double>(st.records) / secs;
    state.counters["commands"] = static_cast<double>(g.commands);
    state.counters["commands_per_s"] = g.ingest_cps;
    state.counters["records_per_s"] = g.ingest_rps;
    state.counters["rejected"] = static_cast<double>(g.rejected);
    state.counters["mean_group"] = static_cast<double>(st.records) / static_cast<double>(st.groups);
  }
}

void BM_AppendCli(benchmark::State& state) {
  const auto lines = plant_lines(0);
  const auto base = scratch_dir("cli");
  std::filesystem::create_directories(base);
  const auto file = base / "plant.ndjson";
  {
    std::ofstream f(file);
    for (const auto& l : lines) f << l << '\n';
  }
  const std::string custody = (std::filesystem::path(CUSTODY_BINARY)).string();
  for (auto _ : state) {
    const auto dir = base / "ledger";
    std::filesystem::remove_all(dir);
    if (std::system((custody + " init " + dir.string() + " --import-history >/dev/null").c_str()) !=
        0) {
      state.SkipWithError("init failed");
      return;
    }
    const auto t0 = std::chrono::steady_clock::now();
    const int rc = std::system(
        (custody + " append " + dir.string() + " " + file.string() + " >/dev/null").c_str());
    const double secs = seconds_since(t0);
    state.SetIterationTime(secs);
    if (rc != 0) state.SkipWithError("append rejected commands");
    g.cli_cps = static_cast<double>(lines.size()) / secs;
    state.counters["commands"] = static_cast<double>(lines.size());
    state.counters["commands_per_s"] = g.cli_cps;
  }
}

void BM_Rebuild(benchmark::State& state) {
  for (auto _ : state) {
    auto machine = domain::make_state_machine();
    auto r = ledger::rebuild_ledger(g_ledger, *machine);
    if (!r) {
      state.SkipWithError(r.error().message.c_str());
      return;
    }
    state.SetIterationTime(r->seconds);
    g.rebuild_rps = static_cast<double>(r->records) / r->seconds;
    state.counters["records"] = static_cast<double>(r->records);
    state.counters["records_per_s"] = g.rebuild_rps;
  }
}

BENCHMARK(BM_Ingest8Producers)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_AppendCli)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Rebuild)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace custody::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  const auto& g = custody::bench::g;
  std::printf(
      "\nsummary: %s; %d plants x %d days = %llu commands (%llu rejected), %llu records\n"
      "  ingest, 8 producers: %.0f commands/s, %.0f records/s\n"
      "  custody append (one plant, CLI process): %.0f commands/s\n"
      "  rebuild: %.0f records/s\n",
      custody::bench::machine_description().c_str(), custody::bench::kPlants,
      custody::bench::days(), static_cast<unsigned long long>(g.commands),
      static_cast<unsigned long long>(g.rejected), static_cast<unsigned long long>(g.records),
      g.ingest_cps, g.ingest_rps, g.cli_cps, g.rebuild_rps);
  return 0;
}
