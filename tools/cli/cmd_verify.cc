// custody verify DIR [--checkpoint FILE] [--key VKEY|--key-file FILE] [--log-only]
#include <iostream>

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

namespace custody::cli {
namespace {

struct VerifyArgs {
  std::string dir;
  std::string checkpoint;
  std::string key;
  std::string key_file;
  unsigned threads = 0;
  bool log_only = false;
};

// Checkpoint notes and verifier keys are a few hundred bytes; anything much larger is not one.
constexpr std::size_t kMaxNoteBytes = 64 << 10;

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

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
    auto text = read_file(a.key_file, kMaxNoteBytes);
    if (!text) return report(text.error());
    vkey = trim(std::move(*text));
  }
  if (!vkey.empty()) {
    auto v = crypto::NoteVerifier::parse(vkey);
    if (!v) return report(v.error());
    options.key = std::move(*v);
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
  std::optional<ledger::ProjectionCheck> projections;
  if (r->ok && !a.log_only) {
    Progress progress("verify projections", "records", total);
    auto p = ledger::check_projections(**store, *machine,
                                       [&progress](std::uint64_t n) { progress.update(n); });
    if (!p) return report(p.error());
    projections = std::move(*p);
  }
  // Every electronic signature against the records it signs (found through the projections'
  // index, so after they were checked).
  std::optional<domain::SignatureCheck> signatures;
  if (r->ok && (!projections || projections->ok)) {
    ledger::Snapshot snap(**store);
    auto c = domain::check_signatures(snap);
    if (!c) return report(c.error());
    signatures = std::move(*c);
  }
  const bool ok = r->ok && (!projections || projections->ok) && (!signatures || signatures->ok);

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
