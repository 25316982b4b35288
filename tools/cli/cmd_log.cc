// custody log DIR [--from N] [--limit N] [--stream S]: records as NDJSON.
#include <iostream>

#include "cli/cli_common.h"
#include "custody/domain/command_codec.h"

namespace custody::cli {
namespace {

struct LogArgs {
  std::string dir;
  std::uint64_t from = 1;
  std::uint64_t limit = 0;
  std::string stream;
};

int log(const LogArgs& a) {
  auto ledger = open_ledger(a.dir, ledger::OpenMode::kReadOnly);
  if (!ledger) return report(ledger.error());
  auto snap = (*ledger)->snapshot();
  std::string out;
  std::optional<Error> problem;
  auto print = [&](std::uint64_t, std::string_view bytes) {
    if (auto r = domain::append_record_json(bytes, out); !r) {
      problem = r.error();
      return false;
    }
    out += '\n';
    if (out.size() > (1 << 16)) {
      std::cout << out;
      out.clear();
    }
    return true;
  };
  auto r = a.stream.empty() ? snap->records(a.from, a.limit, print)
                            : snap->stream_records(a.stream, a.from, a.limit, print);
  std::cout << out << std::flush;
  if (!r) return report(r.error());
  if (problem) return report(*problem);
  return kExitOk;
}

}  // namespace

void add_log(CLI::App& app, Action& run) {
  auto* cmd = app.add_subcommand("log", "Print records as NDJSON");
  auto a = std::make_shared<LogArgs>();
  cmd->add_option("DIR", a->dir, "Ledger directory")->required();
  cmd->add_option("--from", a->from, "First seq (with --stream: first stream version)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--limit", a->limit, "At most this many records (0: all)");
  cmd->add_option("--stream", a->stream, "Only this stream, e.g. note:line-1 or lot:L7");
  cmd->callback([&run, a] {
    run = [a] {
      return log(*a);
    };
  });
}

}  // namespace custody::cli
