// custody export DIR (--all | --lot L | --wo W | --from T --to T) --out PKG: write an audit
// package (custody/domain/audit_package.h, docs/audit-package.md) that `custody-verify`
// checks alone. Reads the ledger (works while a writer or server runs) and DIR/node.key,
// which signs the package's manifest.
#include <iostream>

#include "cli/cli_common.h"
#include "custody/codec/json_writer.h"
#include "custody/common/encoding.h"
#include "custody/common/files.h"
#include "custody/domain/audit_package.h"
#include "custody/ledger/node_key.h"

namespace custody::cli {

void add_export(CLI::App& app, Action& run) {
  auto* cmd = app.add_subcommand(
      "export",
      "Write an audit package: the selected records with their proofs, for custody-verify");
  struct Options {
    std::string dir, out, lot, wo, from, to;
    bool all = false;
  };
  auto o = std::make_shared<Options>();
  cmd->add_option("DIR", o->dir, "Ledger directory")->required();
  auto* all = cmd->add_flag("--all", o->all, "Every record the newest checkpoint covers");
  auto* lot = cmd->add_option("--lot", o->lot, "The records of one lot, and their signatures");
  auto* wo = cmd->add_option("--wo", o->wo, "The records of one work order, and their signatures");
  auto* from = cmd->add_option("--from", o->from, "Records recorded from this time (RFC 3339) ...");
  auto* to = cmd->add_option("--to", o->to, "... to before this one");
  from->needs(to);
  to->needs(from);
  for (auto* a : {all, lot, wo, from}) {
    for (auto* b : {all, lot, wo, from}) {
      if (a != b) a->excludes(b);
    }
  }
  cmd->add_option("--out", o->out, "The package folder to create (must not exist)")->required();
  cmd->callback([&run, o, all, lot, wo, from] {
    if (all->count() + lot->count() + wo->count() + from->count() == 0) {
      throw CLI::ValidationError("export", "choose --all, --lot L, --wo W or --from T --to T");
    }
    const int kind = lot->count() ? 1 : wo->count() ? 2 : from->count() ? 3 : 0;
    run = [o, kind]() -> int {
      domain::PackageSelection sel;
      if ((kind == 1 && o->lot.empty()) || (kind == 2 && o->wo.empty())) {
        return report(
            Error::invalid_argument(kind == 1 ? "lot" : "workOrder", "must not be empty"));
      }
      if (kind == 1) {
        sel.kind = domain::PackageSelection::Kind::kLot;
        sel.id = o->lot;
      } else if (kind == 2) {
        sel.kind = domain::PackageSelection::Kind::kWorkOrder;
        sel.id = o->wo;
      } else if (kind == 3) {
        sel.kind = domain::PackageSelection::Kind::kTimeRange;
        auto f = parse_rfc3339(o->from);
        if (!f) return report(Error::invalid_argument("from", f.error().message));
        auto t = parse_rfc3339(o->to);
        if (!t) return report(Error::invalid_argument("to", t.error().message));
        sel.from = *f;
        sel.to = *t;
      }
      auto ledger = open_ledger(o->dir, ledger::OpenMode::kReadOnly);
      if (!ledger) return report(ledger.error());
      auto signer = ledger::load_node_key(o->dir);
      if (!signer) {
        return report(Error{signer.error().code,
                            "cannot open the node key: " + signer.error().message, "nodeKey"});
      }
      auto snap = (*ledger)->snapshot();
      auto sum = domain::write_audit_package(*snap, sel, *signer, o->out, (*ledger)->clock().now());
      if (!sum) return report(sum.error());
      std::string out;
      codec::JsonWriter w(out);
      w.begin_object().key("ok").boolean(true).key("out").string(o->out);
      w.key("records").uint64(sum->records).key("redacted").uint64(sum->redacted);
      w.key("treeSize").uint64(sum->tree_size).key("firstTreeSize").uint64(sum->first_tree_size);
      w.key("afterCheckpoint").uint64(sum->after_checkpoint).end_object();
      std::cout << out << '\n';
      return kExitOk;
    };
  });
}

}  // namespace custody::cli
