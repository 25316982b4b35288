// OEE per equipment and shift, and piecework pay per operator: both added up from the KPI
// facts of the log (projections.h "facts"), so a rebuild gives the same figures.
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <tuple>

#include "custody/codec/capnp_util.h"
#include "custody/codec/json_binding.h"
#include "custody/common/encoding.h"
#include "custody/domain/projections.h"
#include "custody/domain/queries.h"
#include "facts.h"
#include "shifts.h"

namespace custody::domain {
namespace {

constexpr TimeNs kMinute = 60'000'000'000;
constexpr TimeNs kQuarterHour = 15 * kMinute;

TimeNs floor_to(TimeNs t, TimeNs unit) {
  return t / unit * unit - (t % unit < 0 ? unit : 0);
}

// Calls fn(shift, duration) for each piece of [a, b) cut at the shifts' starts and ends on the
// site's clock ("" outside every shift, or for all of it when no shift is defined). Pieces
// also end at each quarter hour, where a change of the zone's offset can fall, so that the
// offset is the same throughout a piece.
template <typename F>
void split_by_shift(const std::vector<ShiftSpan>& shifts, const TimeZone& zone, TimeNs a, TimeNs b,
                    F&& fn) {
  if (a >= b) return;
  if (shifts.empty()) {
    fn(std::string(), b - a);
    return;
  }
  std::vector<int> bounds;
  for (const auto& s : shifts) {
    bounds.push_back(s.start);
    bounds.push_back(s.end);
  }
  std::ranges::sort(bounds);
  for (TimeNs t = a; t < b;) {
    const TimeNs minute_start = floor_to(t, kMinute);
    const std::int64_t seconds = minute_start / 1'000'000'000;
    const std::int64_t local = minute_start / kMinute + zone.at(seconds).minutes;
    const int m = static_cast<int>(
        local - (local / kMinutesPerDay - (local % kMinutesPerDay < 0 ? 1 : 0)) * kMinutesPerDay);
    auto next = std::ranges::upper_bound(bounds, m);
    const int to_bound = next == bounds.end() ? bounds.front() + kMinutesPerDay - m : *next - m;
    const TimeNs end =
        std::min({b, minute_start + to_bound * kMinute, floor_to(t, kQuarterHour) + kQuarterHour});
    fn(shift_at(shifts, zone, t).value_or(""), end - t);
    t = end;
  }
}

constexpr std::array<std::string_view, 4> kStateKeys = {"idleMinutes", "runningMinutes",
                                                        "downMinutes", "plannedStopMinutes"};

struct OeeRow {
  std::array<TimeNs, 4> time{};  // by s::OeeState
  std::map<std::string, TimeNs> down, planned;
  std::int64_t good = 0, scrap = 0;
  double ideal_minutes = 0;  // what the counted units take at the ideal speed

  void add(const OeeRow& o) {
    for (unsigned i = 0; i < time.size(); ++i) time[i] += o.time[i];
    for (const auto& [k, v] : o.down) down[k] += v;
    for (const auto& [k, v] : o.planned) planned[k] += v;
    good += o.good;
    scrap += o.scrap;
    ideal_minutes += o.ideal_minutes;
  }
};

struct Tracked {
  std::string name;
  std::int64_t ideal_rate = 0;  // units an hour, decimal(3); never 0 here
  s::OeeState state = s::OeeState::IDLE;
  std::string reason;
  TimeNs since = 0;
  bool done = false;  // a span ending at or after the period's end was seen
  std::map<std::string, OeeRow> shifts;
};

double minutes(TimeNs d) {
  return std::round(static_cast<double>(d) / static_cast<double>(kMinute) * 10) / 10;
}

void ratio_or_null(codec::JsonWriter& out, std::optional<double> v) {
  if (v) {
    out.number(std::round(*v * 10000) / 10000);
  } else {
    out.null();
  }
}

void write_reasons(codec::JsonWriter& out, const std::map<std::string, TimeNs>& reasons) {
  std::vector<std::pair<std::string, TimeNs>> sorted(reasons.begin(), reasons.end());
  std::ranges::stable_sort(sorted,
                           [](const auto& x, const auto& y) { return x.second > y.second; });
  out.begin_array();
  for (const auto& [reason, d] : sorted) {
    out.begin_object();
    out.key("reason").string(reason);
    out.key("minutes").number(minutes(d));
    out.end_object();
  }
  out.end_array();
}

void write_row(codec::JsonWriter& out, const OeeRow& r) {
  for (unsigned i = 0; i < kStateKeys.size(); ++i)
    out.key(kStateKeys[i]).number(minutes(r.time[i]));
  const TimeNs running = r.time[static_cast<int>(s::OeeState::RUNNING)];
  const TimeNs planned_production = r.time[static_cast<int>(s::OeeState::IDLE)] + running +
                                    r.time[static_cast<int>(s::OeeState::DOWN)];
  out.key("plannedProductionMinutes").number(minutes(planned_production));
  out.key("downReasons");
  write_reasons(out, r.down);
  out.key("plannedStops");
  write_reasons(out, r.planned);
  out.key("good").decimal(r.good, 3);
  out.key("scrap").decimal(r.scrap, 3);
  const std::int64_t total = r.good + r.scrap;
  std::optional<double> availability, performance, quality;
  if (planned_production > 0) {
    availability = static_cast<double>(running) / static_cast<double>(planned_production);
  }
  if (running > 0) {
    performance = r.ideal_minutes / (static_cast<double>(running) / static_cast<double>(kMinute));
  }
  if (total > 0) quality = static_cast<double>(r.good) / static_cast<double>(total);
  out.key("availability");
  ratio_or_null(out, availability);
  out.key("performance");
  ratio_or_null(out, performance);
  out.key("quality");
  ratio_or_null(out, quality);
  out.key("oee");
  ratio_or_null(out, availability && performance && quality
                         ? std::optional(*availability * *performance * *quality)
                         : std::nullopt);
}

}  // namespace

Result<void> Queries::oee(const OeeQuery& q, const TimeZone& zone, codec::JsonWriter& out) const {
  if (q.to <= q.from) return std::unexpected(Error::invalid_argument("to", "must be after from"));
  std::map<std::string, Tracked, std::less<>> tracked;
  std::vector<ShiftSpan> shifts;
  auto read = ledger::reading([&]() -> Result<void> {
    const auto entities = snap_.family(kEntitiesCf);
    shifts = defined_shifts(snap_, entities);
    snap_.scan_prefix(entities, keys::entity("equipment", ""),
                      [&](std::string_view key, std::string_view value) {
                        if (key.find('\0') != std::string_view::npos) return true;  // a reading
                        codec::MessageView view(value);
                        auto e = view.root<s::Equipment>();
                        if (e.getIdealRate() == 0) return true;
                        if (!q.equipment.empty() && sv(e.getEquipment()) != q.equipment)
                          return true;
                        tracked.emplace(str(e.getEquipment()),
                                        Tracked{str(e.getName()), e.getIdealRate(), e.getOeeState(),
                                                str(e.getOeeReason()), e.getOeeSince()});
                        return true;
                      });
    return {};
  });
  if (!read) return read;
  if (!q.equipment.empty() && tracked.empty()) {
    auto bytes = ledger::reading([&]() -> Result<std::optional<std::string>> {
      return snap_.get(snap_.family(kEntitiesCf), keys::entity("equipment", q.equipment));
    });
    if (!bytes) return std::unexpected(bytes.error());
    if (!*bytes) {
      return std::unexpected(Error{ErrorCode::kNotFound, "equipment " + q.equipment, "equipment"});
    }
    return std::unexpected(Error::invalid_argument(
        "equipment", "equipment " + q.equipment +
                         " has no ideal rate: OEE is kept for equipment defined with one"));
  }

  const TimeNs end = std::min(q.to, q.now);
  auto add_time = [&](Tracked& x, s::OeeState state, const std::string& reason, TimeNs a,
                      TimeNs b) {
    split_by_shift(shifts, zone, std::max(a, q.from), std::min(b, end),
                   [&](const std::string& shift, TimeNs d) {
                     OeeRow& row = x.shifts[shift];
                     row.time[static_cast<int>(state)] += d;
                     if (state == s::OeeState::DOWN) row.down[reason] += d;
                     if (state == s::OeeState::PLANNED) row.planned[reason] += d;
                   });
  };
  OrderLookup orders(snap_);
  std::optional<Error> problem;
  auto r = scan_facts(
      snap_, q.from, std::numeric_limits<TimeNs>::max(), [&](TimeNs t, s::Fact::Reader f) {
        if (t >= q.to && std::ranges::all_of(tracked, [&](const auto& x) {
              return x.second.done || t > x.second.since;
            })) {
          return false;  // no span of any equipment reaches into the period any more
        }
        if (f.isEquipmentTime()) {
          auto e = f.getEquipmentTime();
          auto it = tracked.find(sv(e.getEquipment()));
          if (it == tracked.end()) return true;
          add_time(it->second, e.getState(), str(e.getReason()), e.getSince(), t);
          if (t >= q.to) it->second.done = true;
        } else if (f.isOpReported() && t < end) {
          auto o = f.getOpReported();
          auto order = orders.find(sv(o.getWo()));
          if (!order) {
            problem = order.error();
            return false;
          }
          auto it = tracked.find(OrderLookup::equipment(**order, sv(o.getStep())));
          if (it == tracked.end()) return true;
          OeeRow& row = it->second.shifts[shift_at(shifts, zone, t).value_or("")];
          row.good += o.getGood();
          row.scrap += o.getScrap();
          // The routing step's standard time where it gives one, else the equipment's rated
          // speed (quantities and both are decimal(3)).
          const double units = static_cast<double>(o.getGood() + o.getScrap()) / 1000;
          auto mpu = (*order)->minutes_per_unit.find(sv(o.getStep()));
          row.ideal_minutes +=
              mpu != (*order)->minutes_per_unit.end()
                  ? units * static_cast<double>(mpu->second) / 1000
                  : units * 60 / (static_cast<double>(it->second.ideal_rate) / 1000);
        }
        return true;
      });
  if (!r) return r;
  if (problem) return std::unexpected(*problem);
  for (auto& [id, x] : tracked) add_time(x, x.state, x.reason, x.since, end);

  out.begin_object();
  out.key("from").string(format_rfc3339(q.from));
  out.key("to").string(format_rfc3339(q.to));
  out.key("shiftsDefined").boolean(!shifts.empty());
  out.key("equipment").begin_array();
  for (const auto& [id, x] : tracked) {
    out.begin_object();
    out.key("equipment").string(id);
    out.key("name").string(x.name);
    out.key("idealRate").decimal(x.ideal_rate, 3);
    // Its own figures are the shifts' total (time outside every shift is not scheduled), or
    // all the time when the site has no shifts.
    OeeRow total;
    for (const auto& [shift, row] : x.shifts) {
      if (!shift.empty() || shifts.empty()) total.add(row);
    }
    write_row(out, total);
    out.key("shifts").begin_array();
    for (const auto& [shift, row] : x.shifts) {
      out.begin_object();
      out.key("shift");
      if (shift.empty()) {
        out.null();
      } else {
        out.string(shift);
      }
      write_row(out, row);
      out.end_object();
    }
    out.end_array();
    out.end_object();
  }
  out.end_array();
  out.end_object();
  return {};
}

namespace {

__extension__ using Int128 = __int128;  // GCC's and clang's, which -Wpedantic would name

struct PayLine {
  std::int64_t rate = 0;  // decimal(4); meaningful when rated
  bool rated = false;
  s::ScrapPay scrap_pay = s::ScrapPay::UNPAID;
  std::int64_t good = 0, scrap = 0;

  [[nodiscard]] std::int64_t paid_qty() const {
    switch (scrap_pay) {
      case s::ScrapPay::PAID:
        return good + scrap;
      case s::ScrapPay::DEDUCTED:
        return good - scrap;
      default:
        return good;
    }
  }
  // In cents: quantity (decimal(3)) x rate (decimal(4)) is in 10^-7 of the currency; exact in
  // 128 bits, rounded half away from zero to whole cents.
  [[nodiscard]] std::int64_t amount() const {
    if (!rated) return 0;
    const Int128 product = static_cast<Int128>(paid_qty()) * rate;
    const Int128 half = 50'000;
    const Int128 cents = product >= 0 ? (product + half) / 100'000 : (product - half) / 100'000;
    return static_cast<std::int64_t>(cents);
  }
};

// operator -> (material, step, effective (nullopt: no rate)) -> line
using PayKey = std::tuple<std::string, std::string, std::optional<TimeNs>>;
using Pay = std::map<std::string, std::map<PayKey, PayLine>>;

}  // namespace

Result<void> Queries::piecework_pay(TimeNs from, TimeNs to, codec::JsonWriter& out) const {
  if (to <= from) return std::unexpected(Error::invalid_argument("to", "must be after from"));
  OrderLookup orders(snap_);
  std::map<std::string, std::string, std::less<>> rates_raw;  // material -> PieceRates bytes
  std::string currency;
  auto rates_of = [&](const std::string& material) -> Result<const std::string*> {
    if (auto it = rates_raw.find(material); it != rates_raw.end()) return &it->second;
    auto bytes = ledger::reading([&]() -> Result<std::optional<std::string>> {
      return snap_.get(snap_.family(kEntitiesCf), keys::entity(kPieceRatesKind, material));
    });
    if (!bytes) return std::unexpected(bytes.error());
    return &rates_raw.emplace(material, bytes->value_or("")).first->second;
  };
  Pay pay;
  std::optional<Error> problem;
  auto r = scan_facts(snap_, from, to, [&](TimeNs t, s::Fact::Reader f) {
    if (!f.isOpReported()) return true;
    auto o = f.getOpReported();
    auto order = orders.find(sv(o.getWo()));
    if (!order) {
      problem = order.error();
      return false;
    }
    const std::string& material = (*order)->material;
    auto raw = rates_of(material);
    if (!raw) {
      problem = raw.error();
      return false;
    }
    PayLine found;
    std::optional<TimeNs> effective;
    if (!(*raw)->empty()) {
      codec::MessageView view(**raw);
      for (auto x : view.root<s::PieceRates>().getRates()) {
        if (x.getStep() != o.getStep() || x.getEffective() > t) continue;
        effective = x.getEffective();  // rates are in order of effect: the last one wins
        found.rate = x.getRate();
        found.scrap_pay = x.getScrap();
        found.rated = true;
        if (currency.empty()) currency = str(x.getCurrency());
      }
    }
    PayLine& line = pay[str(o.getOperator())][{material, str(o.getStep()), effective}];
    if (found.rated) {
      line.rate = found.rate;
      line.scrap_pay = found.scrap_pay;
      line.rated = true;
    }
    line.good += o.getGood();
    line.scrap += o.getScrap();
    return true;
  });
  if (!r) return r;
  if (problem) return std::unexpected(*problem);

  std::int64_t good = 0, scrap = 0, amount = 0, unrated = 0;
  out.begin_object();
  out.key("from").string(format_rfc3339(from));
  out.key("to").string(format_rfc3339(to));
  out.key("currency");
  if (currency.empty()) {
    out.null();
  } else {
    out.string(currency);
  }
  out.key("operators").begin_array();
  for (const auto& [name, lines] : pay) {
    std::int64_t op_good = 0, op_scrap = 0, op_amount = 0;
    out.begin_object();
    out.key("operator").string(name);
    out.key("lines").begin_array();
    for (const auto& [key, line] : lines) {
      const auto& [material, step, effective] = key;
      out.begin_object();
      out.key("material").string(material);
      out.key("step").string(step);
      out.key("effective");
      if (effective) {
        out.string(format_rfc3339(*effective));
        out.key("rate").decimal(line.rate, 4);
        out.key("scrapPay").string(codec::enum_name(line.scrap_pay));
        out.key("paidQty").decimal(line.paid_qty(), 3);
      } else {
        out.null();
        out.key("rate").null();
        out.key("scrapPay").null();
        out.key("paidQty").decimal(0, 3);
        unrated += line.good;
      }
      out.key("good").decimal(line.good, 3);
      out.key("scrap").decimal(line.scrap, 3);
      out.key("amount").decimal(line.amount(), 2);
      out.end_object();
      op_good += line.good;
      op_scrap += line.scrap;
      op_amount += line.amount();
    }
    out.end_array();
    out.key("good").decimal(op_good, 3);
    out.key("scrap").decimal(op_scrap, 3);
    out.key("amount").decimal(op_amount, 2);
    out.end_object();
    good += op_good;
    scrap += op_scrap;
    amount += op_amount;
  }
  out.end_array();
  out.key("total").begin_object();
  out.key("good").decimal(good, 3);
  out.key("scrap").decimal(scrap, 3);
  out.key("amount").decimal(amount, 2);
  out.key("unratedGood").decimal(unrated, 3);
  out.end_object();
  out.end_object();
  return {};
}

}  // namespace custody::domain
