// The domain's views: custody show, board, kpi, logbook, yield, pareto, oee and pay.
#include <iostream>
#include <limits>

#include "cli/cli_common.h"
#include "cli/table.h"
#include "custody/common/encoding.h"
#include "custody/domain/queries.h"
#include "custody/domain/retention.h"

namespace custody::cli {
namespace {

// Runs `query` against a read-only snapshot of `dir` and prints its JSON.
int with_queries(const std::string& dir, Format format,
                 const std::function<Result<void>(const domain::Queries&, const ledger::Ledger&,
                                                  codec::JsonWriter&)>& query) {
  auto ledger = open_ledger(dir, ledger::OpenMode::kReadOnly);
  if (!ledger) return report(ledger.error());
  auto snap = (*ledger)->snapshot();
  domain::Queries q(*snap);
  std::string out;
  codec::JsonWriter w(out);
  if (auto r = query(q, **ledger, w); !r) return report(r.error());
  return print(out, format);
}

struct ShowArgs {
  std::string dir, kind, id;
  std::size_t history = 200;
  Format format = Format::kJson;
};

struct BoardArgs {
  std::string dir, board, at;
  std::uint32_t within = 0;  // expiry: days ahead; 0: the site's expiryHorizonDays
  Format format = Format::kJson;
};

struct PeriodArgs {
  std::string dir, from, to;
  Format format = Format::kJson;
};

Result<TimeNs> parse_time(const std::string& text, const std::string& field) {
  auto t = parse_rfc3339(text);
  if (!t) return fail(t.error().code, t.error().message + ": " + text, field);
  return *t;
}

// --from and --to, `to` after `from`; one left out (where it may be) is all time that way.
Result<std::pair<TimeNs, TimeNs>> period_of(const std::string& from_text,
                                            const std::string& to_text) {
  std::pair<TimeNs, TimeNs> period{0, std::numeric_limits<TimeNs>::max()};
  if (!from_text.empty()) {
    auto t = parse_time(from_text, "from");
    if (!t) return std::unexpected(t.error());
    period.first = *t;
  }
  if (!to_text.empty()) {
    auto t = parse_time(to_text, "to");
    if (!t) return std::unexpected(t.error());
    period.second = *t;
  }
  if (period.second <= period.first) {
    return std::unexpected(Error::invalid_argument("to", "must be after --from"));
  }
  return period;
}

// The site's time zone (shifts are on its clock).
Result<TimeZone> site_zone(const std::string& dir) {
  auto config = ledger::load_config(dir);
  if (!config) return std::unexpected(config.error());
  return TimeZone::load(config->site.time_zone);
}

}  // namespace

void add_show(CLI::App& app, Action& run) {
  auto a = std::make_shared<ShowArgs>();
  auto* cmd = app.add_subcommand(
      "show",
      "Show a lot, work order, exception, equipment, material, party, expected receipt, defect "
      "code, shift, deviation or CAPA action");
  cmd->add_option("DIR", a->dir, "Ledger directory")->required();
  cmd->add_option("KIND", a->kind,
                  "lot | wo | exception | equipment | material | party | receipt | defect | shift "
                  "| deviation | capa")
      ->required()
      ->check(CLI::IsMember({"lot", "wo", "exception", "equipment", "material", "party", "receipt",
                             "defect", "shift", "deviation", "capa"}));
  cmd->add_option("ID", a->id, "Its id")->required();
  cmd->add_option("--history", a->history, "Show the newest N history records (0: all)");
  add_format(cmd, a->format);
  cmd->callback([&run, a] {
    run = [a] {
      return with_queries(
          a->dir, a->format,
          [&](const domain::Queries& q, const ledger::Ledger&, codec::JsonWriter& w) {
            return q.show(*domain::parse_entity_kind(a->kind), a->id, a->history, w);
          });
    };
  });
}

void add_board(CLI::App& app, Action& run) {
  auto a = std::make_shared<BoardArgs>();
  auto* cmd =
      app.add_subcommand("board", "The WIP, exception, expiry, training, deviation or CAPA board");
  cmd->add_option("DIR", a->dir, "Ledger directory")->required();
  cmd->add_option("BOARD", a->board, "wip | exceptions | expiry | training | deviations | capa")
      ->required()
      ->check(CLI::IsMember(
          std::vector<std::string>(std::begin(domain::kBoards), std::end(domain::kBoards))));
  cmd->add_option("--at", a->at, "Judge lateness and age at this time (default: now)");
  cmd->add_option("--within", a->within,
                  "expiry: lots expiring within this many days (default: the site's "
                  "expiryHorizonDays, 30); training: qualifications (default 30)")
      ->check(CLI::Range(1, 3660));
  add_format(cmd, a->format);
  cmd->callback([&run, a] {
    run = [a] {
      TimeNs now = SystemClock().now();
      if (!a->at.empty()) {
        auto t = parse_time(a->at, "at");
        if (!t) return report(t.error());
        now = *t;
      }
      std::uint32_t within = a->within;
      if (a->board == "training" && within == 0) within = domain::kTrainingHorizonDays;
      if (a->board == "expiry" && within == 0) {
        auto config = ledger::load_config(a->dir);
        if (!config) return report(config.error());
        within = config->site.expiry_horizon_days;
      }
      return with_queries(a->dir, a->format,
                          [&](const domain::Queries& q, const ledger::Ledger&,
                              codec::JsonWriter& w) { return q.board(a->board, now, within, w); });
    };
  });
}

namespace {

// A command that answers `query` over a required period [--from, --to).
void add_period_query(
    CLI::App& app, Action& run, const std::string& name, const std::string& description,
    std::function<Result<void>(const domain::Queries&, TimeNs, TimeNs, codec::JsonWriter&)> query) {
  auto a = std::make_shared<PeriodArgs>();
  auto* cmd = app.add_subcommand(name, description);
  cmd->add_option("DIR", a->dir, "Ledger directory")->required();
  cmd->add_option("--from", a->from, "Start (RFC 3339 or YYYY-MM-DD), inclusive")->required();
  cmd->add_option("--to", a->to, "End, exclusive")->required();
  add_format(cmd, a->format);
  cmd->callback([&run, a, query] {
    run = [a, query] {
      auto period = period_of(a->from, a->to);
      if (!period) return report(period.error());
      return with_queries(
          a->dir, a->format,
          [&](const domain::Queries& q, const ledger::Ledger&, codec::JsonWriter& w) {
            return query(q, period->first, period->second, w);
          });
    };
  });
}

}  // namespace

void add_kpi(CLI::App& app, Action& run) {
  add_period_query(app, run, "kpi", "KPIs over a time range",
                   [](const domain::Queries& q, TimeNs from, TimeNs to, codec::JsonWriter& w) {
                     return q.kpis(from, to, w);
                   });
}

void add_logbook(CLI::App& app, Action& run) {
  struct Args {
    std::string dir, equipment, from, to;
    Format format = Format::kJson;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "logbook", "An equipment's logbook: cleanings, calibrations, maintenance and each use");
  cmd->add_option("DIR", a->dir, "Ledger directory")->required();
  cmd->add_option("EQUIPMENT", a->equipment, "The equipment's id")->required();
  cmd->add_option("--from", a->from, "Entries from this time (RFC 3339), inclusive");
  cmd->add_option("--to", a->to, "Entries before this time, exclusive");
  add_format(cmd, a->format);
  cmd->callback([&run, a] {
    run = [a] {
      auto period = period_of(a->from, a->to);
      if (!period) return report(period.error());
      return with_queries(
          a->dir, a->format,
          [&](const domain::Queries& q, const ledger::Ledger&, codec::JsonWriter& w) {
            return q.equipment_logbook(a->equipment, period->first, period->second, w);
          });
    };
  });
}

void add_yield(CLI::App& app, Action& run) {
  struct Args {
    std::string dir, wo;
    Format format = Format::kJson;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "yield", "A work order's yield against theory, for the order and each step");
  cmd->add_option("DIR", a->dir, "Ledger directory")->required();
  cmd->add_option("WO", a->wo, "The work order's id")->required();
  add_format(cmd, a->format);
  cmd->callback([&run, a] {
    run = [a] {
      return with_queries(a->dir, a->format,
                          [&](const domain::Queries& q, const ledger::Ledger&,
                              codec::JsonWriter& w) { return q.work_order_yield(a->wo, w); });
    };
  });
}

void add_pareto(CLI::App& app, Action& run) {
  struct Args {
    std::string dir, from, to;
    domain::ParetoQuery query;
    Format format = Format::kJson;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "pareto", "A Pareto of defects: scrap by defect, step, material, equipment or shift");
  cmd->add_option("DIR", a->dir, "Ledger directory")->required();
  cmd->add_option("--by", a->query.by, "defect (default) | step | material | equipment | shift")
      ->check(CLI::IsMember({"defect", "step", "material", "equipment", "shift"}));
  cmd->add_option("--from", a->from, "Reports from this time (RFC 3339), inclusive");
  cmd->add_option("--to", a->to, "Reports before this time, exclusive");
  cmd->add_option("--step", a->query.step, "Only reports of this routing step");
  cmd->add_option("--material", a->query.material, "Only reports of orders of this material");
  cmd->add_option("--equipment", a->query.equipment, "Only reports of steps on this equipment");
  cmd->add_option("--shift", a->query.shift, "Only reports in this shift");
  add_format(cmd, a->format);
  cmd->callback([&run, a] {
    run = [a] {
      auto period = period_of(a->from, a->to);
      if (!period) return report(period.error());
      a->query.from = period->first;
      a->query.to = period->second;
      return with_queries(a->dir, a->format,
                          [&](const domain::Queries& q, const ledger::Ledger&,
                              codec::JsonWriter& w) -> Result<void> {
                            auto zone = site_zone(a->dir);
                            if (!zone) return std::unexpected(zone.error());
                            return q.defect_pareto(a->query, *zone, w);
                          });
    };
  });
}

void add_oee(CLI::App& app, Action& run) {
  struct Args {
    std::string dir, from, to, at;
    domain::OeeQuery query;
    Format format = Format::kJson;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "oee", "OEE per equipment and shift: availability, performance, quality, down reasons");
  cmd->add_option("DIR", a->dir, "Ledger directory")->required();
  cmd->add_option("--from", a->from, "Start (RFC 3339 or YYYY-MM-DD), inclusive")->required();
  cmd->add_option("--to", a->to, "End, exclusive")->required();
  cmd->add_option("--equipment", a->query.equipment, "Only this equipment");
  cmd->add_option("--at", a->at, "Count time up to this instant (default: now)");
  add_format(cmd, a->format);
  cmd->callback([&run, a] {
    run = [a] {
      auto period = period_of(a->from, a->to);
      if (!period) return report(period.error());
      a->query.from = period->first;
      a->query.to = period->second;
      a->query.now = SystemClock().now();
      if (!a->at.empty()) {
        auto at = parse_time(a->at, "at");
        if (!at) return report(at.error());
        a->query.now = *at;
      }
      return with_queries(a->dir, a->format,
                          [&](const domain::Queries& q, const ledger::Ledger&,
                              codec::JsonWriter& w) -> Result<void> {
                            auto zone = site_zone(a->dir);
                            if (!zone) return std::unexpected(zone.error());
                            return q.oee(a->query, *zone, w);
                          });
    };
  });
}

void add_pay(CLI::App& app, Action& run) {
  add_period_query(app, run, "pay",
                   "Piecework pay per operator over a time range, at the piece rates in force",
                   [](const domain::Queries& q, TimeNs from, TimeNs to, codec::JsonWriter& w) {
                     return q.piecework_pay(from, to, w);
                   });
}

void add_retention(CLI::App& app, Action& run) {
  struct Args {
    std::string dir, at;
    std::size_t limit = 1000;
    bool report = false;
    Format format = Format::kJson;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "retention", "The retention policies in force and the records past their retention");
  cmd->add_option("DIR", a->dir, "Ledger directory")->required();
  cmd->add_flag("--report", a->report,
                "Report what is past its retention (custody deletes nothing)")
      ->required();
  cmd->add_option("--at", a->at, "Judge retention at this time (default: now)");
  cmd->add_option("--limit", a->limit, "List at most this many records past retention (1000)");
  add_format(cmd, a->format);
  cmd->callback([&run, a] {
    run = [a] {
      TimeNs at = SystemClock().now();
      if (!a->at.empty()) {
        auto t = parse_time(a->at, "at");
        if (!t) return report(t.error());
        at = *t;
      }
      auto ledger = open_ledger(a->dir, ledger::OpenMode::kReadOnly);
      if (!ledger) return report(ledger.error());
      auto snap = (*ledger)->snapshot();
      auto r = domain::retention_report(*snap, at, a->limit);
      if (!r) return report(r.error());
      std::string out;
      codec::JsonWriter w(out);
      w.begin_object().key("at").string(format_rfc3339(r->at));
      w.key("policies").begin_array();
      std::uint64_t past = 0;
      for (const auto& l : r->lines) {
        past += l.past;
        w.begin_object().key("recordType").string(l.policy.record_type);
        w.key("keepDays").uint64(l.policy.keep_days).key("basis").string(l.policy.basis);
        w.key("reason").string(l.policy.reason);
        w.key("records").uint64(l.records).key("pastRetention").uint64(l.past).end_object();
      }
      w.end_array();
      w.key("pastRetention").uint64(past);
      w.key("withoutPolicy").uint64(r->without_policy);
      w.key("records").begin_array();
      for (const auto& p : r->listed) {
        w.begin_object().key("seq").uint64(p.seq).key("type").string(p.type);
        w.key("stream").string(p.stream).key("occurredAt").string(format_rfc3339(p.occurred_at));
        w.key("retainedUntil").string(format_rfc3339(p.due)).end_object();
      }
      w.end_array();
      w.key("truncated").boolean(r->truncated).end_object();
      return print(out, a->format);
    };
  });
}

}  // namespace custody::cli
