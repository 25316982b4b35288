#include "genealogy_dataset.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <random>
#include <thread>

#include "bench_support.h"
#include "custody/codec/capnp_util.h"
#include "custody/domain/plant.h"
#include "custody/ledger/ledger.h"
#include "schema/commands.capnp.h"

namespace custody::bench {

std::string Dataset::name(std::uint32_t id) {
  // (Built with append: GCC 12 warns falsely about `"L" + std::to_string(id)` at -O2.)
  std::string s = "L";
  s.append(std::to_string(id));
  return s;
}

Dataset make_dataset(double scale, std::uint64_t seed) {
  Dataset d;
  auto n = [&](double x) {
    return static_cast<std::uint32_t>(std::max(1.0, x * scale));
  };
  d.levels = {{"raw", n(20000), 0, 0},
              {"intermediate", n(180000), 3, 7},
              {"batch", n(100000), 3, 7},
              {"packed", n(1000000), 1, 3},
              {"unit", n(700000), 3, 7}};
  std::mt19937_64 rng(seed);
  for (auto& l : d.levels) {
    l.first = d.lots;
    d.lots += l.count;
  }
  d.input_begin.reserve(d.lots + 1);
  for (std::size_t li = 0; li < d.levels.size(); ++li) {
    const Level& l = d.levels[li];
    for (std::uint32_t i = 0; i < l.count; ++i) {
      d.input_begin.push_back(static_cast<std::uint32_t>(d.inputs.size()));
      if (li == 0) continue;
      const Level& prev = d.levels[li - 1];
      const std::uint32_t k =
          l.min_inputs + static_cast<std::uint32_t>(rng() % (l.max_inputs - l.min_inputs + 1));
      const std::size_t start = d.inputs.size();
      while (d.inputs.size() - start < k) {
        const std::uint32_t pick = prev.first + static_cast<std::uint32_t>(rng() % prev.count);
        if (std::find(d.inputs.begin() + static_cast<std::ptrdiff_t>(start), d.inputs.end(),
                      pick) == d.inputs.end()) {
          d.inputs.push_back(pick);
        }
      }
    }
  }
  d.input_begin.push_back(static_cast<std::uint32_t>(d.inputs.size()));
  return d;
}

namespace {

template <typename T>
ledger::Command command(const std::string& type, const std::string& id,
                        capnp::MallocMessageBuilder& msg) {
  ledger::Command c;
  c.type = type;
  c.command_id = id;
  c.actor = "user:bench";
  c.data = codec::canonical_bytes(msg.getRoot<T>().asReader());
  return c;
}

ledger::Command receive(std::uint32_t id, const SiteExtras& extras) {
  capnp::MallocMessageBuilder msg(128);
  auto r = msg.initRoot<schema::LotReceive>();
  const std::string lot = Dataset::name(id);
  r.setLot(lot);
  r.setMaterial("greens");
  r.setQty(1'000'000'000);
  r.setUom("kg");
  auto [supplier, supplier_lot] =
      extras.supplier_of ? extras.supplier_of(id) : std::pair<std::string, std::string>{};
  if (supplier.empty()) {
    supplier = "farm";
    supplier_lot = "S";
    supplier_lot.append(std::to_string(id));
  }
  r.setSupplier(supplier);
  r.setSupplierLot(supplier_lot);
  return command<schema::LotReceive>("lot.receive", "c" + lot, msg);
}

ledger::Command transform(const Dataset& d, std::uint32_t id) {
  capnp::MallocMessageBuilder msg(256);
  auto t = msg.initRoot<schema::LotTransform>();
  const std::string lot = Dataset::name(id);
  t.setLot(lot);
  t.setMaterial("greens");
  t.setQty(1'000'000);
  const std::uint32_t b = d.input_begin[id], e = d.input_begin[id + 1];
  auto in = t.initInputs(e - b);
  for (std::uint32_t i = b; i < e; ++i) {
    in[i - b].setLot(Dataset::name(d.inputs[i]));
    in[i - b].setQty(1);
  }
  return command<schema::LotTransform>("lot.transform", "c" + lot, msg);
}

ledger::Command define_material() {
  capnp::MallocMessageBuilder msg(64);
  auto m = msg.initRoot<schema::MaterialDefine>();
  m.setMaterial("greens");
  m.setName("Leafy greens");
  m.setUom("kg");
  return command<schema::MaterialDefine>("material.define", "m", msg);
}

ledger::Command define_party(const SiteExtras::Party& party, const std::string& id) {
  capnp::MallocMessageBuilder msg(64);
  auto p = msg.initRoot<schema::PartyDefine>();
  p.setParty(party.party);
  p.setName(party.name);
  if (!party.gln.empty()) p.setGln(party.gln);
  p.setRole(party.customer ? schema::PartyRole::CUSTOMER : schema::PartyRole::SUPPLIER);
  return command<schema::PartyDefine>("party.define", id, msg);
}

ledger::Command ship(const SiteExtras::Ship& s) {
  capnp::MallocMessageBuilder msg(64);
  auto p = msg.initRoot<schema::LotShip>();
  p.setLot(Dataset::name(s.lot));
  p.setQty(1000);
  p.setCustomer(s.customer);
  p.setShipment(s.shipment);
  return command<schema::LotShip>("lot.ship", "ship-" + s.shipment, msg);
}

}  // namespace

// Appends every lot, level by level (a level's inputs must exist first), from 4 producers.
double build(const std::filesystem::path& dir, const Dataset& d, const SiteExtras& extras) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir.parent_path());
  auto machine = domain::make_state_machine();
  if (!ledger::Ledger::init(dir, {}, *machine)) return -1;
  auto ledger =
      ledger::Ledger::open(dir, ledger::OpenMode::kReadWrite, domain::make_state_machine(), {});
  if (!ledger) return -1;
  std::atomic<std::uint64_t> failures{0};
  (void)(*ledger)->submit(define_material()).get();
  (void)(*ledger)->submit(define_party({"farm", "Farm", ""}, "p")).get();
  for (std::size_t i = 0; i < extras.parties.size(); ++i) {
    auto r = (*ledger)->submit(define_party(extras.parties[i], "p" + std::to_string(i + 1))).get();
    if (!r) return -1;
  }
  const auto t0 = std::chrono::steady_clock::now();
  for (std::size_t li = 0; li < d.levels.size(); ++li) {
    const Level& l = d.levels[li];
    std::fprintf(stderr, "  appending %u %s lots\n", l.count, l.name);
    std::vector<std::thread> producers;
    for (int p = 0; p < 4; ++p) {
      producers.emplace_back([&, p] {
        SubmitWindow window(2048);
        for (std::uint32_t i = l.first + static_cast<std::uint32_t>(p); i < l.first + l.count;
             i += 4) {
          window.acquire();
          (*ledger)->submit(li == 0 ? receive(i, extras) : transform(d, i),
                            [&](Result<ledger::CommandResult> r) {
                              if (!r && failures.fetch_add(1) < 5) {
                                std::fprintf(stderr, "  rejected: %s\n", r.error().message.c_str());
                              }
                              window.release();
                            });
        }
        window.drain();
      });
    }
    for (auto& t : producers) t.join();
  }
  for (const auto& s : extras.ships) {
    auto r = (*ledger)->submit(ship(s)).get();
    if (!r && failures.fetch_add(1) < 5) {
      std::fprintf(stderr, "  rejected: %s\n", r.error().message.c_str());
    }
  }
  const double secs = seconds_since(t0);
  const auto st = (*ledger)->stats();
  std::fprintf(stderr,
               "  %.1f s: sequencer busy %.1f s, writer %.1f s, %llu groups, %llu records\n", secs,
               st.busy_ns / 1e9, st.write_ns / 1e9, static_cast<unsigned long long>(st.groups),
               static_cast<unsigned long long>(st.records));
  ledger->reset();
  return failures.load() == 0 ? secs : -1;
}

std::size_t rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

double rss_growth_mb(std::size_t before) {
  return (static_cast<double>(rss_bytes()) - static_cast<double>(before)) / (1 << 20);
}

}  // namespace custody::bench
