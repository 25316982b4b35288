// custody prove DIR --seq N [--tree-size S] | --from S1 [--to S2]: print an RFC 9162
// inclusion or consistency proof as JSON (custody/ledger/proof.h), with the signed
// checkpoint notes it is checked against. Reads only; works while a writer or server runs.
#include <iostream>

#include "cli/cli_common.h"
#include "custody/ledger/proof.h"

namespace custody::cli {

void add_prove(CLI::App& app, Action& run) {
  auto* cmd = app.add_subcommand(
      "prove",
      "Print a Merkle inclusion proof for a record, or a consistency proof between "
      "two tree sizes, against the signed checkpoints");
  struct Options {
    std::string dir;
    std::uint64_t seq = 0;
    std::uint64_t tree_size = 0;
    std::uint64_t from = 0;
    std::uint64_t to = 0;
  };
  auto o = std::make_shared<Options>();
  cmd->add_option("DIR", o->dir, "Ledger directory")->required();
  auto* seq = cmd->add_option("--seq", o->seq, "Prove that this record is in the tree");
  cmd->add_option("--tree-size", o->tree_size,
                  "The tree to prove against (default: the newest signed checkpoint)")
      ->needs(seq);
  auto* from = cmd->add_option("--from", o->from, "Prove the tree of this many records ...");
  cmd->add_option("--to", o->to, "... is a prefix of this one (default: the newest checkpoint)")
      ->needs(from);
  seq->excludes(from);
  auto* tree_size = cmd->get_option("--tree-size");
  auto* to = cmd->get_option("--to");
  cmd->callback([&run, o, seq, from, tree_size, to] {
    const bool inclusion = seq->count() > 0;
    // 0 is not a tree to prove in (leaving the option out means the newest checkpoint).
    if ((tree_size->count() > 0 && o->tree_size == 0) || (to->count() > 0 && o->to == 0)) {
      throw CLI::ValidationError(tree_size->count() ? "--tree-size" : "--to",
                                 "a tree size is a positive integer");
    }
    if (!inclusion && from->count() == 0) {
      throw CLI::ValidationError("prove", "give --seq N or --from SIZE");
    }
    run = [o, inclusion]() -> int {
      auto ledger = open_ledger(o->dir, ledger::OpenMode::kReadOnly);
      if (!ledger) return report(ledger.error());
      auto snap = (*ledger)->snapshot();
      std::string out;
      codec::JsonWriter w(out);
      if (inclusion) {
        auto proof = ledger::prove_inclusion(*snap, o->seq, o->tree_size);
        if (!proof) return report(proof.error());
        ledger::write_json(*proof, w);
      } else {
        auto proof = ledger::prove_consistency(*snap, o->from, o->to);
        if (!proof) return report(proof.error());
        ledger::write_json(*proof, w);
      }
      std::cout << out << '\n';
      return kExitOk;
    };
  });
}

}  // namespace custody::cli
