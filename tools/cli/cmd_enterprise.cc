// custody enterprise status ENT, custody enterprise recall ENT --site S --lot L and custody
// enterprise trace ENT --site S --lot L [--backward]: the enterprise view over many sites'
// copies (docs/enterprise.md).
#include <cmath>
#include <iostream>

#include "cli/cli_common.h"
#include "cli/table.h"
#include "custody/codec/json_writer.h"
#include "custody/common/clock.h"
#include "custody/domain/enterprise.h"

namespace custody::cli {
namespace {

struct EnterpriseArgs {
  std::string dir, site, lot;
  bool backward = false;
  Format format = Format::kJson;
};

Result<std::unique_ptr<domain::Enterprise>> open(const std::string& dir, const Clock& clock) {
  auto e = domain::Enterprise::open(dir, clock);
  if (!e && e.error().field == "dir") e.error().field = "ENT";
  return e;
}

int status(const EnterpriseArgs& a) {
  const SystemClock clock;
  auto e = open(a.dir, clock);
  if (!e) return report(e.error());
  std::string out;
  codec::JsonWriter w(out);
  w.begin_object().key("sites").begin_array();
  for (const auto& s : (*e)->status()) domain::write_site_status_json(s, w);
  w.end_array().end_object();
  return print(out, a.format);
}

// The report for people: how current each site is, the cross-site edges, the transfers to
// sister sites that no receipt continues, and the customers outside the enterprise, per site.
std::string table_of(const domain::EnterpriseRecall& r) {
  std::string out;
  codec::JsonWriter w(out);
  w.begin_object();
  w.key("start").string(r.site + " " + r.lot);
  w.key("sites").begin_array();
  for (const auto& s : r.sites) {
    w.begin_object().key("site").string(s.status.site).key("reached").boolean(s.reached);
    w.key("seq").uint64(s.status.seq);
    w.key("ageSeconds").number(std::round(s.status.age_seconds * 10) / 10);
    w.key("stale").boolean(s.status.stale);
    w.key("lots").uint64(s.reached ? s.report.lots.size() : 0);
    w.key("shipments").uint64(s.reached ? s.report.shipments.size() : 0);
    w.end_object();
  }
  w.end_array();
  w.key("crossSiteEdges").begin_array();
  for (const auto& e : r.edges) {
    w.begin_object().key("from").string(e.from_site + " " + e.from_lot);
    w.key("to").string(e.to_site + " " + e.to_lot).key("basis").string(e.basis);
    w.key("shipment").string(e.shipment).key("received").decimal(e.received, 3);
    w.key("uom").string(e.uom).end_object();
  }
  w.end_array();
  w.key("unfollowedTransfers").begin_array();
  for (const auto& u : r.unfollowed) {
    w.begin_object().key("from").string(u.from_site + " " + u.shipment.lot);
    w.key("to").string(u.to_site).key("shipment").string(u.shipment.shipment);
    w.key("qty").decimal(u.shipment.qty, 3).key("uom").string(u.shipment.uom).end_object();
  }
  w.end_array();
  w.key("customers").begin_array();
  for (const auto& s : r.sites) {
    for (const auto& c : s.report.customers) {
      w.begin_object().key("site").string(s.status.site).key("customer").string(c.customer);
      w.key("name").string(c.name).key("qty").decimal(c.qty, 3).key("uom").string(c.uom);
      w.key("shipments").uint64(c.shipments).end_object();
    }
  }
  w.end_array();
  w.end_object();
  return render_table(out);
}

// An error of the start (site, lot) names the option that gave it.
int report_start(Error err) {
  if (err.field == "site" || err.field == "lot") err.field = "--" + err.field;
  return report(err);
}

int recall(const EnterpriseArgs& a) {
  const SystemClock clock;
  auto e = open(a.dir, clock);
  if (!e) return report(e.error());
  auto r = (*e)->recall(a.site, a.lot);
  if (!r) return report_start(r.error());
  if (a.format == Format::kTable) {
    std::cout << table_of(*r);
    return kExitOk;
  }
  std::string out;
  codec::JsonWriter w(out);
  domain::write_enterprise_recall_json(*r, w);
  std::cout << out << "\n";
  return kExitOk;
}

// For people: per site, how many lots the trace reached and how current the copy is, and the
// crossings between sites (the lots themselves are in the JSON).
std::string table_of(const domain::EnterpriseTrace& t) {
  std::string out;
  codec::JsonWriter w(out);
  w.begin_object();
  w.key("start").string(t.site + " " + t.lot);
  w.key("direction").string(t.direction == domain::Direction::kForward ? "forward" : "backward");
  w.key("sites").begin_array();
  for (std::size_t i = 0; i < t.sites.size(); ++i) {
    const auto& s = t.sites[i];
    w.begin_object().key("site").string(s.site).key("lots").uint64(t.reached[i]);
    w.key("seq").uint64(s.seq);
    w.key("ageSeconds").number(std::round(s.age_seconds * 10) / 10);
    w.key("stale").boolean(s.stale).end_object();
  }
  w.end_array();
  w.key("crossings").begin_array();
  for (const auto& l : t.links) {
    w.begin_object().key("from").string(t.sites[l.from_site].site + " " + l.from_lot);
    w.key("to").string(t.sites[l.to_site].site + " " + l.to_lot).end_object();
  }
  w.end_array();
  w.end_object();
  return render_table(out);
}

int trace(const EnterpriseArgs& a) {
  const SystemClock clock;
  auto e = open(a.dir, clock);
  if (!e) return report(e.error());
  auto t = (*e)->trace(a.site, a.lot,
                       a.backward ? domain::Direction::kBackward : domain::Direction::kForward);
  if (!t) return report_start(t.error());
  if (a.format == Format::kTable) {
    std::cout << table_of(*t);
    return kExitOk;
  }
  std::string out;
  codec::JsonWriter w(out);
  domain::write_enterprise_trace_json(*t, w);
  std::cout << out << "\n";
  return kExitOk;
}

}  // namespace

void add_enterprise(CLI::App& app, Action& run) {
  auto* cmd = app.add_subcommand(
      "enterprise", "Recall across many sites' copies (an enterprise directory, enterprise.json)");
  cmd->require_subcommand(1);
  auto s = std::make_shared<EnterpriseArgs>();
  auto* st = cmd->add_subcommand("status", "How far each site's copy reaches, and how old it is");
  st->add_option("ENT", s->dir, "The enterprise directory")->required();
  add_format(st, s->format);
  st->callback([&run, s] {
    run = [s] {
      return status(*s);
    };
  });
  auto r = std::make_shared<EnterpriseArgs>();
  auto* rc = cmd->add_subcommand(
      "recall", "Forward from a lot at one site, into every site its shipments reached");
  rc->add_option("ENT", r->dir, "The enterprise directory")->required();
  rc->add_option("--site", r->site, "The site the lot is at")->required();
  rc->add_option("--lot", r->lot, "The lot to start from")->required();
  add_format(rc, r->format);
  rc->callback([&run, r] {
    run = [r] {
      return recall(*r);
    };
  });
  auto t = std::make_shared<EnterpriseArgs>();
  auto* tr = cmd->add_subcommand(
      "trace", "Every lot a lot went into (or came from, --backward), across the sites");
  tr->add_option("ENT", t->dir, "The enterprise directory")->required();
  tr->add_option("--site", t->site, "The site the lot is at")->required();
  tr->add_option("--lot", t->lot, "The lot to start from")->required();
  tr->add_flag("--backward", t->backward, "What the lot came from, back to other sites' lots");
  add_format(tr, t->format);
  tr->callback([&run, t] {
    run = [t] {
      return trace(*t);
    };
  });
}

}  // namespace custody::cli
