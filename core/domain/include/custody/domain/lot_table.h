// The lots' recall facts in memory, beside the genealogy graph: what a recall report prints of
// each lot it reaches (material, unit, status, location, origin, supplier and supplier lot,
// work order, on hand), so that the report reads no lot
// from the database. Without it, the report's one batched read of ~11k lot projections spread
// over the database costs about 50 ms; with it, a few hundred nanoseconds a lot.
//
// The table mirrors the `lot` projection: the apply code calls set() wherever it writes a lot
// (update_lot, put_new_lot in apply.h), with the record's seq. Rows are indexed by the graph's
// lot ids. Small repeated values (material, unit, location, supplier, status, origin and the
// consumed/shipped marks) are interned together as one "profile"; the work order and the
// supplier's lot are stored once per lot. 32 bytes a lot plus its two strings.
//
// Threads: one writer (the sequencer, or the loader); readers on any thread, without locks.
// Each row carries a version the writer makes odd while it rewrites the row (a sequence
// lock): a reader that sees it odd or changed reads the projection instead. A row also carries
// the seq of the record that wrote it last, so a reader whose snapshot is older than that
// reads the projection too: answers are exact for the snapshot.
#pragma once

#include <atomic>
#include <boost/unordered/unordered_flat_map.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "custody/common/error.h"
#include "schema/projections.capnp.h"

namespace custody::domain {

// What a recall report shows of a lot besides its name. Views point into the table, or into
// the projection bytes they were read from.
struct LotFacts {
  std::string_view material, uom, location, supplier, supplier_lot, wo;
  schema::LotStatus status = schema::LotStatus::AWAITING_RELEASE;
  schema::LotOrigin origin = schema::LotOrigin::RECEIVED;
  bool consumed = false;  // some of it went into another lot or an order
  bool shipped = false;   // some of it was shipped
  std::int64_t on_hand = 0;
};

// A lot projection's facts (views into `lot`).
[[nodiscard]] LotFacts lot_facts(schema::Lot::Reader lot);

class LotTable {
 public:
  LotTable();
  ~LotTable();
  LotTable(const LotTable&) = delete;
  LotTable& operator=(const LotTable&) = delete;

  // Writer. Lot `id`'s facts as record `seq` left them.
  void set(std::uint32_t id, const LotFacts& facts, std::uint64_t seq);
  // Writer. Lot `id`'s facts are not known until the next set(): readers read the projection.
  void forget(std::uint32_t id);

  // Readers (any thread). Lot `id`'s facts as of a snapshot at `as_of_seq`; nullopt when the
  // table holds none for it, or they were written after as_of_seq, or are being rewritten.
  // The views stay valid as long as the table.
  [[nodiscard]] std::optional<LotFacts> get(std::uint32_t id, std::uint64_t as_of_seq) const;

  // Any thread: how many lots hold facts, and what the table holds in memory (approximate
  // while it grows).
  [[nodiscard]] std::size_t size() const { return held_.load(std::memory_order_relaxed); }
  [[nodiscard]] std::size_t memory_bytes() const;

  // What save() may write while the writer goes on: the strings written so far, and the seq
  // of the last record applied.
  struct Mark {
    std::vector<std::uint32_t> used;  // bytes in each string block
    std::uint64_t seq = 0;
  };
  // Writer: the table as it is now, after record `seq`.
  [[nodiscard]] Mark mark(std::uint64_t seq) const;
  // The saved form, for the graph's file: the strings, then rows for ids [0, lots). Any
  // thread, while the writer goes on after `mark`: a row the writer rewrote since (or is
  // rewriting) is saved without facts, so a file never holds a lot as a record after the mark
  // left it. The records after the mark are the tail a load replays, and a tail's lots are
  // read again from the projections (GenealogyGraph::end_tail). `put` takes the bytes in order.
  void save(std::uint32_t lots, const Mark& mark,
            const std::function<void(const void*, std::size_t)>& put) const;
  [[nodiscard]] static std::size_t saved_bytes(std::uint32_t lots, const Mark& mark);
  // Reads what save() wrote for `lots` lots. kCorruption when a size or a reference in it
  // does not add up.
  [[nodiscard]] static Result<std::unique_ptr<LotTable>> load(std::string_view bytes,
                                                              std::uint32_t lots);

 private:
  struct Row;
  struct SavedRow;
  struct Profile;
  class Strings;
  static constexpr unsigned kBlockBits = 16;
  static constexpr std::size_t kBlockSize = std::size_t{1} << kBlockBits;
  static constexpr std::size_t kMaxBlocks = std::size_t{1} << (29 - kBlockBits);

  [[nodiscard]] const Row* row(std::uint32_t id) const;
  Row& row_for_write(std::uint32_t id);
  std::uint32_t profile(const LotFacts& facts);
  // The string at `ref`, or a new copy of `s` when it differs (0: empty).
  std::uint32_t keep(std::uint32_t ref, std::string_view s);

  std::unique_ptr<std::atomic<Row*>[]> blocks_;
  std::unique_ptr<Strings> strings_;
  // Profiles by their fields, to intern them. Writer only.
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const;
  };
  boost::unordered_flat_map<std::string, std::uint32_t, KeyHash, std::equal_to<>> profiles_;
  std::string key_;  // profile()'s buffer
  // The interning map's memory, counted as it grows (for memory_bytes on any thread).
  void note_profile(const std::string& key) {
    profile_bytes_.fetch_add(key.capacity() + sizeof(key) + sizeof(std::uint32_t) + 1,
                             std::memory_order_relaxed);
  }
  std::atomic<std::size_t> profile_bytes_{0};
  std::atomic<std::size_t> held_{0};
};

}  // namespace custody::domain
