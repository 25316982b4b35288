// Shared pieces of the `custody` subcommands: exit codes, error output, opening a ledger.
#pragma once

#include <signal.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <memory>
#include <string>

#include "cli/table.h"
#include "custody/common/error.h"
#include "custody/domain/plant.h"
#include "custody/ledger/config.h"
#include "custody/ledger/ledger.h"

namespace custody::cli {

// Exit codes, part of the CLI contract.
inline constexpr int kExitOk = 0;
inline constexpr int kExitRejected = 1;  // some command was rejected
inline constexpr int kExitUsage = 2;     // usage, I/O, not a ledger, locked, newer version
inline constexpr int kExitTampered = 3;  // verification found a problem; damaged data

// Prints "custody: <code>: <message>" to stderr and returns kExitTampered for corruption,
// kExitUsage otherwise.
int report(const Error& error);

// DIR/server: the URL of the `custody serve` that holds the ledger, while it runs. A write
// command that finds the ledger locked says where to send its commands instead.
inline constexpr const char* kServerMarker = "server";

// Opens DIR with the plant domain (`machine`, or a default one) and, for writing, the
// directory's config.json.
[[nodiscard]] Result<std::unique_ptr<ledger::Ledger>> open_ledger(
    const std::filesystem::path& dir, ledger::OpenMode mode,
    std::unique_ptr<domain::PlantMachine> machine = nullptr);

// The plant domain of a long-running host that writes (`custody serve`, `custody run`): the
// genealogy graph in memory, saved beside the sequencer as DIR/config.json's
// "genealogyGraph" says.
[[nodiscard]] std::unique_ptr<domain::PlantMachine> host_machine(
    const ledger::LedgerConfig& config);

// `s` without the newline, carriage return and spaces at its end (a key pasted or read from a
// file).
[[nodiscard]] std::string trim_end(std::string s);
// A verifier key or note kept in a file (at most 64 KiB), without its trailing newline. Errors
// name `field`.
[[nodiscard]] Result<std::string> read_key_file(const std::string& path, const std::string& field);

// `--format json|table` (json by default), and printing a JSON answer in it.
void add_format(CLI::App* cmd, Format& format);
int print(const std::string& json, Format format);

// "os:<login>": who ran a command on this machine, the actor of what the CLI writes itself.
[[nodiscard]] std::string os_actor();

// For commands that run until stopped: blocks SIGINT and SIGTERM (to be taken by sigwait on
// the calling thread) and ignores SIGPIPE. Call before any other thread exists.
[[nodiscard]] sigset_t block_stop_signals();

// Each subcommand registers itself on the app; `run` is set to the action to execute.
using Action = std::function<int()>;
void add_init(CLI::App& app, Action& run);
void add_append(CLI::App& app, Action& run);
void add_log(CLI::App& app, Action& run);
void add_verify(CLI::App& app, Action& run);
void add_checkpoint(CLI::App& app, Action& run);
void add_prove(CLI::App& app, Action& run);
void add_export(CLI::App& app, Action& run);
void add_backup(CLI::App& app, Action& run);
void add_witness(CLI::App& app, Action& run);
void add_config(CLI::App& app, Action& run);
void add_replicate(CLI::App& app, Action& run);
void add_follow(CLI::App& app, Action& run);
void add_enterprise(CLI::App& app, Action& run);
void add_key(CLI::App& app, Action& run);
void add_show(CLI::App& app, Action& run);
void add_board(CLI::App& app, Action& run);
void add_kpi(CLI::App& app, Action& run);
void add_logbook(CLI::App& app, Action& run);
void add_yield(CLI::App& app, Action& run);
void add_pareto(CLI::App& app, Action& run);
void add_oee(CLI::App& app, Action& run);
void add_pay(CLI::App& app, Action& run);
void add_retention(CLI::App& app, Action& run);
void add_rebuild(CLI::App& app, Action& run);
void add_state_digest(CLI::App& app, Action& run);
void add_gen(CLI::App& app, Action& run);
void add_trace(CLI::App& app, Action& run);
void add_recall(CLI::App& app, Action& run);
void add_fsma204(CLI::App& app, Action& run);

// --from and --to of an export as people mean them: RFC 3339 as written, a bare date the
// site's midnight (domain::parse_site_time). Either may be empty (the bound is left as it
// is). kInvalidArgument naming the option; --to not after --from is refused too.
[[nodiscard]] Result<void> site_window(const std::string& from, const std::string& to,
                                       const ledger::Site& site, TimeNs& from_out, TimeNs& to_out);
void add_epcis(CLI::App& app, Action& run);
void add_plugins(CLI::App& app, Action& run);
void add_run(CLI::App& app, Action& run);
void add_report(CLI::App& app, Action& run);
void add_types(CLI::App& app, Action& run);
void add_serve(CLI::App& app, Action& run);
void add_user(CLI::App& app, Action& run);
void add_token(CLI::App& app, Action& run);

}  // namespace custody::cli
