// custody key show DIR: the node key in force and its history. custody key rotate DIR: a new
// node key, handed over to by a record the old key signs. custody key seal DIR
// --passphrase-file F [--to PATH]: the node key sealed under a passphrase, and optionally moved
// off the data directory (custody/ledger/node_key.h, docs/security.md "The node key").
#include <boost/json.hpp>
#include <iostream>

#include "cli/cli_common.h"
#include "custody/codec/capnp_util.h"
#include "custody/codec/json_writer.h"
#include "custody/common/encoding.h"
#include "custody/common/files.h"
#include "custody/ledger/config.h"
#include "custody/ledger/node_key.h"
#include "custody/ledger/reader.h"
#include "custody/ledger/record.h"
#include "schema/record.capnp.h"

namespace custody::cli {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

int show_keys(const std::string& dir) {
  auto ledger = open_ledger(dir, ledger::OpenMode::kReadOnly);
  if (!ledger) return report(ledger.error());
  auto snap = (*ledger)->snapshot();
  std::string out;
  codec::JsonWriter w(out);
  w.begin_object().key("ok").boolean(true);
  w.key("first").string((*ledger)->meta().node_public_key);
  w.key("current").string((*ledger)->store().current_public_key());
  w.key("rotations").begin_array();
  std::optional<Error> problem;
  auto listed = snap->stream_records(
      ledger::kKeyStream, 1, 0, [&](std::uint64_t seq, std::string_view bytes) {
        auto rec = ledger::decode_record(bytes);
        if (!rec || !rec->payload_present) {
          problem =
              rec ? Error::corruption("rotation record " + std::to_string(seq) + " has no payload")
                  : rec.error();
          return false;
        }
        codec::MessageView v(rec->payload);
        auto r = v.root<schema::KeyRotated>();
        w.begin_object().key("seq").uint64(seq);
        w.key("recordedAt").string(format_rfc3339(rec->recorded_at));
        w.key("key").string(std::string_view(r.getKey().cStr(), r.getKey().size()));
        w.end_object();
        return true;
      });
  if (!listed) return report(listed.error());
  if (problem) return report(*problem);
  w.end_array().end_object();
  std::cout << out << '\n';
  return kExitOk;
}

int rotate(const std::string& dir) {
  auto ledger = open_ledger(dir, ledger::OpenMode::kReadWrite);
  if (!ledger) return report(ledger.error());
  const std::string previous = (*ledger)->store().current_public_key();
  auto key = (*ledger)->rotate_key();
  if (!key) return report(key.error());
  auto head = (*ledger)->head();
  std::string out;
  codec::JsonWriter w(out);
  w.begin_object().key("ok").boolean(true).key("key").string(*key);
  w.key("previous").string(previous).key("seq").uint64(head.seq).end_object();
  std::cout << out << '\n';
  return kExitOk;
}

// Seals the node key under the passphrase in `passphrase_file` and, with `to`, moves it there;
// config.json then names the key file and the passphrase file (a writer records that change).
int seal(const std::string& dir_arg, const std::string& passphrase_file, const std::string& to) {
  const fs::path dir(dir_arg);
  if (auto v = ledger::read_format_version(dir); !v) return report(v.error());
  auto config = ledger::load_config(dir);
  if (!config) return report(config.error());
  ledger::NodeKeyConfig next = config->node_key;
  next.passphrase_file = fs::absolute(passphrase_file).lexically_normal().string();
  if (!to.empty()) next.file = fs::absolute(to).lexically_normal().string();
  // Read the new passphrase by the rule every writer uses, so that what is sealed opens.
  ledger::NodeKeyConfig probe;
  probe.passphrase_file = next.passphrase_file;
  if (std::getenv(std::string(ledger::kPassphraseEnv).c_str()) != nullptr) {
    return report(Error::invalid_argument("passphraseFile",
                                          "unset " + std::string(ledger::kPassphraseEnv) +
                                              " first: it would override the file given here"));
  }
  auto passphrase = ledger::node_key_passphrase(dir, probe);
  if (!passphrase) return report(passphrase.error());
  auto signer = ledger::load_node_key(dir);
  if (!signer) return report(signer.error());

  const fs::path from = ledger::node_key_path(dir, config->node_key);
  const fs::path target = ledger::node_key_path(dir, next);
  std::error_code ec;
  if (target != from && fs::exists(target, ec)) {
    return report(Error::invalid_argument("to", target.string() + " exists"));
  }
  const std::string text = ledger::node_key_text(*signer, *passphrase);
  if (auto r = replace_file(target, text, 0600); !r) return report(r.error());

  auto root = read_file(dir / "config.json", 4 << 20);
  json::object obj;
  if (root) {
    boost::system::error_code jec;
    auto v = json::parse(*root, jec);
    if (jec || !v.is_object()) return report(Error::invalid_argument("config", "not an object"));
    obj = std::move(v.as_object());
  }
  json::object key;
  if (next.file != "node.key") key["file"] = next.file;
  key["passphraseFile"] = next.passphrase_file;
  obj["nodeKey"] = std::move(key);
  if (auto r = replace_file(dir / "config.json", json::serialize(obj) + "\n", 0644); !r) {
    return report(r.error());
  }
  if (target != from) fs::remove(from, ec);  // the unsealed copy must not stay behind
  std::string out;
  codec::JsonWriter w(out);
  w.begin_object().key("ok").boolean(true).key("file").string(target.string());
  w.key("passphraseFile").string(next.passphrase_file).key("sealed").boolean(true).end_object();
  std::cout << out << '\n';
  return kExitOk;
}

}  // namespace

void add_key(CLI::App& app, Action& run) {
  auto* cmd = app.add_subcommand(
      "key", "The node key that signs checkpoints: show its history, rotate it, seal it");
  cmd->require_subcommand(1);

  auto dir = std::make_shared<std::string>();
  auto* show = cmd->add_subcommand("show", "The key in force, the first key and each rotation");
  show->add_option("DIR", *dir, "Ledger directory")->required();
  show->callback([&run, dir] {
    run = [dir] {
      return show_keys(*dir);
    };
  });

  auto* rot = cmd->add_subcommand(
      "rotate", "Replace the node key: the old key signs the record that names the new one");
  rot->add_option("DIR", *dir, "Ledger directory")->required();
  rot->callback([&run, dir] {
    run = [dir] {
      return rotate(*dir);
    };
  });

  struct Seal {
    std::string passphrase_file, to;
  };
  auto s = std::make_shared<Seal>();
  auto* sl = cmd->add_subcommand(
      "seal", "Seal the node key under a passphrase (argon2id, secretbox) and optionally move it");
  sl->add_option("DIR", *dir, "Ledger directory")->required();
  sl->add_option("--passphrase-file", s->passphrase_file,
                 "A file whose first line is the passphrase (never give it on the command line)")
      ->required();
  sl->add_option("--to", s->to, "Move the key to this file (off the data disk)");
  sl->callback([&run, dir, s] {
    run = [dir, s] {
      return seal(*dir, s->passphrase_file, s->to);
    };
  });
}

}  // namespace custody::cli
