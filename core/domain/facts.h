// Internal to core/domain: reading the KPI facts (projections.h "facts") and the orders an
// operation report is attributed to (its material, and the equipment each step ran on).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "custody/common/clock.h"
#include "custody/common/error.h"
#include "custody/ledger/snapshot.h"
#include "state_access.h"

namespace custody::domain {

// Every fact with its event time in [from, to), in time order; `fn` returns false to stop.
[[nodiscard]] Result<void> scan_facts(const ledger::Snapshot& snap, TimeNs from, TimeNs to,
                                      const std::function<bool(TimeNs, s::Fact::Reader)>& fn);

// Work orders as reports name them, each read once from the snapshot.
class OrderLookup {
 public:
  struct Order {
    std::string material;
    std::map<std::string, std::string, std::less<>> equipment;  // step -> equipment
    // step -> the routing's standard minutes per unit (decimal(3)), where it gives one
    std::map<std::string, std::int64_t, std::less<>> minutes_per_unit;
  };

  explicit OrderLookup(const ledger::Snapshot& snap) : snap_(snap) {}
  // The order (empty when it does not exist).
  [[nodiscard]] Result<const Order*> find(std::string_view wo);
  // The order's routing is read with it, for its steps' standard times.
  // The equipment `step` of the order ran on; empty when none.
  [[nodiscard]] static std::string_view equipment(const Order& o, std::string_view step);

 private:
  const ledger::Snapshot& snap_;
  std::map<std::string, Order, std::less<>> orders_;
};

}  // namespace custody::domain
