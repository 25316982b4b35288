// Internal to core/domain: typed access to projection state for rules (decide) and
// projections (apply): which column families they use, reading a value as its Cap'n Proto
// struct, writing one, and changing one in place.
#pragma once

#include <capnp/message.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "custody/codec/capnp_util.h"
#include "custody/ledger/state.h"
#include "schema/commands.capnp.h"
#include "schema/projections.capnp.h"

namespace custody::domain {

namespace s = custody::schema;
using ledger::State;

// Column family handles, bound at attach().
struct Cfs {
  State::Cf entities = nullptr;
  State::Cf history = nullptr;
  State::Cf fwd = nullptr;
  State::Cf bwd = nullptr;
  State::Cf out = nullptr;  // genealogy_out
  State::Cf in = nullptr;   // genealogy_in
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

}  // namespace custody::domain
