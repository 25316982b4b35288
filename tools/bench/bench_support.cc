#include "bench_support.h"

#include <capnp/message.h>
#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "custody/codec/capnp_util.h"
#include "custody/domain/command_codec.h"
#include "custody/domain/plant.h"
#include "schema/commands.capnp.h"

namespace custody::bench {

std::filesystem::path scratch_dir(const std::string& name) {
  const char* base = std::getenv("CUSTODY_BENCH_DIR");
  std::filesystem::path dir = std::filesystem::path(base ? base : "/tmp/custody-bench") / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir.parent_path());
  return dir;
}

double cpu_seconds(int who) {
  rusage u{};
  getrusage(who, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double cpu_all() {
  return cpu_seconds(RUSAGE_SELF) + cpu_seconds(RUSAGE_CHILDREN);
}

std::unique_ptr<ledger::Ledger> fresh_ledger(const std::string& name) {
  const auto dir = scratch_dir(name);
  auto machine = domain::make_state_machine();
  if (!ledger::Ledger::init(dir, {}, *machine)) return nullptr;
  auto l =
      ledger::Ledger::open(dir, ledger::OpenMode::kReadWrite, domain::make_state_machine(), {});
  return l ? std::move(*l) : nullptr;
}

double run_64_waiting(std::uint64_t n,
                      const std::function<void(std::uint64_t k, std::size_t thread)>& one,
                      std::vector<double>* latencies_ms) {
  std::vector<std::vector<double>> lat(64);
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < 64; ++t) {
    threads.emplace_back([&, t] {
      for (std::uint64_t k = t; k < n; k += 64) {
        const auto c0 = std::chrono::steady_clock::now();
        one(k, t);
        lat[t].push_back(seconds_since(c0) * 1e3);
      }
    });
  }
  for (auto& t : threads) t.join();
  const double secs = seconds_since(t0);
  if (latencies_ms != nullptr) {
    for (auto& l : lat) latencies_ms->insert(latencies_ms->end(), l.begin(), l.end());
  }
  return static_cast<double>(n) / secs;
}

double cli_path_64_waiting(ledger::Ledger& ledger, std::uint64_t n,
                           std::vector<double>* latencies_ms, std::uint64_t first) {
  const std::string text(50, 'x');
  return run_64_waiting(
      n,
      [&](std::uint64_t i, std::size_t) {
        const std::uint64_t k = first + i;
        auto c =
            domain::decode_command(R"({"type":"note.add","commandId":"b-)" + std::to_string(k) +
                                   R"(","actor":"user:bench","data":{"subject":"line-)" +
                                   std::to_string(k % 64) + R"(","text":")" + text + "\"}}");
        if (c) (void)ledger.submit(std::move(*c)).get();
      },
      latencies_ms);
}

ledger::Command note_command(std::uint64_t n, std::size_t record_bytes) {
  // The envelope (ids, hashes, pointers, the payload's own framing) takes about 250 bytes;
  // the text makes up the rest.
  constexpr std::size_t kEnvelope = 250;
  const std::size_t text_len = record_bytes > kEnvelope + 16 ? record_bytes - kEnvelope : 16;
  capnp::MallocMessageBuilder msg;
  auto note = msg.initRoot<schema::NoteAdd>();
  const std::string subject = "line-" + std::to_string(n % 64);
  note.setSubject(subject);
  std::string text(text_len, 'x');
  const std::string tag = "reading " + std::to_string(n) + " ";
  std::copy(tag.begin(), tag.end(), text.begin());
  note.setText(text);
  ledger::Command c;
  c.type = "note.add";
  c.command_id = "bench-" + std::to_string(n);
  c.actor = "user:bench";
  c.data = codec::canonical_bytes(note.asReader());
  return c;
}

double percentile(std::vector<double>& sample, double p) {
  if (sample.empty()) return 0;
  std::sort(sample.begin(), sample.end());
  const std::size_t rank =
      std::min(sample.size() - 1,
               static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sample.size()))) -
                   (p > 0 ? 1 : 0));
  return sample[rank];
}

std::string machine_description() {
  std::string model = "unknown CPU";
  std::ifstream cpu("/proc/cpuinfo");
  for (std::string line; std::getline(cpu, line);) {
    if (line.rfind("model name", 0) == 0) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  }
  return model + ", " + std::to_string(std::thread::hardware_concurrency()) + " cores";
}

}  // namespace custody::bench
