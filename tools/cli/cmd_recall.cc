// custody trace and custody recall: genealogy and recall scoping.
#include <boost/json.hpp>
#include <iostream>

#include "cli/cli_common.h"
#include "cli/output.h"
#include "cli/table.h"
#include "custody/common/encoding.h"
#include "custody/common/files.h"
#include "custody/domain/genealogy.h"
#include "custody/domain/projections.h"
#include "custody/domain/recall.h"
#include "custody/domain/views.h"
#include "custody/ledger/config.h"

namespace custody::cli {
namespace {

enum class RecallFormat { kJson, kTable, kCsv, kFsma204 };

struct TraceArgs {
  std::string dir, lot, direction = "forward";
  std::uint32_t depth = 0;
  RecallFormat format = RecallFormat::kJson;
};

struct RecallArgs {
  std::string dir, lot, supplier_lot, supplier, equipment, from, to, out = ".";
  bool exclude_consumed = false;
  bool force = false;
  RecallFormat format = RecallFormat::kJson;
};

// Which formats a command offers: recall also writes the FSMA 204 spreadsheet.
enum class Formats { kViews, kWithFsma204 };

void add_recall_format(CLI::App* cmd, RecallFormat& format, Formats offered) {
  const bool fsma = offered == Formats::kWithFsma204;
  std::map<std::string, RecallFormat> names{
      {"json", RecallFormat::kJson}, {"table", RecallFormat::kTable}, {"csv", RecallFormat::kCsv}};
  if (fsma) names.emplace("fsma204", RecallFormat::kFsma204);
  cmd->add_option("--format", format,
                  fsma ? "json (default), table, csv or fsma204" : "json (default), table or csv")
      ->transform(CLI::CheckedTransformer(names));
}

// The site's identity for FSMA 204 location descriptions (config.json "site").
Result<ledger::Site> site_of(const std::string& dir) {
  auto config = ledger::load_config(dir);
  if (!config) return std::unexpected(config.error());
  return config->site;
}

int trace(const TraceArgs& a) {
  auto ledger = open_ledger(a.dir, ledger::OpenMode::kReadOnly);
  if (!ledger) return report(ledger.error());
  auto snap = (*ledger)->snapshot();
  const auto direction =
      a.direction == "forward" ? domain::Direction::kForward : domain::Direction::kBackward;
  auto t = domain::trace_lot(*snap, a.lot, direction, a.depth);
  if (!t) return report(t.error());
  if (a.format == RecallFormat::kCsv) {
    std::cout << domain::trace_csv(*t);
    return kExitOk;
  }
  std::string out;
  codec::JsonWriter w(out);
  domain::write_trace_answer(a.lot, direction, a.depth, snap->head().seq, *t, w);
  std::cout << (a.format == RecallFormat::kTable ? render_table(out) : out + "\n");
  return kExitOk;
}

int recall(const RecallArgs& a) {
  const domain::RecallRequest request{a.lot,  a.supplier_lot, a.supplier,        a.equipment,
                                      a.from, a.to,           a.exclude_consumed};
  auto scope = domain::recall_scope(request, {.lot = "--lot",
                                              .supplier_lot = "--supplier-lot",
                                              .supplier = "--supplier",
                                              .equipment = "--equipment",
                                              .from = "--from",
                                              .to = "--to"});
  if (!scope) return report(scope.error());

  auto ledger = open_ledger(a.dir, ledger::OpenMode::kReadOnly);
  if (!ledger) return report(ledger.error());
  auto snap = (*ledger)->snapshot();
  auto r = domain::build_recall(*snap, *scope, nullptr);
  if (!r) return report(r.error());
  switch (a.format) {
    case RecallFormat::kCsv:
      std::cout << domain::recall_csv(*r);
      return kExitOk;
    case RecallFormat::kFsma204: {
      if (auto d = prepare_output_dir(a.out); !d) return report(d.error());
      std::vector<std::filesystem::path> files;
      auto site = site_of(a.dir);
      if (!site) return report(site.error());
      for (const auto& [name, text] : domain::fsma204_files(*snap, *r, *site)) {
        const auto path = std::filesystem::path(a.out) / name;
        if (auto w =
                write_output_file(path, text, a.force ? Overwrite::kAllow : Overwrite::kRefuse);
            !w) {
          return report(w.error());
        }
        files.push_back(path);
      }
      std::string out;
      codec::JsonWriter w(out);
      w.begin_object();
      w.key("ok").boolean(true);
      w.key("lots").uint64(r->lots_reached);
      w.key("shipments").uint64(r->shipments.size());
      w.key("files").begin_array();
      for (const auto& f : files) w.string(f.string());
      w.end_array();
      w.end_object();
      std::cout << out << "\n";
      return kExitOk;
    }
    case RecallFormat::kJson:
    case RecallFormat::kTable: {
      std::string out;
      codec::JsonWriter w(out);
      domain::write_recall_json(*r, w);
      std::cout << (a.format == RecallFormat::kTable ? render_table(out) : out + "\n");
      return kExitOk;
    }
  }
  return kExitOk;
}

}  // namespace

void add_trace(CLI::App& app, Action& run) {
  auto a = std::make_shared<TraceArgs>();
  auto* cmd =
      app.add_subcommand("trace", "Every lot a lot went into (forward) or came from (backward)");
  cmd->add_option("DIR", a->dir, "Ledger directory")->required();
  cmd->add_option("--lot", a->lot, "The lot to start from")->required();
  cmd->add_option("--direction", a->direction, "forward (default) or backward")
      ->check(CLI::IsMember({"forward", "backward"}));
  cmd->add_option("--depth", a->depth, "Follow at most N edges (default: all)");
  add_recall_format(cmd, a->format, Formats::kViews);
  cmd->callback([&run, a] {
    run = [a] {
      return trace(*a);
    };
  });
}

void add_recall(CLI::App& app, Action& run) {
  auto a = std::make_shared<RecallArgs>();
  auto* cmd =
      app.add_subcommand("recall", "Scope a recall: affected lots, orders, shipments, customers");
  cmd->add_option("DIR", a->dir, "Ledger directory")->required();
  cmd->add_option("--lot", a->lot, "Start from this lot");
  cmd->add_option("--supplier-lot", a->supplier_lot,
                  "Start from the lots received under this supplier lot code");
  cmd->add_option("--supplier", a->supplier, "The supplier of --supplier-lot");
  cmd->add_option("--equipment", a->equipment,
                  "Start from the lots consumed or produced on this equipment");
  cmd->add_option("--from", a->from, "With --equipment: window start (RFC 3339)");
  cmd->add_option("--to", a->to, "With --equipment: window end, exclusive");
  cmd->add_flag("--exclude-consumed", a->exclude_consumed,
                "Leave out lots with nothing left on hand");
  cmd->add_option("--out", a->out,
                  "With --format fsma204: directory for the CSV files (default .)");
  cmd->add_flag("--force", a->force, "Replace CSV files that already exist in --out");
  add_recall_format(cmd, a->format, Formats::kWithFsma204);
  cmd->callback([&run, a] {
    run = [a] {
      return recall(*a);
    };
  });
}

}  // namespace custody::cli
