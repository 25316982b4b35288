// Defects, scrap reasons and shifts. The defect catalogue (defect.define) names what scrap
// and rework can be explained by: op.report may break its scrap down by defect code
// (check_defect_breakdown), and the Pareto (Queries::defect_pareto) adds those breakdowns up
// by step, material, equipment or shift; op.rework names one for its record. A shift
// (shift.define) is a span of the site's local day; shifts do not overlap, so every instant
// falls in at most one.
#include <algorithm>

#include "catalogue.h"
#include "shifts.h"
#include "values.h"

namespace custody::domain {

std::optional<int> clock_minutes(std::string_view text) {
  if (text.size() != 5 || text[2] != ':') return std::nullopt;
  for (int i : {0, 1, 3, 4}) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
  }
  const int hours = (text[0] - '0') * 10 + (text[1] - '0');
  const int minutes = (text[3] - '0') * 10 + (text[4] - '0');
  if (hours > 23 || minutes > 59) return std::nullopt;
  return hours * 60 + minutes;
}

bool in_shift(const ShiftSpan& s, int minute) {
  if (s.start == s.end) return true;  // the whole day
  if (s.start < s.end) return minute >= s.start && minute < s.end;
  return minute >= s.start || minute < s.end;  // past midnight
}

std::vector<ShiftSpan> defined_shifts(const ledger::Reader& state, ledger::Reader::Cf entities) {
  std::vector<ShiftSpan> out;
  state.scan_prefix(entities, keys::entity("shift", ""),
                    [&](std::string_view, std::string_view value) {
                      codec::MessageView view(value);
                      auto d = view.root<s::ShiftDefine>();
                      auto start = clock_minutes(sv(d.getStart()));
                      auto end = clock_minutes(sv(d.getEnd()));
                      if (start && end) out.push_back({str(d.getShift()), *start, *end});
                      return true;
                    });
  return out;
}

std::optional<std::string> shift_at(const std::vector<ShiftSpan>& shifts, const TimeZone& zone,
                                    TimeNs at) {
  if (shifts.empty()) return std::nullopt;
  constexpr TimeNs kSecond = 1'000'000'000;
  // Floor division, so that instants before 1970 fall in their minute too.
  auto floor_div = [](std::int64_t a, std::int64_t b) {
    return a / b - (a % b < 0 ? 1 : 0);
  };
  const std::int64_t seconds = floor_div(at, kSecond);
  const std::int64_t local_minutes = floor_div(seconds, 60) + zone.at(seconds).minutes;
  const int minute =
      static_cast<int>(local_minutes - floor_div(local_minutes, kMinutesPerDay) * kMinutesPerDay);
  for (const auto& s : shifts) {
    if (in_shift(s, minute)) return s.shift;
  }
  return std::nullopt;
}

std::unique_ptr<Loaded<s::DefectDefine>> find_defect(const Decide& d, std::string_view id) {
  return load<s::DefectDefine>(d.state, d.cf.entities, keys::entity("defect", id));
}

Result<void> check_defect_breakdown(const Decide& d, std::int64_t scrap,
                                    capnp::List<s::DefectQty>::Reader defects,
                                    const std::string& field) {
  if (defects.size() == 0) return {};
  std::int64_t sum = 0;
  for (unsigned i = 0; i < defects.size(); ++i) {
    const std::string at = field + "[" + std::to_string(i) + "]";
    auto code = defects[i].getDefect();
    if (!find_defect(d, sv(code))) {
      return not_found(at + ".defect", "defect " + str(code));
    }
    for (unsigned j = 0; j < i; ++j) {
      if (defects[j].getDefect() == code) {
        return invalid(at + ".defect", "defect " + str(code) + " appears twice");
      }
    }
    if (defects[i].getQty() <= 0) return invalid(at + ".qty", "must be positive");
    auto total = add_quantity(sum, defects[i].getQty(), at + ".qty");
    if (!total) return std::unexpected(total.error());
    sum = *total;
  }
  if (sum != scrap) {
    return invalid(field, "the defects add up to " + qty_text(sum) + " but the scrap is " +
                              qty_text(scrap) + "; a breakdown accounts for all of it");
  }
  return {};
}

namespace {

Result<void> decide_defect(Decide& d, s::DefectDefine::Reader r) {
  if (find_defect(d, sv(r.getDefect()))) {
    return already_exists("data.defect", "defect " + str(r.getDefect()));
  }
  if (r.getName().size() == 0) return invalid("data.name", "must not be empty");
  d.emit_data("defect.defined");
  return {};
}

void apply_defect(Apply& a, s::DefectDefine::Reader r) {
  a.state.put(a.cf.entities, keys::entity("defect", sv(r.getDefect())), a.rec.payload);
  a.history("defect", sv(r.getDefect()));
}

std::string span_text(const ShiftSpan& s) {
  auto hhmm = [](int m) {
    const std::string h = std::to_string(m / 60), mm = std::to_string(m % 60);
    return (h.size() < 2 ? "0" + h : h) + ":" + (mm.size() < 2 ? "0" + mm : mm);
  };
  return hhmm(s.start) + "-" + hhmm(s.end);
}

// Whether two spans share a minute of the day.
bool overlap(const ShiftSpan& a, const ShiftSpan& b) {
  return in_shift(a, b.start) || in_shift(b, a.start);
}

Result<void> decide_shift(Decide& d, s::ShiftDefine::Reader r) {
  if (load<s::ShiftDefine>(d.state, d.cf.entities, keys::entity("shift", sv(r.getShift())))) {
    return already_exists("data.shift", "shift " + str(r.getShift()));
  }
  constexpr std::string_view kClock = "must be a time of day as HH:MM, 00:00 to 23:59";
  auto start = clock_minutes(sv(r.getStart()));
  if (!start) return invalid("data.start", std::string(kClock));
  auto end = clock_minutes(sv(r.getEnd()));
  if (!end) return invalid("data.end", std::string(kClock));
  const ShiftSpan mine{str(r.getShift()), *start, *end};
  for (const auto& other : defined_shifts(d.state, d.cf.entities)) {
    if (overlap(mine, other)) {
      return invalid("data.start", "shift " + mine.shift + " (" + span_text(mine) +
                                       ") overlaps shift " + other.shift + " (" + span_text(other) +
                                       ")");
    }
  }
  d.emit_data("shift.defined");
  return {};
}

void apply_shift(Apply& a, s::ShiftDefine::Reader r) {
  a.state.put(a.cf.entities, keys::entity("shift", sv(r.getShift())), a.rec.payload);
  a.history("shift", sv(r.getShift()));
}

}  // namespace

const Area& defects_area() {
  static const Area area{"defects and shifts",
                         {command<s::DefectDefine, decide_defect>(
                              "defect.define", {"defect.defined"}, stream("defect", "defect")),
                          command<s::ShiftDefine, decide_shift>("shift.define", {"shift.defined"},
                                                                stream("shift", "shift"))},
                         {event<s::DefectDefine, apply_defect>("defect.defined"),
                          event<s::ShiftDefine, apply_shift>("shift.defined")}};
  return area;
}

}  // namespace custody::domain
