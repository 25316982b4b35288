// custody verify DIR [--checkpoint FILE] [--key VKEY|--key-file FILE]
#include <iostream>

#include "cli/cli_common.h"
#include "custody/codec/json_writer.h"
#include "custody/common/encoding.h"
#include "custody/common/files.h"
#include "custody/ledger/verifier.h"

namespace custody::cli {
namespace {

struct VerifyArgs {
  std::string dir;
  std::string checkpoint;
  std::string key;
  std::string key_file;
  unsigned threads = 0;
};

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

int verify(const VerifyArgs& a) {
  ledger::VerifyOptions options;
  options.threads = a.threads;
  if (!a.checkpoint.empty()) {
    auto text = read_file(a.checkpoint);
    if (!text) return report(text.error());
    options.checkpoint = std::move(*text);
  }
  std::string vkey = a.key;
  if (!a.key_file.empty()) {
    auto text = read_file(a.key_file);
    if (!text) return report(text.error());
    vkey = trim(std::move(*text));
  }
  if (!vkey.empty()) {
    auto v = crypto::NoteVerifier::parse(vkey);
    if (!v) return report(v.error());
    options.key = std::move(*v);
  }
  auto ledger = open_ledger(a.dir, ledger::OpenMode::kReadOnly);
  if (!ledger) return report(ledger.error());
  auto r = ledger::verify_ledger((*ledger)->store(), options);
  if (!r) return report(r.error());

  std::string out;
  codec::JsonWriter w(out);
  w.begin_object();
  w.key("ok").boolean(r->ok);
  if (r->ok) {
    w.key("records").uint64(r->records);
    w.key("headSeq").uint64(r->head_seq);
    w.key("root").string(to_base64(r->root));
    w.key("rootHex").string(to_hex(r->root));
    w.key("checkpointsChecked").uint64(r->checkpoints_checked);
    if (r->redacted) w.key("redacted").uint64(r->redacted);
    w.key("key").string(r->trusted_key ? "given" : "ledger's own node key");
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
  return r->ok ? kExitOk : kExitTampered;
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
  cmd->callback([&run, a] {
    run = [a] {
      return verify(*a);
    };
  });
}

}  // namespace custody::cli
