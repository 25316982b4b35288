// custody witness init W --name NAME (--log-key VKEY | --log-key-file F): a witness folder
// with a key of its own. custody witness cosign W --checkpoint FILE [--proof FILE] [--out F]:
// cosign a ledger's checkpoint once it is proven to extend the last one this witness
// cosigned (custody/ledger/witness.h, docs/records.md "Witnesses"). custody witness keep DIR
// --note FILE: keep the cosignatures sent back, beside the ledger.
#include <boost/json.hpp>
#include <iostream>

#include "cli/cli_common.h"
#include "custody/codec/json_writer.h"
#include "custody/common/encoding.h"
#include "custody/common/files.h"
#include "custody/domain/plant.h"
#include "custody/ledger/checkpoint.h"
#include "custody/ledger/store.h"
#include "custody/ledger/witness.h"

namespace custody::cli {
namespace {

constexpr std::size_t kMaxNote = 64 << 10;
constexpr std::size_t kMaxProof = 1 << 20;

// The JSON of `custody prove DIR --from S --to N`: its sizes and path.
Result<void> read_proof(const std::string& file, ledger::CosignRequest& req) {
  auto text = read_file(file, kMaxProof);
  if (!text) return std::unexpected(Error{text.error().code, text.error().message, "proof"});
  boost::system::error_code ec;
  auto v = boost::json::parse(*text, ec);
  const auto* o = ec ? nullptr : v.if_object();
  auto bad = [](const std::string& why) {
    return fail(ErrorCode::kInvalidArgument, "not a consistency proof: " + why, "proof");
  };
  if (o == nullptr) return bad("not JSON");
  const auto* type = o->if_contains("type");
  if (type == nullptr || *type != "consistency") return bad("\"type\" is not \"consistency\"");
  for (const char* k : {"fromSize", "toSize"}) {
    const auto* n = o->if_contains(k);
    if (n == nullptr || !(n->is_uint64() || (n->is_int64() && n->as_int64() >= 0))) {
      return bad(std::string("\"") + k + "\" is not a size");
    }
  }
  req.proof_from = o->at("fromSize").to_number<std::uint64_t>();
  req.proof_to = o->at("toSize").to_number<std::uint64_t>();
  const auto* path = o->if_contains("path");
  if (path == nullptr || !path->is_array() || path->as_array().size() > 128) {
    return bad("\"path\" is not a list of hashes");
  }
  for (const auto& h : path->as_array()) {
    auto d = h.is_string() ? from_hex(std::string_view(h.as_string())) : std::nullopt;
    if (!d || d->size() != 32) return bad("\"path\" holds something that is not a SHA-256 hash");
    crypto::Digest x{};
    std::copy(d->begin(), d->end(), x.begin());
    req.proof.push_back(x);
  }
  return {};
}

}  // namespace

void add_witness(CLI::App& app, Action& run) {
  auto* cmd = app.add_subcommand(
      "witness",
      "Hold a second key that cosigns a ledger's checkpoints once they are proven to "
      "extend the last one it cosigned");
  cmd->require_subcommand(1);

  struct Init {
    std::string dir, name, log_key, log_key_file;
  };
  auto i = std::make_shared<Init>();
  auto* init = cmd->add_subcommand("init", "Create a witness folder with a new key");
  init->add_option("W", i->dir, "The witness folder to create")->required();
  init->add_option("--name", i->name, "The witness key's name (for example witness.example.org)")
      ->required();
  auto* lk = init->add_option("--log-key", i->log_key, "The ledger's verifier key (node.pub)");
  auto* lkf = init->add_option("--log-key-file", i->log_key_file, "A file holding it");
  lk->excludes(lkf);
  init->callback([&run, i, lk, lkf] {
    if (lk->count() + lkf->count() == 0) {
      throw CLI::ValidationError("witness init", "give --log-key or --log-key-file");
    }
    run = [i]() -> int {
      std::string key = i->log_key;
      if (!i->log_key_file.empty()) {
        auto text = read_key_file(i->log_key_file, "logKey");
        if (!text) return report(text.error());
        key = std::move(*text);
      }
      auto vkey = ledger::witness_init(i->dir, i->name, key);
      if (!vkey) return report(vkey.error());
      std::string out;
      codec::JsonWriter w(out);
      w.begin_object().key("ok").boolean(true).key("witness").string(i->dir);
      w.key("key").string(*vkey).end_object();
      std::cout << out << '\n';
      return kExitOk;
    };
  });

  struct Cosign {
    std::string dir, checkpoint, proof, out;
  };
  auto c = std::make_shared<Cosign>();
  auto* cosign = cmd->add_subcommand(
      "cosign", "Check a checkpoint against the last one cosigned and cosign it; prints the note");
  cosign->add_option("W", c->dir, "The witness folder")->required();
  cosign->add_option("--checkpoint", c->checkpoint, "The ledger's signed checkpoint note")
      ->required();
  cosign->add_option("--proof", c->proof,
                     "custody prove DIR --from <last cosigned size> --to <its size>, as JSON");
  cosign->add_option("--out", c->out, "Write the cosigned note here (a new file), not to stdout");
  cosign->callback([&run, c] {
    run = [c]() -> int {
      ledger::CosignRequest req;
      auto note = read_file(c->checkpoint, kMaxNote);
      if (!note) return report(Error{note.error().code, note.error().message, "checkpoint"});
      req.note = std::move(*note);
      if (!c->proof.empty()) {
        if (auto r = read_proof(c->proof, req); !r) return report(r.error());
      }
      if (!c->out.empty() && std::filesystem::exists(c->out)) {
        return report(Error::invalid_argument("out", c->out + " exists"));
      }
      auto cosigned = ledger::witness_cosign(c->dir, req);
      if (!cosigned) return report(cosigned.error());
      if (!c->out.empty()) {
        if (auto r = write_new_file(c->out, *cosigned, 0644); !r) return report(r.error());
      } else {
        std::cout << *cosigned;
      }
      return kExitOk;
    };
  });

  struct Keep {
    std::string dir, note;
  };
  auto k = std::make_shared<Keep>();
  auto* keep = cmd->add_subcommand(
      "keep",
      "Keep the cosignatures on a checkpoint a witness sent back beside the ledger, where "
      "custody verify and custody export find them");
  keep->add_option("DIR", k->dir, "The ledger whose checkpoint was cosigned")->required();
  keep->add_option("--note", k->note, "The cosigned note (what custody witness cosign printed)")
      ->required();
  keep->callback([&run, k] {
    run = [k]() -> int {
      auto note = read_file(k->note, kMaxNote);
      if (!note) return report(Error{note.error().code, note.error().message, "note"});
      // Read-only: the ledger may be held by a writer; the note is kept in DIR/cosigned.
      auto store = ledger::Store::open(k->dir, ledger::OpenMode::kReadOnly,
                                       domain::make_state_machine()->column_families());
      if (!store) return report(store.error());
      auto kept = ledger::keep_cosignatures(**store, *note);
      if (!kept) return report(kept.error());
      auto cp = ledger::parse_checkpoint_note_unverified(*note);
      if (!cp) return report(cp.error());
      std::string out;
      codec::JsonWriter w(out);
      w.begin_object().key("ok").boolean(true).key("size").uint64(cp->size);
      w.key("kept").uint64(*kept).end_object();
      std::cout << out << '\n';
      return kExitOk;
    };
  });
}

}  // namespace custody::cli
