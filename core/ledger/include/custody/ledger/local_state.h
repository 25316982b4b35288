// Local state: small key/value data a ledger directory keeps beside its log for the programs
// that work on it (a plugin's position and settings it learnt, custody/plugin/services.h).
//
// It is NOT part of the record: nothing here is hashed into the chain, signed in a
// checkpoint, checked by `custody verify`, rebuilt by `custody rebuild` or exported. Its
// owners must be able to recompute it from the log (a lost position means replaying from
// the start, which idempotent command ids make harmless). Every write is synced before it
// returns.
//
// Thread-safe: any thread, concurrently with the sequencer.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "custody/common/error.h"

namespace custody::ledger {

class Store;

class LocalState {
 public:
  // `store` must outlive this.
  explicit LocalState(Store& store) : store_(store) {}

  // nullopt when absent.
  [[nodiscard]] Result<std::optional<std::string>> get(std::string_view key) const;
  // kPermissionDenied on a read-only ledger.
  [[nodiscard]] Result<void> put(std::string_view key, std::string_view value);
  [[nodiscard]] Result<void> erase(std::string_view key);
  // Every key starting with `prefix`, in key order, while `fn` returns true.
  [[nodiscard]] Result<void> scan(
      std::string_view prefix,
      const std::function<bool(std::string_view key, std::string_view value)>& fn) const;

 private:
  Store& store_;
};

}  // namespace custody::ledger
