#include "cli/cli_common.h"

#include <pwd.h>
#include <unistd.h>

#include <iostream>

#include "custody/common/encoding.h"
#include "custody/common/files.h"
#include "custody/domain/configuration.h"
#include "custody/domain/plant.h"

namespace custody::cli {

int report(const Error& error) {
  std::cerr << "custody: " << code_name(error.code) << ": " << printable(error.message);
  if (!error.field.empty()) std::cerr << " (field " << printable(error.field) << ")";
  std::cerr << "\n";
  return error.code == ErrorCode::kCorruption ? kExitTampered : kExitUsage;
}

std::unique_ptr<domain::PlantMachine> host_machine(const ledger::LedgerConfig& config) {
  return domain::make_state_machine({.genealogy_graph = true,
                                     .graph_save_records = config.graph_save.every_records,
                                     .graph_save_interval = config.graph_save.interval});
}

Result<std::unique_ptr<ledger::Ledger>> open_ledger(const std::filesystem::path& dir,
                                                    ledger::OpenMode mode,
                                                    std::unique_ptr<domain::PlantMachine> machine) {
  if (!machine) machine = domain::make_state_machine();
  auto ledger = ledger::Ledger::open_dir(dir, mode, std::move(machine));
  if (ledger && mode == ledger::OpenMode::kReadWrite) {
    // A config.json changed since it was last recorded (by hand, or by `custody plugins
    // add`) goes on the record before this writer writes anything else.
    if (auto r = domain::record_configuration(**ledger, dir); !r) {
      return fail(r.error().code,
                  "cannot record the configuration of " + dir.string() + ": " + r.error().message);
    }
  }
  if (!ledger && ledger.error().code == ErrorCode::kLedgerLocked) {
    auto url = read_file(dir / kServerMarker, 4096);
    if (url) {
      while (!url->empty() && (url->back() == '\n' || url->back() == '\r')) url->pop_back();
      return fail(ErrorCode::kLedgerLocked,
                  dir.string() + " is held by `custody serve` at " + printable(*url) +
                      ": send commands there (custody append --server " + printable(*url) +
                      " FILE --token-file F, or POST /v1/commands), or stop it first");
    }
  }
  return ledger;
}

sigset_t block_stop_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  return signals;
}

void add_format(CLI::App* cmd, Format& format) {
  cmd->add_option("--format", format, "json (default) or table")
      ->transform(CLI::CheckedTransformer(
          std::map<std::string, Format>{{"json", Format::kJson}, {"table", Format::kTable}}));
}

int print(const std::string& json, Format format) {
  if (format == Format::kTable) {
    std::cout << render_table(json);
  } else {
    std::cout << json << "\n";
  }
  return kExitOk;
}

std::string trim_end(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

Result<std::string> read_key_file(const std::string& path, const std::string& field) {
  auto text = read_file(path, 64 << 10);
  if (!text) return std::unexpected(Error{text.error().code, text.error().message, field});
  return trim_end(std::move(*text));
}

std::string os_actor() {
  const passwd* pw = ::getpwuid(::geteuid());
  return "os:" + std::string(pw != nullptr ? pw->pw_name : std::to_string(::geteuid()));
}

}  // namespace custody::cli
