// DIR/credentials: the secrets that prove who someone is, kept beside the ledger and outside
// its hash chain. The ledger records that a password was set or a token created (user.* and
// token.* records); the hashes that check them live here, so a copy of the log given to an
// auditor or a partner carries no secret.
//
//   {"version": 1,
//    "passwords": {"alice": "$argon2id$v=19$m=65536,t=2,p=1$..."},
//    "tokens":    {"erp": "<hex SHA-256 of the token's secret>"}}
//
// Mode 0600, replaced whole and atomically on every change (write, fsync, rename). Only the
// process holding the ledger's write lock changes it, so writers never race. A file others can
// read is refused: its hashes could be attacked offline.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>

#include "custody/common/error.h"

namespace custody::server {

class Credentials {
 public:
  static constexpr const char* kFileName = "credentials";

  // Reads DIR/credentials; empty when it does not exist. kPermissionDenied when the file is
  // readable or writable by anyone but its owner, kCorruption when it is not what custody writes.
  [[nodiscard]] static Result<std::unique_ptr<Credentials>> load(const std::filesystem::path& dir);

  [[nodiscard]] std::optional<std::string> password_hash(std::string_view user) const;
  [[nodiscard]] std::optional<std::string> token_hash(std::string_view token) const;

  // Record a hash and rewrite the file before returning.
  [[nodiscard]] Result<void> set_password_hash(std::string_view user, std::string hash);
  [[nodiscard]] Result<void> set_token_hash(std::string_view token, std::string hash);

 private:
  explicit Credentials(std::filesystem::path dir) : dir_(std::move(dir)) {}
  [[nodiscard]] Result<void> save() const;  // with mu_ held

  std::filesystem::path dir_;
  mutable std::shared_mutex mu_;
  std::map<std::string, std::string, std::less<>> passwords_;
  std::map<std::string, std::string, std::less<>> tokens_;
};

// ---- passwords (argon2id, libsodium)

// The shortest password accepted.
inline constexpr std::size_t kMinPasswordLength = 12;
inline constexpr std::size_t kMaxPasswordLength = 1024;

// Refuses (kInvalidArgument, field "password") a password that is too short or too long,
// contains the user id, or is on the list of common and breached passwords.
[[nodiscard]] Result<void> check_password_policy(std::string_view password, std::string_view user);

// An argon2id hash in the PHC string form, at libsodium's INTERACTIVE limits or above
// (`moderate` picks MODERATE). Slow on purpose: call it off network threads.
[[nodiscard]] Result<std::string> hash_password(std::string_view password, bool moderate = false);
// Whether `password` matches `hash`; constant-time in the secret.
[[nodiscard]] bool verify_password(const std::string& hash, std::string_view password);

// ---- API tokens

// A new secret for token `id`: "cty_" id "_" 43 characters of base64url (256 random bits).
// The id is inside so the server can find the hash without a search.
[[nodiscard]] std::string new_token_secret(std::string_view id);
// The token id a secret names, or "" when it has not that form.
[[nodiscard]] std::string token_id_of(std::string_view secret);
// The hash kept for a secret (hex SHA-256). Tokens carry 256 random bits, so a fast hash is
// enough; they are compared in constant time.
[[nodiscard]] std::string token_hash(std::string_view secret);
[[nodiscard]] bool token_matches(std::string_view stored_hash, std::string_view secret);

}  // namespace custody::server
