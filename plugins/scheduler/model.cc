#include "model.h"

namespace custody::scheduler {

bool Model::define_equipment(const std::string& equipment, const std::string& work_center) {
  Machine& m = machines_[equipment];
  if (m.work_center == work_center) return false;
  m.work_center = work_center;
  return true;
}

bool Model::define_routing(const std::string& routing, std::vector<RoutingStepDef> steps) {
  routings_[routing] = std::move(steps);
  return false;  // only orders created from now on use it
}

bool Model::create_order(const std::string& wo, std::int64_t qty, const std::string& routing,
                         TimeNs due) {
  Order o;
  o.wo = wo;
  o.qty = qty;
  o.due = due;
  if (auto it = routings_.find(routing); it != routings_.end()) {
    for (const RoutingStepDef& s : it->second) {
      OrderStep step;
      step.step = s.step;
      step.work_center = s.work_center;
      step.minutes_per_unit = s.minutes_per_unit;
      o.steps.push_back(std::move(step));
    }
  }
  orders_[wo] = std::move(o);
  return false;  // created orders are not planned until released
}

bool Model::release_order(const std::string& wo) {
  Order* o = find(wo);
  if (o == nullptr || o->status != OrderStatus::kCreated) return false;
  o->status = OrderStatus::kReleased;
  return true;
}

bool Model::start_step(const std::string& wo, const std::string& step, const std::string& equipment,
                       TimeNs at) {
  OrderStep* s = find_step(wo, step);
  if (s == nullptr) return false;
  s->state = StepState::kRunning;
  s->equipment = equipment;
  s->started_at = at;
  Order* o = find(wo);
  if (o->status == OrderStatus::kReleased) o->status = OrderStatus::kInProgress;
  return true;
}

bool Model::complete_step(const std::string& wo, const std::string& step) {
  OrderStep* s = find_step(wo, step);
  if (s == nullptr || s->state == StepState::kCompleted) return false;
  s->state = StepState::kCompleted;
  return true;
}

bool Model::complete_order(const std::string& wo) {
  Order* o = find(wo);
  if (o == nullptr || o->status == OrderStatus::kCompleted) return false;
  o->status = OrderStatus::kCompleted;
  return true;
}

bool Model::close_order(const std::string& wo) {
  // A closed order never comes back (custody accepts nothing more for it), so it is
  // forgotten rather than kept as kClosed.
  return orders_.erase(wo) > 0;
}

bool Model::raise_equipment_exception(const std::string& exception, const std::string& equipment,
                                      TimeNs at) {
  auto m = machines_.find(equipment);
  if (m == machines_.end()) return false;
  m->second.open_exceptions[exception] = at;
  down_by_[exception] = equipment;
  return true;
}

bool Model::clear_exception(const std::string& exception) {
  auto it = down_by_.find(exception);
  if (it == down_by_.end()) return false;
  if (auto m = machines_.find(it->second); m != machines_.end()) {
    m->second.open_exceptions.erase(exception);
  }
  down_by_.erase(it);
  return true;
}

const Order* Model::order(const std::string& wo) const {
  auto it = orders_.find(wo);
  return it == orders_.end() ? nullptr : &it->second;
}

Order* Model::find(const std::string& wo) {
  auto it = orders_.find(wo);
  return it == orders_.end() ? nullptr : &it->second;
}

OrderStep* Model::find_step(const std::string& wo, const std::string& step) {
  Order* o = find(wo);
  if (o == nullptr) return nullptr;
  for (OrderStep& s : o->steps) {
    if (s.step == step) return &s;
  }
  return nullptr;
}

}  // namespace custody::scheduler
