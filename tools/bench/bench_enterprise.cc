// The enterprise graph at scale (issue 16, docs/BENCHMARKS.md): N sites of the generated
// genealogy (genealogy_dataset.h, each with its own seed), site k shipping some of its
// shipment units to site k+1, which receives them as raw lots. The enterprise node opens every
// site with its genealogy graph (each site's saved graph), and answers traces and recalls
// across the sites; the same traces from the sites' column families check the answers.
//
//   build/release/tools/bench/bench_enterprise
//   CUSTODY_BENCH_DIR=/tmp/custody-bench CUSTODY_BENCH_SITES=10 CUSTODY_BENCH_SCALE=1
//   CUSTODY_BENCH_LINKS=20 CUSTODY_BENCH_QUERIES=200
//
// The sites are built once (ENT/site-k, ENT/site-k.done) and kept; the measurement runs in a
// fresh process (`--measure ENT`), so its RSS is the enterprise's alone.
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <set>

#include "bench_support.h"
#include "custody/common/clock.h"
#include "custody/domain/enterprise.h"
#include "custody/domain/plant.h"
#include "custody/ledger/ledger.h"
#include "genealogy_dataset.h"

namespace custody::bench {
namespace {

namespace fs = std::filesystem;

struct Params {
  std::size_t sites = 10;
  double scale = 1;
  std::uint32_t links = 20;  // units site k ships to site k+1
  std::size_t queries = 200;
  bool lot_tables = true;  // each site's lot table beside its graph
};

Params params() {
  Params p;
  p.sites = static_cast<std::size_t>(env_double("CUSTODY_BENCH_SITES", 10));
  p.scale = env_double("CUSTODY_BENCH_SCALE", 1.0);
  p.links = static_cast<std::uint32_t>(env_double("CUSTODY_BENCH_LINKS", 20));
  p.queries = static_cast<std::size_t>(env_double("CUSTODY_BENCH_QUERIES", 200));
  p.lot_tables = env_double("CUSTODY_BENCH_LOT_TABLES", 1) != 0;
  return p;
}

std::string site_name(std::size_t k) {
  return "site-" + std::to_string(k);
}

// A GLN (13 digits, GS1 check digit) for site k.
std::string gln(std::size_t k) {
  char body[13];
  std::snprintf(body, sizeof body, "06141410%04zu", k);
  int sum = 0;
  for (int i = 0; i < 12; ++i) sum += (body[11 - i] - '0') * (i % 2 == 0 ? 3 : 1);
  return std::string(body) + static_cast<char>('0' + (10 - sum % 10) % 10);
}

std::uint64_t seed(std::size_t k) {
  return 20261205 + k;
}

// The j-th unit site k ships to site k+1.
std::uint32_t shipped_unit(const Dataset& d, std::uint32_t j) {
  const Level& units = d.levels.back();
  return units.first + static_cast<std::uint32_t>((std::uint64_t{j} * 7919) % units.count);
}

SiteExtras extras_of(const Params& p, std::size_t k, const Dataset& d, const Dataset* before) {
  SiteExtras x;
  if (k > 0)
    x.parties.push_back(
        {"SITE-" + std::to_string(k - 1), "Site " + std::to_string(k - 1), gln(k - 1)});
  if (k + 1 < p.sites) {
    x.parties.push_back(
        {"SITE-" + std::to_string(k + 1), "Site " + std::to_string(k + 1), gln(k + 1), true});
    for (std::uint32_t j = 0; j < p.links; ++j) {
      x.ships.push_back({shipped_unit(d, j), "SITE-" + std::to_string(k + 1),
                         "T" + std::to_string(k + 1) + "-" + std::to_string(j)});
    }
  }
  if (before != nullptr) {
    // Raw lots 0 .. links-1 are site k-1's units, received.
    const std::uint32_t links = p.links;
    const std::string supplier = "SITE-" + std::to_string(k - 1);
    x.supplier_of = [before, links, supplier](std::uint32_t id) {
      if (id >= links) return std::pair<std::string, std::string>{};
      return std::pair{supplier, Dataset::name(shipped_unit(*before, id))};
    };
  }
  return x;
}

int build_sites(const Params& p, const fs::path& ent) {
  fs::create_directories(ent);
  std::ofstream config(ent / "enterprise.json", std::ios::trunc);
  config << R"({"staleAfterSeconds": 300, "sites": [)";
  for (std::size_t k = 0; k < p.sites; ++k) {
    config << (k ? ", " : "") << R"({"site": ")" << site_name(k) << R"(", "own": true, "gln": ")"
           << gln(k) << R"("})";
  }
  config << "]}\n";
  config.close();
  std::unique_ptr<Dataset> before;
  for (std::size_t k = 0; k < p.sites; ++k) {
    auto d = std::make_unique<Dataset>(make_dataset(p.scale, seed(k)));
    const fs::path dir = ent / site_name(k);
    const fs::path done = ent / (site_name(k) + ".done");
    if (!fs::exists(done)) {
      std::fprintf(stderr, "building %s: %u lots, %zu edges ...\n", site_name(k).c_str(), d->lots,
                   d->edges());
      const double secs = build(dir, *d, extras_of(p, k, *d, before.get()));
      if (secs < 0) {
        std::fprintf(stderr, "building %s failed\n", site_name(k).c_str());
        return 1;
      }
      // The site's host saves its graph at a clean close, as a server does.
      auto host = ledger::Ledger::open(dir, ledger::OpenMode::kReadWrite,
                                       domain::make_state_machine({.genealogy_graph = true}), {});
      if (!host) return 1;
      host->reset();
      std::ofstream(done) << secs << "\n";
      std::fprintf(stderr, "  %.1f s (%.0f commands/s)\n", secs, d->lots / secs);
    }
    before = std::move(d);
  }
  return 0;
}

struct Series {
  std::vector<double> ms;
  double lots = 0, sites = 0;
  void add(double m, std::size_t n, std::size_t s) {
    ms.push_back(m);
    lots += static_cast<double>(n);
    sites += static_cast<double>(s);
  }
  void print(const char* name) {
    auto a = ms, b = ms;
    const double n = ms.empty() ? 1 : static_cast<double>(ms.size());
    std::printf(
        "  %-34s p50 %8.3f ms  p99 %8.3f ms  (%zu queries, %.0f lots, %.2f sites on average)\n",
        name, percentile(a, 50), percentile(b, 99), ms.size(), lots / n, sites / n);
  }
};

std::size_t sites_reached(const domain::EnterpriseTrace& t) {
  std::size_t n = 0;
  for (auto r : t.reached) n += r > 0 ? 1 : 0;
  return n;
}

int measure(const Params& p, const fs::path& ent) {
  const SystemClock clock;
  std::vector<Dataset> data;
  for (std::size_t k = 0; k < p.sites; ++k) data.push_back(make_dataset(p.scale, seed(k)));
  std::mt19937 rng(7);
  struct Start {
    std::string site, lot;
  };
  std::vector<Start> forward, backward;
  for (std::size_t i = 0; i < p.queries; ++i) {
    const std::size_t k = rng() % p.sites;
    const Level& raw = data[k].levels.front();
    forward.push_back({site_name(k), Dataset::name(raw.first + rng() % raw.count)});
    const Level& units = data[k].levels.back();
    backward.push_back({site_name(k), Dataset::name(units.first + rng() % units.count)});
  }
  data.clear();

  const std::size_t rss0 = rss_bytes();
  std::unique_ptr<domain::Enterprise> e;
  const double load_s =
      time_ms([&] {
        auto r = domain::Enterprise::open(ent, clock, {.graphs = true, .lot_tables = p.lot_tables});
        if (!r) {
          std::fprintf(stderr, "%s\n", r.error().message.c_str());
          return;
        }
        e = std::move(*r);
      }) /
      1000;
  if (!e) return 1;
  const double rss_mb = rss_growth_mb(rss0);
  const auto size = e->graph_size();
  std::printf("summary: %s\n", machine_description().c_str());
  std::printf("  sites = %zu, lots = %zu, edges = %zu, cross-site links = %zu, lot tables %s\n",
              p.sites, size.lots, size.edges, size.links, p.lot_tables ? "on" : "off");
  std::printf("  open + load (every site's saved graph) = %.2f s\n", load_s);
  std::printf("  RSS growth over the open = %.0f MB; the graphs' own bytes = %.0f MB\n", rss_mb,
              static_cast<double>(size.bytes) / (1 << 20));

  Series fwd, bwd, report, walk;
  // Each start's trace into `into`; the lots each reached.
  const auto traces = [](const domain::Enterprise& at, const std::vector<Start>& starts,
                         domain::Direction direction, std::size_t limit, Series* into) {
    std::vector<std::size_t> reached;
    for (std::size_t i = 0; i < std::min(limit, starts.size()); ++i) {
      std::size_t n = 0, sites = 0;
      const double ms = time_ms([&] {
        auto t = at.trace(starts[i].site, starts[i].lot, direction);
        n = t ? t->lots.size() : 0;
        sites = t ? sites_reached(*t) : 0;
      });
      if (into != nullptr) into->add(ms, n, sites);
      reached.push_back(n);
    }
    return reached;
  };
  // The first pass warms; the second is measured.
  (void)traces(*e, forward, domain::Direction::kForward, forward.size(), nullptr);
  (void)traces(*e, backward, domain::Direction::kBackward, backward.size(), nullptr);
  const auto graph_counts = traces(*e, forward, domain::Direction::kForward, forward.size(), &fwd);
  (void)traces(*e, backward, domain::Direction::kBackward, backward.size(), &bwd);
  const std::size_t reports = std::min<std::size_t>(forward.size(), 20);
  for (std::size_t i = 0; i < reports; ++i) {
    std::size_t n = 0, sites = 0;
    const double ms = time_ms([&] {
      auto r = e->recall(forward[i].site, forward[i].lot);
      if (!r) return;
      for (const auto& s : r->sites) {
        n += s.report.lots.size();
        sites += s.reached ? 1 : 0;
      }
    });
    report.add(ms, n, sites);
  }
  fwd.print("enterprise trace forward (graphs)");
  bwd.print("enterprise trace backward (graphs)");
  report.print("enterprise recall report (graphs)");
  e.reset();

  // The same forward traces from the sites' column families: the answers must agree.
  auto walked = domain::Enterprise::open(ent, clock);
  if (!walked) return 1;
  const auto walk_counts = traces(**walked, forward, domain::Direction::kForward, 20, &walk);
  const std::size_t walks = walk_counts.size();
  std::size_t disagree = 0;
  for (std::size_t i = 0; i < walks; ++i) disagree += walk_counts[i] != graph_counts[i] ? 1 : 0;
  walk.print("enterprise trace forward (walk)");
  std::printf("  walk and graphs disagree on %zu of %zu forward traces\n", disagree, walks);
  auto a = fwd.ms, b = walk.ms;
  std::printf("  p50 graphs / walk = %.4f\n", percentile(a, 50) / percentile(b, 50));
  return disagree == 0 ? 0 : 1;
}

}  // namespace
}  // namespace custody::bench

int main(int argc, char** argv) {
  using namespace custody::bench;
  const Params p = params();
  const char* base_env = std::getenv("CUSTODY_BENCH_DIR");
  const fs::path base = base_env ? base_env : "/tmp/custody-bench";
  char name[96];
  std::snprintf(name, sizeof name, "enterprise-%zu-%g-%u", p.sites, p.scale, p.links);
  const fs::path ent = base / name;
  if (argc == 3 && std::string(argv[1]) == "--measure") return measure(p, argv[2]);
  if (int rc = build_sites(p, ent); rc != 0) return rc;
  // A fresh process, so that the RSS it reports is the enterprise's alone.
  const pid_t child = ::fork();
  if (child == 0) {
    ::execl("/proc/self/exe", argv[0], "--measure", ent.c_str(), nullptr);
    std::_Exit(127);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
