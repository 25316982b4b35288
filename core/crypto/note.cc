#include "custody/crypto/note.h"

#include <sodium.h>

#include <cstring>
#include <stdexcept>
#include <vector>

#include "custody/common/encoding.h"
#include "custody/crypto/sha256.h"

namespace custody::crypto {
namespace {

constexpr std::uint8_t kAlgEd25519 = 0x01;
constexpr std::string_view kSigPrefix = "\u2014 ";  // em dash and a space

void ensure_sodium() {
  static const int rc = sodium_init();
  if (rc < 0) throw std::runtime_error("libsodium failed to initialise");
}

bool valid_key_name(std::string_view name) {
  if (name.empty()) return false;
  for (unsigned char c : name) {
    if (c <= ' ' || c == '+' || c == 0x7f) return false;
  }
  return true;
}

std::uint32_t compute_key_id(std::string_view name, const PublicKey& key) {
  Sha256 h;
  h.update(name);
  const std::uint8_t sep[2] = {'\n', kAlgEd25519};
  h.update({sep, 2});
  h.update(key);
  const Digest d = h.finish();
  return (std::uint32_t{d[0]} << 24) | (std::uint32_t{d[1]} << 16) | (std::uint32_t{d[2]} << 8) |
         d[3];
}

std::string hex8(std::uint32_t v) {
  const std::uint8_t b[4] = {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
                             static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
  return to_hex(b);
}

// Splits at `sep`, into at most `max_parts` parts (the last keeps any further separators:
// base64 key material may hold '+').
std::vector<std::string_view> split(std::string_view s, char sep,
                                    std::size_t max_parts = std::string_view::npos) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || (s[i] == sep && out.size() + 1 < max_parts)) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

}  // namespace

NoteVerifier::NoteVerifier(std::string name, const PublicKey& key)
    : name_(std::move(name)), key_(key), key_id_(compute_key_id(name_, key_)) {}

Result<NoteVerifier> NoteVerifier::parse(std::string_view vkey) {
  const auto parts = split(vkey, '+', 3);
  if (parts.size() != 3 || !valid_key_name(parts[0])) {
    return fail(ErrorCode::kInvalidArgument, "verifier key must be name+hash+key", "key");
  }
  const auto raw = from_base64(parts[2]);
  if (!raw || raw->size() != 33 || static_cast<std::uint8_t>((*raw)[0]) != kAlgEd25519) {
    return fail(ErrorCode::kInvalidArgument, "verifier key is not an Ed25519 key", "key");
  }
  PublicKey pk;
  std::memcpy(pk.data(), raw->data() + 1, 32);
  NoteVerifier v{std::string(parts[0]), pk};
  if (hex8(v.key_id()) != parts[1]) {
    return fail(ErrorCode::kInvalidArgument, "verifier key hash does not match its key", "key");
  }
  return v;
}

std::string NoteVerifier::vkey() const {
  std::uint8_t raw[33];
  raw[0] = kAlgEd25519;
  std::memcpy(raw + 1, key_.data(), 32);
  return name_ + "+" + hex8(key_id_) + "+" + to_base64(raw);
}

Result<std::string> NoteVerifier::open(std::string_view note) const {
  ensure_sodium();
  const std::size_t split_at = note.rfind("\n\n");
  if (split_at == std::string_view::npos) {
    return fail(ErrorCode::kInvalidArgument, "note has no signature block", "checkpoint");
  }
  const std::string_view text = note.substr(0, split_at + 1);
  std::string_view sigs = note.substr(split_at + 2);
  if (sigs.empty() || sigs.back() != '\n') {
    return fail(ErrorCode::kInvalidArgument, "note signature block must end in a newline",
                "checkpoint");
  }
  sigs.remove_suffix(1);
  bool seen_key = false;
  for (std::string_view line : split(sigs, '\n')) {
    if (line.substr(0, kSigPrefix.size()) != kSigPrefix) {
      return fail(ErrorCode::kInvalidArgument, "malformed signature line", "checkpoint");
    }
    line.remove_prefix(kSigPrefix.size());
    const std::size_t space = line.find(' ');
    if (space == std::string_view::npos) {
      return fail(ErrorCode::kInvalidArgument, "malformed signature line", "checkpoint");
    }
    const std::string_view name = line.substr(0, space);
    const auto raw = from_base64(line.substr(space + 1));
    if (!raw || raw->size() < 5) {
      return fail(ErrorCode::kInvalidArgument, "malformed signature", "checkpoint");
    }
    const auto* b = reinterpret_cast<const std::uint8_t*>(raw->data());
    const std::uint32_t id = (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) |
                             (std::uint32_t{b[2]} << 8) | b[3];
    if (name != name_ || id != key_id_) continue;  // someone else's signature (a witness)
    seen_key = true;
    if (raw->size() == 4 + crypto_sign_BYTES &&
        crypto_sign_verify_detached(b + 4, reinterpret_cast<const unsigned char*>(text.data()),
                                    text.size(), key_.data()) == 0) {
      return std::string(text);
    }
  }
  return fail(ErrorCode::kPermissionDenied,
              seen_key ? "signature by " + name_ + " does not verify"
                       : "note carries no signature by " + name_,
              "checkpoint");
}

NoteSigner NoteSigner::generate(std::string name) {
  ensure_sodium();
  if (!valid_key_name(name)) throw std::invalid_argument("invalid key name: " + name);
  NoteSigner s;
  s.name_ = std::move(name);
  PublicKey pk;
  crypto_sign_keypair(pk.data(), s.secret_.data());
  return s;
}

Result<NoteSigner> NoteSigner::parse(std::string_view skey) {
  ensure_sodium();
  constexpr std::string_view kPrefix = "PRIVATE+KEY+";
  if (skey.substr(0, kPrefix.size()) != kPrefix) {
    return fail(ErrorCode::kInvalidArgument, "not a signer key", "key");
  }
  const auto parts = split(skey.substr(kPrefix.size()), '+', 3);
  if (parts.size() != 3 || !valid_key_name(parts[0])) {
    return fail(ErrorCode::kInvalidArgument, "signer key must be PRIVATE+KEY+name+hash+key", "key");
  }
  auto raw = from_base64(parts[2]);
  if (!raw || raw->size() != 33 || static_cast<std::uint8_t>((*raw)[0]) != kAlgEd25519) {
    return fail(ErrorCode::kInvalidArgument, "signer key is not an Ed25519 key", "key");
  }
  NoteSigner s;
  s.name_ = std::string(parts[0]);
  PublicKey pk;
  crypto_sign_seed_keypair(pk.data(), s.secret_.data(),
                           reinterpret_cast<const unsigned char*>(raw->data() + 1));
  sodium_memzero(raw->data(), raw->size());
  if (hex8(compute_key_id(s.name_, pk)) != parts[1]) {
    return fail(ErrorCode::kInvalidArgument, "signer key hash does not match its key", "key");
  }
  return s;
}

NoteSigner::NoteSigner(NoteSigner&& o) noexcept : name_(std::move(o.name_)), secret_(o.secret_) {
  sodium_memzero(o.secret_.data(), o.secret_.size());
}

NoteSigner& NoteSigner::operator=(NoteSigner&& o) noexcept {
  if (this != &o) {
    name_ = std::move(o.name_);
    secret_ = o.secret_;
    sodium_memzero(o.secret_.data(), o.secret_.size());
  }
  return *this;
}

NoteSigner::~NoteSigner() {
  sodium_memzero(secret_.data(), secret_.size());
}

NoteVerifier NoteSigner::verifier() const {
  PublicKey pk;
  crypto_sign_ed25519_sk_to_pk(pk.data(), secret_.data());
  return NoteVerifier(name_, pk);
}

std::string NoteSigner::skey() const {
  std::uint8_t raw[33];
  raw[0] = kAlgEd25519;
  crypto_sign_ed25519_sk_to_seed(raw + 1, secret_.data());
  const NoteVerifier v = verifier();
  std::string out = "PRIVATE+KEY+" + name_ + "+" + hex8(v.key_id()) + "+" + to_base64(raw);
  sodium_memzero(raw, sizeof raw);
  return out;
}

std::string NoteSigner::sign(std::string_view text) const {
  if (text.empty() || text.back() != '\n' || text.find("\n\n") != std::string_view::npos) {
    throw std::invalid_argument("note text must be non-empty lines ending in newlines");
  }
  std::uint8_t sig[4 + crypto_sign_BYTES];
  const std::uint32_t id = verifier().key_id();
  sig[0] = static_cast<std::uint8_t>(id >> 24);
  sig[1] = static_cast<std::uint8_t>(id >> 16);
  sig[2] = static_cast<std::uint8_t>(id >> 8);
  sig[3] = static_cast<std::uint8_t>(id);
  crypto_sign_detached(sig + 4, nullptr, reinterpret_cast<const unsigned char*>(text.data()),
                       text.size(), secret_.data());
  std::string out(text);
  out += "\n";
  out += kSigPrefix;
  out += name_;
  out += ' ';
  out += to_base64(sig);
  out += '\n';
  return out;
}

}  // namespace custody::crypto
