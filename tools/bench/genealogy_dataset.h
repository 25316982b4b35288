// The generated genealogy of the genealogy and enterprise benchmarks (docs/BENCHMARKS.md):
// 20k raw lots received; 180k intermediates made from 3-7 raw lots each; 100k batches from
// 3-7 intermediates; 1M packed lots from 1-3 batches; 700k shipment units from 3-7 packed
// lots; inputs drawn at random from the whole previous level. 2M lots and 6.9M edges at
// scale 1, appended through the ledger (lot.receive, lot.transform).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace custody::bench {

struct Level {
  const char* name;
  std::uint32_t count;
  std::uint32_t min_inputs, max_inputs;
  std::uint32_t first = 0;  // id of its first lot
};

struct Dataset {
  std::vector<Level> levels;
  std::uint32_t lots = 0;
  std::vector<std::uint32_t> input_begin;  // CSR of inputs per lot
  std::vector<std::uint32_t> inputs;
  [[nodiscard]] std::size_t edges() const { return inputs.size(); }
  [[nodiscard]] static std::string name(std::uint32_t id);
};

// The genealogy benchmark's dataset is seed 20261121; each enterprise site has its own seed.
[[nodiscard]] Dataset make_dataset(double scale, std::uint64_t seed = 20261121);

// What a site adds around the generated lots (an enterprise's sites): parties besides the
// farm, the supplier of some raw lots, and shipments appended after every level.
struct SiteExtras {
  struct Party {
    std::string party, name, gln;
    bool customer = false;  // else a supplier
  };
  std::vector<Party> parties;
  // Raw lot id -> (supplier, supplier lot); empty supplier: the farm's own lot.
  std::function<std::pair<std::string, std::string>(std::uint32_t)> supplier_of;
  struct Ship {
    std::uint32_t lot;
    std::string customer, shipment;
  };
  std::vector<Ship> ships;
};

// Appends every lot into a new ledger at `dir`, level by level (a level's inputs must exist
// first), from 4 producers; then the extras' shipments. Seconds, or -1 when a command failed.
[[nodiscard]] double build(const std::filesystem::path& dir, const Dataset& d,
                           const SiteExtras& extras = {});

// This process's resident set size.
[[nodiscard]] std::size_t rss_bytes();
// How far it moved since `before` (a rss_bytes()), in MiB: negative when the process gave
// pages back meanwhile (a load's temporary arrays freed and trimmed).
[[nodiscard]] double rss_growth_mb(std::size_t before);

}  // namespace custody::bench
