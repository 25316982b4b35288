// custody init DIR [--origin O] [--import-history]
#include <iostream>

#include "cli/cli_common.h"
#include "custody/codec/json_writer.h"
#include "custody/domain/plant.h"

namespace custody::cli {

void add_init(CLI::App& app, Action& run) {
  auto* cmd = app.add_subcommand("init", "Create a ledger directory and its node signing key");
  auto dir = std::make_shared<std::string>();
  auto origin = std::make_shared<std::string>();
  auto import = std::make_shared<bool>(false);
  cmd->add_option("DIR", *dir, "Directory to create (must not exist, or be empty)")->required();
  cmd->add_option("--origin", *origin,
                  "Checkpoint origin and key name (default custody/<ledger id>)");
  cmd->add_flag("--import-history", *import,
                "Configure it to take history (lateEntrySeconds 0: nothing is a late entry); "
                "set lateEntrySeconds again once the import is done");
  cmd->callback([&run, dir, origin, import] {
    run = [dir, origin, import]() -> int {
      auto machine = domain::make_state_machine();
      ledger::InitOptions options;
      options.origin = *origin;
      if (*import) options.config = ledger::kImportConfig;
      auto r = ledger::Ledger::init(*dir, options, *machine);
      if (!r) return report(r.error());
      std::string out;
      codec::JsonWriter w(out);
      w.begin_object();
      w.key("ok").boolean(true);
      w.key("dir").string(*dir);
      w.key("ledgerId").string(r->ledger_id);
      w.key("origin").string(r->origin);
      w.key("publicKey").string(r->vkey);
      w.end_object();
      std::cout << out << "\n";
      return kExitOk;
    };
  });
}

}  // namespace custody::cli
