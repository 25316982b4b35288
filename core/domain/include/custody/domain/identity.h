// The people and machines the ledger knows (user.* and token.* records), as projected: what
// the server reads to decide who a caller is and what their roles are.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "custody/codec/json_writer.h"
#include "custody/common/clock.h"
#include "custody/common/error.h"
#include "custody/ledger/snapshot.h"

namespace custody::domain {

// The roles, as the schema names them: "operator", "supervisor", "qa", "planner",
// "maintenance", "auditor", "admin", "integration".
[[nodiscard]] const std::vector<std::string>& role_names();

struct UserView {
  std::string id;
  std::string name;                // printed name
  std::vector<std::string> roles;  // role_names() spelling
  bool disabled = false;
  TimeNs password_set_at = 0;  // 0: never set
  TimeNs locked_until = 0;     // sign-in refused before this (user.locked); 0: never
};

struct TokenView {
  std::string id;
  std::string role;
  std::vector<std::string> command_types;  // empty: whatever the role may submit
  std::string description;
  bool revoked = false;
  TimeNs created_at = 0;
  std::string created_by;
};

// The highest seq of a user.* or token.* record applied in this process so far, to any
// ledger, raised before the record's change is written (0: none yet). A user's or token's
// record read at a committed head at or past it is still current: nothing applied since has
// changed any. The server keeps credentials with the head it read them at, and reads them
// again once this passes that head.
[[nodiscard]] std::uint64_t identity_changed_at();

// nullopt when there is no such user or token; kIoError or kCorruption from storage.
[[nodiscard]] Result<std::optional<UserView>> find_user(const ledger::Snapshot& snap,
                                                        std::string_view id);
[[nodiscard]] Result<std::optional<TokenView>> find_token(const ledger::Snapshot& snap,
                                                          std::string_view id);
// Every person, by id (password hashes are not in the ledger).
[[nodiscard]] Result<std::vector<UserView>> list_users(const ledger::Snapshot& snap);
// Every token, by id, without secrets (there are none in the ledger to show).
[[nodiscard]] Result<std::vector<TokenView>> list_tokens(const ledger::Snapshot& snap);

}  // namespace custody::domain
