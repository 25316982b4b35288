// Piecework pay: what an operator earns for each good unit of a material made at a routing
// step (piece_rate.define), from an instant on. Pay over a period is each report's good
// quantity times the rate in force when it was reported, with the rate's treatment of scrap
// (unpaid, paid or deducted); Queries::piecework_pay adds it up (queries.cc).
#include <algorithm>
#include <vector>

#include "catalogue.h"
#include "custody/common/encoding.h"

namespace custody::domain {
namespace {

constexpr std::int64_t kMaxRate = 10'000'000'000;  // a million a unit, decimal(4)

std::string rates_key(std::string_view material) {
  return keys::entity(kPieceRatesKind, material);
}

bool currency_code(std::string_view c) {
  return c.size() == 3 && std::ranges::all_of(c, [](char x) { return x >= 'A' && x <= 'Z'; });
}

// Whether one of the material's routings has the step.
bool routing_has_step(const Decide& d, std::string_view material, std::string_view step) {
  bool found = false;
  const std::string prefix = keys::entity("routing", "");
  d.state.scan_prefix(d.cf.entities, prefix, [&](std::string_view, std::string_view value) {
    codec::MessageView view(value);
    auto r = view.root<s::RoutingDefine>();
    if (sv(r.getMaterial()) != material) return true;
    for (auto st : r.getSteps()) {
      if (sv(st.getStep()) == step) found = true;
    }
    return !found;
  });
  return found;
}

// The currency the site's rates are in; empty before the first.
std::string rates_currency(const Decide& d) {
  std::string currency;
  d.state.scan_prefix(d.cf.entities, keys::entity(kPieceRatesKind, ""),
                      [&](std::string_view, std::string_view value) {
                        codec::MessageView view(value);
                        auto rates = view.root<s::PieceRates>().getRates();
                        if (rates.size() > 0) currency = str(rates[0].getCurrency());
                        return currency.empty();
                      });
  return currency;
}

Result<void> decide_define(Decide& d, s::PieceRateDefine::Reader r) {
  if (!find_material(d, sv(r.getMaterial()))) {
    return not_found("data.material", "material " + str(r.getMaterial()));
  }
  if (!routing_has_step(d, sv(r.getMaterial()), sv(r.getStep()))) {
    return not_found("data.step", "no routing of material " + str(r.getMaterial()) +
                                      " has a step " + str(r.getStep()));
  }
  if (r.getEffective() < d.event_time()) {
    return invalid("data.effective",
                   "a rate takes effect when it is defined or later, so pay already reported is "
                   "never repriced; to correct one, define the right rate from now");
  }
  if (r.getRate() < 0 || r.getRate() > kMaxRate) {
    return invalid("data.rate", "must be from 0 to 1000000 a unit");
  }
  if (!currency_code(sv(r.getCurrency()))) {
    return invalid("data.currency", "must be an ISO 4217 code of three capital letters (EUR)");
  }
  if (const std::string in = rates_currency(d); !in.empty() && in != sv(r.getCurrency())) {
    return bad_state("data.currency",
                     "the site's piece rates are in " + in + ", not " + str(r.getCurrency()));
  }
  if (auto rates = load<s::PieceRates>(d.state, d.cf.entities, rates_key(sv(r.getMaterial())))) {
    for (auto x : rates->get().getRates()) {
      if (x.getStep() == r.getStep() && x.getEffective() == r.getEffective()) {
        return already_exists("data.effective", "a rate for step " + str(r.getStep()) + " of " +
                                                    str(r.getMaterial()) + " from " +
                                                    format_rfc3339(r.getEffective()));
      }
    }
  }
  d.emit_data("piece_rate.defined");
  return {};
}

void apply_defined(Apply& a, s::PieceRateDefine::Reader r) {
  const std::string key = rates_key(sv(r.getMaterial()));
  struct Rate {
    std::string step, currency, by;
    TimeNs effective, at;
    std::int64_t rate;
    s::ScrapPay scrap;
  };
  std::vector<Rate> rates;
  if (auto old = load<s::PieceRates>(a.state, a.cf.entities, key)) {
    for (auto x : old->get().getRates()) {
      rates.push_back({str(x.getStep()), str(x.getCurrency()), str(x.getDefinedBy()),
                       x.getEffective(), x.getDefinedAt(), x.getRate(), x.getScrap()});
    }
  }
  rates.push_back({str(r.getStep()), str(r.getCurrency()), std::string(a.rec.actor),
                   r.getEffective(), a.time(), r.getRate(), r.getScrap()});
  std::ranges::stable_sort(rates, [](const Rate& x, const Rate& y) {
    return std::tie(x.step, x.effective) < std::tie(y.step, y.effective);
  });
  capnp::MallocMessageBuilder msg(256);
  auto p = msg.initRoot<s::PieceRates>();
  p.setMaterial(r.getMaterial());
  auto list = p.initRates(static_cast<unsigned>(rates.size()));
  for (unsigned i = 0; i < rates.size(); ++i) {
    auto x = list[i];
    x.setStep(rates[i].step);
    x.setEffective(rates[i].effective);
    x.setRate(rates[i].rate);
    x.setCurrency(rates[i].currency);
    x.setScrap(rates[i].scrap);
    x.setDefinedAt(rates[i].at);
    x.setDefinedBy(rates[i].by);
  }
  put_struct(a.state, a.cf.entities, key, p);
}

}  // namespace

const Area& piecework_area() {
  static const Area area{
      "piecework pay",
      {command<s::PieceRateDefine, decide_define>("piece_rate.define", {"piece_rate.defined"},
                                                  stream("piece_rate", "material"))},
      {event<s::PieceRateDefine, apply_defined>("piece_rate.defined")}};
  return area;
}

}  // namespace custody::domain
