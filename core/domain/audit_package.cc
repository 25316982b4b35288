#include "custody/domain/audit_package.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <set>

#include "custody/codec/json_writer.h"
#include "custody/common/encoding.h"
#include "custody/common/files.h"
#include "custody/crypto/merkle_proof.h"
#include "custody/domain/command_codec.h"
#include "custody/domain/signatures.h"
#include "custody/ledger/checkpoint.h"
#include "custody/ledger/node_key.h"
#include "custody/ledger/proof.h"
#include "custody/ledger/record.h"
#include "custody/ledger/witness.h"

namespace custody::domain {
namespace {

namespace fs = std::filesystem;
using crypto::Digest;

// The records of one package: their seqs, in order, and what the manifest says they are.
struct Chosen {
  std::vector<std::uint64_t> seqs;
  std::uint64_t after_checkpoint = 0;
  std::string complete_json;  // the manifest's "complete" member
};

std::string b64(std::string_view v) {
  return to_base64(std::span(reinterpret_cast<const std::uint8_t*>(v.data()), v.size()));
}

std::string escape_html(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// A file of the package, hashed as it is written.
class PackageFile {
 public:
  PackageFile(const fs::path& dir, std::string name) : name_(std::move(name)) {
    out_.open(dir / name_, std::ios::binary | std::ios::trunc);
  }
  void write(std::string_view bytes) {
    out_.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    sha_.update(bytes);
  }
  // Closes the file; its name and SHA-256 (hex), or an I/O error.
  Result<std::pair<std::string, std::string>> close() {
    out_.flush();
    const bool ok = out_.good();
    out_.close();
    if (!ok) return fail(ErrorCode::kIoError, "cannot write " + name_);
    return std::pair{name_, to_hex(sha_.finish())};
  }

 private:
  std::string name_;
  std::ofstream out_;
  crypto::Sha256 sha_;
};

Result<TimeNs> recorded_at(const ledger::Snapshot& snap, std::uint64_t seq) {
  auto bytes = snap.record(seq);
  if (!bytes) return std::unexpected(bytes.error());
  auto f = ledger::decode_record(*bytes);
  if (!f) return std::unexpected(f.error());
  return f->recorded_at;
}

// The first seq in [1, head + 1] recorded at or after t (recordedAt never decreases).
Result<std::uint64_t> first_recorded_from(const ledger::Snapshot& snap, TimeNs t) {
  std::uint64_t lo = 1;
  std::uint64_t hi = snap.head().seq + 1;
  while (lo < hi) {
    const std::uint64_t mid = lo + (hi - lo) / 2;
    auto at = recorded_at(snap, mid);
    if (!at) return std::unexpected(at.error());
    if (*at < t) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

Result<Chosen> choose(const ledger::Snapshot& snap, const PackageSelection& sel,
                      std::uint64_t tree_size) {
  Chosen out;
  auto range = [&](std::uint64_t first, std::uint64_t end) {  // seqs [first, end)
    const std::uint64_t covered_end = std::min(end, tree_size + 1);
    for (std::uint64_t s = first; s < covered_end; ++s) out.seqs.push_back(s);
    out.after_checkpoint = end > covered_end ? end - std::max(covered_end, first) : 0;
    if (!out.seqs.empty()) {
      out.complete_json = "{\"firstSeq\":" + std::to_string(out.seqs.front()) +
                          ",\"lastSeq\":" + std::to_string(out.seqs.back()) + "}";
    }
  };
  switch (sel.kind) {
    case PackageSelection::Kind::kAll:
      range(1, snap.head().seq + 1);
      break;
    case PackageSelection::Kind::kTimeRange: {
      if (sel.to <= sel.from) {
        return fail(ErrorCode::kInvalidArgument, "the end of the range must be after its start",
                    "to");
      }
      auto first = first_recorded_from(snap, sel.from);
      if (!first) return std::unexpected(first.error());
      auto end = first_recorded_from(snap, sel.to);
      if (!end) return std::unexpected(end.error());
      if (*first == *end) {
        return fail(ErrorCode::kNotFound, "no record was recorded in that range", "from");
      }
      range(*first, *end);
      break;
    }
    case PackageSelection::Kind::kLot:
    case PackageSelection::Kind::kWorkOrder: {
      const bool lot = sel.kind == PackageSelection::Kind::kLot;
      const std::string stream = (lot ? "lot:" : "wo:") + sel.id;
      std::set<std::uint64_t> seqs;
      auto r = snap.stream_records(stream, 1, 0, [&](std::uint64_t seq, std::string_view) {
        if (seq > tree_size) {
          ++out.after_checkpoint;
          return true;
        }
        seqs.insert(seq);
        return true;
      });
      // A stream's versions run 1, 2, ... in seq order, so those within the tree are versions
      // 1 to their count.
      const std::uint64_t last_version = seqs.size();
      if (!r) return std::unexpected(r.error());
      if (seqs.empty() && out.after_checkpoint == 0) {
        return fail(ErrorCode::kNotFound, "no records of " + stream, lot ? "lot" : "workOrder");
      }
      // The electronic signatures over them (their manifestations are records too).
      for (std::uint64_t seq : std::vector(seqs.begin(), seqs.end())) {
        auto sigs = signatures_of(snap, seq);
        if (!sigs) return std::unexpected(sigs.error());
        for (const auto& s : *sigs) {
          if (s.seq <= tree_size) seqs.insert(s.seq);
        }
      }
      out.seqs.assign(seqs.begin(), seqs.end());
      std::string complete;
      codec::JsonWriter w(complete);
      w.begin_object().key("stream").string(stream).key("throughVersion").uint64(last_version);
      w.end_object();
      out.complete_json = complete;
      break;
    }
  }
  if (out.seqs.empty()) {
    return fail(ErrorCode::kNotFound,
                "none of the selected records is covered by a signed checkpoint yet", "records");
  }
  return out;
}

void write_selection(const PackageSelection& sel, codec::JsonWriter& w) {
  w.begin_object();
  switch (sel.kind) {
    case PackageSelection::Kind::kAll:
      w.key("kind").string("all");
      break;
    case PackageSelection::Kind::kLot:
      w.key("kind").string("lot").key("lot").string(sel.id);
      break;
    case PackageSelection::Kind::kWorkOrder:
      w.key("kind").string("workOrder").key("workOrder").string(sel.id);
      break;
    case PackageSelection::Kind::kTimeRange:
      w.key("kind").string("time").key("from").string(format_rfc3339(sel.from));
      w.key("to").string(format_rfc3339(sel.to));
      break;
  }
  w.end_object();
}

std::string describe(const PackageSelection& sel) {
  switch (sel.kind) {
    case PackageSelection::Kind::kAll:
      return "every record of the ledger";
    case PackageSelection::Kind::kLot:
      return "the records of lot " + sel.id + " and the signatures over them";
    case PackageSelection::Kind::kWorkOrder:
      return "the records of work order " + sel.id + " and the signatures over them";
    case PackageSelection::Kind::kTimeRange:
      return "the records recorded from " + format_rfc3339(sel.from) + " to " +
             format_rfc3339(sel.to);
  }
  return {};
}

// One row of the index's table, from the record's readable JSON.
struct Row {
  std::uint64_t seq;
  std::string occurred_at, recorded_at, type, stream, actor, hash;
};

std::string index_html(const std::string& origin, const PackageSelection& sel,
                       const PackageSummary& sum, const std::string& vkey,
                       const std::string& root_hex, const std::vector<Row>& rows,
                       std::uint64_t total, TimeNs now) {
  auto e = escape_html;
  std::string h;
  h += "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n";
  h += "<title>Audit package: " + e(describe(sel)) + "</title>\n";
  h += "<style>body{font:15px/1.45 system-ui,sans-serif;max-width:70em;margin:2em auto;"
       "padding:0 1em;color:#1b1b1b}code,td.h{font-family:ui-monospace,monospace}"
       "table{border-collapse:collapse;width:100%;font-size:13px}th,td{border-bottom:1px solid "
       "#ddd;padding:.25em .5em;text-align:left;vertical-align:top}td.h{word-break:break-all}"
       "</style></head><body>\n";
  std::string what = describe(sel);
  if (!what.empty()) what[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(what[0])));
  h += "<h1>Audit package</h1>\n<p>" + e(what) + ", from the ledger <code>" + e(origin) +
       "</code>, written " + e(format_rfc3339(now)) + ".</p>\n";
  h += "<h2>What is inside</h2>\n<ul>\n";
  h += "<li><b>" + std::to_string(sum.records) +
       " records</b>, each as the bytes its hash is "
       "computed over (<code>evidence.ndjson</code>) and as readable JSON "
       "(<code>records.ndjson</code>)";
  if (sum.redacted > 0) {
    h += "; " + std::to_string(sum.redacted) + " of them redacted (payload removed, digest kept)";
  }
  h += ".</li>\n";
  h += "<li>An inclusion proof for every record in the tree of <b>" +
       std::to_string(sum.tree_size) + " records</b> signed by the checkpoint <code>checkpoints/" +
       std::to_string(sum.tree_size) + ".txt</code> (root <code>" + e(root_hex) +
       "</code>).</li>\n";
  if (sum.first_tree_size != sum.tree_size) {
    h += "<li>The oldest checkpoint that already held them, <code>checkpoints/" +
         std::to_string(sum.first_tree_size) +
         ".txt</code>, and a consistency proof (<code>consistency.json</code>) that it is a "
         "prefix of the newer one: nothing it covered was changed since.</li>\n";
  }
  h += "<li>The node's public key, <code>node.pub</code>: <code>" + e(vkey) + "</code>.</li>\n";
  h += "<li><code>manifest.json</code>, the SHA-256 of every other file, signed by that key in "
       "<code>manifest.sig</code>, so a record taken out or added is seen.</li>\n</ul>\n";
  if (sum.after_checkpoint > 0) {
    h += "<p><b>Not included:</b> " + std::to_string(sum.after_checkpoint) +
         " selected records recorded after the newest checkpoint.</p>\n";
  }
  h += "<h2>How to check it</h2>\n<ol>\n"
       "<li>Get the ledger's public key from the plant by a channel you trust (not from this "
       "folder) and compare it with <code>node.pub</code>.</li>\n"
       "<li>Run <code>custody-verify THIS-FOLDER --key-file YOUR-COPY-OF-node.pub</code>. It "
       "needs nothing else: no database, no server, no network.</li>\n"
       "<li>It checks the manifest's signature and every file's SHA-256; each checkpoint's "
       "signature; the consistency proof; each record's hash from its bytes, its payload "
       "digest, and its inclusion proof (RFC 9162); that the readable JSON says what the bytes "
       "say; and that no record of a complete stream or range is missing. It prints what is "
       "proven and exits 0, or says what failed and exits 3.</li>\n"
       "<li>The proofs can also be checked by hand or with any RFC 9162 implementation: a "
       "record's hash is SHA-256(0x00 || its leaf bytes); an interior node is "
       "SHA-256(0x01 || left || right).</li>\n</ol>\n";
  h += "<h2>Records</h2>\n<table><thead><tr><th>seq</th><th>occurred</th><th>recorded</"
       "th><th>type</th>"
       "<th>stream</th><th>actor</th><th>hash</th></tr></thead><tbody>\n";
  for (const auto& r : rows) {
    h += "<tr><td>" + std::to_string(r.seq) + "</td><td>" + e(r.occurred_at) + "</td><td>" +
         e(r.recorded_at) + "</td><td>" + e(r.type) + "</td><td>" + e(r.stream) + "</td><td>" +
         e(r.actor) + "</td><td class=\"h\">" + e(r.hash) + "</td></tr>\n";
  }
  h += "</tbody></table>\n";
  if (total > rows.size()) {
    h += "<p>And " + std::to_string(total - rows.size()) +
         " more; <code>records.ndjson</code> lists them all.</p>\n";
  }
  h += "</body></html>\n";
  return h;
}

}  // namespace

Result<PackageSummary> write_audit_package(const ledger::Snapshot& snap,
                                           const PackageSelection& selection,
                                           const crypto::NoteSigner& signer,
                                           const fs::path& out_arg, TimeNs now) {
  // "pkg/" names the folder pkg: the package is built beside it, not inside it.
  fs::path out = out_arg.lexically_normal();
  if (!out.has_filename()) out = out.parent_path();
  std::error_code ec;
  if (fs::exists(out, ec)) {
    return fail(ErrorCode::kInvalidArgument, "already exists: " + out.string(), "out");
  }
  const std::string vkey = signer.verifier().vkey();
  if (vkey != snap.store().current_public_key()) {
    return fail(ErrorCode::kPermissionDenied,
                "the signing key is not this ledger's current node key");
  }
  // Every checkpoint of the package is the current key's: those that cover its last rotation.
  std::uint64_t last_rotation = 0;
  if (auto r = snap.stream_records(ledger::kKeyStream, 1, 0,
                                   [&](std::uint64_t seq, std::string_view) {
                                     last_rotation = std::max(last_rotation, seq);
                                     return true;
                                   });
      !r) {
    return std::unexpected(r.error());
  }
  auto newest = ledger::checkpoint_note(snap, 0);
  if (!newest) return std::unexpected(newest.error());
  if (newest->empty()) {
    return fail(ErrorCode::kNotFound, "no checkpoint has been signed yet", "records");
  }
  // With the cosignatures witnesses sent back for it, when the ledger keeps any: custody-verify
  // names the witnesses whose keys the inspector gives.
  *newest = ledger::with_kept_cosignatures(snap.store().dir(), *newest);
  auto newest_cp = ledger::parse_checkpoint_note_unverified(*newest);
  if (!newest_cp) return std::unexpected(newest_cp.error());
  const std::uint64_t tree_size = newest_cp->size;

  auto chosen = choose(snap, selection, tree_size);
  if (!chosen) return std::unexpected(chosen.error());
  auto first_note =
      ledger::first_checkpoint_covering(snap, std::max(chosen->seqs.back(), last_rotation));
  if (!first_note) return std::unexpected(first_note.error());
  auto first_cp = ledger::parse_checkpoint_note_unverified(*first_note);
  if (!first_cp) return std::unexpected(first_cp.error());
  auto consistency = ledger::prove_consistency(snap, first_cp->size, tree_size);
  if (!consistency) return std::unexpected(consistency.error());
  const Digest root = consistency->to_root;

  PackageSummary sum;
  sum.tree_size = tree_size;
  sum.first_tree_size = first_cp->size;
  sum.after_checkpoint = chosen->after_checkpoint;

  // Built beside `out`, renamed into place when whole.
  const fs::path tmp =
      out.parent_path() / (out.filename().string() + ".partial-" + std::to_string(::getpid()));
  fs::remove_all(tmp, ec);
  if (!fs::create_directories(tmp / "checkpoints", ec) || ec) {
    return fail(ErrorCode::kIoError, "cannot create " + tmp.string() + ": " + ec.message(), "out");
  }
  auto failed = [&](Error e) -> Result<PackageSummary> {
    std::error_code ignored;
    fs::remove_all(tmp, ignored);
    return std::unexpected(std::move(e));
  };

  std::vector<std::pair<std::string, std::string>> files;  // name, sha256 hex
  auto keep = [&](Result<std::pair<std::string, std::string>> r) -> Result<void> {
    if (!r) return std::unexpected(r.error());
    files.push_back(std::move(*r));
    return {};
  };
  auto small_file = [&](const std::string& name, std::string_view text) {
    PackageFile f(tmp, name);
    f.write(text);
    return keep(f.close());
  };

  // Subtree roots are shared by neighbouring records' proofs: computed once.
  const auto stored = ledger::stored_subtrees(snap);
  std::map<std::pair<unsigned, std::uint64_t>, Digest> cache;
  const crypto::SubtreeFn subtree = [&](unsigned level, std::uint64_t index) {
    auto [it, fresh] = cache.try_emplace({level, index});
    if (fresh) it->second = stored(level, index);
    if (cache.size() > (1u << 20)) {
      const Digest d = it->second;
      cache.clear();
      return d;
    }
    return it->second;
  };

  PackageFile records(tmp, "records.ndjson");
  PackageFile evidence(tmp, "evidence.ndjson");
  std::vector<Row> rows;
  constexpr std::size_t kIndexRows = 1000;
  auto written = ledger::reading([&]() -> Result<void> {
    std::string line;
    for (std::uint64_t seq : chosen->seqs) {
      auto bytes = snap.record(seq);
      if (!bytes) return std::unexpected(bytes.error());
      auto fields = ledger::decode_record(*bytes);
      if (!fields) return std::unexpected(fields.error());
      const std::string leaf = ledger::canonical_record(*fields, ledger::RecordForm::kLeaf);
      const Digest leaf_hash = crypto::leaf_hash(
          std::span(reinterpret_cast<const std::uint8_t*>(leaf.data()), leaf.size()));
      const auto path = crypto::inclusion_path(seq - 1, tree_size, subtree);
      if (!crypto::verify_inclusion(seq - 1, tree_size, leaf_hash, path, root)) {
        return fail(ErrorCode::kCorruption, "record " + std::to_string(seq) +
                                                " does not prove into the signed tree; run "
                                                "`custody verify`");
      }
      line.clear();
      if (auto r = append_record_json(*bytes, line); !r) return r;
      line += '\n';
      records.write(line);
      if (rows.size() < kIndexRows) {
        rows.push_back(Row{seq,
                           fields->occurred_at != 0
                               ? format_rfc3339(fields->occurred_at, fields->occurred_offset)
                               : "",
                           format_rfc3339(fields->recorded_at), fields->type, fields->stream,
                           fields->actor, to_hex(leaf_hash)});
      }
      line.clear();
      codec::JsonWriter w(line);
      w.begin_object().key("seq").uint64(seq).key("leafBytes").string(b64(leaf));
      w.key("payloadBytes");
      if (fields->payload_present) {
        w.string(b64(fields->payload));
      } else {
        w.null();
        ++sum.redacted;
      }
      w.key("path").begin_array();
      for (const auto& d : path) w.string(to_hex(d));
      w.end_array().end_object();
      line += '\n';
      evidence.write(line);
      ++sum.records;
    }
    return {};
  });
  if (!written) return failed(written.error());
  for (auto* f : {&records, &evidence}) {
    if (auto r = keep(f->close()); !r) return failed(r.error());
  }

  std::string consistency_json;
  {
    codec::JsonWriter w(consistency_json);
    ledger::write_json(*consistency, w);
    consistency_json += '\n';
  }
  const std::string newest_name = "checkpoints/" + std::to_string(tree_size) + ".txt";
  const std::string first_name = "checkpoints/" + std::to_string(first_cp->size) + ".txt";
  const std::string origin = snap.store().meta().origin;
  for (const auto& file : std::vector<std::pair<std::string, std::string>>{
           {"node.pub", vkey + "\n"},
           {newest_name, *newest},
           {first_name, *first_note},
           {"consistency.json", consistency_json},
           {"index.html",
            index_html(origin, selection, sum, vkey, to_hex(root), rows, sum.records, now)}}) {
    const auto& [name, text] = file;
    if (std::any_of(files.begin(), files.end(),
                    [&](const auto& f) { return f.first == file.first; })) {
      continue;  // one checkpoint serves as both
    }
    if (auto r = small_file(name, text); !r) return failed(r.error());
  }

  std::string manifest;
  {
    codec::JsonWriter w(manifest);
    w.begin_object().key("format").string(kAuditPackageFormat);
    w.key("origin").string(origin).key("ledgerId").string(snap.store().meta().ledger_id);
    w.key("createdAt").string(format_rfc3339(now));
    w.key("selection");
    write_selection(selection, w);
    w.key("complete").raw(chosen->complete_json);
    w.key("records").uint64(sum.records).key("redacted").uint64(sum.redacted);
    w.key("treeSize").uint64(tree_size).key("firstTreeSize").uint64(first_cp->size);
    w.key("afterCheckpoint").uint64(sum.after_checkpoint);
    w.key("files").begin_object();
    std::sort(files.begin(), files.end());
    for (const auto& [name, digest] : files) w.key(name).string(digest);
    w.end_object().end_object();
    manifest += '\n';
  }
  if (auto r = small_file("manifest.json", manifest); !r) return failed(r.error());
  const std::string statement = std::string(kAuditPackageFormat) + "\n" + origin + "\n" +
                                to_hex(crypto::sha256(manifest)) + "\n";
  if (auto r = small_file("manifest.sig", signer.sign(statement)); !r) return failed(r.error());

  if (auto r = sync_dir(tmp); !r) return failed(r.error());
  fs::rename(tmp, out, ec);
  if (ec) return failed(Error::io("cannot move the package into place: " + ec.message()));
  return sum;
}

}  // namespace custody::domain
