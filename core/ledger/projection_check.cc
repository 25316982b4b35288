#include "custody/ledger/projection_check.h"

#include <rocksdb/db.h>
#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "custody/common/encoding.h"
#include "custody/ledger/rebuild.h"
#include "rocksdb_options.h"

namespace custody::ledger {
namespace {

namespace fs = std::filesystem;

// Entries held in memory by the replay before a sorted chunk is written: bounds memory.
constexpr std::size_t kChunkEntries = 1'000'000;

// A throwaway RocksDB holding one set of projection column families.
class ScratchDb final : public ColumnFamilies {
 public:
  static Result<std::unique_ptr<ScratchDb>> create(const fs::path& parent,
                                                   const std::vector<std::string>& names) {
    std::string tmpl = (parent / "custody-check-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
      return fail(ErrorCode::kIoError, "cannot create a scratch directory in " + parent.string() +
                                           ": " + std::strerror(errno));
    }
    std::unique_ptr<ScratchDb> out(new ScratchDb(tmpl));
    rocksdb::DBOptions o;
    o.create_if_missing = true;
    o.create_missing_column_families = true;
    o.info_log_level = rocksdb::InfoLogLevel::ERROR_LEVEL;
    std::vector<rocksdb::ColumnFamilyDescriptor> descs;
    descs.emplace_back(rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions());
    for (const auto& n : names) descs.emplace_back(n, column_family_options(n));
    rocksdb::DB* raw = nullptr;
    auto s = rocksdb::DB::Open(o, (out->dir_ / "db").string(), descs, &out->handles_, &raw);
    if (!s.ok()) return std::unexpected(storage_error(s, "cannot create a scratch database"));
    out->db_.reset(raw);
    out->names_ = names;
    return out;
  }

  ~ScratchDb() override {
    if (db_) {
      for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
      db_->Close();
      db_.reset();
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  rocksdb::DB& db() override { return *db_; }
  rocksdb::ColumnFamilyHandle* cf(std::string_view name) const override {
    for (std::size_t i = 0; i < names_.size(); ++i) {
      if (names_[i] == name) return handles_[i + 1];  // handles_[0] is "default"
    }
    return nullptr;
  }
  [[nodiscard]] const fs::path& dir() const { return dir_; }

 private:
  explicit ScratchDb(fs::path dir) : dir_(std::move(dir)) {}
  fs::path dir_;
  std::vector<std::string> names_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::unique_ptr<rocksdb::DB> db_;
};

std::string printable(std::string_view key) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : key) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

void hash_field(crypto::Sha256& h, std::string_view bytes) {
  h.update(be64(bytes.size()));
  h.update(bytes);
}

// Not ok before any replay: projections of another version cannot be compared.
std::optional<ProjectionCheck> other_version(Store& store, const StateMachine& machine) {
  if (store.projection_version() == machine.projection_version()) return std::nullopt;
  ProjectionCheck out;
  out.ok = false;
  out.reason = "the projections were built by projection version " +
               std::to_string(store.projection_version()) + "; this build projects version " +
               std::to_string(machine.projection_version()) + ": run `custody rebuild`";
  return out;
}

// A log that does not replay (a redacted record whose redaction is not what it says) is a
// finding, not a failure to check.
ProjectionCheck does_not_replay(const Error& e) {
  ProjectionCheck out;
  out.ok = false;
  out.reason = "the log does not replay: " + e.message;
  return out;
}

// Every stored entry of every family against the replayed one, in key order.
Result<ProjectionCheck> compare(Store& store, ScratchDb& scratch,
                                const std::vector<std::string>& families) {
  ProjectionCheck out;
  crypto::Sha256 h;
  for (const auto& name : families) {
    auto* live_cf = store.cf(name);
    if (live_cf == nullptr) {
      out.ok = false;
      out.family = name;
      out.reason = "the projection " + name + " is missing";
      return out;
    }
    hash_field(h, name);
    const rocksdb::ReadOptions ro = read_options(nullptr);
    std::unique_ptr<rocksdb::Iterator> live(store.db().NewIterator(ro, live_cf));
    std::unique_ptr<rocksdb::Iterator> want(scratch.db().NewIterator(ro, scratch.cf(name)));
    live->SeekToFirst();
    want->SeekToFirst();
    while (live->Valid() || want->Valid()) {
      int order = 0;  // <0: only stored, >0: only replayed, 0: both
      if (!want->Valid()) {
        order = -1;
      } else if (!live->Valid()) {
        order = 1;
      } else {
        order = live->key().compare(want->key());
      }
      if (order == 0 && live->value() == want->value()) {
        hash_field(h, live->key().ToStringView());
        hash_field(h, live->value().ToStringView());
        ++out.entries;
        live->Next();
        want->Next();
        continue;
      }
      out.ok = false;
      out.family = name;
      if (order == 0) {
        out.key = printable(live->key().ToStringView());
        out.reason = "the stored value differs from what the log says";
      } else if (order < 0) {
        out.key = printable(live->key().ToStringView());
        out.reason = "a stored entry that the log does not produce";
      } else {
        out.key = printable(want->key().ToStringView());
        out.reason = "an entry the log produces is missing";
      }
      out.reason = name + " " + out.key + ": " + out.reason;
      return out;
    }
    for (auto* it : {live.get(), want.get()}) {
      if (!it->status().ok()) {
        if (it->status().IsCorruption()) {
          out.ok = false;
          out.family = name;
          out.reason = "the projection " + name + " cannot be read: " + it->status().ToString();
          return out;
        }
        return std::unexpected(storage_error(it->status(), "cannot read " + name));
      }
    }
  }
  out.digest = h.finish();
  return out;
}

}  // namespace

struct ProjectionReplay::Scratch {
  std::unique_ptr<ScratchDb> db;
};

ProjectionReplay::ProjectionReplay(Store& store, StateMachine& machine)
    : store_(store), machine_(machine) {}

ProjectionReplay::~ProjectionReplay() = default;  // replay_ goes before scratch_, which it writes

Result<std::unique_ptr<ProjectionReplay>> ProjectionReplay::start(Store& store,
                                                                  StateMachine& machine,
                                                                  const fs::path& tmp_parent) {
  std::unique_ptr<ProjectionReplay> out(new ProjectionReplay(store, machine));
  out->decided_ = other_version(store, machine);
  if (out->decided_) return out;
  auto db = ScratchDb::create(tmp_parent, machine.column_families());
  if (!db) return std::unexpected(db.error());
  out->scratch_ = std::make_unique<Scratch>(Scratch{std::move(*db)});
  out->replay_ = std::make_unique<LogReplay>(store, *out->scratch_->db, out->scratch_->db->dir(),
                                             machine, kChunkEntries);
  return out;
}

void ProjectionReplay::feed(std::string_view stored) {
  if (decided_ || failed_) return;
  if (auto r = replay_->apply(stored); !r) {
    if (r.error().code == ErrorCode::kCorruption) {
      decided_ = does_not_replay(r.error());
    } else {
      failed_ = r.error();
    }
  }
}

Result<ProjectionCheck> ProjectionReplay::finish() {
  if (failed_) return std::unexpected(*failed_);
  if (decided_) return *decided_;
  if (auto r = replay_->finish(); !r) {
    if (r.error().code == ErrorCode::kCorruption) return does_not_replay(r.error());
    return std::unexpected(r.error());
  }
  return compare(store_, *scratch_->db, machine_.column_families());
}

}  // namespace custody::ledger
