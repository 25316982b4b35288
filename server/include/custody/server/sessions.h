// People's sessions: a random 128-bit token in a cookie, kept here only as its SHA-256, with
// a CSRF token for cookie-authenticated writes, an idle timeout and an absolute one. Sessions
// live in the server's memory: a restart signs everyone out, which is the safe direction.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "custody/common/clock.h"

namespace custody::server {

struct SessionOptions {
  std::chrono::seconds idle{15 * 60};
  std::chrono::seconds absolute{12 * 3600};
};

struct Session {
  std::string user;
  std::string csrf;
  TimeNs created = 0;
  TimeNs last_seen = 0;
  // The session's person has given an electronic signature with user id and password; later
  // ones in the same session need the password only (21 CFR 11.200(a)(1)(i)).
  bool signed_once = false;
  [[nodiscard]] TimeNs expires(const SessionOptions& o) const;
};

class Sessions {
 public:
  explicit Sessions(SessionOptions options) : options_(options) {}

  struct Created {
    std::string token;  // for the cookie; never stored
    Session session;
  };
  // A new session for `user` (a new token every time: re-authenticating never reuses one).
  Created create(const std::string& user, TimeNs now);
  // The live session for a cookie's token, its idle clock restarted; nullopt when unknown,
  // idle too long or too old (which also forgets it).
  std::optional<Session> touch(const std::string& token, TimeNs now);
  void remove(const std::string& token);
  void mark_signed(const std::string& token);
  // Forgets every session of `user` (disabled, locked, roles changed by an admin).
  void remove_user(const std::string& user);
  [[nodiscard]] std::size_t size() const;
  [[nodiscard]] const SessionOptions& options() const { return options_; }

 private:
  SessionOptions options_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Session> by_hash_;
};

}  // namespace custody::server
