// custody verify DIR [--checkpoint FILE] [--key VKEY|--key-file FILE] [--log-only]
#include <algorithm>
#include <iostream>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "cli/cli_common.h"
#include "cli/progress.h"
#include "custody/codec/json_writer.h"
#include "custody/common/encoding.h"
#include "custody/common/files.h"
#include "custody/domain/plant.h"
#include "custody/domain/signatures.h"
#include "custody/ledger/projection_check.h"
#include "custody/ledger/snapshot.h"
#include "custody/ledger/verifier.h"
#include "custody/ledger/witness.h"

namespace custody::cli {
namespace {

struct VerifyArgs {
  std::string dir;
  std::string checkpoint;
  std::string key;
  std::string key_file;
  std::vector<std::string> witness_keys;
  std::optional<std::size_t> min_witnesses;
  unsigned threads = 0;
  bool log_only = false;
};

// Checkpoint notes and verifier keys are a few hundred bytes; anything much larger is not one.
constexpr std::size_t kMaxNoteBytes = 64 << 10;

int verify(const VerifyArgs& a) {
  ledger::VerifyOptions options;
  options.threads = a.threads;
  if (!a.checkpoint.empty()) {
    auto text = read_file(a.checkpoint, kMaxNoteBytes);
    if (!text) return report(text.error());
    options.checkpoint = std::move(*text);
  }
  std::string vkey = a.key;
  if (!a.key_file.empty()) {
    auto text = read_key_file(a.key_file, "key");
    if (!text) return report(text.error());
    vkey = std::move(*text);
  }
  if (!vkey.empty()) {
    auto v = crypto::NoteVerifier::parse(vkey);
    if (!v) return report(v.error());
    options.key = std::move(*v);
  }
  // Witnesses: their keys are parsed before anything is read, and none may be the node's.
  std::vector<crypto::NoteVerifier> witnesses;
  for (const auto& w : a.witness_keys) {
    auto v = crypto::NoteVerifier::parse(trim_end(w));
    if (!v) return report(Error::invalid_argument("witnessKey", v.error().message));
    if (std::none_of(witnesses.begin(), witnesses.end(),
                     [&](const auto& x) { return x.vkey() == v->vkey(); })) {
      witnesses.push_back(std::move(*v));
    }
  }
  // Without --checkpoint, the witnesses' cosignatures are looked for on the newest cosigned
  // checkpoint the ledger keeps (DIR/cosigned, sent back by followers that witness it).
  if (!witnesses.empty() && !options.checkpoint) {
    auto kept = ledger::newest_cosigned(a.dir);
    if (!kept) return report(kept.error());
    if (!*kept) {
      return report(Error::invalid_argument(
          "checkpoint",
          "--witness-key needs --checkpoint (the cosigned checkpoint you hold), or "
          "a cosigned checkpoint kept in " +
              (std::filesystem::path(a.dir) / "cosigned").string()));
    }
    options.checkpoint = std::move(**kept);
  }
  const std::size_t min_witnesses =
      a.min_witnesses.value_or(witnesses.empty() ? std::size_t{0} : std::size_t{1});
  if (min_witnesses > witnesses.size()) {
    return report(Error::invalid_argument(
        "minWitnesses", "asks for " + std::to_string(min_witnesses) + " cosignatures but names " +
                            std::to_string(witnesses.size()) + " witness keys"));
  }
  // Damage that would stop any other command is what verify is for: it opens the ledger
  // whatever state it is in and says what it finds.
  auto machine = domain::make_state_machine();
  auto store = ledger::Store::open(
      a.dir, ledger::Store::OpenOptions{ledger::OpenMode::kReadOnly, ledger::OnDamage::kReport},
      machine->column_families());
  if (!store) return report(store.error());
  auto head = (*store)->read_head();
  const std::uint64_t total = head ? head->seq : 0;
  // The projections are replayed from the records the log check reads, as it reads them:
  // the log is read once, and the replay runs beside the checking.
  // A replay that cannot start (no room for its scratch database) is said after the log check,
  // whose findings come first.
  std::unique_ptr<ledger::ProjectionReplay> replay;
  std::optional<Error> replay_failed;
  if (!a.log_only) {
    auto started = ledger::ProjectionReplay::start(**store, *machine);
    if (started) {
      replay = std::move(*started);
      options.each_record = [&replay](std::string_view record) {
        replay->feed(record);
      };
    } else {
      replay_failed = started.error();
    }
  }
  std::optional<ledger::VerifyReport> checked;
  {
    Progress progress("verify", "records", total);
    options.progress = [&progress](std::uint64_t n) {
      progress.update(n);
    };
    auto r = ledger::verify_ledger(**store, options);
    if (!r) return report(r.error());
    checked = std::move(*r);
  }
  const auto* r = &*checked;
  if (r->ok && replay_failed) return report(*replay_failed);
  std::optional<ledger::ProjectionCheck> projections;
  if (r->ok && replay) {
    auto p = replay->finish();
    if (!p) return report(p.error());
    projections = std::move(*p);
  }
  replay.reset();  // the scratch database goes
  // Every electronic signature against the records it signs (found through the projections'
  // index, so after they were checked).
  std::optional<domain::SignatureCheck> signatures;
  if (r->ok && (!projections || projections->ok)) {
    ledger::Snapshot snap(**store);
    auto c = domain::check_signatures(snap);
    if (!c) return report(c.error());
    signatures = std::move(*c);
  }
  // The witnesses' cosignatures on the checkpoint the auditor holds (checked above to be a
  // tree head of this log signed by the node).
  std::vector<std::string> cosigned_by;
  bool witnessed = true;
  if (min_witnesses > 0) {
    for (const auto& w : witnesses) {
      if (store.has_value() && (w.vkey() == (*store)->meta().node_public_key ||
                                w.vkey() == (*store)->current_public_key())) {
        continue;
      }
      if (w.open(*options.checkpoint)) cosigned_by.push_back(w.name());
    }
    witnessed = cosigned_by.size() >= min_witnesses;
  }
  const bool ok =
      r->ok && witnessed && (!projections || projections->ok) && (!signatures || signatures->ok);

  std::string out;
  codec::JsonWriter w(out);
  w.begin_object();
  w.key("ok").boolean(ok);
  if (r->ok) {
    w.key("records").uint64(r->records);
    w.key("headSeq").uint64(r->head_seq);
    w.key("root").string(to_base64(r->root));
    w.key("rootHex").string(to_hex(r->root));
    w.key("checkpointsChecked").uint64(r->checkpoints_checked);
    if (r->redacted) w.key("redacted").uint64(r->redacted);
    w.key("key").string(r->trusted_key ? "given" : "ledger's own node key");
    if (min_witnesses > 0) {
      w.key("witnesses").begin_object();
      w.key("ok").boolean(witnessed);
      w.key("required").uint64(min_witnesses);
      w.key("cosignedBy").begin_array();
      for (const auto& n : cosigned_by) w.string(n);
      w.end_array();
      if (!witnessed) {
        w.key("reason").string("the checkpoint carries " + std::to_string(cosigned_by.size()) +
                               " of the " + std::to_string(min_witnesses) +
                               " witness cosignatures required");
      }
      w.end_object();
    }
    w.key("projections");
    if (!projections) {
      w.string("not checked");
    } else {
      w.begin_object();
      w.key("ok").boolean(projections->ok);
      if (projections->ok) {
        w.key("entries").uint64(projections->entries);
        w.key("digest").string(to_hex(projections->digest));
      } else {
        w.key("reason").string(projections->reason);
      }
      w.end_object();
    }
    w.key("signatures");
    if (!signatures) {
      w.string("not checked");
    } else {
      w.begin_object();
      w.key("ok").boolean(signatures->ok);
      w.key("checked").uint64(signatures->checked);
      if (!signatures->ok) {
        w.key("firstBadSeq").uint64(*signatures->first_bad_seq);
        w.key("reason").string(signatures->reason);
      }
      w.end_object();
    }
  } else {
    w.key("firstBadSeq");
    if (r->first_bad_seq) {
      w.uint64(*r->first_bad_seq);
    } else {
      w.null();
    }
    w.key("reason").string(r->reason);
    w.key("recordsVerified").uint64(r->records);
  }
  w.end_object();
  std::cout << out << "\n";
  return ok ? kExitOk : kExitTampered;
}

}  // namespace

void add_verify(CLI::App& app, Action& run) {
  auto* cmd = app.add_subcommand("verify", "Verify the hash chain, Merkle tree and checkpoints");
  auto a = std::make_shared<VerifyArgs>();
  cmd->add_option("DIR", a->dir, "Ledger directory")->required();
  cmd->add_option("--checkpoint", a->checkpoint, "A checkpoint note to check the log against");
  auto* key = cmd->add_option("--key", a->key, "Trusted verifier key (name+hash+base64)");
  cmd->add_option("--key-file", a->key_file, "File holding the trusted verifier key")
      ->excludes(key);
  cmd->add_option("--witness-key", a->witness_keys,
                  "A witness's verifier key; the --checkpoint (default: the newest cosigned "
                  "checkpoint kept in DIR/cosigned) must carry its cosignature (repeatable)");
  cmd->add_option("--min-witnesses", a->min_witnesses,
                  "How many of those witnesses must have cosigned (default 1)");
  cmd->add_option("--threads", a->threads, "Hashing threads (default: one per core)");
  cmd->add_flag("--log-only", a->log_only,
                "Check the log, tree and checkpoints only, not the projections");
  cmd->callback([&run, a] {
    run = [a] {
      return verify(*a);
    };
  });
}

}  // namespace custody::cli
