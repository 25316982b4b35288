// C2SP signed notes (https://c2sp.org/signed-note) with Ed25519 keys (libsodium).
//
// Note grammar:
//
//   note       = text "\n" signature+
//   text       = 1*line                      ; every line ends in "\n", no blank lines
//   signature  = "\u2014 " name " " base64(key_id || ed25519_sig) "\n"
//   key_id     = first 4 bytes of SHA-256(name || "\n" || 0x01 || public_key)
//
// Ed25519 signs `text` exactly (including its final newline). Keys are written as
//
//   verifier key: name "+" hex8(key_id) "+" base64(0x01 || public_key)
//   signer key:   "PRIVATE+KEY+" name "+" hex8(key_id) "+" base64(0x01 || seed)
//
// which is the encoding Go's golang.org/x/mod/sumdb/note reads and writes.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "custody/common/error.h"

namespace custody::crypto {

using PublicKey = std::array<std::uint8_t, 32>;

// Verifies notes signed by one named Ed25519 key. A value type; thread-safe.
class NoteVerifier {
 public:
  NoteVerifier(std::string name, const PublicKey& key);
  [[nodiscard]] static Result<NoteVerifier> parse(std::string_view vkey);

  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] std::uint32_t key_id() const { return key_id_; }
  [[nodiscard]] const PublicKey& public_key() const { return key_; }
  [[nodiscard]] std::string vkey() const;

  // Returns the note's text when it carries a valid signature by this key. Errors:
  // kInvalidArgument for a malformed note, kPermissionDenied when no signature line is by
  // this key or the signature does not verify.
  [[nodiscard]] Result<std::string> open(std::string_view note) const;

 private:
  std::string name_;
  PublicKey key_;
  std::uint32_t key_id_;
};

// Holds an Ed25519 secret key. A resource: movable, not copyable; the secret is wiped on
// destruction. sign() is thread-safe.
class NoteSigner {
 public:
  // A fresh random key.
  [[nodiscard]] static NoteSigner generate(std::string name);
  [[nodiscard]] static Result<NoteSigner> parse(std::string_view skey);

  NoteSigner(NoteSigner&&) noexcept;
  NoteSigner& operator=(NoteSigner&&) noexcept;
  NoteSigner(const NoteSigner&) = delete;
  NoteSigner& operator=(const NoteSigner&) = delete;
  ~NoteSigner();

  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] NoteVerifier verifier() const;
  [[nodiscard]] std::string skey() const;

  // `text` must be non-empty lines, each ending in "\n". Returns the signed note.
  [[nodiscard]] std::string sign(std::string_view text) const;

 private:
  NoteSigner() = default;
  std::string name_;
  std::array<std::uint8_t, 64> secret_{};  // libsodium layout: seed || public key
};

}  // namespace custody::crypto
