// custody trace and custody recall: genealogy and recall scoping.
#include <boost/json.hpp>
#include <iostream>

#include "cli/cli_common.h"
#include "cli/output.h"
#include "cli/table.h"
#include "custody/common/encoding.h"
#include "custody/common/files.h"
#include "custody/domain/fsma204.h"
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

struct Fsma204Args {
  std::string dir, product, from, to, out = ".";
  std::vector<std::string> lot_codes;
  bool force = false;
};

// The site's identity for FSMA 204 location descriptions (config.json "site").
Result<ledger::Site> site_of(const std::string& dir) {
  auto config = ledger::load_config(dir);
  if (!config) return std::unexpected(config.error());
  return config->site;
}

}  // namespace

Result<void> site_window(const std::string& from, const std::string& to, const ledger::Site& site,
                         TimeNs& from_out, TimeNs& to_out) {
  for (const auto& [text, field, into] :
       {std::tuple{from, "--from", &from_out}, std::tuple{to, "--to", &to_out}}) {
    if (text.empty()) continue;
    auto t = domain::parse_site_time(text, site);
    if (!t) return fail(ErrorCode::kInvalidArgument, t.error().message, field);
    *into = *t;
  }
  if (to_out <= from_out)
    return fail(ErrorCode::kInvalidArgument, "--to must be after --from", "--to");
  return {};
}

namespace {

// Writes the FSMA 204 files of `scope` into `out` and says what it wrote: {"ok", "events",
// "files", "warnings"}, each data gap also as a warning on stderr.
int write_fsma204(const ledger::Site& site, const ledger::Snapshot& snap,
                  const domain::Fsma204Scope& scope, const std::string& out_dir, bool force) {
  auto sheet = domain::fsma204_export(snap, scope, site);
  if (!sheet) {
    Error e = sheet.error();
    if (e.field == "product" || e.field == "tlc" || e.field == "to") e.field = "--" + e.field;
    return report(e);
  }
  if (auto d = prepare_output_dir(out_dir); !d) return report(d.error());
  // All six or none: a file in the way is refused before any is written.
  for (const auto& [name, text] : sheet->files) {
    const auto path = std::filesystem::path(out_dir) / name;
    if (!force && std::filesystem::exists(std::filesystem::symlink_status(path))) {
      return report(Error{ErrorCode::kAlreadyExists,
                          path.string() + " already exists; pass --force to replace it", "--out"});
    }
  }
  std::vector<std::filesystem::path> files;
  for (const auto& [name, text] : sheet->files) {
    const auto path = std::filesystem::path(out_dir) / name;
    if (auto w = write_output_file(path, text, force ? Overwrite::kAllow : Overwrite::kRefuse);
        !w) {
      return report(w.error());
    }
    files.push_back(path);
  }
  for (const auto& warning : sheet->warnings) std::cerr << "warning: " << warning << "\n";
  std::string out;
  codec::JsonWriter w(out);
  w.begin_object();
  w.key("ok").boolean(true);
  w.key("events").uint64(sheet->events);
  w.key("files").begin_array();
  for (const auto& f : files) w.string(f.string());
  w.end_array();
  w.key("warnings").begin_array();
  for (const auto& warning : sheet->warnings) w.string(warning);
  w.end_array();
  w.end_object();
  std::cout << out << "\n";
  return kExitOk;
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
  domain::write_trace_answer(*snap, a.lot, direction, a.depth, *t, w);
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
      auto site = site_of(a.dir);
      if (!site) return report(site.error());
      domain::Fsma204Scope sheet;
      sheet.recall = &*r;
      return write_fsma204(*site, *snap, sheet, a.out, a.force);
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

int fsma204(const Fsma204Args& a) {
  domain::Fsma204Scope scope;
  if (a.product.empty() == a.lot_codes.empty()) {
    return report(Error{ErrorCode::kInvalidArgument,
                        "name a product (--product) or traceability lot codes (--tlc), not both",
                        "--product"});
  }
  scope.by =
      a.product.empty() ? domain::Fsma204Scope::By::kLotCodes : domain::Fsma204Scope::By::kProduct;
  scope.product = a.product;
  scope.lot_codes = a.lot_codes;
  auto site = site_of(a.dir);
  if (!site) return report(site.error());
  if (auto w = site_window(a.from, a.to, *site, scope.from, scope.to); !w) return report(w.error());
  auto ledger = open_ledger(a.dir, ledger::OpenMode::kReadOnly);
  if (!ledger) return report(ledger.error());
  auto snap = (*ledger)->snapshot();
  return write_fsma204(*site, *snap, scope, a.out, a.force);
}

}  // namespace

void add_fsma204(CLI::App& app, Action& run) {
  auto a = std::make_shared<Fsma204Args>();
  auto* cmd = app.add_subcommand(
      "fsma204", "The FDA's FSMA 204 sortable spreadsheet for a product or traceability lots");
  cmd->add_option("DIR", a->dir, "Ledger directory")->required();
  cmd->add_option("--product", a->product, "Every event of this material (id)");
  cmd->add_option("--tlc", a->lot_codes, "Every event of this traceability lot code (repeatable)");
  cmd->add_option("--from", a->from, "Events at or after this time (RFC 3339)");
  cmd->add_option("--to", a->to, "Events before this time (RFC 3339)");
  cmd->add_option("--out", a->out, "Directory for the files (default .)");
  cmd->add_flag("--force", a->force, "Replace files that already exist in --out");
  cmd->callback([&run, a] {
    run = [a] {
      return fsma204(*a);
    };
  });
}

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
