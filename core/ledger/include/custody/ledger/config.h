// DIR/config.json: the operator's settings, read in this one place. Only writers read it
// (readers and verify never depend on it). A setting custody does not know is an error that
// names it, as is a key given twice; the plugin entries are checked by the plugin host, which
// knows them (custody/plugin/plugin_config.h).
//
//   { "groupCommit": { "maxCommands": 1024, "maxWaitMicros": 0 },
//     "checkpointIntervalMs": 1000, "tickIntervalMs": 1000,
//     "idempotency": { "spillAt": 65536 },
//     "site": { "name": "...", "address": "...", "gln": "..." },
//     "genealogyGraph": { "saveEveryRecords": 100000, "saveIntervalSeconds": 60 },
//     "plugins": [ ... ] }
#pragma once

#include <filesystem>
#include <string>

#include "custody/common/error.h"
#include "custody/ledger/node_key.h"
#include "custody/ledger/sequencer.h"

namespace custody::ledger {

// Who this ledger's site is, for the location descriptions of exports.
struct Site {
  std::string name;
  std::string address;
  std::string gln;
  std::string time_zone = "UTC";  // IANA name: the zone people read the site's times in
  std::string phone;    // the site's phone number, part of an FSMA 204 location description
  std::string contact;  // who answers for the traceability plan and records (name, phone, email)
  std::uint32_t expiry_horizon_days = 30;  // the expiry board shows lots expiring within it
};

// The config.json `custody init` writes.
inline constexpr std::string_view kDefaultConfig = R"({
  "groupCommit": { "maxCommands": 1024, "maxWaitMicros": 0 },
  "checkpointIntervalMs": 1000,
  "tickIntervalMs": 1000
}
)";

// What `custody init --import-history` writes: a ledger that takes history (a migration, a
// simulated plant), where nothing is a late entry until lateEntrySeconds is set again.
inline constexpr std::string_view kImportConfig = R"({
  "groupCommit": { "maxCommands": 1024, "maxWaitMicros": 0 },
  "checkpointIntervalMs": 1000,
  "tickIntervalMs": 1000,
  "lateEntrySeconds": 0
}
)";

// When a writing host saves its in-memory genealogy graph beside the sequencer (the domain's
// PlantOptions::graph_save_records and graph_save_interval): once this many records were
// applied since the last save (0: only at a clean close), and at most once per interval.
struct GraphSave {
  std::uint64_t every_records = 100'000;
  std::chrono::seconds interval{60};
};

// The RocksDB block cache a process gives the ledgers it opens, in MiB: one cache shared by
// all of them, as large as the largest any of them configures (Store::reserve_block_cache).
inline constexpr std::uint64_t kDefaultBlockCacheMb = 256;
inline constexpr std::uint64_t kMinBlockCacheMb = 8;
inline constexpr std::uint64_t kMaxBlockCacheMb = 1 << 20;

struct LedgerConfig {
  SequencerOptions sequencer;
  Site site;
  GraphSave graph_save;
  std::uint64_t block_cache_mb = kDefaultBlockCacheMb;  // "blockCacheMegabytes"
  std::string plugins_json = "[]";                      // the "plugins" array, as JSON text
  NodeKeyConfig node_key;  // where the node key is, how it is opened (node_key.h)
};

// Reads DIR/config.json over `defaults`. kInvalidArgument (field "config.<path>") for a bad
// or unknown setting; a missing file leaves the defaults.
[[nodiscard]] Result<LedgerConfig> load_config(const std::filesystem::path& dir,
                                               SequencerOptions defaults = {});

}  // namespace custody::ledger
