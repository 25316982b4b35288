// Deviations and CAPA (21 CFR 211.192, 211.100(b); EU GMP chapter 1.4(xiv), 8.15): a quality
// exception is escalated to a deviation; custody names the lots it may touch from the
// genealogy (the exception's lots and everything made from them) and keeps them from release
// while it is open. The investigation records an impact assessment and a root cause, may clear
// lots it finds unaffected, and QA (a second person) approves it. Corrective and preventive
// actions have an owner and a due date; the owner records each done and someone else checks
// that it was effective, or reopens it.
#include <unordered_set>

#include "catalogue.h"

namespace custody::domain {
namespace {

std::string deviation_key(std::string_view id) {
  return keys::entity("deviation", id);
}
std::string capa_key(std::string_view id) {
  return keys::entity("capa", id);
}
std::string lot_key(std::string_view id) {
  return keys::entity("lot", id);
}

std::string actor_text(const Apply& a) {
  return std::string(a.rec.actor);
}

Result<std::unique_ptr<Loaded<s::Deviation>>> existing_deviation(const Decide& d,
                                                                 std::string_view id,
                                                                 const std::string& field) {
  auto dev = load<s::Deviation>(d.state, d.cf.entities, deviation_key(id));
  if (!dev) return not_found(field, "deviation " + std::string(id));
  return dev;
}

Result<std::unique_ptr<Loaded<s::Capa>>> existing_capa(const Decide& d, std::string_view id) {
  auto capa = load<s::Capa>(d.state, d.cf.entities, capa_key(id));
  if (!capa) return not_found("data.capa", "CAPA " + std::string(id));
  return capa;
}

bool contains(capnp::List<capnp::Text>::Reader list, capnp::Text::Reader item) {
  for (auto x : list) {
    if (x == item) return true;
  }
  return false;
}

// `starts` and every lot reachable from them along the genealogy edges of column family `cf`
// (d.cf.fwd: what was made from them; d.cf.bwd: what they were made from), each once, first the
// starts, then by distance.
std::vector<std::string> reachable(const Decide& d, State::Cf cf, std::vector<std::string> starts) {
  std::vector<std::string> out;
  std::unordered_set<std::string> seen;
  for (auto& l : starts) {
    if (seen.insert(l).second) out.push_back(std::move(l));
  }
  for (std::size_t i = 0; i < out.size(); ++i) {
    const std::string prefix = keys::edge_prefix(out[i]);
    d.state.scan_prefix(cf, prefix, [&](std::string_view key, std::string_view) {
      std::string other(key.substr(prefix.size()));
      if (seen.insert(other).second) out.push_back(std::move(other));
      return true;
    });
  }
  return out;
}

// Counts one open deviation more (delta 1) or less (-1) against the lot. Opening one holds a
// lot that was released and is still in stock.
void count_deviation(Apply& a, std::string_view lot, int delta, std::string_view deviation) {
  const std::string key = lot_key(lot);
  if (!load<s::Lot>(a.state, a.cf.entities, key)) return;
  update_lot(a, lot, [&](s::Lot::Builder b, s::Lot::Reader) {
    if (delta > 0) {
      // The oldest of its open deviations, as far as a count can tell: kept while another is
      // open (a later lot of it is then held by the older one, which errs on the safe side).
      if (b.getDeviations() == 0) b.setDeviationSeq(a.rec.seq);
      b.setDeviations(b.getDeviations() + 1);
      if (b.getStatus() == s::LotStatus::RELEASED && b.getOnHand() > 0) {
        b.setStatus(s::LotStatus::HELD);
        b.setHoldReason("deviation " + std::string(deviation));
      }
    } else if (b.getDeviations() > 0) {
      b.setDeviations(b.getDeviations() - 1);
    }
  });
  a.history("lot", lot);
}

// ---- deviation.open

Result<void> decide_open(Decide& d, s::DeviationOpen::Reader r) {
  if (load<s::Deviation>(d.state, d.cf.entities, deviation_key(sv(r.getDeviation())))) {
    return already_exists("data.deviation", "deviation " + str(r.getDeviation()));
  }
  auto exc = find_exception(d, sv(r.getException()));
  if (!exc) return not_found("data.exception", "exception " + str(r.getException()));
  auto e = exc->get();
  if (e.getCategory() != s::ExceptionCategory::QUALITY) {
    return invalid("data.exception", "exception " + str(r.getException()) + " is a " +
                                         std::string(codec::enum_name(e.getCategory())) +
                                         " exception; only a quality exception is escalated to "
                                         "a deviation");
  }
  if (e.getDeviation().size() > 0) {
    return bad_state("data.exception", "exception " + str(r.getException()) +
                                           " was escalated to deviation " + str(e.getDeviation()) +
                                           " already");
  }
  if (e.getStatus() == s::ExceptionStatus::CLOSED) {
    return bad_state("data.exception", "exception " + str(r.getException()) +
                                           " is closed; a deviation is opened while it is worked");
  }
  // The impact: the exception's lots and everything made from them (consumed into, split
  // off, merged into), as the genealogy stands.
  std::vector<std::string> starts;
  for (auto l : e.getLots()) starts.push_back(str(l));
  const auto lots = reachable(d, d.cf.fwd, std::move(starts));
  capnp::MallocMessageBuilder msg(256);
  auto o = msg.initRoot<s::DeviationOpened>();
  o.setDeviation(r.getDeviation());
  o.setException(r.getException());
  o.setClassification(r.getClassification());
  o.setDescription(r.getDescription());
  o.setWo(e.getWo());
  auto out = o.initLots(static_cast<unsigned>(lots.size()));
  for (unsigned i = 0; i < lots.size(); ++i) out.set(i, lots[i]);
  d.emit_own("deviation.opened", o);
  return {};
}

void apply_opened(Apply& a, s::DeviationOpened::Reader r) {
  capnp::MallocMessageBuilder msg(256);
  auto v = msg.initRoot<s::Deviation>();
  v.setDeviation(r.getDeviation());
  v.setException(r.getException());
  v.setClassification(r.getClassification());
  v.setDescription(r.getDescription());
  v.setStatus(s::DeviationStatus::OPEN);
  v.setWo(r.getWo());
  v.setLots(r.getLots());
  v.setOpenedAt(a.time());
  v.setOpenedBy(actor_text(a));
  put_struct(a.state, a.cf.entities, deviation_key(sv(r.getDeviation())), v);
  update<s::Exception>(
      a.state, a.cf.entities, keys::entity("exception", sv(r.getException())),
      [&](s::Exception::Builder b, s::Exception::Reader) { b.setDeviation(r.getDeviation()); });
  for (auto lot : r.getLots()) count_deviation(a, sv(lot), 1, sv(r.getDeviation()));
  a.history("exception", sv(r.getException()));
  if (r.getWo().size() > 0) a.history("wo", sv(r.getWo()));
}

// ---- deviation.assess, deviation.approve

Result<void> decide_assess(Decide& d, s::DeviationAssess::Reader r) {
  auto dev = existing_deviation(d, sv(r.getDeviation()), "data.deviation");
  if (!dev) return std::unexpected(dev.error());
  auto v = (*dev)->get();
  if (v.getStatus() == s::DeviationStatus::APPROVED) {
    return bad_state("data.deviation",
                     "deviation " + str(r.getDeviation()) + " is approved and closed");
  }
  auto cleared = r.getCleared();
  for (unsigned i = 0; i < cleared.size(); ++i) {
    const std::string field = "data.cleared[" + std::to_string(i) + "]";
    if (!contains(v.getLots(), cleared[i])) {
      return invalid(field, "lot " + str(cleared[i]) + " is not one deviation " +
                                str(r.getDeviation()) + " names");
    }
    if (contains(v.getCleared(), cleared[i])) {
      return invalid(field, "lot " + str(cleared[i]) + " was cleared already");
    }
    for (unsigned j = 0; j < i; ++j) {
      if (cleared[j] == cleared[i]) return invalid(field, "names a lot twice");
    }
  }
  d.emit_data("deviation.assessed");
  return {};
}

void apply_assessed(Apply& a, s::DeviationAssess::Reader r) {
  update<s::Deviation>(a.state, a.cf.entities, deviation_key(sv(r.getDeviation())),
                       [&](s::Deviation::Builder b, s::Deviation::Reader old) {
                         b.setStatus(s::DeviationStatus::ASSESSED);
                         b.setImpact(r.getImpact());
                         b.setRootCause(r.getRootCause());
                         b.setAssessedAt(a.time());
                         b.setAssessedBy(actor_text(a));
                         const auto before = old.getCleared();
                         auto all = b.initCleared(before.size() + r.getCleared().size());
                         unsigned n = 0;
                         for (auto l : before) all.set(n++, l);
                         for (auto l : r.getCleared()) all.set(n++, l);
                       });
  for (auto lot : r.getCleared()) count_deviation(a, sv(lot), -1, sv(r.getDeviation()));
}

Result<void> decide_approve(Decide& d, s::DeviationApprove::Reader r) {
  auto dev = existing_deviation(d, sv(r.getDeviation()), "data.deviation");
  if (!dev) return std::unexpected(dev.error());
  auto v = (*dev)->get();
  const std::string what = "deviation " + str(r.getDeviation());
  if (v.getStatus() == s::DeviationStatus::APPROVED) {
    return bad_state("data.deviation", what + " is approved already");
  }
  if (v.getStatus() != s::DeviationStatus::ASSESSED) {
    return bad_state("data.deviation",
                     what + " has no impact assessment and root cause yet (deviation.assess)");
  }
  if (sv(v.getAssessedBy()) == d.cmd.actor) {
    return std::unexpected(
        Error{ErrorCode::kPermissionDenied,
              d.cmd.actor + " assessed " + what + "; it is approved by a second person", "actor"});
  }
  if (v.getClassification() != s::DeviationClass::MINOR && v.getCapas().size() == 0) {
    return bad_state("data.deviation",
                     what + " is " + std::string(codec::enum_name(v.getClassification())) +
                         "; it is approved only once it has a CAPA action (capa.open)");
  }
  d.emit_data("deviation.approved");
  return {};
}

void apply_approved(Apply& a, s::DeviationApprove::Reader r) {
  std::vector<std::string> held;
  update<s::Deviation>(a.state, a.cf.entities, deviation_key(sv(r.getDeviation())),
                       [&](s::Deviation::Builder b, s::Deviation::Reader old) {
                         b.setStatus(s::DeviationStatus::APPROVED);
                         b.setConclusion(r.getConclusion());
                         b.setApprovedAt(a.time());
                         b.setApprovedBy(actor_text(a));
                         for (auto l : old.getLots()) {
                           if (!contains(old.getCleared(), l)) held.push_back(str(l));
                         }
                       });
  for (const auto& lot : held) count_deviation(a, lot, -1, sv(r.getDeviation()));
}

// ---- capa.open, capa.complete, capa.check

Result<void> decide_capa_open(Decide& d, s::CapaOpen::Reader r) {
  if (load<s::Capa>(d.state, d.cf.entities, capa_key(sv(r.getCapa())))) {
    return already_exists("data.capa", "CAPA " + str(r.getCapa()));
  }
  auto dev = existing_deviation(d, sv(r.getDeviation()), "data.deviation");
  if (!dev) return std::unexpected(dev.error());
  if (!sv(r.getOwner()).starts_with("user:")) {
    return invalid("data.owner", "names the person who does it as they act: user:<name>");
  }
  if (r.getDue() <= d.event_time()) {
    return invalid("data.due", "must be after the time the action is opened");
  }
  d.emit_data("capa.opened");
  return {};
}

void apply_capa_opened(Apply& a, s::CapaOpen::Reader r) {
  capnp::MallocMessageBuilder msg(256);
  auto c = msg.initRoot<s::Capa>();
  c.setCapa(r.getCapa());
  c.setDeviation(r.getDeviation());
  c.setKind(r.getKind());
  c.setAction(r.getAction());
  c.setOwner(r.getOwner());
  c.setDue(r.getDue());
  c.setStatus(s::CapaStatus::OPEN);
  c.setOpenedAt(a.time());
  c.setOpenedBy(actor_text(a));
  put_struct(a.state, a.cf.entities, capa_key(sv(r.getCapa())), c);
  update<s::Deviation>(a.state, a.cf.entities, deviation_key(sv(r.getDeviation())),
                       [&](s::Deviation::Builder b, s::Deviation::Reader old) {
                         const auto before = old.getCapas();
                         auto all = b.initCapas(before.size() + 1);
                         for (unsigned i = 0; i < before.size(); ++i) all.set(i, before[i]);
                         all.set(before.size(), r.getCapa());
                       });
  a.history("deviation", sv(r.getDeviation()));
}

Result<void> decide_capa_complete(Decide& d, s::CapaComplete::Reader r) {
  auto capa = existing_capa(d, sv(r.getCapa()));
  if (!capa) return std::unexpected(capa.error());
  auto c = (*capa)->get();
  if (c.getStatus() != s::CapaStatus::OPEN) {
    return bad_state("data.capa", "CAPA " + str(r.getCapa()) + " is " +
                                      std::string(codec::enum_name(c.getStatus())) +
                                      "; only an open action is completed");
  }
  if (sv(c.getOwner()) != d.cmd.actor) {
    return std::unexpected(Error{ErrorCode::kPermissionDenied,
                                 "CAPA " + str(r.getCapa()) + " is owned by " + str(c.getOwner()) +
                                     "; its owner records it done",
                                 "actor"});
  }
  d.emit_data("capa.completed");
  return {};
}

void apply_capa_completed(Apply& a, s::CapaComplete::Reader r) {
  std::string deviation;
  update<s::Capa>(a.state, a.cf.entities, capa_key(sv(r.getCapa())),
                  [&](s::Capa::Builder b, s::Capa::Reader) {
                    b.setStatus(s::CapaStatus::COMPLETED);
                    b.setCompletedAt(a.time());
                    b.setCompletion(r.getNote());
                    deviation = str(b.getDeviation());
                  });
  a.history("deviation", deviation);
}

Result<void> decide_capa_check(Decide& d, s::CapaCheck::Reader r) {
  auto capa = existing_capa(d, sv(r.getCapa()));
  if (!capa) return std::unexpected(capa.error());
  auto c = (*capa)->get();
  if (c.getStatus() != s::CapaStatus::COMPLETED) {
    return bad_state("data.capa", "CAPA " + str(r.getCapa()) + " is " +
                                      std::string(codec::enum_name(c.getStatus())) +
                                      "; its effectiveness is checked once it is completed");
  }
  if (sv(c.getOwner()) == d.cmd.actor) {
    return std::unexpected(Error{ErrorCode::kPermissionDenied,
                                 d.cmd.actor + " owns CAPA " + str(r.getCapa()) +
                                     "; its effectiveness is checked by someone else",
                                 "actor"});
  }
  if (!r.getEffective() && r.getDue() <= d.event_time()) {
    return invalid("data.due",
                   "an action that was not effective is reopened: give its new due date, after "
                   "the check");
  }
  d.emit_data("capa.checked");
  return {};
}

void apply_capa_checked(Apply& a, s::CapaCheck::Reader r) {
  std::string deviation;
  update<s::Capa>(a.state, a.cf.entities, capa_key(sv(r.getCapa())),
                  [&](s::Capa::Builder b, s::Capa::Reader) {
                    b.setCheckedAt(a.time());
                    b.setCheckedBy(actor_text(a));
                    b.setCheckNote(r.getNote());
                    if (r.getEffective()) {
                      b.setStatus(s::CapaStatus::EFFECTIVE);
                    } else {
                      b.setStatus(s::CapaStatus::OPEN);
                      b.setDue(r.getDue());
                      b.setCompletedAt(0);
                      b.setCompletion("");
                      b.setIneffective(b.getIneffective() + 1);
                    }
                    deviation = str(b.getDeviation());
                  });
  a.history("deviation", deviation);
}

}  // namespace

// Lots named by an open deviation are not released (lots.cc); nor are lots made from them
// after it opened, which its impact could not name: the lot's ancestors are looked at too,
// and one named by a deviation that opened before this lot was made holds it.
Result<void> check_no_open_deviation(const Decide& d, s::Lot::Reader lot) {
  const std::string id = str(lot.getLot());
  if (lot.getDeviations() > 0) {
    return std::unexpected(Error{ErrorCode::kOpenDeviation,
                                 "lot " + id + " is named by " +
                                     std::to_string(lot.getDeviations()) +
                                     " open deviation(s); it is released once QA approves them "
                                     "or their assessment clears the lot",
                                 "data.lot"});
  }
  const auto ancestors = reachable(d, d.cf.bwd, {id});
  for (std::size_t i = 1; i < ancestors.size(); ++i) {
    auto a = find_lot(d, ancestors[i]);
    if (a && a->get().getDeviations() > 0 && lot.getCreatedSeq() > a->get().getDeviationSeq()) {
      return std::unexpected(Error{ErrorCode::kOpenDeviation,
                                   "lot " + id + " was made from lot " + ancestors[i] +
                                       ", which an open deviation names; it is released once QA "
                                       "approves the deviation or its assessment clears " +
                                       ancestors[i],
                                   "data.lot"});
    }
  }
  return {};
}

const Area& deviations_area() {
  static const Area area{
      "deviations and CAPA",
      {command<s::DeviationOpen, decide_open>("deviation.open", {"deviation.opened"},
                                              stream("deviation", "deviation")),
       command<s::DeviationAssess, decide_assess>("deviation.assess", {"deviation.assessed"},
                                                  stream("deviation", "deviation")),
       command<s::DeviationApprove, decide_approve>("deviation.approve", {"deviation.approved"},
                                                    stream("deviation", "deviation")),
       command<s::CapaOpen, decide_capa_open>("capa.open", {"capa.opened"}, stream("capa", "capa")),
       command<s::CapaComplete, decide_capa_complete>("capa.complete", {"capa.completed"},
                                                      stream("capa", "capa")),
       command<s::CapaCheck, decide_capa_check>("capa.check", {"capa.checked"},
                                                stream("capa", "capa"))},
      {event<s::DeviationOpened, apply_opened>("deviation.opened"),
       event<s::DeviationAssess, apply_assessed>("deviation.assessed"),
       event<s::DeviationApprove, apply_approved>("deviation.approved"),
       event<s::CapaOpen, apply_capa_opened>("capa.opened"),
       event<s::CapaComplete, apply_capa_completed>("capa.completed"),
       event<s::CapaCheck, apply_capa_checked>("capa.checked")}};
  return area;
}

}  // namespace custody::domain
