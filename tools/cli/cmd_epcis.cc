// custody epcis export: the ledger's events as a GS1 EPCIS 2.0 JSON-LD document.
// custody epcis import: a partner's EPCIS 2.0 document in, as evidence (docs/epcis.md).
#include <future>
#include <iostream>

#include "cli/cli_common.h"
#include "cli/output.h"
#include "custody/codec/json_writer.h"
#include "custody/common/encoding.h"
#include "custody/common/files.h"
#include "custody/domain/command_codec.h"
#include "custody/domain/epcis_export.h"
#include "custody/domain/epcis_import.h"
#include "custody/ledger/config.h"

namespace custody::cli {
namespace {

struct EpcisArgs {
  std::string dir, lot, wo, from, to, out;
  std::uint64_t since_seq = 0;
  bool force = false;
};

int epcis_export(const EpcisArgs& a) {
  domain::EpcisScope scope;
  const int chosen =
      !a.lot.empty() + !a.wo.empty() + (!a.from.empty() || !a.to.empty()) + (a.since_seq != 0);
  if (chosen > 1) {
    return report(Error{ErrorCode::kInvalidArgument,
                        "choose one of --lot, --wo, --from/--to and --since-seq", "--lot"});
  }
  if (!a.lot.empty()) {
    scope.by = domain::EpcisScope::By::kLot;
    scope.lot = a.lot;
  } else if (!a.wo.empty()) {
    scope.by = domain::EpcisScope::By::kWorkOrder;
    scope.wo = a.wo;
  } else if (a.since_seq != 0) {
    scope.by = domain::EpcisScope::By::kSinceSeq;
    scope.since_seq = a.since_seq;
  }
  auto config = ledger::load_config(a.dir);
  if (!config) return report(config.error());
  if (!a.from.empty() || !a.to.empty()) {
    scope.by = domain::EpcisScope::By::kTime;
    if (auto w = site_window(a.from, a.to, config->site, scope.from, scope.to); !w) {
      return report(w.error());
    }
  }
  auto ledger = open_ledger(a.dir, ledger::OpenMode::kReadOnly);
  if (!ledger) return report(ledger.error());
  auto snap = (*ledger)->snapshot();
  auto doc = domain::epcis_export(*snap, scope, config->site, (*ledger)->meta().origin);
  if (!doc) {
    Error e = doc.error();
    if (e.field == "lot" || e.field == "wo" || e.field == "to") e.field = "--" + e.field;
    return report(e);
  }
  if (auto w =
          write_output_file(a.out, doc->document, a.force ? Overwrite::kAllow : Overwrite::kRefuse);
      !w) {
    return report(w.error());
  }
  std::string out;
  codec::JsonWriter w(out);
  w.begin_object();
  w.key("ok").boolean(true);
  w.key("events").uint64(doc->events);
  w.key("file").string(a.out);
  w.key("notMapped").begin_object();
  for (const auto& [type, n] : doc->not_mapped) w.key(type).uint64(n);
  w.end_object();
  w.end_object();
  std::cout << out << "\n";
  return kExitOk;
}

struct ImportArgs {
  std::string dir, file, partner, source;
};

// The largest document custody reads in one import.
constexpr std::size_t kMaxDocumentBytes = std::size_t{256} << 20;

// Checks the whole document, then submits what is new; a refusal writes nothing.
int epcis_import(const ImportArgs& a) {
  auto text = read_file(a.file, kMaxDocumentBytes);
  if (!text) {
    Error e = text.error();
    e.field = "FILE";
    return report(e);
  }
  auto ledger = open_ledger(a.dir, ledger::OpenMode::kReadWrite);
  if (!ledger) return report(ledger.error());
  auto snap = (*ledger)->snapshot();
  const std::string source =
      a.source.empty() ? std::filesystem::path(a.file).filename().string() : a.source;
  auto plan = domain::plan_epcis_import(*snap, *text, source, a.partner);
  if (!plan) {
    Error e = plan.error();
    if (e.field == "partner") e.field = "--partner";
    return report(e);
  }
  std::promise<Result<std::string>> answer;
  domain::submit_epcis_import(
      *plan, os_actor(),
      [&](std::string command, std::function<void(Result<ledger::CommandResult>)> done) {
        // As the host: the import's own command ids are in a reserved namespace.
        auto cmd = domain::decode_command(command, nullptr, os_actor());
        if (!cmd) return done(std::unexpected(cmd.error()));
        (*ledger)->submit(std::move(*cmd), std::move(done));
      },
      [&](Result<std::string> r) { answer.set_value(std::move(r)); });
  auto out = answer.get_future().get();
  if (!out) return report(out.error());
  std::cout << *out << "\n";
  return kExitOk;
}

}  // namespace

void add_epcis(CLI::App& app, Action& run) {
  auto* epcis = app.add_subcommand("epcis", "GS1 EPCIS 2.0 exchange with partners");
  epcis->require_subcommand(1);
  auto a = std::make_shared<EpcisArgs>();
  auto* cmd = epcis->add_subcommand(
      "export", "The ledger's events as an EPCIS 2.0 JSON-LD document (docs/epcis.md)");
  cmd->add_option("DIR", a->dir, "Ledger directory")->required();
  cmd->add_option("--lot", a->lot, "Only the records of this lot");
  cmd->add_option("--wo", a->wo, "Only the records of this work order");
  cmd->add_option("--from", a->from, "Only what happened at or after this time (RFC 3339)");
  cmd->add_option("--to", a->to, "... and before this time");
  cmd->add_option("--since-seq", a->since_seq, "Only records from this seq on")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--out", a->out, "The file to write")->required();
  cmd->add_flag("--force", a->force, "Replace --out if it exists");
  cmd->callback([&run, a] {
    run = [a] {
      return epcis_export(*a);
    };
  });
  auto in = std::make_shared<ImportArgs>();
  auto* imp = epcis->add_subcommand(
      "import", "A partner's EPCIS 2.0 JSON-LD document, kept as evidence (docs/epcis.md)");
  imp->add_option("DIR", in->dir, "Ledger directory")->required();
  imp->add_option("FILE", in->file, "The EPCISDocument or EPCISQueryDocument")->required();
  imp->add_option("--partner", in->partner, "The party (party.define) that sent it");
  imp->add_option("--source", in->source, "What to call the document (default: its file name)");
  imp->callback([&run, in] {
    run = [in] {
      return epcis_import(*in);
    };
  });
}

}  // namespace custody::cli
