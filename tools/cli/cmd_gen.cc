// custody gen plant [--days N] [--seed S] [--prefix P] [--start T]: demo data as NDJSON
// commands on stdout, ready for `custody append`. The generator is tools/gen.
#include <iostream>

#include "cli/cli_common.h"
#include "cli/progress.h"
#include "custody/common/encoding.h"
#include "gen/plant_generator.h"

namespace custody::cli {
namespace {

struct PlantArgs {
  int days = 30;
  std::uint64_t seed = 1;
  std::string prefix;
  std::string start = "2026-10-01T00:00:00Z";
};

int plant(const PlantArgs& a) {
  auto start = parse_rfc3339(a.start);
  if (!start) {
    return report(Error{start.error().code, start.error().message + ": " + a.start, "start"});
  }
  gen::PlantOptions options;
  options.days = a.days;
  options.seed = a.seed;
  options.prefix = a.prefix;
  options.start = *start;
  Progress progress("gen", "days", static_cast<std::uint64_t>(a.days));
  options.on_day = [&progress](int day) {
    progress.update(static_cast<std::uint64_t>(day));
  };
  auto summary = gen::generate_plant(options, std::cout);
  progress.update(static_cast<std::uint64_t>(a.days));
  if (!summary) return report(summary.error());
  std::cout.flush();
  if (!std::cout) return report(Error::io("cannot write to stdout"));
  return kExitOk;
}

}  // namespace

void add_gen(CLI::App& app, Action& run) {
  auto* gen = app.add_subcommand("gen", "Generate demo data as NDJSON commands");
  gen->require_subcommand(1);
  auto a = std::make_shared<PlantArgs>();
  auto* cmd = gen->add_subcommand(
      "plant", "A fresh-cut salad plant: receipts, work orders, readings, QA, shipments");
  cmd->add_option("--days", a->days, "Days to simulate (1-3650)")->capture_default_str();
  cmd->add_option("--seed", a->seed, "Random seed; the same options give the same output")
      ->capture_default_str();
  cmd->add_option("--prefix", a->prefix,
                  "Prefix P for every id and commandId (written P-id), so that several plants "
                  "can share a ledger");
  cmd->add_option("--start", a->start, "Midnight of the first day (RFC 3339)")
      ->capture_default_str();
  cmd->callback([&run, a] {
    run = [a] {
      return plant(*a);
    };
  });
}

}  // namespace custody::cli
