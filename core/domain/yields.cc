#include "yields.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>

#include "custody/domain/projections.h"

namespace custody::domain {
namespace {

// The entity, or null when it does not exist.
template <typename T>
Result<std::unique_ptr<Loaded<T>>> read(const EntityGet& get, std::string_view kind,
                                        std::string_view id) {
  auto bytes = get(keys::entity(kind, id));
  if (!bytes) return std::unexpected(bytes.error());
  if (!*bytes) return nullptr;
  return std::make_unique<Loaded<T>>(std::move(**bytes));
}

// What `consumed` of a component covers, in thousandths of units of the order's material.
std::int64_t units_of(const Component& c) {
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  if (c.consumed <= kMax / 1000) return c.consumed * 1000 / c.per_unit;
  const std::int64_t whole = c.consumed / c.per_unit;  // beyond any real order: saturate
  return whole > kMax / 1000 ? kMax : whole * 1000;
}

Component* component(std::vector<Component>& all, std::string_view material) {
  for (auto& c : all) {
    if (c.material == material) return &c;
  }
  return nullptr;
}

}  // namespace

Result<OrderYield> order_yield(s::WorkOrder::Reader wo, const EntityGet& get) {
  OrderYield y;
  auto material = read<s::Material>(get, "material", sv(wo.getMaterial()));
  if (!material) return std::unexpected(material.error());
  if (material->get()) {
    y.min = material->get()->get().getYieldMin();
    y.max = material->get()->get().getYieldMax();
  }
  auto routing = read<s::RoutingDefine>(get, "routing", sv(wo.getRouting()));
  if (!routing) return std::unexpected(routing.error());

  // The components: routing inputs with a quantity per unit, packaging aside.
  std::vector<std::vector<std::string>> step_components;  // by routing step
  if (routing->get()) {
    for (auto step : routing->get()->get().getSteps()) {
      auto& mine = step_components.emplace_back();
      for (auto in : step.getInputs()) {
        if (in.getQtyPerUnit() <= 0) continue;
        auto m = read<s::Material>(get, "material", sv(in.getMaterial()));
        if (!m) return std::unexpected(m.error());
        if (*m && m->get()->get().getKind() == s::MaterialKind::PACKAGING) continue;
        Component* c = component(y.components, sv(in.getMaterial()));
        if (c == nullptr) c = &y.components.emplace_back(Component{str(in.getMaterial())});
        c->per_unit += in.getQtyPerUnit();
        mine.push_back(str(in.getMaterial()));
      }
    }
  }
  for (auto c : wo.getConsumed()) {
    auto lot = read<s::Lot>(get, "lot", sv(c.getLot()));
    if (!lot) return std::unexpected(lot.error());
    if (!lot->get()) continue;
    if (Component* k = component(y.components, sv(lot->get()->get().getMaterial()))) {
      k->consumed += c.getQty();
    }
  }
  for (auto p : wo.getProduced()) {
    auto lot = read<s::Lot>(get, "lot", sv(p.getLot()));
    if (!lot) return std::unexpected(lot.error());
    if (*lot && lot->get()->get().getMaterial() == wo.getMaterial()) y.actual += p.getQty();
  }

  // The scarcest consumed component among `names` decides; nullopt when none was consumed.
  auto scarcest = [&](const std::vector<std::string>* names) -> std::optional<std::int64_t> {
    std::optional<std::int64_t> least;
    for (const auto& c : y.components) {
      if (c.consumed <= 0) continue;
      if (names != nullptr && std::find(names->begin(), names->end(), c.material) == names->end())
        continue;
      const std::int64_t u = units_of(c);
      if (!least || u < *least) least = u;
    }
    return least;
  };
  if (auto units = scarcest(nullptr)) {
    y.theoretical = *units;
    y.basis = s::YieldBasis::COMPONENTS;
  } else {
    y.theoretical = wo.getQty();
    y.basis = s::YieldBasis::ORDER_QTY;
  }

  std::int64_t passed_on = wo.getQty();
  auto steps = wo.getSteps();
  for (unsigned i = 0; i < steps.size(); ++i) {
    StepYield st;
    st.step = str(steps[i].getStep());
    std::optional<std::int64_t> units;
    if (i < step_components.size()) units = scarcest(&step_components[i]);
    st.basis = units ? "components" : i == 0 ? "orderQty" : "previousStep";
    // Rework sent back to a step is more to process there; what a step sent back is part of
    // what it made of its input, not lost.
    st.theoretical = units.value_or(passed_on) + steps[i].getReworkIn();
    st.actual = steps[i].getGood() + steps[i].getReworkOut();
    passed_on = steps[i].getGood();
    y.steps.push_back(std::move(st));
  }
  return y;
}

std::optional<double> yield_percent(std::int64_t actual, std::int64_t theoretical) {
  if (theoretical <= 0) return std::nullopt;
  return 100.0 * static_cast<double>(actual) / static_cast<double>(theoretical);
}

bool yield_in_limits(double percent, double min, double max) {
  return (min <= 0 || percent >= min) && (max <= 0 || percent <= max);
}

double round_percent(double percent) {
  return std::round(percent * 10) / 10;
}

std::string percent_text(double percent) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", round_percent(percent));
  return buf;
}

std::string limits_text(double min, double max) {
  auto shortest = [](double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.15g%%", v);
    return std::string(buf);
  };
  std::string out = min > 0 ? "at least " + shortest(min) : "";
  if (max > 0) out += (out.empty() ? "at most " : " and at most ") + shortest(max);
  return out;
}

}  // namespace custody::domain
