// Exceptions: raised (by people or by custody's own rules), assigned, acknowledged,
// resolved with a root cause and action, closed; escalated when still unresolved after their
// deadline. The workflow is strict: open -> assigned -> acknowledged -> resolved -> closed
// (an exception may be reassigned until it is resolved).
#include "domain_state.h"

namespace custody::domain {
namespace {

using codec::MessageView;

std::string exc_stream(std::string_view id) {
  return "exception:" + std::string(id);
}
std::string exc_key(std::string_view id) {
  return keys::entity("exception", id);
}

std::string open_key(s::Severity severity, TimeNs raised_at, std::string_view id) {
  std::string k = "open_exc/";
  k.push_back(static_cast<char>(3 - static_cast<int>(severity)));
  k += be64(static_cast<std::uint64_t>(raised_at));
  k += id;
  return k;
}

std::string deadline_key(TimeNs deadline, std::string_view id) {
  return "deadline/" + be64(static_cast<std::uint64_t>(deadline)) + std::string(id);
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

Result<void> decide_raise(Decide& d) {
  MessageView v(d.cmd.data);
  auto r = v.root<s::ExceptionRaise>();
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
  d.emit_struct(exc_stream(sv(r.getException())), "exception.raised", e);
  return {};
}

void apply_raised(Apply& a) {
  MessageView v(a.rec.payload);
  auto r = v.root<s::ExceptionRaised>();
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
  if (r.getDeadline() != 0) a.index(deadline_key(r.getDeadline(), sv(r.getException())));
  if (r.getCategory() == s::ExceptionCategory::EQUIPMENT && r.getEquipment().size()) {
    update<s::Equipment>(a.state, a.cf.entities, keys::entity("equipment", sv(r.getEquipment())),
                         [&](s::Equipment::Builder b, s::Equipment::Reader) {
                           b.setOpenExceptions(b.getOpenExceptions() + 1);
                           b.setState(s::EquipmentState::DOWN);
                         });
    a.history("equipment", sv(r.getEquipment()));
  }
  capnp::MallocMessageBuilder fmsg(64);
  auto f = fmsg.initRoot<s::Fact>().initExceptionRaised();
  f.setException(r.getException());
  f.setSeverity(r.getSeverity());
  a.state.put(a.cf.facts, be64(static_cast<std::uint64_t>(a.time())) + be64(a.rec.seq) + '\0',
              codec::canonical_bytes(fmsg.getRoot<s::Fact>().asReader()));
  a.history("exception", sv(r.getException()));
  for (auto lot : r.getLots()) a.history("lot", sv(lot));
  if (r.getWo().size()) a.history("wo", sv(r.getWo()));
}

// ---- assign, acknowledge, resolve, close, escalate

Result<void> decide_assign(Decide& d) {
  MessageView v(d.cmd.data);
  auto r = v.root<s::ExceptionAssign>();
  auto e = existing(d, sv(r.getException()));
  if (!e) return std::unexpected(e.error());
  using S = s::ExceptionStatus;
  if (auto ok = require_status((*e)->get(), {S::OPEN, S::ASSIGNED, S::ACKNOWLEDGED}, "assigned");
      !ok) {
    return ok;
  }
  d.emit(exc_stream(sv(r.getException())), "exception.assigned", d.cmd.data);
  return {};
}

void apply_assigned(Apply& a) {
  MessageView v(a.rec.payload);
  auto r = v.root<s::ExceptionAssign>();
  update<s::Exception>(a.state, a.cf.entities, exc_key(sv(r.getException())),
                       [&](s::Exception::Builder b, s::Exception::Reader) {
                         b.setStatus(s::ExceptionStatus::ASSIGNED);
                         b.setAssignee(r.getAssignee());
                       });
  a.history("exception", sv(r.getException()));
}

Result<void> decide_acknowledge(Decide& d) {
  MessageView v(d.cmd.data);
  auto r = v.root<s::ExceptionRef>();
  auto e = existing(d, sv(r.getException()));
  if (!e) return std::unexpected(e.error());
  if (auto ok = require_status((*e)->get(), {s::ExceptionStatus::ASSIGNED}, "acknowledged"); !ok)
    return ok;
  d.emit(exc_stream(sv(r.getException())), "exception.acknowledged", d.cmd.data);
  return {};
}

void apply_acknowledged(Apply& a) {
  MessageView v(a.rec.payload);
  auto r = v.root<s::ExceptionRef>();
  update<s::Exception>(a.state, a.cf.entities, exc_key(sv(r.getException())),
                       [&](s::Exception::Builder b, s::Exception::Reader) {
                         b.setStatus(s::ExceptionStatus::ACKNOWLEDGED);
                         b.setAcknowledgedAt(a.time());
                       });
  a.history("exception", sv(r.getException()));
}

Result<void> decide_resolve(Decide& d) {
  MessageView v(d.cmd.data);
  auto r = v.root<s::ExceptionResolve>();
  auto e = existing(d, sv(r.getException()));
  if (!e) return std::unexpected(e.error());
  if (auto ok = require_status((*e)->get(), {s::ExceptionStatus::ACKNOWLEDGED}, "resolved"); !ok)
    return ok;
  d.emit(exc_stream(sv(r.getException())), "exception.resolved", d.cmd.data);
  return {};
}

void apply_resolved(Apply& a) {
  MessageView v(a.rec.payload);
  auto r = v.root<s::ExceptionResolve>();
  const std::string key = exc_key(sv(r.getException()));
  auto old = load<s::Exception>(a.state, a.cf.entities, key);
  auto o = old->get();
  a.unindex(open_key(o.getSeverity(), o.getRaisedAt(), sv(r.getException())));
  if (o.getDeadline() != 0 && !o.getEscalated())
    a.unindex(deadline_key(o.getDeadline(), sv(r.getException())));
  if (o.getCategory() == s::ExceptionCategory::EQUIPMENT && o.getEquipment().size()) {
    update<s::Equipment>(
        a.state, a.cf.entities, keys::entity("equipment", sv(o.getEquipment())),
        [&](s::Equipment::Builder b, s::Equipment::Reader) {
          if (b.getOpenExceptions() > 0) b.setOpenExceptions(b.getOpenExceptions() - 1);
          if (b.getOpenExceptions() == 0) {
            b.setState(b.getWo().size() ? s::EquipmentState::RUNNING : s::EquipmentState::IDLE);
          }
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

Result<void> decide_close(Decide& d) {
  MessageView v(d.cmd.data);
  auto r = v.root<s::ExceptionRef>();
  auto e = existing(d, sv(r.getException()));
  if (!e) return std::unexpected(e.error());
  if (auto ok = require_status((*e)->get(), {s::ExceptionStatus::RESOLVED}, "closed"); !ok)
    return ok;
  d.emit(exc_stream(sv(r.getException())), "exception.closed", d.cmd.data);
  return {};
}

void apply_closed(Apply& a) {
  MessageView v(a.rec.payload);
  auto r = v.root<s::ExceptionRef>();
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
  a.state.put(a.cf.facts, be64(static_cast<std::uint64_t>(a.time())) + be64(a.rec.seq) + '\0',
              codec::canonical_bytes(msg.getRoot<s::Fact>().asReader()));
  a.history("exception", sv(r.getException()));
}

Result<void> decide_escalate(Decide& d) {
  MessageView v(d.cmd.data);
  auto r = v.root<s::ExceptionEscalate>();
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
  d.emit(exc_stream(sv(r.getException())), "exception.escalated", d.cmd.data);
  return {};
}

void apply_escalated(Apply& a) {
  MessageView v(a.rec.payload);
  auto r = v.root<s::ExceptionEscalate>();
  update<s::Exception>(a.state, a.cf.entities, exc_key(sv(r.getException())),
                       [&](s::Exception::Builder b, s::Exception::Reader) {
                         if (b.getDeadline() != 0) {
                           a.unindex(deadline_key(b.getDeadline(), sv(r.getException())));
                         }
                         b.setEscalated(true);
                         b.setEscalatedAt(a.time());
                       });
  a.history("exception", sv(r.getException()));
}

}  // namespace

std::vector<Command> overdue_exceptions(const State& state, const Cfs& cf, TimeNs now) {
  std::vector<Command> out;
  const std::string end = "deadline/" + be64(static_cast<std::uint64_t>(now));
  state.scan_prefix(cf.index, "deadline/", [&](std::string_view key, std::string_view) {
    if (key >= end) return false;
    const std::string id(key.substr(std::string_view("deadline/").size() + 8));
    capnp::MallocMessageBuilder msg(64);
    auto esc = msg.initRoot<s::ExceptionEscalate>();
    esc.setException(id);
    esc.setReason("deadline passed");
    Command c;
    c.type = "exception.escalate";
    c.command_id = "escalate:" + id;
    c.actor = std::string(kSystem);
    c.data = codec::canonical_bytes(esc.asReader());
    out.push_back(std::move(c));
    return out.size() < 1000;
  });
  return out;
}

void register_exceptions(Handlers& h) {
  h.decide.emplace_back("exception.raise", &decide_raise);
  h.decide.emplace_back("exception.assign", &decide_assign);
  h.decide.emplace_back("exception.acknowledge", &decide_acknowledge);
  h.decide.emplace_back("exception.resolve", &decide_resolve);
  h.decide.emplace_back("exception.close", &decide_close);
  h.decide.emplace_back("exception.escalate", &decide_escalate);
  h.apply.emplace_back("exception.raised", &apply_raised);
  h.apply.emplace_back("exception.assigned", &apply_assigned);
  h.apply.emplace_back("exception.acknowledged", &apply_acknowledged);
  h.apply.emplace_back("exception.resolved", &apply_resolved);
  h.apply.emplace_back("exception.closed", &apply_closed);
  h.apply.emplace_back("exception.escalated", &apply_escalated);
}

}  // namespace custody::domain
