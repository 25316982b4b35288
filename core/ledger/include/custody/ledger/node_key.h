// The node key: the Ed25519 key that signs the ledger's checkpoints, its file, its passphrase
// protection, and its rotation.
//
// File. One line: the signed-note signer key ("PRIVATE+KEY+..."), or that key sealed under a
// passphrase:
//
//   sealed  = "custody-sealed-key v1 argon2id13 " ops " " mem " " b64(salt) " " b64(nonce)
//             " " b64(box) "\n"
//   key     = crypto_pwhash(32, passphrase, salt, ops, mem, ARGON2ID13)
//   box     = crypto_secretbox_easy(signer key text, nonce, key)      (XSalsa20-Poly1305)
//
// It is DIR/node.key unless config.json's "nodeKey": {"file": F} names another (absolute, or
// relative to DIR: keep it off the data disk so that whoever can rewrite the log cannot
// re-sign it). It must be mode 0600 (no group or other access). The passphrase is read from a
// file: $CUSTODY_KEY_PASSPHRASE_FILE, else "nodeKey": {"passphraseFile": F}; never from the
// command line or the configuration itself.
//
// Rotation. A `ledger.key_rotated` record (stream "ledger:key", actor "system") names the new
// verifier key and carries a note signed by the OLD key:
//
//   "custody key rotation\n" origin "\n" new verifier key "\n"
//
// Just before it the old key signs a last checkpoint over every record before the rotation;
// every checkpoint that covers the rotation record is signed by the new key. Verification starts
// from the key the ledger was created with (or the auditor's) and follows the rotations in the log.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "custody/common/error.h"
#include "custody/crypto/note.h"

namespace custody::ledger {

inline constexpr std::string_view kKeyRotationType = "ledger.key_rotated";
inline constexpr std::string_view kKeyStream = "ledger:key";
inline constexpr std::string_view kPassphraseEnv = "CUSTODY_KEY_PASSPHRASE_FILE";
// meta: the verifier key that signs checkpoints now (absent until the first rotation: then
// it is node_public_key, the key the ledger was created with).
inline constexpr std::string_view kCurrentKeyMeta = "node_current_key";

// Where the key is and how its passphrase is found (config.json "nodeKey").
struct NodeKeyConfig {
  std::string file = "node.key";  // relative to the ledger directory unless absolute
  std::string passphrase_file;    // empty: none (the environment may still name one)
};

[[nodiscard]] std::filesystem::path node_key_path(const std::filesystem::path& dir,
                                                  const NodeKeyConfig& config);

// The passphrase, when one is configured: the file $CUSTODY_KEY_PASSPHRASE_FILE names, else
// config.passphrase_file (relative to DIR), its content up to the first line end. nullopt
// when neither is set. Errors: the file cannot be read, or is empty.
[[nodiscard]] Result<std::optional<std::string>> node_key_passphrase(
    const std::filesystem::path& dir, const NodeKeyConfig& config);

// The key file's text for `signer`, sealed when a passphrase is given.
[[nodiscard]] std::string node_key_text(const crypto::NoteSigner& signer,
                                        const std::optional<std::string>& passphrase);
[[nodiscard]] bool is_sealed(std::string_view key_text);

// Reads and opens a key file. Errors: kNotFound (no file), kPermissionDenied (group or other
// may read it; sealed and no passphrase, or the wrong one), kCorruption (not a key).
[[nodiscard]] Result<crypto::NoteSigner> read_node_key(
    const std::filesystem::path& path, const std::optional<std::string>& passphrase);

// Writes a key file (mode 0600) at `path`, which must not exist, durably.
[[nodiscard]] Result<void> write_node_key(const std::filesystem::path& path,
                                          const crypto::NoteSigner& signer,
                                          const std::optional<std::string>& passphrase);

// The node key of the ledger in `dir`, as config.json places and protects it.
[[nodiscard]] Result<crypto::NoteSigner> load_node_key(const std::filesystem::path& dir);

// The signed note of a rotation from `old_key` to `next`, and its check: the new key, when
// `note` is signed by `current` and names `origin`.
[[nodiscard]] std::string key_rotation_note(std::string_view origin,
                                            const crypto::NoteSigner& old_key,
                                            const crypto::NoteVerifier& next);
[[nodiscard]] Result<crypto::NoteVerifier> open_key_rotation(std::string_view note,
                                                             std::string_view origin,
                                                             const crypto::NoteVerifier& current);

// The key a ledger.key_rotated record (its stored bytes) hands over to, checked against
// `current`, the key before it. kCorruption when the record is not custody's own rotation or
// its note is not signed by `current`.
[[nodiscard]] Result<crypto::NoteVerifier> rotated_key(std::string_view bytes,
                                                       std::string_view origin,
                                                       const crypto::NoteVerifier& current);

}  // namespace custody::ledger
