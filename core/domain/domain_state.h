// Internal to core/domain: typed access to projection state for the decide and apply
// functions, and the small vocabulary they share.
#pragma once

#include <capnp/message.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "custody/codec/capnp_util.h"
#include "custody/common/encoding.h"
#include "custody/domain/projections.h"
#include "custody/ledger/state.h"
#include "custody/ledger/state_machine.h"
#include "custody/ledger/store.h"
#include "schema/commands.capnp.h"
#include "schema/projections.capnp.h"

namespace custody::domain {

namespace s = custody::schema;
using ledger::Command;
using ledger::Event;
using ledger::RecordRef;
using ledger::State;

// Column family handles, bound once at attach().
struct Cfs {
  State::Cf entities = nullptr;
  State::Cf history = nullptr;
  State::Cf fwd = nullptr;
  State::Cf bwd = nullptr;
  State::Cf index = nullptr;
  State::Cf facts = nullptr;
  State::Cf corrections = nullptr;
};

// A decoded value that keeps its bytes alive. Not movable: hold it by unique_ptr.
template <typename T>
class Loaded {
 public:
  explicit Loaded(std::string bytes) : bytes_(std::move(bytes)), view_(bytes_) {}
  Loaded(const Loaded&) = delete;
  Loaded& operator=(const Loaded&) = delete;
  [[nodiscard]] typename T::Reader get() { return view_.root<T>(); }
  [[nodiscard]] const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
  codec::MessageView view_;
};

template <typename T>
[[nodiscard]] std::unique_ptr<Loaded<T>> load(const State& state, State::Cf cf,
                                              std::string_view key) {
  auto bytes = state.get(cf, key);
  if (!bytes) return nullptr;
  return std::make_unique<Loaded<T>>(std::move(*bytes));
}

// Command data as its struct.
template <typename T>
[[nodiscard]] typename T::Reader data_of(const Command& cmd, codec::MessageView& view) {
  return view.root<T>();
}

// Writes a struct as canonical bytes.
template <typename Builder>
void put_struct(State& state, State::Cf cf, std::string_view key, Builder b) {
  state.put(cf, key, codec::canonical_bytes(b.asReader()));
}

// Read-modify-write of an entity: mutate(builder, old_reader) sees a copy of the old value.
template <typename T, typename F>
void update(State& state, State::Cf cf, std::string_view key, F&& mutate) {
  auto old = load<T>(state, cf, key);
  if (!old) throw std::logic_error("update of a missing entity " + std::string(key));
  capnp::MallocMessageBuilder msg(512);
  msg.setRoot(old->get());
  auto b = msg.getRoot<T>();
  mutate(b, old->get());
  put_struct(state, cf, key, b);
}

[[nodiscard]] inline std::string str(capnp::Text::Reader t) {
  return std::string(t.cStr(), t.size());
}
[[nodiscard]] inline std::string_view sv(capnp::Text::Reader t) {
  return {t.cStr(), t.size()};
}
[[nodiscard]] inline std::string str(capnp::Text::Builder t) {
  return std::string(t.cStr(), t.size());
}
[[nodiscard]] inline std::string_view sv(capnp::Text::Builder t) {
  return {t.cStr(), t.size()};
}

// Quantities are fixed-point with 3 decimals; this prints them for messages.
[[nodiscard]] std::string qty_text(std::int64_t milli);

// Quantities enter with at most 12 digits before the point (the JSON binding's bound); a
// total that would leave that range (a merge of huge lots, reports piling up) is refused
// with kOutOfRange rather than wrapped.
inline constexpr std::int64_t kMaxQuantity = 999'999'999'999'999;  // in thousandths
[[nodiscard]] Result<std::int64_t> add_quantity(std::int64_t a, std::int64_t b,
                                                const std::string& field);

// The actor custody writes automatic consequences as.
inline constexpr std::string_view kSystem = "system";
// Exceptions custody raises itself are "auto:<the command id that caused them>"; nobody else
// may raise one so named.
inline constexpr std::string_view kAutomaticExceptionPrefix = "auto:";

// What decide functions get.
struct Decide {
  const Command& cmd;
  const State& state;
  const Cfs& cf;
  TimeNs now;
  std::vector<Event> events;

  void emit(std::string stream, std::string_view type, std::string payload,
            std::string actor = {}) {
    events.push_back(
        Event{std::move(stream), std::string(type), std::move(payload), std::move(actor)});
  }
  template <typename Builder>
  void emit_struct(std::string stream, std::string_view type, Builder b, std::string actor = {}) {
    emit(std::move(stream), type, codec::canonical_bytes(b.asReader()), std::move(actor));
  }
};

class GenealogyGraph;

// What apply functions get.
struct Apply {
  const RecordRef& rec;
  State& state;
  const Cfs& cf;
  GenealogyGraph* graph = nullptr;  // kept current when the host keeps one in memory

  [[nodiscard]] TimeNs time() const {
    return rec.occurred_at != 0 ? rec.occurred_at : rec.recorded_at;
  }
  // Indexes the record under an entity it changed, unless the record is in that entity's
  // own stream (which lists it already).
  void history(std::string_view kind, std::string_view id) const {
    const std::string_view s = rec.stream;
    if (s.size() == kind.size() + 1 + id.size() && s.starts_with(kind) && s[kind.size()] == ':' &&
        s.ends_with(id)) {
      return;
    }
    state.put(cf.history, keys::history(kind, id, rec.seq), rec.type);
  }
  void index(std::string_view key, std::string_view value = {}) const {
    state.put(cf.index, key, value);
  }
  void unindex(std::string_view key) const { state.del(cf.index, key); }
};

using DecideResult = Result<std::vector<Event>>;
using DecideFn = Result<void> (*)(Decide&);
using ApplyFn = void (*)(Apply&);

// Entity lookups for decide functions: nullptr when absent.
[[nodiscard]] std::unique_ptr<Loaded<s::Material>> find_material(const Decide& d,
                                                                 std::string_view id);
[[nodiscard]] std::unique_ptr<Loaded<s::Party>> find_party(const Decide& d, std::string_view id);
[[nodiscard]] std::unique_ptr<Loaded<s::Equipment>> find_equipment(const Decide& d,
                                                                   std::string_view id);
[[nodiscard]] std::unique_ptr<Loaded<s::RoutingDefine>> find_routing(const Decide& d,
                                                                     std::string_view id);
[[nodiscard]] std::unique_ptr<Loaded<s::Lot>> find_lot(const Decide& d, std::string_view id);
[[nodiscard]] std::unique_ptr<Loaded<s::WorkOrder>> find_wo(const Decide& d, std::string_view id);
[[nodiscard]] std::unique_ptr<Loaded<s::Exception>> find_exception(const Decide& d,
                                                                   std::string_view id);

// Errors with their codes.
[[nodiscard]] inline std::unexpected<Error> not_found(std::string field, std::string what) {
  return std::unexpected(Error{ErrorCode::kNotFound, what + " does not exist", std::move(field)});
}
[[nodiscard]] inline std::unexpected<Error> already_exists(std::string field, std::string what) {
  return std::unexpected(
      Error{ErrorCode::kAlreadyExists, what + " already exists", std::move(field)});
}
[[nodiscard]] inline std::unexpected<Error> invalid(std::string field, std::string message) {
  return std::unexpected(Error{ErrorCode::kInvalidArgument, std::move(message), std::move(field)});
}
[[nodiscard]] inline std::unexpected<Error> bad_state(std::string field, std::string message) {
  return std::unexpected(Error{ErrorCode::kInvalidState, std::move(message), std::move(field)});
}

// Names for messages.
[[nodiscard]] std::string_view lot_status_name(s::LotStatus status);
[[nodiscard]] std::string_view wo_status_name(s::WoStatus status);
[[nodiscard]] std::string_view exception_status_name(s::ExceptionStatus status);

// Index key of a lot consumed or produced on equipment at a time (projections.h).
[[nodiscard]] std::string equipment_lot_key(std::string_view equipment, TimeNs time,
                                            std::uint64_t seq, std::string_view lot);

// A lot the record being applied creates, with what every origin knows.
struct NewLot {
  capnp::Text::Reader lot;
  capnp::Text::Reader material;
  capnp::Text::Reader uom;
  s::LotStatus status = s::LotStatus::AWAITING_RELEASE;
  capnp::Text::Reader location;
  s::LotOrigin origin = s::LotOrigin::RECEIVED;
  std::int64_t qty = 0;
};

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
  more(l);
  put_struct(a.state, a.cf.entities,
             keys::entity("lot", std::string_view(n.lot.cStr(), n.lot.size())), l);
}
inline void put_new_lot(Apply& a, const NewLot& n) {
  put_new_lot(a, n, [](s::Lot::Builder) {});
}

// Genealogy: adds (or grows by qty) the edge from -> to, stored both ways. `to_is_new` says
// `to` was created by this very record, so no edge into it can exist yet (no read needed).
void add_edge(Apply& a, std::string_view from, std::string_view to, s::EdgeKind kind,
              std::int64_t qty, std::string_view wo, bool to_is_new = false);

// Registration of each area's handlers (one file each).
struct Handlers;
void register_master_data(Handlers& h);
void register_lots(Handlers& h);
void register_work_orders(Handlers& h);
void register_scheduling(Handlers& h);
void register_access(Handlers& h);
void register_quality(Handlers& h);
void register_exceptions(Handlers& h);
void register_corrections(Handlers& h);

struct Handlers {
  std::vector<std::pair<std::string_view, DecideFn>> decide;
  std::vector<std::pair<std::string_view, ApplyFn>> apply;
};

// Deadlines custody gives the exceptions it raises itself.
inline constexpr TimeNs kHour = 3600LL * 1'000'000'000LL;

}  // namespace custody::domain

namespace custody::domain {
// Consuming or shipping needs a released lot holding at least qty (lots.cc).
[[nodiscard]] Result<void> check_lot_available(s::Lot::Reader lot, std::int64_t qty,
                                               const std::string& lot_field,
                                               const std::string& qty_field);
}  // namespace custody::domain

namespace custody::domain {
// Escalation commands for exceptions past their deadline (exceptions.cc).
[[nodiscard]] std::vector<Command> overdue_exceptions(const State& state, const Cfs& cf,
                                                      TimeNs now);
}  // namespace custody::domain
