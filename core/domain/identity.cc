// Identity: the people who sign in and the API tokens machines use, with their roles. Each
// change is a record with who made it, so the audit trail says who could do what, when.
// Passwords and token secrets never enter the log: their hashes are kept beside the ledger
// (server/credentials.h), and the records say only that they changed.
#include "custody/domain/identity.h"

#include <atomic>
#include <cctype>

#include "catalogue.h"

namespace custody::domain {
namespace {

std::unique_ptr<Loaded<s::User>> find_user(const Decide& d, std::string_view id) {
  return load<s::User>(d.state, d.cf.entities, keys::entity("user", id));
}

std::unique_ptr<Loaded<s::ApiToken>> find_token(const Decide& d, std::string_view id) {
  return load<s::ApiToken>(d.state, d.cf.entities, keys::entity("token", id));
}

// At least one role, none twice.
Result<void> check_roles(capnp::List<s::Role>::Reader roles, const std::string& field) {
  if (roles.size() == 0) return invalid(field, "needs at least one role");
  for (unsigned i = 0; i < roles.size(); ++i) {
    for (unsigned j = 0; j < i; ++j) {
      if (roles[i] == roles[j]) {
        return invalid(field + "[" + std::to_string(i) + "]", "names a role twice");
      }
    }
  }
  return {};
}

Result<std::unique_ptr<Loaded<s::User>>> existing_user(const Decide& d, capnp::Text::Reader id) {
  auto user = find_user(d, sv(id));
  if (!user) return not_found("data.user", "user " + str(id));
  return user;
}

Result<void> decide_add(Decide& d, s::UserAdd::Reader u) {
  if (find_user(d, sv(u.getUser()))) return already_exists("data.user", "user " + str(u.getUser()));
  if (auto ok = check_roles(u.getRoles(), "data.roles"); !ok) return ok;
  d.emit_data("user.added");
  return {};
}

void apply_added(Apply& a, s::UserAdd::Reader u) {
  capnp::MallocMessageBuilder msg(128);
  auto e = msg.initRoot<s::User>();
  e.setUser(u.getUser());
  e.setName(u.getName());
  e.setRoles(u.getRoles());
  e.setCreatedAt(a.time());
  put_struct(a.state, a.cf.entities, keys::entity("user", sv(u.getUser())), e);
}

// Rewrites a user's projection with `change` applied (decide made sure the user exists).
template <typename F>
void update_user(Apply& a, capnp::Text::Reader id, F&& change) {
  update<s::User>(a.state, a.cf.entities, keys::entity("user", sv(id)),
                  [&](s::User::Builder e, s::User::Reader) { change(e); });
}

Result<void> decide_set_roles(Decide& d, s::UserSetRoles::Reader u) {
  auto user = existing_user(d, u.getUser());
  if (!user) return std::unexpected(user.error());
  if (auto ok = check_roles(u.getRoles(), "data.roles"); !ok) return ok;
  d.emit_data("user.roles_set");
  return {};
}

void apply_roles_set(Apply& a, s::UserSetRoles::Reader u) {
  update_user(a, u.getUser(), [&](s::User::Builder e) { e.setRoles(u.getRoles()); });
}

Result<void> decide_disable(Decide& d, s::UserRef::Reader u) {
  auto user = existing_user(d, u.getUser());
  if (!user) return std::unexpected(user.error());
  if ((*user)->get().getDisabled()) {
    return bad_state("data.user", "user " + str(u.getUser()) + " is already disabled");
  }
  d.emit_data("user.disabled");
  return {};
}

Result<void> decide_enable(Decide& d, s::UserRef::Reader u) {
  auto user = existing_user(d, u.getUser());
  if (!user) return std::unexpected(user.error());
  if (!(*user)->get().getDisabled()) {
    return bad_state("data.user", "user " + str(u.getUser()) + " is not disabled");
  }
  d.emit_data("user.enabled");
  return {};
}

void apply_disabled(Apply& a, s::UserRef::Reader u) {
  update_user(a, u.getUser(), [](s::User::Builder e) { e.setDisabled(true); });
}

void apply_enabled(Apply& a, s::UserRef::Reader u) {
  update_user(a, u.getUser(), [](s::User::Builder e) { e.setDisabled(false); });
}

Result<void> decide_set_password(Decide& d, s::UserSetPassword::Reader u) {
  auto user = existing_user(d, u.getUser());
  if (!user) return std::unexpected(user.error());
  d.emit_data("user.password_set");
  return {};
}

void apply_password_set(Apply& a, s::UserSetPassword::Reader u) {
  const TimeNs at = a.time();
  update_user(a, u.getUser(), [at](s::User::Builder e) { e.setPasswordSetAt(at); });
}

Result<void> decide_lock(Decide& d, s::UserLock::Reader u) {
  if (d.cmd.actor != kSystem) {
    return std::unexpected(
        Error{ErrorCode::kPermissionDenied, "lockouts are recorded by custody itself", "actor"});
  }
  auto user = existing_user(d, u.getUser());
  if (!user) return std::unexpected(user.error());
  d.emit_data("user.locked");
  // And on the exception board, for whoever watches security.
  raise_automatic_exception(
      d, s::ExceptionCategory::SECURITY,
      "account " + str(u.getUser()) + " locked after " + std::to_string(u.getFailures()) +
          " failed sign-ins" +
          (u.getFrom().size() > 0 ? ", the last from " + str(u.getFrom()) : ""),
      4 * kHour);
  return {};
}

void apply_locked(Apply& a, s::UserLock::Reader u) {
  const TimeNs until = u.getUntil();
  update_user(a, u.getUser(), [until](s::User::Builder e) { e.setLockedUntil(until); });
}

Result<void> decide_unlock(Decide& d, s::UserRef::Reader u) {
  auto user = existing_user(d, u.getUser());
  if (!user) return std::unexpected(user.error());
  if ((*user)->get().getLockedUntil() <= d.now) {
    return bad_state("data.user", "user " + str(u.getUser()) + " is not locked");
  }
  d.emit_data("user.unlocked");
  return {};
}

void apply_unlocked(Apply& a, s::UserRef::Reader u) {
  update_user(a, u.getUser(), [](s::User::Builder e) { e.setLockedUntil(0); });
}

Result<void> decide_token_create(Decide& d, s::TokenCreate::Reader t) {
  if (find_token(d, sv(t.getToken()))) {
    return already_exists("data.token", "token " + str(t.getToken()));
  }
  // A token's id travels inside its secret, in an HTTP header: plain ASCII only.
  for (char c : sv(t.getToken())) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_') {
      return invalid("data.token", "a token id may hold only ASCII letters, digits, '-', '.', '_'");
    }
  }
  if (t.getToken().size() > 64)
    return invalid("data.token", "a token id has at most 64 characters");
  auto types = t.getCommandTypes();
  for (unsigned i = 0; i < types.size(); ++i) {
    if (find_command_spec(sv(types[i])) == nullptr) {
      return invalid("data.commandTypes[" + std::to_string(i) + "]",
                     "unknown command type '" + str(types[i]) + "'");
    }
  }
  d.emit_data("token.created");
  return {};
}

void apply_token_created(Apply& a, s::TokenCreate::Reader t) {
  capnp::MallocMessageBuilder msg(128);
  auto e = msg.initRoot<s::ApiToken>();
  e.setToken(t.getToken());
  e.setRole(t.getRole());
  e.setCommandTypes(t.getCommandTypes());
  e.setDescription(t.getDescription());
  e.setCreatedAt(a.time());
  e.setCreatedBy(capnp::Text::Reader(a.rec.actor.data(), a.rec.actor.size()));
  put_struct(a.state, a.cf.entities, keys::entity("token", sv(t.getToken())), e);
}

Result<void> decide_token_revoke(Decide& d, s::TokenRevoke::Reader t) {
  auto token = find_token(d, sv(t.getToken()));
  if (!token) return not_found("data.token", "token " + str(t.getToken()));
  if (token->get().getRevoked()) {
    return bad_state("data.token", "token " + str(t.getToken()) + " is already revoked");
  }
  d.emit_data("token.revoked");
  return {};
}

void apply_token_revoked(Apply& a, s::TokenRevoke::Reader t) {
  update<s::ApiToken>(a.state, a.cf.entities, keys::entity("token", sv(t.getToken())),
                      [](s::ApiToken::Builder e, s::ApiToken::Reader) { e.setRevoked(true); });
}

std::atomic<std::uint64_t> changed_at{0};  // identity_changed_at()

// An identity event's apply, which first raises identity_changed_at() to the record's seq.
// Apply runs on the sequencer before the group is written: before any reader can see the
// change, and before anyone is told it was made.
template <typename Payload, auto Fn>
void changes(Apply& a, typename Payload::Reader r) {
  std::uint64_t seen = changed_at.load();
  while (seen < a.rec.seq && !changed_at.compare_exchange_weak(seen, a.rec.seq)) {
  }
  Fn(a, r);
}

}  // namespace

std::uint64_t identity_changed_at() {
  return changed_at.load();
}

const Area& identity_area() {
  static const Area area{
      "identity",
      {command<s::UserAdd, decide_add>("user.add", {"user.added"}, stream("user", "user")),
       command<s::UserSetRoles, decide_set_roles>("user.set_roles", {"user.roles_set"},
                                                  stream("user", "user")),
       command<s::UserRef, decide_disable>("user.disable", {"user.disabled"},
                                           stream("user", "user")),
       command<s::UserRef, decide_enable>("user.enable", {"user.enabled"}, stream("user", "user")),
       command<s::UserSetPassword, decide_set_password>("user.set_password", {"user.password_set"},
                                                        stream("user", "user")),
       command<s::UserLock, decide_lock>("user.lock", {"user.locked", "exception.raised"},
                                         stream("user", "user")),
       command<s::UserRef, decide_unlock>("user.unlock", {"user.unlocked"}, stream("user", "user")),
       command<s::TokenCreate, decide_token_create>("token.create", {"token.created"},
                                                    stream("token", "token")),
       command<s::TokenRevoke, decide_token_revoke>("token.revoke", {"token.revoked"},
                                                    stream("token", "token"))},
      {event<s::UserAdd, changes<s::UserAdd, apply_added>>("user.added"),
       event<s::UserSetRoles, changes<s::UserSetRoles, apply_roles_set>>("user.roles_set"),
       event<s::UserRef, changes<s::UserRef, apply_disabled>>("user.disabled"),
       event<s::UserRef, changes<s::UserRef, apply_enabled>>("user.enabled"),
       event<s::UserSetPassword, changes<s::UserSetPassword, apply_password_set>>(
           "user.password_set"),
       event<s::UserLock, changes<s::UserLock, apply_locked>>("user.locked"),
       event<s::UserRef, changes<s::UserRef, apply_unlocked>>("user.unlocked"),
       event<s::TokenCreate, changes<s::TokenCreate, apply_token_created>>("token.created"),
       event<s::TokenRevoke, changes<s::TokenRevoke, apply_token_revoked>>("token.revoked")}};
  return area;
}

// ---- reading what is projected (custody/domain/identity.h)

namespace {

std::string role_name(s::Role r) {
  return std::string(codec::enum_name(r));
}

Result<std::optional<std::string>> entity_bytes(const ledger::Snapshot& snap, std::string_view kind,
                                                std::string_view id) {
  return ledger::reading([&]() -> Result<std::optional<std::string>> {
    return snap.get(snap.family(kEntitiesCf), keys::entity(kind, id));
  });
}

TokenView token_view(std::string_view bytes) {
  codec::MessageView v(bytes);
  auto t = v.root<s::ApiToken>();
  TokenView out;
  out.id = str(t.getToken());
  out.role = role_name(t.getRole());
  for (auto c : t.getCommandTypes()) out.command_types.push_back(str(c));
  out.description = str(t.getDescription());
  out.revoked = t.getRevoked();
  out.created_at = t.getCreatedAt();
  out.created_by = str(t.getCreatedBy());
  return out;
}

}  // namespace

const std::vector<std::string>& role_names() {
  static const std::vector<std::string> names = codec::enum_names<s::Role>();
  return names;
}

namespace {

UserView user_view(std::string_view bytes) {
  codec::MessageView v(bytes);
  auto u = v.root<s::User>();
  UserView out;
  out.id = str(u.getUser());
  out.name = str(u.getName());
  for (auto r : u.getRoles()) out.roles.push_back(role_name(r));
  out.disabled = u.getDisabled();
  out.password_set_at = u.getPasswordSetAt();
  out.locked_until = u.getLockedUntil();
  return out;
}

}  // namespace

Result<std::optional<UserView>> find_user(const ledger::Snapshot& snap, std::string_view id) {
  auto bytes = entity_bytes(snap, "user", id);
  if (!bytes) return std::unexpected(bytes.error());
  if (!*bytes) return std::optional<UserView>{};
  return std::optional<UserView>(user_view(**bytes));
}

Result<std::optional<TokenView>> find_token(const ledger::Snapshot& snap, std::string_view id) {
  auto bytes = entity_bytes(snap, "token", id);
  if (!bytes) return std::unexpected(bytes.error());
  if (!*bytes) return std::optional<TokenView>{};
  return std::optional<TokenView>(token_view(**bytes));
}

namespace {

// Every entity of `kind`, by id, as `view` makes it.
template <typename View, typename Make>
Result<std::vector<View>> list_of(const ledger::Snapshot& snap, std::string_view kind, Make view) {
  return ledger::reading([&]() -> Result<std::vector<View>> {
    std::vector<View> out;
    snap.scan_prefix(snap.family(kEntitiesCf), keys::entity(kind, ""),
                     [&](std::string_view, std::string_view value) {
                       out.push_back(view(value));
                       return true;
                     });
    return out;
  });
}

}  // namespace

Result<std::vector<UserView>> list_users(const ledger::Snapshot& snap) {
  return list_of<UserView>(snap, "user", user_view);
}

Result<std::vector<TokenView>> list_tokens(const ledger::Snapshot& snap) {
  return list_of<TokenView>(snap, "token", token_view);
}

}  // namespace custody::domain
