// custody: the command-line tool. See README.md for a tour and docs/cli.md for the
// reference. Exit codes: 0 ok, 1 a command was rejected, 2 usage or I/O error,
// 3 verification failed.
#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>

#include "cli/cli_common.h"
#include "cli/progress.h"

int main(int argc, char** argv) {
  using namespace custody::cli;
  CLI::App app{"custody: a tamper-evident system of record for factories"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "custody 0.1.0");
  bool quiet = false;
  app.add_flag("--quiet,-q", quiet, "No progress lines on stderr (they appear only on a terminal)");
  Action run;
  add_init(app, run);
  add_append(app, run);
  add_log(app, run);
  add_verify(app, run);
  add_checkpoint(app, run);
  add_prove(app, run);
  add_export(app, run);
  add_backup(app, run);
  add_witness(app, run);
  add_config(app, run);
  add_replicate(app, run);
  add_follow(app, run);
  add_enterprise(app, run);
  add_key(app, run);
  add_show(app, run);
  add_board(app, run);
  add_kpi(app, run);
  add_logbook(app, run);
  add_yield(app, run);
  add_pareto(app, run);
  add_oee(app, run);
  add_pay(app, run);
  add_retention(app, run);
  add_rebuild(app, run);
  add_state_digest(app, run);
  add_gen(app, run);
  add_trace(app, run);
  add_recall(app, run);
  add_fsma204(app, run);
  add_epcis(app, run);
  add_plugins(app, run);
  add_run(app, run);
  add_report(app, run);
  add_types(app, run);
  add_serve(app, run);
  add_user(app, run);
  add_token(app, run);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  set_quiet(quiet);
  try {
    return run ? run() : kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "custody: internal: " << e.what() << "\n";
    return kExitUsage;
  }
}
