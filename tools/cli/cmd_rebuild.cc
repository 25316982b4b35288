// custody rebuild DIR, custody state-digest DIR.
#include <iostream>

#include "cli/cli_common.h"
#include "cli/progress.h"
#include "custody/codec/json_writer.h"
#include "custody/common/encoding.h"
#include "custody/domain/plant.h"
#include "custody/ledger/rebuild.h"

namespace custody::cli {

void add_rebuild(CLI::App& app, Action& run) {
  auto dir = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("rebuild", "Rebuild every projection from the log");
  cmd->add_option("DIR", *dir, "Ledger directory")->required();
  cmd->callback([&run, dir] {
    run = [dir]() -> int {
      auto machine = domain::make_state_machine();
      Result<ledger::RebuildReport> r;
      {
        Progress progress("rebuild", "records");
        r = ledger::rebuild_ledger(*dir, *machine,
                                   [&progress](std::uint64_t n) { progress.update(n); });
      }
      if (!r) return report(r.error());
      auto store =
          ledger::Store::open(*dir, ledger::OpenMode::kReadOnly, machine->column_families());
      if (!store) return report(store.error());
      auto digest = ledger::state_digest(**store, *machine);
      if (!digest) return report(digest.error());
      std::string out;
      codec::JsonWriter w(out);
      w.begin_object();
      w.key("ok").boolean(true);
      w.key("records").uint64(r->records);
      w.key("seconds").number(r->seconds);
      w.key("recordsPerSecond").number(r->seconds > 0 ? std::round(r->records / r->seconds) : 0);
      w.key("digest").string(to_hex(digest->digest));
      w.end_object();
      std::cout << out << "\n";
      return kExitOk;
    };
  });
}

void add_state_digest(CLI::App& app, Action& run) {
  auto dir = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("state-digest", "A SHA-256 digest of all projection state");
  cmd->add_option("DIR", *dir, "Ledger directory")->required();
  cmd->callback([&run, dir] {
    run = [dir]() -> int {
      auto ledger = open_ledger(*dir, ledger::OpenMode::kReadOnly);
      if (!ledger) return report(ledger.error());
      auto digest = ledger::state_digest((*ledger)->store(), (*ledger)->machine());
      if (!digest) return report(digest.error());
      std::string out;
      codec::JsonWriter w(out);
      w.begin_object();
      w.key("digest").string(to_hex(digest->digest));
      w.key("entries").uint64(digest->entries);
      w.key("headSeq").uint64(digest->head_seq);
      w.end_object();
      std::cout << out << "\n";
      return kExitOk;
    };
  });
}

}  // namespace custody::cli
