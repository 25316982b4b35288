// What the scheduler knows about the plant: machines and their work centers, routings, work
// orders and their steps, and which machines are down. Built from the ledger's records, one
// event at a time, by the plugin (scheduler.cc decodes the payloads and calls the methods
// below); the planner only reads it. No SDK or Cap'n Proto here, so tests build models by
// hand.
//
// Each method mirrors one event type and returns whether planning inputs changed (an
// event about something the scheduler does not track changes nothing). Events arrive in
// the ledger's order, already checked by custody, so the methods trust them and ignore
// what does not fit (an op.started for an unknown order) instead of failing.
//
// A value type, not thread-safe: the plugin's thread owns it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "calendar.h"

namespace custody::scheduler {

struct RoutingStepDef {
  std::string step;
  std::string work_center;
  std::int64_t minutes_per_unit = 0;  // decimal(3): 1500 is 1.5 minutes per unit
};

enum class StepState { kPending, kRunning, kCompleted };

struct OrderStep {
  std::string step;
  std::string work_center;
  std::int64_t minutes_per_unit = 0;  // decimal(3), copied from the routing at wo.created
  StepState state = StepState::kPending;
  std::string equipment;  // the machine it runs on, when running
  TimeNs started_at = 0;  // when running
};

// Closed orders are not kept (Model::close_order), so there is no kClosed.
enum class OrderStatus { kCreated, kReleased, kInProgress, kCompleted };

struct Order {
  std::string wo;
  std::int64_t qty = 0;  // decimal(3)
  TimeNs due = 0;
  OrderStatus status = OrderStatus::kCreated;
  std::vector<OrderStep> steps;  // in routing order, as the routing was when it was created
};

struct Machine {
  std::string work_center;
  // Open equipment exceptions on it (exception id -> when raised). Any open one: it is down.
  std::map<std::string, TimeNs> open_exceptions;
};

class Model {
 public:
  // equipment.defined (a redefinition moves the machine to its new work center).
  bool define_equipment(const std::string& equipment, const std::string& work_center);
  // routing.defined: orders created later take these steps; earlier ones keep theirs.
  bool define_routing(const std::string& routing, std::vector<RoutingStepDef> steps);
  // wo.created: the order takes its routing's steps as they are now.
  bool create_order(const std::string& wo, std::int64_t qty, const std::string& routing,
                    TimeNs due);
  bool release_order(const std::string& wo);
  // op.started: the step runs on `equipment` since `at`; the order is in progress.
  bool start_step(const std::string& wo, const std::string& step, const std::string& equipment,
                  TimeNs at);
  bool complete_step(const std::string& wo, const std::string& step);
  bool complete_order(const std::string& wo);
  // wo.closed: the order is dropped from the model (nothing about it can change again).
  bool close_order(const std::string& wo);
  // exception.raised with category equipment and an equipment: that machine is down.
  bool raise_equipment_exception(const std::string& exception, const std::string& equipment,
                                 TimeNs at);
  // exception.resolved or exception.closed: the machine is up again once none is open.
  // False for exceptions that never took a machine down.
  bool clear_exception(const std::string& exception);

  [[nodiscard]] const std::map<std::string, Machine>& machines() const { return machines_; }
  [[nodiscard]] const std::map<std::string, Order>& orders() const { return orders_; }
  [[nodiscard]] const Order* order(const std::string& wo) const;

 private:
  Order* find(const std::string& wo);
  OrderStep* find_step(const std::string& wo, const std::string& step);

  std::map<std::string, Machine> machines_;
  std::map<std::string, std::vector<RoutingStepDef>> routings_;
  std::map<std::string, Order> orders_;
  std::map<std::string, std::string> down_by_;  // open equipment exception -> machine
};

}  // namespace custody::scheduler
