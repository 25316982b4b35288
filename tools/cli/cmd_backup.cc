// custody backup DIR --to B: a hot, verified copy of a whole ledger with a manifest of what
// it holds. custody restore B --to DIR2: checks the backup against its manifest, restores
// it and verifies that it is the ledger that was backed up (custody/domain/backup.h,
// docs/backup.md).
#include <iostream>

#include "cli/cli_common.h"
#include "custody/codec/json_writer.h"
#include "custody/common/encoding.h"
#include "custody/domain/backup.h"

namespace custody::cli {
namespace {

void print(const domain::BackupSummary& s, std::string_view key, const std::string& where) {
  std::string out;
  codec::JsonWriter w(out);
  w.begin_object().key("ok").boolean(true).key(key).string(where);
  w.key("ledgerId").string(s.ledger_id);
  w.key("takenAt").string(format_rfc3339(s.taken_at));
  w.key("headSeq").uint64(s.head.seq);
  w.key("root").string(to_hex(s.root));
  w.key("projectionDigest").string(to_hex(s.projections));
  w.key("checkpoints").uint64(s.checkpoints);
  w.key("files").uint64(s.files).key("bytes").uint64(s.bytes);
  w.end_object();
  std::cout << out << '\n';
}

}  // namespace

void add_backup(CLI::App& app, Action& run) {
  struct Options {
    std::string dir, to;
  };
  auto b = std::make_shared<Options>();
  auto* backup = app.add_subcommand(
      "backup", "Copy a ledger, hot and verified, with a manifest of what the copy holds");
  backup->add_option("DIR", b->dir, "Ledger directory (a writer or server may be running)")
      ->required();
  backup->add_option("--to", b->to, "The backup folder to create (must not exist)")->required();
  backup->callback([&run, b] {
    run = [b]() -> int {
      SystemClock clock;
      auto sum = domain::backup_ledger(b->dir, b->to, clock.now());
      if (!sum) return report(sum.error());
      print(*sum, "backup", b->to);
      return kExitOk;
    };
  });

  auto r = std::make_shared<Options>();
  auto* restore = app.add_subcommand(
      "restore", "Restore a backup into a new ledger directory and prove it is the one backed up");
  restore->add_option("BACKUP", r->dir, "A folder written by custody backup")->required();
  restore->add_option("--to", r->to, "The ledger directory to create (must not exist)")->required();
  restore->callback([&run, r] {
    run = [r]() -> int {
      auto sum = domain::restore_ledger(r->dir, r->to);
      if (!sum) return report(sum.error());
      print(*sum, "restored", r->to);
      return kExitOk;
    };
  });
}

}  // namespace custody::cli
