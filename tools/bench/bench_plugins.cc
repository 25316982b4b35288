// Plugins: records/s delivered to a subscribed plugin while appends run, and the cost of a
// plugin's submit path against the CLI's, in the same run.
//
//   bench_plugins     env: CUSTODY_BENCH_RECORDS (default 400000), CUSTODY_BENCH_DIR
//
// Delivery: 8 producers append N 304-byte note records (1024 in flight each) while
// bench_plugin, subscribed from seq 1, takes every record, in process and in a runner.
// Reported: append records/s with the subscriber and, same run, without it (the ratio shows
// whether a subscriber slows the sequencer); records/s delivered (N over the time from the
// first append until the plugin has all N); the lag after the last append; catch-up
// records/s for a plugin that subscribes to the finished log from seq 1.
//
// Submit path: N/4 note.add commands with 50-byte texts, by `custody append FILE` (the CLI:
// NDJSON decoded, up to 65536 in flight, a separate process) and by bench_plugin's 64
// threads, each submitting one command at a time and waiting for it, as Cap'n Proto and as
// JSON, in process and in a runner; and, as the like-for-like baseline, the CLI's path
// (decode_command, then the sequencer) driven by 64 waiting threads in process. Reported:
// commands/s and CPU time per command (user + system, of every process involved), and each
// plugin figure over both CLI figures as ratios.
#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <thread>

#include "bench_support.h"
#include "custody/domain/command_codec.h"
#include "custody/domain/plant.h"
#include "custody/ledger/ledger.h"
#include "custody/plugin/host.h"

namespace custody::bench {
namespace {

std::uint64_t records() {
  const char* v = std::getenv("CUSTODY_BENCH_RECORDS");
  return v ? std::strtoull(v, nullptr, 10) : 400000;
}

std::map<std::string, double> g_facts;

plugin::PluginConfig bench_plugin(const std::string& config, plugin::Isolation isolation) {
  plugin::PluginConfig c;
  c.id = "bench";
  c.path = CUSTODY_BENCH_PLUGIN;
  c.grants = {"subscribe", "submit:note"};
  c.granted = *plugin::Capabilities::parse(c.grants, "grants");
  c.isolation = isolation;
  c.config_json = config;
  return c;
}

plugin::HostOptions host_options() {
  plugin::HostOptions o;
  o.runner = CUSTODY_RUNNER;
  o.log = [](std::string_view, plugin::LogLevel level, std::string_view message) {
    if (level >= plugin::LogLevel::kWarn) {
      std::fprintf(stderr, "plugin: %.*s\n", static_cast<int>(message.size()), message.data());
    }
  };
  return o;
}

// 8 producers, n records of 304 bytes, 1024 in flight each. Returns seconds.
double append_notes(ledger::Ledger& ledger, std::uint64_t n, std::uint64_t first) {
  constexpr int kProducers = 8;
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      SubmitWindow window(1024);
      for (std::uint64_t k = first + p; k < first + n; k += kProducers) {
        window.acquire();
        ledger.submit(note_command(k, 304),
                      [&](Result<ledger::CommandResult>) { window.release(); });
      }
      window.drain();
    });
  }
  for (auto& t : producers) t.join();
  return seconds_since(t0);
}

template <typename F>
void wait_until(F&& done) {
  while (!done()) std::this_thread::sleep_for(std::chrono::microseconds(500));
}

void BM_DeliveryWhileAppending(benchmark::State& state) {
  const auto isolation =
      state.range(0) == 0 ? plugin::Isolation::kInProcess : plugin::Isolation::kProcess;
  const std::string tag = state.range(0) == 0 ? "in process" : "runner";
  const std::uint64_t n = records();
  for (auto _ : state) {
    // Same run, no subscriber: the sequencer alone.
    {
      auto alone = fresh_ledger("plugins-alone");
      g_facts["append alone records/s (" + tag + " run)"] =
          static_cast<double>(n) / append_notes(*alone, n, 0);
    }
    auto ledger = fresh_ledger("plugins-delivery");
    auto host = plugin::PluginHost::start(*ledger, {bench_plugin(R"({"mode":"count"})", isolation)},
                                          host_options());
    if (!host) {
      state.SkipWithError(host.error().message.c_str());
      return;
    }
    const auto t0 = std::chrono::steady_clock::now();
    const double append_s = append_notes(*ledger, n, 0);
    wait_until([&] { return (*host)->status()[0].delivered >= n; });
    const double delivered_s = seconds_since(t0);
    state.SetIterationTime(delivered_s);
    state.counters["append_records_per_s"] = static_cast<double>(n) / append_s;
    state.counters["delivered_records_per_s"] = static_cast<double>(n) / delivered_s;
    state.counters["lag_after_last_append_ms"] = (delivered_s - append_s) * 1000;
    g_facts["append with subscriber records/s (" + tag + ")"] = static_cast<double>(n) / append_s;
    g_facts["delivered records/s (" + tag + ")"] = static_cast<double>(n) / delivered_s;
    g_facts["lag after last append ms (" + tag + ")"] = (delivered_s - append_s) * 1000;
    host->reset();

    // Catch-up: the whole finished log to a plugin that subscribes from 1.
    auto again = plugin::PluginHost::start(
        *ledger, {bench_plugin(R"({"mode":"count"})", isolation)}, host_options());
    const auto t1 = std::chrono::steady_clock::now();
    wait_until([&] { return (*again)->status()[0].delivered >= n; });
    g_facts["catch-up records/s (" + tag + ")"] = static_cast<double>(n) / seconds_since(t1);
  }
}

struct SubmitFigures {
  double commands_per_s = 0;
  double cpu_us_per_command = 0;
};
std::map<std::string, SubmitFigures> g_submit;

void BM_CliAppend(benchmark::State& state) {
  const std::uint64_t n = records() / 4;
  const auto base = scratch_dir("plugins-cli");
  std::filesystem::create_directories(base);
  const auto file = base / "notes.ndjson";
  {
    std::ofstream f(file);
    const std::string text(50, 'x');
    for (std::uint64_t k = 0; k < n; ++k) {
      f << R"({"type":"note.add","commandId":"b-)" << k
        << R"(","actor":"user:bench","data":{"subject":"line-)" << k % 64 << R"(","text":")" << text
        << "\"}}\n";
    }
  }
  const std::string custody = CUSTODY_BINARY;
  for (auto _ : state) {
    const auto dir = base / "ledger";
    std::filesystem::remove_all(dir);
    if (std::system((custody + " init " + dir.string() + " >/dev/null").c_str()) != 0) {
      state.SkipWithError("init failed");
      return;
    }
    const double cpu0 = cpu_seconds(RUSAGE_CHILDREN);
    const auto t0 = std::chrono::steady_clock::now();
    const int rc = std::system(
        (custody + " append " + dir.string() + " " + file.string() + " >/dev/null").c_str());
    const double secs = seconds_since(t0);
    if (rc != 0) {
      state.SkipWithError("custody append failed");
      return;
    }
    state.SetIterationTime(secs);
    auto& f = g_submit["cli: custody append"];
    f.commands_per_s = static_cast<double>(n) / secs;
    f.cpu_us_per_command = (cpu_seconds(RUSAGE_CHILDREN) - cpu0) / static_cast<double>(n) * 1e6;
    state.counters["commands_per_s"] = f.commands_per_s;
    state.counters["cpu_us_per_command"] = f.cpu_us_per_command;
  }
}

// The CLI's path (JSON decoded by decode_command, then the sequencer) at the plugin's
// concurrency: 64 threads, each waiting for its command, in this process.
void BM_CliPathSameConcurrency(benchmark::State& state) {
  const std::uint64_t n = records() / 4;
  for (auto _ : state) {
    auto ledger = fresh_ledger("plugins-clipath");
    const double cpu0 = cpu_all();
    const auto t0 = std::chrono::steady_clock::now();
    (void)cli_path_64_waiting(*ledger, n);
    const double secs = seconds_since(t0);
    state.SetIterationTime(secs);
    auto& f = g_submit["cli path, 64 waiting threads, in process"];
    f.commands_per_s = static_cast<double>(n) / secs;
    f.cpu_us_per_command = (cpu_all() - cpu0) / static_cast<double>(n) * 1e6;
    state.counters["commands_per_s"] = f.commands_per_s;
    state.counters["cpu_us_per_command"] = f.cpu_us_per_command;
  }
}

void BM_PluginSubmit(benchmark::State& state) {
  const bool json = state.range(0) == 1;
  const auto isolation =
      state.range(1) == 0 ? plugin::Isolation::kInProcess : plugin::Isolation::kProcess;
  const std::uint64_t n = records() / 4;
  const std::string name = std::string("plugin: ") + (json ? "submit_json" : "submit (capnp)") +
                           (state.range(1) == 0 ? ", in process" : ", runner");
  for (auto _ : state) {
    auto ledger = fresh_ledger("plugins-submit");
    const double cpu0 = cpu_all();
    const auto t0 = std::chrono::steady_clock::now();
    auto host = plugin::PluginHost::start(
        *ledger,
        {bench_plugin(R"({"mode":"submit","threads":64,"count":)" + std::to_string(n) +
                          R"(,"json":)" + (json ? "true" : "false") + R"(,"text":50})",
                      isolation)},
        host_options());
    if (!host) {
      state.SkipWithError(host.error().message.c_str());
      return;
    }
    wait_until([&] { return ledger->head().seq >= n; });
    const double secs = seconds_since(t0);
    const double cpu = cpu_all() - cpu0;
    host->reset();
    state.SetIterationTime(secs);
    auto& f = g_submit[name];
    f.commands_per_s = static_cast<double>(n) / secs;
    f.cpu_us_per_command = cpu / static_cast<double>(n) * 1e6;
    state.counters["commands_per_s"] = f.commands_per_s;
    state.counters["cpu_us_per_command"] = f.cpu_us_per_command;
  }
}

BENCHMARK(BM_DeliveryWhileAppending)
    ->Arg(0)
    ->Arg(1)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CliAppend)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CliPathSameConcurrency)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PluginSubmit)
    ->Args({0, 0})
    ->Args({1, 0})
    ->Args({0, 1})
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace custody::bench

int main(int argc, char** argv) {
  using namespace custody::bench;
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  std::printf("\nsummary: %s; %llu records\n", machine_description().c_str(),
              static_cast<unsigned long long>(records()));
  for (const auto& [k, v] : g_facts) {
    std::printf(k.find(" ms") != std::string::npos ? "  %s = %.3f\n" : "  %s = %.0f\n", k.c_str(),
                v);
  }
  const auto cli = g_submit.find("cli: custody append");
  const auto same = g_submit.find("cli path, 64 waiting threads, in process");
  for (const auto& [k, f] : g_submit) {
    std::printf("  %s: %.0f commands/s, %.1f us CPU per command\n", k.c_str(), f.commands_per_s,
                f.cpu_us_per_command);
    if (!k.starts_with("plugin")) continue;
    for (auto base : {cli, same}) {
      if (base == g_submit.end()) continue;
      std::printf("    vs %s: throughput %.2fx, CPU per command %.2fx\n", base->first.c_str(),
                  f.commands_per_s / base->second.commands_per_s,
                  f.cpu_us_per_command / base->second.cpu_us_per_command);
    }
  }
  return 0;
}
