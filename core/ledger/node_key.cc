#include "custody/ledger/node_key.h"

#include <sodium.h>
#include <sys/stat.h>

#include <cstdlib>
#include <sstream>
#include <vector>

#include "custody/codec/capnp_util.h"
#include "custody/common/encoding.h"
#include "custody/common/files.h"
#include "custody/ledger/config.h"
#include "custody/ledger/reader.h"
#include "custody/ledger/record.h"
#include "schema/record.capnp.h"

namespace custody::ledger {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kSealedTag = "custody-sealed-key v1 argon2id13 ";
constexpr std::string_view kRotationTitle = "custody key rotation";

std::string trimmed_line(std::string_view s) {
  const auto end = s.find_first_of("\r\n");
  return std::string(end == std::string_view::npos ? s : s.substr(0, end));
}

void init_sodium() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

// The secretbox key for `passphrase` under salt and limits; false when argon2id cannot run
// with them (out of memory, limits out of range).
bool derive(std::string_view passphrase, const std::uint8_t* salt, unsigned long long ops,
            std::size_t mem, std::uint8_t (&key)[crypto_secretbox_KEYBYTES]) {
  return crypto_pwhash(key, sizeof key, passphrase.data(), passphrase.size(), salt, ops, mem,
                       crypto_pwhash_ALG_ARGON2ID13) == 0;
}

Result<std::string> unseal(std::string_view text, std::string_view passphrase) {
  std::istringstream in{std::string(text.substr(kSealedTag.size()))};
  unsigned long long ops = 0;
  std::size_t mem = 0;
  std::string salt64, nonce64, box64;
  in >> ops >> mem >> salt64 >> nonce64 >> box64;
  auto salt = from_base64(salt64);
  auto nonce = from_base64(nonce64);
  auto box = from_base64(box64);
  if (!in || !salt || !nonce || !box || salt->size() != crypto_pwhash_SALTBYTES ||
      nonce->size() != crypto_secretbox_NONCEBYTES || box->size() <= crypto_secretbox_MACBYTES ||
      ops < crypto_pwhash_OPSLIMIT_MIN || ops > crypto_pwhash_OPSLIMIT_SENSITIVE ||
      mem < crypto_pwhash_MEMLIMIT_MIN || mem > crypto_pwhash_MEMLIMIT_SENSITIVE) {
    return fail(ErrorCode::kCorruption, "the sealed node key is malformed");
  }
  std::uint8_t key[crypto_secretbox_KEYBYTES];
  if (!derive(passphrase, reinterpret_cast<const std::uint8_t*>(salt->data()), ops, mem, key)) {
    return fail(ErrorCode::kIoError, "cannot derive the key from the passphrase (memory?)");
  }
  std::string plain(box->size() - crypto_secretbox_MACBYTES, '\0');
  const int opened =
      crypto_secretbox_open_easy(reinterpret_cast<std::uint8_t*>(plain.data()),
                                 reinterpret_cast<const std::uint8_t*>(box->data()), box->size(),
                                 reinterpret_cast<const std::uint8_t*>(nonce->data()), key);
  sodium_memzero(key, sizeof key);
  if (opened != 0) {
    sodium_memzero(plain.data(), plain.size());
    return fail(ErrorCode::kPermissionDenied, "the passphrase does not open the node key");
  }
  return plain;
}

}  // namespace

fs::path node_key_path(const fs::path& dir, const NodeKeyConfig& config) {
  const fs::path file(config.file);
  return file.is_absolute() ? file : dir / file;
}

Result<std::optional<std::string>> node_key_passphrase(const fs::path& dir,
                                                       const NodeKeyConfig& config) {
  fs::path file;
  const char* env = std::getenv(std::string(kPassphraseEnv).c_str());
  if (env != nullptr && *env != '\0') {
    file = env;
  } else if (!config.passphrase_file.empty()) {
    file = config.passphrase_file;
    if (file.is_relative()) file = dir / file;
  } else {
    return std::optional<std::string>{};
  }
  auto text = read_file(file, 4096);
  if (!text) {
    return fail(text.error().code,
                "cannot read the node key's passphrase file: " + text.error().message,
                "passphraseFile");
  }
  std::string line = trimmed_line(*text);
  sodium_memzero(text->data(), text->size());
  if (line.empty()) {
    return fail(ErrorCode::kInvalidArgument, "the node key's passphrase file is empty",
                "passphraseFile");
  }
  return std::optional<std::string>(std::move(line));
}

bool is_sealed(std::string_view key_text) {
  return key_text.starts_with(kSealedTag);
}

std::string node_key_text(const crypto::NoteSigner& signer,
                          const std::optional<std::string>& passphrase) {
  std::string skey = signer.skey();
  if (!passphrase) return skey + "\n";
  init_sodium();
  const unsigned long long ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
  const std::size_t mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
  std::uint8_t salt[crypto_pwhash_SALTBYTES];
  std::uint8_t nonce[crypto_secretbox_NONCEBYTES];
  randombytes_buf(salt, sizeof salt);
  randombytes_buf(nonce, sizeof nonce);
  std::uint8_t key[crypto_secretbox_KEYBYTES];
  if (!derive(*passphrase, salt, ops, mem, key)) {
    throw std::runtime_error("argon2id failed (out of memory?)");
  }
  std::vector<std::uint8_t> box(skey.size() + crypto_secretbox_MACBYTES);
  crypto_secretbox_easy(box.data(), reinterpret_cast<const std::uint8_t*>(skey.data()), skey.size(),
                        nonce, key);
  sodium_memzero(key, sizeof key);
  sodium_memzero(skey.data(), skey.size());
  return std::string(kSealedTag) + std::to_string(ops) + " " + std::to_string(mem) + " " +
         to_base64(salt) + " " + to_base64(nonce) + " " + to_base64(box) + "\n";
}

Result<crypto::NoteSigner> read_node_key(const fs::path& path,
                                         const std::optional<std::string>& passphrase) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return fail(ErrorCode::kNotFound, path.string() + " does not exist");
    return fail(ErrorCode::kIoError, "cannot read " + path.string());
  }
  if ((st.st_mode & 077) != 0) {
    return fail(
        ErrorCode::kPermissionDenied, path.string() +
                                          " may be read by others than its owner (mode " +
                                          [&] {
                                            char m[8];
                                            std::snprintf(m, sizeof m, "%04o", st.st_mode & 07777);
                                            return std::string(m);
                                          }() +
                                          "); the node key must be mode 0600: chmod 600 it");
  }
  auto text = read_file(path, 64 * 1024);
  if (!text) return fail(text.error().code, "cannot read the node key: " + text.error().message);
  std::string skey;
  if (is_sealed(*text)) {
    if (!passphrase) {
      return fail(ErrorCode::kPermissionDenied,
                  path.string() + " is sealed with a passphrase: name the file that holds it in " +
                      std::string(kPassphraseEnv) + " or config.json's nodeKey.passphraseFile");
    }
    auto opened = unseal(trimmed_line(*text), *passphrase);
    if (!opened) return std::unexpected(opened.error());
    skey = std::move(*opened);
  } else {
    skey = trimmed_line(*text);
  }
  sodium_memzero(text->data(), text->size());
  auto signer = crypto::NoteSigner::parse(skey);
  sodium_memzero(skey.data(), skey.size());
  if (!signer) {
    return fail(ErrorCode::kCorruption, path.string() + ": " + signer.error().message);
  }
  return signer;
}

Result<void> write_node_key(const fs::path& path, const crypto::NoteSigner& signer,
                            const std::optional<std::string>& passphrase) {
  std::string text = node_key_text(signer, passphrase);
  auto r = write_new_file(path, text, 0600);
  sodium_memzero(text.data(), text.size());
  if (!r) return r;
  return sync_dir(path.parent_path().empty() ? fs::path(".") : path.parent_path());
}

Result<crypto::NoteSigner> load_node_key(const fs::path& dir) {
  auto config = load_config(dir);
  if (!config) return std::unexpected(config.error());
  auto passphrase = node_key_passphrase(dir, config->node_key);
  if (!passphrase) return std::unexpected(passphrase.error());
  return read_node_key(node_key_path(dir, config->node_key), *passphrase);
}

std::string key_rotation_note(std::string_view origin, const crypto::NoteSigner& old_key,
                              const crypto::NoteVerifier& next) {
  return old_key.sign(std::string(kRotationTitle) + "\n" + std::string(origin) + "\n" +
                      next.vkey() + "\n");
}

Result<crypto::NoteVerifier> open_key_rotation(std::string_view note, std::string_view origin,
                                               const crypto::NoteVerifier& current) {
  auto text = current.open(note);
  if (!text) {
    return fail(ErrorCode::kPermissionDenied,
                "the key rotation is not signed by the key before it: " + text.error().message);
  }
  const std::string prefix = std::string(kRotationTitle) + "\n" + std::string(origin) + "\n";
  if (!text->starts_with(prefix) || !text->ends_with("\n")) {
    return fail(ErrorCode::kCorruption, "the key rotation note does not name this ledger");
  }
  const std::string vkey = text->substr(prefix.size(), text->size() - prefix.size() - 1);
  auto next = crypto::NoteVerifier::parse(vkey);
  if (!next) return fail(ErrorCode::kCorruption, "the key rotation names a malformed key");
  if (next->name() != current.name()) {
    return fail(ErrorCode::kCorruption, "the new key is not named for this ledger");
  }
  return next;
}

Result<crypto::NoteVerifier> rotated_key(std::string_view bytes, std::string_view origin,
                                         const crypto::NoteVerifier& current) {
  auto rec = decode_record(bytes);
  if (!rec) return std::unexpected(rec.error());
  if (!rec->payload_present || rec->stream != kKeyStream || rec->actor != "system") {
    return fail(ErrorCode::kCorruption, "the rotation record is not custody's own");
  }
  return ledger::reading([&]() -> Result<crypto::NoteVerifier> {
    codec::MessageView v(rec->payload);
    auto r = v.root<schema::KeyRotated>();
    auto next = open_key_rotation(std::string_view(r.getNote().cStr(), r.getNote().size()), origin,
                                  current);
    if (!next) return std::unexpected(next.error());
    if (next->vkey() != std::string_view(r.getKey().cStr(), r.getKey().size())) {
      return fail(ErrorCode::kCorruption, "the rotation's key differs from the key its note names");
    }
    return next;
  });
}

}  // namespace custody::ledger
