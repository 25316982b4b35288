#include "custody/server/credentials.h"

#include <sodium.h>
#include <sys/stat.h>

#include <array>
#include <boost/json.hpp>
#include <cstdio>
#include <cstring>
#include <mutex>

#include "custody/codec/json_parse.h"
#include "custody/common/encoding.h"
#include "custody/common/files.h"
#include "custody/crypto/sha256.h"

namespace custody::server {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kTokenPrefix = "cty_";
constexpr std::size_t kTokenRandomBytes = 32;
constexpr std::size_t kTokenRandomChars = 43;  // base64url of 32 bytes, unpadded

Result<void> read_map(const boost::json::object& root, std::string_view key,
                      std::map<std::string, std::string, std::less<>>& out, const fs::path& path) {
  const auto* v = root.if_contains(key);
  if (v == nullptr) return {};
  if (!v->is_object()) {
    return fail(ErrorCode::kCorruption,
                path.string() + ": \"" + std::string(key) + "\" is not an object");
  }
  for (const auto& [k, h] : v->as_object()) {
    if (!h.is_string()) {
      return fail(ErrorCode::kCorruption,
                  path.string() + ": the hash of " + std::string(k) + " is not a string");
    }
    out.emplace(std::string(k), std::string(h.as_string()));
  }
  return {};
}

std::string base64url(std::span<const std::uint8_t> bytes) {
  std::string s = to_base64(bytes);
  while (!s.empty() && s.back() == '=') s.pop_back();
  for (char& c : s) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return s;
}

std::string octal(unsigned mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%03o", mode);
  return buf;
}

bool sodium_ready() {
  static const bool ok = sodium_init() >= 0;
  return ok;
}

// Passwords people pick first, and the ones breach corpora show most; any of these, in any
// case, is refused. (A short list: the length rule does most of the work.)
constexpr std::string_view kCommonPasswords[] = {
    "password",         "password1",    "password12",    "password123",
    "password1234",     "passw0rd",     "p@ssw0rd",      "p@ssword",
    "123456",           "1234567",      "12345678",      "123456789",
    "1234567890",       "12345678910",  "123456789012",  "qwerty",
    "qwertyuiop",       "qwerty123",    "qwerty123456",  "1q2w3e4r",
    "1q2w3e4r5t",       "1q2w3e4r5t6y", "abc123",        "abcd1234",
    "abcdefghijkl",     "iloveyou",     "admin",         "admin123",
    "administrator",    "welcome",      "welcome1",      "welcome123",
    "letmein",          "letmein123",   "changeme",      "changeme123",
    "trustno1",         "dragon",       "monkey",        "football",
    "baseball",         "sunshine",     "princess",      "superman",
    "starwars",         "whatever",     "shadow",        "master",
    "michael",          "jennifer",     "1111111111",    "0000000000",
    "111111111111",     "000000000000", "aaaaaaaaaaaa",  "zaq12wsx",
    "zaq1zaq1",         "asdfghjkl",    "asdfghjkl123",  "zxcvbnm",
    "zxcvbnm123",       "qazwsx",       "qazwsxedc",     "1qaz2wsx",
    "1qaz2wsx3edc",     "custody",      "custody123",    "factory",
    "factory123",       "production",   "manufacturing", "qualityassurance",
    "summer2026",       "winter2026",   "spring2026",    "autumn2026",
    "company123",       "secret123",    "mypassword",    "mypassword1",
    "passwordpassword", "12qwaszx",     "q1w2e3r4t5y6",  "a1b2c3d4e5f6",
};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

Result<std::unique_ptr<Credentials>> Credentials::load(const fs::path& dir) {
  std::unique_ptr<Credentials> c(new Credentials(dir));
  const fs::path path = dir / kFileName;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return c;
    return fail(ErrorCode::kIoError, "cannot read " + path.string() + ": " + std::strerror(errno));
  }
  if ((st.st_mode & 077) != 0) {
    return fail(ErrorCode::kPermissionDenied,
                path.string() + " can be read or written by others (mode " +
                    octal(st.st_mode & 0777) +
                    "); it holds password hashes. Make it 0600 (chmod 600) and retry");
  }
  auto text = read_file(path, 16 << 20);
  if (!text) return std::unexpected(text.error());
  auto parsed = codec::parse_json(*text, "", text->size());
  if (!parsed || !parsed->is_object()) {
    return fail(ErrorCode::kCorruption, path.string() + " is not a credentials file");
  }
  const auto& root = parsed->as_object();
  if (auto r = read_map(root, "passwords", c->passwords_, path); !r) {
    return std::unexpected(r.error());
  }
  if (auto r = read_map(root, "tokens", c->tokens_, path); !r) return std::unexpected(r.error());
  return c;
}

std::optional<std::string> Credentials::password_hash(std::string_view user) const {
  std::shared_lock lock(mu_);
  auto it = passwords_.find(user);
  if (it == passwords_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> Credentials::token_hash(std::string_view token) const {
  std::shared_lock lock(mu_);
  auto it = tokens_.find(token);
  if (it == tokens_.end()) return std::nullopt;
  return it->second;
}

Result<void> Credentials::set_password_hash(std::string_view user, std::string hash) {
  std::unique_lock lock(mu_);
  passwords_[std::string(user)] = std::move(hash);
  return save();
}

Result<void> Credentials::set_token_hash(std::string_view token, std::string hash) {
  std::unique_lock lock(mu_);
  tokens_[std::string(token)] = std::move(hash);
  return save();
}

Result<void> Credentials::save() const {
  boost::json::object root;
  root["version"] = 1;
  boost::json::object pw, tk;
  for (const auto& [k, v] : passwords_) pw[k] = v;
  for (const auto& [k, v] : tokens_) tk[k] = v;
  root["passwords"] = std::move(pw);
  root["tokens"] = std::move(tk);
  return replace_file(dir_ / kFileName, boost::json::serialize(root) + "\n", 0600);
}

Result<void> check_password_policy(std::string_view password, std::string_view user) {
  auto refuse = [](std::string message) {
    return fail(ErrorCode::kInvalidArgument, std::move(message), "password");
  };
  if (password.size() < kMinPasswordLength) {
    return refuse("a password needs at least " + std::to_string(kMinPasswordLength) +
                  " characters");
  }
  if (password.size() > kMaxPasswordLength) {
    return refuse("a password may have at most " + std::to_string(kMaxPasswordLength) +
                  " characters");
  }
  const std::string p = lower(password);
  if (!user.empty() && p.find(lower(user)) != std::string::npos) {
    return refuse("a password may not contain the user id");
  }
  for (std::string_view common : kCommonPasswords) {
    if (p == common) return refuse("that password is on the list of common and breached ones");
  }
  if (p.find_first_not_of(p[0]) == std::string::npos) {
    return refuse("a password may not be one character repeated");
  }
  return {};
}

Result<std::string> hash_password(std::string_view password, bool moderate) {
  if (!sodium_ready()) return fail(ErrorCode::kInternal, "libsodium failed to initialise");
  std::array<char, crypto_pwhash_STRBYTES> out{};
  const auto ops = moderate ? crypto_pwhash_OPSLIMIT_MODERATE : crypto_pwhash_OPSLIMIT_INTERACTIVE;
  const auto mem = moderate ? crypto_pwhash_MEMLIMIT_MODERATE : crypto_pwhash_MEMLIMIT_INTERACTIVE;
  if (crypto_pwhash_str_alg(out.data(), password.data(), password.size(), ops, mem,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return fail(ErrorCode::kInternal, "out of memory while hashing a password");
  }
  return std::string(out.data());
}

bool verify_password(const std::string& hash, std::string_view password) {
  if (!sodium_ready()) return false;
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

std::string new_token_secret(std::string_view id) {
  sodium_ready();
  std::array<std::uint8_t, kTokenRandomBytes> bytes{};
  randombytes_buf(bytes.data(), bytes.size());
  std::string s(kTokenPrefix);
  s += id;
  s += '_';
  s += base64url(bytes);
  sodium_memzero(bytes.data(), bytes.size());
  return s;
}

std::string token_id_of(std::string_view secret) {
  if (!secret.starts_with(kTokenPrefix)) return {};
  if (secret.size() < kTokenPrefix.size() + 2 + kTokenRandomChars) return {};
  const std::size_t sep = secret.size() - kTokenRandomChars - 1;
  if (secret[sep] != '_') return {};
  return std::string(secret.substr(kTokenPrefix.size(), sep - kTokenPrefix.size()));
}

std::string token_hash(std::string_view secret) {
  const auto d = crypto::sha256(secret);
  return to_hex(d);
}

bool token_matches(std::string_view stored_hash, std::string_view secret) {
  const std::string h = token_hash(secret);
  return h.size() == stored_hash.size() &&
         sodium_memcmp(h.data(), stored_hash.data(), h.size()) == 0;
}

}  // namespace custody::server
