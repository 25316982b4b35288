#include "domain_state.h"

#include "custody/codec/json_writer.h"
#include "custody/domain/genealogy.h"

namespace custody::domain {

const std::vector<std::string>& projection_column_families() {
  static const std::vector<std::string> all = {
      std::string(kEntitiesCf),     std::string(kHistoryCf), std::string(kGenealogyFwdCf),
      std::string(kGenealogyBwdCf), std::string(kIndexCf),   std::string(kFactsCf),
      std::string(kCorrectionsCf)};
  return all;
}

namespace keys {
std::string entity(std::string_view kind, std::string_view id) {
  std::string k(kind);
  k += '/';
  k += id;
  return k;
}

std::string history_prefix(std::string_view kind, std::string_view id) {
  std::string k = entity(kind, id);
  k.push_back('\0');
  return k;
}

std::string history(std::string_view kind, std::string_view id, std::uint64_t seq) {
  return history_prefix(kind, id) + be64(seq);
}

std::string reading_prefix(std::string_view equipment) {
  std::string k = entity("equipment", equipment);
  k.push_back('\0');
  k += "reading/";
  return k;
}

std::string reading(std::string_view equipment, std::string_view param) {
  return reading_prefix(equipment) + std::string(param);
}

std::string stream(std::string_view kind, std::string_view id) {
  std::string s(kind);
  s += ':';
  s += id;
  return s;
}

std::string edge_prefix(std::string_view a) {
  std::string k(a);
  k.push_back('\0');
  return k;
}

std::string edge(std::string_view a, std::string_view b) {
  std::string k = edge_prefix(a);
  k += b;
  return k;
}
}  // namespace keys

std::string qty_text(std::int64_t milli) {
  return codec::format_decimal(milli, 3);
}

Result<std::int64_t> add_quantity(std::int64_t a, std::int64_t b, const std::string& field) {
  std::int64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum) || sum > kMaxQuantity || sum < -kMaxQuantity) {
    return std::unexpected(Error{ErrorCode::kOutOfRange,
                                 "the total would exceed " + qty_text(kMaxQuantity) +
                                     ", more than custody can hold",
                                 field});
  }
  return sum;
}

std::unique_ptr<Loaded<s::Material>> find_material(const Decide& d, std::string_view id) {
  return load<s::Material>(d.state, d.cf.entities, keys::entity("material", id));
}
std::unique_ptr<Loaded<s::Party>> find_party(const Decide& d, std::string_view id) {
  return load<s::Party>(d.state, d.cf.entities, keys::entity("party", id));
}
std::unique_ptr<Loaded<s::Equipment>> find_equipment(const Decide& d, std::string_view id) {
  return load<s::Equipment>(d.state, d.cf.entities, keys::entity("equipment", id));
}
std::unique_ptr<Loaded<s::RoutingDefine>> find_routing(const Decide& d, std::string_view id) {
  return load<s::RoutingDefine>(d.state, d.cf.entities, keys::entity("routing", id));
}
std::unique_ptr<Loaded<s::Lot>> find_lot(const Decide& d, std::string_view id) {
  return load<s::Lot>(d.state, d.cf.entities, keys::entity("lot", id));
}
std::unique_ptr<Loaded<s::WorkOrder>> find_wo(const Decide& d, std::string_view id) {
  return load<s::WorkOrder>(d.state, d.cf.entities, keys::entity("wo", id));
}
std::unique_ptr<Loaded<s::Exception>> find_exception(const Decide& d, std::string_view id) {
  return load<s::Exception>(d.state, d.cf.entities, keys::entity("exception", id));
}

std::string_view lot_status_name(s::LotStatus status) {
  switch (status) {
    case s::LotStatus::AWAITING_RELEASE:
      return "awaiting release";
    case s::LotStatus::RELEASED:
      return "released";
    case s::LotStatus::HELD:
      return "held";
    case s::LotStatus::REJECTED:
      return "rejected";
  }
  return "unknown";
}

std::string_view wo_status_name(s::WoStatus status) {
  switch (status) {
    case s::WoStatus::CREATED:
      return "created";
    case s::WoStatus::RELEASED:
      return "released";
    case s::WoStatus::IN_PROGRESS:
      return "in progress";
    case s::WoStatus::COMPLETED:
      return "completed";
    case s::WoStatus::CLOSED:
      return "closed";
  }
  return "unknown";
}

std::string_view exception_status_name(s::ExceptionStatus status) {
  switch (status) {
    case s::ExceptionStatus::OPEN:
      return "open";
    case s::ExceptionStatus::ASSIGNED:
      return "assigned";
    case s::ExceptionStatus::ACKNOWLEDGED:
      return "acknowledged";
    case s::ExceptionStatus::RESOLVED:
      return "resolved";
    case s::ExceptionStatus::CLOSED:
      return "closed";
  }
  return "unknown";
}

std::string equipment_lot_key(std::string_view equipment, TimeNs time, std::uint64_t seq,
                              std::string_view lot) {
  std::string k = "equipment_lot/" + std::string(equipment);
  k.push_back('\0');
  k += be64(static_cast<std::uint64_t>(time));
  k += be64(seq);
  k += lot;
  return k;
}

void add_edge(Apply& a, std::string_view from, std::string_view to, s::EdgeKind kind,
              std::int64_t qty, std::string_view wo, bool to_is_new) {
  const std::string fwd_key = keys::edge(from, to);
  capnp::MallocMessageBuilder msg(64);
  auto e = msg.initRoot<s::Edge>();
  if (auto old = to_is_new ? nullptr : load<s::Edge>(a.state, a.cf.fwd, fwd_key)) {
    e.setKind(old->get().getKind());
    e.setQty(old->get().getQty() + qty);
    e.setWo(old->get().getWo());
    e.setSeq(old->get().getSeq());
  } else {
    e.setKind(kind);
    e.setQty(qty);
    e.setWo(codec::text(std::string(wo)));
    e.setSeq(a.rec.seq);
  }
  const std::string bytes = codec::canonical_bytes(e.asReader());
  a.state.put(a.cf.fwd, fwd_key, bytes);
  a.state.put(a.cf.bwd, keys::edge(to, from), bytes);
  if (a.graph != nullptr) a.graph->add_edge(from, to, kind, qty, a.rec.seq);
}

}  // namespace custody::domain
