#include "custody/server/sessions.h"

#include <sodium.h>

#include <array>

#include "custody/common/encoding.h"
#include "custody/crypto/sha256.h"

namespace custody::server {
namespace {

std::string random_hex(std::size_t bytes) {
  std::array<std::uint8_t, 32> r{};
  randombytes_buf(r.data(), bytes);
  return to_hex(std::span<const std::uint8_t>(r.data(), bytes));
}

std::string hash_of(const std::string& token) {
  return to_hex(crypto::sha256(token));
}

TimeNs ns(std::chrono::seconds s) {
  return static_cast<TimeNs>(s.count()) * 1'000'000'000LL;
}

}  // namespace

TimeNs Session::expires(const SessionOptions& o) const {
  return std::min(last_seen + ns(o.idle), created + ns(o.absolute));
}

Sessions::Created Sessions::create(const std::string& user, TimeNs now) {
  Created c;
  c.token = random_hex(16);  // 128 bits
  c.session = Session{user, random_hex(16), now, now};
  std::lock_guard lock(mu_);
  by_hash_[hash_of(c.token)] = c.session;
  return c;
}

std::optional<Session> Sessions::touch(const std::string& token, TimeNs now) {
  const std::string h = hash_of(token);
  std::lock_guard lock(mu_);
  auto it = by_hash_.find(h);
  if (it == by_hash_.end()) return std::nullopt;
  if (now >= it->second.expires(options_)) {
    by_hash_.erase(it);
    return std::nullopt;
  }
  it->second.last_seen = now;
  return it->second;
}

void Sessions::remove(const std::string& token) {
  std::lock_guard lock(mu_);
  by_hash_.erase(hash_of(token));
}

void Sessions::mark_signed(const std::string& token) {
  std::lock_guard lock(mu_);
  if (auto it = by_hash_.find(hash_of(token)); it != by_hash_.end()) it->second.signed_once = true;
}

void Sessions::remove_user(const std::string& user) {
  std::lock_guard lock(mu_);
  std::erase_if(by_hash_, [&](const auto& kv) { return kv.second.user == user; });
}

std::size_t Sessions::size() const {
  std::lock_guard lock(mu_);
  return by_hash_.size();
}

}  // namespace custody::server
