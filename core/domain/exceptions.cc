// Exceptions: raised (by people or by custody's own rules), assigned, acknowledged,
// resolved with a root cause and action, closed; escalated when still unresolved after their
// deadline. The workflow is strict: open -> assigned -> acknowledged -> resolved -> closed
// (an exception may be reassigned until it is resolved).
#include "catalogue.h"
#include "custody/common/encoding.h"

namespace custody::domain {
namespace {

std::string exc_key(std::string_view id) {
  return keys::entity("exception", id);
}

std::string open_key(s::Severity severity, TimeNs raised_at, std::string_view id) {
  return keys::open_exception(static_cast<int>(severity), raised_at, id);
}

Result<std::unique_ptr<Loaded<s::Exception>>> existing(const Decide& d, std::string_view id) {
  auto e = find_exception(d, id);
  if (!e) return not_found("data.exception", "exception " + std::string(id));
  return e;
}

Result<void> require_status(s::Exception::Reader e,
                            std::initializer_list<s::ExceptionStatus> allowed,
                            std::string_view action) {
  for (auto a : allowed) {
    if (e.getStatus() == a) return {};
  }
  return bad_state("data.exception", "exception " + str(e.getException()) + " is " +
                                         std::string(exception_status_name(e.getStatus())) +
                                         "; it cannot be " + std::string(action));
}

// ---- exception.raise

Result<void> decide_raise(Decide& d, s::ExceptionRaise::Reader r) {
  if (sv(r.getException()).starts_with(kAutomaticExceptionPrefix)) {
    return std::unexpected(Error{ErrorCode::kReserved,
                                 "exception ids starting with 'auto:' are reserved for the "
                                 "exceptions custody raises itself",
                                 "data.exception"});
  }
  if (find_exception(d, sv(r.getException()))) {
    return already_exists("data.exception", "exception " + str(r.getException()));
  }
  if (r.getWo().size() && !find_wo(d, sv(r.getWo())))
    return not_found("data.wo", "work order " + str(r.getWo()));
  if (r.getLot().size() && !find_lot(d, sv(r.getLot())))
    return not_found("data.lot", "lot " + str(r.getLot()));
  if (r.getEquipment().size() && !find_equipment(d, sv(r.getEquipment()))) {
    return not_found("data.equipment", "equipment " + str(r.getEquipment()));
  }
  capnp::MallocMessageBuilder msg(256);
  auto e = msg.initRoot<s::ExceptionRaised>();
  e.setException(r.getException());
  e.setCategory(r.getCategory());
  e.setSeverity(r.getSeverity());
  e.setDescription(r.getDescription());
  e.setWo(r.getWo());
  if (r.getLot().size()) e.initLots(1).set(0, r.getLot());
  e.setEquipment(r.getEquipment());
  e.setDeadline(r.getDeadline());
  d.emit_own("exception.raised", e);
  return {};
}

void apply_raised(Apply& a, s::ExceptionRaised::Reader r) {
  capnp::MallocMessageBuilder msg(256);
  auto e = msg.initRoot<s::Exception>();
  e.setException(r.getException());
  e.setCategory(r.getCategory());
  e.setSeverity(r.getSeverity());
  e.setDescription(r.getDescription());
  e.setStatus(s::ExceptionStatus::OPEN);
  e.setWo(r.getWo());
  e.setLots(r.getLots());
  e.setEquipment(r.getEquipment());
  e.setDeadline(r.getDeadline());
  e.setRaisedAt(a.time());
  e.setRaisedBy(capnp::Text::Reader(a.rec.actor.data(), a.rec.actor.size()));
  e.setAutomatic(r.getAutomatic());
  // An automatic exception is emitted right after the record that broke the rule, by the
  // same command, so that record is the one before it.
  if (r.getAutomatic()) e.setCause(a.rec.seq - 1);
  put_struct(a.state, a.cf.entities, exc_key(sv(r.getException())), e);
  a.index(open_key(r.getSeverity(), a.time(), sv(r.getException())));
  if (r.getDeadline() != 0) a.index(keys::deadline(r.getDeadline(), sv(r.getException())));
  if (r.getCategory() == s::ExceptionCategory::EQUIPMENT && r.getEquipment().size()) {
    update<s::Equipment>(
        a.state, a.cf.entities, keys::entity("equipment", sv(r.getEquipment())),
        [&](s::Equipment::Builder b, s::Equipment::Reader) {
          b.setOpenExceptions(b.getOpenExceptions() + 1);
          b.setState(s::EquipmentState::DOWN);
          // The first open exception is the reason for OEE's down time until none is open, also
          // across a maintenance that ends before that.
          if (b.getIdealRate() > 0 && b.getOpenExceptions() == 1 && r.getDescription().size() > 0) {
            b.setDownCause(r.getDescription());
          }
          track_equipment_time(a, b);
        });
    a.history("equipment", sv(r.getEquipment()));
  }
  capnp::MallocMessageBuilder fmsg(64);
  auto f = fmsg.initRoot<s::Fact>().initExceptionRaised();
  f.setException(r.getException());
  f.setSeverity(r.getSeverity());
  a.fact(fmsg.getRoot<s::Fact>());
  a.history("exception", sv(r.getException()));
  for (auto lot : r.getLots()) a.history("lot", sv(lot));
  if (r.getWo().size()) a.history("wo", sv(r.getWo()));
}

// ---- assign, acknowledge, resolve, close, escalate

Result<void> decide_assign(Decide& d, s::ExceptionAssign::Reader r) {
  auto e = existing(d, sv(r.getException()));
  if (!e) return std::unexpected(e.error());
  using S = s::ExceptionStatus;
  if (auto ok = require_status((*e)->get(), {S::OPEN, S::ASSIGNED, S::ACKNOWLEDGED}, "assigned");
      !ok) {
    return ok;
  }
  d.emit_data("exception.assigned");
  return {};
}

void apply_assigned(Apply& a, s::ExceptionAssign::Reader r) {
  update<s::Exception>(a.state, a.cf.entities, exc_key(sv(r.getException())),
                       [&](s::Exception::Builder b, s::Exception::Reader) {
                         b.setStatus(s::ExceptionStatus::ASSIGNED);
                         b.setAssignee(r.getAssignee());
                       });
  a.history("exception", sv(r.getException()));
}

Result<void> decide_acknowledge(Decide& d, s::ExceptionRef::Reader r) {
  auto e = existing(d, sv(r.getException()));
  if (!e) return std::unexpected(e.error());
  if (auto ok = require_status((*e)->get(), {s::ExceptionStatus::ASSIGNED}, "acknowledged"); !ok)
    return ok;
  d.emit_data("exception.acknowledged");
  return {};
}

void apply_acknowledged(Apply& a, s::ExceptionRef::Reader r) {
  update<s::Exception>(a.state, a.cf.entities, exc_key(sv(r.getException())),
                       [&](s::Exception::Builder b, s::Exception::Reader) {
                         b.setStatus(s::ExceptionStatus::ACKNOWLEDGED);
                         b.setAcknowledgedAt(a.time());
                       });
  a.history("exception", sv(r.getException()));
}

Result<void> decide_resolve(Decide& d, s::ExceptionResolve::Reader r) {
  auto e = existing(d, sv(r.getException()));
  if (!e) return std::unexpected(e.error());
  if (auto ok = require_status((*e)->get(), {s::ExceptionStatus::ACKNOWLEDGED}, "resolved"); !ok)
    return ok;
  d.emit_data("exception.resolved");
  return {};
}

void apply_resolved(Apply& a, s::ExceptionResolve::Reader r) {
  const std::string key = exc_key(sv(r.getException()));
  auto old = load<s::Exception>(a.state, a.cf.entities, key);
  auto o = old->get();
  a.unindex(open_key(o.getSeverity(), o.getRaisedAt(), sv(r.getException())));
  if (o.getDeadline() != 0 && !o.getEscalated())
    a.unindex(keys::deadline(o.getDeadline(), sv(r.getException())));
  if (o.getCategory() == s::ExceptionCategory::EQUIPMENT && o.getEquipment().size()) {
    update<s::Equipment>(
        a.state, a.cf.entities, keys::entity("equipment", sv(o.getEquipment())),
        [&](s::Equipment::Builder b, s::Equipment::Reader) {
          if (b.getOpenExceptions() > 0) b.setOpenExceptions(b.getOpenExceptions() - 1);
          if (b.getOpenExceptions() == 0) {
            b.setState(b.getWo().size() ? s::EquipmentState::RUNNING : s::EquipmentState::IDLE);
          }
          track_equipment_time(a, b);
        });
    a.history("equipment", sv(o.getEquipment()));
  }
  update<s::Exception>(a.state, a.cf.entities, key,
                       [&](s::Exception::Builder b, s::Exception::Reader) {
                         b.setStatus(s::ExceptionStatus::RESOLVED);
                         b.setRootCause(r.getRootCause());
                         b.setAction(r.getAction());
                         b.setResolvedAt(a.time());
                       });
  a.history("exception", sv(r.getException()));
}

Result<void> decide_close(Decide& d, s::ExceptionRef::Reader r) {
  auto e = existing(d, sv(r.getException()));
  if (!e) return std::unexpected(e.error());
  if (auto ok = require_status((*e)->get(), {s::ExceptionStatus::RESOLVED}, "closed"); !ok)
    return ok;
  d.emit_data("exception.closed");
  return {};
}

void apply_closed(Apply& a, s::ExceptionRef::Reader r) {
  TimeNs raised_at = 0;
  update<s::Exception>(a.state, a.cf.entities, exc_key(sv(r.getException())),
                       [&](s::Exception::Builder b, s::Exception::Reader) {
                         b.setStatus(s::ExceptionStatus::CLOSED);
                         b.setClosedAt(a.time());
                         raised_at = b.getRaisedAt();
                       });
  capnp::MallocMessageBuilder msg(64);
  auto f = msg.initRoot<s::Fact>().initExceptionClosed();
  f.setException(r.getException());
  f.setRaisedAt(raised_at);
  a.fact(msg.getRoot<s::Fact>());
  a.history("exception", sv(r.getException()));
}

Result<void> decide_escalate(Decide& d, s::ExceptionEscalate::Reader r) {
  auto e = existing(d, sv(r.getException()));
  if (!e) return std::unexpected(e.error());
  using S = s::ExceptionStatus;
  if (auto ok = require_status((*e)->get(), {S::OPEN, S::ASSIGNED, S::ACKNOWLEDGED}, "escalated");
      !ok) {
    return ok;
  }
  if ((*e)->get().getEscalated()) {
    return bad_state("data.exception",
                     "exception " + str(r.getException()) + " is already escalated");
  }
  d.emit_data("exception.escalated");
  return {};
}

void apply_escalated(Apply& a, s::ExceptionEscalate::Reader r) {
  update<s::Exception>(a.state, a.cf.entities, exc_key(sv(r.getException())),
                       [&](s::Exception::Builder b, s::Exception::Reader) {
                         if (b.getDeadline() != 0) {
                           a.unindex(keys::deadline(b.getDeadline(), sv(r.getException())));
                         }
                         b.setEscalated(true);
                         b.setEscalatedAt(a.time());
                       });
  a.history("exception", sv(r.getException()));
}

// ---- comment

Result<void> decide_comment(Decide& d, s::ExceptionComment::Reader r) {
  auto e = existing(d, sv(r.getException()));
  if (!e) return std::unexpected(e.error());
  using S = s::ExceptionStatus;
  if (auto ok = require_status((*e)->get(), {S::OPEN, S::ASSIGNED, S::ACKNOWLEDGED, S::RESOLVED},
                               "commented");
      !ok) {
    return ok;
  }
  d.emit_data("exception.commented");
  return {};
}

void apply_commented(Apply& a, s::ExceptionComment::Reader r) {
  a.history("exception", sv(r.getException()));
}

}  // namespace

std::vector<Command> overdue_exceptions(const State& state, const Cfs& cf, TimeNs now) {
  return due_commands(state, cf, keys::kDeadlinePrefix, keys::deadline_before(now),
                      [](std::string_view key, std::string_view) -> std::optional<Command> {
                        const auto parsed = keys::parse_deadline(key);
                        if (!parsed) return std::nullopt;
                        const std::string id(*parsed);
                        capnp::MallocMessageBuilder msg(64);
                        auto esc = msg.initRoot<s::ExceptionEscalate>();
                        esc.setException(id);
                        esc.setReason("deadline passed");
                        // A reserved prefix (command_codec.h): once per exception.
                        return system_command("exception.escalate", "escalate:" + id, esc);
                      });
}

Command clock_step_exception(TimeNs expected, TimeNs now) {
  const TimeNs by = now > expected ? now - expected : expected - now;
  const std::int64_t secs = by / 1'000'000'000;
  const std::string amount = std::to_string(secs / 3600) + " h " + std::to_string(secs / 60 % 60) +
                             " min " + std::to_string(secs % 60) + " s";
  const std::string id = "clock-" + std::to_string(now / 1'000'000'000);
  capnp::MallocMessageBuilder msg(128);
  auto e = msg.initRoot<s::ExceptionRaise>();
  e.setException(id);
  e.setCategory(s::ExceptionCategory::SECURITY);
  e.setSeverity(s::Severity::HIGH);
  e.setDescription(
      std::string("The system clock ") + (now < expected ? "stepped back" : "jumped forward") +
      " by " + amount + ": it read " + format_rfc3339(now) + " where " + format_rfc3339(expected) +
      " was due. Records keep their order and never go back in recordedAt; check the time "
      "source (NTP) of the server and the times of what was recorded around it.");
  Command c;
  c.type = "exception.raise";
  c.command_id = "system:" + id;  // a reserved prefix (command_codec.h)
  c.actor = std::string(kSystem);
  c.data = codec::canonical_bytes(e.asReader());
  return c;
}

namespace {

// ---- corrections of what was written

void shift_raised(Apply& a, s::ExceptionRaised::Reader, s::ExceptionRaised::Reader y,
                  const ledger::RecordFields&) {
  update<s::Exception>(
      a.state, a.cf.entities, exc_key(sv(y.getException())),
      [&](s::Exception::Builder b, s::Exception::Reader) { b.setDescription(y.getDescription()); });
  a.history("exception", sv(y.getException()));
}

void shift_resolved(Apply& a, s::ExceptionResolve::Reader, s::ExceptionResolve::Reader y,
                    const ledger::RecordFields&) {
  update<s::Exception>(a.state, a.cf.entities, exc_key(sv(y.getException())),
                       [&](s::Exception::Builder b, s::Exception::Reader) {
                         b.setRootCause(y.getRootCause());
                         b.setAction(y.getAction());
                       });
  a.history("exception", sv(y.getException()));
}

}  // namespace

const Area& exceptions_area() {
  static const Area area{
      "exceptions",
      {command<s::ExceptionRaise, decide_raise>("exception.raise", {"exception.raised"},
                                                stream("exception", "exception")),
       command<s::ExceptionAssign, decide_assign>("exception.assign", {"exception.assigned"},
                                                  stream("exception", "exception")),
       command<s::ExceptionRef, decide_acknowledge>(
           "exception.acknowledge", {"exception.acknowledged"}, stream("exception", "exception")),
       command<s::ExceptionResolve, decide_resolve>("exception.resolve", {"exception.resolved"},
                                                    stream("exception", "exception")),
       command<s::ExceptionRef, decide_close>("exception.close", {"exception.closed"},
                                              stream("exception", "exception")),
       command<s::ExceptionEscalate, decide_escalate>("exception.escalate", {"exception.escalated"},
                                                      stream("exception", "exception")),
       command<s::ExceptionComment, decide_comment>("exception.comment", {"exception.commented"},
                                                    stream("exception", "exception"))},
      {event<s::ExceptionRaised, apply_raised>(
           "exception.raised",
           correctable<s::ExceptionRaised, nullptr, shift_raised>({"description"})),
       event<s::ExceptionAssign, apply_assigned>("exception.assigned"),
       event<s::ExceptionRef, apply_acknowledged>("exception.acknowledged"),
       event<s::ExceptionResolve, apply_resolved>(
           "exception.resolved",
           correctable<s::ExceptionResolve, nullptr, shift_resolved>({"rootCause", "action"})),
       event<s::ExceptionRef, apply_closed>("exception.closed"),
       event<s::ExceptionEscalate, apply_escalated>("exception.escalated"),
       event<s::ExceptionComment, apply_commented>(
           "exception.commented", correctable<s::ExceptionComment, nullptr, nullptr>({"text"}))}};
  return area;
}

}  // namespace custody::domain
