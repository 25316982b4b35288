#include "apply.h"

#include "custody/domain/genealogy.h"

namespace custody::domain {

void Apply::history(std::string_view kind, std::string_view id) const {
  const std::string_view s = rec.stream;
  if (s.size() == kind.size() + 1 + id.size() && s.starts_with(kind) && s[kind.size()] == ':' &&
      s.ends_with(id)) {
    return;
  }
  state.put(cf.history, keys::history(kind, id, rec.seq), rec.type);
}

namespace {

// The edge from -> to is now `e`: both families that hold it, and both lots' adjacency values.
void put_edge(Apply& a, std::string_view from, std::string_view to, s::Edge::Reader e) {
  const std::string bytes = codec::canonical_bytes(e);
  a.state.put(a.cf.fwd, keys::edge(from, to), bytes);
  a.state.put(a.cf.bwd, keys::edge(to, from), bytes);
  const auto kind = static_cast<std::uint8_t>(e.getKind());
  for (const auto& [cf, lot, other] :
       {std::tuple{a.cf.out, from, to}, std::tuple{a.cf.in, to, from}}) {
    const auto old = a.state.get(cf, lot);
    a.state.put(cf, lot,
                keys::adjacency::with(old.value_or(std::string()), other, kind, e.getQty()));
  }
}

}  // namespace

void add_edge(Apply& a, std::string_view from, std::string_view to, s::EdgeKind kind,
              std::int64_t qty, std::string_view wo, Target target) {
  const std::string fwd_key = keys::edge(from, to);
  capnp::MallocMessageBuilder msg(64);
  auto e = msg.initRoot<s::Edge>();
  if (auto old = target == Target::kNew ? nullptr : load<s::Edge>(a.state, a.cf.fwd, fwd_key)) {
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
  put_edge(a, from, to, e.asReader());
  if (a.graph != nullptr) a.graph->add_edge(from, to, kind, qty, a.rec.seq);
}

void lot_written(Apply& a, std::string_view lot, s::Lot::Reader l) {
  if (a.graph != nullptr) a.graph->set_lot(lot, lot_facts(l), a.rec.seq);
}

void track_stock(Apply& a, s::Lot::Reader lot, std::int64_t old_on_hand) {
  if (lot.getExpires() == 0) return;
  const bool had = old_on_hand > 0, has = lot.getOnHand() > 0;
  if (had == has) return;
  const std::string expiry = keys::expiry(lot.getExpires(), sv(lot.getLot()));
  const std::string fefo = keys::fefo(sv(lot.getMaterial()), lot.getExpires(), sv(lot.getLot()));
  if (has) {
    a.index(expiry, lot.getExpired() ? keys::kExpiredMark : std::string_view{});
    a.index(fefo);
  } else {
    a.unindex(expiry);
    a.unindex(fefo);
  }
}

void shift_lot(Apply& a, std::string_view lot, const LotShift& by) {
  update_lot(a, lot, [&](s::Lot::Builder b, s::Lot::Reader old) {
    b.setOnHand(b.getOnHand() + by.on_hand);
    b.setCreated(b.getCreated() + by.created);
    b.setConsumed(b.getConsumed() + by.consumed);
    b.setShipped(b.getShipped() + by.shipped);
    track_stock(a, b.asReader(), old.getOnHand());
  });
  a.history("lot", lot);
}

void shift_edge(Apply& a, std::string_view from, std::string_view to, std::int64_t delta) {
  const std::string key = keys::edge(from, to);
  auto old = load<s::Edge>(a.state, a.cf.fwd, key);
  // (An edge made after this record is only seen by a replay against later projections,
  // apply_records_after: it did not exist yet.)
  if (!old || old->get().getSeq() > a.rec.seq) return;
  capnp::MallocMessageBuilder msg(64);
  msg.setRoot(old->get());
  auto e = msg.getRoot<s::Edge>();
  e.setQty(e.getQty() + delta);
  put_edge(a, from, to, e.asReader());
  if (a.graph != nullptr) a.graph->add_edge(from, to, e.getKind(), delta, a.rec.seq);
}

}  // namespace custody::domain
