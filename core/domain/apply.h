// Internal to core/domain: what a projection gets. An apply function folds one committed
// record into the projections; it cannot fail and reads nothing but the state and the
// record, so that projections are a function of the log (`custody rebuild`).
#pragma once

#include <string>
#include <string_view>

#include "custody/domain/projections.h"
#include "custody/ledger/state_machine.h"
#include "state_access.h"
#include "values.h"

namespace custody::domain {

using ledger::RecordRef;

class GenealogyGraph;

struct Apply {
  const RecordRef& rec;
  State& state;
  const Cfs& cf;
  GenealogyGraph* graph = nullptr;  // kept current when the host keeps one in memory

  // Event time: the record's occurredAt when the command gave one, else its recordedAt.
  [[nodiscard]] TimeNs time() const {
    return rec.occurred_at != 0 ? rec.occurred_at : rec.recorded_at;
  }
  // Indexes the record under an entity it changed, unless the record is in that entity's
  // own stream (which lists it already).
  void history(std::string_view kind, std::string_view id) const;
  void index(std::string_view key, std::string_view value = {}) const {
    state.put(cf.index, key, value);
  }
  void unindex(std::string_view key) const { state.del(cf.index, key); }
  // A fact for KPIs, at the record's event time (keys::fact).
  template <typename Builder>
  void fact(Builder b) const {
    state.put(cf.facts, keys::fact(time(), rec.seq), codec::canonical_bytes(b.asReader()));
  }
};

// A lot the record being applied creates, with what every origin knows.
struct NewLot {
  capnp::Text::Reader lot;
  capnp::Text::Reader material;
  capnp::Text::Reader uom;
  s::LotStatus status = s::LotStatus::AWAITING_RELEASE;
  capnp::Text::Reader location;
  s::LotOrigin origin = s::LotOrigin::RECEIVED;
  std::int64_t qty = 0;
  LotDates dates = {};
};

// The lot projection of `lot` was written as `l`: the graph's lot table follows it. Every
// write of a lot projection goes through put_new_lot or update_lot, which call it.
void lot_written(Apply& a, std::string_view lot, s::Lot::Reader l);

// Read-modify-write of lot `lot`'s projection: mutate(builder, old_reader), as update().
template <typename F>
void update_lot(Apply& a, std::string_view lot, F&& mutate) {
  update<s::Lot>(a.state, a.cf.entities, keys::entity("lot", lot),
                 [&](s::Lot::Builder b, s::Lot::Reader old) {
                   mutate(b, old);
                   lot_written(a, lot, b.asReader());
                 });
}

// A lot's stock changed from `old_on_hand` to what `lot` now holds: it enters or leaves the
// expiry and first-expired-first-out indexes (projections.h) as it holds something or not.
void track_stock(Apply& a, s::Lot::Reader lot, std::int64_t old_on_hand);

// Writes a new lot's projection: `n`, created at the record's time and seq, with `qty` on
// hand; `more` sets what only its origin knows (supplier, work order, hold reason).
template <typename F>
void put_new_lot(Apply& a, const NewLot& n, F&& more) {
  capnp::MallocMessageBuilder msg(256);
  auto l = msg.initRoot<s::Lot>();
  l.setLot(n.lot);
  l.setMaterial(n.material);
  l.setUom(n.uom);
  l.setStatus(n.status);
  l.setLocation(n.location);
  l.setOrigin(n.origin);
  l.setOnHand(n.qty);
  l.setCreated(n.qty);
  l.setCreatedAt(a.time());
  l.setCreatedSeq(a.rec.seq);
  l.setProduced(n.dates.produced);
  l.setExpires(n.dates.expires);
  l.setBestBefore(n.dates.best_before);
  more(l);
  track_stock(a, l.asReader(), 0);
  const std::string_view lot(n.lot.cStr(), n.lot.size());
  put_struct(a.state, a.cf.entities, keys::entity("lot", lot), l);
  lot_written(a, lot, l.asReader());
}
inline void put_new_lot(Apply& a, const NewLot& n) {
  put_new_lot(a, n, [](s::Lot::Builder) {});
}

// Whether the lot an edge leads to was created by the very record being applied (so no edge
// into it can exist yet and none is read).
enum class Target { kExisting, kNew };

// Moves a lot's counters by the given differences (a correction of what was entered).
struct LotShift {
  std::int64_t on_hand = 0;
  std::int64_t created = 0;
  std::int64_t consumed = 0;
  std::int64_t shipped = 0;
};
void shift_lot(Apply& a, std::string_view lot, const LotShift& by);

// Genealogy: adds (or grows by qty) the edge from -> to, stored both ways.
void add_edge(Apply& a, std::string_view from, std::string_view to, s::EdgeKind kind,
              std::int64_t qty, std::string_view wo, Target target = Target::kExisting);

// Grows (or shrinks, with a negative delta) an existing edge's quantity, both ways.
void shift_edge(Apply& a, std::string_view from, std::string_view to, std::int64_t delta);

}  // namespace custody::domain
