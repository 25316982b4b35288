#include "custody/domain/backup.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <map>
#include <vector>

#include "custody/codec/json_writer.h"
#include "custody/common/encoding.h"
#include "custody/common/files.h"
#include "custody/domain/plant.h"
#include "custody/ledger/head_file.h"
#include "custody/ledger/projection_check.h"
#include "custody/ledger/store.h"
#include "custody/ledger/verifier.h"

namespace custody::domain {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

// The ledger's own files beside its database, and their modes. HEAD is not copied: the copy
// gets one of its own, holding the head its database holds. FORMAT goes last.
struct OwnFile {
  const char* name;
  mode_t mode;
  bool required;
};
constexpr OwnFile kOwnFiles[] = {
    {"node.key", 0600, true},
    {"node.pub", 0644, true},
    {"config.json", 0644, true},
    {"credentials", 0600, false},
};

constexpr std::size_t kManifestMaxBytes = 64 << 20;

struct FileFacts {
  std::uint64_t bytes = 0;
  crypto::Digest sha256{};
  mode_t mode = 0644;
};

Error errno_error(const std::string& what) {
  return Error::io(what + ": " + std::strerror(errno));
}

// Reads `path` once: its size and SHA-256, and, when `to` is given, a copy of it written
// there (created, never replaced) with `mode` and fsynced.
Result<FileFacts> read_through(const fs::path& path, const fs::path* to, mode_t mode) {
  const int in = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (in < 0) return std::unexpected(errno_error("cannot open " + path.string()));
  int out = -1;
  auto close_all = [&] {
    ::close(in);
    if (out >= 0) ::close(out);
  };
  if (to != nullptr) {
    out = ::open(to->c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (out < 0) {
      close_all();
      return std::unexpected(errno_error("cannot create " + to->string()));
    }
  }
  FileFacts facts;
  facts.mode = mode;
  crypto::Sha256 h;
  std::vector<char> buf(1 << 20);
  for (;;) {
    const ssize_t n = ::read(in, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      close_all();
      return std::unexpected(errno_error("cannot read " + path.string()));
    }
    if (n == 0) break;
    h.update(std::string_view(buf.data(), static_cast<std::size_t>(n)));
    facts.bytes += static_cast<std::uint64_t>(n);
    for (ssize_t done = 0; out >= 0 && done < n;) {
      const ssize_t w = ::write(out, buf.data() + done, static_cast<std::size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        close_all();
        return std::unexpected(errno_error("cannot write " + to->string()));
      }
      done += w;
    }
  }
  if (out >= 0 && ::fsync(out) != 0) {
    close_all();
    return std::unexpected(errno_error("cannot sync " + to->string()));
  }
  close_all();
  facts.sha256 = h.finish();
  return facts;
}

// Every entry under `dir`, relative, sorted; anything but a regular file or a folder (a
// symlink, a device) is refused, so that a backup can hold nothing that points elsewhere.
Result<std::vector<std::string>> list_files(const fs::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const auto status = it->symlink_status(ec);
    if (ec) break;
    const std::string rel = fs::relative(it->path(), dir, ec).generic_string();
    if (fs::is_directory(status)) continue;
    if (!fs::is_regular_file(status)) {
      return fail(ErrorCode::kCorruption, rel + " is not a regular file", "backup");
    }
    out.push_back(rel);
  }
  if (ec) return fail(ErrorCode::kIoError, "cannot list " + dir.string() + ": " + ec.message());
  std::sort(out.begin(), out.end());
  return out;
}

// fsyncs every folder under `dir` and `dir` itself, so that the entries made survive a crash.
Result<void> sync_tree(const fs::path& dir) {
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_directory(ec)) {
      if (auto r = sync_dir(it->path()); !r) return r;
    }
  }
  if (ec) return fail(ErrorCode::kIoError, "cannot list " + dir.string() + ": " + ec.message());
  return sync_dir(dir);
}

// A folder built beside `to` and renamed into place when whole; removed otherwise.
class Staging {
 public:
  explicit Staging(const fs::path& to)
      : to_(to),
        tmp_(to.parent_path() /
             (to.filename().string() + ".partial-" + std::to_string(::getpid()))) {}
  Staging(const Staging&) = delete;
  Staging& operator=(const Staging&) = delete;
  ~Staging() {
    if (!done_) {
      std::error_code ec;
      fs::remove_all(tmp_, ec);
    }
  }
  [[nodiscard]] Result<void> create() {
    std::error_code ec;
    fs::remove_all(tmp_, ec);
    if (!fs::create_directory(tmp_, ec) || ec) {
      return fail(ErrorCode::kIoError, "cannot create " + tmp_.string() + ": " + ec.message(),
                  "to");
    }
    fs::permissions(tmp_, fs::perms::owner_all, ec);  // it holds the signing key
    return {};
  }
  [[nodiscard]] const fs::path& path() const { return tmp_; }
  [[nodiscard]] Result<void> commit() {
    if (auto r = sync_tree(tmp_); !r) return r;
    std::error_code ec;
    if (fs::exists(to_, ec))
      return fail(ErrorCode::kInvalidArgument, to_.string() + " exists", "to");
    fs::rename(tmp_, to_, ec);
    if (ec)
      return fail(ErrorCode::kIoError,
                  "cannot move " + tmp_.string() + " into place: " + ec.message());
    done_ = true;
    const fs::path parent = to_.parent_path().empty() ? fs::path(".") : to_.parent_path();
    return sync_dir(parent);
  }

 private:
  fs::path to_, tmp_;
  bool done_ = false;
};

Result<void> refuse_existing(const fs::path& to) {
  std::error_code ec;
  if (fs::exists(fs::symlink_status(to, ec))) {
    return fail(ErrorCode::kInvalidArgument, to.string() + " exists; name a new folder", "to");
  }
  const fs::path parent = to.parent_path().empty() ? fs::path(".") : to.parent_path();
  if (!fs::is_directory(parent, ec)) {
    return fail(ErrorCode::kInvalidArgument, parent.string() + " is not a folder", "to");
  }
  return {};
}

// Verifies the ledger at `dir` completely, as `custody verify` does: the hash chain, the
// tree, the signed checkpoints and a replay of the projections. kCorruption with the
// finding when anything is wrong.
Result<BackupSummary> verify_copy(const fs::path& dir, const std::string& what) {
  auto machine = make_state_machine();
  auto store = ledger::Store::open(dir, {ledger::OpenMode::kReadOnly, ledger::OnDamage::kRefuse},
                                   machine->column_families());
  if (!store) {
    return fail(ErrorCode::kCorruption, what + " does not open: " + store.error().message);
  }
  // The projections are replayed from the records the log check reads (read once).
  auto replay = ledger::ProjectionReplay::start(**store, *machine);
  if (!replay) return std::unexpected(replay.error());
  ledger::VerifyOptions options;
  options.each_record = [&replay](std::string_view record) {
    (*replay)->feed(record);
  };
  auto r = ledger::verify_ledger(**store, options);
  if (!r) return std::unexpected(r.error());
  if (!r->ok) {
    return fail(ErrorCode::kCorruption,
                what + " does not verify" +
                    (r->first_bad_seq ? " at seq " + std::to_string(*r->first_bad_seq) : "") +
                    ": " + r->reason);
  }
  auto p = (*replay)->finish();
  if (!p) return std::unexpected(p.error());
  if (!p->ok) {
    return fail(ErrorCode::kCorruption, what + "'s projections do not verify (" + p->family + " " +
                                            p->key + "): " + p->reason);
  }
  auto head = (*store)->read_head();
  if (!head) return std::unexpected(head.error());
  BackupSummary s;
  s.ledger_id = (*store)->meta().ledger_id;
  s.head = *head;
  s.root = r->root;
  s.projections = p->digest;
  s.checkpoints = r->checkpoints_checked;
  return s;
}

std::string manifest_text(const BackupSummary& s, const std::map<std::string, FileFacts>& files) {
  std::string out;
  codec::JsonWriter w(out);
  w.begin_object();
  w.key("format").string(kBackupFormat);
  w.key("ledgerId").string(s.ledger_id);
  w.key("takenAt").string(format_rfc3339(s.taken_at));
  w.key("headSeq").uint64(s.head.seq);
  w.key("headLeaf").string(to_hex(s.head.leaf));
  w.key("root").string(to_hex(s.root));
  w.key("projectionDigest").string(to_hex(s.projections));
  w.key("checkpoints").uint64(s.checkpoints);
  w.key("files").begin_array();
  for (const auto& [name, f] : files) {
    w.begin_object();
    w.key("path").string(name);
    w.key("bytes").uint64(f.bytes);
    w.key("mode").uint64(f.mode & 0777);
    w.key("sha256").string(to_hex(f.sha256));
    w.end_object();
  }
  w.end_array();
  w.end_object();
  out += '\n';
  return out;
}

// The fields a manifest must have, read strictly: a manifest that does not parse is a
// damaged backup.
struct Manifest {
  BackupSummary summary;
  std::map<std::string, FileFacts> files;
};

Result<crypto::Digest> digest_field(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  crypto::Digest d{};
  std::optional<std::string> bytes;
  if (v != nullptr && v->is_string() && v->as_string().size() == 64) {
    bytes = from_hex(std::string_view(v->as_string()));
  }
  if (bytes && bytes->size() == d.size()) {
    std::copy(bytes->begin(), bytes->end(), d.begin());
    return d;
  }
  {
    return fail(ErrorCode::kCorruption,
                std::string(kBackupManifest) + ": \"" + std::string(key) + "\" is not a SHA-256",
                "backup");
  }
}

Result<std::uint64_t> number_field(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || !v->is_uint64()) {
    if (v != nullptr && v->is_int64() && v->as_int64() >= 0) {
      return static_cast<std::uint64_t>(v->as_int64());
    }
    return fail(ErrorCode::kCorruption,
                std::string(kBackupManifest) + ": \"" + std::string(key) + "\" is not a count",
                "backup");
  }
  return v->as_uint64();
}

Result<Manifest> read_manifest(const fs::path& backup) {
  auto text = read_file(backup / kBackupManifest, kManifestMaxBytes);
  if (!text) {
    if (text.error().code == ErrorCode::kNotFound) {
      return fail(ErrorCode::kInvalidArgument,
                  backup.string() + " is not a custody backup (it has no " +
                      std::string(kBackupManifest) + ")",
                  "backup");
    }
    return std::unexpected(text.error());
  }
  boost::system::error_code ec;
  json::value v = json::parse(*text, ec);
  if (ec || !v.is_object()) {
    return fail(ErrorCode::kCorruption, std::string(kBackupManifest) + " is not JSON", "backup");
  }
  const json::object& o = v.as_object();
  const auto* format = o.if_contains("format");
  if (format == nullptr || !format->is_string() || format->as_string() != kBackupFormat) {
    return fail(ErrorCode::kInvalidArgument,
                std::string(kBackupManifest) + " is not in the format " +
                    std::string(kBackupFormat) + " this build reads",
                "backup");
  }
  Manifest m;
  const auto* id = o.if_contains("ledgerId");
  const auto* taken = o.if_contains("takenAt");
  if (id == nullptr || !id->is_string() || taken == nullptr || !taken->is_string()) {
    return fail(ErrorCode::kCorruption, std::string(kBackupManifest) + " lacks ledgerId or takenAt",
                "backup");
  }
  m.summary.ledger_id = std::string(id->as_string());
  auto at = parse_rfc3339(std::string_view(taken->as_string()));
  if (!at) return fail(ErrorCode::kCorruption, "takenAt is not a time", "backup");
  m.summary.taken_at = *at;
  auto seq = number_field(o, "headSeq");
  auto leaf = digest_field(o, "headLeaf");
  auto root = digest_field(o, "root");
  auto digest = digest_field(o, "projectionDigest");
  auto checkpoints = number_field(o, "checkpoints");
  for (const Error* e : {seq ? nullptr : &seq.error(), leaf ? nullptr : &leaf.error(),
                         root ? nullptr : &root.error(), digest ? nullptr : &digest.error(),
                         checkpoints ? nullptr : &checkpoints.error()}) {
    if (e != nullptr) return std::unexpected(*e);
  }
  m.summary.head.seq = *seq;
  m.summary.head.leaf = *leaf;
  m.summary.root = *root;
  m.summary.projections = *digest;
  m.summary.checkpoints = *checkpoints;
  const auto* files = o.if_contains("files");
  if (files == nullptr || !files->is_array()) {
    return fail(ErrorCode::kCorruption, std::string(kBackupManifest) + " lists no files", "backup");
  }
  for (const auto& f : files->as_array()) {
    const auto* fo = f.if_object();
    const auto* path = fo == nullptr ? nullptr : fo->if_contains("path");
    if (path == nullptr || !path->is_string()) {
      return fail(ErrorCode::kCorruption, std::string(kBackupManifest) + ": a file has no path",
                  "backup");
    }
    const std::string name(path->as_string());
    // Names are relative and stay inside the backup.
    const fs::path p(name);
    if (name.empty() || p.is_absolute() || name == kBackupManifest ||
        std::any_of(p.begin(), p.end(), [](const fs::path& c) { return c == ".." || c == "."; })) {
      return fail(ErrorCode::kCorruption, std::string(kBackupManifest) + " names a file outside it",
                  "backup");
    }
    auto bytes = number_field(*fo, "bytes");
    auto mode = number_field(*fo, "mode");
    auto sha = digest_field(*fo, "sha256");
    if (!bytes) return std::unexpected(bytes.error());
    if (!mode || (*mode & ~0777ULL) != 0) {
      return fail(ErrorCode::kCorruption,
                  std::string(kBackupManifest) + ": " + name + " has no mode", "backup");
    }
    if (!sha) return std::unexpected(sha.error());
    m.files[name] = FileFacts{*bytes, *sha, static_cast<mode_t>(*mode)};
  }
  if (!m.files.contains("FORMAT") || !m.files.contains("db/CURRENT")) {
    return fail(ErrorCode::kCorruption, std::string(kBackupManifest) + " lists no ledger",
                "backup");
  }
  return m;
}

}  // namespace

Result<BackupSummary> backup_ledger(const fs::path& ledger, const fs::path& to, TimeNs now) {
  if (auto r = refuse_existing(to); !r) return std::unexpected(r.error());
  auto machine = make_state_machine();
  // A read-only open: it takes no lock, and refuses a ledger that lost acknowledged records.
  auto store = ledger::Store::open(ledger, {ledger::OpenMode::kReadOnly, ledger::OnDamage::kRefuse},
                                   machine->column_families());
  if (!store) return std::unexpected(store.error());

  Staging stage(to);
  if (auto r = stage.create(); !r) return std::unexpected(r.error());
  const fs::path& tmp = stage.path();
  // The small files first: the database copy that follows is at least as new as the
  // configuration and credentials copied here (a key rotated since would be a later record).
  std::map<std::string, FileFacts> files;
  for (const auto& f : kOwnFiles) {
    std::error_code ec;
    if (!fs::exists(ledger / f.name, ec)) {
      if (!f.required) continue;
      return fail(ErrorCode::kCorruption, (ledger / f.name).string() + " is missing");
    }
    const fs::path dest = tmp / f.name;
    auto facts = read_through(ledger / f.name, &dest, f.mode);
    if (!facts) return std::unexpected(facts.error());
  }
  // The witnesses' cosignatures kept for the checkpoints (custody/ledger/witness.h): evidence
  // from outside that verify and audit packages carry, and that nothing could make again.
  if (std::error_code ec; fs::is_directory(ledger / "cosigned", ec)) {
    fs::create_directories(tmp / "cosigned", ec);
    if (ec) return fail(ErrorCode::kIoError, "cannot create " + (tmp / "cosigned").string());
    for (const auto& e : fs::directory_iterator(ledger / "cosigned", ec)) {
      const std::string name = e.path().filename().string();
      if (!e.is_regular_file() || !name.ends_with(".note")) continue;
      const fs::path dest = tmp / "cosigned" / name;
      auto facts = read_through(e.path(), &dest, 0644);
      if (!facts) return std::unexpected(facts.error());
    }
    if (ec) return fail(ErrorCode::kIoError, "cannot read " + (ledger / "cosigned").string());
  }
  auto head = (*store)->copy_database(tmp / "db");
  if (!head) return std::unexpected(head.error());
  store->reset();
  if (auto r = ledger::HeadFile::create(tmp, *head); !r) return std::unexpected(r.error());
  if (auto r = write_new_file(
          tmp / "FORMAT", "custody-ledger " + std::to_string(ledger::kSchemaVersion) + "\n", 0644);
      !r) {
    return std::unexpected(r.error());
  }

  auto checked = verify_copy(tmp, "the copy of " + ledger.string());
  if (!checked) return std::unexpected(checked.error());
  if (checked->head != *head) {
    return fail(ErrorCode::kInternal, "the copy's head moved while it was checked");
  }
  // Every file as it now stands (a verifying open may have written RocksDB's own files).
  auto names = list_files(tmp);
  if (!names) return std::unexpected(names.error());
  BackupSummary sum = *checked;
  sum.taken_at = now;
  for (const auto& name : *names) {
    struct stat st {};
    if (::stat((tmp / name).c_str(), &st) != 0) {
      return std::unexpected(errno_error("cannot stat " + (tmp / name).string()));
    }
    auto facts = read_through(tmp / name, nullptr, st.st_mode & 0777);
    if (!facts) return std::unexpected(facts.error());
    sum.files += 1;
    sum.bytes += facts->bytes;
    files[name] = *facts;
  }
  if (auto r = write_new_file(tmp / kBackupManifest, manifest_text(sum, files), 0644); !r) {
    return std::unexpected(r.error());
  }
  if (auto r = stage.commit(); !r) return std::unexpected(r.error());
  return sum;
}

Result<BackupSummary> restore_ledger(const fs::path& backup, const fs::path& to) {
  if (auto r = refuse_existing(to); !r) return std::unexpected(r.error());
  std::error_code ec;
  if (!fs::is_directory(backup, ec)) {
    return fail(ErrorCode::kInvalidArgument, backup.string() + " is not a folder", "backup");
  }
  auto manifest = read_manifest(backup);
  if (!manifest) return std::unexpected(manifest.error());
  auto names = list_files(backup);
  if (!names) return std::unexpected(names.error());
  // Nothing added, nothing missing.
  for (const auto& name : *names) {
    if (name != kBackupManifest && !manifest->files.contains(name)) {
      return fail(ErrorCode::kCorruption,
                  "the backup holds " + name + ", which its manifest does not list", "backup");
    }
  }
  for (const auto& [name, facts] : manifest->files) {
    if (!std::binary_search(names->begin(), names->end(), name)) {
      return fail(ErrorCode::kCorruption, "the backup lacks " + name + ", which its manifest lists",
                  "backup");
    }
  }

  Staging stage(to);
  if (auto r = stage.create(); !r) return std::unexpected(r.error());
  const fs::path& tmp = stage.path();
  // Each file is read once: hashed while it is copied, and refused when it differs.
  for (const auto& [name, want] : manifest->files) {
    const fs::path dest = tmp / name;
    fs::create_directories(dest.parent_path(), ec);
    auto got = read_through(backup / name, &dest, want.mode);
    if (!got) return std::unexpected(got.error());
    if (got->bytes != want.bytes || got->sha256 != want.sha256) {
      return fail(ErrorCode::kCorruption,
                  "the backup's " + name + " is damaged: it is not the file the backup recorded (" +
                      std::to_string(got->bytes) + " bytes, SHA-256 " + to_hex(got->sha256) +
                      "; recorded " + std::to_string(want.bytes) + " bytes, " +
                      to_hex(want.sha256) + ")",
                  "backup");
    }
  }
  auto checked = verify_copy(tmp, "the restored ledger");
  if (!checked) return std::unexpected(checked.error());
  const BackupSummary& want = manifest->summary;
  if (checked->ledger_id != want.ledger_id || checked->head.seq != want.head.seq ||
      checked->head.leaf != want.head.leaf || checked->root != want.root ||
      checked->projections != want.projections) {
    return fail(ErrorCode::kCorruption,
                "the restored ledger verifies, but not to what the backup recorded: head " +
                    std::to_string(checked->head.seq) + " root " + to_hex(checked->root) +
                    " projections " + to_hex(checked->projections) + "; recorded head " +
                    std::to_string(want.head.seq) + " root " + to_hex(want.root) + " projections " +
                    to_hex(want.projections));
  }
  if (auto r = stage.commit(); !r) return std::unexpected(r.error());
  BackupSummary sum = *checked;
  sum.taken_at = want.taken_at;
  sum.files = manifest->files.size();
  for (const auto& [name, f] : manifest->files) sum.bytes += f.bytes;
  return sum;
}

}  // namespace custody::domain
