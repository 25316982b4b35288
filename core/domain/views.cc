#include "custody/domain/views.h"

#include <algorithm>
#include <boost/json.hpp>
#include <limits>
#include <utility>

#include "custody/codec/json_parse.h"
#include "custody/common/encoding.h"
#include "custody/common/time_zone.h"
#include "custody/domain/command_codec.h"
#include "custody/domain/epcis_export.h"
#include "custody/domain/epcis_import.h"
#include "custody/domain/projections.h"
#include "custody/domain/queries.h"

namespace custody::domain {
namespace {

std::unexpected<Error> bad(std::string field, std::string message) {
  return std::unexpected(Error::invalid_argument(std::move(field), std::move(message)));
}

// Typed access to a request object that also rejects members the view does not take.
enum class Need { kRequired, kOptional };

class Request {
 public:
  explicit Request(const boost::json::object& obj) : obj_(obj) {}

  Result<void> only(std::initializer_list<std::string_view> allowed) const {
    for (const auto& member : obj_) {
      if (member.key() == "view") continue;
      if (std::find(allowed.begin(), allowed.end(), member.key()) == allowed.end()) {
        return bad(std::string(member.key()), "is not a field of this view (unknown field)");
      }
    }
    return {};
  }

  Result<std::string> text(std::string_view key, Need need) const {
    const auto* v = obj_.if_contains(key);
    if (v == nullptr || v->is_null()) {
      if (need == Need::kRequired) return bad(std::string(key), "is required");
      return std::string();
    }
    if (!v->is_string()) return bad(std::string(key), "must be a string");
    return std::string(v->as_string());
  }

  Result<std::uint64_t> count(std::string_view key, std::uint64_t fallback) const {
    const auto* v = obj_.if_contains(key);
    if (v == nullptr || v->is_null()) return fallback;
    if (v->is_uint64()) return v->as_uint64();
    if (v->is_int64() && v->as_int64() >= 0) return static_cast<std::uint64_t>(v->as_int64());
    return bad(std::string(key), "must be a non-negative integer");
  }

  Result<bool> flag(std::string_view key) const {
    const auto* v = obj_.if_contains(key);
    if (v == nullptr || v->is_null()) return false;
    if (!v->is_bool()) return bad(std::string(key), "must be true or false");
    return v->as_bool();
  }

  Result<TimeNs> time(std::string_view key, Need need, TimeNs fallback = 0) const {
    auto t = text(key, need);
    if (!t) return std::unexpected(t.error());
    if (t->empty()) return fallback;
    auto parsed = parse_rfc3339(*t);
    if (!parsed)
      return fail(parsed.error().code, parsed.error().message + ": " + *t, std::string(key));
    return *parsed;
  }

  // from and to, `to` after `from`; when not required, from the beginning to no end.
  Result<std::pair<TimeNs, TimeNs>> period(Need need) const {
    auto from = time("from", need, 0);
    if (!from) return std::unexpected(from.error());
    auto to = time("to", need, std::numeric_limits<TimeNs>::max());
    if (!to) return std::unexpected(to.error());
    if (*to <= *from) return bad("to", "must be after from");
    return std::pair{*from, *to};
  }

 private:
  const boost::json::object& obj_;
};

#define CUSTODY_TRY(var, expr) \
  auto var = (expr);           \
  if (!var) return std::unexpected(var.error())

ledger::Site site_of(const ViewOptions& options) {
  return options.site != nullptr ? *options.site : ledger::Site{};
}

Result<void> show_view(const ledger::Snapshot& snap, EntityKind kind, const Request& r,
                       std::string& out) {
  if (auto ok = r.only({"id", "history"}); !ok) return ok;
  CUSTODY_TRY(id, r.text("id", Need::kRequired));
  CUSTODY_TRY(history, r.count("history", 200));
  codec::JsonWriter w(out);
  return Queries(snap).show(kind, *id, *history, w);
}

Result<void> board_view(const ledger::Snapshot& snap, const Request& r, TimeNs now,
                        std::string& out) {
  if (auto ok = r.only({"board", "at", "within"}); !ok) return ok;
  CUSTODY_TRY(board, r.text("board", Need::kRequired));
  CUSTODY_TRY(at, r.time("at", Need::kOptional, now));
  CUSTODY_TRY(within, r.count("within", 30));
  if (*within < 1 || *within > 3660) return bad("within", "must be 1 to 3660 days");
  if (std::ranges::find(kBoards, *board) == std::end(kBoards)) {
    return bad("board", "must be wip, exceptions, expiry, training, deviations or capa");
  }
  codec::JsonWriter w(out);
  return Queries(snap).board(*board, *at, static_cast<std::uint32_t>(*within), w);
}

Result<void> kpi_view(const ledger::Snapshot& snap, const Request& r, std::string& out) {
  if (auto ok = r.only({"from", "to"}); !ok) return ok;
  CUSTODY_TRY(period, r.period(Need::kRequired));
  codec::JsonWriter w(out);
  return Queries(snap).kpis(period->first, period->second, w);
}

Result<void> logbook_view(const ledger::Snapshot& snap, const Request& r, std::string& out) {
  if (auto ok = r.only({"equipment", "from", "to"}); !ok) return ok;
  CUSTODY_TRY(equipment, r.text("equipment", Need::kRequired));
  CUSTODY_TRY(period, r.period(Need::kOptional));
  codec::JsonWriter w(out);
  return Queries(snap).equipment_logbook(*equipment, period->first, period->second, w);
}

Result<void> yield_view(const ledger::Snapshot& snap, const Request& r, std::string& out) {
  if (auto ok = r.only({"wo"}); !ok) return ok;
  CUSTODY_TRY(wo, r.text("wo", Need::kRequired));
  codec::JsonWriter w(out);
  return Queries(snap).work_order_yield(*wo, w);
}

// A Pareto of defects over [from, to) (default: all time) on the site's clock.
Result<void> pareto_view(const ledger::Snapshot& snap, const Request& r, const ViewOptions& options,
                         std::string& out) {
  if (auto ok = r.only({"from", "to", "by", "step", "material", "equipment", "shift"}); !ok) {
    return ok;
  }
  ParetoQuery q;
  CUSTODY_TRY(period, r.period(Need::kOptional));
  CUSTODY_TRY(by, r.text("by", Need::kOptional));
  q.from = period->first;
  q.to = period->second;
  if (!by->empty()) q.by = *by;
  for (auto [key, field] : {std::pair{"step", &q.step}, std::pair{"material", &q.material},
                            std::pair{"equipment", &q.equipment}, std::pair{"shift", &q.shift}}) {
    CUSTODY_TRY(value, r.text(key, Need::kOptional));
    *field = *value;
  }
  CUSTODY_TRY(zone, TimeZone::load(site_of(options).time_zone));
  codec::JsonWriter w(out);
  return Queries(snap).defect_pareto(q, *zone, w);
}

// OEE per equipment and shift over [from, to) on the site's clock.
Result<void> oee_view(const ledger::Snapshot& snap, const Request& r, const ViewOptions& options,
                      std::string& out) {
  if (auto ok = r.only({"from", "to", "equipment"}); !ok) return ok;
  CUSTODY_TRY(period, r.period(Need::kRequired));
  CUSTODY_TRY(equipment, r.text("equipment", Need::kOptional));
  CUSTODY_TRY(zone, TimeZone::load(site_of(options).time_zone));
  codec::JsonWriter w(out);
  return Queries(snap).oee(
      {.from = period->first, .to = period->second, .now = options.now, .equipment = *equipment},
      *zone, w);
}

// Piecework pay per operator over [from, to).
Result<void> pay_view(const ledger::Snapshot& snap, const Request& r, std::string& out) {
  if (auto ok = r.only({"from", "to"}); !ok) return ok;
  CUSTODY_TRY(period, r.period(Need::kRequired));
  codec::JsonWriter w(out);
  return Queries(snap).piecework_pay(period->first, period->second, w);
}

Result<void> trace_view(const ledger::Snapshot& snap, const Request& r, std::string& out) {
  if (auto ok = r.only({"lot", "direction", "depth"}); !ok) return ok;
  CUSTODY_TRY(lot, r.text("lot", Need::kRequired));
  CUSTODY_TRY(direction_name, r.text("direction", Need::kOptional));
  CUSTODY_TRY(depth, r.count("depth", 0));
  Direction direction = Direction::kForward;
  if (*direction_name == "backward") {
    direction = Direction::kBackward;
  } else if (!direction_name->empty() && *direction_name != "forward") {
    return bad("direction", "must be forward or backward");
  }
  if (*depth > 1000000) return bad("depth", "is too large");
  const auto max_depth = static_cast<std::uint32_t>(*depth);
  CUSTODY_TRY(trace, trace_lot(snap, *lot, direction, max_depth));
  codec::JsonWriter w(out);
  write_trace_answer(snap, *lot, direction, max_depth, *trace, w);
  return {};
}

Result<void> recall_view(const ledger::Snapshot& snap, const Request& r, const ViewOptions& options,
                         std::string& out) {
  if (auto ok =
          r.only({"lot", "supplier", "supplierLot", "equipment", "from", "to", "excludeConsumed"});
      !ok) {
    return ok;
  }
  RecallRequest request;
  for (auto [key, target] :
       {std::pair{"lot", &request.lot}, std::pair{"supplier", &request.supplier},
        std::pair{"supplierLot", &request.supplier_lot}, std::pair{"equipment", &request.equipment},
        std::pair{"from", &request.from}, std::pair{"to", &request.to}}) {
    CUSTODY_TRY(value, r.text(key, Need::kOptional));
    *target = std::move(*value);
  }
  CUSTODY_TRY(exclude, r.flag("excludeConsumed"));
  request.exclude_consumed = *exclude;
  CUSTODY_TRY(scope, recall_scope(request));
  CUSTODY_TRY(report, build_recall(snap, *scope, options.graph));
  codec::JsonWriter w(out);
  write_recall_json(*report, w);
  return {};
}

Result<void> log_view(const ledger::Snapshot& snap, const Request& r, const ViewOptions& options,
                      std::string& out) {
  if (auto ok = r.only({"from", "limit", "stream"}); !ok) return ok;
  CUSTODY_TRY(from, r.count("from", 1));
  CUSTODY_TRY(limit, r.count("limit", options.max_log_records));
  CUSTODY_TRY(stream, r.text("stream", Need::kOptional));
  if (*from == 0) return bad("from", "must be at least 1");
  if (*limit == 0 || *limit > options.max_log_records) {
    return bad("limit", "must be between 1 and " + std::to_string(options.max_log_records));
  }
  std::optional<Error> problem;
  auto line = [&](std::uint64_t, std::string_view bytes) {
    if (auto a = append_record_json(bytes, out); !a) {
      problem = a.error();
      return false;
    }
    out += '\n';
    return true;
  };
  auto done = stream->empty() ? snap.records(*from, *limit, line)
                              : snap.stream_records(*stream, *from, *limit, line);
  if (!done) return done;
  if (problem) return std::unexpected(*problem);
  return {};
}

// The site's identity and its time zone's offsets over a span (default: 1970 until ten
// years after now), so a report can show the site's wall clock without a zone database.
Result<void> site_view(const Request& r, const ViewOptions& options, std::string& out) {
  if (auto ok = r.only({"from", "to"}); !ok) return ok;
  constexpr TimeNs kSecond = 1'000'000'000;
  constexpr TimeNs kTenYears = 10LL * 366 * 86400 * kSecond;
  CUSTODY_TRY(from, r.time("from", Need::kOptional, 1));
  CUSTODY_TRY(to, r.time("to", Need::kOptional, options.now + kTenYears));
  if (*to < *from) return bad("to", "must not be before from");
  const ledger::Site site = site_of(options);
  CUSTODY_TRY(zone, TimeZone::load(site.time_zone));
  CUSTODY_TRY(periods, zone->periods(*from / kSecond, *to / kSecond));
  codec::JsonWriter w(out);
  w.begin_object();
  w.key("name").string(site.name);
  w.key("address").string(site.address);
  w.key("gln").string(site.gln);
  w.key("timeZone").string(site.time_zone);
  w.key("periods").begin_array();
  for (const auto& p : *periods) {
    w.begin_object();
    w.key("from").string(format_rfc3339(std::max<TimeNs>(p.from, 0) * kSecond));
    w.key("offsetMinutes").int64(p.offset.minutes);
    w.key("abbreviation").string(p.offset.abbreviation);
    w.key("dst").boolean(p.offset.dst);
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return {};
}

// One record's EPCIS events, as the document the outbox's "epcis" format delivers.
Result<void> epcis_view(const ledger::Snapshot& snap, const Request& r, const ViewOptions& options,
                        std::string& out) {
  if (auto ok = r.only({"seq"}); !ok) return ok;
  CUSTODY_TRY(seq, r.count("seq", 0));
  if (*seq == 0) return bad("seq", "is required: the record whose EPCIS events to answer");
  CUSTODY_TRY(document, epcis_record_document(snap, *seq, site_of(options), options.origin));
  out += *document;
  return {};
}

#undef CUSTODY_TRY

}  // namespace

Result<void> answer_view(const ledger::Snapshot& snap, std::string_view request,
                         const ViewOptions& options, std::string& out) {
  auto parsed = codec::parse_json(request, "");
  if (!parsed) return std::unexpected(parsed.error());
  const boost::json::value& root = *parsed;
  if (!root.is_object()) return bad("", "a request must be a JSON object");
  const Request r(root.as_object());
  auto view = r.text("view", Need::kRequired);
  if (!view) return std::unexpected(view.error());
  if (auto kind = parse_entity_kind(*view)) return show_view(snap, *kind, r, out);
  if (*view == "board") return board_view(snap, r, options.now, out);
  if (*view == "kpi") return kpi_view(snap, r, out);
  if (*view == "logbook") return logbook_view(snap, r, out);
  if (*view == "yield") return yield_view(snap, r, out);
  if (*view == "pareto") return pareto_view(snap, r, options, out);
  if (*view == "oee") return oee_view(snap, r, options, out);
  if (*view == "pay") return pay_view(snap, r, out);
  if (*view == "trace") return trace_view(snap, r, out);
  if (*view == "recall") return recall_view(snap, r, options, out);
  if (*view == "log") return log_view(snap, r, options, out);
  if (*view == "site") return site_view(r, options, out);
  if (*view == "epcis") return epcis_view(snap, r, options, out);
  if (*view == "head") {
    if (auto ok = r.only({}); !ok) return ok;
    codec::JsonWriter w(out);
    w.begin_object();
    w.key("seq").uint64(snap.head().seq);
    w.key("hash").string(to_hex(snap.head().leaf));
    w.end_object();
    return {};
  }
  return bad(
      "view",
      "unknown view '" + *view +
          "' (lot, wo, exception, equipment, material, party, receipt, board, kpi, trace, recall, "
          "log, head, site, epcis, logbook, yield, pareto, oee, pay)");
}

Result<Trace> trace_lot(const ledger::Snapshot& snap, const std::string& lot, Direction direction,
                        std::uint32_t depth, std::string_view lot_field) {
  auto exists = ledger::reading([&]() -> Result<bool> {
    return snap.get(snap.family(kEntitiesCf), keys::entity("lot", lot)).has_value();
  });
  if (!exists) return std::unexpected(exists.error());
  if (!*exists) {
    return std::unexpected(
        Error{ErrorCode::kNotFound, "lot " + lot + " does not exist", std::string(lot_field)});
  }
  const std::vector<std::string> starts{lot};
  return trace_snapshot(snap, starts, direction, depth);
}

void write_trace_answer(const ledger::Snapshot& snap, std::string_view lot, Direction direction,
                        std::uint32_t depth, const Trace& trace, codec::JsonWriter& out) {
  out.begin_object();
  out.key("lot").string(lot);
  out.key("direction").string(direction == Direction::kForward ? "forward" : "backward");
  if (depth != 0) out.key("maxDepth").uint64(depth);
  out.key("asOfSeq").uint64(snap.head().seq);
  write_trace_json(trace, out);
  write_partner_hops(partner_trace(snap, trace, direction, depth), out);
  out.end_object();
}

Result<RecallScope> recall_scope(const RecallRequest& request, const RecallFieldNames& names) {
  RecallScope scope;
  const int given =
      !request.lot.empty() + !request.supplier_lot.empty() + !request.equipment.empty();
  if (given != 1) {
    return bad(std::string(names.lot),
               "give exactly one of " + std::string(names.lot) + ", " +
                   std::string(names.supplier_lot) + " with " + std::string(names.supplier) +
                   ", or " + std::string(names.equipment) + " with " + std::string(names.from) +
                   " and " + std::string(names.to));
  }
  if (!request.lot.empty()) {
    scope.from = RecallScope::From::kLot;
    scope.lot = request.lot;
  } else if (!request.supplier_lot.empty()) {
    if (request.supplier.empty()) {
      return bad(std::string(names.supplier),
                 std::string(names.supplier_lot) + " needs " + std::string(names.supplier));
    }
    scope.from = RecallScope::From::kSupplierLot;
    scope.supplier = request.supplier;
    scope.supplier_lot = request.supplier_lot;
  } else {
    if (request.from.empty() || request.to.empty()) {
      return bad(std::string(names.from), std::string(names.equipment) + " needs " +
                                              std::string(names.from) + " and " +
                                              std::string(names.to));
    }
    auto from = parse_rfc3339(request.from);
    if (!from) {
      return fail(from.error().code, from.error().message + ": " + request.from,
                  std::string(names.from));
    }
    auto to = parse_rfc3339(request.to);
    if (!to) {
      return fail(to.error().code, to.error().message + ": " + request.to, std::string(names.to));
    }
    scope.from = RecallScope::From::kEquipment;
    scope.equipment = request.equipment;
    scope.window_from = *from;
    scope.window_to = *to;
  }
  scope.exclude_consumed = request.exclude_consumed;
  return scope;
}

}  // namespace custody::domain
