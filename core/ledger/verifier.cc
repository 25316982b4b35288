#include "custody/ledger/verifier.h"

#include <rocksdb/db.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "custody/codec/capnp_util.h"
#include "custody/common/encoding.h"
#include "custody/ledger/checkpoint.h"
#include "custody/ledger/merkle.h"
#include "custody/ledger/node_key.h"
#include "custody/ledger/reader.h"
#include "custody/ledger/record.h"
#include "custody/ledger/snapshot.h"
#include "rocksdb_options.h"
#include "schema/record.capnp.h"

namespace custody::ledger {
namespace {

constexpr std::size_t kBatch = 8192;
constexpr std::size_t kRecentLeaves = 64;

struct Raw {
  std::uint64_t key_seq = 0;
  std::string_view bytes;  // in its batch's arena
  bool bad_key = false;
};

// Records read from the log, their bytes in one buffer (one allocation per batch, not per
// record).
struct Batch {
  std::vector<Raw> raws;
  // A vector, not a string: swapping batches must move the buffer the views point into (a
  // short string's bytes live inside the object and would be copied away from them).
  std::vector<char> arena;
  [[nodiscard]] std::size_t size() const { return raws.size(); }
  [[nodiscard]] bool empty() const { return raws.empty(); }
};

// The sequential half of verification: links, tree, checkpoints. Fed one record at a time
// in key order, with its (parallel-computed) check result.
class Fold {
 public:
  // `redacted_by(seq)`: the seq of the record that redacted record `seq`, if any.
  using RedactionLookup = std::function<Result<std::optional<std::uint64_t>>(std::uint64_t)>;
  Fold(VerifyReport& report, const Head& head, RedactionLookup redacted_by)
      : report_(report), head_(head), redacted_by_(std::move(redacted_by)) {}

  // Returns false once a finding is reported.
  bool feed(const Raw& raw, const Result<RecordCheck>& check) {
    const std::uint64_t expected = frontier_.size() + 1;
    if (raw.bad_key) return bad(expected, "log key is not an 8-byte seq");
    if (raw.key_seq != expected) {
      if (pending_) return resolve_pending(false);
      return bad(expected, raw.key_seq < expected
                               ? "record out of order"
                               : "record " + std::to_string(expected) + " is missing");
    }
    if (expected > head_.seq) {
      if (pending_) return resolve_pending(false);
      return bad(expected, "record beyond the committed head (" + std::to_string(head_.seq) + ")");
    }
    if (!check) {
      if (pending_) return resolve_pending(false);
      return bad(expected, check.error().message);
    }
    const RecordCheck& c = *check;
    const bool link_ok = c.prev_hash == prev_leaf_;
    if (pending_) {
      // The link into the previous record broke; this link decides who is to blame.
      if (!resolve_pending(link_ok)) return false;
    }
    if (c.seq != expected) {
      // A displaced record. If it chains to a record seen a few positions back, records
      // were inserted right after that one.
      for (std::size_t i = 0; i < recent_count(); ++i) {
        const auto& [seq, leaf] = recent_[(recent_next_ + kRecentLeaves - 1 - i) % kRecentLeaves];
        if (leaf == c.prev_hash && seq + 1 < expected) {
          return bad(seq + 1, "record inserted after seq " + std::to_string(seq));
        }
      }
      return bad(expected, "record at seq " + std::to_string(expected) + " says it is seq " +
                               std::to_string(c.seq));
    }
    if (!link_ok) {
      if (expected == 1) return bad(1, "first record's prevHash is not zero");
      pending_ = true;  // blame k-1 or k: decided by the next link or the head
    }
    if (c.redacted) {
      // A payload may be gone only because a later record redacted it (record.redact);
      // the domain's check then confirms that record names this one.
      auto by = redacted_by_(expected);
      if (!by) return bad(expected, by.error().message);
      if (!*by || **by <= expected || **by > head_.seq) {
        return bad(expected, "record " + std::to_string(expected) +
                                 " has no payload, and no redaction record names it");
      }
      ++report_.redacted;
    }
    append(expected, c.leaf);
    return true;
  }

  // After the last record. Returns false when it reported something.
  bool finish(std::uint64_t log_end) {
    const std::uint64_t last = frontier_.size();
    if (pending_) {
      pending_ = false;
      return bad(prev_leaf_ == head_.leaf ? last - 1 : last, "hash chain broken between records " +
                                                                 std::to_string(last - 1) +
                                                                 " and " + std::to_string(last));
    }
    if (log_end < head_.seq && last == log_end) {
      return bad(last + 1, "log ends at seq " + std::to_string(last) + " but the head is " +
                               std::to_string(head_.seq) + " (truncated)");
    }
    if (last == head_.seq && last > 0 && prev_leaf_ != head_.leaf) {
      return bad(last, "last record does not match the committed head hash");
    }
    return true;
  }

  // Roots at interesting sizes come from the frontier as the fold passes them.
  [[nodiscard]] std::uint64_t size() const { return frontier_.size(); }
  [[nodiscard]] Digest root() const { return frontier_.root(); }

  bool bad(std::uint64_t seq, std::string reason) {
    report_.ok = false;
    report_.first_bad_seq = seq;
    report_.reason = std::move(reason);
    return false;
  }

 private:
  bool resolve_pending(bool next_link_ok) {
    pending_ = false;
    const std::uint64_t k = frontier_.size();  // the record whose incoming link broke
    return bad(next_link_ok ? k - 1 : k, "hash chain broken between records " +
                                             std::to_string(k - 1) + " and " + std::to_string(k));
  }

  void append(std::uint64_t seq, const Digest& leaf) {
    frontier_.append(leaf);
    prev_leaf_ = leaf;
    recent_[recent_next_] = {seq, leaf};
    recent_next_ = (recent_next_ + 1) % kRecentLeaves;
    ++recent_filled_;
    report_.records = seq;
    report_.head_seq = seq;
  }
  [[nodiscard]] std::size_t recent_count() const {
    return std::min<std::size_t>(recent_filled_, kRecentLeaves);
  }

  VerifyReport& report_;
  const Head& head_;
  RedactionLookup redacted_by_;
  MerkleFrontier frontier_;
  Digest prev_leaf_{};
  bool pending_ = false;
  std::array<std::pair<std::uint64_t, Digest>, kRecentLeaves> recent_{};
  std::size_t recent_next_ = 0;
  std::size_t recent_filled_ = 0;
};

// Walks the stored checkpoints in size order alongside the fold.
class StoredCheckpoints {
 public:
  StoredCheckpoints(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf,
                    const rocksdb::ReadOptions& ro)
      : it_(db.NewIterator(ro, cf)) {
    it_->SeekToFirst();
  }
  [[nodiscard]] bool has_next() const { return it_->Valid(); }
  [[nodiscard]] std::uint64_t next_size() const {
    return it_->key().size() == 8 ? get_be64(it_->key().data()) : 0;
  }
  [[nodiscard]] std::string note() const { return it_->value().ToString(); }
  void advance() { it_->Next(); }

 private:
  std::unique_ptr<rocksdb::Iterator> it_;
};

unsigned worker_count(unsigned requested) {
  if (requested != 0) return requested;
  return std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace

Result<VerifyReport> verify_ledger(Store& store, const VerifyOptions& options) {
  VerifyReport report;
  rocksdb::DB& db = store.db();
  const Snapshot view(store);  // released on every return
  const rocksdb::ReadOptions ro = read_options(view.rocksdb_snapshot());

  auto head = store.read_head(ro.snapshot);
  if (!head) return std::unexpected(head.error());

  // The key history: checkpoints are checked by the key the ledger was created with, then by
  // each key a rotation record (signed by the key before it) names, from the checkpoint after
  // that record on. A key the auditor brings vouches from the point the history reaches it.
  report.trusted_key = options.key.has_value();
  auto first = crypto::NoteVerifier::parse(store.meta().node_public_key);
  if (!first) {
    report.ok = false;
    report.reason = "the ledger's node public key is malformed: " + first.error().message;
    return report;
  }
  std::optional<crypto::NoteVerifier> key = std::move(*first);
  bool vouching = !options.key || options.key->vkey() == key->vkey();

  // The auditor's checkpoint: its signature is checked by the key in force at its size (at
  // once when that is the first key), its origin and size at once.
  std::optional<Checkpoint> given;
  bool given_signed = false;
  auto given_rejected = [&](const Error& e) {
    report.ok = false;
    report.reason = "checkpoint rejected: " + e.message;
  };
  if (options.checkpoint) {
    auto cp = open_checkpoint(*options.checkpoint, *key);
    given_signed = cp.has_value();
    if (!cp) cp = parse_checkpoint_note_unverified(*options.checkpoint);
    if (!cp) {
      given_rejected(cp.error());
      return report;
    }
    if (cp->origin != store.meta().origin) {
      report.ok = false;
      report.reason =
          "checkpoint is for " + cp->origin + ", not this ledger (" + store.meta().origin + ")";
      return report;
    }
    given = std::move(*cp);
  }

  Fold fold(report, *head, [&](std::uint64_t seq) {
    return redacted_by(store.db(), store.cf(Cf::kMeta), seq, ro.snapshot);
  });
  StoredCheckpoints stored(db, store.cf(Cf::kCheckpoints), ro);
  std::uint64_t last_matching_checkpoint = 0;
  std::uint64_t signed_through = 0;  // the largest size a checkpoint signed by `key` covers

  // Called after each record is folded: compare roots at checkpoint sizes.
  auto check_roots = [&]() -> bool {
    const std::uint64_t size = fold.size();
    while (stored.has_next() && stored.next_size() <= size) {
      const std::uint64_t cp_size = stored.next_size();
      if (cp_size == size) {
        auto cp = open_checkpoint(stored.note(), *key);
        if (!cp) {
          report.ok = false;
          report.reason = "stored checkpoint at size " + std::to_string(cp_size) +
                          " rejected: " + cp.error().message;
          return false;
        }
        ++report.checkpoints_checked;
        if (vouching) signed_through = std::max(signed_through, cp_size);
        if (cp->size != cp_size || cp->root != fold.root()) {
          return fold.bad(last_matching_checkpoint + 1,
                          "tree head at size " + std::to_string(cp_size) +
                              " differs from the stored checkpoint; records after " +
                              std::to_string(last_matching_checkpoint) + " were rewritten");
        }
        last_matching_checkpoint = cp_size;
      }
      stored.advance();
    }
    if (given && given->size == size) {
      if (!given_signed) {
        auto cp = open_checkpoint(*options.checkpoint, *key);
        if (!cp) {
          given_rejected(cp.error());
          return false;
        }
        given_signed = true;
      }
      ++report.checkpoints_checked;
      if (vouching) signed_through = std::max(signed_through, size);
      if (given->root != fold.root()) {
        return fold.bad(last_matching_checkpoint + 1,
                        "tree head at size " + std::to_string(size) +
                            " differs from the given checkpoint; records after " +
                            std::to_string(last_matching_checkpoint) + " were rewritten");
      }
      last_matching_checkpoint = std::max(last_matching_checkpoint, size);
    }
    return true;
  };
  if (given && given->size == 0 && given->root != crypto::empty_tree_root()) {
    report.ok = false;
    report.reason = "checkpoint of size 0 has a non-empty root";
    return report;
  }

  const unsigned threads = worker_count(options.threads);
  std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(
      [&] {
        rocksdb::ReadOptions r = ro;
        r.readahead_size = 4 << 20;
        r.fill_cache = false;  // one pass over everything: keep the cache for the hot set
        return r;
      }(),
      store.cf(Cf::kLog)));
  it->SeekToFirst();

  // Three batches in flight: while helpers check one, this thread reads the one after it
  // and folds the one before it, handing each folded record to each_record (reading, folding
  // and the caller's replay are serial, checking is not), then joins the checking. Each
  // checker claims kChunk records at a time, so whoever is free does the work.
  constexpr std::size_t kChunk = 256;
  std::uint64_t log_end = 0;
  std::vector<std::size_t> ends;
  auto read_batch = [&](Batch& out) {
    out.raws.clear();
    out.arena.clear();
    ends.clear();
    while (it->Valid() && out.raws.size() < kBatch) {
      Raw raw;
      raw.bad_key = it->key().size() != 8;
      raw.key_seq = raw.bad_key ? 0 : get_be64(it->key().data());
      out.arena.insert(out.arena.end(), it->value().data(),
                       it->value().data() + it->value().size());
      ends.push_back(out.arena.size());
      log_end = raw.key_seq;
      out.raws.push_back(raw);
      it->Next();
    }
    // The views once the arena has stopped moving.
    std::size_t begin = 0;
    for (std::size_t i = 0; i < out.raws.size(); ++i) {
      out.raws[i].bytes = std::string_view(out.arena.data() + begin, ends[i] - begin);
      begin = ends[i];
    }
  };
  // Folds a checked batch into the chain and the tree; false once the log is found bad.
  auto fold_batch = [&](const Batch& batch, const std::vector<Result<RecordCheck>>& checks) {
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (!fold.feed(batch.raws[i], checks[i])) return false;
      if (checks[i]->key_rotation) {
        // The new key signs every checkpoint from the rotation record on.
        auto rotated = rotated_key(batch.raws[i].bytes, store.meta().origin, *key);
        if (!rotated) {
          fold.bad(fold.size(), "key rotation at seq " + std::to_string(fold.size()) + ": " +
                                    rotated.error().message);
          return false;
        }
        key = std::move(*rotated);
        ++report.key_rotations;
        if (options.key && key->vkey() == options.key->vkey()) vouching = true;
      }
      if (!check_roots()) return false;
      if (options.each_record) options.each_record(batch.raws[i].bytes);
    }
    if (options.progress) options.progress(fold.size());
    return true;
  };
  Batch folding, checking, reading;
  std::vector<Result<RecordCheck>> folding_checks, checking_checks;
  read_batch(checking);
  bool going = true;
  while (going && !checking.empty()) {
    checking_checks.assign(checking.size(), Result<RecordCheck>(RecordCheck{}));
    std::atomic<std::size_t> claimed{0};
    auto check_all = [&] {
      for (std::size_t from = claimed.fetch_add(kChunk); from < checking.size();
           from = claimed.fetch_add(kChunk)) {
        const std::size_t to = std::min(checking.size(), from + kChunk);
        for (std::size_t i = from; i < to; ++i) {
          checking_checks[i] = check_record(checking.raws[i].bytes);
        }
      }
    };
    std::vector<std::future<void>> helpers;
    for (unsigned t = 1; t < threads; ++t) {
      helpers.push_back(std::async(std::launch::async, check_all));
    }
    read_batch(reading);
    if (!folding.empty()) going = fold_batch(folding, folding_checks);
    if (going) check_all();
    claimed = checking.size();  // a stopped fold: the helpers take no more
    for (auto& h : helpers) h.get();
    std::swap(folding, checking);
    std::swap(folding_checks, checking_checks);
    std::swap(checking, reading);
  }
  if (going && !folding.empty()) going = fold_batch(folding, folding_checks);
  if (!it->status().ok()) {
    if (!it->status().IsCorruption()) return std::unexpected(storage_error(it->status(), "log"));
    if (report.ok) {
      fold.bad(fold.size() + 1, "the log cannot be read after seq " + std::to_string(fold.size()) +
                                    ": " + it->status().ToString());
    }
  }
  if (!report.ok) return report;
  if (!fold.finish(log_end)) return report;
  if (const auto& damage = store.damage()) {
    report.ok = false;
    report.first_bad_seq = damage->first_bad_seq;
    report.reason = damage->reason;
    return report;
  }
  // A key the auditor brings vouches for the records only through checkpoints it signed:
  // a ledger with none (or none up to its head) proves nothing about that key's owner.
  if (report.trusted_key && signed_through < fold.size()) {
    fold.bad(signed_through + 1,
             "no checkpoint signed by the given key covers records " +
                 std::to_string(signed_through + 1) + ".." + std::to_string(fold.size()) +
                 " (the last it signed covers " + std::to_string(signed_through) +
                 "); have the ledger sign one (`custody checkpoint`) or pass one with "
                 "--checkpoint");
    return report;
  }

  if (given && !given_signed) {
    auto cp = open_checkpoint(*options.checkpoint, *key);
    if (!cp) {
      given_rejected(cp.error());
      return report;
    }
  }
  if (given && given->size > fold.size()) {
    fold.bad(fold.size() + 1, "checkpoint covers " + std::to_string(given->size) +
                                  " records but the log ends at " + std::to_string(fold.size()) +
                                  " (truncated)");
    return report;
  }
  report.root = fold.root();
  return report;
}

}  // namespace custody::ledger
