#include "custody/ledger/witness.h"

#include <fcntl.h>
#include <rocksdb/db.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cerrno>
#include <cstring>

#include "custody/codec/json_writer.h"
#include "custody/common/encoding.h"
#include "custody/common/files.h"
#include "custody/crypto/merkle_proof.h"
#include "custody/crypto/note.h"
#include "custody/ledger/checkpoint.h"
#include "custody/ledger/store.h"

namespace custody::ledger {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr const char* kKey = "witness.key";
constexpr const char* kPub = "witness.pub";
constexpr const char* kState = "state.json";

std::string state_json(const WitnessState& s) {
  std::string out;
  codec::JsonWriter w(out);
  w.begin_object();
  w.key("logKey").string(s.log_key);
  w.key("origin").string(s.origin);
  w.key("size").uint64(s.size);
  w.key("root").string(to_hex(s.root));
  w.end_object();
  out += '\n';
  return out;
}

// The folder's lock, held while a cosignature is decided and recorded.
class DirLock {
 public:
  explicit DirLock(const fs::path& dir)
      : fd_(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {
    if (fd_ >= 0 && ::flock(fd_, LOCK_EX) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;
  ~DirLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  [[nodiscard]] bool held() const { return fd_ >= 0; }

 private:
  int fd_;
};

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

}  // namespace

Result<std::string> witness_init(const fs::path& dir, std::string_view name,
                                 std::string_view log_key) {
  if (name.empty() || name.find_first_of("+ \t\n") != std::string_view::npos) {
    return fail(ErrorCode::kInvalidArgument, "a witness name has no '+', space or newline", "name");
  }
  auto log = crypto::NoteVerifier::parse(log_key);
  if (!log) {
    return fail(ErrorCode::kInvalidArgument, "not a verifier key: " + log.error().message,
                "logKey");
  }
  std::error_code ec;
  if (fs::exists(fs::symlink_status(dir, ec))) {
    return fail(ErrorCode::kInvalidArgument, dir.string() + " exists", "dir");
  }
  if (!fs::create_directory(dir, ec) || ec) {
    return fail(ErrorCode::kIoError, "cannot create " + dir.string() + ": " + ec.message(), "dir");
  }
  fs::permissions(dir, fs::perms::owner_all, ec);
  auto signer = crypto::NoteSigner::generate(std::string(name));
  const std::string vkey = signer.verifier().vkey();
  WitnessState s;
  s.log_key = log->vkey();
  s.root = crypto::empty_tree_root();
  for (auto r : {write_new_file(dir / kKey, signer.skey() + "\n", 0600),
                 write_new_file(dir / kPub, vkey + "\n", 0644),
                 write_new_file(dir / kState, state_json(s), 0644)}) {
    if (!r) return std::unexpected(r.error());
  }
  if (auto r = sync_dir(dir); !r) return std::unexpected(r.error());
  return vkey;
}

Result<WitnessState> witness_state(const fs::path& dir) {
  auto text = read_file(dir / kState, 64 << 10);
  if (!text) {
    if (text.error().code == ErrorCode::kNotFound) {
      return fail(ErrorCode::kInvalidArgument,
                  dir.string() + " is not a witness (no " + kState +
                      "; create one with "
                      "`custody witness init`)",
                  "dir");
    }
    return std::unexpected(text.error());
  }
  boost::system::error_code ec;
  json::value v = json::parse(*text, ec);
  const json::object* o = ec ? nullptr : v.if_object();
  auto bad = [&] {
    return fail(ErrorCode::kCorruption, (dir / kState).string() + " is damaged");
  };
  if (o == nullptr) return bad();
  const auto* key = o->if_contains("logKey");
  const auto* origin = o->if_contains("origin");
  const auto* size = o->if_contains("size");
  const auto* root = o->if_contains("root");
  if (key == nullptr || !key->is_string() || origin == nullptr || !origin->is_string() ||
      size == nullptr || !(size->is_uint64() || (size->is_int64() && size->as_int64() >= 0)) ||
      root == nullptr || !root->is_string()) {
    return bad();
  }
  WitnessState s;
  s.log_key = std::string(key->as_string());
  s.origin = std::string(origin->as_string());
  s.size = size->to_number<std::uint64_t>();
  auto r = from_hex(std::string_view(root->as_string()));
  if (!r || r->size() != 32) return bad();
  std::memcpy(s.root.data(), r->data(), 32);
  return s;
}

Result<std::string> witness_cosign(const fs::path& dir, const CosignRequest& req) {
  DirLock lock(dir);
  if (!lock.held()) {
    return fail(ErrorCode::kInvalidArgument, dir.string() + " is not a witness folder", "dir");
  }
  auto state = witness_state(dir);
  if (!state) return std::unexpected(state.error());
  auto log = crypto::NoteVerifier::parse(state->log_key);
  if (!log) return fail(ErrorCode::kCorruption, (dir / kState).string() + ": bad log key");
  auto key_text = read_file(dir / kKey, 4096);
  if (!key_text) return std::unexpected(key_text.error());
  auto signer = crypto::NoteSigner::parse(trimmed(*key_text));
  if (!signer) return fail(ErrorCode::kCorruption, (dir / kKey).string() + " is not a signer key");

  auto body = parse_checkpoint_note_unverified(req.note);
  if (!body) {
    return fail(ErrorCode::kInvalidArgument, "not a checkpoint: " + body.error().message,
                "checkpoint");
  }
  auto cp = open_checkpoint(req.note, *log);
  if (!cp) {
    return fail(ErrorCode::kCorruption,
                "the checkpoint is not signed by the ledger this witness witnesses (" +
                    log->name() + "): " + cp.error().message);
  }
  if (!state->origin.empty() && cp->origin != state->origin) {
    return fail(ErrorCode::kCorruption, "the checkpoint is for \"" + cp->origin +
                                            "\", not the witnessed \"" + state->origin + "\"");
  }
  const std::string refused = "refused to cosign the tree of " + std::to_string(cp->size) + ": ";
  if (cp->size < state->size) {
    return fail(ErrorCode::kCorruption, refused + "it is older than the tree of " +
                                            std::to_string(state->size) +
                                            " this witness already cosigned (a rollback)");
  }
  if (cp->size == state->size && state->size > 0 && cp->root != state->root) {
    return fail(ErrorCode::kCorruption,
                refused + "this witness cosigned another tree of the same size (a fork): " +
                    to_hex(state->root));
  }
  if (cp->size > state->size && state->size > 0) {
    if (!req.proof_from || !req.proof_to) {
      return fail(ErrorCode::kInvalidArgument,
                  "a consistency proof from " + std::to_string(state->size) + " to " +
                      std::to_string(cp->size) + " is needed (custody prove DIR --from " +
                      std::to_string(state->size) + " --to " + std::to_string(cp->size) + ")",
                  "proof");
    }
    if (*req.proof_from != state->size || *req.proof_to != cp->size) {
      return fail(ErrorCode::kInvalidArgument,
                  "the proof is from " + std::to_string(*req.proof_from) + " to " +
                      std::to_string(*req.proof_to) + "; this witness needs one from " +
                      std::to_string(state->size) + " to " + std::to_string(cp->size),
                  "proof");
    }
    if (!crypto::verify_consistency(state->size, cp->size, state->root, cp->root, req.proof)) {
      return fail(ErrorCode::kCorruption,
                  refused + "it does not extend the tree of " + std::to_string(state->size) +
                      " this witness cosigned (the history was rewritten or forked)");
    }
  }

  // The witness's signature line over the same text, added unless it is there already.
  const std::string text = cp->body();
  const std::string own = signer->sign(text).substr(text.size() + 1);
  std::string out = req.note;
  if (out.find(own) == std::string::npos) out += own;
  if (signer->verifier().open(out).has_value() == false) {
    return fail(ErrorCode::kInternal, "the cosignature does not verify");
  }
  WitnessState next = *state;
  next.origin = cp->origin;
  next.size = cp->size;
  next.root = cp->root;
  if (auto r = replace_file(dir / kState, state_json(next), 0644); !r) {
    return std::unexpected(r.error());
  }
  return out;
}

namespace {

constexpr std::size_t kMaxCosignedNote = 64 << 10;
constexpr std::size_t kMaxSignatureLines = 32;

// A signed note's text (through its last "\n") and its signature lines.
struct NoteParts {
  std::string text;
  std::vector<std::string> lines;
};

std::optional<NoteParts> split_note(std::string_view note) {
  const auto blank = note.find("\n\n");
  if (blank == std::string_view::npos || !note.ends_with('\n')) return std::nullopt;
  NoteParts parts{std::string(note.substr(0, blank + 1)), {}};
  std::string_view rest = note.substr(blank + 2);
  while (!rest.empty()) {
    const auto nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    if (!line.starts_with("\u2014 ") || line.size() > 1024) return std::nullopt;
    parts.lines.emplace_back(line);
    rest.remove_prefix(nl + 1);
  }
  return parts;
}

// A signature line every note reader takes ("— <name> <base64 of key id and signature>"):
// one that is not would stop NoteVerifier::open at it, and so hide every line after it.
bool well_formed_signature_line(std::string_view line) {
  constexpr std::string_view kPrefix = "\u2014 ";
  if (!line.starts_with(kPrefix)) return false;
  line.remove_prefix(kPrefix.size());
  const std::size_t space = line.find(' ');
  if (space == 0 || space == std::string_view::npos) return false;
  const auto raw = from_base64(line.substr(space + 1));
  return raw && raw->size() >= 5;
}

fs::path cosigned_path(const fs::path& dir, std::uint64_t size) {
  std::string name = std::to_string(size);
  name.insert(0, 20 - name.size(), '0');
  return dir / "cosigned" / (name + ".note");
}

}  // namespace

Result<std::size_t> keep_cosignatures(Store& store, std::string_view note) {
  const auto refuse = [](const std::string& why) {
    return fail(ErrorCode::kCorruption, "not a cosigned checkpoint of this ledger: " + why, "note");
  };
  if (note.size() > kMaxCosignedNote) return refuse("too large");
  auto parts = split_note(note);
  if (!parts || parts->lines.empty() || parts->lines.size() > kMaxSignatureLines) {
    return refuse("not a signed note");
  }
  if (!std::all_of(parts->lines.begin(), parts->lines.end(), well_formed_signature_line)) {
    return refuse("a signature line is malformed");
  }
  auto body = parse_checkpoint_body(parts->text);
  if (!body) return refuse(body.error().message);
  std::string stored;
  auto st =
      store.db().Get(rocksdb::ReadOptions(), store.cf(Cf::kCheckpoints), be64(body->size), &stored);
  if (st.IsNotFound())
    return refuse("it signed no checkpoint of size " + std::to_string(body->size));
  if (!st.ok()) return std::unexpected(storage_error(st, "checkpoints"));
  auto ours = split_note(stored);
  if (!ours || ours->text != parts->text) return refuse("its text is not the checkpoint's");

  const fs::path path = cosigned_path(store.dir(), body->size);
  std::error_code ec;
  // A follower's replicator and `custody witness keep` may keep lines for the same
  // checkpoint at once: each reads and replaces the note under the folder's lock.
  fs::create_directories(path.parent_path(), ec);
  DirLock lock(path.parent_path());
  if (!lock.held()) {
    return fail(ErrorCode::kIoError, "cannot lock " + path.parent_path().string());
  }
  std::string kept = stored;
  if (fs::exists(path, ec)) {
    auto text = read_file(path, kMaxCosignedNote);
    if (!text) return std::unexpected(text.error());
    kept = std::move(*text);
  }
  auto have = split_note(kept);
  if (!have || have->text != parts->text) {
    return fail(ErrorCode::kCorruption, path.string() + " is not the checkpoint's note");
  }
  std::size_t added = 0;
  for (const auto& line : parts->lines) {
    if (std::find(have->lines.begin(), have->lines.end(), line) != have->lines.end()) continue;
    if (have->lines.size() >= kMaxSignatureLines) break;
    have->lines.push_back(line);
    ++added;
  }
  if (added == 0) return added;
  std::string out = have->text + "\n";
  for (const auto& line : have->lines) out += line + "\n";
  if (auto w = replace_file(path, out, 0644); !w) return std::unexpected(w.error());
  return added;
}

std::string with_kept_cosignatures(const fs::path& dir, const std::string& note) {
  auto ours = split_note(note);
  if (!ours) return note;
  auto body = parse_checkpoint_body(ours->text);
  if (!body) return note;
  const fs::path path = cosigned_path(dir, body->size);
  std::error_code ec;
  if (!fs::exists(path, ec)) return note;
  auto kept = read_file(path, kMaxCosignedNote);
  if (!kept) return note;  // the cosignatures are extra: without them the note stands
  auto theirs = split_note(*kept);
  // Only a note of the same checkpoint that still carries every signature the ledger made,
  // in lines every reader takes.
  if (!theirs || theirs->text != ours->text ||
      !std::all_of(theirs->lines.begin(), theirs->lines.end(), well_formed_signature_line) ||
      !std::all_of(ours->lines.begin(), ours->lines.end(), [&](const std::string& line) {
        return std::find(theirs->lines.begin(), theirs->lines.end(), line) != theirs->lines.end();
      })) {
    return note;
  }
  return std::move(*kept);
}

Result<std::optional<std::string>> newest_cosigned(const fs::path& dir) {
  std::error_code ec;
  const fs::path folder = dir / "cosigned";
  if (!fs::is_directory(folder, ec)) return std::optional<std::string>{};
  std::string newest;
  for (const auto& e : fs::directory_iterator(folder, ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() == 25 && name.ends_with(".note") && name > newest) newest = name;
  }
  if (newest.empty()) return std::optional<std::string>{};
  auto text = read_file(folder / newest, kMaxCosignedNote);
  if (!text) return std::unexpected(text.error());
  return std::optional<std::string>{std::move(*text)};
}

}  // namespace custody::ledger
