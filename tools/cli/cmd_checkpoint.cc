// custody checkpoint DIR: print a signed checkpoint covering the whole log.
#include <iostream>

#include "cli/cli_common.h"

namespace custody::cli {

void add_checkpoint(CLI::App& app, Action& run) {
  auto* cmd = app.add_subcommand(
      "checkpoint", "Print the latest signed checkpoint (signing one for the head if needed)");
  auto dir = std::make_shared<std::string>();
  cmd->add_option("DIR", *dir, "Ledger directory")->required();
  cmd->callback([&run, dir] {
    run = [dir]() -> int {
      auto ledger = open_ledger(*dir, ledger::OpenMode::kReadWrite);
      if (!ledger) return report(ledger.error());
      auto note = (*ledger)->checkpoint();
      if (!note) return report(note.error());
      std::cout << *note;
      return kExitOk;
    };
  });
}

}  // namespace custody::cli
