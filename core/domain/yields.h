// Internal to core/domain: a work order's yield against theory (21 CFR 211.188(b)(7)), computed
// the same way when wo.complete records it and when a query or the batch record shows it.
//
// Theoretical yield is what the components consumed would make with no loss: for each routing
// input with a qtyPerUnit (packaging aside: it is reconciled, not yielded), what its consumed
// quantity covers, in units of the order's material; the scarcest consumed component decides.
// With no such component consumed it is the order's quantity. Actual yield is what the order
// produced into lots of its own material. Per step: a step with component inputs consumed has
// theirs; any other step's theoretical is what the step before it passed on as good (the first
// step: the order's quantity), and its actual is its good quantity. Rework (op.rework) adds
// what was sent back to a step to its theoretical, and what a step sent back to its actual.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "state_access.h"

namespace custody::domain {

// The bytes of an entity by its key (keys::entity), nullopt when it does not exist.
using EntityGet = std::function<Result<std::optional<std::string>>(std::string_view key)>;

struct StepYield {
  std::string step;
  std::int64_t theoretical = 0;  // thousandths, in the order material's unit
  std::int64_t actual = 0;
  // "components": from its own components; "previousStep": what the step before passed on;
  // "orderQty": the first step without components starts from the order's quantity.
  std::string_view basis;
};

struct Component {
  std::string material;
  std::int64_t per_unit = 0;  // summed over the routing's steps that list it
  std::int64_t consumed = 0;  // by the order, all steps
};

struct OrderYield {
  std::int64_t theoretical = 0;
  std::int64_t actual = 0;
  s::YieldBasis basis = s::YieldBasis::UNKNOWN;
  std::vector<Component> components;
  std::vector<StepYield> steps;
  double min = 0;  // the material's limits, percent (0: none)
  double max = 0;
};

// The order's yield as of the state `get` reads: its routing, its consumed and produced lots
// and the materials they are of. Lots and materials that no longer resolve count for nothing.
[[nodiscard]] Result<OrderYield> order_yield(s::WorkOrder::Reader wo, const EntityGet& get);

// actual / theoretical in percent; nullopt when there is no theoretical yield.
[[nodiscard]] std::optional<double> yield_percent(std::int64_t actual, std::int64_t theoretical);

// Whether a percentage lies within limits, where 0 means no limit on that side.
[[nodiscard]] bool yield_in_limits(double percent, double min, double max);

// A percentage as custody shows it: to one decimal, halves away from zero (89.25 -> 89.3).
[[nodiscard]] double round_percent(double percent);

// "93.4%": a percentage for messages, rounded as round_percent does.
[[nodiscard]] std::string percent_text(double percent);

// "at least 95%", "at most 102%", "at least 95% and at most 102.5%": a material's limits,
// each in its shortest exact form; empty when it has none.
[[nodiscard]] std::string limits_text(double min, double max);

}  // namespace custody::domain
