// Internal to core/domain: what a rule gets. A decide function checks one command against
// the state (and the effects of every command accepted before it in the same commit group)
// and emits the events it produces, or returns the error that rejects it. It never writes.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "custody/ledger/state_machine.h"
#include "state_access.h"
#include "values.h"

namespace custody::domain {

using ledger::Command;
using ledger::Event;

struct CommandSpec;

struct Decide {
  Decide(const Command& command, const State& st, const Cfs& families, TimeNs at,
         const CommandSpec& declared)
      : cmd(command), state(st), cf(families), now(at), spec(declared) {}

  const Command& cmd;
  const State& state;
  const Cfs& cf;
  TimeNs now;
  const CommandSpec& spec;  // the command's declaration (catalogue.h)
  std::vector<Event> events;

  // When the command says it happened: its occurredAt, else now.
  [[nodiscard]] TimeNs event_time() const { return cmd.occurred_at != 0 ? cmd.occurred_at : now; }

  // The command's own stream, as its declaration names it: "lot:R-1" for lot.receive.
  [[nodiscard]] std::string stream() const;

  void emit(std::string to_stream, std::string_view type, std::string payload,
            std::string actor = {}) {
    events.push_back(
        Event{std::move(to_stream), std::string(type), std::move(payload), std::move(actor)});
  }
  template <typename Builder>
  void emit_struct(std::string to_stream, std::string_view type, Builder b,
                   std::string actor = {}) {
    emit(std::move(to_stream), type, codec::canonical_bytes(b.asReader()), std::move(actor));
  }
  // Into the command's own stream: its data as the event's payload, or a struct built for
  // the event.
  void emit_data(std::string_view type) { emit(stream(), type, cmd.data); }
  template <typename Builder>
  void emit_own(std::string_view type, Builder b) {
    emit_struct(stream(), type, b);
  }
};

// Entity lookups: nullptr when absent.
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

// The same, refusing with not_found (naming `field`) when absent.
[[nodiscard]] Result<std::unique_ptr<Loaded<s::Lot>>> existing_lot(const Decide& d,
                                                                   std::string_view id,
                                                                   const std::string& field);
[[nodiscard]] Result<std::unique_ptr<Loaded<s::WorkOrder>>> existing_wo(const Decide& d,
                                                                        std::string_view id);
[[nodiscard]] Result<std::unique_ptr<Loaded<s::Equipment>>> existing_equipment(
    const Decide& d, std::string_view id);  // field "data.equipment"

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

// Consuming or shipping at event time `at` needs a released lot holding at least qty and not
// past its expiry (lot_expired).
[[nodiscard]] Result<void> check_lot_available(s::Lot::Reader lot, std::int64_t qty, TimeNs at,
                                               const std::string& lot_field,
                                               const std::string& qty_field);

// What a lot of `material` made at `made` carries: its expiry and best-before from the
// material's shelf life (0 where the material gives none).
[[nodiscard]] LotDates dates_from_shelf_life(s::Material::Reader material, TimeNs made);

// A correction would change a lot's on-hand quantity by `delta`: it may not go below zero
// (insufficient_quantity) nor beyond what custody holds (out_of_range).
[[nodiscard]] Result<void> check_lot_change(const Decide& d, std::string_view lot,
                                            std::int64_t delta, const std::string& field);

// A command custody writes itself (actor system) with `b` as its data; `command_id` under a
// reserved prefix, so that it is written once however often it is asked for.
template <typename Builder>
[[nodiscard]] Command system_command(std::string type, std::string command_id, Builder b) {
  Command c;
  c.type = std::move(type);
  c.command_id = std::move(command_id);
  c.actor = std::string(kSystem);
  c.data = codec::canonical_bytes(b.asReader());
  return c;
}

// Commands the passage of time calls for, from an index of what falls due when: for each key
// under `prefix` below `end` (the keys order by time), `make` builds custody's command, or
// nothing to pass the key over. At most 1000 a tick; the rest come on the next ones.
[[nodiscard]] std::vector<Command> due_commands(
    const State& state, const Cfs& cf, std::string_view prefix, std::string_view end,
    const std::function<std::optional<Command>(std::string_view key, std::string_view value)>&
        make);

// Commands only custody writes (on a clock tick): permission_denied (field `actor`) from
// anyone else, saying `when` custody writes it.
[[nodiscard]] Result<void> written_by_custody(const Decide& d, std::string_view when);

// Emits the exception custody raises itself as a consequence of the command being decided
// (a value out of limits, an account locked): "auto:<commandId>", severity high, by the
// system, due `due_in` after the command's event time. `more` fills in what only the caller
// knows (equipment, work order, lots).
void raise_automatic_exception(Decide& d, s::ExceptionCategory category, std::string description,
                               TimeNs due_in,
                               const std::function<void(s::ExceptionRaised::Builder)>& more = {});

}  // namespace custody::domain
