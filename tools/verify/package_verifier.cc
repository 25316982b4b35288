#include "verify/package_verifier.h"

#include <capnp/serialize.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <set>

#include "custody/common/encoding.h"
#include "custody/crypto/merkle_proof.h"
#include "custody/crypto/note.h"
#include "custody/crypto/sha256.h"
#include "schema/record.capnp.h"

namespace custody::verify {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using crypto::Digest;

constexpr std::string_view kFormat = "custody-audit-package/1";
constexpr std::size_t kSmallFile = std::size_t{1} << 20;   // manifest, notes, keys, proofs
constexpr std::size_t kLargeFile = std::size_t{64} << 20;  // index.html
constexpr std::size_t kMaxLine = std::size_t{64} << 20;    // one record with its proof

// A check that did not hold; verify_package turns it into the report's failure.
struct Failure {
  std::string what;
};
[[noreturn]] void failed(std::string what) {
  throw Failure{std::move(what)};
}

// A name the manifest may use: relative, "/"-separated, no "..", nothing odd.
bool safe_name(std::string_view name) {
  if (name.empty() || name.size() > 200 || name.front() == '/') return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' ||
          c == '/')) {
      return false;
    }
  }
  std::size_t start = 0;
  while (start <= name.size()) {
    const std::size_t slash = std::min(name.find('/', start), name.size());
    const std::string_view seg = name.substr(start, slash - start);
    if (seg.empty() || seg == "." || seg == "..") return false;
    start = slash + 1;
  }
  return true;
}

class FolderLines : public PackageSource::Lines {
 public:
  explicit FolderLines(const fs::path& path) : in_(path, std::ios::binary) {}
  // Reads blocks and splits them at newlines; a line longer than kMaxLine ends the file (and
  // is reported), so a hostile file cannot make the verifier hold more than that.
  bool next(std::string& line) override {
    line.clear();
    while (!too_long_) {
      if (pos_ == end_) {
        if (!in_) return !line.empty();
        in_.read(buf_.data(), static_cast<std::streamsize>(buf_.size()));
        pos_ = 0;
        end_ = static_cast<std::size_t>(in_.gcount());
        if (end_ == 0) return !line.empty();
      }
      const char* start = buf_.data() + pos_;
      const void* nl = std::memchr(start, '\n', end_ - pos_);
      const std::size_t n = nl ? static_cast<const char*>(nl) - start : end_ - pos_;
      if (line.size() + n > kMaxLine) {
        too_long_ = true;
        return false;
      }
      line.append(start, n);
      pos_ += n;
      if (nl) {
        ++pos_;
        return true;
      }
    }
    return false;
  }
  [[nodiscard]] bool too_long() const override { return too_long_; }

 private:
  std::ifstream in_;
  std::array<char, 1 << 16> buf_{};
  std::size_t pos_ = 0, end_ = 0;
  bool too_long_ = false;
};

class FolderSource : public PackageSource {
 public:
  explicit FolderSource(fs::path dir) : dir_(std::move(dir)) {}
  std::optional<std::string> read(const std::string& name, std::size_t max_bytes) override {
    const fs::path p = dir_ / name;
    std::error_code ec;
    if (!fs::is_regular_file(fs::symlink_status(p, ec)) || fs::file_size(p, ec) > max_bytes) {
      return std::nullopt;
    }
    // At most max_bytes + 1 bytes, whatever the file grew to since its size was read.
    std::ifstream in(p, std::ios::binary);
    std::string out(max_bytes + 1, '\0');
    in.read(out.data(), static_cast<std::streamsize>(out.size()));
    if (in.bad()) return std::nullopt;
    out.resize(static_cast<std::size_t>(in.gcount()));
    if (out.size() > max_bytes) return std::nullopt;
    return out;
  }
  std::unique_ptr<Lines> lines(const std::string& name) override {
    std::error_code ec;
    if (!fs::is_regular_file(fs::symlink_status(dir_ / name, ec))) return nullptr;
    return std::make_unique<FolderLines>(dir_ / name);
  }
  std::vector<std::string> list() override {
    // Every entry; a symlink or anything but a file or folder is listed too (so it fails as
    // unlisted), and a folder that cannot be read is reported rather than skipped.
    std::vector<std::string> out;
    std::error_code ec;
    fs::recursive_directory_iterator it(dir_, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
      const auto st = it->symlink_status(ec);
      if (fs::is_directory(st)) continue;
      out.push_back(fs::relative(it->path(), dir_, ec).generic_string());
    }
    if (ec) out.push_back("(unreadable: " + ec.message() + ")");
    return out;
  }

 private:
  fs::path dir_;
};

class MemoryLines : public PackageSource::Lines {
 public:
  explicit MemoryLines(std::string_view text) : rest_(text) {}
  bool next(std::string& line) override {
    if (rest_.empty()) return false;
    const std::size_t nl = rest_.find('\n');
    const std::size_t len = nl == std::string_view::npos ? rest_.size() : nl;
    if (len > kMaxLine) {
      too_long_ = true;
      return false;
    }
    line.assign(rest_.substr(0, len));
    rest_.remove_prefix(nl == std::string_view::npos ? rest_.size() : nl + 1);
    return true;
  }
  [[nodiscard]] bool too_long() const override { return too_long_; }

 private:
  std::string_view rest_;
  bool too_long_ = false;
};

class MemorySource : public PackageSource {
 public:
  explicit MemorySource(std::map<std::string, std::string> files) : files_(std::move(files)) {}
  std::optional<std::string> read(const std::string& name, std::size_t max_bytes) override {
    auto it = files_.find(name);
    if (it == files_.end() || it->second.size() > max_bytes) return std::nullopt;
    return it->second;
  }
  std::unique_ptr<Lines> lines(const std::string& name) override {
    auto it = files_.find(name);
    return it == files_.end() ? nullptr : std::make_unique<MemoryLines>(it->second);
  }
  std::vector<std::string> list() override {
    std::vector<std::string> out;
    for (const auto& [name, text] : files_) out.push_back(name);
    return out;
  }

 private:
  std::map<std::string, std::string> files_;
};

// ---------------------------------------------------------------- small parsers

json::object parse_object(std::string_view text, const std::string& what) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) failed(what + " is not a JSON object");
  return std::move(v.as_object());
}

const json::value& member(const json::object& o, std::string_view key, const std::string& what) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) failed(what + " has no \"" + std::string(key) + "\"");
  return *v;
}

std::string text_of(const json::object& o, std::string_view key, const std::string& what) {
  const json::value& v = member(o, key, what);
  if (!v.is_string()) failed(what + ": \"" + std::string(key) + "\" is not a string");
  return std::string(v.as_string());
}

std::uint64_t number_of(const json::object& o, std::string_view key, const std::string& what) {
  const json::value& v = member(o, key, what);
  if (v.is_uint64()) return v.as_uint64();
  if (v.is_int64() && v.as_int64() >= 0) return static_cast<std::uint64_t>(v.as_int64());
  failed(what + ": \"" + std::string(key) + "\" is not a non-negative integer");
}

// Lowercase or uppercase hex of exactly 32 bytes, decoded in place (this runs for every hash
// of every proof: no allocation).
Digest hex_digest(std::string_view hex, const std::string& what) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  Digest d;
  if (hex.size() != 64) failed(what + " is not a 32-byte hex digest");
  for (std::size_t i = 0; i < 32; ++i) {
    const int hi = nibble(hex[2 * i]);
    const int lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) failed(what + " is not a 32-byte hex digest");
    d[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return d;
}

std::vector<Digest> path_of(const json::object& o, const std::string& what) {
  const json::value& v = member(o, "path", what);
  if (!v.is_array()) failed(what + ": \"path\" is not an array");
  if (v.as_array().size() > 64) failed(what + ": \"path\" is longer than any tree's");
  std::vector<Digest> out;
  for (const auto& h : v.as_array()) {
    if (!h.is_string()) failed(what + ": a path entry is not a string");
    out.push_back(hex_digest(h.as_string(), what + " path entry"));
  }
  return out;
}

std::string hex(const Digest& d) {
  return to_hex(d);
}

std::string sha256_hex(std::string_view bytes) {
  return to_hex(crypto::sha256(bytes));
}

struct SignedCheckpoint {
  std::string origin;
  std::uint64_t size = 0;
  Digest root{};
  std::string note;
};

// A checkpoint note (C2SP tlog-checkpoint): signed by `node`, its body parsed.
SignedCheckpoint open_checkpoint(const std::string& note, const crypto::NoteVerifier& node,
                                 const std::string& what) {
  auto text = node.open(note);
  if (!text) failed(what + " is not signed by the node key: " + text.error().message);
  std::vector<std::string_view> lines;
  std::string_view rest = *text;
  while (!rest.empty()) {
    const std::size_t nl = rest.find('\n');
    if (nl == std::string_view::npos) failed(what + " has a line without a newline");
    lines.push_back(rest.substr(0, nl));
    rest.remove_prefix(nl + 1);
  }
  if (lines.size() < 3) failed(what + " lacks its origin, size or root line");
  SignedCheckpoint cp;
  cp.origin = std::string(lines[0]);
  const std::string_view size = lines[1];
  if (size.empty() || size.size() > 20 || (size.size() > 1 && size[0] == '0') ||
      !std::all_of(size.begin(), size.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    failed(what + " has a malformed tree size");
  }
  cp.size = std::stoull(std::string(size));
  auto root = from_base64(lines[2]);
  if (!root || root->size() != 32) failed(what + " has a malformed root");
  std::memcpy(cp.root.data(), root->data(), 32);
  cp.note = note;
  return cp;
}

// One record's leaf bytes, read as the canonical Record they must be.
struct Leaf {
  std::uint64_t seq = 0, stream_version = 0, stream_prev_seq = 0;
  std::int64_t recorded_at = 0, occurred_at = 0;
  int occurred_offset = 0;  // minutes east of UTC the sender wrote occurredAt in
  std::string command_id, actor, stream, type;
  Digest payload_digest{}, prev_hash{};
};

Leaf decode_leaf(std::string_view bytes, const std::string& what) {
  if (bytes.empty() || bytes.size() % sizeof(capnp::word) != 0 || bytes.size() > kMaxLine) {
    failed(what + ": leaf bytes are not a whole number of words");
  }
  kj::Array<capnp::word> words = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
  std::memcpy(words.begin(), bytes.data(), bytes.size());
  kj::ArrayPtr<const capnp::word> segments[1] = {words};
  try {
    capnp::ReaderOptions options;
    options.traversalLimitInWords = words.size() * 2 + 64;
    options.nestingLimit = 8;
    capnp::SegmentArrayMessageReader reader(kj::arrayPtr(segments, 1), options);
    if (!reader.isCanonical()) failed(what + ": leaf bytes are not canonical");
    auto r = reader.getRoot<schema::Record>();
    if (r.hasPayload()) failed(what + ": leaf bytes carry a payload (the leaf form has none)");
    if (!r.hasCommandId() || !r.hasActor() || !r.hasStream() || !r.hasType()) {
      failed(what + ": a text field is missing (custody writes every one)");
    }
    if (r.getPayloadDigest().size() != 32 || r.getPrevHash().size() != 32) {
      failed(what + ": hash fields are not 32 bytes");
    }
    // Whole texts, by size; a NUL inside one is refused (custody never writes one, and a
    // C-string reader would show less than was hashed).
    auto text = [&](capnp::Text::Reader t) {
      std::string s(t.cStr(), t.size());
      if (s.find('\0') != std::string::npos) failed(what + ": a text field holds a NUL byte");
      return s;
    };
    Leaf out;
    out.seq = r.getSeq();
    out.recorded_at = r.getRecordedAt();
    out.occurred_at = r.getOccurredAt();
    out.occurred_offset = r.getOccurredOffset();
    if (out.occurred_offset < -(23 * 60 + 59) || out.occurred_offset > 23 * 60 + 59 ||
        (out.occurred_offset != 0 && out.occurred_at == 0)) {
      failed(what + ": occurredOffset is not a UTC offset");
    }
    out.command_id = text(r.getCommandId());
    out.actor = text(r.getActor());
    out.stream = text(r.getStream());
    out.stream_version = r.getStreamVersion();
    out.stream_prev_seq = r.getStreamPrevSeq();
    out.type = text(r.getType());
    std::memcpy(out.payload_digest.data(), r.getPayloadDigest().begin(), 32);
    std::memcpy(out.prev_hash.data(), r.getPrevHash().begin(), 32);
    return out;
  } catch (const kj::Exception& e) {
    failed(what + ": leaf bytes do not parse: " + std::string(e.getDescription().cStr()));
  }
}

// Standard base64 with padding, as the package writes it. The data is public, so OpenSSL's
// fast decoder serves (libsodium's constant-time one is for secrets).
std::string decode_b64(const json::value& v, const std::string& what) {
  if (!v.is_string()) failed(what + " is not a base64 string");
  const std::string_view in = v.as_string();
  if (in.size() % 4 != 0) failed(what + " is not valid base64");
  std::string out(in.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  if (n < 0) failed(what + " is not valid base64");
  std::size_t pad = 0;
  while (pad < 2 && pad < in.size() && in[in.size() - 1 - pad] == '=') ++pad;
  out.resize(static_cast<std::size_t>(n) - pad);
  // EVP_DecodeBlock skips leading and trailing whitespace (and refuses it inside); the
  // package has none.
  auto space = [](char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
  };
  if (!in.empty() && (space(in.front()) || space(in.back()))) failed(what + " is not valid base64");
  return out;
}

// The readable record says what its bytes say (the payload's rendering aside).
void check_readable(const json::object& rec, const Leaf& leaf, const Digest& hash,
                    const std::string& what) {
  auto same_text = [&](std::string_view key, const std::string& want) {
    if (text_of(rec, key, what) != want)
      failed(what + ": \"" + std::string(key) + "\" differs from the hashed bytes");
  };
  if (number_of(rec, "seq", what) != leaf.seq) failed(what + ": \"seq\" differs from the bytes");
  if (number_of(rec, "streamVersion", what) != leaf.stream_version) {
    failed(what + ": \"streamVersion\" differs from the hashed bytes");
  }
  same_text("hash", hex(hash));
  same_text("prevHash", hex(leaf.prev_hash));
  same_text("payloadDigest", hex(leaf.payload_digest));
  same_text("commandId", leaf.command_id);
  same_text("actor", leaf.actor);
  same_text("stream", leaf.stream);
  same_text("type", leaf.type);
  same_text("recordedAt", format_rfc3339(leaf.recorded_at));
  if (leaf.occurred_at != 0) {
    same_text("occurredAt", format_rfc3339(leaf.occurred_at, leaf.occurred_offset));
  } else if (rec.contains("occurredAt")) {
    failed(what + ": \"occurredAt\" is not in the hashed bytes");
  }
  const std::uint64_t prev =
      rec.contains("streamPrevSeq") ? number_of(rec, "streamPrevSeq", what) : 0;
  if (prev != leaf.stream_prev_seq) {
    failed(what + ": \"streamPrevSeq\" differs from the hashed bytes");
  }
}

void run_checks(PackageSource& src, const VerifyOptions& options, PackageReport& rep) {
  // 1. The manifest, signed by the node key.
  auto manifest_text = src.read("manifest.json", kSmallFile);
  if (!manifest_text) failed("manifest.json is missing (is this an audit package?)");
  auto sig = src.read("manifest.sig", kSmallFile);
  if (!sig) failed("manifest.sig is missing");
  auto node_pub = src.read("node.pub", kSmallFile);
  if (!node_pub) failed("node.pub is missing");
  std::string package_key = *node_pub;
  while (!package_key.empty() && (package_key.back() == '\n' || package_key.back() == '\r')) {
    package_key.pop_back();
  }
  if (!options.trusted_key.empty() && options.trusted_key != package_key) {
    failed("the package's node.pub is not the key you trust (" + options.trusted_key + ")");
  }
  rep.key = package_key;
  rep.key_trusted = !options.trusted_key.empty();
  auto node = crypto::NoteVerifier::parse(package_key);
  if (!node) failed("node.pub is not a verifier key: " + node.error().message);

  const json::object manifest = parse_object(*manifest_text, "manifest.json");
  rep.format = text_of(manifest, "format", "manifest.json");
  if (rep.format != kFormat) failed("manifest.json: unknown format " + rep.format);
  rep.origin = text_of(manifest, "origin", "manifest.json");
  auto statement = node->open(*sig);
  if (!statement)
    failed("manifest.sig is not signed by the node key: " + statement.error().message);
  if (*statement !=
      std::string(kFormat) + "\n" + rep.origin + "\n" + sha256_hex(*manifest_text) + "\n") {
    failed("manifest.sig signs another manifest (manifest.json was changed)");
  }
  rep.selection = json::serialize(member(manifest, "selection", "manifest.json"));
  rep.tree_size = number_of(manifest, "treeSize", "manifest.json");
  rep.first_tree_size = number_of(manifest, "firstTreeSize", "manifest.json");
  const std::uint64_t want_records = number_of(manifest, "records", "manifest.json");
  const std::uint64_t want_redacted = number_of(manifest, "redacted", "manifest.json");

  // 2. Exactly the files the manifest lists, each with its SHA-256.
  const json::value& files_v = member(manifest, "files", "manifest.json");
  if (!files_v.is_object()) failed("manifest.json: \"files\" is not an object");
  std::map<std::string, std::string> files;
  for (const auto& [name, digest] : files_v.as_object()) {
    if (!safe_name(name) || !digest.is_string()) failed("manifest.json lists a bad file name");
    files.emplace(std::string(name), std::string(digest.as_string()));
  }
  for (const auto& name : src.list()) {
    if (name != "manifest.json" && name != "manifest.sig" && !files.contains(name)) {
      failed("the package holds a file its manifest does not list: " + name);
    }
  }
  const std::string newest_name = "checkpoints/" + std::to_string(rep.tree_size) + ".txt";
  const std::string first_name = "checkpoints/" + std::to_string(rep.first_tree_size) + ".txt";
  for (const std::string& need :
       {std::string("records.ndjson"), std::string("evidence.ndjson"), std::string("node.pub"),
        std::string("consistency.json"), newest_name, first_name}) {
    if (!files.contains(need)) failed("manifest.json does not list " + need);
  }
  std::map<std::string, std::string> small;  // read once: what is hashed is what is parsed
  for (const auto& [name, digest] : files) {
    if (name == "records.ndjson" || name == "evidence.ndjson") continue;  // hashed as read
    auto bytes = src.read(name, name == "index.html" ? kLargeFile : kSmallFile);
    if (!bytes) failed(name + " is missing or too large");
    if (sha256_hex(*bytes) != digest) failed(name + " is not the file the manifest lists");
    small.emplace(name, std::move(*bytes));
  }
  rep.files = files.size();

  // 3. The checkpoints, signed by the node, and the older one a prefix of the newer.
  const auto newest = open_checkpoint(small.at(newest_name), *node, newest_name);
  const auto first = open_checkpoint(small.at(first_name), *node, first_name);
  for (const auto* cp : {&newest, &first}) {
    if (cp->origin != rep.origin) failed("a checkpoint is of another log: " + cp->origin);
  }
  if (newest.size != rep.tree_size || first.size != rep.first_tree_size) {
    failed("a checkpoint's tree size is not the one its file name and the manifest give");
  }
  rep.root_hex = hex(newest.root);
  rep.first_root_hex = hex(first.root);
  const json::object con = parse_object(small.at("consistency.json"), "consistency.json");
  if (number_of(con, "fromSize", "consistency.json") != first.size ||
      number_of(con, "toSize", "consistency.json") != newest.size) {
    failed("consistency.json is not between the package's checkpoints");
  }
  if (!crypto::verify_consistency(first.size, newest.size, first.root, newest.root,
                                  path_of(con, "consistency.json"))) {
    failed("the consistency proof does not verify: checkpoint " + std::to_string(first.size) +
           " is not proven a prefix of " + std::to_string(newest.size));
  }
  std::set<std::uint32_t> witness_ids;  // each witness counts once; the node is none
  for (const auto& w : options.witness_keys) {
    auto wv = crypto::NoteVerifier::parse(w);
    if (!wv) failed("witness key " + w + " is not a verifier key");
    if (wv->vkey() == node->vkey()) failed("the node's own key cannot be a witness");
    if (!witness_ids.insert(wv->key_id()).second) continue;
    if (wv->open(newest.note)) rep.witnesses.push_back(wv->name());
  }
  if (rep.witnesses.size() < options.min_witnesses) {
    failed("checkpoint " + std::to_string(newest.size) + " carries " +
           std::to_string(rep.witnesses.size()) + " of the " +
           std::to_string(options.min_witnesses) + " witness signatures required");
  }

  // 4. Every record: its bytes, its hash, its proof, its readable line; in seq order.
  auto evidence = src.lines("evidence.ndjson");
  auto readable = src.lines("records.ndjson");
  if (!evidence || !readable) failed("records.ndjson or evidence.ndjson is missing");
  crypto::Sha256 evidence_sha, readable_sha;
  std::string ev_line, rd_line;
  std::optional<std::pair<std::uint64_t, Digest>> previous;  // seq, leaf hash
  std::map<std::string, std::vector<std::pair<std::uint64_t, Leaf>>> streams;
  std::int64_t earliest = INT64_MAX, latest = INT64_MIN;  // recordedAt
  std::uint64_t line_no = 0;
  while (evidence->next(ev_line)) {
    ++line_no;
    evidence_sha.update(ev_line);
    evidence_sha.update(std::string_view("\n"));
    const std::string what = "evidence.ndjson line " + std::to_string(line_no);
    if (!readable->next(rd_line)) failed("records.ndjson has fewer lines than evidence.ndjson");
    readable_sha.update(rd_line);
    readable_sha.update(std::string_view("\n"));
    const json::object ev = parse_object(ev_line, what);
    const std::uint64_t seq = number_of(ev, "seq", what);
    if (previous && seq <= previous->first) {
      failed(what + ": seq " + std::to_string(seq) + " is out of order or repeated");
    }
    const std::string leaf_bytes = decode_b64(member(ev, "leafBytes", what), what + " leafBytes");
    const Leaf leaf = decode_leaf(leaf_bytes, what);
    if (leaf.seq != seq) failed(what + ": the bytes are of seq " + std::to_string(leaf.seq));
    const Digest hash = crypto::leaf_hash(
        std::span(reinterpret_cast<const std::uint8_t*>(leaf_bytes.data()), leaf_bytes.size()));
    const json::value& payload = member(ev, "payloadBytes", what);
    if (payload.is_null()) {
      ++rep.redacted;
    } else {
      const std::string p = decode_b64(payload, what + " payloadBytes");
      if (crypto::sha256(p) != leaf.payload_digest) {
        failed(what + ": the payload is not the one its digest names (seq " + std::to_string(seq) +
               ")");
      }
    }
    if (seq > first.size) {
      failed(what + ": seq " + std::to_string(seq) + " is beyond checkpoint " +
             std::to_string(first.size));
    }
    if (!crypto::verify_inclusion(seq - 1, newest.size, hash, path_of(ev, what), newest.root)) {
      failed("record " + std::to_string(seq) + " is not proven in the tree of checkpoint " +
             std::to_string(newest.size));
    }
    if (previous && previous->first + 1 == seq && leaf.prev_hash != previous->second) {
      failed("record " + std::to_string(seq) + " does not link to record " +
             std::to_string(previous->first));
    }
    const json::object readable_rec =
        parse_object(rd_line, "records.ndjson line " + std::to_string(line_no));
    check_readable(readable_rec, leaf, hash, "records.ndjson line " + std::to_string(line_no));
    const json::value* shown_redacted = readable_rec.if_contains("redacted");
    if ((shown_redacted != nullptr && *shown_redacted == true) != payload.is_null()) {
      failed("records.ndjson line " + std::to_string(line_no) +
             ": \"redacted\" does not say whether the payload bytes are there");
    }
    if (rep.records == 0) rep.first_seq = seq;
    rep.last_seq = seq;
    ++rep.records;
    previous = std::pair{seq, hash};
    streams[leaf.stream].emplace_back(seq, leaf);
    earliest = std::min(earliest, leaf.recorded_at);
    latest = std::max(latest, leaf.recorded_at);
  }
  if (evidence->too_long() || readable->too_long()) failed("a line is longer than any record's");
  if (readable->next(rd_line)) failed("records.ndjson has more lines than evidence.ndjson");
  if (rep.records == 0) failed("the package holds no records");

  // 5. What the selection claims complete is: a range without gaps, or a stream from its
  // first version on.
  const json::value& complete_v = member(manifest, "complete", "manifest.json");
  if (!complete_v.is_object()) failed("manifest.json: \"complete\" is not an object");
  const json::object& complete = complete_v.as_object();
  if (complete.contains("firstSeq")) {
    const std::uint64_t a = number_of(complete, "firstSeq", "manifest.json complete");
    const std::uint64_t b = number_of(complete, "lastSeq", "manifest.json complete");
    if (rep.first_seq != a || rep.last_seq != b || b - a + 1 != rep.records) {
      failed("records " + std::to_string(a) + " to " + std::to_string(b) +
             " are not all in the package");
    }
    rep.complete = "seqs " + std::to_string(a) + "-" + std::to_string(b);
  } else {
    const std::string stream = text_of(complete, "stream", "manifest.json complete");
    const std::uint64_t through = number_of(complete, "throughVersion", "manifest.json complete");
    const auto& recs = streams[stream];
    std::uint64_t prev_seq = 0;
    for (std::size_t i = 0; i < recs.size(); ++i) {
      const Leaf& l = recs[i].second;
      if (l.stream_version != i + 1 || l.stream_prev_seq != prev_seq) {
        failed(stream + ": version " + std::to_string(i + 1) + " is missing from the package");
      }
      prev_seq = recs[i].first;
    }
    if (recs.size() != through) {
      failed(stream + ": the package holds versions 1-" + std::to_string(recs.size()) + " of the " +
             std::to_string(through) + " the manifest names");
    }
    rep.complete = stream + " versions 1-" + std::to_string(through);
  }

  // 6. And that is what the selection asked for.
  const json::value& sel_v = member(manifest, "selection", "manifest.json");
  if (!sel_v.is_object()) failed("manifest.json: \"selection\" is not an object");
  const json::object& sel = sel_v.as_object();
  const std::string kind = text_of(sel, "kind", "manifest.json selection");
  const bool range = complete.contains("firstSeq");
  if (kind == "all") {
    if (!range || rep.first_seq != 1 || rep.last_seq != rep.tree_size) {
      failed("the selection is every record, but the package is not records 1 to " +
             std::to_string(rep.tree_size));
    }
  } else if (kind == "lot" || kind == "workOrder") {
    const std::string want = (kind == "lot" ? "lot:" : "wo:") + text_of(sel, kind, "selection");
    if (range || text_of(complete, "stream", "manifest.json complete") != want) {
      failed("the selection is " + want + ", but the package proves another stream complete");
    }
  } else if (kind == "time") {
    auto from = parse_rfc3339(text_of(sel, "from", "manifest.json selection"));
    auto to = parse_rfc3339(text_of(sel, "to", "manifest.json selection"));
    if (!from || !to) failed("manifest.json: the selection's times are not RFC 3339");
    if (!range || earliest < *from || latest >= *to) {
      failed("the selection is records recorded from " + format_rfc3339(*from) + " to " +
             format_rfc3339(*to) + ", but the package holds others");
    }
  } else {
    failed("manifest.json: unknown selection " + kind);
  }
  // Last, so that what is missing or added is named above when it can be.
  if (rep.records != want_records || rep.redacted != want_redacted) {
    failed("the manifest says " + std::to_string(want_records) + " records, " +
           std::to_string(want_redacted) + " redacted; the package holds " +
           std::to_string(rep.records) + ", " + std::to_string(rep.redacted));
  }
  if (to_hex(evidence_sha.finish()) != files.at("evidence.ndjson")) {
    failed("evidence.ndjson is not the file the manifest lists");
  }
  if (to_hex(readable_sha.finish()) != files.at("records.ndjson")) {
    failed("records.ndjson is not the file the manifest lists");
  }
  rep.proven = true;
}

std::string json_quote(std::string_view s) {
  return json::serialize(json::string(s));
}

}  // namespace

std::unique_ptr<PackageSource> folder_source(const fs::path& dir) {
  return std::make_unique<FolderSource>(dir);
}

std::unique_ptr<PackageSource> memory_source(std::map<std::string, std::string> files) {
  return std::make_unique<MemorySource>(std::move(files));
}

PackageReport verify_package(PackageSource& source, const VerifyOptions& options) {
  PackageReport rep;
  try {
    run_checks(source, options, rep);
  } catch (const Failure& f) {
    rep.proven = false;
    rep.failure = f.what;
  } catch (const std::exception& e) {  // bad_alloc, a JSON number out of range, ...
    rep.proven = false;
    rep.failure = std::string("the package could not be read: ") + e.what();
  }
  return rep;
}

std::string PackageReport::json() const {
  std::string o = "{\"proven\":" + std::string(proven ? "true" : "false");
  if (!proven) o += ",\"failure\":" + json_quote(failure);
  o += ",\"format\":" + json_quote(format) + ",\"origin\":" + json_quote(origin);
  o += ",\"key\":" + json_quote(key) + ",\"keyTrusted\":" + (key_trusted ? "true" : "false");
  if (proven) {
    o += ",\"selection\":" + selection;
    o += ",\"treeSize\":" + std::to_string(tree_size) + ",\"root\":" + json_quote(root_hex);
    o += ",\"firstTreeSize\":" + std::to_string(first_tree_size) +
         ",\"firstRoot\":" + json_quote(first_root_hex);
    o += ",\"records\":" + std::to_string(records) + ",\"redacted\":" + std::to_string(redacted);
    o += ",\"firstSeq\":" + std::to_string(first_seq) + ",\"lastSeq\":" + std::to_string(last_seq);
    o += ",\"complete\":" + json_quote(complete) + ",\"files\":" + std::to_string(files);
    o += ",\"witnesses\":[";
    for (std::size_t i = 0; i < witnesses.size(); ++i) {
      if (i > 0) o += ',';
      o += json_quote(witnesses[i]);
    }
    o += "]";
  }
  return o + "}";
}

std::string PackageReport::text() const {
  // Everything printed from a package goes to a terminal: no control character of its own
  // (a carriage return or an escape sequence could forge a line of this report).
  const auto printable = [](std::string s) {
    for (char& c : s) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    }
    return s;
  };
  if (!proven) return "NOT PROVEN: " + printable(failure) + "\n";
  std::string t;
  t += "PROVEN: " + std::to_string(records) + " records (seqs " + std::to_string(first_seq) +
       " to " + std::to_string(last_seq) + ") of " + printable(origin) + "\n";
  t += "  selection:   " + printable(selection) + "; complete: " + printable(complete) + "\n";
  t += "  in the tree: checkpoint " + std::to_string(tree_size) + ", root " + root_hex + "\n";
  if (first_tree_size != tree_size) {
    t += "  held since:  checkpoint " + std::to_string(first_tree_size) + ", root " +
         first_root_hex + ", proven a prefix of it\n";
  }
  t += "  signed by:   " + printable(key) +
       (key_trusted ? " (the key you gave)\n"
                    : "\n               (the package's own key: compare it with a copy you got "
                      "from the plant, or pass --key-file)\n");
  t += "  witnesses:   " +
       (witnesses.empty() ? std::string("none cosigned") : std::to_string(witnesses.size())) + "";
  for (const auto& w : witnesses) t += " " + printable(w);
  t += "\n";
  if (redacted > 0) {
    t += "  redacted:    " + std::to_string(redacted) +
         " payloads removed; their digests are still proven\n";
  }
  t += "  files:       " + std::to_string(files) + " as the signed manifest lists them\n";
  return t;
}

}  // namespace custody::verify
