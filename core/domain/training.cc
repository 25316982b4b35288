// Training and qualification: who may run a critical step. A person is qualified, until a
// date, for one step of a routing or for every step run in a work center, by a trainer
// (qualification.grant); a qualification can be withdrawn before its date
// (qualification.revoke). op.start, op.report and op.verify of a step the routing marks
// critical ask check_qualified (work_orders.cc) about their actor.
#include "catalogue.h"
#include "custody/common/encoding.h"

namespace custody::domain {

namespace {

// The scope a grant or revocation names: a routing step, or a work center.
struct Scope {
  std::string_view routing, step, work_center;

  [[nodiscard]] std::string key(std::string_view user) const {
    return keys::qualification(user, routing, step, work_center);
  }
  // Every grant and revocation of the scope, in time order, for what was in force at an
  // earlier time (a late entry, after a requalification): in the index column family,
  // "qualification_at/" + key(user) 0x00 be64(event time) be64(seq) -> the qualification as
  // that record left it.
  [[nodiscard]] std::string history_prefix(std::string_view user) const {
    return "qualification_at/" + key(user) + '\0';
  }
  [[nodiscard]] std::string history_key(std::string_view user, TimeNs at, std::uint64_t seq) const {
    return history_prefix(user) + be64(static_cast<std::uint64_t>(at)) + be64(seq);
  }
  [[nodiscard]] std::string text() const {
    if (!work_center.empty()) return "work center " + std::string(work_center);
    return "step " + std::string(step) + " of routing " + std::string(routing);
  }
};

template <typename Reader>
Scope scope_of(Reader r) {
  return {sv(r.getRouting()), sv(r.getStep()), sv(r.getWorkCenter())};
}

// Exactly one scope: a routing and its step, or a work center.
Result<void> check_scope_shape(const Scope& s) {
  const bool step_scope = !s.routing.empty() || !s.step.empty();
  if (step_scope == !s.work_center.empty()) {
    return invalid(step_scope ? "data.workCenter" : "data.routing",
                   "name a routing and its step, or a work center (one of the two)");
  }
  if (!step_scope) return {};
  if (s.routing.empty()) return invalid("data.routing", "a step is named with its routing");
  if (s.step.empty()) return invalid("data.step", "a routing is named with one of its steps");
  return {};
}

// Exactly one scope, and one that exists: the routing and its step, or a work center some
// equipment is in.
Result<void> check_scope(const Decide& d, const Scope& s) {
  if (auto ok = check_scope_shape(s); !ok) return ok;
  if (s.routing.empty()) {
    bool found = false;
    const std::string prefix = keys::entity("equipment", "");
    d.state.scan_prefix(d.cf.entities, prefix, [&](std::string_view key, std::string_view value) {
      if (key.find('\0') != std::string_view::npos) return true;  // a latest reading
      codec::MessageView v(value);
      found = sv(v.root<s::Equipment>().getWorkCenter()) == s.work_center;
      return !found;
    });
    if (!found) {
      return not_found("data.workCenter",
                       "work center " + std::string(s.work_center) + " (no equipment is in it)");
    }
    return {};
  }
  auto routing = find_routing(d, s.routing);
  if (!routing) return not_found("data.routing", "routing " + std::string(s.routing));
  for (auto step : routing->get().getSteps()) {
    if (sv(step.getStep()) == s.step) return {};
  }
  return not_found("data.step",
                   "step " + std::string(s.step) + " of routing " + std::string(s.routing));
}

// ---- qualification.grant

Result<void> decide_grant(Decide& d, s::QualificationGrant::Reader r) {
  const Scope scope = scope_of(r);
  if (auto ok = check_scope(d, scope); !ok) return ok;
  if (r.getUntil() <= d.event_time()) {
    return invalid("data.until",
                   "must be after the time of the grant (" + format_rfc3339(d.event_time()) + ")");
  }
  if (r.getTrainer() == r.getUser()) {
    return invalid("data.trainer", "nobody is their own trainer");
  }
  if (sv(r.getUser()) == d.cmd.actor) {
    return std::unexpected(Error{ErrorCode::kPermissionDenied,
                                 "nobody grants themselves a qualification", "data.user"});
  }
  d.emit_data("qualification.granted");
  return {};
}

void apply_granted(Apply& a, s::QualificationGrant::Reader r) {
  capnp::MallocMessageBuilder msg(256);
  auto q = msg.initRoot<s::Qualification>();
  q.setUser(r.getUser());
  q.setRouting(r.getRouting());
  q.setStep(r.getStep());
  q.setWorkCenter(r.getWorkCenter());
  q.setUntil(r.getUntil());
  q.setTrainer(r.getTrainer());
  q.setProcedure(r.getProcedure());
  q.setGrantedAt(a.time());
  q.setGrantedBy(capnp::Text::Reader(a.rec.actor.data(), a.rec.actor.size()));
  q.setGrantSeq(a.rec.seq);
  const Scope scope = scope_of(r);
  put_struct(a.state, a.cf.entities, scope.key(sv(r.getUser())), q);
  put_struct(a.state, a.cf.index, scope.history_key(sv(r.getUser()), a.time(), a.rec.seq), q);
}

// ---- qualification.revoke

Result<void> decide_revoke(Decide& d, s::QualificationRevoke::Reader r) {
  const Scope scope = scope_of(r);
  if (auto ok = check_scope_shape(scope); !ok) return ok;
  auto q = load<s::Qualification>(d.state, d.cf.entities, scope.key(sv(r.getUser())));
  if (!q) {
    return not_found("data.user", str(r.getUser()) + "'s qualification for " + scope.text());
  }
  if (q->get().getRevokedAt() != 0) {
    return bad_state("data.user", str(r.getUser()) + "'s qualification for " + scope.text() +
                                      " was revoked at " + format_rfc3339(q->get().getRevokedAt()));
  }
  d.emit_data("qualification.revoked");
  return {};
}

void apply_revoked(Apply& a, s::QualificationRevoke::Reader r) {
  const Scope scope = scope_of(r);
  const std::string key = scope.key(sv(r.getUser()));
  update<s::Qualification>(
      a.state, a.cf.entities, key, [&](s::Qualification::Builder b, s::Qualification::Reader) {
        b.setRevokedAt(a.time());
        b.setRevokedBy(capnp::Text::Reader(a.rec.actor.data(), a.rec.actor.size()));
        b.setReason(r.getReason());
      });
  if (auto now = a.state.get(a.cf.entities, key)) {
    a.state.put(a.cf.index, scope.history_key(sv(r.getUser()), a.time(), a.rec.seq), *now);
  }
}

// Why `x` does not qualify at `at`, or "" when it does.
std::string lapse(s::Qualification::Reader x, TimeNs at) {
  if (x.getRevokedAt() != 0 && x.getRevokedAt() <= at) {
    return "revoked at " + format_rfc3339(x.getRevokedAt());
  }
  if (x.getUntil() <= at) return "expired at " + format_rfc3339(x.getUntil());
  if (x.getGrantedAt() > at) return "granted only at " + format_rfc3339(x.getGrantedAt());
  return {};
}

}  // namespace

Result<void> check_qualified(const Decide& d, s::WorkOrder::Reader wo, s::WoStep::Reader step,
                             TimeNs at) {
  if (!step.getCritical()) return {};
  const std::string_view user = d.cmd.actor;
  const Scope by_step{sv(wo.getRouting()), sv(step.getStep()), {}};
  const Scope by_center{{}, {}, sv(step.getWorkCenter())};
  std::string why;
  for (const Scope& scope : {by_step, by_center}) {
    auto q = load<s::Qualification>(d.state, d.cf.entities, scope.key(user));
    if (!q) continue;
    std::string lapsed = lapse(q->get(), at);
    if (!lapsed.empty() && q->get().getGrantedAt() > at) {
      // Granted again since `at` (a late entry): judge by the last grant or revocation
      // before it.
      std::optional<std::string> then;
      d.state.scan_prefix(d.cf.index, scope.history_prefix(user),
                          [&](std::string_view key, std::string_view value) {
                            const std::size_t time_at = key.size() - 16;
                            if (static_cast<TimeNs>(get_be64(key.data() + time_at)) > at) {
                              return false;
                            }
                            then.emplace(value);
                            return true;
                          });
      if (then) {
        codec::MessageView v(*then);
        lapsed = lapse(v.root<s::Qualification>(), at);
      }
    }
    if (lapsed.empty()) return {};
    if (!why.empty()) why += "; ";
    why += "the qualification for " + scope.text() + " was " + lapsed;
  }
  return std::unexpected(
      Error{ErrorCode::kNotQualified,
            std::string(user) + " is not qualified for critical step " + str(step.getStep()) +
                " of routing " + str(wo.getRouting()) + " (work center " +
                str(step.getWorkCenter()) + ") at " + format_rfc3339(at) +
                (why.empty() ? std::string(": no qualification is recorded") : ": " + why),
            "actor"});
}

const Area& training_area() {
  static const Area area{
      "training",
      {command<s::QualificationGrant, decide_grant>(
           "qualification.grant", {"qualification.granted"}, stream("qualification", "user")),
       command<s::QualificationRevoke, decide_revoke>(
           "qualification.revoke", {"qualification.revoked"}, stream("qualification", "user"))},
      {event<s::QualificationGrant, apply_granted>("qualification.granted"),
       event<s::QualificationRevoke, apply_revoked>("qualification.revoked")}};
  return area;
}

}  // namespace custody::domain
