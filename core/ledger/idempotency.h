// Internal to core/ledger: which command ids are taken, by what command, with what result.
//
// A command id names one command forever: a retry gets the first result back (marked
// duplicate) and writes nothing, and another command under a used id is refused
// (kIdempotencyConflict), told apart by command_digest().
//
// Command ids are random, and a random key inserted into RocksDB's memtable costs
// microseconds of cache misses (it halved throughput when measured). So accepted ids live in
// memory and are spilled in the background, every `spill_at` commands, as one sorted SST file
// ingested into `idem`, after which meta `idem_through` moves up. The log holds every record's
// commandId, and each commit group writes its commands' digests under one sequential meta key
// ("digests/" be64(first seq)), cheap to insert and deleted once a spill covers them; so at
// open the commands after `idem_through` are read back into memory and a crash loses nothing.
// A clean close spills everything.
//
//   idem   commandId -> be64(first seq) || be32(records) [|| digest(32)]
//   meta   "idem_through" -> be64(seq): `idem` covers every command whose records are <= seq
//          "digests/" be64(first seq of a group) -> (be64(seq) || digest(32))*
//
// Not thread-safe: the sequencer thread owns it (spills run on a helper thread it manages).
#pragma once

#include <atomic>
#include <boost/unordered/unordered_flat_map.hpp>
#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "custody/common/error.h"
#include "custody/crypto/sha256.h"
#include "custody/ledger/command.h"
#include "custody/ledger/store.h"

namespace custody::ledger {

class IdempotencyIndex {
 public:
  IdempotencyIndex(Store& store, std::size_t spill_at);
  ~IdempotencyIndex();  // waits for a spill under way
  IdempotencyIndex(const IdempotencyIndex&) = delete;
  IdempotencyIndex& operator=(const IdempotencyIndex&) = delete;

  // At open: the commands after `idem_through`, read back from the log, with their digests.
  [[nodiscard]] Result<void> load();

  // What became of each id of `ids` (digests[i] is that command's digest): unset when the id
  // is free; the first result, marked duplicate, for a retry; kIdempotencyConflict for another
  // command; an I/O error when the index cannot be read. One batched read for the ids not in
  // memory.
  [[nodiscard]] std::vector<std::optional<Result<CommandResult>>> look_up(
      std::span<const std::string_view> ids, std::span<const crypto::Digest> digests);
  // The same for one id, in memory only (an id repeated within the group being prepared).
  [[nodiscard]] std::optional<Result<CommandResult>> recent(std::string_view id,
                                                            const crypto::Digest& digest) const;

  // Command `id` was accepted in commit group `group`.
  void accepted(std::string_view id, const CommandResult& result, std::uint64_t group,
                const crypto::Digest& digest);
  // Adds what the group being prepared writes for the index to its batch: the digests of the
  // commands it accepted (the group's records start at `first_seq`) and, after a spill, the
  // new `idem_through`.
  void write_group(rocksdb::WriteBatch& batch, std::uint64_t first_seq);
  // Groups up to `group` (records up to `seq`) are durable: collects a finished spill, or
  // starts one when enough ids are in memory.
  void durable(std::uint64_t group, std::uint64_t seq);
  // A clean stop at `head_seq`: writes every id still in memory to `idem`.
  void close(std::uint64_t head_seq);

  [[nodiscard]] std::uint64_t spills() const { return spills_.load(); }
  [[nodiscard]] std::uint64_t spill_failures() const { return spill_failures_.load(); }

 private:
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Recent {
    CommandResult result;
    std::uint64_t group = 0;  // the group that accepted it (0: loaded at open)
    crypto::Digest digest{};
    bool has_digest = false;  // false for commands accepted before digests were kept
  };
  struct Spill;

  [[nodiscard]] Result<CommandResult> retry(std::string_view id, const Recent& recent,
                                            const crypto::Digest& digest) const;
  [[nodiscard]] Result<CommandResult> stored(std::string_view id, std::string_view value,
                                             const crypto::Digest& digest) const;

  Store& store_;
  const std::size_t spill_at_;
  // Commands accepted after `idem_through` (not in `idem` yet). An open-addressing map: it is
  // probed once per command and holds up to about two spills' worth.
  boost::unordered_flat_map<std::string, Recent, StringHash, std::equal_to<>> recent_;
  std::unique_ptr<Spill> spill_;               // the spill under way, if any
  std::optional<std::uint64_t> idem_through_;  // to record with the next group
  std::string group_digests_;                  // (be64(seq) || digest)* of the group
  std::atomic<std::uint64_t> spills_{0};
  std::atomic<std::uint64_t> spill_failures_{0};
};

}  // namespace custody::ledger
